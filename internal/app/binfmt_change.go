package app

import (
	"context"
	"errors"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/doctor"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// BinfmtChangeReport is what an install, uninstall or reregister did, or
// with DryRun would do.
type BinfmtChangeReport struct {
	// Plan holds one change per entry, applied unless DryRun.
	Plan *binfmt.Plan
	// DryRun: nothing was written.
	DryRun bool
	// Dir is the binfmt_misc directory the plan is for.
	Dir string
}

// BinfmtInstallOptions say which QEMU handlers BinfmtInstall registers.
type BinfmtInstallOptions struct {
	BinfmtOptions
	// Targets are platforms or architectures, comma or space separated
	// within an element, or "all": every foreign platform whose emulator
	// is found. At least one.
	Targets []string
	// Flags the entries get, a subset of POCF. "": CF, plus P for each
	// emulator a trial shows keeps argv[0] (see argv0Trial); a change
	// without P carries a warning saying what breaks.
	Flags string
	// QEMUDir holds the qemu-<arch>-static binaries. "": search PATH.
	QEMUDir string
	// Persist also writes <PersistDir>/<name>.conf.
	Persist bool
	// Force replaces existing entries that have other settings.
	Force bool
	// DryRun plans and writes nothing, mounting binfmt_misc included.
	DryRun bool
}

// BinfmtInstall registers the static QEMU emulator of each target in
// binfmt_misc (mounting it first). The host's own architectures are
// refused: a handler for them would hijack every native binary.
func BinfmtInstall(ctx context.Context, o BinfmtInstallOptions) (*BinfmtChangeReport, error) {
	flags, err := binfmt.ParseFlags(o.Flags)
	if err != nil {
		return nil, err
	}
	opts := binfmt.InstallOptions{Flags: flags, QEMUDir: o.QEMUDir, Persist: o.Persist, Force: o.Force}
	if opts.All, opts.Platforms, err = parseInstallTargets(o.Targets); err != nil {
		return nil, err
	}
	return planAndApply(ctx, o.BinfmtOptions, o.DryRun, func(m *binfmt.Manager) (*binfmt.Plan, error) {
		opts.Argv0 = argv0Trial(o.BinfmtOptions, o.DryRun, m)
		return m.PlanInstall(ctx, opts)
	})
}

// parseInstallTargets reads "all" and platform lists from the targets.
func parseInstallTargets(args []string) (all bool, ps []platform.Platform, err error) {
	var rest []string
	for _, a := range args {
		if strings.EqualFold(a, "all") {
			all = true
		} else {
			rest = append(rest, a)
		}
	}
	if len(rest) > 0 {
		ps, err = platform.ParseList(strings.Join(rest, ","))
	}
	if !all && len(rest) == 0 {
		err = errors.New("name the platforms to install (e.g. linux/arm64,linux/arm/v7) or all")
	}
	return all, ps, err
}

// BinfmtUninstallOptions say which entries BinfmtUninstall removes.
type BinfmtUninstallOptions struct {
	BinfmtOptions
	// Targets are platforms, architectures or entry names (comma separated
	// within an element), or "all": every qemu-* entry. At least one.
	Targets []string
	// DryRun plans and writes nothing, mounting binfmt_misc included.
	DryRun bool
}

// BinfmtUninstall removes the entries and their persisted .conf files.
func BinfmtUninstall(ctx context.Context, o BinfmtUninstallOptions) (*BinfmtChangeReport, error) {
	if len(o.Targets) == 0 {
		return nil, errors.New("name the entries to remove: platforms, architectures, entry names, or all")
	}
	targets := splitTargets(o.Targets)
	return planAndApply(ctx, o.BinfmtOptions, o.DryRun, func(m *binfmt.Manager) (*binfmt.Plan, error) {
		return m.PlanUninstall(ctx, targets)
	})
}

// splitTargets splits comma separated arguments, as platform lists are.
func splitTargets(args []string) []string {
	var out []string
	for _, a := range args {
		for _, f := range strings.Split(a, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

// BinfmtReregisterOptions say which entries BinfmtReregister completes.
type BinfmtReregisterOptions struct {
	BinfmtOptions
	// Platforms limit the entries to those serving them (comma or space
	// separated within an element). Empty: every qemu-* entry.
	Platforms []string
	// Flags every entry must have, a subset of POCF. "": CF, plus P where
	// a trial shows the entry's emulator keeps argv[0].
	Flags string
	// DryRun plans and writes nothing, mounting binfmt_misc included.
	DryRun bool
}

// BinfmtReregister re-registers existing qemu-* entries with their own
// magic, mask and interpreter and the union of their flags and o.Flags.
func BinfmtReregister(ctx context.Context, o BinfmtReregisterOptions) (*BinfmtChangeReport, error) {
	flags, err := binfmt.ParseFlags(o.Flags)
	if err != nil {
		return nil, err
	}
	opts := binfmt.ReregisterOptions{Flags: flags}
	if len(o.Platforms) > 0 {
		if opts.Platforms, err = platform.ParseList(strings.Join(o.Platforms, ",")); err != nil {
			return nil, err
		}
	}
	return planAndApply(ctx, o.BinfmtOptions, o.DryRun, func(m *binfmt.Manager) (*binfmt.Plan, error) {
		opts.Argv0 = argv0Trial(o.BinfmtOptions, o.DryRun, m)
		return m.PlanReregister(ctx, opts)
	})
}

// errDryRunTrial is why a dry run plans no P: the trial writes.
var errDryRunTrial = errors.New("not tried in a dry run (the trial registers a temporary binfmt_misc entry)")

// argv0Trial is the trial that decides P when no flags are given: on the
// running kernel's binfmt_misc, doctor.Argv0Trial (a temporary entry runs
// the argv[0] probe); in a dry run, none (P is left out, saying why);
// for another directory, whose entries no kernel runs, none at all.
func argv0Trial(o BinfmtOptions, dryRun bool, m *binfmt.Manager) binfmt.Argv0Func {
	switch {
	case !o.kernel():
		return nil
	case dryRun:
		return func(context.Context, binfmt.Registration, platform.Platform) error { return errDryRunTrial }
	}
	return doctor.Argv0Trial(m)
}

// planAndApply mounts binfmt_misc before planning a real run, so the plan
// sees the entries the kernel has, then applies the plan. A dry run writes
// nothing, mounts included.
func planAndApply(ctx context.Context, o BinfmtOptions, dryRun bool, plan func(*binfmt.Manager) (*binfmt.Plan, error)) (*BinfmtChangeReport, error) {
	m := o.manager()
	if !dryRun {
		if err := m.EnsureMounted(ctx); err != nil {
			return nil, err
		}
	}
	p, err := plan(m)
	if err != nil {
		return nil, err
	}
	if !dryRun {
		if err := m.Apply(ctx, p); err != nil {
			return nil, err
		}
	}
	dir := o.Dir
	if dir == "" {
		dir = binfmt.DefaultRoot
	}
	return &BinfmtChangeReport{Plan: p, DryRun: dryRun, Dir: dir}, nil
}
