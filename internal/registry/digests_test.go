package registry

import (
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestPlatformDigests(t *testing.T) {
	h := func(c byte) v1.Hash { return v1.Hash{Algorithm: "sha256", Hex: string(slices.Repeat([]byte{c}, 64))} }
	m := &v1.IndexManifest{Manifests: []v1.Descriptor{
		{Digest: h('a'), Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}},
		{Digest: h('b'), Platform: &v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{Digest: h('c'), Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}},
		{Digest: h('d'), Platform: &v1.Platform{OS: "linux", Architecture: "amd64"},
			Annotations: map[string]string{annotationReferenceType: attestationManifestType}},
		{Digest: h('e')},
	}}
	want := []PlatformDigest{{"linux/amd64", h('a').String()}, {"linux/arm/v7", h('b').String()}}
	if got := platformDigests(m); !slices.Equal(got, want) {
		t.Errorf("platformDigests = %v, want %v", got, want)
	}
}
