package registry

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func platformsOf(ms []Manifest) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Platform)
	}
	return out
}

func TestInspectIndexes(t *testing.T) {
	reg := startRegistry(t, nil)
	amd64, arm64, armv7 := plat{"linux", "amd64", ""}, plat{"linux", "arm64", "v8"}, plat{"linux", "arm", "v7"}

	tests := []struct {
		name          string
		idx           v1.ImageIndex
		mediaType     types.MediaType
		platforms     []string
		attestations  int
		entryMediaTyp types.MediaType
	}{
		{"oci index", index(t, true, amd64, arm64), types.OCIImageIndex, []string{"linux/amd64", "linux/arm64"}, 0, types.OCIManifestSchema1},
		{"docker manifest list", index(t, false, amd64, armv7), types.DockerManifestList, []string{"linux/amd64", "linux/arm/v7"}, 0, types.DockerManifestSchema2},
		{"attestations", withAttestations(t, index(t, true, amd64, armv7)), types.OCIImageIndex, []string{"linux/amd64", "linux/arm/v7"}, 2, types.OCIManifestSchema1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref := reg.ref("inspect/" + strings.ReplaceAll(tc.name, " ", "-") + ":1")
			want := testenv.PushIndex(t, ref, tc.idx)
			ins, err := Inspect(context.Background(), ref, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			if ins.Kind != KindIndex || ins.MediaType != string(tc.mediaType) || ins.Digest != want.String() {
				t.Errorf("top = %s %s %s, want index %s %s", ins.Kind, ins.MediaType, ins.Digest, tc.mediaType, want)
			}
			if got := platformsOf(ins.Manifests); !slices.Equal(got, tc.platforms) {
				t.Errorf("platforms = %v, want %v", got, tc.platforms)
			}
			if len(ins.Attestations) != tc.attestations {
				t.Errorf("attestations = %d, want %d", len(ins.Attestations), tc.attestations)
			}
			for _, m := range ins.Manifests {
				if m.Attestation || m.MediaType != string(tc.entryMediaTyp) || m.Layers != 2 || m.LayersSize <= 0 || m.Config == nil {
					t.Fatalf("entry %+v", m)
				}
				if m.Config.Platform != m.Platform || m.Config.Created == nil || !m.Config.Created.Equal(created) ||
					!slices.Equal(m.Config.Entrypoint, []string{"/bin/sh"}) || len(m.Config.Cmd) != 2 {
					t.Errorf("config %+v of %s", *m.Config, m.Platform)
				}
			}
			for _, a := range ins.Attestations {
				if !a.Attestation || a.Config != nil || a.Subject == "" ||
					!slices.Equal(a.PredicateTypes, []string{"https://slsa.dev/provenance/v0.2"}) {
					t.Errorf("attestation %+v", a)
				}
				if !slices.ContainsFunc(ins.Manifests, func(m Manifest) bool { return m.Digest == a.Subject }) {
					t.Errorf("attestation subject %s is not an entry", a.Subject)
				}
			}
			if len(ins.Raw) != int(ins.Size) {
				t.Errorf("raw is %d bytes, size %d", len(ins.Raw), ins.Size)
			}
			b, err := json.Marshal(ins)
			if err != nil {
				t.Fatal(err)
			}
			var shape map[string]any
			_ = json.Unmarshal(b, &shape)
			for _, k := range []string{"reference", "kind", "media_type", "digest", "size", "manifests", "attestations"} {
				if _, ok := shape[k]; !ok {
					t.Errorf("JSON lacks %q: %s", k, b)
				}
			}
		})
	}
}

func TestInspectSingleManifest(t *testing.T) {
	reg := startRegistry(t, nil)
	ref := reg.ref("single/img:1")
	want := testenv.PushImage(t, ref, image(t, true, "linux", "arm", "v6"))
	for _, r := range []string{ref, reg.ref("single/img@" + want.String())} {
		ins, err := Inspect(context.Background(), r, testOpts())
		if err != nil {
			t.Fatal(err)
		}
		if ins.Kind != KindImage || ins.Digest != want.String() || len(ins.Manifests) != 1 || len(ins.Attestations) != 0 {
			t.Fatalf("%s: %+v", r, ins)
		}
		if m := ins.Manifests[0]; m.Platform != "linux/arm/v6" || m.Layers != 2 || m.Digest != want.String() {
			t.Errorf("%s: entry %+v", r, m)
		}
	}
}

func TestInspectNestedIndex(t *testing.T) {
	reg := startRegistry(t, nil)
	inner := index(t, true, plat{"linux", "amd64", ""}, plat{"linux", "s390x", ""})
	outer := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: inner},
		mutate.IndexAddendum{Add: image(t, true, "linux", "riscv64", ""), Descriptor: v1.Descriptor{Platform: plat{"linux", "riscv64", ""}.v1()}},
	)
	ref := reg.ref("nested/idx:1")
	testenv.PushIndex(t, ref, outer)
	ins, err := Inspect(context.Background(), ref, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(ins.Manifests) != 2 {
		t.Fatalf("manifests: %+v", ins.Manifests)
	}
	nested := ins.Manifests[0]
	if nested.MediaType != string(types.OCIImageIndex) || nested.Config != nil {
		t.Errorf("nested entry %+v", nested)
	}
	if got := platformsOf(nested.Manifests); !slices.Equal(got, []string{"linux/amd64", "linux/s390x"}) {
		t.Errorf("nested platforms %v", got)
	}
	if nested.Manifests[1].Config == nil || nested.Manifests[1].Config.Architecture != "s390x" {
		t.Errorf("nested child not described: %+v", nested.Manifests[1])
	}
	if ins.Manifests[1].Platform != "linux/riscv64" {
		t.Errorf("second entry %+v", ins.Manifests[1])
	}
}

func TestInspectLayout(t *testing.T) {
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	idx := withAttestations(t, index(t, true, plat{"linux", "amd64", ""}, plat{"linux", "ppc64le", ""}))
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{refNameAnnotation: "v1"})); err != nil {
		t.Fatal(err)
	}
	want, _ := idx.Digest()
	for _, ref := range []string{LayoutScheme + dir, LayoutScheme + dir + ":v1", LayoutScheme + dir + "@" + want.String()} {
		ins, err := Inspect(context.Background(), ref, testOpts())
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if ins.Digest != want.String() || len(ins.Manifests) != 2 || len(ins.Attestations) != 2 {
			t.Errorf("%s: %+v", ref, ins)
		}
		if ins.Manifests[1].Config == nil || ins.Manifests[1].Config.Architecture != "ppc64le" {
			t.Errorf("%s: entry %+v", ref, ins.Manifests[1])
		}
	}

	// A second manifest makes the bare path ambiguous; a missing tag is not found.
	if err := p.AppendImage(image(t, true, "linux", "arm64", ""), layout.WithAnnotations(map[string]string{refNameAnnotation: "arm"})); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{LayoutScheme + dir, LayoutScheme + dir + ":nope", LayoutScheme + t.TempDir()} {
		_, err := Inspect(context.Background(), ref, testOpts())
		assertKind(t, err, ErrNotFound)
	}
	ins, err := Inspect(context.Background(), LayoutScheme+dir+":arm", testOpts())
	if err != nil || ins.Kind != KindImage || ins.Manifests[0].Platform != "linux/arm64" {
		t.Errorf("by tag arm: %+v, %v", ins, err)
	}
}

// TestInspectLayoutConfigMismatch: an entry's config blob that does not
// hash to the digest its manifest names is a digest mismatch, not read.
func TestInspectLayoutConfigMismatch(t *testing.T) {
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	idx := index(t, true, plat{"linux", "amd64", ""}, plat{"linux", "ppc64le", ""})
	if err := p.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	img, err := idx.Image(im.Manifests[1].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blobs", cfg.Algorithm, cfg.Hex), []byte(`{"architecture":"s390x","os":"linux"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	want, _ := idx.Digest()
	ins, err := Inspect(context.Background(), LayoutScheme+dir+"@"+want.String(), testOpts())
	assertKind(t, err, ErrDigestMismatch)
	if err == nil {
		t.Errorf("altered config read: %+v", ins)
	}
}
