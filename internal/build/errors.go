package build

import (
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
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

// PushError says BuildKit's exporter failed to push a build's result to a
// registry: what it was pushing, and the registry's answer as
// internal/registry classifies its own (Err, a *registry.Error with the
// registry's host, the HTTP status, its kind and advice). The push ran in
// the daemon: layers or manifests of Ref may have reached the registry,
// but the tag whose push failed was not written.
type PushError struct {
	// Ref is the image being pushed, as the exporter names it.
	Ref string
	// What is what was being pushed: "the index under tag v1", "the
	// manifest sha256:…", "a blob", "the layers", "the manifests and the
	// index", "the image".
	What string
	Err  *registry.Error
}

func (e *PushError) Error() string {
	return fmt.Sprintf("push of %s failed while pushing %s: %v", e.Ref, e.What, e.Err)
}

func (e *PushError) Unwrap() error { return e.Err }
