package binfmt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// These tests change the host's real binfmt_misc: as root only, under the
// host lock, with throw-away entry names or restoring what was there.

func realManager(t *testing.T) *Manager {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.LockHostBinfmt(t)
	m := &Manager{PersistDir: t.TempDir()}
	testenv.Require(t, m.Mounted(), "binfmt_misc is not mounted: sudo mount -t binfmt_misc binfmt_misc "+DefaultRoot)
	return m
}

// throwaway is a registration that matches no real binary.
func throwaway(t *testing.T, m *Manager, suffix, interpreter string, flags Flags) Registration {
	t.Helper()
	name := fmt.Sprintf("multiarch-test-%d%s", os.Getpid(), suffix)
	magic := fmt.Appendf(nil, "\x00MULTIARCH:TEST\xff%d%s", os.Getpid(), suffix)
	t.Cleanup(func() {
		if _, err := m.Get(context.Background(), name); err == nil {
			if err := m.Unregister(context.Background(), name); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	return Registration{Name: name, Magic: magic, Mask: bytes.Repeat([]byte{0xff}, len(magic)), Interpreter: interpreter, Flags: flags}
}

func TestE2ERegisterThrowaway(t *testing.T) {
	m := realManager(t)
	ctx := context.Background()
	const interp = "/usr/bin/qemu-aarch64-static"
	requireFile(t, interp)
	r := throwaway(t, m, "", interp, FlagFixBinary|FlagCredentials)
	if err := m.Register(ctx, r); err != nil {
		t.Fatal(err)
	}
	e, err := m.Get(ctx, r.Name)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Enabled || e.Flags.String() != "OCF" || e.Interpreter != interp || !bytes.Equal(e.Magic, r.Magic) || !bytes.Equal(e.Mask, r.Mask) || len(e.Platforms) != 0 {
		t.Errorf("read back %+v", e)
	}
	if !sameRegistration(e, r) {
		t.Error("the kernel's entry does not compare equal to what was registered")
	}

	err = m.Register(ctx, r)
	// The advice to force it is the CLI's (TestBinfmtHints).
	if !errors.Is(err, syscall.EEXIST) || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second register: %v, want EEXIST saying the entry exists", err)
	}

	if err := m.SetEnabled(ctx, r.Name, false); err != nil {
		t.Fatal(err)
	}
	if e, _ := m.Get(ctx, r.Name); e.Enabled {
		t.Error("still enabled after disabling")
	}

	if err := m.Unregister(ctx, r.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, r.Name); !errors.Is(err, ErrNotFound) {
		t.Errorf("after unregister: %v, want ErrNotFound", err)
	}
}

func TestE2EFlagFNeedsInterpreter(t *testing.T) {
	m := realManager(t)
	r := throwaway(t, m, "", "/nonexistent/multiarch-test-qemu", FlagFixBinary)
	err := m.Register(context.Background(), r)
	if !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), "F flag") {
		t.Errorf("err = %v, want ENOENT explaining the F flag", err)
	}
}

// TestE2EApplyRollsBack: the real kernel refuses the 2nd of 3 entries; the
// 1st is removed again and the 3rd never written.
func TestE2EApplyRollsBack(t *testing.T) {
	m := realManager(t)
	const interp = "/usr/bin/qemu-aarch64-static"
	requireFile(t, interp)
	regs := []Registration{
		throwaway(t, m, "-a", interp, FlagFixBinary),
		throwaway(t, m, "-b", "/nonexistent/multiarch-test-qemu", FlagFixBinary),
		throwaway(t, m, "-c", interp, FlagFixBinary),
	}
	plan := &Plan{}
	for i := range regs {
		line, err := regs[i].Line()
		if err != nil {
			t.Fatal(err)
		}
		plan.Changes = append(plan.Changes, Change{Name: regs[i].Name, Action: ActionRegister, New: &regs[i], Line: line})
	}
	err := m.Apply(context.Background(), plan)
	if !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("err = %v, want ENOENT and a rollback", err)
	}
	for _, r := range regs {
		if _, err := m.Get(context.Background(), r.Name); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s is registered after the rollback", r.Name)
		}
	}
}

// keepHostEntry saves the host's entry name and re-registers exactly that
// when the test ends (or removes what the test left, if there was none).
func keepHostEntry(t *testing.T, m *Manager, name string) {
	t.Helper()
	ctx := context.Background()
	old, err := m.Get(ctx, name)
	had := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if had {
		line, _ := old.Registration().Line()
		t.Logf("saved host entry %s: %s (enabled=%v)", name, line, old.Enabled)
	}
	t.Cleanup(func() {
		if _, err := m.Get(ctx, name); err == nil {
			if err := m.Unregister(ctx, name); err != nil {
				t.Errorf("restore %s: %v", name, err)
				return
			}
		}
		if !had {
			return
		}
		if err := m.restore(ctx, old); err != nil {
			t.Errorf("restore %s: %v", name, err)
			return
		}
		now, err := m.Get(ctx, name)
		if err != nil || now.Enabled != old.Enabled || !sameRegistration(now, old.Registration()) {
			t.Errorf("host entry %s not restored: %+v, %v; was %+v", name, now, err, old)
		}
	})
}

func TestE2EInstallPersist(t *testing.T) {
	m := realManager(t)
	ctx := context.Background()
	p := testenv.Platforms(t, "linux/riscv64")[0]
	requireFile(t, "/usr/bin/"+p.EmulatorBinary())
	keepHostEntry(t, m, p.BinfmtName())

	plan, err := m.Install(ctx, InstallOptions{Platforms: []platform.Platform{p}, Persist: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	c := plan.Changes[0]
	conf, err := os.ReadFile(filepath.Join(m.PersistDir, "qemu-riscv64.conf"))
	if err != nil || string(conf) != c.Line+"\n" || !strings.HasSuffix(c.Line, ":/usr/bin/qemu-riscv64-static:CF") {
		t.Errorf("persisted %q, %v; line %q", conf, err, c.Line)
	}
	e, err := m.Get(ctx, p.BinfmtName())
	if err != nil {
		t.Fatal(err)
	}
	if row, _ := e.Platform(); !e.Enabled || e.Flags.String() != "OCF" || e.Interpreter != "/usr/bin/qemu-riscv64-static" || row.String() != "linux/riscv64" {
		t.Errorf("live entry %+v", e)
	}
	plan, err = m.Install(ctx, InstallOptions{Platforms: []platform.Platform{p}, Persist: true})
	if err != nil || plan.Changes[0].Action != ActionUnchanged {
		t.Errorf("second install: %+v, %v; want unchanged", plan, err)
	}
	if _, err := m.Uninstall(ctx, []string{"riscv64"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, p.BinfmtName()); !errors.Is(err, ErrNotFound) {
		t.Errorf("after uninstall: %v", err)
	}
	if _, err := os.Stat(filepath.Join(m.PersistDir, "qemu-riscv64.conf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("persisted file after uninstall: %v", err)
	}
}

func TestE2EListHost(t *testing.T) {
	m := realManager(t)
	entries, err := m.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name, "qemu-") {
			if _, ok := platform.ByQEMUArch(strings.TrimPrefix(e.Name, "qemu-")); ok {
				checked++
				if len(e.Platforms) == 0 {
					t.Errorf("%s: no platform matched", e.Name)
				}
			}
		}
	}
	testenv.Require(t, checked > 0, "qemu-* handlers of the platform table registered (sudo make setup)")
}
