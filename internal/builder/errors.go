package builder

import (
	"fmt"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// UnreachableError says no builder answered at Address.
type UnreachableError struct {
	Address string
	Err     error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("no builder reachable at %s: %v", e.Address, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// NodeTLSError says the tcp:// node at Address answered, but TLS between
// it and this client failed: the node refused the client's certificate
// (or its lack of one), the client refused the node's certificate, or only
// one side speaks TLS. Problem says which, from a TLS handshake of the
// client's own; Err is what gRPC said, which is racy (a refused client
// certificate may show as a cut connection) and may not mention TLS. What
// to check is the caller's to say: it names the caller's TLS options.
type NodeTLSError struct {
	Address string
	Problem string
	// Plain says the node answered without TLS though the builder has TLS
	// options for it.
	Plain bool
	Err   error
}

func (e *NodeTLSError) Error() string {
	return fmt.Sprintf("TLS with node %s failed: %s", e.Address, e.Problem)
}

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
	names := make([]string, len(e.Platforms))
	for i, p := range e.Platforms {
		names[i] = p.String()
	}
	return fmt.Sprintf("builder at %s cannot build %s (its workers run %s)",
		e.Address, strings.Join(names, ", "), strings.Join(e.Supported, ", "))
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
