package binfmt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func TestUninstallTargets(t *testing.T) {
	tests := []struct {
		targets []string
		want    []string
	}{
		{[]string{"linux/arm64"}, []string{"qemu-aarch64 remove"}},
		{[]string{"aarch64", "armhf"}, []string{"qemu-aarch64 remove", "qemu-arm remove"}},
		{[]string{"jar"}, []string{"jar remove"}},
		{[]string{"linux/riscv64"}, []string{"qemu-riscv64 unchanged"}},
		{[]string{"all"}, []string{"qemu-aarch64 remove", "qemu-arm remove", "qemu-ppc64le remove", "qemu-s390x remove", "qemu-sparc64 remove"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.targets, ","), func(t *testing.T) {
			m, _ := newFake(t, false)
			plan, err := m.Uninstall(context.Background(), tt.targets)
			if err != nil {
				t.Fatal(err)
			}
			if got := actions(plan); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			for _, c := range plan.Changes {
				if _, err := m.Get(context.Background(), c.Name); !errors.Is(err, ErrNotFound) {
					t.Errorf("%s still registered: %v", c.Name, err)
				}
			}
		})
	}
}

func TestUninstallAllKeepsOthersAndRemovesConfs(t *testing.T) {
	m, _ := newFake(t, false)
	if err := os.MkdirAll(m.PersistDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"qemu-m68k.conf", "other.conf"} {
		if err := os.WriteFile(filepath.Join(m.PersistDir, f), []byte(":x:M::a::/q:\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Uninstall(context.Background(), []string{"all"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(context.Background(), "jar"); err != nil {
		t.Errorf("all removed a non-qemu entry: %v", err)
	}
	files := snapshot(t, m.PersistDir)
	if _, ok := files["other.conf"]; !ok || len(files) != 1 {
		t.Errorf("persist dir after all: %v, want only other.conf", files)
	}
}

func TestUninstallUnknownTarget(t *testing.T) {
	m, k := newFake(t, false)
	_, err := m.Uninstall(context.Background(), []string{"qemu-arm", "sparc99"})
	if !errors.Is(err, platform.ErrUnknown) || !strings.Contains(err.Error(), "linux/arm64") || !strings.Contains(err.Error(), "sparc99") {
		t.Errorf("err = %v, want the unknown target and the valid platforms", err)
	}
	if len(k.ops) != 0 {
		t.Errorf("kernel writes %q, want none", k.ops)
	}
	if _, err := m.Uninstall(context.Background(), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("no targets: err = %v", err)
	}
}

func TestReregister(t *testing.T) {
	m, k := newFake(t, false)
	for _, e := range []string{"/usr/libexec/qemu-binfmt/arm-binfmt-P", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "/usr/libexec/qemu-binfmt/s390x-binfmt-P", "/usr/bin/qemu-ppc64le-static"} {
		requireFile(t, e)
	}
	// The fixture's interpreters that the F flag needs but this host lacks
	// make the whole run fail first, with nothing written.
	missing := filepath.Join(m.Root, "qemu-sparc64")
	raw, _ := os.ReadFile(missing)
	os.WriteFile(missing, []byte(strings.Replace(string(raw), "/usr/libexec/qemu-binfmt/sparc64-binfmt-P", "/nonexistent/qemu-sparc64", 1)), 0o644)
	_, err := m.Reregister(context.Background(), ReregisterOptions{})
	var emu *EmulatorError
	if !errors.Is(err, ErrNoEmulator) || !strings.Contains(err.Error(), "/nonexistent/qemu-sparc64") || !errors.As(err, &emu) || emu.Entry != "qemu-sparc64" || len(k.ops) != 0 {
		t.Fatalf("err = %v, ops %q; want the missing interpreter named and no writes", err, k.ops)
	}
	os.Remove(missing)

	plan, err := m.Reregister(context.Background(), ReregisterOptions{Platforms: testenv.Platforms(t, "arm/v7", "ppc64le")})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(plan); !reflect.DeepEqual(got, []string{"qemu-arm replace", "qemu-ppc64le unchanged"}) {
		t.Errorf("plan %q", got)
	}
	arm, _ := m.Get(context.Background(), "qemu-arm")
	if arm.Flags.String() != "POCF" || arm.Interpreter != "/usr/libexec/qemu-binfmt/arm-binfmt-P" || !arm.Enabled {
		t.Errorf("qemu-arm after reregister: %+v", arm)
	}
	plan, err = m.Reregister(context.Background(), ReregisterOptions{Platforms: testenv.Platforms(t, "arm/v7")})
	if err != nil || !reflect.DeepEqual(actions(plan), []string{"qemu-arm unchanged"}) {
		t.Errorf("second run: %q, %v", actions(plan), err)
	}
}

func TestReregisterKeepsDisabled(t *testing.T) {
	m, _ := newFake(t, false)
	requireFile(t, "/usr/bin/qemu-ppc64le-static")
	if _, err := m.Reregister(context.Background(), ReregisterOptions{Flags: FlagPreserveArgv0, Platforms: testenv.Platforms(t, "ppc64le")}); err != nil {
		t.Fatal(err)
	}
	e, _ := m.Get(context.Background(), "qemu-ppc64le")
	if e.Enabled || e.Flags.String() != "POCF" {
		t.Errorf("got %+v, want disabled with POCF", e)
	}
}
