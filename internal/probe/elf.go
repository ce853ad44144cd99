package probe

//go:generate go run gen.go

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// probeCode is one probe's position-independent machine code (it only uses
// the stack) and the e_flags its ELF header must carry, as the toolchain
// that assembled it set them (ARM EABI5, ppc64le ELFv2, MIPS III, LoongArch
// LP64D): kernels and QEMU read them, ppc64le to pick the entry ABI.
type probeCode struct {
	flags uint32
	code  []byte
}

// loadAddr is the probe's load address: above every vm.mmap_min_addr in
// use and aligned to the largest page size (64 KiB, ppc64le).
const loadAddr = 0x400000

// Binary returns the probe executable for p's QEMU target: a static ELF
// file of a few hundred bytes that prints the machine name uname(2)
// reports (65 bytes, NUL padded) and exits with uname's result. Every row
// sharing a QEMU target (amd64 v1..v4, arm v5..v7) gets the same file; its
// code is valid on the oldest CPU of the target. The error wraps
// errors.ErrUnsupported for a target without a probe.
func Binary(p platform.Platform) ([]byte, error) {
	pc, ok := probes[p.QEMUArch]
	if !ok {
		return nil, fmt.Errorf("probe %s: %w: no probe binary for QEMU target %q", p, errors.ErrUnsupported, p.QEMUArch)
	}
	return buildELF(p, pc.flags, pc.code)
}

// Holder returns the holder executable for p's QEMU target: a static ELF
// file of a few dozen bytes that writes a newline to stdout (so the caller
// knows it runs), then blocks in pause(2) (ppoll(2) where the syscall
// table has no pause) until it is killed. A test container runs
// it as its PID 1, natively on the builder's node, so that the checks run
// beside it: PID 1 ignores the signals it sends itself, and QEMU dies of a
// guest's fatal signal by sending itself that signal. The error wraps
// errors.ErrUnsupported for a target without a holder (loongarch64).
func Holder(p platform.Platform) ([]byte, error) {
	hc, ok := holders[p.QEMUArch]
	if !ok {
		return nil, fmt.Errorf("holder %s: %w: no holder binary for QEMU target %q", p, errors.ErrUnsupported, p.QEMUArch)
	}
	return buildELF(p, hc.flags, hc.code)
}

// buildELF lays out one executable: ELF header, program headers (one
// PT_LOAD mapping the whole file read+execute, and PT_GNU_STACK so the
// stack is not executable), then the code at the entry point.
func buildELF(p platform.Platform, flags uint32, code []byte) ([]byte, error) {
	var order binary.ByteOrder
	switch p.Data {
	case elf.ELFDATA2LSB:
		order = binary.LittleEndian
	case elf.ELFDATA2MSB:
		order = binary.BigEndian
	default:
		return nil, fmt.Errorf("probe %s: %w: ELF data encoding %v", p, errors.ErrUnsupported, p.Data)
	}
	ident := [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(p.Class), byte(p.Data), byte(elf.EV_CURRENT), byte(elf.ELFOSABI_NONE)}

	var hdr, phdrs any
	switch p.Class {
	case elf.ELFCLASS64:
		const ehsize, phentsize, phnum = 64, 56, 2
		codeOff := uint64(ehsize + phentsize*phnum)
		size := codeOff + uint64(len(code))
		hdr = elf.Header64{
			Ident: ident, Type: uint16(elf.ET_EXEC), Machine: uint16(p.Machine),
			Version: uint32(elf.EV_CURRENT), Entry: loadAddr + codeOff, Phoff: ehsize,
			Flags: flags, Ehsize: ehsize, Phentsize: phentsize, Phnum: phnum,
			Shentsize: 64,
		}
		phdrs = []elf.Prog64{
			{Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X), Vaddr: loadAddr, Paddr: loadAddr,
				Filesz: size, Memsz: size, Align: 0x10000},
			{Type: uint32(elf.PT_GNU_STACK), Flags: uint32(elf.PF_R | elf.PF_W), Align: 16},
		}
	case elf.ELFCLASS32:
		const ehsize, phentsize, phnum = 52, 32, 2
		codeOff := uint32(ehsize + phentsize*phnum)
		size := codeOff + uint32(len(code))
		hdr = elf.Header32{
			Ident: ident, Type: uint16(elf.ET_EXEC), Machine: uint16(p.Machine),
			Version: uint32(elf.EV_CURRENT), Entry: loadAddr + codeOff, Phoff: ehsize,
			Flags: flags, Ehsize: ehsize, Phentsize: phentsize, Phnum: phnum,
			Shentsize: 40,
		}
		phdrs = []elf.Prog32{
			{Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X), Vaddr: loadAddr, Paddr: loadAddr,
				Filesz: size, Memsz: size, Align: 0x10000},
			{Type: uint32(elf.PT_GNU_STACK), Flags: uint32(elf.PF_R | elf.PF_W), Align: 4},
		}
	default:
		return nil, fmt.Errorf("probe %s: %w: ELF class %v", p, errors.ErrUnsupported, p.Class)
	}

	var b bytes.Buffer
	for _, v := range []any{hdr, phdrs} {
		if err := binary.Write(&b, order, v); err != nil {
			return nil, fmt.Errorf("probe %s: encode ELF headers: %w", p, err)
		}
	}
	b.Write(code)
	return slices.Clip(b.Bytes()), nil
}
