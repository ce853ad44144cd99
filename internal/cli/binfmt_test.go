package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func TestBinfmtLsJSONFake(t *testing.T) {
	dir := testenv.FixtureBinfmtDir(t)
	r := runArgs(t, "binfmt", "ls", "--json", "--binfmt-dir", dir)
	if !r.ok() {
		t.Fatal(r.err)
	}
	out := r.stdout
	var doc app.BinfmtListReport
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	byName := map[string]app.BinfmtEntry{}
	for _, e := range doc.Entries {
		byName[e.Name] = e
	}
	arm := byName["qemu-arm"]
	if arm.Platform != "linux/arm/v5" || len(arm.Platforms) != 3 || arm.Flags != "POF" || !arm.Enabled ||
		arm.Magic != "7f454c4601010100000000000000000002002800" || arm.Works != nil {
		t.Errorf("qemu-arm: %+v", arm)
	}
	if ppc := byName["qemu-ppc64le"]; ppc.Enabled || ppc.Flags != "OCF" {
		t.Errorf("qemu-ppc64le: %+v, want disabled OCF", ppc)
	}
	if sparc := byName["qemu-sparc64"]; sparc.Platform != "" || len(sparc.Platforms) != 0 {
		t.Errorf("unknown architecture got a platform: %+v", sparc)
	}
	if jar := byName["jar"]; jar.Extension != "jar" || jar.Magic != "" {
		t.Errorf("jar: %+v", jar)
	}
	// works is null, not false, while no probe is wired.
	if !strings.Contains(out, `"works": null`) || !doc.Enabled || len(doc.Entries) != 6 {
		t.Errorf("output:\n%s", out)
	}
}

func TestBinfmtLsText(t *testing.T) {
	dir := testenv.FixtureBinfmtDir(t)
	os.WriteFile(filepath.Join(dir, "status"), []byte("disabled\n"), 0o644)
	r := runArgs(t, "binfmt", "ls", "--binfmt-dir", dir)
	if !r.ok() {
		t.Fatal(r.err)
	}
	out := r.stdout
	for _, want := range []string{"NAME", "qemu-arm", "linux/arm/v5,v6,v7", "disabled", "disabled globally", "unknown"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBinfmtLsNotMounted(t *testing.T) {
	r := runArgs(t, "binfmt", "ls", "--binfmt-dir", t.TempDir())
	if !r.failed() || !errors.Is(r.err, binfmt.ErrNotMounted) || !strings.Contains(r.message(), "mount -t binfmt_misc") {
		t.Errorf("exit %d, err = %v", r.code, r.err)
	}
}

func TestBinfmtInstallDryRunFake(t *testing.T) {
	dir := testenv.FixtureBinfmtDir(t)
	persist := filepath.Join(t.TempDir(), "binfmt.d")
	qemu := testenv.FakeQEMUDir(t, "riscv64", "arm")
	r := runArgs(t, "binfmt", "install", "--dry-run", "--persist", "--force", "--binfmt-dir", dir, "--persist-dir", persist,
		"--qemu-dir", qemu, "linux/riscv64,linux/arm/v7")
	if !r.ok() {
		t.Fatal(r.err)
	}
	out := r.stdout
	for _, want := range []string{
		":qemu-riscv64:M::\\x7f\\x45\\x4c\\x46", ":" + qemu + "/qemu-riscv64-static:CF\n",
		"# qemu-arm: replace (had flags \"POF\"", "would write " + persist + "/qemu-riscv64.conf", "nothing was written",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if reg, _ := os.ReadFile(filepath.Join(dir, "register")); len(reg) != 0 {
		t.Errorf("dry run wrote %q to register", reg)
	}
	if _, err := os.Stat(persist); !os.IsNotExist(err) {
		t.Error("dry run created the persist dir")
	}
}

func TestBinfmtInstallErrors(t *testing.T) {
	dir := testenv.FixtureBinfmtDir(t)
	host := platform.Host()
	qemu := testenv.FakeQEMUDir(t, "arm", "aarch64", host.QEMUArch)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no args", nil, "or all"},
		{"unknown platform", []string{"linux/sparc99"}, "valid: linux/amd64"},
		{"native", []string{host.String()}, "hijack every native binary"},
		{"conflict", []string{"arm/v7"}, "use --force"},
		{"bad flags", []string{"--flags", "CX", "arm64"}, "valid flags are P, O, C, F"},
		{"missing emulator", []string{"--qemu-dir", t.TempDir(), "arm64"}, "qemu-aarch64-static"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"binfmt", "install", "--binfmt-dir", dir, "--qemu-dir", qemu}, tt.args...)
			requireFailureSays(t, "binfmt install", runArgs(t, args...), tt.want)
		})
	}
}

func TestBinfmtUninstallErrors(t *testing.T) {
	dir := testenv.FixtureBinfmtDir(t)
	for _, args := range [][]string{nil, {"sparc99"}} {
		if r := runArgs(t, append([]string{"binfmt", "uninstall", "--binfmt-dir", dir}, args...)...); !r.failed() {
			t.Errorf("uninstall %q: exit %d, err %v", args, r.code, r.err)
		}
	}
	r := runArgs(t, "binfmt", "uninstall", "--dry-run", "--binfmt-dir", dir, "all")
	if !r.ok() || !strings.Contains(r.stdout, "# qemu-arm: remove: echo -1 > "+dir+"/qemu-arm") {
		t.Errorf("uninstall --dry-run all: %v\n%s", r.err, r.stdout)
	}
}

// The rest runs on the host's real binfmt_misc, read-only.

func TestBinfmtLsJSONHost(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.LockHostBinfmt(t)
	m := &binfmt.Manager{}
	testenv.Require(t, m.Mounted(), "binfmt_misc is not mounted")
	_, ok, err := m.Handler(context.Background(), testenv.Platforms(t, "linux/arm64")[0])
	testenv.Require(t, err == nil && ok, "no arm64 handler registered: apt-get install qemu-user-static")
	r := runArgs(t, "binfmt", "ls", "--json")
	if !r.ok() {
		t.Fatal(r.err)
	}
	out := r.stdout
	var doc app.BinfmtListReport
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range doc.Entries {
		if e.Platform == "linux/arm64" {
			found = true
			if !e.InterpreterExists || !e.Static || e.Works == nil || !*e.Works {
				t.Errorf("arm64 handler: want a static interpreter and the probe to work: %+v", e)
			}
		}
	}
	if !found {
		t.Errorf("no linux/arm64 entry in\n%s", out)
	}
}

func TestBinfmtInstallDryRunHost(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.LockHostBinfmt(t)
	testenv.Require(t, (&binfmt.Manager{}).Mounted(), "binfmt_misc is not mounted")
	_, err := os.Stat("/usr/bin/qemu-aarch64-static")
	testenv.Require(t, err == nil, "apt-get install qemu-user-static")
	before, _ := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-aarch64")
	r := runArgs(t, "binfmt", "install", "--dry-run", "--force", "--persist", "--persist-dir", t.TempDir(), "arm64")
	if !r.ok() {
		t.Fatal(r.err)
	}
	if out := r.stdout; !strings.Contains(out, ":/usr/bin/qemu-aarch64-static:CF\n") {
		t.Errorf("output:\n%s", r.stdout)
	}
	// The argv[0] trial writes, so a dry run leaves P out and says why.
	if !strings.Contains(r.stderr, "warning: qemu-aarch64: flag P (keep argv[0]) left out: not tried in a dry run") ||
		!strings.Contains(r.stderr, "busybox-style multi-call binaries") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	after, _ := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-aarch64")
	if !bytes.Equal(before, after) {
		t.Errorf("dry run changed the host entry:\n%s\n->\n%s", before, after)
	}
}

func TestBinfmtInstallWritesFake(t *testing.T) {
	// Without a kernel behind it, the register file of a temp dir just
	// receives the line: enough to check the wiring and the report.
	dir := testenv.EmptyBinfmtDir(t)
	persist := t.TempDir()
	qemu := testenv.FakeQEMUDir(t, "riscv64")
	r := runArgs(t, "binfmt", "install", "--persist", "--binfmt-dir", dir, "--persist-dir", persist, "--qemu-dir", qemu, "riscv64")
	if !r.ok() {
		t.Fatal(r.err)
	}
	out := r.stdout
	line, _ := os.ReadFile(filepath.Join(dir, "register"))
	conf, _ := os.ReadFile(filepath.Join(persist, "qemu-riscv64.conf"))
	if !strings.HasSuffix(string(line), ":"+qemu+"/qemu-riscv64-static:CF\n") || string(conf) != string(line) {
		t.Errorf("register got %q, persisted %q", line, conf)
	}
	for _, want := range []string{"qemu-riscv64", "linux/riscv64", "registered", "flags OCF", "persisted in " + persist} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
