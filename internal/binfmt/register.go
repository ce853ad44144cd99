package binfmt

import (
	"bytes"
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

// ParseLine parses one register line (a line of a systemd-binfmt .conf
// file): the first character is the delimiter, magic and mask take \xHH
// escapes as the kernel does, a trailing newline is allowed.
func ParseLine(line string) (Registration, error) {
	line = strings.TrimSuffix(line, "\n")
	if line == "" {
		return Registration{}, fmt.Errorf("%w: empty register line", ErrInvalid)
	}
	fields := strings.Split(line[1:], line[:1])
	if len(fields) != 7 {
		return Registration{}, fmt.Errorf("%w: register line %q has %d fields, want 7 (:name:type:offset:magic:mask:interpreter:flags)", ErrInvalid, line, len(fields))
	}
	r, err := parseFields(fields)
	if err != nil {
		return Registration{}, fmt.Errorf("%w (line %q)", err, line)
	}
	return r, r.Validate()
}

func parseFields(f []string) (Registration, error) {
	r := Registration{Name: f[0], Interpreter: f[5]}
	var err error
	if r.Flags, err = ParseFlags(f[6]); err != nil {
		return r, err
	}
	switch f[1] {
	case "E":
		if f[2] != "" || f[4] != "" {
			return r, fmt.Errorf("%w: extension entry with offset or mask", ErrInvalid)
		}
		r.Extension = f[3]
		if r.Extension == "" {
			return r, fmt.Errorf("%w: empty extension", ErrInvalid)
		}
	case "M":
		if f[2] != "" {
			if r.Offset, err = strconv.Atoi(f[2]); err != nil {
				return r, fmt.Errorf("%w: offset %q is not a number", ErrInvalid, f[2])
			}
		}
		r.Magic = unescapeHex(f[3])
		if f[4] != "" {
			r.Mask = unescapeHex(f[4])
		}
	default:
		return r, fmt.Errorf("%w: type %q, want M or E", ErrInvalid, f[1])
	}
	return r, nil
}

// unescapeHex undoes \xH and \xHH escapes and leaves every other byte as
// it is, like the kernel's string_unescape(ESCAPE_HEX).
func unescapeHex(s string) []byte {
	var out bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+2 < len(s) && s[i+1] == 'x' && isHex(s[i+2]) {
			v := hexVal(s[i+2])
			i += 2
			if i+1 < len(s) && isHex(s[i+1]) {
				v = v<<4 | hexVal(s[i+1])
				i++
			}
			out.WriteByte(v)
			continue
		}
		out.WriteByte(s[i])
	}
	return out.Bytes()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
