package binfmt

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// formatEntry prints e as the kernel's entry_status() does.
func formatEntry(e Entry) []byte {
	var b strings.Builder
	b.WriteString(enabledWord(e.Enabled) + "\n")
	fmt.Fprintf(&b, "interpreter %s\nflags: %s\n", e.Interpreter, e.Flags)
	if e.Extension != "" {
		fmt.Fprintf(&b, "extension .%s\n", e.Extension)
		return []byte(b.String())
	}
	fmt.Fprintf(&b, "offset %d\nmagic %s\n", e.Offset, hex.EncodeToString(e.Magic))
	if e.Mask != nil {
		fmt.Fprintf(&b, "mask %s\n", hex.EncodeToString(e.Mask))
	}
	return []byte(b.String())
}

func enabledWord(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

// fakeKernel emulates binfmt_misc on a plain directory: a line written to
// register creates the entry file, "-1"/"0"/"1" written to an entry remove,
// disable, enable it, with the kernel's errnos. fail makes chosen writes
// fail, to test rollback.
type fakeKernel struct {
	root string
	// fail maps "register <name>", "unregister <name>" ... to the error
	// the next such write returns.
	fail map[string]error
	ops  []string
}

// newFake returns a Manager on a copy of testdata/root (or an empty mounted
// root when empty is true) and its fake kernel.
func newFake(t *testing.T, empty bool) (*Manager, *fakeKernel) {
	t.Helper()
	root := t.TempDir()
	if empty {
		root = testenv.EmptyBinfmtDir(t)
	} else if err := os.CopyFS(root, os.DirFS("testdata/root")); err != nil {
		t.Fatal(err)
	}
	k := &fakeKernel{root: root, fail: map[string]error{}}
	m := &Manager{Root: root, PersistDir: filepath.Join(t.TempDir(), "binfmt.d"), write: k.write}
	return m, k
}

func (k *fakeKernel) write(path string, data []byte) error {
	name := filepath.Base(path)
	if name == "register" {
		return k.register(string(data))
	}
	op := map[string]string{"-1": "unregister", "0": "disable", "1": "enable"}[string(data)]
	if op == "" {
		return syscall.EINVAL
	}
	if name == "status" {
		k.ops = append(k.ops, op+" binfmt_misc")
		if err := k.fail[op+" binfmt_misc"]; err != nil {
			delete(k.fail, op+" binfmt_misc")
			return err
		}
		if op == "unregister" {
			return syscall.ENOSYS // removes every entry; no test wants that
		}
		return os.WriteFile(path, []byte(op+"d\n"), 0o644)
	}
	k.ops = append(k.ops, op+" "+name)
	if err := k.fail[op+" "+name]; err != nil {
		delete(k.fail, op+" "+name)
		return err
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return syscall.ENOENT
	}
	e, err := ParseEntry(path, raw)
	if err != nil {
		return err
	}
	if op == "unregister" {
		return os.Remove(path)
	}
	e.Enabled = op == "enable"
	return os.WriteFile(path, formatEntry(e), 0o644)
}

func (k *fakeKernel) register(line string) error {
	r, err := ParseLine(line)
	if err != nil || !strings.HasSuffix(line, "\n") {
		return syscall.EINVAL
	}
	k.ops = append(k.ops, "register "+r.Name)
	if err := k.fail["register "+r.Name]; err != nil {
		delete(k.fail, "register "+r.Name)
		return err
	}
	path := filepath.Join(k.root, r.Name)
	if _, err := os.Stat(path); err == nil {
		return syscall.EEXIST
	}
	if r.Flags&FlagFixBinary != 0 {
		if _, err := os.Stat(r.Interpreter); err != nil {
			return syscall.ENOENT
		}
	}
	e := Entry{Name: r.Name, Enabled: true, Interpreter: r.Interpreter, Flags: r.Flags.Effective(),
		Offset: r.Offset, Magic: r.Magic, Mask: r.Mask, Extension: r.Extension}
	return os.WriteFile(path, formatEntry(e), 0o644)
}

// snapshot returns every file of dir by name, to compare states.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	for _, d := range entries {
		b, err := os.ReadFile(filepath.Join(dir, d.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[d.Name()] = string(b)
	}
	return out
}

// requireFile needs a file of the host's qemu-user-static package.
func requireFile(t *testing.T, path string) {
	t.Helper()
	_, err := os.Stat(path)
	testenv.Require(t, err == nil, path+" is missing: apt-get install qemu-user-static")
}
