package build

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

// PushRefusedError says the registry refused to let us push Ref (HTTP
// StatusCode 401 or 403): missing or wrong credentials.
type PushRefusedError struct {
	Ref        string
	StatusCode int
	Err        error
}

func (e *PushRefusedError) Error() string {
	return fmt.Sprintf("registry refused push to %s (HTTP %d): %v", e.Ref, e.StatusCode, e.Err)
}

func (e *PushRefusedError) Unwrap() error { return e.Err }

// RegistryUnreachableError says the registry of Ref could not be reached
// over the network.
type RegistryUnreachableError struct {
	Registry string
	Err      error
}

func (e *RegistryUnreachableError) Error() string {
	return fmt.Sprintf("registry %s unreachable: %v", e.Registry, e.Err)
}

func (e *RegistryUnreachableError) Unwrap() error { return e.Err }

// DaemonStartError says the embedded buildkitd did not come up; its log is
// at LogFile.
type DaemonStartError struct {
	LogFile string
	Err     error
}

func (e *DaemonStartError) Error() string {
	return fmt.Sprintf("buildkitd did not start: %v (log: %s)", e.Err, e.LogFile)
}

func (e *DaemonStartError) Unwrap() error { return e.Err }

// NodeBuildError says the solve on Node (building Platforms) failed; in a
// multi-node build the other nodes' solves were cancelled and no tag was
// written.
type NodeBuildError struct {
	Node      string
	Platforms []platform.Platform
	Err       error
}

func (e *NodeBuildError) Error() string {
	return fmt.Sprintf("node %s (%s): %v", e.Node, platformList(e.Platforms), e.Err)
}

func (e *NodeBuildError) Unwrap() error { return e.Err }
