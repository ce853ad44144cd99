package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

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
// registry: the script itself builds multiarch's image with multiarch and
// fails unless verify and test pass; this test then reads verify's report
// for what the image must hold on each platform. Minutes long (two
// cross-compiled buildkitd, ~130 MB of .deb; about 4 minutes warm, over 10
// cold), so only with MULTIARCH_IMAGE_TEST=1; `make image` runs the same
// script, and .ci/run does not (its budget for this is 6 minutes cold).
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
	script := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "make-image.sh"))
	script.Dir, script.Env = root, env
	t.Cleanup(func() {
		down := exec.Command(filepath.Join(work, "bin", runtime.GOARCH, "multiarch"), "builder", "down")
		down.Env = env
		if out, err := down.CombinedOutput(); err != nil {
			t.Logf("builder down: %v\n%s", err, out)
		}
	})
	start := time.Now()
	out, err := script.CombinedOutput()
	t.Logf("make-image.sh took %s", time.Since(start).Round(time.Second))
	if err != nil {
		t.Fatalf("make-image.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "image passed: "+ref) {
		t.Fatalf("make-image.sh did not say the image passed:\n%s", out)
	}
	checkImageReport(t, filepath.Join(work, "verify.json"))
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
