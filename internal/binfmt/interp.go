package binfmt

import (
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Interpreter holds the facts about an entry's interpreter that decide
// whether the entry can work, in a container in particular.
type Interpreter struct {
	Path string
	// Resolved is Path with symlinks followed: Debian's
	// /usr/libexec/qemu-binfmt/arm-binfmt-P is /usr/bin/qemu-arm-static.
	Resolved string
	Exists   bool
	// Static is true for an ELF file without a PT_INTERP program header:
	// it needs no dynamic loader, so it runs inside any container. Debian's
	// qemu is static-pie (ET_DYN without PT_INTERP), which counts as static.
	Static bool
	// Err says why Exists or Static could not be established (nil when the
	// file simply does not exist).
	Err error
}

// InspectInterpreter gathers the facts about the interpreter at path.
func InspectInterpreter(path string) Interpreter {
	in := Interpreter{Path: path}
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			in.Err = err
		}
		return in
	}
	in.Resolved, in.Exists = resolved, true
	in.Static, in.Err = isStaticELF(resolved)
	return in
}

func isStaticELF(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, fmt.Errorf("%s is not a readable ELF file: %w", path, err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return false, fmt.Errorf("%s is an ELF %s, not an executable", path, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}

// FindEmulator returns the absolute path of the static QEMU emulator of p:
// qemu-<arch>-static in dir when dir is set, else on PATH.
//
// Debian's /usr/libexec/qemu-binfmt/<arch>-binfmt-P is deliberately not a
// fallback: it is a symlink to the same -static binary, and its name tells
// Debian's QEMU that the P flag is in effect, so it must not be registered
// without P. Where the -static binary is absent, so is the symlink's target.
func FindEmulator(p platform.Platform, dir string) (string, error) {
	name := p.EmulatorBinary()
	if dir != "" {
		path, err := filepath.Abs(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(path); err != nil {
			return "", &EmulatorError{Platform: p, Path: path, Dir: dir}
		}
		return path, nil
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", &EmulatorError{Platform: p, Path: name}
	}
	return filepath.Abs(path)
}
