package doctor

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/status"
)

// Options says what to check. The zero value checks every foreign
// platform that has an emulator or a handler, and changes nothing.
type Options struct {
	// Platforms to check; empty means every foreign platform of the table
	// with a QEMU binary or a registration on this host.
	Platforms []platform.Platform
	// Fix applies the safe fixes (mount binfmt_misc, install missing
	// handlers, re-register with missing flags, enable disabled entries)
	// and checks again.
	Fix bool
	// Parallel bounds concurrent platform probes; default 4.
	Parallel int
	Logger   *slog.Logger
	// Strict makes every warning a failure: a host that works only with
	// caveats (argv[0] lost, no C flag, strict CPU models missing) is not
	// ready.
	Strict bool
	// Builder, when set, adds the checks of the builder that build and
	// test would use, and limits the host checks to the platforms this
	// host emulates for it (none when every node is remote).
	Builder *Builder
}

// Doctor checks one host.
type Doctor struct {
	host  host
	fixer fixer
}

// Run checks the host and, with opts.Fix, fixes what it safely can and
// checks again. The error is for doctor's own failures (a fix that could
// not be applied); a host that is not ready is a Report with OK false.
func (d *Doctor) Run(ctx context.Context, opts Options) (*Report, error) {
	rep := d.check(ctx, opts)
	var fixed []string
	// Fixing binfmt_misc itself uncovers the platform checks, which may
	// need fixes of their own: a few rounds, each only on what failed.
	for round := 0; opts.Fix && round < 3; round++ {
		did, err := d.fix(ctx, rep)
		fixed = append(fixed, did...)
		if err != nil {
			rep.Fixed = fixed
			return rep, err
		}
		if len(did) == 0 {
			break
		}
		rep = d.check(ctx, opts)
	}
	rep.Fixed = fixed
	return rep, nil
}

func (d *Doctor) check(ctx context.Context, opts Options) *Report {
	rep := &Report{}
	ps, hostNeeded := d.platforms(ctx, opts), true
	var bcs []Check
	if opts.Builder != nil {
		bcs, ps, hostNeeded = opts.Builder.checks(ctx, opts.Platforms, ps)
	}
	if hostNeeded {
		d.hostChecks(ctx, rep, ps, opts.Parallel)
	} else {
		rep.add(ok(about(KindHostEmulation, ""), "this host's QEMU is not used: the builder's nodes run every platform natively or on other machines"))
	}
	for _, c := range bcs {
		rep.add(c)
	}
	if opts.Strict {
		for i, c := range rep.Checks {
			if c.Status == status.Warn {
				rep.Checks[i].Status = status.Fail
			}
		}
	}
	rep.finish()
	return rep
}

// hostChecks checks the kernel, binfmt_misc and each of ps. Platforms
// that all run natively need no emulation, so then neither the kernel nor
// binfmt_misc is checked.
func (d *Doctor) hostChecks(ctx context.Context, rep *Report, ps []platform.Platform, parallel int) {
	native := platform.NativeArches()
	var natives, foreign []platform.Platform
	for _, p := range ps {
		if slices.Contains(native, p.QEMUArch) {
			natives = append(natives, p)
		} else {
			foreign = append(foreign, p)
		}
	}
	addNative := func() {
		for _, p := range natives {
			rep.add(ok(about(KindNative, p.String()), p.String()+": runs natively on this host, no emulation needed"))
		}
	}
	if len(ps) > 0 && len(foreign) == 0 {
		addNative()
		return
	}
	rel, err := d.host.KernelRelease(ctx)
	if err != nil {
		rep.add(warn(about(KindKernel, ""), "cannot read the kernel release: "+err.Error(), ""))
	} else {
		rep.add(checkKernel(rel))
	}
	bm := binfmtChecks(ctx, d.host)
	for _, c := range bm {
		rep.add(c)
	}
	if slices.ContainsFunc(bm, func(c Check) bool { return c.Status == status.Fail }) {
		return
	}
	if len(ps) == 0 {
		rep.add(failDo(about(KindEmulators, ""), "no QEMU emulator is installed and no handler is registered: this host cannot run foreign binaries",
			Remedy{Action: RemedyAptInstallAll}))
	}
	addNative()
	for _, cs := range d.platformsChecks(ctx, foreign, parallel) {
		for _, c := range cs {
			rep.add(c)
		}
	}
}

func binfmtChecks(ctx context.Context, h host) []Check {
	id := about(KindBinfmt, "")
	mounted, err := h.BinfmtMounted(ctx)
	if err != nil {
		return []Check{failDo(id, "cannot tell whether binfmt_misc is mounted: "+err.Error(), Remedy{Action: RemedyDoctorAsRoot})}
	}
	if !mounted {
		return []Check{fail(id, "binfmt_misc is not mounted: the kernel cannot hand foreign binaries to QEMU",
			"sudo mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc")}
	}
	on, err := h.BinfmtEnabled(ctx)
	switch {
	case err != nil:
		return []Check{failDo(id, "cannot read binfmt_misc status: "+err.Error(), Remedy{Action: RemedyDoctorAsRoot})}
	case !on:
		return []Check{fail(id, "binfmt_misc is mounted but disabled", "echo 1 | sudo tee /proc/sys/fs/binfmt_misc/status")}
	}
	return []Check{ok(id, "binfmt_misc is mounted and enabled")}
}

// platforms returns what to check: the requested platforms, or every
// foreign one this host has an emulator or a handler for.
func (d *Doctor) platforms(ctx context.Context, opts Options) []platform.Platform {
	if len(opts.Platforms) > 0 {
		return opts.Platforms
	}
	native := platform.NativeArches()
	var out []platform.Platform
	for _, p := range platform.All() {
		if slices.Contains(native, p.QEMUArch) {
			continue
		}
		if hd, _ := d.host.Handler(ctx, p); hd != nil || d.host.Emulator(ctx, p) != "" {
			out = append(out, p)
		}
	}
	return out
}

// platformsChecks runs platformChecks concurrently (probes dominate the
// time), keeping the report in platform order.
func (d *Doctor) platformsChecks(ctx context.Context, ps []platform.Platform, parallel int) [][]Check {
	if parallel <= 0 {
		parallel = 4
	}
	out := make([][]Check, len(ps))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = platformChecks(ctx, d.host, p)
		}()
	}
	wg.Wait()
	return out
}
