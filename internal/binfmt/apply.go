package binfmt

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// undo reverts one step that Apply performed.
type undo func() error

// planAndApply is Install, Uninstall and Reregister: mount binfmt_misc
// first, so the plan sees the kernel's entries, then plan and apply.
func (m *Manager) planAndApply(ctx context.Context, plan func() (*Plan, error)) (*Plan, error) {
	if err := m.EnsureMounted(ctx); err != nil {
		return nil, err
	}
	p, err := plan()
	if err != nil {
		return nil, err
	}
	return p, m.Apply(ctx, p)
}

// Apply performs plan all-or-nothing: when a step fails, every step already
// done is undone in reverse order (entries re-registered as they were,
// persisted files restored), and the error says whether that worked.
func (m *Manager) Apply(ctx context.Context, plan *Plan) error {
	if plan.touchesKernel() {
		if err := m.EnsureMounted(ctx); err != nil {
			return err
		}
	}
	var undos []undo
	for _, c := range plan.Changes {
		if err := ctx.Err(); err != nil {
			return m.rollback(undos, err)
		}
		u, err := m.applyKernel(ctx, c)
		undos = append(undos, u...)
		if err != nil {
			return m.rollback(undos, err)
		}
		u, err = m.applyPersist(c)
		undos = append(undos, u...)
		if err != nil {
			return m.rollback(undos, err)
		}
	}
	return nil
}

func (m *Manager) rollback(undos []undo, cause error) error {
	if len(undos) == 0 {
		return cause
	}
	var errs []error
	for _, u := range slices.Backward(undos) {
		if err := u(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w\n%w: %w", cause, ErrRollback, errors.Join(errs...))
	}
	m.log().Debug("rolled back", "steps", len(undos))
	return fmt.Errorf("%w (every change of this run was rolled back)", cause)
}

func (m *Manager) applyKernel(ctx context.Context, c Change) ([]undo, error) {
	switch c.Action {
	case ActionRegister:
		if err := m.Register(ctx, *c.New); err != nil {
			return nil, err
		}
		return []undo{func() error { return m.Unregister(ctx, c.Name) }}, nil
	case ActionReplace:
		return m.replace(ctx, c)
	case ActionEnable:
		if err := m.SetEnabled(ctx, c.Name, true); err != nil {
			return nil, err
		}
		return []undo{func() error { return m.SetEnabled(ctx, c.Name, false) }}, nil
	case ActionRemove:
		if c.Old == nil {
			return nil, nil
		}
		if err := m.Unregister(ctx, c.Name); err != nil {
			return nil, err
		}
		return []undo{func() error { return m.restore(ctx, *c.Old) }}, nil
	}
	return nil, nil
}

// replace swaps the old entry for the new one; if the new one cannot be
// registered, the old one is put back before returning.
func (m *Manager) replace(ctx context.Context, c Change) ([]undo, error) {
	if err := m.Unregister(ctx, c.Name); err != nil {
		return nil, err
	}
	restoreOld := func() error { return m.restore(ctx, *c.Old) }
	if err := m.Register(ctx, *c.New); err != nil {
		if rerr := restoreOld(); rerr != nil {
			return nil, fmt.Errorf("%w\nputting the previous %s back also failed: %w", err, c.Name, rerr)
		}
		return nil, err
	}
	undos := []undo{func() error {
		return errors.Join(m.Unregister(ctx, c.Name), restoreOld())
	}}
	if c.disabled {
		if err := m.SetEnabled(ctx, c.Name, false); err != nil {
			return undos, err
		}
	}
	return undos, nil
}

// restore re-registers an entry exactly as it was read, disabled if it was.
func (m *Manager) restore(ctx context.Context, e Entry) error {
	if err := m.Register(ctx, e.Registration()); err != nil {
		return err
	}
	if !e.Enabled {
		return m.SetEnabled(ctx, e.Name, false)
	}
	return nil
}
