package builder

import (
	"fmt"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// UnreachableError says no builder answered at Address.
type UnreachableError struct {
	Address string
	// TimedOut says the connection did not fail, the answer just never
	// came within the deadline: a daemon that is stopped or stuck (or a
	// network that drops packets), not one that is gone.
	TimedOut bool
	Err      error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("no builder reachable at %s: %v", e.Address, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// NodeTLSError says the tcp:// node at Address answered, but TLS between
// it and this client failed: the node refused the client's certificate
// (or its lack of one), the client refused the node's certificate, or only
// one side speaks TLS. Kind says which, from a TLS handshake of the
// client's own, and the other fields what it involved; Err is what gRPC
// said, which is racy (a refused client certificate may show as a cut
// connection) and may not mention TLS. Problem words it without the
// caller's names for the TLS options; what to check is the caller's to
// say.
type NodeTLSError struct {
	Address string
	Kind    TLSProblem
	// CA is the node's CA file, empty for the system's CA certificates
	// (TLSUnknownAuthority).
	CA string
	// Cert is the client certificate file (TLSClientCertForeign,
	// TLSClientCertRefused).
	Cert string
	// Issuer is who signed the node's certificate (TLSUnknownAuthority)
	// or the client certificate (TLSClientCertForeign).
	Issuer string
	// Host is the name the node's certificate is not valid for
	// (TLSWrongHost).
	Host string
	// AcceptableCAs are the CAs the node asked a client certificate to be
	// signed by (TLSClientCertMissing, TLSClientCertForeign), if it said.
	AcceptableCAs []string
	// Cause is what the handshake reported, nil if it says no more than
	// Kind.
	Cause error
	Err   error
}

func (e *NodeTLSError) Error() string {
	return fmt.Sprintf("TLS with node %s failed: %s", e.Address, e.Problem())
}

// Plain reports whether the node answered without TLS though the builder
// has TLS options for it.
func (e *NodeTLSError) Plain() bool { return e.Kind == TLSPlainNode }

func (e *NodeTLSError) Unwrap() error { return e.Err }

// UnsupportedPlatformError says the builder at Address has no worker for
// Platforms (no emulator registered for them, or the wrong machine).
type UnsupportedPlatformError struct {
	Address   string
	Platforms []platform.Platform
	// Supported are the platforms the builder's workers report.
	Supported []string
}

func (e *UnsupportedPlatformError) Error() string {
	return fmt.Sprintf("builder at %s cannot build %s (its workers run %s)",
		e.Address, strings.Join(platformNames(e.Platforms), ", "), strings.Join(e.Supported, ", "))
}

// TLSFileError is a node's TLS file that does not load: the CA file
// (CA set, unreadable or without a PEM certificate), or the client
// certificate and key (Cert and Key set). Err is nil for a CA file that
// holds no PEM certificate.
type TLSFileError struct {
	CA        string
	Cert, Key string
	Err       error
}

func (e *TLSFileError) Error() string {
	switch {
	case e.CA != "" && e.Err == nil:
		return fmt.Sprintf("CA file %s holds no PEM certificate", e.CA)
	case e.CA != "":
		return fmt.Sprintf("CA file: %v", e.Err)
	}
	return fmt.Sprintf("client certificate %s, key %s: %v", e.Cert, e.Key, e.Err)
}

func (e *TLSFileError) Unwrap() error { return e.Err }

// ConnectionLostError says the connection to the builder at Address broke
// while it built: its daemon was killed, crashed or restarted (or, for a
// remote one, the network failed). Nothing it was building was exported.
type ConnectionLostError struct {
	Address string
	Err     error
}

func (e *ConnectionLostError) Error() string {
	return fmt.Sprintf("the builder at %s stopped answering during the build (connection lost: %v)", e.Address, e.Err)
}

func (e *ConnectionLostError) Unwrap() error { return e.Err }
