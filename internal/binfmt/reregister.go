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
	// Flags to add; 0 means DefaultFlags (CF).
	Flags Flags
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
// stays disabled.
func (m *Manager) PlanReregister(ctx context.Context, opts ReregisterOptions) (*Plan, error) {
	if opts.Flags == 0 {
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
		c, err := planReregisterOne(e, opts.Flags)
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

func planReregisterOne(e Entry, add Flags) (Change, error) {
	c := Change{Name: e.Name, Old: &e, disabled: !e.Enabled}
	c.Platform, _ = e.Platform()
	reg := e.Registration()
	reg.Flags = e.Flags | add
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
		if _, err := os.Stat(reg.Interpreter); err != nil {
			return c, &EmulatorError{Platform: c.Platform, Path: reg.Interpreter, Entry: e.Name}
		}
	}
	c.Action, c.Reason = ActionReplace, fmt.Sprintf("flags %q -> %q", e.Flags, reg.Flags.Effective())
	return c, nil
}
