package registry

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLayoutDirPlatforms: the index's platforms are read from its blob;
// a missing blob, a bad digest, a blob that is not the digest's and an
// oversized index are errors.
func TestLayoutDirPlatforms(t *testing.T) {
	dir := t.TempDir()
	idx := `{"schemaVersion":2,"manifests":[` +
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("a", 64) + `","size":1,"platform":{"os":"linux","architecture":"arm64"}},` +
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("b", 64) + `","size":1,"platform":{"os":"linux","architecture":"arm","variant":"v7"}}]}`
	sum := sha256.Sum256([]byte(idx))
	hex := fmt.Sprintf("%x", sum)
	os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755)
	os.WriteFile(filepath.Join(dir, "blobs", "sha256", hex), []byte(idx), 0o644)
	ds, err := LayoutDirPlatforms(dir, "sha256:"+hex)
	if err != nil || len(ds) != 2 || ds[1].Platform != "linux/arm/v7" || ds[0].Digest != "sha256:"+strings.Repeat("a", 64) {
		t.Errorf("platforms %v %v", ds, err)
	}
	if _, err := LayoutDirPlatforms(dir, "sha256:"+strings.Repeat("d", 64)); err == nil || !strings.Contains(err.Error(), "no blob") {
		t.Errorf("missing blob: %v", err)
	}
	other := strings.Repeat("c", 64)
	os.WriteFile(filepath.Join(dir, "blobs", "sha256", other), []byte(idx), 0o644)
	if ds, err := LayoutDirPlatforms(dir, "sha256:"+other); err == nil {
		t.Errorf("blob not matching its digest read: %v", ds)
	}
	if _, err := LayoutDirPlatforms(dir, "sha256:nothex"); err == nil {
		t.Error("bad digest accepted")
	}
	big := strings.Repeat("e", 64)
	os.WriteFile(filepath.Join(dir, "blobs", "sha256", big), make([]byte, maxIndexBytes+1), 0o644)
	if _, err := LayoutDirPlatforms(dir, "sha256:"+big); err == nil || !strings.Contains(err.Error(), "more than an index may be") {
		t.Errorf("oversized index: %v", err)
	}
}
