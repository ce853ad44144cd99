package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Credentials are a user and password (or token) for a registry. The zero
// value is anonymous access.
type Credentials struct {
	Username, Password string
}

func (c Credentials) authenticator() authn.Authenticator {
	if c == (Credentials{}) {
		return authn.Anonymous
	}
	return &authn.Basic{Username: c.Username, Password: c.Password}
}

// Login checks that the registry server (HOST[:PORT], with or without an
// http:// or https:// scheme) accepts creds: the /v2/ challenge, the token
// exchange for token auth, and an authenticated GET /v2/, all through the
// package's transport policy (plain HTTP only for loopback registries and
// opts.Insecure, bounded timeouts, retries). opts.Keychain is not used: auth
// is what is checked.
//
// It returns the registry's name as credentials for it are keyed (Docker
// Hub's docker.io is index.docker.io). Credentials the registry refuses give
// an *Error of kind ErrUnauthorized saying "wrong user or password for
// SERVER"; no error ever contains the user's secret.
func Login(ctx context.Context, server string, creds Credentials, opts Options) (string, error) {
	host := bareHost(server)
	var nopts []name.Option
	if plainHTTPAllowed(host, opts.Insecure) {
		nopts = append(nopts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, nopts...)
	if err != nil {
		return "", &Error{Ref: server, Kind: ErrBadReference, Detail: err.Error(), Err: err,
			Advice: "give the registry as HOST or HOST:PORT"}
	}
	if err := login(ctx, reg, creds.authenticator(), opts); err != nil {
		cerr := classify(err, reg.RegistryStr(), reg.RegistryStr())
		if errors.Is(cerr, ErrUnauthorized) {
			// classify's hint (log in) does not fit a login; the registry's
			// own words stay out of the message, they may echo what was sent.
			// No Host either: the advice to log in is no advice here.
			return "", &Error{Kind: ErrUnauthorized, Detail: "wrong user or password for " + reg.RegistryStr(), Err: err}
		}
		return "", cerr
	}
	return reg.RegistryStr(), nil
}

func login(ctx context.Context, reg name.Registry, auth authn.Authenticator, opts Options) error {
	rt := retrying(newGuard(opts), opts)
	scheme, err := pingScheme(ctx, reg, rt)
	if err != nil {
		return err
	}
	art, err := transport.NewWithContext(ctx, reg, auth, rt, []string{reg.Scope(transport.PullScope)})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s://%s/v2/", scheme, reg.RegistryStr()), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: art}).Do(req)
	if err != nil {
		return err
	}
	defer drain(resp)
	return transport.CheckError(resp, http.StatusOK)
}

// retrying puts go-containerregistry's retry and user-agent layers over the
// guard, for operations that talk HTTP themselves (Login, CheckPush).
func retrying(g http.RoundTripper, opts Options) http.RoundTripper {
	return transport.NewUserAgent(transport.NewRetry(g,
		transport.WithRetryBackoff(opts.backoff()),
		transport.WithRetryPredicate(retryable),
		transport.WithRetryStatusCodes(retryStatusCodes...)), "multiarch")
}

// pingScheme pings reg and returns the scheme that answered: a loopback or
// listed registry may serve HTTPS or plain HTTP.
func pingScheme(ctx context.Context, reg name.Registry, rt http.RoundTripper) (string, error) {
	ping, err := transport.Ping(ctx, reg, rt)
	if err != nil {
		return "", err
	}
	if ping.Insecure {
		return "http", nil
	}
	return "https", nil
}
