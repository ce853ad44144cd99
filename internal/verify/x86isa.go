package verify

import (
	"debug/elf"
	"fmt"
	"io"
	"math/bits"
)

// X86ISA is the GNU_PROPERTY_X86_ISA_1_NEEDED bit set of an x86-64 file:
// the micro-architecture levels (x86-64-v2, -v3, -v4) its code requires.
type X86ISA uint32

// The ISA level bits (binutils' GNU_PROPERTY_X86_ISA_1_BASELINE, _V2, ...).
const (
	X86ISABaseline X86ISA = 1 << iota
	X86ISAV2
	X86ISAV3
	X86ISAV4
)

const (
	ntGNUPropertyType0  = 5          // NT_GNU_PROPERTY_TYPE_0
	gnuPropertyX86ISA1N = 0xc0008002 // GNU_PROPERTY_X86_ISA_1_NEEDED
)

// Level is the highest level needed: 0 when no property was found, 1 for
// baseline, 2 to 4 for x86-64-v2 to -v4.
func (x X86ISA) Level() int {
	return bits.Len32(uint32(x & (X86ISABaseline | X86ISAV2 | X86ISAV3 | X86ISAV4)))
}

// String names the level as the psABI does ("x86-64-v3"); empty when unknown.
func (x X86ISA) String() string {
	switch l := x.Level(); l {
	case 0:
		return ""
	case 1:
		return "x86-64"
	default:
		return fmt.Sprintf("x86-64-v%d", l)
	}
}

// readX86ISA finds GNU_PROPERTY_X86_ISA_1_NEEDED in a note segment. The
// property note is allocated, so linked files always carry it in a PT_NOTE
// or PT_GNU_PROPERTY segment: no section table is needed.
func readX86ISA(r io.ReaderAt, size int64, h header, p prog) (X86ISA, error) {
	if h.machine != elf.EM_X86_64 {
		return 0, nil
	}
	b, err := readSegment(r, size, p, maxNoteSize, "note segment")
	if err != nil {
		return 0, err
	}
	align := uint64(4)
	if p.align == 8 {
		align = 8
	}
	return parseGNUProperties(b, h, align), nil
}

// parseGNUProperties walks the notes of one segment; damage ends the walk,
// keeping what was found so far.
func parseGNUProperties(b []byte, h header, align uint64) X86ISA {
	var isa X86ISA
	for uint64(len(b)) >= 12 {
		namesz, descsz, typ := uint64(h.bo.Uint32(b)), uint64(h.bo.Uint32(b[4:])), h.bo.Uint32(b[8:])
		nameEnd := 12 + alignUp(namesz, 4)
		descEnd := alignUp(nameEnd, align) + alignUp(descsz, align)
		if namesz > uint64(len(b)) || descsz > uint64(len(b)) || descEnd > uint64(len(b)) {
			return isa
		}
		if typ == ntGNUPropertyType0 && namesz == 4 && string(b[12:16]) == "GNU\x00" {
			start := alignUp(nameEnd, align)
			isa |= x86ISAFromProps(b[start:start+descsz], h, align)
		}
		b = b[descEnd:]
	}
	return isa
}

func x86ISAFromProps(d []byte, h header, align uint64) X86ISA {
	var isa X86ISA
	for uint64(len(d)) >= 8 {
		typ, sz := h.bo.Uint32(d), uint64(h.bo.Uint32(d[4:]))
		end := 8 + alignUp(sz, align)
		if sz > uint64(len(d)) || end > uint64(len(d)) {
			return isa
		}
		if typ == gnuPropertyX86ISA1N && sz == 4 {
			isa |= X86ISA(h.bo.Uint32(d[8:]))
		}
		d = d[end:]
	}
	return isa
}

// alignUp rounds n up to a multiple of a (a power of two). Every n comes
// from a 32-bit field or a slice length, so the addition cannot overflow.
func alignUp(n, a uint64) uint64 { return (n + a - 1) &^ (a - 1) }
