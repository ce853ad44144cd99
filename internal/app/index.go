package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/verify"
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
	// Platforms give the entries of a source (key: the source as given in
	// Sources) a platform of the table ("linux/arm/v6"): of the entries'
	// own architecture, adding a variant their configs do not state.
	// nil: an entry whose config names arm without a variant gets the
	// oldest variant its binaries fit, as verify judges them, or is
	// refused when they do not say.
	Platforms map[string]string
}

// CreateIndex assembles an index of every source, refusing two sources of
// one platform, copies the children into the target repository and writes
// the index under every target last, so a failure never leaves a tag
// pointing at a partial index.
func CreateIndex(ctx context.Context, o IndexOptions) (*registry.Created, error) {
	if len(o.Targets) == 0 {
		return nil, errors.New("name the reference to push the index to")
	}
	given, err := givenPlatforms(o.Platforms, o.Sources)
	if err != nil {
		return nil, err
	}
	return registry.CreateIndex(ctx, o.Targets[0], o.Sources, registry.CreateOptions{
		Options: o.Registry, Annotations: o.Annotations, ExtraTargets: o.Targets[1:], DryRun: o.DryRun,
		Platforms: given, Variant: variantFromBinaries,
	})
}

// givenPlatforms parses the platforms given per source: each a row of
// the table, each source one of the sources.
func givenPlatforms(in map[string]string, sources []string) (map[string]platform.Platform, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]platform.Platform, len(in))
	for src, name := range in {
		if !slices.Contains(sources, src) {
			return nil, fmt.Errorf("a platform is given for %s, which is not one of the sources (%s)", src, strings.Join(sources, ", "))
		}
		p, err := platform.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("platform for %s: %w", src, err)
		}
		out[src] = p
	}
	return out, nil
}

// variantFromBinaries reads an image's variant the way verify judges its
// ELF files: the oldest variant of arch every file fits, when some file
// states its level (ARM attributes, Go's GOARM).
func variantFromBinaries(ctx context.Context, img *registry.Image, arch string) (platform.Platform, error) {
	return verify.OldestVariant(ctx, img, arch, verify.Options{})
}
