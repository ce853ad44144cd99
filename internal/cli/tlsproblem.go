package cli

import (
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/builder"
)

// tlsProblem says what TLS with a node found, as e.Problem does, naming
// the node's TLS files by the builder create options that gave them.
func tlsProblem(e *builder.NodeTLSError) string {
	switch e.Kind {
	case builder.TLSNoOptions:
		return "it speaks TLS, and the builder has no --tls-* options for it"
	case builder.TLSUnknownAuthority:
		trusted := "--tls-ca " + e.CA
		if e.CA == "" {
			trusted = "the system's CA certificates (no --tls-ca given)"
		}
		return fmt.Sprintf("its certificate is signed by %s, which is not a CA in %s%s", e.Issuer, trusted, tlsCause(e))
	case builder.TLSClientCertMissing:
		return e.ClientCertWanted() + ", and none was given (--tls-cert, --tls-key)"
	case builder.TLSClientCertForeign:
		return fmt.Sprintf("%s, and --tls-cert %s is signed by %s (so none was sent)", e.ClientCertWanted(), e.Cert, e.Issuer)
	case builder.TLSClientCertRefused:
		return fmt.Sprintf("it refused the client certificate --tls-cert %s%s", e.Cert, tlsCause(e))
	}
	return e.Problem() // names no TLS file
}

// tlsOptionDetail is the line after a node's failed TLS that names the
// option behind the file e.Problem speaks of; empty when it names none.
func tlsOptionDetail(e *builder.NodeTLSError) string {
	switch e.Kind {
	case builder.TLSNoOptions:
		return "the builder has no --tls-* options for the node"
	case builder.TLSUnknownAuthority:
		if e.CA == "" {
			return "no --tls-ca was given, so the node's certificate is checked against the system's CA certificates"
		}
		return "the CA file is --tls-ca " + e.CA
	case builder.TLSClientCertMissing:
		return "no client certificate was given (--tls-cert, --tls-key)"
	case builder.TLSClientCertForeign, builder.TLSClientCertRefused:
		return "the client certificate is --tls-cert " + e.Cert
	}
	return ""
}

// tlsHints are what to do about a node's failed TLS: the option behind
// the file its problem names, then what to check.
func tlsHints(e *builder.NodeTLSError) []string {
	if d := tlsOptionDetail(e); d != "" {
		return []string{d, tlsAdvice(e)}
	}
	return []string{tlsAdvice(e)}
}

// tlsCause is " (e.Cause)", or nothing without one.
func tlsCause(e *builder.NodeTLSError) string {
	if e.Cause == nil {
		return ""
	}
	return fmt.Sprintf(" (%v)", e.Cause)
}
