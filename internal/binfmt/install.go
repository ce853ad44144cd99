package binfmt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// InstallOptions says which QEMU handlers to register and how.
type InstallOptions struct {
	// Platforms to register; several rows of one QEMU target (arm/v6 and
	// arm/v7) share one entry.
	Platforms []platform.Platform
	// All adds every foreign platform of the table (platform.Foreign);
	// those whose emulator is missing are skipped, not errors.
	All bool
	// Flags of the new entries; 0 means DefaultFlags (CF), plus P for each
	// emulator Argv0 shows keeps argv[0] (a warning on the change when it
	// does not).
	Flags Flags
	// Argv0 tries an emulator with the P flag when Flags is 0; nil: no
	// trial, no P. It may register temporary entries (see Trial).
	Argv0 Argv0Func
	// QEMUDir holds the qemu-<arch>-static binaries; "" searches PATH.
	QEMUDir string
	// Persist also writes <PersistDir>/<name>.conf for each entry.
	Persist bool
	// Force replaces an existing entry with other settings; without it
	// that is an error wrapping ErrConflict.
	Force bool
}

// Install registers QEMU handlers: EnsureMounted, PlanInstall, Apply.
func (m *Manager) Install(ctx context.Context, opts InstallOptions) (*Plan, error) {
	return m.planAndApply(ctx, func() (*Plan, error) { return m.PlanInstall(ctx, opts) })
}

// PlanInstall decides what Install would do, writing nothing but the
// temporary entries of opts.Argv0's trials. Every problem (native
// architecture, missing emulator, conflicting entry) is found here, for
// all platforms at once, so nothing is written when any of them fails.
func (m *Manager) PlanInstall(ctx context.Context, opts InstallOptions) (*Plan, error) {
	if opts.Flags != 0 {
		opts.Argv0 = nil // the caller chose the flags
	} else {
		opts.Flags = DefaultFlags
	}
	targets, err := installTargets(opts)
	if err != nil {
		return nil, err
	}
	existing, err := m.entriesByName(ctx)
	if err != nil {
		return nil, err
	}
	plan := &Plan{}
	var errs []error
	for _, p := range targets {
		c, err := m.planInstallOne(ctx, p, existing, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		plan.Changes = append(plan.Changes, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if opts.All && !slices.ContainsFunc(plan.Changes, func(c Change) bool { return c.Action != ActionSkip }) {
		return nil, &EmulatorError{Dir: opts.QEMUDir}
	}
	return plan, nil
}

// installTargets lists the platforms to register, one per entry name, and
// refuses native ones.
func installTargets(opts InstallOptions) ([]platform.Platform, error) {
	list := opts.Platforms
	if opts.All {
		list = append(slices.Clone(list), platform.Foreign()...)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: no platform given; name platforms (linux/arm64,linux/arm/v7) or all", ErrInvalid)
	}
	native := platform.NativeArches()
	var out []platform.Platform
	var errs []error
	for _, p := range list {
		if slices.Contains(native, p.QEMUArch) {
			errs = append(errs, nativeError(p))
			continue
		}
		if !slices.ContainsFunc(out, func(q platform.Platform) bool { return q.QEMUArch == p.QEMUArch }) {
			out = append(out, p)
		}
	}
	return out, errors.Join(errs...)
}

func nativeError(p platform.Platform) error {
	return fmt.Errorf("%w: %s (%s) runs natively on this %s host; a binfmt handler for it would hijack every native binary",
		ErrNativeArch, p, p.QEMUArch, platform.Host())
}

func (m *Manager) planInstallOne(ctx context.Context, p platform.Platform, existing map[string]Entry, opts InstallOptions) (Change, error) {
	c := Change{Name: p.BinfmtName(), Platform: p}
	interp, err := FindEmulator(p, opts.QEMUDir)
	if err != nil {
		if opts.All && errors.Is(err, ErrNoEmulator) {
			c.Action, c.Reason = ActionSkip, err.Error()
			return c, nil
		}
		return c, err
	}
	reg := Registration{Name: c.Name, Magic: p.Magic, Mask: p.Mask, Interpreter: interp, Flags: opts.Flags}
	reg.Flags, c.Warning = argv0Flags(ctx, opts.Argv0, reg, p)
	if c.Line, err = reg.Line(); err != nil {
		return c, err
	}
	c.New = &reg
	if opts.Persist {
		c.Persist = m.ConfPath(c.Name)
	}
	old, ok := existing[c.Name]
	if ok {
		c.Old = &old
	}
	switch {
	case !ok:
		c.Action = ActionRegister
	case sameRegistration(old, reg) && old.Enabled:
		c.Action, c.Reason = ActionUnchanged, "already registered with these settings"
	case sameRegistration(old, reg):
		c.Action, c.Reason = ActionEnable, "registered with these settings but disabled"
	case opts.Force:
		c.Action, c.Reason = ActionReplace, "had "+differences(old, reg)
	default:
		return c, fmt.Errorf("%w: %s has %s", ErrConflict, c.Name, differences(old, reg))
	}
	return c, nil
}

// sameRegistration reports whether entry e already is registration r, as
// far as the kernel's behaviour goes.
func sameRegistration(e Entry, r Registration) bool {
	if e.Extension != r.Extension || e.Interpreter != r.Interpreter || e.Flags.Effective() != r.Flags.Effective() {
		return false
	}
	return e.Extension != "" || e.Offset == r.Offset && sameMatch(e.Magic, e.Mask, r.Magic, r.Mask)
}

// differences says how entry e differs from registration r, in the words
// a user needs to decide whether to replace it.
func differences(e Entry, r Registration) string {
	var diffs []string
	if e.Flags.Effective() != r.Flags.Effective() {
		diffs = append(diffs, fmt.Sprintf("flags %q (asked: %q)", e.Flags, r.Flags))
	}
	if e.Interpreter != r.Interpreter {
		diffs = append(diffs, fmt.Sprintf("interpreter %s (asked: %s)", e.Interpreter, r.Interpreter))
	}
	if e.Extension != r.Extension || e.Offset != r.Offset || !sameMatch(e.Magic, e.Mask, r.Magic, r.Mask) {
		diffs = append(diffs, "another magic/mask")
	}
	return strings.Join(diffs, ", ")
}

// entriesByName maps the current entries by name; an unmounted
// binfmt_misc has none (Apply mounts it or says how).
func (m *Manager) entriesByName(ctx context.Context) (map[string]Entry, error) {
	out := map[string]Entry{}
	if !m.Mounted() {
		return out, nil
	}
	entries, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		out[e.Name] = e
	}
	return out, nil
}
