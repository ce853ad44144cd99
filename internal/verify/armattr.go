package verify

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ARMArch is the Tag_CPU_arch value of the ARM EABI build attributes.
type ARMArch uint64

// Tag_CPU_arch values (ARM IHI 0045, "Addenda to the ARM ELF ABI").
// The numbering is not an order: v6T2 (8) is not available on a v6K core.
const (
	ARMArchPreV4 ARMArch = iota
	ARMArchV4
	ARMArchV4T
	ARMArchV5T
	ARMArchV5TE
	ARMArchV5TEJ
	ARMArchV6
	ARMArchV6KZ
	ARMArchV6T2
	ARMArchV6K
	ARMArchV7
	ARMArchV6M
	ARMArchV6SM
	ARMArchV7EM
	ARMArchV8
	ARMArchV8R
	ARMArchV8MBase
	ARMArchV8MMain
	ARMArchV81A
	ARMArchV82A
	ARMArchV83A
	ARMArchV81MMain
	ARMArchV9
)

var armArchNames = []string{
	"pre-v4", "v4", "v4T", "v5T", "v5TE", "v5TEJ", "v6", "v6KZ", "v6T2", "v6K", "v7",
	"v6-M", "v6S-M", "v7E-M", "v8", "v8-R", "v8-M.baseline", "v8-M.mainline",
	"v8.1-A", "v8.2-A", "v8.3-A", "v8.1-M.mainline", "v9",
}

// String is the architecture name without the "ARM" prefix ("v5TE").
func (a ARMArch) String() string {
	if a < ARMArch(len(armArchNames)) {
		return armArchNames[a]
	}
	return fmt.Sprintf("arch#%d", uint64(a))
}

// ARMAttributes are the file-scope "aeabi" build attributes classification
// reads.
type ARMAttributes struct {
	// Present is false when the file has no .ARM.attributes section or no
	// Tag_CPU_arch in it (Go-built binaries): the level is unknown.
	Present bool
	CPUArch ARMArch
	// Profile is Tag_CPU_arch_profile: 'A', 'R', 'M', 'S' or 0 if unset.
	Profile byte
	// CPUName is Tag_CPU_name when present ("7-A", "arm10tdmi").
	CPUName string
}

// The attribute tags that matter here, and the scope tag of file attributes.
const (
	tagFile           = 1
	tagCPUName        = 5
	tagCPUArch        = 6
	tagCPUArchProfile = 7
	tagCompatibility  = 32
	shtARMAttributes  = elf.SHT_LOPROC + 3
)

var errAttrTruncated = errors.New(".ARM.attributes: truncated")

// readARMAttributes finds and parses .ARM.attributes through debug/elf,
// after checking the section lies inside the file and is small.
func readARMAttributes(r io.ReaderAt, size int64) (ARMAttributes, error) {
	f, err := elf.NewFile(io.NewSectionReader(r, 0, size))
	if err != nil {
		return ARMAttributes{}, fmt.Errorf("section table: %w", err)
	}
	for _, s := range f.Sections {
		if s.Type != shtARMAttributes && s.Name != ".ARM.attributes" {
			continue
		}
		if s.Type == elf.SHT_NOBITS || s.Size > maxNoteSize || !within(s.Offset, s.Size, size) {
			return ARMAttributes{}, fmt.Errorf(".ARM.attributes (%d bytes at %d) too large or outside the file", s.Size, s.Offset)
		}
		b := make([]byte, s.Size)
		if _, err := r.ReadAt(b, int64(s.Offset)); err != nil {
			return ARMAttributes{}, fmt.Errorf(".ARM.attributes: %w", err)
		}
		return ParseARMAttributes(b, f.ByteOrder)
	}
	return ARMAttributes{}, nil
}

// ParseARMAttributes parses the contents of an .ARM.attributes section:
// format version 'A', then vendor subsections (uint32 length in the file's
// byte order, NUL-terminated vendor name); inside "aeabi", scope
// sub-subsections (ULEB128 tag, uint32 size) of which only file scope (tag
// 1) is read. Attributes are ULEB128 tag/value pairs, except the string
// valued tags. Subsections of other vendors are skipped by their length.
func ParseARMAttributes(b []byte, bo binary.ByteOrder) (ARMAttributes, error) {
	if len(b) == 0 {
		return ARMAttributes{}, nil
	}
	if b[0] != 'A' {
		return ARMAttributes{}, fmt.Errorf(".ARM.attributes: unknown format version %q", b[0])
	}
	var out ARMAttributes
	for b = b[1:]; len(b) > 0; {
		if len(b) < 4 {
			return out, errAttrTruncated
		}
		n := uint64(bo.Uint32(b))
		if n < 4 || n > uint64(len(b)) {
			return out, fmt.Errorf(".ARM.attributes: subsection length %d out of range", n)
		}
		sub := b[4:n]
		b = b[n:]
		vendor, rest, ok := bytes.Cut(sub, []byte{0})
		if !ok {
			return out, errAttrTruncated
		}
		if string(vendor) != "aeabi" {
			continue
		}
		if err := parseAEABI(rest, bo, &out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// parseAEABI walks the scope sub-subsections of the "aeabi" subsection.
func parseAEABI(b []byte, bo binary.ByteOrder, out *ARMAttributes) error {
	for len(b) > 0 {
		tag, n := uleb128(b)
		if n == 0 || len(b) < n+4 {
			return errAttrTruncated
		}
		size := uint64(bo.Uint32(b[n:]))
		if size < uint64(n+4) || size > uint64(len(b)) {
			return fmt.Errorf(".ARM.attributes: scope size %d out of range", size)
		}
		body := b[n+4 : size]
		b = b[size:]
		if tag != tagFile {
			continue
		}
		if err := parseFileAttrs(body, out); err != nil {
			return err
		}
	}
	return nil
}

func parseFileAttrs(b []byte, out *ARMAttributes) error {
	for len(b) > 0 {
		tag, n := uleb128(b)
		if n == 0 {
			return errAttrTruncated
		}
		b = b[n:]
		if attrIsString(tag) {
			s, rest, ok := bytes.Cut(b, []byte{0})
			if !ok {
				return errAttrTruncated
			}
			if tag == tagCPUName {
				out.CPUName = string(s)
			}
			b = rest
			continue
		}
		v, n := uleb128(b)
		if n == 0 {
			return errAttrTruncated
		}
		b = b[n:]
		switch tag {
		case tagCPUArch:
			out.Present, out.CPUArch = true, ARMArch(v)
		case tagCPUArchProfile:
			out.Profile = byte(v)
		case tagCompatibility: // a flag, then the name of the ABI
			_, rest, ok := bytes.Cut(b, []byte{0})
			if !ok {
				return errAttrTruncated
			}
			b = rest
		}
	}
	return nil
}

// attrIsString follows the ABI's rule: Tag_CPU_raw_name (4) and
// Tag_CPU_name (5) are strings, and above 32 odd tags are strings.
func attrIsString(tag uint64) bool {
	return tag == 4 || tag == tagCPUName || (tag > tagCompatibility && tag%2 == 1)
}

// uleb128 decodes one unsigned LEB128 value; n is 0 when b ends inside it
// or it does not fit 64 bits.
func uleb128(b []byte) (v uint64, n int) {
	var shift uint
	for i, c := range b {
		if shift >= 64 || (shift == 63 && c > 1) {
			return 0, 0
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, i + 1
		}
		shift += 7
	}
	return 0, 0
}
