package binfmt

import (
	"fmt"
	"strings"
)

// Flags is a set of binfmt_misc entry flags.
type Flags uint8

const (
	// FlagPreserveArgv0 (P) passes the original argv[0] to the interpreter.
	FlagPreserveArgv0 Flags = 1 << iota
	// FlagOpenBinary (O) hands the interpreter an open fd of the binary, so
	// it can run binaries it could not open itself.
	FlagOpenBinary
	// FlagCredentials (C) computes credentials from the binary, not the
	// interpreter: setuid programs (sudo) work under emulation. Implies O.
	FlagCredentials
	// FlagFixBinary (F) makes the kernel open the interpreter at
	// registration, so it works inside containers and chroots that do not
	// contain it.
	FlagFixBinary
)

// DefaultFlags is what install and reregister ask for when given no flags:
// F so emulation works in containers, C so setuid binaries work.
const DefaultFlags = FlagCredentials | FlagFixBinary

// kernelOrder is the order the kernel prints flags in its entry files.
var kernelOrder = []struct {
	c byte
	f Flags
}{{'P', FlagPreserveArgv0}, {'O', FlagOpenBinary}, {'C', FlagCredentials}, {'F', FlagFixBinary}}

// lineOrder is the order flags take in register lines we write. It is the
// order of Debian's qemu-user-static binfmt.d files ("OPF"), so persisted
// files compare equal to the distro's for the same flags.
var lineOrder = []struct {
	c byte
	f Flags
}{{'O', FlagOpenBinary}, {'P', FlagPreserveArgv0}, {'C', FlagCredentials}, {'F', FlagFixBinary}}

// ParseFlags parses a flag string such as "CF" or "POF": any order, each of
// P, O, C, F at most once, case-insensitive. The empty string is no flags.
func ParseFlags(s string) (Flags, error) {
	var f Flags
	for i := 0; i < len(s); i++ {
		bit, ok := flagBit(s[i])
		if !ok {
			return 0, fmt.Errorf("%w: flag %q in %q; valid flags are P, O, C, F (e.g. CF)", ErrInvalid, s[i], s)
		}
		if f&bit != 0 {
			return 0, fmt.Errorf("%w: flag %q given twice in %q", ErrInvalid, s[i], s)
		}
		f |= bit
	}
	return f, nil
}

func flagBit(c byte) (Flags, bool) {
	if 'a' <= c && c <= 'z' {
		c -= 'a' - 'A'
	}
	for _, k := range kernelOrder {
		if k.c == c {
			return k.f, true
		}
	}
	return 0, false
}

// String prints the flags as the kernel does in an entry file ("POCF" order).
func (f Flags) String() string { return f.format(kernelOrder) }

func (f Flags) lineString() string { return f.format(lineOrder) }

func (f Flags) format(order []struct {
	c byte
	f Flags
}) string {
	var b strings.Builder
	for _, k := range order {
		if f&k.f != 0 {
			b.WriteByte(k.c)
		}
	}
	return b.String()
}

// Effective is the set the kernel really applies: C implies O, so an entry
// registered with "CF" reads back as "OCF".
func (f Flags) Effective() Flags {
	if f&FlagCredentials != 0 {
		return f | FlagOpenBinary
	}
	return f
}

// Has reports whether every flag of g is in f (after C implies O).
func (f Flags) Has(g Flags) bool { return f.Effective()&g.Effective() == g.Effective() }
