package cli

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// imageVerify is the part of `verify --json` this test reads.
type imageVerify struct {
	OK      bool `json:"ok"`
	Entries []struct {
		Platform string `json:"platform"`
		Files    []struct {
			Path string `json:"path"`
			ELF  struct {
				Machine     string `json:"machine"`
				Type        string `json:"type"`
				Interpreter string `json:"interpreter"`
			} `json:"elf"`
		} `json:"files"`
	} `json:"entries"`
}

// TestMakeImageE2E runs scripts/make-image.sh (`make image`) against a test
// registry: the script itself builds multiarch's image with multiarch,
// pushes it by digest and writes the tag only after verify and test pass.
// A first run whose extra test step fails must leave no tag; the second
// must tag an index of exactly the proven manifests, and verify's report
// says what the image holds on each platform. Minutes long (dist/'s two
// buildkitd, built by scripts/dist.sh when dist/ is not current, ~130 MB of
// .deb; about 4 minutes warm, over 10 cold; the second run about 2), so
// only with MULTIARCH_IMAGE_TEST=1; `make image` runs the same
// script, and .ci/run sets the variable.
func TestMakeImageE2E(t *testing.T) {
	if os.Getenv("MULTIARCH_IMAGE_TEST") != "1" {
		t.Skip("MULTIARCH_IMAGE_TEST=1 runs make image end to end (minutes; or run make image)")
	}
	testenv.RequireRoot(t)
	_, err := exec.LookPath("apt-get")
	testenv.Require(t, err == nil, "apt-get (Debian) to download qemu-user-static and runc of each architecture")
	root := testenv.RepoRoot(t)
	reg := testenv.StartRegistry(t)
	ref := reg.Ref("multiarch/multiarch", "e2e")
	state := testenv.ShortTempDir(t)
	work := os.Getenv("MULTIARCH_IMAGE_WORK")
	if work == "" {
		work = filepath.Join(root, ".cache", "image")
	}
	env := append(os.Environ(), "IMAGE="+ref, "MULTIARCH_IMAGE_WORK="+work,
		"MULTIARCH_STATE_DIR="+state, "MULTIARCH_SOCKET="+filepath.Join(state, "bk.sock"))
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	run := func(extra ...string) (string, error) {
		script := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "make-image.sh"))
		script.Dir, script.Env = root, append(slices.Clone(env), extra...)
		start := time.Now()
		out, err := script.CombinedOutput()
		t.Logf("make-image.sh %v took %s", extra, time.Since(start).Round(time.Second))
		return string(out), err
	}
	t.Cleanup(func() {
		down := exec.Command(filepath.Join(work, "bin", runtime.GOARCH, "multiarch"), "builder", "down")
		down.Env = env
		if out, err := down.CombinedOutput(); err != nil {
			t.Logf("builder down: %v\n%s", err, out)
		}
	})

	// A failing test step: pushed by digest, never tagged.
	out, err := run("MAKE_IMAGE_EXTRA_TEST=multiarch no-such-command")
	if err == nil || !strings.Contains(out, "== pushed untagged: ") || strings.Contains(out, "index create") {
		t.Fatalf("make-image.sh with a failing test step: err=%v, want a failure after the push by digest and before the tag:\n%s", err, out)
	}
	if d, err := remote.Head(mustRef(t, ref), remote.WithContext(ctx)); err == nil {
		t.Fatalf("a failed run left %s pointing at %s", ref, d.Digest)
	}

	out, err = run()
	if err != nil {
		t.Fatalf("make-image.sh: %v\n%s", err, out)
	}
	if !strings.Contains(out, "image passed: "+ref) {
		t.Fatalf("make-image.sh did not say the image passed:\n%s", out)
	}
	last := strings.LastIndex(out, "== multiarch test")
	if tag := strings.Index(out, "== multiarch index create"); last < 0 || tag < last {
		t.Fatalf("the tag is not written after every test step:\n%s", out)
	}
	checkTagged(t, ctx, ref, filepath.Join(work, "metadata.json"))
	checkImageReport(t, filepath.Join(work, "verify.json"))
}

// checkTagged asserts the tag names an index whose entries are exactly
// those of the index built and proven by digest (metadata's image.name):
// the same platform manifests (the metadata's platform digests) and the
// same attestation manifests.
func checkTagged(t *testing.T, ctx context.Context, ref, metadata string) {
	t.Helper()
	b, err := os.ReadFile(metadata)
	if err != nil {
		t.Fatal(err)
	}
	var m Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.ImageName != registry.Repository(ref)+"@"+m.Digest || len(m.Platforms) != 2 {
		t.Fatalf("metadata: image.name %q, %d platforms; want %s@%s and 2", m.ImageName, len(m.Platforms), registry.Repository(ref), m.Digest)
	}
	tagged, taggedDigest := imageEntries(t, ctx, ref)
	proven, _ := imageEntries(t, ctx, m.ImageName)
	for _, p := range m.Platforms {
		if tagged[p.Digest] != p.Platform {
			t.Errorf("tag %s: no %s manifest %s (has %v)", ref, p.Platform, p.Digest, tagged)
		}
	}
	if !maps.Equal(tagged, proven) {
		t.Errorf("tag %s holds %v, the proven index %s holds %v", ref, tagged, m.ImageName, proven)
	}
	t.Logf("proven index %s, tagged index %s (%d entries)", m.Digest, taggedDigest, len(tagged))
}

// imageEntries returns an index's entries, digest to platform, and its digest.
func imageEntries(t *testing.T, ctx context.Context, ref string) (map[string]string, string) {
	t.Helper()
	idx, err := remote.Index(mustRef(t, ref), remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	d, _ := idx.Digest()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range im.Manifests {
		out[e.Digest.String()] = "" // BuildKit's attestations: unknown/unknown
		if e.Platform != nil {
			out[e.Digest.String()] = e.Platform.String()
		}
	}
	return out, d.String()
}

func mustRef(t *testing.T, ref string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkImageReport asserts each platform holds its own static multiarch,
// buildkitd and Debian's static emulator of the other architecture (QEMU
// is static-pie: ET_DYN without PT_INTERP), runc linked against the loader
// of its own architecture, and no emulator for its own architecture.
func checkImageReport(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var reps []imageVerify // one report per reference
	if err := json.Unmarshal(b, &reps); err != nil || len(reps) != 1 {
		t.Fatalf("verify --json: %v, %d reports, want 1:\n%s", err, len(reps), b)
	}
	rep := reps[0]
	if !rep.OK || len(rep.Entries) != 2 {
		t.Fatalf("verify: ok=%v with %d entries, want ok with 2:\n%s", rep.OK, len(rep.Entries), b)
	}
	want := map[string]struct{ machine, foreignQEMU, ownQEMU, loader string }{
		"linux/amd64": {"EM_X86_64", "/usr/bin/qemu-aarch64-static", "/usr/bin/qemu-x86_64-static", "/lib64/ld-linux-x86-64.so.2"},
		"linux/arm64": {"EM_AARCH64", "/usr/bin/qemu-x86_64-static", "/usr/bin/qemu-aarch64-static", "/lib/ld-linux-aarch64.so.1"},
	}
	for _, e := range rep.Entries {
		w, ok := want[e.Platform]
		if !ok {
			t.Fatalf("unexpected platform %s", e.Platform)
		}
		files := map[string]int{}
		for i, f := range e.Files {
			files[f.Path] = i
		}
		if _, ok := files[w.ownQEMU]; ok {
			t.Errorf("%s: holds an emulator of its own architecture", e.Platform)
		}
		for _, p := range []string{"/usr/local/bin/multiarch", "/usr/local/bin/buildkitd", w.foreignQEMU, "/usr/sbin/runc"} {
			i, ok := files[p]
			if !ok {
				t.Fatalf("%s: no ELF file %s in the image", e.Platform, p)
			}
			f := e.Files[i].ELF
			if f.Machine != w.machine {
				t.Errorf("%s: %s is for %s, want %s", e.Platform, p, f.Machine, w.machine)
			}
			wantInterp := ""
			if p == "/usr/sbin/runc" {
				wantInterp = w.loader
			}
			if f.Interpreter != wantInterp {
				t.Errorf("%s: %s has interpreter %q, want %q (static)", e.Platform, p, f.Interpreter, wantInterp)
			}
		}
	}
}
