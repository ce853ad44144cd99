package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestExitCodeTable: the classification of error trees as commands
// return them: wrapped, joined, the image-side exception before the usage
// kind it wraps, a signal before everything, the default.
func TestExitCodeTable(t *testing.T) {
	unknownPlatform := fmt.Errorf("parse: %w", platform.ErrUnknown)
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"unclassified", errors.New("RUN step failed"), ExitFailed},
		{"checks failed", fmt.Errorf("%w: 1 of 2 cells failed", app.ErrChecksFailed), ExitFailed},
		{"violations", &app.ViolationsError{Count: 2}, ExitFailed},
		{"unknown platform typed by the user", unknownPlatform, ExitUsage},
		{"unknown platform named by the image", &imagetest.UnknownPlatformError{Tag: "r/x:1", Platform: "linux/vax", Err: unknownPlatform}, ExitFailed},
		{"cobra usage", &UsageError{Err: errors.New(`unknown flag: --x`)}, ExitUsage},
		{"registry refused the credentials", &registry.Error{Kind: registry.ErrUnauthorized}, ExitUsage},
		{"registry timeout, wrapped", fmt.Errorf("verify: %w", &registry.Error{Kind: registry.ErrTimeout}), ExitInfra},
		{"builder unreachable under BuilderError", &app.BuilderError{Err: &builder.UnreachableError{Address: "tcp://x:1", Err: errors.New("refused")}}, ExitInfra},
		{"infrastructure beats a failed check", errors.Join(app.ErrChecksFailed, &registry.Error{Kind: registry.ErrUnreachable}), ExitInfra},
		{"deadline", fmt.Errorf("wait: %w", context.DeadlineExceeded), ExitInfra},
		{"secret not given", fmt.Errorf("node: %w", &build.MissingSecretError{Kind: "secret", ID: "tok"}), ExitUsage},
		{"unknown COPY --from", &build.UnknownFromError{Name: "x", Err: errors.New("not found")}, ExitUsage},
		{"unsupported input", fmt.Errorf("context -: %w", build.ErrUnsupportedInput), ExitUsage},
		{"SBOM generator unreachable", &build.SBOMGeneratorError{Generator: "docker.io/x/y:1", Err: errors.New("dns")}, ExitInfra},
		{"cancelled without a signal", context.Canceled, ExitFailed},
		{"SIGINT", fmt.Errorf("interrupted (%w): %w", &SignalError{Signal: syscall.SIGINT}, &registry.Error{Kind: registry.ErrUnreachable}), 130},
		{"SIGTERM", fmt.Errorf("interrupted (%w): %w", &SignalError{Signal: syscall.SIGTERM}, &UsageError{Err: errors.New("x")}), 143},
	} {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
	// A signal's cause matches context.Canceled, as os/signal's does.
	if !errors.Is(&SignalError{Signal: syscall.SIGTERM}, context.Canceled) {
		t.Error("a SignalError does not match context.Canceled")
	}
}

// TestExitCodesCLI: real command lines of every command family, run
// in-process, and the class each ends with.
func TestExitCodesCLI(t *testing.T) {
	reg := testenv.StartRegistry(t)
	good := reg.Ref("codes/good", "1")
	testenv.PushBusyboxIndex(t, good, testenv.Platforms(t, "linux/amd64")...)
	wrong := reg.Ref("codes/wrongarch", "1")
	testenv.PushWrongArchIndex(t, wrong)
	proxy := testenv.StartFaultProxy(t, reg)
	proxy.Inject(t, testenv.Fault{Kind: testenv.FaultStatus, Method: "GET", Path: "/manifests/", Status: 503})
	failing := proxy.Ref("codes/good", "1")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	empty := t.TempDir()
	t.Setenv(builder.EnvConfigDir, empty)
	badYAML := t.TempDir()
	if err := os.WriteFile(filepath.Join(badYAML, "multiarch.yaml"), []byte("platfrom: linux/arm64\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		want int
		args []string
	}{
		{ExitOK, []string{"verify", good}},
		{ExitFailed, []string{"verify", wrong}},
		{ExitFailed, []string{"verify", good, "--platform", "linux/amd64,linux/arm64"}},
		{ExitFailed, []string{"doctor", "--binfmt-dir", empty, "--qemu-dir", empty, "--platform", "linux/arm64"}},
		{ExitUsage, []string{"verify", good, "--no-such-flag"}},
		{ExitUsage, []string{"verify", good, "--platform", "linux/bogus"}},
		{ExitUsage, []string{"verify"}},
		{ExitUsage, []string{"inspect", good, good}},
		{ExitUsage, []string{"inspect", "Not A Reference"}},
		{ExitUsage, []string{"inspect", reg.Ref("codes/none", "1")}},
		{ExitUsage, []string{"nosuchcommand"}},
		{ExitUsage, []string{"build", "--platform", "linux/amd64", "--strict-cpu", badYAML}},
		{ExitUsage, []string{"build", "--platform", "linux/vax", badYAML}},
		{ExitUsage, []string{"test", good, "--parallel", "0"}},
		{ExitUsage, []string{"test", "--", "true"}},
		{ExitUsage, []string{"index", "create", "-t", reg.Ref("codes/idx", "1"), good, "--annotation", "novalue"}},
		{ExitUsage, []string{"login", reg.Host}},
		{ExitUsage, []string{"builder", "create"}},
		{ExitUsage, []string{"builder", "rm", "nope"}},
		{ExitUsage, []string{"doctor", "--builder", "nope"}},
		{ExitUsage, []string{"ci", badYAML}},
		{ExitUsage, []string{"ci", "--platform", "linux/vax", "-t", reg.Ref("codes/ci", "1"), t.TempDir()}},
		{ExitInfra, []string{"inspect", closed + "/codes/good:1"}},
		{ExitInfra, []string{"verify", closed + "/codes/good:1"}},
		{ExitInfra, []string{"inspect", failing, "--registry-timeout", "2s"}},
		{ExitInfra, []string{"index", "create", "-t", closed + "/codes/idx:1", closed + "/codes/good:1"}},
	} {
		r := runCLI(t, cliRun{args: tt.args, timeout: time.Minute})
		if r.code != tt.want || (tt.want == 0) != (r.err == nil) {
			t.Errorf("multiarch %q: exit %d, want %d\n%s", tt.args, r.code, tt.want, r.message())
		}
	}
}
