package cli

import (
	"errors"
	"syscall"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
)

// binfmtHints are the flag- and command-shaped next steps of
// internal/binfmt's typed errors: a missing emulator (install it, or point
// --qemu-dir at it), an entry with other settings (--force), a reregister
// with nothing to work on, a failed rollback.
func binfmtHints(err error) []string {
	var (
		out []string
		emu *binfmt.EmulatorError
		ke  *binfmt.KernelError
	)
	if errors.As(err, &emu) {
		out = append(out, emulatorHint(emu))
	}
	if errors.As(err, &ke) {
		out = append(out, kernelHint(ke)...)
	}
	switch {
	case errors.Is(err, binfmt.ErrConflict):
		out = append(out, "use --force to replace it (or `multiarch binfmt reregister` to only add missing flags)")
	case errors.Is(err, binfmt.ErrNoEntries):
		out = append(out, "run `multiarch binfmt install` first")
	}
	if errors.Is(err, binfmt.ErrRollback) {
		out = append(out, "check `multiarch binfmt ls`")
	}
	return out
}

func emulatorHint(e *binfmt.EmulatorError) string {
	switch {
	case e.Entry != "":
		return "install qemu-user-static, or `multiarch binfmt install --force` another interpreter"
	case e.Dir != "" && e.Path != "":
		return "check --qemu-dir"
	}
	return "install qemu-user-static (apt-get install qemu-user-static) or give --qemu-dir"
}

// kernelHint is the flag-shaped half of what a failed binfmt_misc write
// needs; KernelError's own text says the rest.
func kernelHint(e *binfmt.KernelError) []string {
	switch {
	case errors.Is(e, syscall.EEXIST):
		return []string{"use --force to replace it, or uninstall it first"}
	case errors.Is(e, syscall.ENOENT) && e.Op == "register":
		return []string{"install qemu-user-static or give --qemu-dir"}
	}
	return nil
}
