package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// requireProbeHost takes what every end-to-end probe needs: root (chroot
// and binfmt_misc) and the host binfmt lock, so no test that changes
// entries runs meanwhile.
func requireProbeHost(t testing.TB) {
	t.Helper()
	testenv.Require(t, runtime.GOOS == "linux" && runtime.GOARCH == "amd64", "an x86-64 Linux host (the native probes and broken-code fixtures are x86-64)")
	testenv.RequireRoot(t)
	testenv.LockHostBinfmt(t)
}

func requireHandler(t testing.TB, p platform.Platform) {
	t.Helper()
	testenv.Require(t, handlerRegistered(p),
		fmt.Sprintf("binfmt_misc handler %s registered and enabled (apt-get install qemu-user-static)", p.BinfmtName()))
}

// foreignHandled is every foreign platform of the table, each with its
// handler required.
func foreignHandled(t testing.TB) []platform.Platform {
	t.Helper()
	ps := platform.Foreign()
	for _, p := range ps {
		requireHandler(t, p)
	}
	return ps
}

func kindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func TestRunEveryPlatform(t *testing.T) {
	requireProbeHost(t)
	for _, p := range platform.All() {
		t.Run(p.String(), func(t *testing.T) {
			requireHandler(t, p)
			res, err := Run(context.Background(), p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK || !p.UnameOK(res.Machine) {
				t.Fatalf("machine %q, OK %v", res.Machine, res.OK)
			}
			if want := slices.Contains(platform.NativeArches(), p.QEMUArch); res.Native != want {
				t.Errorf("Native = %v, want %v", res.Native, want)
			}
			t.Logf("%s: %s in %v (native %v)", p, res.Machine, res.Duration, res.Native)
		})
	}
}

func TestRunStrictCPU(t *testing.T) {
	requireProbeHost(t)
	for _, c := range []struct {
		platform, cpu string
		want          []string
	}{
		{"linux/arm/v6", "arm1176", []string{"armv6l"}},
		{"linux/arm/v5", "arm926", []string{"armv5tel", "armv5tejl"}}, // QEMU 7.2 says armv5tel
		{"linux/arm/v7", "cortex-a8", []string{"armv7l"}},
		{"linux/arm64", "cortex-a53", []string{"aarch64"}},
	} {
		t.Run(c.platform+"@"+c.cpu, func(t *testing.T) {
			p := testenv.Platforms(t, c.platform)[0]
			requireHandler(t, p)
			res, err := Run(context.Background(), p, Options{CPU: c.cpu})
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK || !slices.Contains(c.want, res.Machine) || res.CPU != c.cpu {
				t.Fatalf("machine %q cpu %q OK %v, want one of %v under %s", res.Machine, res.CPU, res.OK, c.want, c.cpu)
			}
		})
	}
}

func TestRunNativeIgnoresCPU(t *testing.T) {
	requireProbeHost(t)
	res, err := Run(context.Background(), testenv.Platforms(t, "linux/386")[0], Options{CPU: "pentium2"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Native || res.CPU != "" || res.Machine != "x86_64" {
		t.Fatalf("386 on an x86-64 kernel: %+v, want native x86_64 without CPU", res)
	}
}

// armv7Probe is the ARM probe preceded by an ARMv6T2/v7 instruction
// (movw r0, #0 = 0xe3000000), as in an arm/v6 image holding v7 code.
func armv7Probe(t *testing.T, p platform.Platform) []byte {
	t.Helper()
	pc := probes["arm"]
	bin, err := buildELF(p, pc.flags, append([]byte{0x00, 0x00, 0x00, 0xe3}, pc.code...))
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestRunStrictCPUCatchesNewerCode(t *testing.T) {
	requireProbeHost(t)
	p := testenv.Platforms(t, "linux/arm/v6")[0]
	requireHandler(t, p)
	bin := armv7Probe(t, p)

	// QEMU's default CPU is v7+: the v7 instruction passes, as it does in
	// every emulated test that does not pin the CPU.
	if res, err := run(context.Background(), p, bin, Options{}); err != nil || res.Machine != "armv7l" {
		t.Fatalf("default CPU: %+v, %v; want armv7l", res, err)
	}
	_, err := run(context.Background(), p, bin, Options{CPU: p.StrictCPU})
	var e *Error
	if !errors.As(err, &e) || e.Kind != Signal || e.Signal != syscall.SIGILL {
		t.Fatalf("under %s: err = %v, want Signal SIGILL", p.StrictCPU, err)
	}
	t.Log(err)
}

// x86Code builds an x86-64 executable of code, run natively.
func x86Code(t *testing.T, code ...byte) (platform.Platform, []byte) {
	t.Helper()
	p := testenv.Platforms(t, "linux/amd64")[0]
	bin, err := buildELF(p, 0, code)
	if err != nil {
		t.Fatal(err)
	}
	return p, bin
}

func TestRunSignal(t *testing.T) {
	requireProbeHost(t)
	p, bin := x86Code(t, 0x0f, 0x0b) // ud2
	_, err := run(context.Background(), p, bin, Options{})
	var e *Error
	if !errors.As(err, &e) || e.Kind != Signal || e.Signal != syscall.SIGILL {
		t.Fatalf("err = %v, want Signal SIGILL", err)
	}
	if !strings.Contains(err.Error(), "SIGILL") {
		t.Errorf("message does not name the signal: %v", err)
	}
}

func TestRunTimeout(t *testing.T) {
	requireProbeHost(t)
	p, bin := x86Code(t, 0xeb, 0xfe) // jmp .
	start := time.Now()
	_, err := run(context.Background(), p, bin, Options{Timeout: 200 * time.Millisecond})
	if kindOf(err) != Timeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want Timeout wrapping context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v to time out after 200ms", d)
	}
}

func TestRunCanceled(t *testing.T) {
	requireProbeHost(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, testenv.Platforms(t, "linux/amd64")[0], Options{})
	if kindOf(err) != Canceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled", err)
	}
}

func TestRunWrongMachine(t *testing.T) {
	requireProbeHost(t)
	// An "arm64" executable that is really x86-64: the kernel runs it
	// natively and it reports x86_64, as a wrongly registered handler would.
	bin, err := Binary(testenv.Platforms(t, "linux/amd64")[0])
	if err != nil {
		t.Fatal(err)
	}
	res, err := run(context.Background(), testenv.Platforms(t, "linux/arm64")[0], bin, Options{})
	var e *Error
	if !errors.As(err, &e) || e.Kind != WrongMachine || e.Machine != "x86_64" || res.OK || res.Machine != "x86_64" {
		t.Fatalf("res %+v, err %v; want WrongMachine x86_64", res, err)
	}
}

func TestRunHandlerWithoutF(t *testing.T) {
	requireProbeHost(t)
	p := testenv.Platforms(t, "linux/riscv64")[0]
	requireHandler(t, p)
	replaceHandler(t, p, "P")
	_, err := Run(context.Background(), p, Options{})
	if kindOf(err) != InterpreterUnreachable || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("err = %v, want InterpreterUnreachable wrapping ENOENT", err)
	}
	t.Log(err)
}

func TestRunNoHandler(t *testing.T) {
	requireProbeHost(t)
	p := testenv.Platforms(t, "linux/riscv64")[0]
	requireHandler(t, p)
	removeHandler(t, p)
	_, err := Run(context.Background(), p, Options{})
	if kindOf(err) != NoHandler || !errors.Is(err, syscall.ENOEXEC) {
		t.Fatalf("err = %v, want NoHandler wrapping ENOEXEC", err)
	}
	var e *Error
	errors.As(err, &e)
	// The fix, `multiarch binfmt install linux/riscv64`, is the CLI's to
	// word from Kind and Platform (cli's probe hints test).
	if e.Hint() != "" || e.Platform.String() != "linux/riscv64" || e.Native {
		t.Errorf("hint = %q, platform %s, native %v", e.Hint(), e.Platform, e.Native)
	}
	t.Log(err)
}

func TestRunUnknownCPU(t *testing.T) {
	requireProbeHost(t)
	p := testenv.Platforms(t, "linux/arm64")[0]
	requireHandler(t, p)
	_, err := Run(context.Background(), p, Options{CPU: "no-such-cpu"})
	var e *Error
	if !errors.As(err, &e) || e.Kind != Exit || e.Status == 0 || e.Stderr == "" {
		t.Fatalf("err = %v, want Exit with the emulator's complaint", err)
	}
	t.Log(err)
}

// runAll probes each platform, GOMAXPROCS at a time, and returns the
// results in the order given. The error joins every platform's *Error.
func runAll(ctx context.Context, ps []platform.Platform, opts Options) ([]Result, error) {
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

func TestRunAll(t *testing.T) {
	requireProbeHost(t)
	ps := foreignHandled(t)
	ps = append(ps, testenv.Platforms(t, "linux/amd64")[0])
	results, err := runAll(context.Background(), ps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Platform.String() != ps[i].String() || !r.OK {
			t.Errorf("result %d: %+v", i, r)
		}
	}
}

// userNSChild marks the re-executed test binary that probes as an
// unprivileged user.
const userNSChild = "MULTIARCH_PROBE_USERNS_CHILD"

// exitNoUserNS is the child's exit status when the kernel refuses it a
// user namespace.
const exitNoUserNS = 3

func TestRunAsNonRoot(t *testing.T) {
	requireProbeHost(t)
	foreign := testenv.Platforms(t, "linux/arm64")[0]
	requireHandler(t, foreign)

	// The test binary lives in go's private build directory; copy it
	// where nobody can run it.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "probe-userns-") // t.TempDir's parent is 0700
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "probe.test")
	copyFile(t, self, bin)

	const nobody = 65534
	cmd := exec.Command(bin, "-test.run=^TestUserNamespaceChild$", "-test.v", "-test.count=1")
	cmd.Env = []string{userNSChild + "=1", "TMPDIR=" + os.TempDir(), "PATH=/usr/bin:/bin", "HOME=/"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == exitNoUserNS {
		testenv.Require(t, false, "unprivileged user namespaces (sysctl user.max_user_namespaces>0):\n"+string(out))
	}
	if err != nil {
		t.Fatalf("probing as uid %d: %v\n%s", nobody, err, out)
	}
	t.Logf("%s", out)
}

// TestUserNamespaceChild runs only inside TestRunAsNonRoot's child.
func TestUserNamespaceChild(t *testing.T) {
	if os.Getenv(userNSChild) == "" {
		t.Skip("helper for TestRunAsNonRoot")
	}
	if os.Geteuid() == 0 {
		t.Fatal("child runs as root")
	}
	for _, s := range []string{"linux/amd64", "linux/arm64"} {
		res, err := Run(context.Background(), testenv.Platforms(t, s)[0], Options{})
		if kindOf(err) == Setup && (errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOSPC)) {
			fmt.Println(err)
			os.Exit(exitNoUserNS)
		}
		if err != nil || !res.OK {
			t.Fatalf("%s as uid %d: %+v, %v", s, os.Geteuid(), res, err)
		}
		t.Logf("%s as uid %d: %s in %v", s, os.Geteuid(), res.Machine, res.Duration)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkProbeAll probes every foreign platform one after the other,
// as a doctor run without concurrency would.
func BenchmarkProbeAll(b *testing.B) {
	requireProbeHost(b)
	ps := foreignHandled(b)
	for b.Loop() {
		for _, p := range ps {
			if _, err := Run(context.Background(), p, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/all")
}

// BenchmarkRunAll is the same through runAll (GOMAXPROCS at a time).
func BenchmarkRunAll(b *testing.B) {
	requireProbeHost(b)
	ps := foreignHandled(b)
	for b.Loop() {
		if _, err := runAll(context.Background(), ps, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/all")
}
