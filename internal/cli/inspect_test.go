package cli

import (
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// cliRegistry starts go-containerregistry's in-process registry on
// loopback and returns its host.
func cliRegistry(t *testing.T) string {
	t.Helper()
	return testenv.StartInProcessRegistry(t).Host
}

// pushPlatformImage pushes a one-layer OCI image for os/arch[/variant].
func pushPlatformImage(t *testing.T, ref, os, arch, variant string) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = os, arch, variant
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	testenv.PushImage(t, ref, img)
	return img
}

func pushTwoPlatformIndex(t *testing.T, ref string) {
	t.Helper()
	host := strings.SplitN(ref, "/", 2)[0]
	amd := pushPlatformImage(t, host+"/parts/amd:1", "linux", "amd64", "")
	arm := pushPlatformImage(t, host+"/parts/arm:1", "linux", "arm", "v7")
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}}},
	)
	testenv.PushIndex(t, ref, idx)
}

func TestInspectJSON(t *testing.T) {
	ref := cliRegistry(t) + "/app/multi:1"
	pushTwoPlatformIndex(t, ref)
	ins, r := runJSON[registry.Inspection](t, cliRun{args: []string{"inspect", ref, "--json", "--insecure-registry", "registry.example.com:5000"}})
	if !r.ok() {
		t.Fatal(r.err)
	}
	out := r.stdout
	if ins.Kind != registry.KindIndex || len(ins.Manifests) != 2 || ins.Manifests[1].Platform != "linux/arm/v7" ||
		ins.Manifests[1].Config == nil || ins.Manifests[1].Layers != 1 || ins.Attestations == nil {
		t.Errorf("%s", out)
	}
}

func TestInspectTextAndRaw(t *testing.T) {
	ref := cliRegistry(t) + "/app/multi:1"
	pushTwoPlatformIndex(t, ref)
	r := runArgs(t, "inspect", ref)
	if !r.ok() {
		t.Fatal(r.err)
	}
	out := r.stdout
	t.Logf("\n%s", out)
	for _, want := range []string{"PLATFORM", "linux/amd64", "linux/arm/v7", "sha256:", string(types.OCIImageIndex)} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	r = runArgs(t, "inspect", "--raw", ref)
	if !r.ok() {
		t.Fatal(r.err)
	}
	raw := r.stdout
	h, _, _ := v1.SHA256(strings.NewReader(raw))
	if _, err := v1.ParseIndexManifest(strings.NewReader(raw)); err != nil || !strings.Contains(out, h.String()) {
		t.Errorf("raw output %q (%s) is not the manifest of the digest shown: %v", raw, h, err)
	}
}

func TestInspectErrors(t *testing.T) {
	host := cliRegistry(t)
	r := runArgs(t, "inspect", host+"/nothing:1")
	if !r.failed() || !errors.Is(r.err, registry.ErrNotFound) {
		t.Errorf("missing image: exit %d, %v", r.code, r.err)
	}
	if r = runArgs(t, "inspect", "--json", "--raw", host+"/x:1"); !r.failed() {
		t.Errorf("--json with --raw accepted: exit %d", r.code)
	}
	if r = runArgs(t, "inspect"); !r.failed() {
		t.Errorf("no REF accepted: exit %d", r.code)
	}
}

func TestAbbrevDigestAndHumanBytes(t *testing.T) {
	if got := abbrevDigest("sha256:0123456789abcdef"); got != "sha256:0123456789ab" {
		t.Errorf("abbrevDigest = %q", got)
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 5 << 20: "5.0 MiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
