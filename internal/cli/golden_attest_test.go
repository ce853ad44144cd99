package cli

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestGoldenInspectAttestations: inspect --sbom --provenance --json of an
// index laid out as BuildKit lays it out (one provenance attestation per
// platform, no SBOM). Digests depend on the busybox fixture and are
// normalised.
func TestGoldenInspectAttestations(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t)
	ref := reg.Ref("app/attested", "1")
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	d := testenv.PushIndexWithAttestations(t, ref, ps...)
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	values := []string{reg.Host, "REGISTRY", d.String(), "INDEX_DIGEST"}
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.OS == "linux" {
			values = append(values, m.Digest.String(), platformKey(m.Platform)+"_DIGEST")
		}
	}
	out := goldenJSON(t, 0, "inspect", "--sbom", "--provenance", "--json", ref)
	checkGolden(t, "inspect-attestations", out, normaliser{values})
}
