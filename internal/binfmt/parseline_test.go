package binfmt

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// ParseLine and its helpers read register lines back (a line of a
// systemd-binfmt .conf file, what the fake kernel is written). Only tests
// read them: multiarch writes register lines, never parses them.

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
