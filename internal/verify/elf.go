package verify

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Classification reads are capped so a hostile file cannot make Classify
// allocate more than this per structure, whatever its headers declare.
const (
	maxHeaderTable = 1 << 20 // program header table
	maxNoteSize    = 1 << 20 // one note segment, .ARM.attributes
	maxInterpSize  = 4096    // PATH_MAX
)

// ErrNotELF is returned by Classify for input that does not start with
// the ELF magic.
var ErrNotELF = errors.New("not an ELF file")

// ErrMalformed is wrapped by Classify when the ELF header itself cannot be
// read; damage further in is reported in ELFInfo.Warnings instead.
var ErrMalformed = errors.New("malformed ELF file")

// ELFInfo is what an ELF file says about the machine it runs on.
type ELFInfo struct {
	Class   elf.Class
	Data    elf.Data
	Machine elf.Machine
	Type    elf.Type
	// Flags is e_flags (for ARM: EABI version and float ABI).
	Flags uint32
	// Interpreter is the PT_INTERP path; empty for static executables.
	Interpreter string
	// ARM holds .ARM.attributes (32-bit ARM only).
	ARM ARMAttributes
	// X86ISANeeded holds GNU_PROPERTY_X86_ISA_1_NEEDED; zero when the
	// file carries no such property.
	X86ISANeeded X86ISA
	// Go is the CPU level a Go binary was built for; zero for other files.
	Go GoBuild
	// Partial is set when only the ELF and program headers were read
	// (the file was larger than the classification limit), so section
	// based facts (the ARM level) are unknown.
	Partial bool
	// Warnings lists damage found past the ELF header.
	Warnings []string
}

// Classify reads the ELF file of the given size from r. It reads only the
// headers, the loader path, note segments and, for 32-bit ARM, the
// .ARM.attributes section; every read is checked against size and capped,
// and malformed input yields an error or warnings, never a panic.
func Classify(r io.ReaderAt, size int64) (ELFInfo, error) {
	return classify(r, size, true)
}

// classify skips the section table when withSections is false: a bounded
// prefix of a large file holds the headers but not the sections.
func classify(r io.ReaderAt, size int64, withSections bool) (info ELFInfo, err error) {
	defer func() {
		// debug/elf is hardened but not promised panic-free on hostile input.
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: parser panic: %v", ErrMalformed, p)
		}
	}()
	h, err := readHeader(r, size)
	if err != nil {
		return ELFInfo{}, err
	}
	info = ELFInfo{Class: h.class, Data: h.data, Machine: h.machine, Type: h.typ, Flags: h.flags, Partial: !withSections}
	readProgs(r, size, h, &info)
	if withSections && h.machine == elf.EM_ARM {
		info.ARM, err = readARMAttributes(r, size)
		if err != nil {
			info.Warnings = append(info.Warnings, err.Error())
		}
	}
	if withSections {
		info.Go = readGoBuild(r, size, h)
	}
	return info, nil
}

// header is the part of the ELF header classification needs.
type header struct {
	class     elf.Class
	data      elf.Data
	bo        binary.ByteOrder
	machine   elf.Machine
	typ       elf.Type
	flags     uint32
	phoff     uint64
	phentsize uint64
	phnum     uint64
}

func readHeader(r io.ReaderAt, size int64) (header, error) {
	var b [64]byte
	n, _ := r.ReadAt(b[:min(int64(len(b)), max(size, 0))], 0)
	if n < 4 || !bytes.Equal(b[:4], []byte(elf.ELFMAG)) {
		return header{}, ErrNotELF
	}
	h := header{class: elf.Class(b[elf.EI_CLASS]), data: elf.Data(b[elf.EI_DATA])}
	switch h.data {
	case elf.ELFDATA2LSB:
		h.bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		h.bo = binary.BigEndian
	default:
		return header{}, fmt.Errorf("%w: unknown data encoding %d", ErrMalformed, b[elf.EI_DATA])
	}
	bo := h.bo
	switch {
	case h.class == elf.ELFCLASS32 && n >= 52:
		h.phoff = uint64(bo.Uint32(b[28:]))
		h.flags = bo.Uint32(b[36:])
		h.phentsize, h.phnum = uint64(bo.Uint16(b[42:])), uint64(bo.Uint16(b[44:]))
	case h.class == elf.ELFCLASS64 && n >= 64:
		h.phoff = bo.Uint64(b[32:])
		h.flags = bo.Uint32(b[48:])
		h.phentsize, h.phnum = uint64(bo.Uint16(b[54:])), uint64(bo.Uint16(b[56:]))
	case h.class == elf.ELFCLASS32 || h.class == elf.ELFCLASS64:
		return header{}, fmt.Errorf("%w: header truncated at %d bytes", ErrMalformed, n)
	default:
		return header{}, fmt.Errorf("%w: unknown class %d", ErrMalformed, b[elf.EI_CLASS])
	}
	h.typ = elf.Type(bo.Uint16(b[16:]))
	h.machine = elf.Machine(bo.Uint16(b[18:]))
	return h, nil
}

// prog is one program header, reduced to what classification reads.
type prog struct {
	typ         elf.ProgType
	flags       elf.ProgFlag
	off, filesz uint64
	align       uint64
}

func readProgs(r io.ReaderAt, size int64, h header, info *ELFInfo) {
	progs, err := progTable(r, size, h)
	if err != nil {
		info.Warnings = append(info.Warnings, err.Error())
		return
	}
	for _, p := range progs {
		switch p.typ {
		case elf.PT_INTERP:
			info.Interpreter, err = readInterp(r, size, p)
		case elf.PT_NOTE, elf.PT_GNU_PROPERTY:
			var isa X86ISA
			isa, err = readX86ISA(r, size, h, p)
			info.X86ISANeeded |= isa
		}
		if err != nil {
			info.Warnings = append(info.Warnings, err.Error())
			err = nil
		}
	}
}

func progTable(r io.ReaderAt, size int64, h header) ([]prog, error) {
	want := uint64(32)
	if h.class == elf.ELFCLASS64 {
		want = 56
	}
	if h.phnum == 0 {
		return nil, nil
	}
	if h.phentsize < want {
		return nil, fmt.Errorf("program header entry size %d, want %d", h.phentsize, want)
	}
	total := h.phentsize * h.phnum // both ≤ 0xffff: cannot overflow
	if total > maxHeaderTable || !within(h.phoff, total, size) {
		return nil, fmt.Errorf("program header table (%d bytes at %d) outside the file", total, h.phoff)
	}
	buf := make([]byte, total)
	if _, err := r.ReadAt(buf, int64(h.phoff)); err != nil {
		return nil, fmt.Errorf("program headers: %w", err)
	}
	progs := make([]prog, 0, h.phnum)
	for i := uint64(0); i < h.phnum; i++ {
		e := buf[i*h.phentsize:]
		if h.class == elf.ELFCLASS32 {
			progs = append(progs, prog{typ: elf.ProgType(h.bo.Uint32(e)), flags: elf.ProgFlag(h.bo.Uint32(e[24:])), off: uint64(h.bo.Uint32(e[4:])),
				filesz: uint64(h.bo.Uint32(e[16:])), align: uint64(h.bo.Uint32(e[28:]))})
			continue
		}
		progs = append(progs, prog{typ: elf.ProgType(h.bo.Uint32(e)), flags: elf.ProgFlag(h.bo.Uint32(e[4:])), off: h.bo.Uint64(e[8:]),
			filesz: h.bo.Uint64(e[32:]), align: h.bo.Uint64(e[48:])})
	}
	return progs, nil
}

// within reports whether [off, off+n) lies inside a file of the given size.
func within(off, n uint64, size int64) bool {
	return size >= 0 && off <= uint64(size) && n <= uint64(size)-off
}

// readSegment reads a whole segment whose size is at most limit.
func readSegment(r io.ReaderAt, size int64, p prog, limit uint64, what string) ([]byte, error) {
	if p.filesz > limit || !within(p.off, p.filesz, size) {
		return nil, fmt.Errorf("%s (%d bytes at %d) too large or outside the file", what, p.filesz, p.off)
	}
	buf := make([]byte, p.filesz)
	if _, err := r.ReadAt(buf, int64(p.off)); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return buf, nil
}

func readInterp(r io.ReaderAt, size int64, p prog) (string, error) {
	b, err := readSegment(r, size, p, maxInterpSize, "PT_INTERP")
	if err != nil {
		return "", err
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b), nil
}
