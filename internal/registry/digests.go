package registry

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrNotIndex says a reference that should name an index names an image.
var ErrNotIndex = errors.New("an image, not an index")

// PlatformDigest is the manifest digest of one platform entry of an index.
type PlatformDigest struct {
	// Platform is "os/arch[/variant]" as the index spells it.
	Platform string
	Digest   string
}

// IndexPlatforms resolves ref (under opts' transport policy, digest
// checked) and lists the platform entries of the index it names;
// attestation manifests have no platform of their own and are skipped. A
// ref naming an image is an error wrapping ErrNotIndex.
func IndexPlatforms(ctx context.Context, ref string, opts Options) ([]PlatformDigest, error) {
	r, err := Resolve(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	if r.Kind != KindIndex {
		return nil, fmt.Errorf("%s: %w", ref, ErrNotIndex)
	}
	m, err := r.Index.IndexManifest()
	if err != nil {
		return nil, err
	}
	return platformDigests(m), nil
}

// LayoutTarPlatforms lists the platform entries of the index whose digest
// is digest in an OCI layout tarball file.
func LayoutTarPlatforms(file, digest string) ([]PlatformDigest, error) {
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

// platformDigests lists the platform entries of an index manifest,
// skipping attestations by the one rule (Attestation).
func platformDigests(m *v1.IndexManifest) []PlatformDigest {
	var out []PlatformDigest
	for _, d := range m.Manifests {
		if _, att := Attestation(d); d.Platform == nil || att {
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
