package binfmt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Uninstall removes entries: EnsureMounted, PlanUninstall, Apply.
func (m *Manager) Uninstall(ctx context.Context, targets []string) (*Plan, error) {
	return m.planAndApply(ctx, func() (*Plan, error) { return m.PlanUninstall(ctx, targets) })
}

// PlanUninstall decides which entries and persisted files to remove. A
// target is "all" (every qemu-* entry and qemu-*.conf file), an entry name,
// or a platform or architecture as platform.Parse takes it. A target that
// is none of these is an error; one that is simply not registered is
// reported unchanged.
func (m *Manager) PlanUninstall(ctx context.Context, targets []string) (*Plan, error) {
	if len(targets) == 0 {
		return nil, fmt.Errorf("%w: nothing to uninstall; name platforms, entry names or all", ErrInvalid)
	}
	existing, err := m.entriesByName(ctx)
	if err != nil {
		return nil, err
	}
	names, rows, err := m.uninstallNames(existing, targets)
	if err != nil {
		return nil, err
	}
	plan := &Plan{}
	for _, name := range names {
		plan.Changes = append(plan.Changes, m.planRemove(name, rows[name], existing))
	}
	return plan, nil
}

// uninstallNames resolves targets to entry names, in order, with the
// platform a target named when it named one.
func (m *Manager) uninstallNames(existing map[string]Entry, targets []string) ([]string, map[string]platform.Platform, error) {
	var names []string
	rows := map[string]platform.Platform{}
	add := func(name string) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	var errs []error
	for _, t := range targets {
		switch {
		case strings.EqualFold(t, "all"):
			for _, n := range m.allQEMUNames(existing) {
				add(n)
			}
		case existing[t].Name != "" || m.persisted(t):
			add(t)
		default:
			p, err := platform.Parse(t)
			if err != nil {
				errs = append(errs, fmt.Errorf("%q is neither a registered entry nor a platform: %w", t, err))
				continue
			}
			rows[p.BinfmtName()] = p
			add(p.BinfmtName())
		}
	}
	return names, rows, errors.Join(errs...)
}

func (m *Manager) allQEMUNames(existing map[string]Entry) []string {
	var names []string
	for name := range existing {
		if strings.HasPrefix(name, "qemu-") {
			names = append(names, name)
		}
	}
	confs, _ := filepath.Glob(filepath.Join(m.persistDir(), "qemu-*.conf"))
	for _, c := range confs {
		name := strings.TrimSuffix(filepath.Base(c), ".conf")
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func (m *Manager) persisted(name string) bool {
	if validateName(name) != nil {
		return false
	}
	_, err := os.Stat(m.ConfPath(name))
	return err == nil
}

func (m *Manager) planRemove(name string, p platform.Platform, existing map[string]Entry) Change {
	c := Change{Name: name, Platform: p, Action: ActionRemove}
	if e, ok := existing[name]; ok {
		c.Old = &e
		if row, ok := e.Platform(); ok {
			c.Platform = row
		}
	}
	if m.persisted(name) {
		c.Persist = m.ConfPath(name)
	}
	if c.Old == nil && c.Persist == "" {
		c.Action, c.Reason = ActionUnchanged, "not registered"
	}
	return c
}
