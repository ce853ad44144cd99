package build

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// PlatformDigest is the manifest digest of one platform of the index.
type PlatformDigest struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest"`
	// Node is the endpoint of the node that built it.
	Node string `json:"node,omitempty"`
}

// platformDigests lists the platform entries of an index manifest
// (attestation manifests have no platform of their own and are skipped).
func platformDigests(m *v1.IndexManifest) []PlatformDigest {
	var out []PlatformDigest
	for _, d := range m.Manifests {
		if d.Platform == nil || d.Platform.OS == "unknown" {
			continue
		}
		p := d.Platform.OS + "/" + d.Platform.Architecture
		if d.Platform.Variant != "" {
			p += "/" + d.Platform.Variant
		}
		out = append(out, PlatformDigest{Platform: p, Digest: d.Digest.String()})
	}
	return out
}

// pushedDigests reads the pushed index back by digest, through
// internal/registry (its transport policy, digest check and typed errors).
func pushedDigests(ctx context.Context, tag, digest string, o Options) ([]PlatformDigest, error) {
	ref := repository(tag) + "@" + digest
	r, err := registry.Resolve(ctx, ref, registry.Options{Keychain: o.Keychain, Insecure: o.Insecure, Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("read back: %w", err)
	}
	if r.Kind != registry.KindIndex {
		return nil, fmt.Errorf("read back %s: the exporter wrote an image, not an index", ref)
	}
	m, err := r.Index.IndexManifest()
	if err != nil {
		return nil, err
	}
	return platformDigests(m), nil
}

// ociDigests reads the index whose digest is digest out of an OCI layout
// tarball.
func ociDigests(file, digest string) ([]PlatformDigest, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return nil, err
	}
	want := path.Join("blobs", h.Algorithm, h.Hex)
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: no blob %s", file, digest)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if path.Clean(hdr.Name) != want {
			continue
		}
		var m v1.IndexManifest
		if err := json.NewDecoder(tr).Decode(&m); err != nil {
			return nil, fmt.Errorf("%s: index %s: %w", file, digest, err)
		}
		return platformDigests(&m), nil
	}
}

// repository is the repository of ref (no tag, no digest).
func repository(ref string) string {
	r, err := name.ParseReference(ref)
	if err != nil {
		return ref
	}
	return r.Context().String()
}
