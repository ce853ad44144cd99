package cli

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// doctorJSON is the documented `doctor --json` document.
type doctorJSON struct {
	OK     *bool `json:"ok"`
	Checks []struct {
		ID       string `json:"id"`
		Kind     string `json:"kind"`
		Platform string `json:"platform"`
		Status   string `json:"status"`
		Message  string `json:"message"`
		Fix      string `json:"fix"`
	} `json:"checks"`
}

// noQEMUHost is a mounted, empty binfmt_misc directory and a PATH and
// --qemu-dir without any emulator: a host without qemu-user-static.
func noQEMUHost(t *testing.T) (binfmtDir, qemuDir string) {
	t.Helper()
	binfmtDir = testenv.EmptyBinfmtDir(t)
	t.Setenv("PATH", t.TempDir())
	// The embedded builder's checks: buildkitd found, runc not (PATH), no
	// daemon at the test's own paths.
	embeddedEnv(t)
	t.Setenv(embedded.EnvBuildkitd, filepath.Join(binfmtDir, "status"))
	return binfmtDir, t.TempDir()
}

func TestDoctorNoQEMUJSON(t *testing.T) {
	dir, qemu := noQEMUHost(t)
	doc, r := doctorDoc(t, "--binfmt-dir", dir, "--qemu-dir", qemu, "--platform", "linux/arm64,linux/riscv64")
	if !r.failed() || !errors.Is(r.err, ErrChecksFailed) {
		t.Errorf("err = %v (exit %d), want ErrChecksFailed and exit 1", r.err, r.code)
	}
	out := r.stdout
	if doc.OK == nil || *doc.OK {
		t.Fatalf("ok = %v, want false:\n%s", doc.OK, out)
	}
	failed := map[string]string{}
	for _, c := range doc.Checks {
		if c.ID == "" || c.Kind == "" || c.Message == "" || (c.Status != "pass" && c.Status != "warn" && c.Status != "fail") {
			t.Errorf("malformed check %+v", c)
		}
		if c.ID == "linux/riscv64:handler" && (c.Kind != "handler" || c.Platform != "linux/riscv64") {
			t.Errorf("%s: kind %q platform %q, want handler, linux/riscv64", c.ID, c.Kind, c.Platform)
		}
		if c.Status == "fail" {
			failed[c.ID] = c.Fix
		}
	}
	for _, id := range []string{"linux/arm64:handler", "linux/riscv64:handler"} {
		if !strings.Contains(failed[id], "apt-get install qemu-user-static") {
			t.Errorf("%s: want a FAIL whose fix installs qemu-user-static; failed checks: %v", id, failed)
		}
	}
}

func TestDoctorNoQEMUText(t *testing.T) {
	dir, qemu := noQEMUHost(t)
	r := runArgs(t, "doctor", "--binfmt-dir", dir, "--qemu-dir", qemu)
	if !r.failed() || !errors.Is(r.err, ErrChecksFailed) {
		t.Errorf("exit %d, err = %v, want ErrChecksFailed, exit 1", r.code, r.err)
	}
	out := r.stdout
	words := strings.Join(strings.Fields(out), " ") // the table's column padding aside
	for _, want := range []string{"OK kernel", "FAIL emulators", "fix: sudo apt-get install qemu-user-static",
		"FAIL runc the embedded builder runs RUN steps and tests with runc", "fix: sudo apt-get install runc",
		"OK daemon the embedded builder is not running", "host NOT ready:", "2 failed"} {
		if !strings.Contains(words, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDoctorBadPlatform(t *testing.T) {
	r := runArgs(t, "doctor", "--platform", "linux/sparc99")
	if !r.failed() || !errors.Is(r.err, platform.ErrUnknown) || !strings.Contains(r.message(), "linux/arm64") {
		t.Errorf("exit %d, err = %v, want an unknown platform error listing the valid ones", r.code, r.err)
	}
}

// TestDoctorHost runs `multiarch doctor --json` on this machine: with
// qemu-user-static registered, every check passes and the exit code is 0.
func TestDoctorHost(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.LockHostBinfmt(t)
	_, ok, err := (&binfmt.Manager{}).Handler(context.Background(), testenv.Platforms(t, "linux/arm64")[0])
	testenv.Require(t, err == nil && ok, "QEMU handlers registered in binfmt_misc (sudo make setup)")
	requireBuildkitd(t)
	embeddedEnv(t)
	doc, r := doctorDoc(t)
	out := r.stdout
	if !r.ok() {
		t.Fatalf("%v\n%s", r.err, out)
	}
	probes := 0
	for _, c := range doc.Checks {
		if strings.HasSuffix(c.ID, ":probe") {
			probes++
			if c.Status != "pass" {
				t.Errorf("%s: %s %s", c.ID, c.Status, c.Message)
			}
		}
	}
	for _, id := range []string{"builder:buildkitd", "builder:runc", "builder:daemon"} {
		if st := statusOf(doc, id); st != "pass" {
			t.Errorf("%s: status %q, want OK", id, st)
		}
	}
	if doc.OK == nil || !*doc.OK || probes == 0 {
		t.Errorf("ok = %v with %d probes:\n%s", doc.OK, probes, out)
	}
}

// statusOf is the status of check id in doc ("" when it is not there).
func statusOf(doc doctorJSON, id string) string {
	for _, c := range doc.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return ""
}
