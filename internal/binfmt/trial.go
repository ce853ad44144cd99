package binfmt

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Argv0Func tries registration r, which has the P flag, for platform p
// before it is registered for real, and returns nil when a program run
// through it sees the argv[0] it was started with. Which argv[0] a
// multi-call binary (busybox) sees decides which applet runs, and P alone
// is not enough: the emulator must honour it (QEMU reads the kernel's
// AT_FLAGS since 6.0, which Linux sets since 5.12), else every argument
// shifts by one. The error says why P cannot be used.
type Argv0Func func(ctx context.Context, r Registration, p platform.Platform) error

// Trial registers r (under its own name, which must not exist) for as long
// as fn runs, then unregisters it whatever happened, even when ctx ends.
// Its magic must match only what fn executes: while registered, r takes
// precedence over every older entry.
func (m *Manager) Trial(ctx context.Context, r Registration, fn func(context.Context) error) error {
	if err := m.Register(ctx, r); err != nil {
		return err
	}
	err := fn(ctx)
	if uerr := m.Unregister(context.WithoutCancel(ctx), r.Name); uerr != nil {
		return errors.Join(err, fmt.Errorf("remove the trial entry %s: %w; remove it by hand: echo -1 > %s/%s", r.Name, uerr, m.root(), r.Name))
	}
	return err
}

// TrialName is the name of a temporary entry for trying an emulator for
// QEMU target arch: unique to this process, so two runs never collide.
func TrialName(arch string) string {
	return fmt.Sprintf("multiarch-trial-%s-%d", arch, os.Getpid())
}

// argv0Flags decides the flags of an entry for p with interpreter interp
// whose caller gave none: DefaultFlags, plus P when try (if set) shows the
// emulator keeps argv[0]. The warning says what leaving P out breaks.
func argv0Flags(ctx context.Context, try Argv0Func, reg Registration, p platform.Platform) (Flags, string) {
	if try == nil || reg.Flags.Has(FlagPreserveArgv0) {
		return reg.Flags, ""
	}
	withP := reg
	withP.Flags |= FlagPreserveArgv0
	err := try(ctx, withP, p)
	if err == nil {
		return withP.Flags, ""
	}
	return reg.Flags, fmt.Sprintf("flag P (keep argv[0]) left out: %v. Programs run by %s see their own path as argv[0], "+
		"so busybox-style multi-call binaries, which choose the applet by argv[0], break: in a busybox image "+
		"`sh -c 'cat FILE'` runs FILE as a script. QEMU 6 or newer on Linux 5.12 or newer keeps argv[0]", err, reg.Interpreter)
}
