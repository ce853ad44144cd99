package imagetest

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// errNotInImage is wrapped when the executable is not in the image.
var errNotInImage = errors.New("not in the image")

// elfHeaderSize covers the ELF identification and e_machine.
const elfHeaderSize = 64

// preflight does what the platform's kernel would do before running file:
// find it, and refuse an ELF executable of another machine ("exec format
// error"). A builder whose kernel runs that machine natively would run it
// anyway and hide the defect, so the check is made here.
func preflight(ctx context.Context, c Container, t Target, file string) error {
	p, err := c.LookPath(ctx, file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", file, errNotInImage)
		}
		return fmt.Errorf("look up %s: %w", file, err)
	}
	head, err := c.ReadFile(ctx, p, elfHeaderSize)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	return checkELF(p, head, t)
}

// WrongArchError says an executable is an ELF file for another machine
// than the platform it is meant to run on.
type WrongArchError struct {
	Path, Platform string
	Machine        elf.Machine
	Class          elf.Class
	Data           elf.Data
}

func (e *WrongArchError) Error() string {
	return fmt.Sprintf("%s is an ELF executable for %s (%s, %s), not for %s: exec format error on a real %s machine (the builder's host or emulator may run it anyway and hide that)",
		e.Path, machineName(e.Machine), e.Class, e.Data, e.Platform, e.Platform)
}

func machineName(m elf.Machine) string {
	return strings.TrimPrefix(m.String(), "EM_")
}

// checkELF compares an ELF header with the platform; anything that is not
// ELF (a script) passes.
func checkELF(path string, head []byte, t Target) error {
	if !bytes.HasPrefix(head, []byte(elf.ELFMAG)) || len(head) < 20 {
		return nil
	}
	class, data := elf.Class(head[elf.EI_CLASS]), elf.Data(head[elf.EI_DATA])
	var order binary.ByteOrder = binary.LittleEndian
	if data == elf.ELFDATA2MSB {
		order = binary.BigEndian
	}
	machine := elf.Machine(order.Uint16(head[18:20]))
	p := t.Platform
	if machine == p.Machine && class == p.Class && data == p.Data {
		return nil
	}
	return &WrongArchError{Path: path, Platform: p.String(), Machine: machine, Class: class, Data: data}
}
