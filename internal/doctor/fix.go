package doctor

import (
	"context"
	"errors"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/status"
)

// applyFunc applies one fix, once per key.
type applyFunc func(key string, f func(context.Context) (string, error))

// fix applies the safe fix of every failed (or, for the C flag, warned)
// check in rep, once per QEMU target, and returns what it did. What to
// fix is decided by each check's Kind and Platform, never by its ID.
func (d *Doctor) fix(ctx context.Context, rep *Report) ([]string, error) {
	if d.fixer == nil {
		return nil, errors.New("doctor: no fixer configured")
	}
	var did []string
	var errs []error
	done := map[string]bool{}
	apply := func(key string, f func(context.Context) (string, error)) {
		if done[key] {
			return
		}
		done[key] = true
		msg, err := f(ctx)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if msg != "" {
			did = append(did, msg)
		}
	}
	for _, c := range rep.Checks {
		if c.Status == status.Pass || c.Kind.Builder() {
			continue
		}
		d.fixCheck(ctx, c, apply)
	}
	if len(errs) > 0 {
		return did, fmt.Errorf("doctor: fixing: %w", errors.Join(errs...))
	}
	return did, nil
}

// fixCheck applies c's fix, if it has a safe one: the kernel and a
// missing emulator need a package or a kernel, which is not.
func (d *Doctor) fixCheck(ctx context.Context, c Check, apply applyFunc) {
	if c.Kind == KindBinfmt {
		if mounted, err := d.host.BinfmtMounted(ctx); err == nil && !mounted {
			apply("mount", d.fixer.Mount)
		} else {
			apply("enable-binfmt", d.fixer.EnableBinfmt)
		}
		return
	}
	if c.Platform == "" {
		return
	}
	p, err := platform.Parse(c.Platform)
	if err != nil {
		return
	}
	d.fixPlatform(ctx, p, c, apply)
}

func (d *Doctor) fixPlatform(ctx context.Context, p platform.Platform, c Check, apply applyFunc) {
	key, kind := p.QEMUArch, c.Kind
	install := func(ctx context.Context) (string, error) { return d.fixer.Install(ctx, p) }
	switch {
	case kind == KindHandler && d.host.Emulator(ctx, p) != "":
		apply("install:"+key, install)
	case kind == KindInterpreter && d.host.Emulator(ctx, p) != "":
		apply("install:"+key, install)
	case kind == KindEnabled:
		apply("enable:"+key, func(ctx context.Context) (string, error) { return d.fixer.Enable(ctx, p) })
	case kind == KindFlagF || kind == KindFlagC,
		kind == KindArgv0 && c.Remedy != nil && c.Remedy.Action == RemedyReregisterArgv0:
		// Reregister adds C and F, and P where a trial shows it is safe.
		apply("reregister:"+key, func(ctx context.Context) (string, error) { return d.fixer.Reregister(ctx, p) })
	case kind == KindProbe && c.Status == status.Fail:
		// A probe failing with a registered, flagged, static handler has
		// no safe automatic fix; its Fix text says what to try.
	}
}
