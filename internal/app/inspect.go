package app

import (
	"context"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// InspectOptions name what Inspect reads.
type InspectOptions struct {
	// Ref is REGISTRY/REPOSITORY:TAG, REGISTRY/REPOSITORY@DIGEST or
	// oci-layout://PATH[:TAG], oci-archive:FILE[:TAG] or a
	// path to such a tarball.
	Ref string
	// Registry is how registries are reached (insecure list, logger).
	Registry registry.Options
}

// Inspect describes what Ref points at: its kind, digest and size, each
// platform's manifest, config and layers, attestations apart, and the
// manifest's bytes as served (Raw).
func Inspect(ctx context.Context, o InspectOptions) (*registry.Inspection, error) {
	return registry.Inspect(ctx, o.Ref, o.Registry)
}
