package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/doctor"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/status"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// keepHostBinfmt snapshots every binfmt_misc entry and puts them back as
// they were when the test ends: entries the test added are removed, those
// it changed or removed are registered again (disabled if they were), and
// the result is read back and compared line by line.
func keepHostBinfmt(t *testing.T, m *binfmt.Manager) {
	t.Helper()
	ctx := context.Background()
	before, err := m.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		want := map[string]binfmt.Entry{}
		for _, e := range before {
			want[e.Name] = e
		}
		now, err := m.List(ctx)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		for _, e := range now {
			if w, ok := want[e.Name]; ok && entryLine(w) == entryLine(e) {
				delete(want, e.Name)
				continue
			}
			if err := m.Unregister(ctx, e.Name); err != nil {
				t.Errorf("cleanup: unregister %s: %v", e.Name, err)
			}
		}
		for _, e := range want {
			err := m.Register(ctx, e.Registration())
			if err == nil && !e.Enabled {
				err = m.SetEnabled(ctx, e.Name, false)
			}
			if err != nil {
				t.Errorf("cleanup: RESTORE FAILED for %s, re-register by hand: echo '%s' > %s/register: %v", e.Name, entryLine(e), binfmt.DefaultRoot, err)
			}
		}
		after, err := m.List(ctx)
		if err != nil || len(after) != len(before) {
			t.Errorf("cleanup: %d entries before, %d after (%v)", len(before), len(after), err)
			return
		}
		for i := range before {
			if entryLine(before[i]) != entryLine(after[i]) {
				t.Errorf("cleanup: %s restored as %s", entryLine(before[i]), entryLine(after[i]))
			}
		}
	})
}

// entryLine is e as one comparable line: its register line and state.
func entryLine(e binfmt.Entry) string {
	line, err := e.Registration().Line()
	if err != nil {
		line = err.Error()
	}
	if !e.Enabled {
		line += " (disabled)"
	}
	return line
}

// busyboxRoot lays out a busybox image's /bin: the static busybox of p,
// sh linked to it, and a file to cat.
func busyboxRoot(t *testing.T, p platform.Platform) (sh, file string) {
	t.Helper()
	deb, ok := testenv.BusyboxDebianArch(p)
	if !ok {
		t.Fatalf("no busybox for %s", p)
	}
	dir := t.TempDir()
	bb := filepath.Join(dir, "busybox")
	if err := os.WriteFile(bb, testenv.BusyboxBinary(t, deb), 0o755); err != nil {
		t.Fatal(err)
	}
	sh, file = filepath.Join(dir, "sh"), filepath.Join(dir, "FILE")
	if err := os.Symlink("busybox", sh); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("hello from "+p.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return sh, file
}

// catThroughSh runs `sh -c 'cat FILE'` as a container does (/bin/sh is
// busybox, started as sh), where busybox's shell runs cat through
// /proc/self/exe with argv[0] "cat".
func catThroughSh(t *testing.T, p platform.Platform) (string, error) {
	t.Helper()
	sh, file := busyboxRoot(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sh, "-c", "cat "+file)
	cmd.Args[0] = "sh"
	cmd.Env = []string{testenv.BusyboxPath}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// doctorArgv0 runs `doctor --json` for p and returns its argv0 check.
func doctorArgv0(t *testing.T, p platform.Platform, strict bool) (doctor.Check, cliResult) {
	t.Helper()
	args := []string{"doctor", "--json", "--platform", p.String()}
	if strict {
		args = append(args, "--strict")
	}
	r := runArgs(t, args...)
	var rep doctor.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("doctor --json: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	for _, c := range rep.Checks {
		if c.Kind == doctor.KindArgv0 && c.Platform == p.String() {
			return c, r
		}
	}
	t.Fatalf("doctor ran no argv0 check for %s: %s", p, r.stdout)
	return doctor.Check{}, r
}

// TestE2EBinfmtInstallKeepsArgv0: after `binfmt install` with default
// flags, every emulated platform's entry has P and a busybox image's
// `sh -c 'cat FILE'` works on each busybox platform; an entry registered
// CF breaks it, doctor says so, and `binfmt reregister` fixes it. The
// host's entries are restored exactly.
func TestE2EBinfmtInstallKeepsArgv0(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.LockHostBinfmt(t)
	m := &binfmt.Manager{}
	testenv.Require(t, m.Mounted(), "binfmt_misc is not mounted")
	testenv.BusyboxDir(t)
	var foreign []platform.Platform
	for _, p := range platform.Foreign() {
		if _, err := binfmt.FindEmulator(p, ""); err == nil {
			foreign = append(foreign, p)
		}
	}
	testenv.Require(t, len(foreign) >= 7, "qemu-user-static installed (apt-get install qemu-user-static)")
	keepHostBinfmt(t, m)

	r := runArgs(t, "binfmt", "install", "--force", "all")
	if !r.ok() || strings.Contains(r.stderr, "warning") {
		t.Fatalf("install: %v\n%s\n%s", r.err, r.stdout, r.stderr)
	}
	for _, p := range foreign {
		e, ok, err := m.Handler(context.Background(), p)
		if err != nil || !ok || e.Flags.String() != "POCF" || e.Interpreter != "/usr/bin/"+p.EmulatorBinary() {
			t.Errorf("%s: entry %+v (%v); want POCF with %s", p, e, err, p.EmulatorBinary())
		}
	}
	for _, p := range testenv.BusyboxPlatforms(t) {
		if !containsArch(foreign, p) {
			continue // native here
		}
		out, err := catThroughSh(t, p)
		if err != nil || out != "hello from "+p.String()+"\n" {
			t.Errorf("%s: sh -c 'cat FILE' = %q, %v", p, out, err)
		}
	}

	// s390x registered CF, as `binfmt install --flags CF` (or the old
	// default) would: the busybox shell runs FILE as a script.
	p := testenv.Platforms(t, "linux/s390x")[0]
	r = runArgs(t, "binfmt", "install", "--force", "--flags", "CF", p.String())
	if !r.ok() {
		t.Fatalf("install --flags CF: %v\n%s", r.err, r.stderr)
	}
	// The symptom: "FILE: line 1: hello: not found", exit 127.
	if out, err := catThroughSh(t, p); err == nil || !strings.Contains(out, "not found") {
		t.Errorf("CF entry: sh -c 'cat FILE' = %q, %v; want FILE run as a script", out, err)
	}
	c, _ := doctorArgv0(t, p, false)
	if c.Status != status.Warn || !strings.Contains(c.Message, "busybox-style multi-call binaries") || c.Fix != "sudo multiarch binfmt reregister linux/s390x (adds P where the emulator honours it; else install QEMU 6 or newer and run it again)" {
		t.Errorf("doctor on a CF entry: %+v", c)
	}
	if c, r := doctorArgv0(t, p, true); c.Status != status.Fail || r.ok() {
		t.Errorf("doctor --strict on a CF entry: %s, exit %d", c.Status, r.code)
	}

	r = runArgs(t, "binfmt", "reregister", p.String())
	if !r.ok() || !strings.Contains(r.stdout, `"OCF" -> "POCF"`) {
		t.Fatalf("reregister: %v\n%s\n%s", r.err, r.stdout, r.stderr)
	}
	if out, err := catThroughSh(t, p); err != nil || out != "hello from "+p.String()+"\n" {
		t.Errorf("after reregister: sh -c 'cat FILE' = %q, %v", out, err)
	}
	if c, _ := doctorArgv0(t, p, true); c.Status != status.Pass {
		t.Errorf("doctor after reregister: %+v", c)
	}
}

func containsArch(ps []platform.Platform, p platform.Platform) bool {
	for _, q := range ps {
		if q.QEMUArch == p.QEMUArch {
			return true
		}
	}
	return false
}
