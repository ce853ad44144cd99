package binfmt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// ReregisterOptions says which entries must have which flags.
type ReregisterOptions struct {
	// Flags to add; 0 means DefaultFlags (CF), plus P for each entry whose
	// emulator Argv0 shows keeps argv[0] (a warning on the change when it
	// does not).
	Flags Flags
	// Argv0 tries an entry's emulator with the P flag when Flags is 0;
	// nil: no trial, no P. It may register temporary entries (see Trial).
	Argv0 Argv0Func
	// Platforms limits the run to the entries serving them; empty means
	// every qemu-* entry.
	Platforms []platform.Platform
}

// Reregister adds missing flags to existing entries: EnsureMounted,
// PlanReregister, Apply.
func (m *Manager) Reregister(ctx context.Context, opts ReregisterOptions) (*Plan, error) {
	return m.planAndApply(ctx, func() (*Plan, error) { return m.PlanReregister(ctx, opts) })
}

// PlanReregister plans re-registering every qemu-* entry with its own
// magic, mask, offset and interpreter and the union of its flags and
// opts.Flags — what the classic reregister script did through
// update-binfmts, for entries registered without F or C. A disabled entry
// stays disabled. P is added only where a trial shows it is safe: an
// emulator that does not honour it would shift every argument.
func (m *Manager) PlanReregister(ctx context.Context, opts ReregisterOptions) (*Plan, error) {
	if opts.Flags != 0 {
		opts.Argv0 = nil // the caller chose the flags
	} else {
		opts.Flags = DefaultFlags
	}
	entries, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	plan := &Plan{}
	var errs []error
	for _, e := range entries {
		if !wanted(e, opts.Platforms) {
			continue
		}
		c, err := planReregisterOne(ctx, e, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		plan.Changes = append(plan.Changes, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(plan.Changes) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, ErrNoEntries)
	}
	return plan, nil
}

// wanted reports whether entry e is one reregister works on.
func wanted(e Entry, only []platform.Platform) bool {
	if len(only) == 0 {
		return strings.HasPrefix(e.Name, "qemu-")
	}
	return slices.ContainsFunc(e.Platforms, func(p platform.Platform) bool {
		return slices.ContainsFunc(only, func(q platform.Platform) bool { return q.QEMUArch == p.QEMUArch })
	})
}

func planReregisterOne(ctx context.Context, e Entry, opts ReregisterOptions) (Change, error) {
	c := Change{Name: e.Name, Old: &e, disabled: !e.Enabled}
	c.Platform, _ = e.Platform()
	reg := e.Registration()
	reg.Flags = e.Flags | opts.Flags
	add := opts.Flags
	if c.Platform.Arch != "" && statOK(reg.Interpreter) { // a missing interpreter fails below
		reg.Flags, c.Warning = argv0Flags(ctx, opts.Argv0, reg, c.Platform)
		add |= reg.Flags & FlagPreserveArgv0
	}
	var err error
	if c.Line, err = reg.Line(); err != nil {
		return c, err
	}
	c.New = &reg
	if e.Flags.Has(reg.Flags) {
		c.Action, c.Reason = ActionUnchanged, "already has flags "+add.String()
		return c, nil
	}
	if reg.Flags&FlagFixBinary != 0 {
		// The kernel opens the interpreter at registration with F.
		if !statOK(reg.Interpreter) {
			return c, &EmulatorError{Platform: c.Platform, Path: reg.Interpreter, Entry: e.Name}
		}
	}
	c.Action, c.Reason = ActionReplace, fmt.Sprintf("flags %q -> %q", e.Flags, reg.Flags.Effective())
	return c, nil
}

func statOK(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
