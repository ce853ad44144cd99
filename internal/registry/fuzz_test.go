package registry

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

// FuzzParseIndexManifest feeds arbitrary bytes through the path a fetched
// manifest takes (kind check, index parse, entry classification): it must
// return an error or a result, never panic.
func FuzzParseIndexManifest(f *testing.F) {
	for _, seed := range []string{
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1,"platform":{"os":"linux","architecture":"arm","variant":"v7"}}]}`,
		`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1,"platform":{"os":"unknown","architecture":"unknown"},"annotations":{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"sha256:1"}}]}`,
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":2},"layers":[]}`,
		`{"schemaVersion":2,"manifests":[{"platform":{"architecture":"aarch64"}}]}`,
		`{"schemaVersion":1,"fsLayers":[]}`,
		`{"manifests":null,"config":null}`,
		`[]`, `null`, `{`, "",
	} {
		f.Add([]byte(seed), string(types.OCIImageIndex))
		f.Add([]byte(seed), "")
	}
	f.Fuzz(func(t *testing.T, raw []byte, served string) {
		mt, err := manifestKind(raw, types.MediaType(served))
		if err == nil && !mt.IsIndex() && !mt.IsImage() {
			t.Fatalf("accepted media type %q", mt)
		}
		m, entries, err := parseIndex(raw, types.MediaType(served))
		if err != nil {
			return
		}
		if len(entries) != len(m.Manifests) {
			t.Fatalf("%d entries for %d manifests", len(entries), len(m.Manifests))
		}
		for _, e := range entries {
			_ = orUnknown(e.platform)
		}
	})
}
