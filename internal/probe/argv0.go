package probe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Argv0Marker is the argv[0] the argv[0] probe is started with. It differs
// from the probe's path (/probe) the way a multi-call binary's applet name
// (sh, cat) differs from /bin/busybox: busybox picks the applet from
// argv[0], so an emulator that replaces argv[0] by the path breaks it.
const Argv0Marker = "multiarch-argv0"

// tagOffset and tagByte mark the tagged argv[0] probe: the last padding
// byte of e_ident, which the kernel and QEMU ignore and every handler of
// the platform table requires to be zero, so only an entry registered
// with TaggedMagic matches the tagged probe.
const (
	tagOffset = 15
	tagByte   = 'm'
)

// Argv0Options tune an argv[0] probe.
type Argv0Options struct {
	Options
	// Tagged runs the tagged probe, which no ordinary handler matches:
	// only a (temporary) entry registered with TaggedMagic runs it, so a
	// candidate emulator can be tried beside the handler in place.
	Tagged bool
}

// Argv0Result is the outcome of one argv[0] probe.
type Argv0Result struct {
	Platform platform.Platform
	// Argv0 is what the program saw as its argv[0] (capped at 4 KiB).
	Argv0 string
	// Native is set when the host kernel ran the probe without emulation.
	Native bool
	// Preserved is set when the program saw Argv0Marker: the kernel
	// passed argv[0] on (binfmt_misc flag P) and the emulator honoured it.
	Preserved bool
	Duration  time.Duration
}

// RunArgv0 executes p's argv[0] probe as /probe in a fresh chroot, as Run
// does, started with argv[0] = Argv0Marker, and reports what it saw. A
// handler without the P flag shows the program its path ("/probe"); a
// handler with P whose emulator does not honour it (QEMU before 6, or a
// kernel before 5.12 that does not say so through AT_FLAGS) shows the
// path too, and shifts every other argument by one. Neither is an error:
// Preserved says which happened; errors are *Error as for Run.
func RunArgv0(ctx context.Context, p platform.Platform, opts Argv0Options) (Argv0Result, error) {
	start := time.Now()
	res := Argv0Result{Platform: p}
	bin, err := argv0Binary(p, opts.Tagged)
	a := newAttempt(p, opts.Options)
	res.Native = a.res.Native
	if err != nil {
		return res, a.fail(Setup, err, err.Error(), "")
	}
	err = a.exec(ctx, bin, Argv0Marker, nil, opts.Dir, func(out []byte) { res.Argv0 = string(out) })
	res.Duration = time.Since(start)
	res.Preserved = err == nil && res.Argv0 == Argv0Marker
	return res, err
}

// TaggedMagic returns the magic and mask of a binfmt_misc entry that runs
// p's tagged argv[0] probe and nothing else.
func TaggedMagic(p platform.Platform) (magic, mask []byte, err error) {
	if len(p.Magic) <= tagOffset || len(p.Mask) != len(p.Magic) {
		return nil, nil, fmt.Errorf("argv[0] probe %s: %w: magic of %d bytes", p, errors.ErrUnsupported, len(p.Magic))
	}
	magic, mask = slices.Clone(p.Magic), slices.Clone(p.Mask)
	magic[tagOffset], mask[tagOffset] = tagByte, 0xff
	return magic, mask, nil
}

// argv0Binary returns p's argv[0] probe: a static ELF file that writes
// its argv[0] to stdout and exits 0; tagged, it carries tagByte in its
// ELF identification padding.
func argv0Binary(p platform.Platform, tagged bool) ([]byte, error) {
	pc, ok := argv0s[p.QEMUArch]
	if !ok {
		return nil, fmt.Errorf("argv[0] probe %s: %w: no probe binary for QEMU target %q", p, errors.ErrUnsupported, p.QEMUArch)
	}
	bin, err := buildELF(p, pc.flags, pc.code)
	if err == nil && tagged {
		bin[tagOffset] = tagByte
	}
	return bin, err
}
