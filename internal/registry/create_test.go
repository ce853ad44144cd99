package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func createdPlatforms(c *Created) []string {
	var out []string
	for _, m := range c.Manifests {
		out = append(out, m.Platform)
	}
	return out
}

// blobsOf lists the config and layer digests of img.
func blobsOf(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	out := []v1.Hash{m.Config.Digest}
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// fetchIndex reads the index a tag points at.
func fetchIndex(t *testing.T, ref string) (*v1.IndexManifest, v1.Hash) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(d.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	return im, d.Digest
}

func TestCreateIndexFromImagesInTwoRepos(t *testing.T) {
	reg := startRegistry(t, nil)
	amd := image(t, true, "linux", "amd64", "")
	arm := image(t, true, "linux", "arm", "v7")
	testenv.PushImage(t, reg.ref("team/app-amd64:1"), amd)
	testenv.PushImage(t, reg.ref("other/app-arm:1"), arm)
	reg.resetLog()

	target := reg.ref("team/app:1")
	c, err := CreateIndex(context.Background(), target, []string{reg.ref("team/app-amd64:1"), reg.ref("other/app-arm:1")}, CreateOptions{Options: testOpts()})
	if err != nil {
		t.Fatal(err)
	}
	if got := createdPlatforms(c); !slices.Equal(got, []string{"linux/amd64", "linux/arm/v7"}) {
		t.Errorf("platforms %v", got)
	}
	im, digest := fetchIndex(t, target)
	if digest.String() != c.Digest || im.MediaType != types.OCIImageIndex || len(im.Manifests) != 2 {
		t.Errorf("pushed %s %s %d entries, reported %s", digest, im.MediaType, len(im.Manifests), c.Digest)
	}
	if p := im.Manifests[1].Platform; p == nil || p.Architecture != "arm" || p.Variant != "v7" {
		t.Errorf("descriptor platform %+v", p)
	}
	for _, img := range []v1.Image{amd, arm} {
		for _, h := range blobsOf(t, img) {
			if !reg.blobs.has("team/app", h) {
				t.Errorf("blob %s not copied into team/app", h)
			}
		}
	}
	// Blobs from the same registry are offered for mounting, not re-sent
	// blindly (go-containerregistry's registry does not mount, the
	// distribution registry does: see the end-to-end test).
	mounts := reg.requests(http.MethodPost)
	if !slices.ContainsFunc(mounts, func(q string) bool {
		return strings.Contains(q, "mount=") && strings.Contains(q, "from=other%2Fapp-arm")
	}) {
		t.Errorf("no cross-repository mount asked for: %v", mounts)
	}

	// Again: everything exists, nothing is uploaded, the tag is rewritten.
	reg.resetLog()
	if _, err := CreateIndex(context.Background(), target, []string{reg.ref("team/app-amd64:1"), reg.ref("other/app-arm:1")}, CreateOptions{Options: testOpts()}); err != nil {
		t.Fatal(err)
	}
	if w := reg.requests(http.MethodPost, http.MethodPatch); len(w) != 0 {
		t.Errorf("second run uploaded: %v", w)
	}
}

func TestCreateIndexFromIndexSource(t *testing.T) {
	reg := startRegistry(t, nil)
	testenv.PushIndex(t, reg.ref("src/multi:1"), withAttestations(t, index(t, true, plat{"linux", "amd64", ""}, plat{"linux", "arm64", ""})))
	testenv.PushImage(t, reg.ref("src/s390x:1"), image(t, true, "linux", "s390x", ""))

	target := reg.ref("dst/multi:2")
	c, err := CreateIndex(context.Background(), target, []string{reg.ref("src/multi:1"), reg.ref("src/s390x:1")}, CreateOptions{Options: testOpts()})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i, m := range c.Manifests {
		if m.Attestation {
			kinds = append(kinds, "att")
			if c.Manifests[i-1].Digest != m.Subject {
				t.Errorf("attestation %d is not right after its subject", i)
			}
			continue
		}
		kinds = append(kinds, m.Platform)
	}
	if want := []string{"linux/amd64", "att", "linux/arm64", "att", "linux/s390x"}; !slices.Equal(kinds, want) {
		t.Errorf("entries %v, want %v", kinds, want)
	}
	ins, err := Inspect(context.Background(), target, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(ins.Manifests) != 3 || len(ins.Attestations) != 2 || ins.Digest != c.Digest {
		t.Errorf("inspected %+v", ins)
	}
}

func TestCreateIndexMediaType(t *testing.T) {
	reg := startRegistry(t, nil)
	testenv.PushImage(t, reg.ref("d/amd:1"), image(t, false, "linux", "amd64", ""))
	testenv.PushImage(t, reg.ref("d/arm:1"), image(t, false, "linux", "aarch64", ""))
	srcs := []string{reg.ref("d/amd:1"), reg.ref("d/arm:1")}

	c, err := CreateIndex(context.Background(), reg.ref("d/list:1"), srcs, CreateOptions{Options: testOpts()})
	if err != nil {
		t.Fatal(err)
	}
	if c.MediaType != string(types.DockerManifestList) {
		t.Errorf("docker sources gave %s", c.MediaType)
	}
	if got := createdPlatforms(c); !slices.Equal(got, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("platforms not normalised: %v", got)
	}

	ann := map[string]string{"org.opencontainers.image.source": "https://example.com/app"}
	c, err = CreateIndex(context.Background(), reg.ref("d/list:2"), srcs, CreateOptions{Options: testOpts(), Annotations: ann})
	if err != nil {
		t.Fatal(err)
	}
	im, _ := fetchIndex(t, reg.ref("d/list:2"))
	if c.MediaType != string(types.OCIImageIndex) || im.MediaType != types.OCIImageIndex || im.Annotations["org.opencontainers.image.source"] != "https://example.com/app" {
		t.Errorf("annotated index: %s %v", im.MediaType, im.Annotations)
	}
}

func TestCreateIndexDuplicatePlatform(t *testing.T) {
	reg := startRegistry(t, nil)
	testenv.PushImage(t, reg.ref("dup/a:1"), image(t, true, "linux", "arm64", "v8"))
	testenv.PushIndex(t, reg.ref("dup/idx:1"), index(t, true, plat{"linux", "amd64", ""}, plat{"linux", "arm64", ""}))
	reg.resetLog()

	target := reg.ref("dup/out:1")
	_, err := CreateIndex(context.Background(), target, []string{reg.ref("dup/a:1"), reg.ref("dup/idx:1")}, CreateOptions{Options: testOpts()})
	var dup *DuplicatePlatformError
	if !errors.As(err, &dup) || !errors.Is(err, ErrPlatform) {
		t.Fatalf("error %v, want a DuplicatePlatformError", err)
	}
	if dup.Platform != "linux/arm64" || dup.First != reg.ref("dup/a:1") || dup.Second != reg.ref("dup/idx:1") {
		t.Errorf("%+v", dup)
	}
	if !strings.Contains(err.Error(), reg.ref("dup/a:1")) || !strings.Contains(err.Error(), reg.ref("dup/idx:1")) {
		t.Errorf("message does not name both sources: %v", err)
	}
	if w := reg.requests(http.MethodPost, http.MethodPut, http.MethodPatch); len(w) != 0 {
		t.Errorf("wrote before validating: %v", w)
	}
	if tagExists(t, target) {
		t.Error("target tag exists")
	}
}

func TestCreateIndexDryRun(t *testing.T) {
	reg := startRegistry(t, nil)
	testenv.PushImage(t, reg.ref("dry/a:1"), image(t, true, "linux", "amd64", ""))
	testenv.PushImage(t, reg.ref("dry/b:1"), image(t, true, "linux", "386", ""))
	reg.resetLog()

	target := reg.ref("dry/out:1")
	ann := map[string]string{"org.opencontainers.image.version": "1.0"}
	c, err := CreateIndex(context.Background(), target, []string{reg.ref("dry/a:1"), reg.ref("dry/b:1")},
		CreateOptions{Options: testOpts(), DryRun: true, Annotations: ann})
	if err != nil {
		t.Fatal(err)
	}
	if w := reg.requests(http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete); len(w) != 0 {
		t.Errorf("dry run wrote: %v", w)
	}
	if tagExists(t, target) {
		t.Error("dry run created the tag")
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(c.Index))
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := v1.SHA256(bytes.NewReader(c.Index))
	if !c.DryRun || h.String() != c.Digest || len(im.Manifests) != 2 || im.Annotations["org.opencontainers.image.version"] != "1.0" {
		t.Errorf("dry run result %+v / %s", c, c.Index)
	}
	var shape map[string]any
	b, _ := json.Marshal(c)
	_ = json.Unmarshal(b, &shape)
	for _, k := range []string{"targets", "digest", "media_type", "size", "dry_run", "manifests", "index"} {
		if _, ok := shape[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestCreateIndexFailureLeavesNoTag(t *testing.T) {
	t.Run("source layer deleted", func(t *testing.T) {
		reg := startRegistry(t, nil)
		amd := image(t, true, "linux", "amd64", "")
		arm := image(t, true, "linux", "arm64", "")
		testenv.PushImage(t, reg.ref("src/amd:1"), amd)
		testenv.PushImage(t, reg.ref("src/arm:1"), arm)
		layers := blobsOf(t, arm)
		reg.blobs.delete("src/arm", layers[len(layers)-1])

		target := reg.ref("dst/app:1")
		_, err := CreateIndex(context.Background(), target, []string{reg.ref("src/amd:1"), reg.ref("src/arm:1")}, CreateOptions{Options: testOpts()})
		assertKind(t, err, ErrNotFound)
		if tagExists(t, target) {
			t.Error("tag written despite a failed copy")
		}
	})
	t.Run("index PUT fails", func(t *testing.T) {
		failTag := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut && r.URL.Path == "/v2/dst/app/manifests/1" {
					http.Error(w, "disk full", http.StatusInternalServerError)
					return
				}
				next.ServeHTTP(w, r)
			})
		}
		reg := startRegistry(t, failTag)
		testenv.PushImage(t, reg.ref("src/amd:1"), image(t, true, "linux", "amd64", ""))
		testenv.PushImage(t, reg.ref("src/arm:1"), image(t, true, "linux", "arm64", ""))
		target := reg.ref("dst/app:1")
		_, err := CreateIndex(context.Background(), target, []string{reg.ref("src/amd:1"), reg.ref("src/arm:1")}, CreateOptions{Options: testOpts()})
		assertKind(t, err, ErrUnavailable)
		if tagExists(t, target) {
			t.Error("tag exists after the index PUT failed")
		}
	})
}

func TestCreateIndexSeveralTargets(t *testing.T) {
	reg := startRegistry(t, nil)
	testenv.PushImage(t, reg.ref("s/a:1"), image(t, true, "linux", "amd64", ""))
	testenv.PushImage(t, reg.ref("s/b:1"), image(t, true, "linux", "ppc64le", ""))
	targets := []string{reg.ref("t/app:1"), reg.ref("t/app:latest"), reg.ref("u/app:1")}
	c, err := CreateIndex(context.Background(), targets[0], []string{reg.ref("s/a:1"), reg.ref("s/b:1")},
		CreateOptions{Options: testOpts(), ExtraTargets: targets[1:]})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Targets) != 3 {
		t.Errorf("targets %v", c.Targets)
	}
	for _, tg := range targets {
		if _, h := fetchIndex(t, tg); h.String() != c.Digest {
			t.Errorf("%s is %s, want %s", tg, h, c.Digest)
		}
	}
}

func TestCreateIndexBadInput(t *testing.T) {
	reg := startRegistry(t, nil)
	testenv.PushImage(t, reg.ref("ok/a:1"), image(t, true, "linux", "amd64", ""))
	noPlatform := image(t, true, "", "", "")
	testenv.PushImage(t, reg.ref("ok/noplat:1"), noPlatform)
	ctx, opts := context.Background(), CreateOptions{Options: testOpts()}

	_, err := CreateIndex(ctx, reg.ref("ok/out@sha256:"+strings.Repeat("a", 64)), []string{reg.ref("ok/a:1")}, opts)
	assertKind(t, err, ErrBadReference)
	_, err = CreateIndex(ctx, LayoutScheme+t.TempDir(), []string{reg.ref("ok/a:1")}, opts)
	assertKind(t, err, ErrBadReference)
	_, err = CreateIndex(ctx, reg.ref("ok/out:1"), nil, opts)
	assertKind(t, err, ErrBadReference)
	_, err = CreateIndex(ctx, reg.ref("ok/out:1"), []string{reg.ref("ok/noplat:1")}, opts)
	assertKind(t, err, ErrPlatform)

	// Every unresolvable source is reported, not only the first.
	_, err = CreateIndex(ctx, reg.ref("ok/out:1"), []string{reg.ref("ok/a:1"), reg.ref("ok/missing:1"), reg.ref("ok/gone:2")}, opts)
	assertKind(t, err, ErrNotFound)
	if !strings.Contains(err.Error(), "ok/missing:1") || !strings.Contains(err.Error(), "ok/gone:2") {
		t.Errorf("not every failing source named: %v", err)
	}
	if tagExists(t, reg.ref("ok/out:1")) {
		t.Error("tag written")
	}
}

func TestCreateIndexFromLayout(t *testing.T) {
	reg := startRegistry(t, nil)
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	riscv := image(t, true, "linux", "riscv64", "")
	if err := p.AppendImage(riscv, layout.WithAnnotations(map[string]string{refNameAnnotation: "riscv"})); err != nil {
		t.Fatal(err)
	}
	testenv.PushImage(t, reg.ref("l/amd:1"), image(t, true, "linux", "amd64", ""))
	_, err = CreateIndex(context.Background(), reg.ref("l/app:1"), []string{LayoutScheme + dir + ":riscv", reg.ref("l/amd:1")}, CreateOptions{Options: testOpts()})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range blobsOf(t, riscv) {
		if !reg.blobs.has("l/app", h) {
			t.Errorf("layout blob %s not uploaded", h)
		}
	}
}
