package build

import (
	"context"
	"errors"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// PlatformDigest is the manifest digest of one platform of the index.
type PlatformDigest struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest"`
	// Node is the endpoint of the node that built it.
	Node string `json:"node,omitempty"`
}

func fromRegistry(ds []registry.PlatformDigest) []PlatformDigest {
	var out []PlatformDigest
	for _, d := range ds {
		out = append(out, PlatformDigest{Platform: d.Platform, Digest: d.Digest})
	}
	return out
}

// pushedDigests reads the index pushed as ref (REPOSITORY@DIGEST) back, through
// internal/registry (its transport policy, digest check and typed errors).
func pushedDigests(ctx context.Context, ref string, o Options) ([]PlatformDigest, error) {
	ds, err := registry.IndexPlatforms(ctx, ref, o.Registry)
	if errors.Is(err, registry.ErrNotIndex) {
		return nil, fmt.Errorf("read back %s: the exporter wrote an image, not an index", ref)
	}
	if err != nil {
		return nil, fmt.Errorf("read back: %w", err)
	}
	return fromRegistry(ds), nil
}

// ociDigests reads the index whose digest is digest out of an OCI layout
// tarball.
func ociDigests(file, digest string) ([]PlatformDigest, error) {
	ds, err := registry.LayoutTarPlatforms(file, digest)
	if err != nil {
		return nil, err
	}
	return fromRegistry(ds), nil
}
