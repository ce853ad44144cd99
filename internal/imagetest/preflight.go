package imagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/multiarch-dev/multiarch/internal/verify"
)

// errNotInImage is wrapped when the executable is not in the image.
var errNotInImage = errors.New("not in the image")

// elfHeaderSize covers the ELF identification and e_machine.
const elfHeaderSize = 64

// preflight does what the platform's kernel would do before running file:
// find it, and refuse an ELF executable of another machine ("exec format
// error"). A builder whose kernel runs that machine natively would run it
// anyway and hide the defect, so the check is made here. It returns the
// path it found.
func preflight(ctx context.Context, c Container, t Target, file string) (string, error) {
	p, err := c.LookPath(ctx, file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: %w", file, errNotInImage)
		}
		return "", fmt.Errorf("look up %s: %w", file, err)
	}
	head, err := c.ReadFile(ctx, p, elfHeaderSize)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	return p, checkELF(p, head, t)
}

// WrongArchError says an executable is an ELF file for another machine
// than the platform it is meant to run on.
type WrongArchError struct {
	Path, Platform string
	// ELF is what verify read from the file's header.
	ELF verify.ELFInfo
}

func (e *WrongArchError) Error() string {
	return fmt.Sprintf("%s is %s, not for %s: exec format error on a real %s machine (the builder's host or emulator may run it anyway and hide that)",
		e.Path, e.ELF, e.Platform, e.Platform)
}

// checkELF compares an ELF header with the platform as the kernel would
// before running it; anything that is not ELF (a script) passes.
func checkELF(path string, head []byte, t Target) error {
	info, err := verify.Classify(bytes.NewReader(head), int64(len(head)))
	switch {
	case errors.Is(err, verify.ErrNotELF):
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w: exec format error", path, err)
	}
	p := t.Platform
	if info.Machine == p.Machine && info.Class == p.Class && info.Data == p.Data {
		return nil
	}
	return &WrongArchError{Path: path, Platform: p.String(), ELF: info}
}
