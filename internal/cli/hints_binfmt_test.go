package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestBinfmtHints checks the flag- and command-shaped advice the CLI words
// from internal/binfmt's typed errors, on its own line after the
// library's text: what binfmt's messages said before they named no flags.
func TestBinfmtHints(t *testing.T) {
	arm64 := testenv.Platforms(t, "linux/arm64")[0]
	kernel := func(op string, errno syscall.Errno) error {
		return &binfmt.KernelError{Op: op, Name: "qemu-x", Path: "/r/register", Err: &os.PathError{Op: "write", Path: "/r/register", Err: errno}}
	}
	for _, tc := range []struct {
		name string
		err  error
		text string // the library's text, which names no flag or command
		want string // the advice, on its own line
	}{
		{"conflict", fmt.Errorf("%w: qemu-arm has flags %q (asked: %q)", binfmt.ErrConflict, "POF", "CF"), `flags "POF"`,
			"use --force to replace it (or `multiarch binfmt reregister` to only add missing flags)"},
		{"exists", kernel("register", syscall.EEXIST), "an entry named qemu-x already exists",
			"use --force to replace it, or uninstall it first"},
		{"no interpreter at registration", kernel("register", syscall.ENOENT), "the interpreter does not exist (the F flag makes the kernel open it at registration)",
			"install qemu-user-static or give --qemu-dir"},
		{"not on PATH", &binfmt.EmulatorError{Platform: arm64, Path: "qemu-aarch64-static"}, "QEMU emulator not found: linux/arm64: qemu-aarch64-static is not on PATH",
			"install qemu-user-static (apt-get install qemu-user-static) or give --qemu-dir"},
		{"not in --qemu-dir", &binfmt.EmulatorError{Platform: arm64, Path: "/q/qemu-aarch64-static", Dir: "/q"}, "QEMU emulator not found: linux/arm64: /q/qemu-aarch64-static",
			"check --qemu-dir"},
		{"none for all", &binfmt.EmulatorError{Dir: "/q"}, "QEMU emulator not found for any foreign platform",
			"install qemu-user-static (apt-get install qemu-user-static) or give --qemu-dir"},
		{"reregister without interpreter", &binfmt.EmulatorError{Platform: arm64, Path: "/nonexistent/qemu-aarch64", Entry: "qemu-aarch64"},
			"QEMU emulator not found: qemu-aarch64: interpreter /nonexistent/qemu-aarch64 is missing and the F flag needs it at registration",
			"install qemu-user-static, or `multiarch binfmt install --force` another interpreter"},
		{"nothing to reregister", fmt.Errorf("%w: %w", binfmt.ErrNotFound, binfmt.ErrNoEntries), "no such binfmt_misc entry: no matching qemu-* entry is registered",
			"run `multiarch binfmt install` first"},
		{"rollback failed", fmt.Errorf("%w\n%w: %w", kernel("register", syscall.EINVAL), binfmt.ErrRollback, kernel("unregister", syscall.EPERM)),
			"rolling back what this run changed also failed", "check `multiarch binfmt ls`"},
	} {
		err := fmt.Errorf("install: %w", tc.err)
		if strings.Contains(tc.err.Error(), "--") || strings.Contains(tc.err.Error(), "multiarch ") {
			t.Errorf("%s: the library's text names a flag or command: %q", tc.name, tc.err)
		}
		msg := Message(err)
		if !strings.Contains(msg, tc.text) || strings.Count(msg, tc.want) != 1 || !strings.Contains(msg, "\n"+tc.want) {
			t.Errorf("%s: message\n%s\nwant %q and, on its own line, %q", tc.name, msg, tc.text, tc.want)
		}
	}
	// Errors binfmt words no flag for get no binfmt advice.
	if got := binfmtHints(kernel("register", syscall.EINVAL)); len(got) != 0 {
		t.Errorf("EINVAL: %q", got)
	}
	if got := binfmtHints(errors.New("plain")); len(got) != 0 {
		t.Errorf("plain: %q", got)
	}
}
