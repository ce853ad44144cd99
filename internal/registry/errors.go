package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Kinds of failure. Every *Error carries one of them as its Kind, so callers
// test with errors.Is(err, registry.ErrUnauthorized) and friends.
var (
	ErrBadReference         = errors.New("invalid reference")
	ErrUnauthorized         = errors.New("not authorized")
	ErrNotFound             = errors.New("not found")
	ErrUnreachable          = errors.New("registry unreachable")
	ErrInsecure             = errors.New("plain HTTP not allowed")
	ErrUnavailable          = errors.New("registry unavailable")
	ErrInvalidManifest      = errors.New("invalid manifest")
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	ErrDigestMismatch       = errors.New("digest mismatch")
	ErrTruncated            = errors.New("truncated content")
	ErrTimeout              = errors.New("registry timeout")
	ErrPlatform             = errors.New("platform problem")
	ErrRegistry             = errors.New("registry error")
)

// Error is a classified failure: which reference, what kind, what happened
// and what to do next. Its message never contains credentials; the
// underlying error (a transport.Error, net.OpError, …) stays reachable
// through errors.As.
//
// Advice is worded without CLI flags. A condition whose fix is a flag or a
// command of the caller (list the registry as insecure, log in) leaves it
// empty or partial and says so in typed fields instead: Kind, Host, TLS and
// MissingLayout, from which the CLI words its own advice.
type Error struct {
	Ref    string // reference or registry concerned, as the user wrote it
	Kind   error  // one of the Err* values
	Detail string // what happened
	Advice string // what to do next, flag-free; may be empty
	Err    error  // cause; may be nil

	// Host is the registry (HOST[:PORT]) that failed, refused or serves
	// plain HTTP, maybe a source's rather than Ref's; "" when no registry
	// was reached, and for Login's wrong credentials (logging in is no
	// advice for a failed login).
	Host string
	// TLS: the TLS handshake or the registry's certificate failed.
	TLS bool
	// MissingLayout is the OCI layout directory that holds no index.json;
	// "" for every other failure.
	MissingLayout string
	// Timeout is the inactivity deadline an ErrTimeout failure ran out
	// of (Options.ResponseTimeout); 0 for other kinds.
	Timeout time.Duration
	// RetryAfter is the wait a 429/503 answer asked for when it was longer
	// than the deadline and so not made (kind ErrUnavailable); 0 otherwise.
	RetryAfter time.Duration
}

// Hint is the next step the package knows, worded without CLI flags.
func (e *Error) Hint() string { return e.Advice }

func (e *Error) Error() string {
	var b strings.Builder
	if e.Ref != "" {
		b.WriteString(e.Ref)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Advice != "" {
		b.WriteString("; ")
		b.WriteString(e.Advice)
	}
	return b.String()
}

// Unwrap exposes both the kind and the cause to errors.Is / errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// DuplicatePlatformError is returned by CreateIndex when two sources provide
// the same platform.
type DuplicatePlatformError struct {
	Platform      string // normalised os/arch[/variant]
	First, Second string // the sources, as given
}

func (e *DuplicatePlatformError) Error() string {
	return fmt.Sprintf("platform %s is provided by both %s and %s; an index holds one image per platform, drop one of the sources",
		e.Platform, e.First, e.Second)
}

// Is makes a DuplicatePlatformError match ErrPlatform.
func (e *DuplicatePlatformError) Is(target error) bool { return target == ErrPlatform }

// classify turns an error from go-containerregistry or the network into an
// *Error for ref on registry reg. Errors already classified keep their kind
// and gain the reference if they had none.
func classify(err error, ref, reg string) error {
	if err == nil {
		return nil
	}
	if e := plainHTTPAnswer(err, ref, reg); e != nil {
		return e
	}
	var ours *Error
	if errors.As(err, &ours) {
		if ours.Ref == "" {
			c := *ours
			c.Ref = ref
			return &c
		}
		return ours
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", ref, err)
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		return classifyHTTP(terr, ref, reg)
	}
	if e := classifyNetwork(err, ref, reg); e != nil {
		return e
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Ref: ref, Kind: ErrTruncated, Err: err,
			Detail: "the connection closed before the whole content arrived",
			Advice: "retry; if it persists, the registry's storage or a proxy in between is cutting responses short"}
	}
	return &Error{Ref: ref, Kind: ErrRegistry, Detail: err.Error(), Err: err}
}

func classifyHTTP(terr *transport.Error, ref, reg string) error {
	if terr.Request != nil && terr.Request.URL != nil && terr.Request.URL.Host != "" {
		reg = terr.Request.URL.Host // the registry that answered, maybe a source's
	}
	code := terr.StatusCode
	has := func(codes ...transport.ErrorCode) bool {
		for _, d := range terr.Errors {
			for _, c := range codes {
				if d.Code == c {
					return true
				}
			}
		}
		return false
	}
	if e := byStatus(ref, reg, code, fmt.Sprintf("%d %s", code, http.StatusText(code)), "", has, terr); e != nil {
		return e
	}
	status := fmt.Sprintf("registry %s answered %d %s", reg, code, http.StatusText(code))
	switch {
	case (code == http.StatusNotFound && terr.Request != nil && strings.Contains(terr.Request.URL.Path, "/blobs/")) ||
		has(transport.BlobUnknownErrorCode):
		return &Error{Ref: ref, Kind: ErrNotFound, Err: terr, Detail: status + " for a blob the manifest references",
			Advice: "the registry lost part of this image; push the image again"}
	case code == http.StatusNotFound || has(transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode):
		return &Error{Ref: ref, Kind: ErrNotFound, Err: terr, Detail: status,
			Advice: "check the repository name and the tag or digest"}
	case has(transport.ManifestInvalidErrorCode, transport.ManifestBlobUnknownErrorCode, transport.DigestInvalidErrorCode):
		return &Error{Ref: ref, Kind: ErrInvalidManifest, Err: terr, Detail: terr.Error(),
			Advice: "the registry refused the manifest; check that every referenced blob and manifest exists"}
	}
	return &Error{Ref: ref, Kind: ErrRegistry, Err: terr, Detail: terr.Error()}
}

// byStatus classifies the answers whose HTTP status (code) or registry
// error codes (has) alone say what happened and what to do: refused
// (401/403, UNAUTHORIZED, DENIED), rate limited (429, TOOMANYREQUESTS) and
// registry faults (5xx, 408). answered words the answer ("500 Internal
// Server Error"), more is added to the detail; nil for any other answer.
func byStatus(ref, reg string, code int, answered, more string, has func(...transport.ErrorCode) bool, cause error) *Error {
	status := fmt.Sprintf("registry %s answered %s", reg, answered)
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden ||
		has(transport.UnauthorizedErrorCode, transport.DeniedErrorCode):
		// The registry's own text is left out on purpose: it is the
		// registry's words and may echo what we sent.
		// How to log in is the caller's to say: it names its own command.
		return &Error{Ref: ref, Kind: ErrUnauthorized, Err: cause, Detail: status + more, Host: reg}
	case code == http.StatusTooManyRequests || has(transport.TooManyRequestsErrorCode):
		return &Error{Ref: ref, Kind: ErrUnavailable, Err: cause, Detail: status + " (rate limited, after retries)" + more, Host: reg,
			Advice: "wait and retry, or log in: registries allow authenticated users more requests"}
	case code >= 500 || code == http.StatusRequestTimeout:
		return &Error{Ref: ref, Kind: ErrUnavailable, Err: cause, Detail: status + " (after retries)" + more, Host: reg,
			Advice: "the registry is failing; retry later or check its logs"}
	}
	return nil
}

// codeStatus is the HTTP status the registry API gives each error code
// that byStatus knows, for answers whose status another client dropped.
var codeStatus = map[transport.ErrorCode]int{
	transport.UnauthorizedErrorCode:    http.StatusUnauthorized,
	transport.DeniedErrorCode:          http.StatusForbidden,
	transport.TooManyRequestsErrorCode: http.StatusTooManyRequests,
	transport.UnavailableErrorCode:     http.StatusServiceUnavailable,
	transport.UnknownErrorCode:         http.StatusInternalServerError,
}

// AnsweredError classifies the failed answer of registry host to a
// request another client made (BuildKit's pusher) as this package
// classifies its own: the same kinds and advice. status is the HTTP status
// (0 when that client did not pass it on: it then comes from errCode, the
// registry API's error code such as TOOMANYREQUESTS, "" when none); detail
// is added to what happened, cause is kept. It returns nil for an answer
// whose status or code says nothing this package can advise on.
func AnsweredError(ref, host string, status int, errCode, detail string, cause error) *Error {
	code := transport.ErrorCode(strings.ToUpper(errCode))
	answered := fmt.Sprintf("%d %s", status, http.StatusText(status))
	if status == 0 {
		if status = codeStatus[code]; status == 0 {
			return nil
		}
		answered = fmt.Sprintf("%s (HTTP %d %s)", code, status, http.StatusText(status))
	}
	has := func(codes ...transport.ErrorCode) bool { return slices.Contains(codes, code) }
	return byStatus(ref, host, status, answered, detail, has, cause)
}

// plainHTTPAnswer recognises a registry that answered HTTPS in plain HTTP
// (net/http's ErrSchemeMismatch) and may not be reached over plain HTTP:
// the fix is to list it as insecure (the caller's to word, from Host), not
// to check that it runs. It returns nil for anything else, for an error
// already classified so, and when plain HTTP was allowed and answered
// (go-containerregistry tries it alongside HTTPS; that answer then tells
// more). When plain HTTP was tried and the guard refused it, the scheme
// mismatch still wins: it knows that the registry serves plain HTTP, the
// guard's refusal only that HTTPS failed.
func plainHTTPAnswer(err error, ref, reg string) error {
	if !errors.Is(err, http.ErrSchemeMismatch) {
		return nil
	}
	var (
		ours *Error
		terr *transport.Error
	)
	if errors.As(err, &ours) && (ours.Kind != ErrInsecure || errors.Is(ours, http.ErrSchemeMismatch)) {
		return nil
	}
	if errors.As(err, &terr) {
		return nil
	}
	reg = failedRegistry(err, reg)
	return &Error{Ref: ref, Kind: ErrInsecure, Err: err, Host: reg,
		Detail: reg + " serves plain HTTP"}
}

// failedRegistry is the host of the request err failed (maybe a source's
// registry rather than reg), else reg.
func failedRegistry(err error, reg string) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		if u, perr := url.Parse(urlErr.URL); perr == nil && u.Host != "" {
			return u.Host
		}
	}
	return reg
}

// classifyNetwork recognises failures to reach the registry at all: refused
// or timed-out connections, DNS, TLS. It returns nil for anything else.
func classifyNetwork(err error, ref, reg string) error {
	var urlErr *url.Error
	reg = failedRegistry(err, reg)
	// Whether a non-loopback registry might want plain HTTP is the
	// caller's to add (IsLoopback, Host).
	const hint = "check the address and that the registry is running"
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Ref: ref, Kind: ErrUnreachable, Err: err, Host: reg, Detail: "registry " + reg + " did not answer in time", Advice: hint}
	}
	var (
		opErr   *net.OpError
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		unkAuth x509.UnknownAuthorityError
		host    x509.HostnameError
		recErr  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &dnsErr):
		return &Error{Ref: ref, Kind: ErrUnreachable, Err: err, Host: reg, Detail: "cannot resolve " + dnsErr.Name, Advice: hint}
	case errors.As(err, &certErr), errors.As(err, &unkAuth), errors.As(err, &host), errors.As(err, &recErr):
		return &Error{Ref: ref, Kind: ErrUnreachable, Err: err, Host: reg, TLS: true,
			Detail: "TLS with " + reg + " failed: " + err.Error()}
	case errors.As(err, &opErr):
		detail := "cannot connect to " + reg + ": " + opErr.Err.Error()
		if opErr.Timeout() {
			detail = "connecting to " + reg + " timed out"
		}
		return &Error{Ref: ref, Kind: ErrUnreachable, Err: err, Host: reg, Detail: detail, Advice: hint}
	case errors.As(err, &urlErr):
		detail := "cannot talk to " + reg + ": " + urlErr.Err.Error()
		if urlErr.Timeout() {
			detail = "registry " + reg + " did not answer in time"
		}
		return &Error{Ref: ref, Kind: ErrUnreachable, Err: err, Host: reg, Detail: detail, Advice: hint}
	}
	return nil
}
