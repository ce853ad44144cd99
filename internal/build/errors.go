package build

import (
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

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
