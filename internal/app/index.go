package app

import (
	"context"
	"errors"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// IndexOptions say which index CreateIndex assembles and where it goes.
type IndexOptions struct {
	// Targets are the references (REGISTRY/REPOSITORY:TAG) the index is
	// written under, the first also the repository children are copied
	// into. At least one.
	Targets []string
	// Sources are the images (one entry, platform from the config) and
	// indexes (every entry) the index holds. At least one.
	Sources []string
	// Annotations go on the index. nil: none.
	Annotations map[string]string
	// DryRun resolves and validates and writes nothing; the report holds
	// the bytes that would be pushed.
	DryRun bool
	// Registry is how registries are reached (insecure list, logger).
	Registry registry.Options
}

// CreateIndex assembles an index of every source, refusing two sources of
// one platform, copies the children into the target repository and writes
// the index under every target last, so a failure never leaves a tag
// pointing at a partial index.
func CreateIndex(ctx context.Context, o IndexOptions) (*registry.Created, error) {
	if len(o.Targets) == 0 {
		return nil, errors.New("name the reference to push the index to")
	}
	return registry.CreateIndex(ctx, o.Targets[0], o.Sources, registry.CreateOptions{
		Options: o.Registry, Annotations: o.Annotations, ExtraTargets: o.Targets[1:], DryRun: o.DryRun,
	})
}
