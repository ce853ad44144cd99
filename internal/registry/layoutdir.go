package registry

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxIndexBytes bounds the index manifest read out of a layout directory.
const maxIndexBytes = 4 << 20

// LayoutDirPlatforms lists the platform entries of the index whose digest
// is digest in an OCI layout directory (its blobs/ALG/HEX file, checked
// against digest).
func LayoutDirPlatforms(dir, digest string) ([]PlatformDigest, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "blobs", h.Algorithm, h.Hex)
	fi, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("%s: no blob %s: %w", dir, digest, err)
	}
	if fi.Size() > maxIndexBytes {
		return nil, fmt.Errorf("%s: index %s is %d bytes, more than an index may be (%d)", dir, digest, fi.Size(), maxIndexBytes)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if err := checkDigest(b, h); err != nil {
		return nil, fmt.Errorf("%s: index %s: %w", dir, digest, err)
	}
	var m v1.IndexManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: index %s: %w", dir, digest, err)
	}
	return platformDigests(&m), nil
}
