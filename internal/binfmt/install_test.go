package binfmt

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func TestInstallRefusesNativeArches(t *testing.T) {
	m, k := newFake(t, true)
	native := platform.NativeArches()
	if platform.Host().Arch == "amd64" && !reflect.DeepEqual(native, []string{"x86_64", "i386"}) {
		t.Fatalf("amd64 host: native arches %q, want x86_64 and i386", native)
	}
	for _, arch := range native {
		p, ok := platform.ByQEMUArch(arch)
		if !ok {
			t.Fatalf("no row for native %s", arch)
		}
		t.Run(p.String(), func(t *testing.T) {
			// Together with a foreign platform: nothing at all is written.
			list := append(testenv.Platforms(t, "linux/riscv64"), p)
			_, err := m.Install(context.Background(), InstallOptions{Platforms: list, QEMUDir: testenv.FakeQEMUDir(t, arch, "riscv64"), Force: true})
			if !errors.Is(err, ErrNativeArch) || !strings.Contains(err.Error(), "hijack every native binary") {
				t.Errorf("err = %v, want ErrNativeArch saying why", err)
			}
		})
	}
	if len(k.ops) != 0 {
		t.Errorf("kernel writes %q, want none", k.ops)
	}
}

func TestInstallIdempotent(t *testing.T) {
	m, k := newFake(t, true)
	opts := InstallOptions{Platforms: testenv.Platforms(t, "linux/arm64", "linux/arm/v6", "linux/arm/v7"), QEMUDir: testenv.FakeQEMUDir(t, "aarch64", "arm")}
	plan, err := m.Install(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(plan); !reflect.DeepEqual(got, []string{"qemu-aarch64 register", "qemu-arm register"}) {
		t.Errorf("first install: %q", got)
	}
	e, err := m.Get(context.Background(), "qemu-aarch64")
	if err != nil || e.Flags.String() != "OCF" || e.Interpreter != filepath.Join(opts.QEMUDir, "qemu-aarch64-static") || !e.Enabled {
		t.Errorf("entry %+v, %v", e, err)
	}
	k.ops = nil
	plan, err = m.Install(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(plan); !reflect.DeepEqual(got, []string{"qemu-aarch64 unchanged", "qemu-arm unchanged"}) || len(k.ops) != 0 {
		t.Errorf("second install: %q, kernel writes %q; want unchanged and none", got, k.ops)
	}
}

func actions(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.Name+" "+string(c.Action))
	}
	return out
}

func TestInstallConflictNeedsForce(t *testing.T) {
	m, _ := newFake(t, false) // qemu-arm registered by Debian with POF
	before := snapshot(t, m.Root)
	opts := InstallOptions{Platforms: testenv.Platforms(t, "linux/arm/v7"), QEMUDir: testenv.FakeQEMUDir(t, "arm")}
	_, err := m.Install(context.Background(), opts)
	// The advice to force it is the CLI's (TestBinfmtHints).
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), `flags "POF"`) || strings.Contains(err.Error(), "--") {
		t.Fatalf("err = %v, want ErrConflict naming the flags and no flag", err)
	}
	if !reflect.DeepEqual(snapshot(t, m.Root), before) {
		t.Error("a refused install changed binfmt_misc")
	}
	opts.Force = true
	plan, err := m.Install(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(plan); !reflect.DeepEqual(got, []string{"qemu-arm replace"}) {
		t.Errorf("plan %q", got)
	}
	e, _ := m.Get(context.Background(), "qemu-arm")
	if e.Flags.String() != "OCF" || e.Interpreter != filepath.Join(opts.QEMUDir, "qemu-arm-static") {
		t.Errorf("replaced entry %+v", e)
	}
}

func TestInstallEnablesDisabledEntry(t *testing.T) {
	m, _ := newFake(t, false) // qemu-ppc64le: disabled, OCF, /usr/bin/qemu-ppc64le-static
	dir := filepath.Dir("/usr/bin/qemu-ppc64le-static")
	requireFile(t, "/usr/bin/qemu-ppc64le-static")
	plan, err := m.Install(context.Background(), InstallOptions{Platforms: testenv.Platforms(t, "ppc64le"), QEMUDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(plan); !reflect.DeepEqual(got, []string{"qemu-ppc64le enable"}) {
		t.Errorf("plan %q", got)
	}
	if e, _ := m.Get(context.Background(), "qemu-ppc64le"); !e.Enabled {
		t.Error("entry still disabled")
	}
}

// TestInstallRollback: the 2nd of 3 registrations fails; the 1st (a new
// entry) and the 3rd (a replacement) must leave no trace.
func TestInstallRollback(t *testing.T) {
	for _, failure := range []error{syscall.EPERM, syscall.EINVAL} {
		t.Run(failure.Error(), func(t *testing.T) {
			m, k := newFake(t, false)
			before := snapshot(t, m.Root)
			k.fail["register qemu-riscv64"] = failure
			opts := InstallOptions{Platforms: testenv.Platforms(t, "linux/arm64", "linux/riscv64", "linux/mips64le"),
				QEMUDir: testenv.FakeQEMUDir(t, "aarch64", "riscv64", "mips64el"), Force: true, Persist: true}
			_, err := m.Install(context.Background(), opts)
			if !errors.Is(err, failure) || !strings.Contains(err.Error(), "rolled back") {
				t.Fatalf("err = %v, want %v and a rollback", err, failure)
			}
			if failure == syscall.EPERM && !strings.Contains(err.Error(), "run as root (sudo)") {
				t.Errorf("EPERM error %q does not say to run as root", err)
			}
			if after := snapshot(t, m.Root); !reflect.DeepEqual(after, before) {
				t.Errorf("binfmt_misc after rollback differs:\n%v\nwant\n%v", after, before)
			}
			if files := snapshot(t, m.PersistDir); len(files) != 0 {
				t.Errorf("persisted files left behind: %v", files)
			}
			want := []string{"unregister qemu-aarch64", "register qemu-aarch64", "register qemu-riscv64", "unregister qemu-aarch64", "register qemu-aarch64"}
			if !reflect.DeepEqual(k.ops, want) {
				t.Errorf("kernel ops %q, want %q", k.ops, want)
			}
		})
	}
}

// TestReplaceFailureRestoresOld: unregistering worked, registering the new
// entry did not: the old one is back exactly.
func TestReplaceFailureRestoresOld(t *testing.T) {
	m, k := newFake(t, false)
	before := snapshot(t, m.Root)
	k.fail["register qemu-ppc64le"] = syscall.EACCES
	requireFile(t, "/usr/bin/qemu-ppc64le-static")
	_, err := m.Install(context.Background(), InstallOptions{Platforms: testenv.Platforms(t, "ppc64le"), Flags: FlagFixBinary, QEMUDir: "/usr/bin", Force: true})
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("err = %v", err)
	}
	after := snapshot(t, m.Root)
	if !reflect.DeepEqual(after, before) {
		t.Errorf("old disabled entry not restored exactly:\n%q\nwant\n%q", after["qemu-ppc64le"], before["qemu-ppc64le"])
	}
}

func TestInstallMissingEmulator(t *testing.T) {
	m, k := newFake(t, true)
	empty := t.TempDir()
	_, err := m.Install(context.Background(), InstallOptions{Platforms: testenv.Platforms(t, "arm64"), QEMUDir: empty})
	var emu *EmulatorError
	if !errors.Is(err, ErrNoEmulator) || !strings.Contains(err.Error(), "qemu-aarch64-static") || !errors.As(err, &emu) || emu.Dir != empty {
		t.Errorf("err = %v, want ErrNoEmulator naming the binary and the directory searched", err)
	}
	// What to install is the CLI's advice (TestBinfmtHints).
	_, err = m.Install(context.Background(), InstallOptions{All: true, QEMUDir: empty})
	if !errors.Is(err, ErrNoEmulator) || !strings.Contains(err.Error(), "for any foreign platform") || !errors.As(err, &emu) || emu.Path != "" {
		t.Errorf("all with no emulator: err = %v", err)
	}
	plan, err := m.Install(context.Background(), InstallOptions{All: true, QEMUDir: testenv.FakeQEMUDir(t, "s390x")})
	if err != nil {
		t.Fatal(err)
	}
	var registered, skipped []string
	for _, c := range plan.Changes {
		if c.Action == ActionSkip {
			skipped = append(skipped, c.Name)
		} else {
			registered = append(registered, c.Name+" "+string(c.Action))
		}
	}
	if !reflect.DeepEqual(registered, []string{"qemu-s390x register"}) || len(skipped) != len(platform.Foreign())-1 {
		t.Errorf("all: registered %q, skipped %q", registered, skipped)
	}
	if len(k.ops) != 1 {
		t.Errorf("kernel ops %q", k.ops)
	}
}

func TestInstallPersist(t *testing.T) {
	m, _ := newFake(t, true)
	opts := InstallOptions{Platforms: testenv.Platforms(t, "riscv64"), QEMUDir: testenv.FakeQEMUDir(t, "riscv64"), Persist: true}
	plan, err := m.Install(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := `:qemu-riscv64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:` +
		opts.QEMUDir + "/qemu-riscv64-static:CF\n"
	got, err := os.ReadFile(filepath.Join(m.PersistDir, "qemu-riscv64.conf"))
	if err != nil || string(got) != want || plan.Changes[0].Persist == "" {
		t.Errorf("persisted %q, %v\nwant %q", got, err, want)
	}
	if files := snapshot(t, m.PersistDir); len(files) != 1 {
		t.Errorf("persist dir holds %v, want only the .conf (no temp files)", files)
	}
	// Uninstall removes the entry and the file.
	plan, err = m.Uninstall(context.Background(), []string{"riscv64"})
	if err != nil || !reflect.DeepEqual(actions(plan), []string{"qemu-riscv64 remove"}) {
		t.Fatalf("uninstall: %q, %v", actions(plan), err)
	}
	if _, err := os.Stat(filepath.Join(m.PersistDir, "qemu-riscv64.conf")); !os.IsNotExist(err) {
		t.Error("persisted file left behind")
	}
	if _, err := m.Get(context.Background(), "qemu-riscv64"); !errors.Is(err, ErrNotFound) {
		t.Errorf("entry left behind: %v", err)
	}
}

func TestApplyMountsOnlyRealRoot(t *testing.T) {
	m := &Manager{Root: t.TempDir()}
	plan, err := m.PlanInstall(context.Background(), InstallOptions{Platforms: testenv.Platforms(t, "arm64"), QEMUDir: testenv.FakeQEMUDir(t, "aarch64")})
	if err != nil {
		t.Fatalf("planning works unmounted (for --dry-run): %v", err)
	}
	err = m.Apply(context.Background(), plan)
	want := "mount -t binfmt_misc binfmt_misc " + m.Root
	if !errors.Is(err, ErrNotMounted) || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want the mount command %q", err, want)
	}
}

func TestRegisterFileUnwritable(t *testing.T) {
	// No fake kernel: the real write path, on a register "file" that is a
	// directory.
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "register"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := &Manager{Root: root}
	err := m.Register(context.Background(), Registration{Name: "x", Magic: []byte{1}, Interpreter: "/q"})
	var ke *KernelError
	if !errors.As(err, &ke) || !errors.Is(err, syscall.EISDIR) || ke.Op != "register" {
		t.Errorf("err = %v, want a KernelError wrapping EISDIR", err)
	}
}

func TestKernelErrorAdvice(t *testing.T) {
	for errno, want := range map[syscall.Errno]string{
		syscall.EPERM:  "run as root (sudo)",
		syscall.EACCES: "run as root (sudo)",
		syscall.EEXIST: "an entry named qemu-x already exists",
		syscall.ENOENT: "F flag",
		syscall.EINVAL: "rejected the register line",
		syscall.EROFS:  "read-only",
	} {
		err := &KernelError{Op: "register", Name: "qemu-x", Path: "/r/register", Err: &os.PathError{Op: "write", Path: "/r/register", Err: errno}}
		if !strings.Contains(err.Error(), want) || !errors.Is(err, errno) {
			t.Errorf("%v: %q does not say %q", errno, err, want)
		}
	}
}
