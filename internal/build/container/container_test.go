package container

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// entryDigest is the manifest digest of p's entry in idx.
func entryDigest(t *testing.T, idx v1.ImageIndex, p platform.Platform) string {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.OS == p.OS && d.Platform.Architecture == p.Arch && d.Platform.Variant == p.Variant {
			return d.Digest.String()
		}
	}
	t.Fatalf("no %s entry", p)
	return ""
}

func newTestRunner(t *testing.T) *Runner {
	t.Helper()
	e := testenv.StartBuildkitd(t)
	r, err := NewRunner(t.Context(), e.Address, Options{Registry: registry.Options{Keychain: testenv.Keychain()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// runIn runs args in img and returns the result and the run error.
func runIn(t *testing.T, r *Runner, img Image, env []string, args ...string) (*ProcessResult, error) {
	t.Helper()
	var res *ProcessResult
	var runErr error
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	defer func() { t.Logf("%v %v: %v", args, env, time.Since(start)) }()
	err := r.RunInImage(ctx, img, func(ctx context.Context, c Container) error {
		res, runErr = c.Run(ctx, Process{Args: args, Env: env})
		return nil
	})
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	return res, runErr
}

// TestContainerStrictCPU is the fact --strict-cpu rests on: QEMU_CPU in the
// process environment reaches QEMU (binfmt_misc F flag), so the ARMv7
// busybox of an arm/v6 entry runs under QEMU's default CPU and dies with
// SIGILL on an ARMv6 (arm1176).
func TestContainerStrictCPU(t *testing.T) {
	testenv.LockHostBinfmt(t)
	reg := testenv.StartRegistry(t)
	ref := reg.Ref("armv7inv6", "latest")
	idx := testenv.ARMv7InV6Index(t)
	testenv.PushIndex(t, ref, idx)
	r := newTestRunner(t)
	v6 := testenv.Platforms(t, "linux/arm/v6")[0]
	img := Image{Ref: ref, Digest: entryDigest(t, idx, v6), Platform: v6}

	res, err := runIn(t, r, img, nil, "uname", "-m")
	if err != nil || strings.TrimSpace(string(res.Stdout)) != "armv7l" {
		t.Fatalf("default CPU: uname -m = %q, %v", res.Stdout, err)
	}
	start := time.Now()
	res, err = runIn(t, r, img, []string{"QEMU_CPU=arm1176"}, "uname", "-m")
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Signal != syscall.SIGILL {
		t.Fatalf("arm1176: want SIGILL, got %v (output %q)", err, res.Output)
	}
	t.Logf("arm1176: %v after %v, output %q", err, time.Since(start), res.Output)

	// The same in one runner: each check dies of its SIGILL, off PID 1.
	err = r.RunInImage(t.Context(), img, func(ctx context.Context, c Container) error {
		p := Process{Args: []string{"uname", "-m"}, Env: []string{"QEMU_CPU=arm1176"}}
		for i, o := range c.RunEach(ctx, []Process{p, p}) {
			if !errors.As(o.Err, &ee) || ee.Signal != syscall.SIGILL || ee.Code != 128+int(syscall.SIGILL) {
				t.Errorf("RunEach %d: want SIGILL, got %v (output %q)", i, o.Err, o.Result.Output)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestContainerRunEach: the processes of one RunEach run in order, each
// with its own output, exit and signal, as Run reports them, in the
// image's environment with the process's added. (Output's order across
// stdout and stderr is arrival order, as for Run.)
func TestContainerRunEach(t *testing.T) {
	reg := testenv.StartRegistry(t)
	ref := reg.Ref("busybox", "latest")
	amd64 := testenv.Platforms(t, "linux/amd64")[0]
	testenv.PushBusyboxIndex(t, ref, amd64)
	r := newTestRunner(t)
	err := r.RunInImage(t.Context(), Image{Ref: ref, Platform: amd64}, func(ctx context.Context, c Container) error {
		env := []string{"FOO=bar"}
		outs := c.RunEach(ctx, []Process{
			{Args: []string{"uname", "-m"}, Env: env},
			{Args: []string{"sh", "-c", "echo $FOO; echo err >&2; exit 7"}, Env: env},
			{Args: []string{"sh", "-c", "kill -SEGV $$"}, Env: env},
			{Args: []string{"sh", "-c", "seq 1 100000"}, Env: env, OutputLimit: 100},
			{Args: []string{"nope"}, Env: env},
			{Args: []string{"sh", "-c", "test -e /.multiarch/runner && echo runner"}, Env: env},
		})
		if len(outs) != 6 {
			t.Fatalf("%d outcomes", len(outs))
		}
		if o := outs[0]; o.Err != nil || string(o.Result.Stdout) != "x86_64\n" {
			t.Errorf("uname -m: %q %v", o.Result.Stdout, o.Err)
		}
		var ee *ExitError
		if o := outs[1]; !errors.As(o.Err, &ee) || ee.Code != 7 || string(o.Result.Stdout) != "bar\n" || string(o.Result.Stderr) != "err\n" || len(o.Result.Output) != 8 || !strings.Contains(string(o.Result.Output), "bar\n") || !strings.Contains(string(o.Result.Output), "err\n") {
			t.Errorf("exit 7: %v %+v", o.Err, o.Result)
		}
		if o := outs[2]; !errors.As(o.Err, &ee) || ee.Signal != syscall.SIGSEGV {
			t.Errorf("kill -SEGV: %v", o.Err)
		}
		if o := outs[3]; o.Err != nil || len(o.Result.Output) != 100 || !o.Result.Truncated || !strings.HasSuffix(string(o.Result.Output), "100000\n") {
			t.Errorf("bounded output: %v %d", o.Err, len(o.Result.Output))
		}
		if o := outs[4]; o.Err == nil || !errors.Is(o.Err, fs.ErrNotExist) {
			t.Errorf("missing: %v", o.Err)
		}
		if o := outs[5]; o.Err != nil || string(o.Result.Stdout) != "runner\n" {
			t.Errorf("in the runner: %q %v (the node's runner did not run them)", o.Result.Stdout, o.Err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestContainerExitCodesAndFiles covers exit codes, the image's env, file
// reads and a missing image on the native platform.
func TestContainerExitCodesAndFiles(t *testing.T) {
	reg := testenv.StartRegistry(t)
	ref := reg.Ref("busybox", "latest")
	amd64 := testenv.Platforms(t, "linux/amd64")[0]
	testenv.PushBusyboxIndex(t, ref, amd64)
	r := newTestRunner(t)
	img := Image{Ref: ref, Platform: amd64}

	err := r.RunInImage(t.Context(), img, func(ctx context.Context, c Container) error {
		res, err := c.Run(ctx, Process{Args: []string{"sh", "-c", "echo out; echo err >&2; exit 7"}})
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != 7 || ee.Signal != 0 {
			t.Errorf("exit 7: %v", err)
		}
		if string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" || !strings.Contains(string(res.Output), "out\n") {
			t.Errorf("output: %+v", res)
		}
		res, err = c.Run(ctx, Process{Args: []string{"sh", "-c", "kill -SEGV $$"}})
		if !errors.As(err, &ee) || ee.Signal != syscall.SIGSEGV {
			t.Errorf("kill -SEGV: %v", err)
		}
		res, err = c.Run(ctx, Process{Args: []string{"sh", "-c", "seq 1 100000"}, OutputLimit: 100})
		if err != nil || len(res.Output) != 100 || !res.Truncated || !strings.HasSuffix(string(res.Output), "100000\n") {
			t.Errorf("bounded output: %v %d %v", err, len(res.Output), res.Truncated)
		}
		res, err = c.Run(ctx, Process{Args: []string{"/nonexistent"}})
		t.Logf("missing binary: %v %q", err, res.Output)
		if err == nil {
			t.Errorf("missing binary ran")
		}
		b, err := c.ReadFile(ctx, "/bin/uname", 4)
		if err != nil || string(b) != "\x7fELF" {
			t.Errorf("read /bin/uname: %q %v", b, err)
		}
		if p, err := c.LookPath(ctx, "uname"); err != nil || p != "/bin/uname" {
			t.Errorf("LookPath(uname) = %q, %v", p, err)
		}
		if _, err := c.LookPath(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("LookPath(nope): %v", err)
		}
		if _, err := c.LookPath(ctx, "/nope/uname"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("LookPath(/nope/uname): %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// What imagetest's ELF preflight exists for: the x86-64 binary of an
	// arm64 entry runs natively on an x86-64 builder, no emulator involved.
	wrong := reg.Ref("wrongarch", "latest")
	widx := testenv.WrongArchIndex(t)
	testenv.PushIndex(t, wrong, widx)
	arm64 := testenv.Platforms(t, "linux/arm64")[0]
	res, err := runIn(t, r, Image{Ref: wrong, Digest: entryDigest(t, widx, arm64), Platform: arm64}, nil, testenv.AppPath)
	if platform.Host().Arch == "amd64" && (err != nil || string(res.Stdout) != "hello from linux/amd64\n") {
		t.Errorf("x86-64 binary in the arm64 entry: %q %v", res.Stdout, err)
	}
	t.Logf("x86-64 binary in the arm64 entry: %q %v", res.Stdout, err)

	err = r.RunInImage(t.Context(), Image{Ref: reg.Ref("missing", "latest"), Platform: amd64}, func(context.Context, Container) error { return nil })
	var ie *ImageError
	if !errors.As(err, &ie) {
		t.Fatalf("missing image: %v", err)
	}
	t.Logf("missing image: %v", err)
}
