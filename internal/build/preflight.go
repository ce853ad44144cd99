package build

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// checkPush asks each tag's registry whether we may push there, before
// any build time is spent: 401/403 is a *PushRefusedError, a network
// failure a *RegistryUnreachableError. The check runs from this machine;
// a remote builder is assumed to reach the same registries.
func checkPush(ctx context.Context, tags []string, kc authn.Keychain, insecure []string) error {
	seen := map[string]bool{}
	for _, t := range tags {
		ref, err := name.ParseReference(t, nameOpts(insecure, t)...)
		if err != nil {
			return err
		}
		repo := ref.Context().String()
		if seen[repo] {
			continue
		}
		seen[repo] = true
		if err := classifyRegistryErr(t, ref.Context().RegistryStr(), checkPushRef(ctx, ref, kc)); err != nil {
			return err
		}
	}
	return nil
}

func checkPushRef(ctx context.Context, ref name.Reference, kc authn.Keychain) error {
	tr := transportWithContext(ctx)
	return remote.CheckPushPermission(ref, kc, tr)
}

// transportWithContext makes requests of code that takes no context
// (remote.CheckPushPermission) end with ctx.
func transportWithContext(ctx context.Context) http.RoundTripper {
	return ctxTransport{ctx: ctx, next: remote.DefaultTransport}
}

type ctxTransport struct {
	ctx  context.Context
	next http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.next.RoundTrip(r.WithContext(t.ctx))
}

func classifyRegistryErr(ref, registry string, err error) error {
	if err == nil {
		return nil
	}
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return &PushRefusedError{Ref: ref, StatusCode: terr.StatusCode, Err: err}
	}
	var nerr net.Error
	if errors.As(err, &nerr) {
		return &RegistryUnreachableError{Registry: registry, Err: err}
	}
	return err
}

// nameOpts marks ref's registry insecure (plain HTTP allowed) when it is
// listed in insecure as host or host:port.
func nameOpts(insecure []string, ref string) []name.Option {
	if listedInsecure(insecure, ref) {
		return []name.Option{name.Insecure}
	}
	return nil
}

func listedInsecure(insecure []string, ref string) bool {
	r, err := name.ParseReference(ref)
	if err != nil {
		return false
	}
	hostport := r.Context().RegistryStr()
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	for _, h := range insecure {
		if h == hostport || h == host {
			return true
		}
	}
	return false
}
