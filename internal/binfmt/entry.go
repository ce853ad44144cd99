package binfmt

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Entry is one registered binfmt_misc handler, as the kernel reports it.
type Entry struct {
	Name        string
	Enabled     bool
	Interpreter string
	Flags       Flags
	// Offset, Magic and Mask are set for magic (M) entries; Mask is nil
	// when the entry was registered without one.
	Offset      int
	Magic, Mask []byte
	// Extension is set (without the dot) for extension (E) entries.
	Extension string
	// Platforms are the table rows this entry serves (several for arm and
	// amd64 variants); empty for architectures the table does not know.
	Platforms []platform.Platform
}

// Platform returns the base row the entry serves (as platform.ByQEMUArch
// chooses it); ok is false for an entry of an unknown architecture.
func (e Entry) Platform() (p platform.Platform, ok bool) {
	if len(e.Platforms) == 0 {
		return platform.Platform{}, false
	}
	return e.Platforms[0], true
}

// Registration returns the register line data that recreates the entry
// exactly (used to restore an entry after replacing or removing it).
func (e Entry) Registration() Registration {
	return Registration{
		Name: e.Name, Offset: e.Offset, Magic: e.Magic, Mask: e.Mask,
		Extension: e.Extension, Interpreter: e.Interpreter, Flags: e.Flags,
	}
}

// ParseEntry parses the content of an entry file as the kernel prints it:
//
//	enabled
//	interpreter /usr/libexec/qemu-binfmt/arm-binfmt-P
//	flags: POF
//	offset 0
//	magic 7f454c46...
//	mask ffffffff...
//
// or, for an extension entry, "extension .x" instead of offset/magic/mask.
// path names the file in errors; its base name is the entry name.
func ParseEntry(path string, data []byte) (Entry, error) {
	p := entryParser{file: path, e: Entry{Name: filepath.Base(path)}, seen: map[string]bool{}}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i, line := range lines {
		if err := p.line(i+1, line); err != nil {
			return Entry{}, err
		}
	}
	if err := p.finish(); err != nil {
		return Entry{}, err
	}
	p.e.Platforms = matchPlatforms(p.e)
	return p.e, nil
}

// statusKey stands for the enabled/disabled line; no real key looks like it.
const statusKey = "\x00status"

type entryParser struct {
	file string
	e    Entry
	seen map[string]bool
}

func (p *entryParser) errorf(line int, format string, args ...any) error {
	return &ParseError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (p *entryParser) line(n int, line string) error {
	key, val, _ := strings.Cut(line, " ")
	if key == "enabled" || key == "disabled" {
		if val != "" {
			return p.errorf(n, "unexpected text after %q: %q", key, line)
		}
		val, key = key, statusKey
	}
	if key == "" && val == "" {
		return p.errorf(n, "empty line")
	}
	if p.seen[key] {
		return p.errorf(n, "%q given twice", key)
	}
	p.seen[key] = true
	return p.field(n, key, val)
}

func (p *entryParser) field(n int, key, val string) error {
	var err error
	switch key {
	case statusKey:
		if n != 1 {
			return p.errorf(n, "%q must be the first line", val)
		}
		p.e.Enabled = val == "enabled"
	case "interpreter":
		if val == "" {
			return p.errorf(n, "empty interpreter")
		}
		p.e.Interpreter = val
	case "flags:":
		if p.e.Flags, err = ParseFlags(val); err != nil {
			return p.errorf(n, "%v", err)
		}
	case "offset":
		if p.e.Offset, err = strconv.Atoi(val); err != nil || p.e.Offset < 0 {
			return p.errorf(n, "offset %q is not a non-negative number", val)
		}
	case "magic", "mask":
		b, err := hex.DecodeString(val)
		if err != nil || len(b) == 0 {
			return p.errorf(n, "%s %q is not non-empty hex", key, val)
		}
		if key == "magic" {
			p.e.Magic = b
		} else {
			p.e.Mask = b
		}
	case "extension":
		ext, ok := strings.CutPrefix(val, ".")
		if !ok || ext == "" {
			return p.errorf(n, "extension %q does not start with a dot", val)
		}
		p.e.Extension = ext
	default:
		return p.errorf(n, "unknown line %q", strings.TrimSpace(key+" "+val))
	}
	return nil
}

// finish checks what only the whole file can tell.
func (p *entryParser) finish() error {
	switch {
	case !p.seen[statusKey]:
		return p.errorf(0, "no enabled/disabled line")
	case !p.seen["interpreter"]:
		return p.errorf(0, "no interpreter line")
	case p.seen["extension"] && (p.seen["magic"] || p.seen["mask"] || p.seen["offset"]):
		return p.errorf(0, "both extension and magic")
	case !p.seen["extension"] && !p.seen["magic"]:
		return p.errorf(0, "neither magic nor extension")
	case p.e.Mask != nil && len(p.e.Mask) != len(p.e.Magic):
		return p.errorf(0, "mask has %d bytes, magic %d", len(p.e.Mask), len(p.e.Magic))
	}
	return nil
}

// matchPlatforms finds the table rows whose magic and mask match the entry;
// an entry with other values (a hand-made one) still maps through its
// qemu-<arch> name.
func matchPlatforms(e Entry) []platform.Platform {
	var out []platform.Platform
	if e.Extension == "" && e.Offset == 0 {
		for _, p := range platform.All() {
			if sameMatch(e.Magic, e.Mask, p.Magic, p.Mask) {
				out = append(out, p)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	arch, ok := strings.CutPrefix(e.Name, "qemu-")
	if !ok {
		return nil
	}
	base, ok := platform.ByQEMUArch(arch)
	if !ok {
		return nil
	}
	for _, p := range platform.All() {
		if p.QEMUArch == base.QEMUArch {
			out = append(out, p)
		}
	}
	return out
}

// sameMatch reports whether two magic/mask pairs match the same binaries:
// the kernel compares (header & mask) with magic, so only masked magic
// bytes matter, and no mask means every bit counts.
func sameMatch(magic1, mask1, magic2, mask2 []byte) bool {
	if len(magic1) != len(magic2) {
		return false
	}
	m1, m2 := fullMask(mask1, len(magic1)), fullMask(mask2, len(magic2))
	if !bytes.Equal(m1, m2) {
		return false
	}
	for i := range magic1 {
		if magic1[i]&m1[i] != magic2[i]&m2[i] {
			return false
		}
	}
	return true
}

func fullMask(mask []byte, n int) []byte {
	if mask != nil {
		return mask
	}
	return bytes.Repeat([]byte{0xff}, n)
}
