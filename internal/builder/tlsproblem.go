package builder

import (
	"fmt"
	"strings"
)

// TLSProblem is what a TLS handshake of the client's own showed about a
// node whose TLS failed (NodeTLSError.Kind).
type TLSProblem int

const (
	// TLSHandshakeFailed: the handshake failed for another reason (Cause).
	TLSHandshakeFailed TLSProblem = iota
	// TLSNoOptions: the node speaks TLS, and the builder has no TLS
	// options for it.
	TLSNoOptions
	// TLSPlainNode: the node does not speak TLS, though the builder has
	// TLS options for it.
	TLSPlainNode
	// TLSUnknownAuthority: the node's certificate is signed by Issuer,
	// which is not a CA in the CA file CA (the system's CAs if empty).
	TLSUnknownAuthority
	// TLSWrongHost: the node's certificate is not valid for Host.
	TLSWrongHost
	// TLSBadServerCert: the node's certificate does not verify otherwise.
	TLSBadServerCert
	// TLSClientCertMissing: the node requires a client certificate
	// (signed by one of AcceptableCAs), and none was given.
	TLSClientCertMissing
	// TLSClientCertForeign: the node requires a client certificate signed
	// by one of AcceptableCAs, and Cert is signed by Issuer, so none was
	// sent.
	TLSClientCertForeign
	// TLSClientCertRefused: the node refused the client certificate Cert.
	TLSClientCertRefused
)

// Problem says what TLS with the node found, naming the TLS files as
// files, not as any caller's options.
func (e *NodeTLSError) Problem() string {
	switch e.Kind {
	case TLSNoOptions:
		return "it speaks TLS, and the builder has no TLS options for it"
	case TLSPlainNode:
		return "it does not speak TLS"
	case TLSUnknownAuthority:
		trusted := "the CA file " + e.CA
		if e.CA == "" {
			trusted = "the system's CA certificates (no CA file given)"
		}
		return fmt.Sprintf("its certificate is signed by %s, which is not a CA in %s%s", e.Issuer, trusted, e.cause())
	case TLSWrongHost:
		return fmt.Sprintf("its certificate is not valid for %s%s", e.Host, e.cause())
	case TLSBadServerCert:
		return "its certificate does not verify" + e.cause()
	case TLSClientCertMissing:
		return e.ClientCertWanted() + ", and none was given"
	case TLSClientCertForeign:
		return fmt.Sprintf("%s, and the client certificate %s is signed by %s (so none was sent)", e.ClientCertWanted(), e.Cert, e.Issuer)
	case TLSClientCertRefused:
		return fmt.Sprintf("it refused the client certificate %s%s", e.Cert, e.cause())
	}
	return "the TLS handshake failed" + e.cause()
}

// ClientCertWanted says that the node requires a client certificate, and
// signed by which CAs if it said.
func (e *NodeTLSError) ClientCertWanted() string {
	want := "it requires a client certificate"
	if len(e.AcceptableCAs) > 0 {
		want += " signed by " + strings.Join(e.AcceptableCAs, " or ")
	}
	return want
}

// cause is " (Cause)", or nothing without one.
func (e *NodeTLSError) cause() string {
	if e.Cause == nil {
		return ""
	}
	return fmt.Sprintf(" (%v)", e.Cause)
}
