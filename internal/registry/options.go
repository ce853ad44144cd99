package registry

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Defaults used when the matching Options field is zero.
const (
	DefaultDialTimeout = 10 * time.Second
	// DefaultResponseTimeout is the default inactivity deadline (see
	// Options.ResponseTimeout).
	DefaultResponseTimeout = 60 * time.Second
	DefaultJobs            = 4
)

// DefaultRetry is go-containerregistry's own policy, stated here so it is
// documented: three tries, waiting about 1s then 3s.
var DefaultRetry = remote.Backoff{Duration: time.Second, Factor: 3, Jitter: 0.1, Steps: 3}

// retryStatusCodes are the answers worth another try: timeouts, rate limits
// and server errors.
var retryStatusCodes = []int{
	http.StatusRequestTimeout, http.StatusTooManyRequests,
	http.StatusInternalServerError, http.StatusBadGateway,
	http.StatusServiceUnavailable, http.StatusGatewayTimeout,
}

// Options configures every registry operation. The zero value is ready to
// use: docker credentials, HTTPS except for loopback registries, retries,
// bounded timeouts.
type Options struct {
	// Keychain finds credentials per registry. Default: authn.DefaultKeychain
	// (docker config.json and its credential helpers).
	Keychain authn.Keychain

	// Insecure lists registries that may be reached over plain HTTP, as
	// "host" (any port) or "host:port". Loopback registries (localhost,
	// 127.0.0.0/8, ::1) always may; everything else uses HTTPS.
	Insecure []string

	// Logger receives debug detail. Default: discard.
	Logger *slog.Logger

	// Transport is the base HTTP transport, below authentication and
	// retries. Default: go-containerregistry's transport with DialTimeout
	// applied. Tests inject their own. ResponseTimeout applies above it,
	// whichever it is.
	Transport http.RoundTripper

	// DialTimeout bounds connecting to a registry. Default 10s.
	DialTimeout time.Duration

	// ResponseTimeout is the inactivity deadline of every request: the
	// longest the registry may go without accepting any of a request being
	// sent (an upload), without answering (headers), or without sending any
	// byte of an answer's body while it is read (a manifest, a layer). A
	// transfer that keeps progressing may take as long as it needs; one
	// that stalls fails with an ErrTimeout error after this long. It is
	// also the longest 429/503 Retry-After this package waits: a longer
	// one is an ErrUnavailable error. Despite its name it bounds more than
	// the wait for a response; the name stays because callers (BuildKit's
	// push deadline) read it as the one registry timeout. Default 60s.
	ResponseTimeout time.Duration

	// Retry is the backoff for retrying 408/429/5xx answers and network
	// flakes (resets, cut connections). Failures to connect and timeouts
	// are not retried: an unreachable registry fails after one DialTimeout.
	// Zero: DefaultRetry.
	Retry remote.Backoff

	// Jobs bounds concurrent fetches and uploads. Default 4.
	Jobs int
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

func (o Options) keychain() authn.Keychain {
	if o.Keychain == nil {
		return authn.DefaultKeychain
	}
	return o.Keychain
}

func (o Options) jobs() int {
	if o.Jobs <= 0 {
		return DefaultJobs
	}
	return o.Jobs
}

func (o Options) baseTransport() http.RoundTripper {
	if o.Transport != nil {
		return o.Transport
	}
	dial := o.DialTimeout
	if dial <= 0 {
		dial = DefaultDialTimeout
	}
	t, ok := remote.DefaultTransport.(*http.Transport)
	if !ok {
		t = http.DefaultTransport.(*http.Transport)
	}
	t = t.Clone()
	t.DialContext = (&net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = dial
	// The answer's headers are under the guard's inactivity deadline
	// (responseTimeout), with the rest of each request.
	t.ResponseHeaderTimeout = 0
	return t
}

// responseTimeout is the inactivity deadline: ResponseTimeout or its
// default.
func (o Options) responseTimeout() time.Duration {
	if o.ResponseTimeout <= 0 {
		return DefaultResponseTimeout
	}
	return o.ResponseTimeout
}

func (o Options) backoff() remote.Backoff {
	if o.Retry.Steps == 0 {
		return DefaultRetry
	}
	return o.Retry
}

// remoteOptions are the go-containerregistry options for one operation.
// The transport is built by the caller once per operation, so connections
// and the policy it enforces are shared by every request of the operation.
func (o Options) remoteOptions(ctx context.Context, rt http.RoundTripper) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(o.keychain()),
		remote.WithTransport(rt),
		remote.WithRetryBackoff(o.backoff()),
		remote.WithRetryPredicate(retryable),
		remote.WithRetryStatusCodes(retryStatusCodes...),
		remote.WithJobs(o.jobs()),
		remote.WithUserAgent("multiarch"),
	}
}

// retryable is go-containerregistry's default retry predicate minus
// connection failures and timeouts, which would multiply the wait for an
// unreachable registry by the number of tries, plus the answers of
// retryStatusCodes to writes: go-containerregistry retries a manifest PUT
// or a blob upload as a whole, through this predicate alone, and its error
// for a 5xx or 429 answer there does not say Temporary.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var terr *transport.Error
	if errors.As(err, &terr) && slices.Contains(retryStatusCodes, terr.StatusCode) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	var tmp interface{ Temporary() bool }
	if errors.As(err, &tmp) && tmp.Temporary() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed)
}
