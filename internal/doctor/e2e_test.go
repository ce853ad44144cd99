package doctor_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/doctor"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/status"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// requireHandlers needs root, the host lock, and Debian's qemu-user-static
// handlers registered (make setup).
func requireHandlers(t *testing.T) *binfmt.Manager {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.LockHostBinfmt(t)
	m := &binfmt.Manager{}
	_, ok, err := m.Handler(context.Background(), testenv.Platforms(t, "linux/riscv64")[0])
	testenv.Require(t, err == nil && ok, "QEMU handlers registered in binfmt_misc (sudo make setup)")
	return m
}

// installsEmulators: c's remedy installs qemu-user-static first.
func installsEmulators(c doctor.Check) bool {
	if c.Remedy == nil {
		return false
	}
	switch c.Remedy.Action {
	case doctor.RemedyAptInstall, doctor.RemedyAptInstallAll, doctor.RemedyAptInstallForce:
		return true
	}
	return false
}

func byID(rep *doctor.Report) map[string]doctor.Check {
	m := map[string]doctor.Check{}
	for _, c := range rep.Checks {
		m[c.ID] = c
	}
	return m
}

// TestRealHostEveryEmulatedPlatformWorks runs the whole doctor on this
// machine: with qemu-user-static installed and registered, every
// emulated platform's probe must pass.
func TestRealHostEveryEmulatedPlatformWorks(t *testing.T) {
	requireHandlers(t)
	rep, err := doctor.New(doctor.Config{}).Run(context.Background(), doctor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	probes := 0
	for _, c := range rep.Checks {
		if strings.HasSuffix(c.ID, ":probe") || strings.HasSuffix(c.ID, ":strict-cpu") {
			probes++
			if c.Status != status.Pass {
				t.Errorf("%s: %s %s", c.ID, c.Status, c.Message)
			}
		}
	}
	if !rep.OK || probes < 12 {
		t.Fatalf("OK=%v with %d probe checks: %+v", rep.OK, probes, rep.Checks)
	}
}

// TestRealHostMissingFFlag takes the real riscv64 handler, re-registers it
// without F, sees doctor fail and name the fix, applies --fix and sees the
// host pass; the original entry is restored whatever happens.
func TestRealHostMissingFFlag(t *testing.T) {
	m := requireHandlers(t)
	ctx := context.Background()
	p := testenv.Platforms(t, "linux/riscv64")[0]
	orig, _, err := m.Handler(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cur, ok, _ := m.Handler(ctx, p); ok {
			if err := m.Unregister(ctx, cur.Name); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
		if err := m.Register(ctx, orig.Registration()); err != nil {
			t.Errorf("cleanup: restore %s: %v", orig.Name, err)
			return
		}
		if !orig.Enabled {
			if err := m.SetEnabled(ctx, orig.Name, false); err != nil {
				t.Errorf("cleanup: disable %s again: %v", orig.Name, err)
			}
		}
	})
	noF := orig.Registration()
	noF.Flags, err = binfmt.ParseFlags("P")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Unregister(ctx, orig.Name); err != nil {
		t.Fatal(err)
	}
	if err := m.Register(ctx, noF); err != nil {
		t.Fatal(err)
	}

	d := doctor.New(doctor.Config{})
	opts := doctor.Options{Platforms: []platform.Platform{p}}
	rep, err := d.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	checks := byID(rep)
	if rep.OK {
		t.Fatalf("doctor passed a handler without F: %+v", rep.Checks)
	}
	for _, id := range []string{"linux/riscv64:flag-F", "linux/riscv64:probe"} {
		c := checks[id]
		if c.Status != status.Fail || c.Remedy == nil || c.Remedy.Action != doctor.RemedyReregisterCF {
			t.Errorf("%s = %s %q remedy %+v; want FAIL with the reregister remedy", id, c.Status, c.Message, c.Remedy)
		}
	}

	opts.Fix = true
	rep, err = d.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Fixed) == 0 {
		t.Fatalf("after --fix: OK=%v fixed=%v checks=%+v", rep.OK, rep.Fixed, rep.Checks)
	}
	now, _, err := m.Handler(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := binfmt.ParseFlags("PCF")
	if !now.Flags.Has(want) || now.Interpreter != orig.Interpreter {
		t.Errorf("after --fix the entry has flags %s interpreter %s; want P, C and F and the same interpreter", now.Flags, now.Interpreter)
	}
}

// TestNoQEMUPackage points doctor at a host without qemu-user-static: an
// empty binfmt_misc and no emulator anywhere. It must fail with the
// install command.
func TestNoQEMUPackage(t *testing.T) {
	dir := testenv.EmptyBinfmtDir(t)
	t.Setenv("PATH", t.TempDir())
	d := doctor.New(doctor.Config{BinfmtDir: dir, QEMUDir: t.TempDir()})
	for _, opts := range []doctor.Options{{}, {Platforms: testenv.Platforms(t, "arm64")}} {
		rep, err := d.Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK {
			t.Fatalf("doctor passed a host without QEMU: %+v", rep.Checks)
		}
		found := false
		for _, c := range rep.Checks {
			if c.Status == status.Fail && installsEmulators(c) {
				found = true
			}
		}
		if !found {
			t.Errorf("no FAIL installs qemu-user-static: %+v", rep.Checks)
		}
	}
}

// TestEmulatorLookupMatchesInstall: doctor finds an emulator exactly where
// `binfmt install` (its --fix) would: in --qemu-dir when given, not on PATH.
func TestEmulatorLookupMatchesInstall(t *testing.T) {
	dir := testenv.EmptyBinfmtDir(t)
	qemu, path := t.TempDir(), t.TempDir()
	for f, d := range map[string]string{"qemu-riscv64-static": qemu, "qemu-aarch64-static": path} {
		if err := os.WriteFile(filepath.Join(d, f), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", path)
	rep, err := doctor.New(doctor.Config{BinfmtDir: dir, QEMUDir: qemu}).Run(context.Background(),
		doctor.Options{Platforms: testenv.Platforms(t, "riscv64", "arm64")})
	if err != nil {
		t.Fatal(err)
	}
	checks := byID(rep)
	if c := checks["linux/riscv64:handler"]; c.Status != status.Fail || c.Remedy == nil || *c.Remedy != (doctor.Remedy{Action: doctor.RemedyInstall, Platform: "linux/riscv64"}) {
		t.Errorf("riscv64 (emulator in --qemu-dir): %+v", c)
	}
	if c := checks["linux/arm64:handler"]; c.Status != status.Fail || !installsEmulators(c) {
		t.Errorf("arm64 (emulator only on PATH, --qemu-dir given): %+v", c)
	}
}

// BenchmarkDoctorAll is a full doctor run over every emulated platform of
// this host, probes included (target: well under a second).
func BenchmarkDoctorAll(b *testing.B) {
	testenv.RequireRoot(b)
	testenv.LockHostBinfmt(b)
	d := doctor.New(doctor.Config{})
	for b.Loop() {
		rep, err := d.Run(context.Background(), doctor.Options{})
		if err != nil || !rep.OK {
			b.Fatalf("doctor: %v %+v", err, rep)
		}
	}
}
