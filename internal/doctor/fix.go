package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// fix applies the safe fix of every failed (or, for the C flag, warned)
// check in rep, once per QEMU target, and returns what it did.
func (d *Doctor) fix(ctx context.Context, rep *Report) ([]string, error) {
	if d.fixer == nil {
		return nil, errors.New("doctor: no fixer configured")
	}
	var did []string
	var errs []error
	done := map[string]bool{}
	apply := func(key string, f func() (string, error)) {
		if done[key] {
			return
		}
		done[key] = true
		msg, err := f()
		if err != nil {
			errs = append(errs, err)
			return
		}
		if msg != "" {
			did = append(did, msg)
		}
	}
	for _, c := range rep.Checks {
		if c.Status == OK {
			continue
		}
		name, kind, _ := strings.Cut(c.ID, ":")
		if c.ID == "emulators" || c.ID == "kernel" {
			continue // needs a package or a kernel: not a safe automatic fix
		}
		if c.ID == "binfmt_misc" {
			if !d.host.BinfmtMounted() {
				apply("mount", d.fixer.Mount)
			} else {
				apply("enable-binfmt", d.fixer.EnableBinfmt)
			}
			continue
		}
		p, err := platform.Parse(name)
		if err != nil {
			continue
		}
		d.fixPlatform(ctx, p, kind, c.Status, apply)
	}
	if len(errs) > 0 {
		return did, fmt.Errorf("doctor --fix: %w", errors.Join(errs...))
	}
	return did, nil
}

func (d *Doctor) fixPlatform(ctx context.Context, p platform.Platform, kind string, st Status, apply func(string, func() (string, error))) {
	key := p.QEMUArch
	switch {
	case kind == "handler" && d.host.Emulator(p) != "":
		apply("install:"+key, func() (string, error) { return d.fixer.Install(ctx, p) })
	case kind == "interpreter" && d.host.Emulator(p) != "":
		apply("install:"+key, func() (string, error) { return d.fixer.Install(ctx, p) })
	case kind == "enabled":
		apply("enable:"+key, func() (string, error) { return d.fixer.Enable(p) })
	case kind == "flag-F" || kind == "flag-C" && st == Warn:
		apply("reregister:"+key, func() (string, error) { return d.fixer.Reregister(ctx, p) })
	case kind == "probe" && st == Fail:
		// A probe failing with a registered, flagged, static handler has
		// no safe automatic fix; its Fix text says what to try.
	}
}
