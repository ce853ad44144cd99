package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
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

// RunAll probes each platform, GOMAXPROCS at a time, and returns the
// results in the order given. The error joins every platform's *Error.
func RunAll(ctx context.Context, ps []platform.Platform, opts Options) ([]Result, error) {
	results := make([]Result, len(ps))
	errs := make([]error, len(ps))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = Run(ctx, p, opts)
		})
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

// run is Run with the executable injectable (nil: Binary(p)), so tests can
// probe deliberately broken code through the same path.
func run(ctx context.Context, p platform.Platform, bin []byte, opts Options) (Result, error) {
	native := slices.Contains(platform.NativeArches(), p.QEMUArch)
	res := Result{Platform: p, Native: native}
	if !native {
		res.CPU = opts.CPU
	}
	fail := func(k Kind, cause error, detail, fix string) *Error {
		return &Error{Kind: k, Platform: p, CPU: res.CPU, Detail: detail, Fix: fix, Err: cause}
	}

	if bin == nil {
		b, err := Binary(p)
		if err != nil {
			return res, fail(Setup, err, err.Error(), "")
		}
		bin = b
	}
	dir, err := os.MkdirTemp(opts.Dir, "multiarch-probe-")
	if err != nil {
		return res, fail(Setup, err, fmt.Sprintf("create the probe's root directory: %v", err),
			"set TMPDIR to a writable directory")
	}
	defer os.RemoveAll(dir)
	if err := writeExecutable(filepath.Join(dir, "probe"), bin); err != nil {
		return res, fail(Setup, err, fmt.Sprintf("write the probe: %v", err), "set TMPDIR to a writable directory")
	}

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var stdout, stderr capped
	cmd := exec.CommandContext(runCtx, "/probe") // a path: no PATH lookup, resolved inside the chroot
	cmd.Dir = "/"                                // chdir happens after chroot
	cmd.Env = []string{}                         // not nil: nil would inherit ours
	if res.CPU != "" {
		cmd.Env = append(cmd.Env, "QEMU_CPU="+res.CPU)
	}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = sysProcAttr(dir)
	cmd.WaitDelay = time.Second

	if err := cmd.Start(); err != nil {
		return res, startError(ctx, runCtx, p, res, err, fail, timeout)
	}
	werr := cmd.Wait()
	stderrText := strings.TrimSpace(stderr.String())
	res.Machine = machine(stdout.Bytes())

	if runCtx.Err() != nil {
		e := ctxError(ctx, p, timeout, fail)
		e.Stderr = stderrText
		return res, e
	}
	if werr != nil {
		var exitErr *exec.ExitError
		if !errors.As(werr, &exitErr) {
			return res, fail(Setup, werr, fmt.Sprintf("wait for the probe: %v", werr), "")
		}
		ws, _ := exitErr.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			e := fail(Signal, werr, signalDetail(p, res, ws.Signal()), signalFix(p, res, ws.Signal()))
			e.Signal, e.Stderr = ws.Signal(), stderrText
			return res, e
		}
		if res.Machine == "" {
			e := fail(Exit, werr, fmt.Sprintf("exited with status %d without reporting a machine", exitErr.ExitCode()), exitFix(p, res))
			e.Status, e.Stderr = exitErr.ExitCode(), stderrText
			return res, e
		}
		// The probe exits with uname's result: it printed something, but
		// the kernel or emulator said uname failed.
		e := fail(Exit, werr, fmt.Sprintf("uname failed (exit status %d)", exitErr.ExitCode()), "")
		e.Status, e.Stderr, e.Machine = exitErr.ExitCode(), stderrText, res.Machine
		return res, e
	}

	if want, ok := fits(p, res.CPU, res.Machine); !ok {
		e := fail(WrongMachine, nil, fmt.Sprintf("reported machine %q, want %s", res.Machine, want), wrongMachineFix(p, res))
		e.Machine, e.Stderr = res.Machine, stderrText
		return res, e
	}
	res.OK = true
	return res, nil
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

// startError classifies a failed exec. Go reports the errno of the
// child's failed chroot/exec as the error of Start, so the errno is the
// kernel's answer for our probe file inside the chroot.
func startError(ctx, runCtx context.Context, p platform.Platform, res Result, err error,
	fail func(Kind, error, string, string) *Error, timeout time.Duration) *Error {
	if runCtx.Err() != nil {
		return ctxError(ctx, p, timeout, fail)
	}
	install := "multiarch binfmt install " + p.String()
	switch {
	case errors.Is(err, syscall.ENOEXEC) && res.Native:
		return fail(NoHandler, err, fmt.Sprintf("exec format error: this kernel does not run %s executables natively", p.Arch),
			nativeFix(p))
	case errors.Is(err, syscall.ENOEXEC):
		return fail(NoHandler, err, fmt.Sprintf("exec format error: no enabled binfmt_misc handler for %s executables (%s)", p.Arch, p.BinfmtName()),
			install)
	case errors.Is(err, syscall.ENOENT) && !res.Native:
		return fail(InterpreterUnreachable, err,
			fmt.Sprintf("the %s handler's interpreter is not reachable inside a container (ENOENT in a chroot): the handler lacks the F flag, or its interpreter is not statically linked", p.BinfmtName()),
			fmt.Sprintf("multiarch binfmt reregister --flags F (or %s --flags CF)", install))
	case errors.Is(err, syscall.EACCES):
		return fail(Setup, err, "permission denied executing the probe: its directory is on a noexec filesystem, or the handler's interpreter is not executable",
			"set TMPDIR (or the probe directory) to a filesystem mounted with exec")
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EINVAL) && os.Geteuid() != 0:
		return fail(Setup, err, fmt.Sprintf("cannot create the probe's namespaces or chroot: %v", err),
			"run as root, or allow unprivileged user namespaces (sysctl user.max_user_namespaces>0; on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0)")
	}
	return fail(Setup, err, fmt.Sprintf("start the probe: %v", err), "")
}

// ctxError tells our timeout from the caller giving up.
func ctxError(ctx context.Context, p platform.Platform, timeout time.Duration, fail func(Kind, error, string, string) *Error) *Error {
	if err := ctx.Err(); err != nil && errors.Is(err, context.Canceled) {
		return fail(Canceled, err, "canceled", "")
	}
	return fail(Timeout, context.DeadlineExceeded, fmt.Sprintf("no answer within %s: the emulator hangs", timeout),
		fmt.Sprintf("check that %s runs: %s --version", p.EmulatorBinary(), p.EmulatorBinary()))
}

func signalDetail(p platform.Platform, res Result, sig syscall.Signal) string {
	d := "killed by " + signalName(sig)
	if sig == syscall.SIGILL && res.CPU != "" {
		d += fmt.Sprintf(": the code uses instructions CPU model %s lacks", res.CPU)
	}
	return d
}

func signalFix(p platform.Platform, res Result, sig syscall.Signal) string {
	if res.Native {
		return ""
	}
	if sig == syscall.SIGILL && res.CPU != "" {
		return fmt.Sprintf("check QEMU_CPU=%s is the oldest CPU of %s (%s -cpu help)", res.CPU, p, p.EmulatorBinary())
	}
	return fmt.Sprintf("the emulator behind %s crashed: update qemu-user-static", p.BinfmtName())
}

func exitFix(p platform.Platform, res Result) string {
	if res.CPU != "" {
		return fmt.Sprintf("use a CPU model this emulator knows and can run: %s -cpu help", p.EmulatorBinary())
	}
	if res.Native {
		return ""
	}
	return fmt.Sprintf("check the %s handler's interpreter: cat /proc/sys/fs/binfmt_misc/%s", p.BinfmtName(), p.BinfmtName())
}

func wrongMachineFix(p platform.Platform, res Result) string {
	if res.Native {
		return ""
	}
	return fmt.Sprintf("the %s handler runs the wrong emulator: multiarch binfmt uninstall %s && multiarch binfmt install %s",
		p.BinfmtName(), p.BinfmtName(), p)
}

func nativeFix(p platform.Platform) string {
	if p.QEMUArch == "i386" {
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
