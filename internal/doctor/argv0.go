package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/probe"
)

// Argv0Trial returns the trial binfmt's install and reregister run before
// giving an entry the P flag: r's interpreter and flags are registered
// through m under a temporary name with probe.TaggedMagic, which only the
// tagged argv[0] probe matches, and the probe must see its argv[0]. It
// lives here because it joins binfmt (the entry) and probe (the program).
func Argv0Trial(m *binfmt.Manager) binfmt.Argv0Func {
	return func(ctx context.Context, r binfmt.Registration, p platform.Platform) error {
		magic, mask, err := probe.TaggedMagic(p)
		if err != nil {
			return err
		}
		trial := binfmt.Registration{Name: binfmt.TrialName(p.QEMUArch), Magic: magic, Mask: mask,
			Interpreter: r.Interpreter, Flags: r.Flags}
		return m.Trial(ctx, trial, func(ctx context.Context) error {
			res, err := probe.RunArgv0(ctx, p, probe.Argv0Options{Tagged: true})
			if err != nil {
				return err
			}
			if !res.Preserved {
				return fmt.Errorf("a program run through it with flags %s saw argv[0] %q, not the %q it was started with (the emulator does not honour P)",
					r.Flags.Effective(), res.Argv0, probe.Argv0Marker)
			}
			return nil
		})
	}
}

// busyboxBreaks says what a lost argv[0] breaks, in the words a user
// recognises from a failed build.
const busyboxBreaks = "busybox-style multi-call binaries, which choose what to run by argv[0], break: " +
	"in a busybox image `sh -c 'cat FILE'` runs FILE as a script (\"FILE: line 1: ...: not found\")"

// argv0Check runs the argv[0] probe through p's handler hd, started with
// an argv[0] that differs from its path, and says whether programs see
// the argv[0] they were started with.
func argv0Check(ctx context.Context, h host, p platform.Platform, hd *handler) Check {
	name := p.String()
	id := about(KindArgv0, name)
	res, err := h.Argv0(ctx, p)
	hasP := strings.Contains(hd.Flags, "P")
	switch {
	case err != nil:
		return warn(id, fmt.Sprintf("%s: the argv[0] probe failed through %s: %v; %s if argv[0] is lost", name, hd.Name, err, busyboxBreaks), "")
	case res.Preserved:
		return ok(id, fmt.Sprintf("%s: programs run through %s see their own argv[0] (flag P): busybox-style multi-call binaries work", name, hd.Name))
	case hasP:
		return failDo(id, fmt.Sprintf("%s: %s has the P flag but its emulator %s does not honour it: programs see %q as argv[0] and every argument shifts by one (QEMU 6 or newer on Linux 5.12 or newer honours P)",
			name, hd.Name, hd.Interpreter, res.Argv0), Remedy{Action: RemedyInstallForce, Platform: name})
	}
	return warnDo(id, fmt.Sprintf("%s: %s lacks the P (preserve-argv0) flag (flags %q): programs see their path %q as argv[0], so %s",
		name, hd.Name, hd.Flags, res.Argv0, busyboxBreaks), Remedy{Action: RemedyReregisterArgv0, Platform: name})
}
