package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// DefaultTimeout bounds one probe when Options.Timeout is zero. A probe
// takes milliseconds even emulated; seconds mean a hung emulator.
const DefaultTimeout = 5 * time.Second

// Options tunes a probe. The zero value runs under the emulator's default
// CPU with DefaultTimeout in os.TempDir().
type Options struct {
	// CPU is the QEMU CPU model to emulate (QEMU_CPU), e.g. the platform's
	// StrictCPU for --strict-cpu. Empty: the emulator's default. Ignored
	// for platforms the host runs natively, where no emulator is involved.
	CPU string
	// Timeout bounds one probe; zero means DefaultTimeout.
	Timeout time.Duration
	// Dir is where the probe's temporary root directory is created; empty
	// means os.TempDir(). It must be on a filesystem that allows exec.
	Dir string
}

// Result is the outcome of one probe. Run fills it as far as it got, on
// failure too.
type Result struct {
	Platform platform.Platform
	// Machine is what uname(2) reported inside the probe ("aarch64").
	Machine string
	// CPU is the QEMU_CPU the probe ran with; empty for the emulator's
	// default and for native runs.
	CPU string
	// Native is set when the host kernel ran the probe without emulation
	// (its own architecture, or 386 on x86-64).
	Native bool
	// Duration is the wall time of the whole probe: temporary root, exec,
	// run, clean-up.
	Duration time.Duration
	// OK is set when Machine fits the platform (Platform.UnameOK) and,
	// when CPU is the platform's StrictCPU, the variant (arm/v6 under
	// arm1176 must print armv6*, not armv7l).
	OK bool
}

// Run executes p's probe as /probe in a fresh chroot and mount namespace
// (and user namespace when not root), with an empty environment except
// QEMU_CPU, and checks the machine it reports. Every error is an *Error;
// a WrongMachine error comes with a Result whose Machine says what ran.
func Run(ctx context.Context, p platform.Platform, opts Options) (Result, error) {
	start := time.Now()
	res, err := run(ctx, p, nil, opts)
	res.Duration = time.Since(start)
	return res, err
}

// run is Run with the executable injectable (nil: Binary(p)), so tests can
// probe deliberately broken code through the same path.
func run(ctx context.Context, p platform.Platform, bin []byte, opts Options) (Result, error) {
	a := newAttempt(p, opts)
	if !a.res.Native {
		a.res.CPU = opts.CPU
	}
	if bin == nil {
		b, err := Binary(p)
		if err != nil {
			return a.res, a.fail(Setup, err, err.Error(), "")
		}
		bin = b
	}
	var env []string
	if a.res.CPU != "" {
		env = append(env, "QEMU_CPU="+a.res.CPU)
	}
	err := a.exec(ctx, bin, "/probe", env, opts.Dir, func(out []byte) { a.res.Machine = machine(out) })
	if err != nil {
		return a.res, err
	}
	if want, ok := fits(p, a.res.CPU, a.res.Machine); !ok {
		// Which handler to replace is the caller's to say (Kind, Platform).
		return a.res, a.fail(WrongMachine, nil, fmt.Sprintf("reported machine %q, want %s", a.res.Machine, want), "")
	}
	a.res.OK = true
	return a.res, nil
}

func newAttempt(p platform.Platform, opts Options) *attempt {
	native := slices.Contains(platform.NativeArches(), p.QEMUArch)
	a := &attempt{res: Result{Platform: p, Native: native}, timeout: opts.Timeout}
	if a.timeout <= 0 {
		a.timeout = DefaultTimeout
	}
	return a
}

// exec runs bin as /probe in a fresh chroot under dir (os.TempDir() when
// empty), started with argv0 as its argv[0] and env as its whole
// environment, hands its stdout to got, and classifies a failure.
func (a *attempt) exec(ctx context.Context, bin []byte, argv0 string, env []string, dir string, got func([]byte)) error {
	root, err := os.MkdirTemp(dir, "multiarch-probe-")
	if err != nil {
		return a.fail(Setup, err, fmt.Sprintf("create the probe's root directory: %v", err),
			"set TMPDIR to a writable directory")
	}
	defer os.RemoveAll(root)
	if err := writeExecutable(filepath.Join(root, "probe"), bin); err != nil {
		return a.fail(Setup, err, fmt.Sprintf("write the probe: %v", err), "set TMPDIR to a writable directory")
	}

	runCtx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	var stdout, stderr capped
	cmd := exec.CommandContext(runCtx, "/probe") // a path: no PATH lookup, resolved inside the chroot
	cmd.Args[0] = argv0
	cmd.Dir = "/"                        // chdir happens after chroot
	cmd.Env = append([]string{}, env...) // not nil: nil would inherit ours
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = sysProcAttr(root)
	cmd.WaitDelay = time.Second

	if err := cmd.Start(); err != nil {
		if runCtx.Err() != nil {
			return a.ctxError(ctx)
		}
		return a.startError(err)
	}
	werr := cmd.Wait()
	got(stdout.Bytes())
	a.stderr = strings.TrimSpace(stderr.String())
	switch {
	case runCtx.Err() != nil:
		return a.ctxError(ctx)
	case werr != nil:
		return a.waitError(werr)
	}
	return nil
}

// attempt is one probe run's state, for building its error.
type attempt struct {
	res     Result
	timeout time.Duration
	stderr  string
}

func (a *attempt) fail(k Kind, cause error, detail, fix string) *Error {
	return &Error{Kind: k, Platform: a.res.Platform, Native: a.res.Native, CPU: a.res.CPU, Machine: a.res.Machine,
		Stderr: a.stderr, Detail: detail, Advice: fix, Err: cause}
}

// startError classifies a failed exec. Go reports the errno of the
// child's failed chroot/exec as the error of Start, so the errno is the
// kernel's answer for our probe file inside the chroot.
func (a *attempt) startError(err error) *Error {
	p := a.res.Platform
	// A missing handler, or one without the F flag, is fixed with the
	// caller's binfmt commands: the CLI says which (Kind, Platform).
	switch {
	case errors.Is(err, syscall.ENOEXEC) && a.res.Native:
		return a.fail(NoHandler, err, fmt.Sprintf("exec format error: this kernel does not run %s executables natively", p.Arch),
			a.nativeFix())
	case errors.Is(err, syscall.ENOEXEC):
		return a.fail(NoHandler, err, fmt.Sprintf("exec format error: no enabled binfmt_misc handler for %s executables (%s)", p.Arch, p.BinfmtName()),
			"")
	case errors.Is(err, syscall.ENOENT) && !a.res.Native:
		return a.fail(InterpreterUnreachable, err,
			fmt.Sprintf("the %s handler's interpreter is not reachable inside a container (ENOENT in a chroot): the handler lacks the F flag, or its interpreter is not statically linked", p.BinfmtName()),
			"")
	case errors.Is(err, syscall.EACCES):
		return a.fail(Setup, err, "permission denied executing the probe: its directory is on a noexec filesystem, or the handler's interpreter is not executable",
			"set TMPDIR (or the probe directory) to a filesystem mounted with exec")
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EINVAL) && os.Geteuid() != 0:
		return a.fail(Setup, err, fmt.Sprintf("cannot create the probe's namespaces or chroot: %v", err),
			"run as root, or allow unprivileged user namespaces (sysctl user.max_user_namespaces>0; on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0)")
	}
	return a.fail(Setup, err, fmt.Sprintf("start the probe: %v", err), "")
}

// waitError classifies a probe that ran but did not exit 0.
func (a *attempt) waitError(err error) *Error {
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return a.fail(Setup, err, fmt.Sprintf("wait for the probe: %v", err), "")
	}
	ws, _ := exitErr.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		e := a.fail(Signal, err, a.signalDetail(ws.Signal()), a.signalFix(ws.Signal()))
		e.Signal = ws.Signal()
		return e
	}
	detail := fmt.Sprintf("exited with status %d without reporting a machine", exitErr.ExitCode())
	fix := a.exitFix()
	if a.res.Machine != "" {
		// The probe exits with uname's result: it printed something, but
		// the kernel or emulator said uname failed.
		detail, fix = fmt.Sprintf("uname failed (exit status %d)", exitErr.ExitCode()), ""
	}
	e := a.fail(Exit, err, detail, fix)
	e.Status = exitErr.ExitCode()
	return e
}

// ctxError tells our timeout from the caller giving up.
func (a *attempt) ctxError(parent context.Context) *Error {
	if err := parent.Err(); errors.Is(err, context.Canceled) {
		return a.fail(Canceled, err, "canceled", "")
	}
	if a.res.Native {
		return a.fail(Timeout, context.DeadlineExceeded, fmt.Sprintf("no answer within %s", a.timeout), "")
	}
	emu := a.res.Platform.EmulatorBinary()
	return a.fail(Timeout, context.DeadlineExceeded, fmt.Sprintf("no answer within %s: the emulator hangs", a.timeout),
		fmt.Sprintf("check that %s runs: %s --version", emu, emu))
}

// sysProcAttr puts the probe where a container would be: its own mount
// namespace, chrooted into dir. Non-root callers get a user namespace
// mapping only themselves to root, which is what lets them chroot.
func sysProcAttr(dir string) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Chroot: dir, Cloneflags: syscall.CLONE_NEWNS}
	if uid := os.Geteuid(); uid != 0 {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	return attr
}

// writeExecutable writes the probe while holding syscall.ForkLock for
// reading: a child forked by a concurrent probe would otherwise inherit
// the open write descriptor until its own exec, and exec of this file
// would fail with ETXTBSY in the meantime.
func writeExecutable(path string, data []byte) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	return errors.Join(werr, f.Close())
}

// machine is the utsname machine field the probe wrote: the kernel (and
// QEMU) NUL-terminate it but leave whatever followed in the 65-byte field,
// so everything from the first NUL on is garbage.
func machine(out []byte) string {
	out, _, _ = bytes.Cut(out, []byte{0})
	return strings.TrimSpace(string(out))
}

// fits checks machine against the table, and under the platform's strict
// CPU against the variant: QEMU names 32-bit ARM after the CPU's
// architecture level (armv5tel, armv6l, armv7l), so arm/vN must print
// armvN*; other targets must print their emulated name. It returns the
// expectation, for the message.
func fits(p platform.Platform, cpu, machine string) (string, bool) {
	want := slices.Concat(p.UnameNative, p.UnameEmulated)
	if !p.UnameOK(machine) {
		return "one of " + strings.Join(slices.Compact(slices.Sorted(slices.Values(want))), ", "), false
	}
	if cpu == "" || cpu != p.StrictCPU {
		return "", true
	}
	if p.Arch == "arm" && p.Variant != "" {
		prefix := "arm" + p.Variant
		return fmt.Sprintf("%s* under QEMU_CPU=%s", prefix, cpu), strings.HasPrefix(machine, prefix)
	}
	return fmt.Sprintf("one of %s under QEMU_CPU=%s", strings.Join(p.UnameEmulated, ", "), cpu),
		slices.Contains(p.UnameEmulated, machine)
}

func (a *attempt) signalDetail(sig syscall.Signal) string {
	d := "killed by " + signalName(sig)
	if sig == syscall.SIGILL && a.res.CPU != "" {
		d += fmt.Sprintf(": the code uses instructions CPU model %s lacks", a.res.CPU)
	}
	return d
}

func (a *attempt) signalFix(sig syscall.Signal) string {
	p, res := a.res.Platform, a.res
	if res.Native {
		return ""
	}
	if sig == syscall.SIGILL && res.CPU != "" {
		return fmt.Sprintf("check QEMU_CPU=%s is the oldest CPU of %s (%s -cpu help)", res.CPU, p, p.EmulatorBinary())
	}
	return fmt.Sprintf("the emulator behind %s crashed: update qemu-user-static", p.BinfmtName())
}

func (a *attempt) exitFix() string {
	p, res := a.res.Platform, a.res
	if res.CPU != "" {
		return fmt.Sprintf("use a CPU model this emulator knows and can run: %s -cpu help", p.EmulatorBinary())
	}
	if res.Native {
		return ""
	}
	return fmt.Sprintf("check the %s handler's interpreter: cat /proc/sys/fs/binfmt_misc/%s", p.BinfmtName(), p.BinfmtName())
}

func (a *attempt) nativeFix() string {
	if a.res.Platform.QEMUArch == "i386" {
		return "boot an x86-64 kernel with IA32 emulation (CONFIG_IA32_EMULATION, not ia32_emulation=0)"
	}
	return ""
}

// capped keeps the first 4 KiB written to it and drops the rest, so a
// runaway emulator cannot fill memory.
type capped struct{ bytes.Buffer }

const capLimit = 4 << 10

func (c *capped) Write(p []byte) (int, error) {
	if room := capLimit - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
