package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// tagExists reports whether ref resolves in its registry; only "not
// found" counts as absent.
func tagExists(t *testing.T, ref string) bool {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	_, err = remote.Head(r, remote.WithContext(t.Context()), remote.WithAuthFromKeychain(authn.DefaultKeychain))
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == 404 {
		return false
	}
	if err != nil {
		t.Fatalf("head %s: %v", ref, err)
	}
	return true
}

// writeContext writes a Dockerfile into a temp build context.
func writeContext(t *testing.T, dockerfile string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestBuildTestBeforePushE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ps := []string{"linux/amd64", "linux/arm64", "linux/arm/v6", "linux/s390x"}
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, ps...)...)
	hello := filepath.Join(testenv.RepoRoot(t), "examples", "hello")
	common := []string{"build", hello, "--platform", strings.Join(ps, ","), "--build-arg", "BASE=" + base, "--progress", "plain", "--push"}

	t.Run("all cells pass: pushed", func(t *testing.T) {
		tag := reg.Ref("hello", "pass")
		r := runCLI(t, cliRun{logStdout: true, args: append(common, "-t", tag, "--test", "test -s /built-on && echo ok", "--strict-cpu")})
		if !r.ok() {
			t.Fatalf("%v\n%s", r.err, r.stderr)
		}
		out := r.stdout
		for _, want := range []string{"PASS: 4 of 4", "arm1176", "armv6l", "pushed: " + tag} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q", want)
			}
		}
		if !tagExists(t, tag) {
			t.Errorf("%s was not pushed", tag)
		}
	})

	t.Run("one platform fails: nothing pushed, its output shown", func(t *testing.T) {
		tag := reg.Ref("hello", "s390x-fails")
		r := runCLI(t, cliRun{logStdout: true, args: append(common, "-t", tag, "--test", `echo "machine is $(uname -m)"; [ "$(uname -m)" != s390x ]`)})
		if !r.failed() || !errors.Is(r.err, ErrChecksFailed) || !strings.Contains(r.message(), "nothing was pushed") {
			t.Fatalf("want a failed test that pushed nothing, got exit %d, %v\n%s", r.code, r.err, r.stderr)
		}
		out := r.stdout
		for _, want := range []string{"--- FAIL linux/s390x", "| machine is s390x", "FAIL: 3 of 4"} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q", want)
			}
		}
		if strings.Contains(out, "pushed:") || tagExists(t, tag) {
			t.Errorf("%s must not exist after a failed test", tag)
		}
	})

	t.Run("OCI output not written when a cell fails", func(t *testing.T) {
		dest := filepath.Join(t.TempDir(), "out.tar")
		r := runCLI(t, cliRun{logStdout: true, args: []string{"build", hello, "--platform", "linux/amd64,linux/s390x", "--build-arg", "BASE=" + base,
			"--progress", "quiet", "--output", "type=oci,dest=" + dest, "--test", `[ "$(uname -m)" != s390x ]`}})
		if !r.failed() || !errors.Is(r.err, ErrChecksFailed) {
			t.Fatalf("want failed checks: exit %d, %v", r.code, r.err)
		}
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), "*"))
		if len(matches) != 0 {
			t.Errorf("files left behind: %v", matches)
		}
	})

	t.Run("ARMv7 code in an arm/v6 base fails only under strict CPU", func(t *testing.T) {
		v6base := reg.Ref("armv7inv6", "base")
		testenv.PushARMv7InV6Index(t, v6base)
		dir := writeContext(t, "FROM "+v6base+"\nRUN true\n")
		args := []string{"build", dir, "--platform", "linux/arm/v6", "--progress", "plain", "--push", "--test", "true"}
		strictTag := reg.Ref("v6app", "strict")
		r := runCLI(t, cliRun{logStdout: true, args: append(args, "-t", strictTag, "--strict-cpu")})
		if !r.failed() || !errors.Is(r.err, ErrChecksFailed) || !strings.Contains(r.message(), "SIGILL") {
			t.Fatalf("want SIGILL under --strict-cpu: exit %d, %v\n%s", r.code, r.err, r.stderr)
		}
		if out := r.stdout; !strings.Contains(out, "FAIL (SIGILL)") || !strings.Contains(out, "arm1176") || tagExists(t, strictTag) {
			t.Errorf("strict: table must report SIGILL and nothing may be pushed")
		}
		defTag := reg.Ref("v6app", "default")
		if r := runCLI(t, cliRun{logStdout: true, args: append(args, "-t", defTag)}); !r.ok() || !tagExists(t, defTag) {
			t.Fatalf("default CPU must pass and push: %v\n%s", r.err, r.stderr)
		}
	})

	t.Run("without --test the plain solve still pushes", func(t *testing.T) {
		tag := reg.Ref("hello", "plain")
		if r := runCLI(t, cliRun{logStdout: true, args: append(common, "-t", tag)}); !r.ok() || !tagExists(t, tag) {
			t.Fatalf("%v\n%s", r.err, r.stderr)
		}
	})

	t.Run("--strict-cpu without --test is refused", func(t *testing.T) {
		requireFailureSays(t, "build --strict-cpu", runArgs(t, append(common, "-t", reg.Ref("hello", "x"), "--strict-cpu")...), "--test")
	})
}
