package binfmt

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	// maxMagicEnd bounds offset+len(magic): the kernel matches within the
	// first BINPRM_BUF_SIZE bytes of a binary, 128 on older kernels (256
	// since 5.1); we hold to the smaller so a line works everywhere.
	maxMagicEnd = 128
	// maxLineLength is the kernel's MAX_REGISTER_LENGTH.
	maxLineLength = 1920
)

// Registration is what one register line declares:
// :name:type:offset:magic:mask:interpreter:flags.
type Registration struct {
	Name string
	// Offset, Magic and Mask describe a magic (M) entry; Mask may be nil.
	Offset      int
	Magic, Mask []byte
	// Extension (without the dot) makes it an extension (E) entry instead.
	Extension   string
	Interpreter string
	Flags       Flags
}

// Type is the register line's type field: 'E' for extension, 'M' for magic.
func (r Registration) Type() byte {
	if r.Extension != "" {
		return 'E'
	}
	return 'M'
}

// Line validates r and returns its register line (no newline), with every
// magic and mask byte escaped as \xHH so the ':' delimiter never appears raw.
func (r Registration) Line() (string, error) {
	if err := r.Validate(); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(":" + r.Name + ":" + string(r.Type()) + ":")
	if r.Extension != "" {
		b.WriteString(":" + r.Extension + "::")
	} else {
		if r.Offset != 0 {
			b.WriteString(strconv.Itoa(r.Offset))
		}
		b.WriteString(":" + escapeHex(r.Magic) + ":" + escapeHex(r.Mask) + ":")
	}
	b.WriteString(r.Interpreter + ":" + r.Flags.lineString())
	if b.Len() > maxLineLength {
		return "", fmt.Errorf("%w: %s: register line is %d bytes, the kernel takes at most %d", ErrInvalid, r.Name, b.Len(), maxLineLength)
	}
	return b.String(), nil
}

func escapeHex(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, `\x%02x`, c)
	}
	return s.String()
}

// Validate checks r against the kernel's rules, plus ours: names and
// extensions never hold the delimiter, the interpreter is absolute.
func (r Registration) Validate() error {
	if err := validateName(r.Name); err != nil {
		return err
	}
	if err := r.validateMatch(); err != nil {
		return err
	}
	return r.validateInterpreter()
}

func validateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty entry name", ErrInvalid)
	case name == "." || name == "..":
		return fmt.Errorf("%w: entry name %q", ErrInvalid, name)
	case name == "register" || name == "status":
		return fmt.Errorf("%w: entry name %q is reserved by binfmt_misc", ErrInvalid, name)
	case len(name) > 255:
		return fmt.Errorf("%w: entry name longer than 255 bytes", ErrInvalid)
	case strings.ContainsAny(name, "/:") || hasControl(name):
		return fmt.Errorf("%w: entry name %q contains '/', ':' or a control character", ErrInvalid, name)
	}
	return nil
}

func (r Registration) validateMatch() error {
	if r.Extension != "" {
		if len(r.Magic) > 0 || len(r.Mask) > 0 || r.Offset != 0 {
			return fmt.Errorf("%w: %s: an extension entry has no magic, mask or offset", ErrInvalid, r.Name)
		}
		if strings.ContainsAny(r.Extension, "/:") || hasControl(r.Extension) {
			return fmt.Errorf("%w: %s: extension %q contains '/', ':' or a control character", ErrInvalid, r.Name, r.Extension)
		}
		return nil
	}
	switch {
	case len(r.Magic) == 0:
		return fmt.Errorf("%w: %s: empty magic", ErrInvalid, r.Name)
	case r.Offset < 0 || r.Offset+len(r.Magic) > maxMagicEnd:
		return fmt.Errorf("%w: %s: offset %d + magic %d bytes must be at most %d", ErrInvalid, r.Name, r.Offset, len(r.Magic), maxMagicEnd)
	case r.Mask != nil && len(r.Mask) != len(r.Magic):
		return fmt.Errorf("%w: %s: mask has %d bytes, magic %d; they must be equal", ErrInvalid, r.Name, len(r.Mask), len(r.Magic))
	}
	return nil
}

func (r Registration) validateInterpreter() error {
	switch {
	case !filepath.IsAbs(r.Interpreter):
		return fmt.Errorf("%w: %s: interpreter %q is not an absolute path", ErrInvalid, r.Name, r.Interpreter)
	case strings.Contains(r.Interpreter, ":") || hasControl(r.Interpreter):
		return fmt.Errorf("%w: %s: interpreter %q contains ':' or a control character", ErrInvalid, r.Name, r.Interpreter)
	case r.Flags&^(FlagPreserveArgv0|FlagOpenBinary|FlagCredentials|FlagFixBinary) != 0:
		return fmt.Errorf("%w: %s: unknown flag bits %#x", ErrInvalid, r.Name, uint8(r.Flags))
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f })
}
