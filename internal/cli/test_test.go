package cli

import (
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/status"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// sevenPlatforms is the good busybox index of the end-to-end tests.
var sevenPlatforms = []string{"linux/amd64", "linux/arm64", "linux/arm/v6", "linux/arm/v7", "linux/ppc64le", "linux/s390x", "linux/386"}

// runTestJSON runs `multiarch test --json args...` and decodes the report.
func runTestJSON(t testing.TB, args ...string) (*imagetest.Report, cliResult) {
	t.Helper()
	return runJSON[imagetest.Report](t, cliRun{args: append([]string{"test", "--json"}, args...)})
}

func cellOf(t *testing.T, r *imagetest.Report, p string) imagetest.Cell {
	t.Helper()
	for _, c := range r.Cells {
		if c.Platform == p {
			return c
		}
	}
	t.Fatalf("no %s cell in %+v", p, r.Cells)
	return imagetest.Cell{}
}

func TestTestCommandE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	good := reg.Ref("busybox", "7")
	testenv.PushBusyboxIndex(t, good, testenv.Platforms(t, sevenPlatforms...)...)

	t.Run("good index passes, default and strict", func(t *testing.T) {
		for _, strict := range []bool{false, true} {
			args := []string{good, "--", "sh", "-c", "echo hi"}
			if strict {
				args = append([]string{"--strict-cpu"}, args...)
			}
			r, res := runTestJSON(t, args...)
			if !res.ok() || !r.Passed || r.Total != 7 || r.StrictCPU != strict {
				t.Fatalf("strict=%v: %v %s\n%+v", strict, res.err, res.stderr, r)
			}
			for _, c := range r.Cells {
				p, _ := platform.Parse(c.Platform)
				if !p.UnameOK(c.Machine) || c.Uname.Status != status.Pass || c.Command.Status != status.Pass || c.Digest == "" {
					t.Errorf("%s: %+v", c.Platform, c)
				}
			}
			v6 := cellOf(t, r, "linux/arm/v6")
			if strict && (v6.CPU != "arm1176" || v6.Machine != "armv6l") || !strict && (v6.CPU != imagetest.CPUDefault || v6.Machine != "armv7l") {
				t.Errorf("strict=%v arm/v6: cpu %s machine %s", strict, v6.CPU, v6.Machine)
			}
			if c := cellOf(t, r, "linux/386"); c.CPU != imagetest.CPUNative || c.Emulated || c.Machine != "x86_64" {
				t.Errorf("386 runs natively on x86-64: %+v", c)
			}
		}
	})

	t.Run("table and junit", func(t *testing.T) {
		junit := filepath.Join(t.TempDir(), "report.xml")
		res := runArgs(t, "test", good, "--platform", "arm64,s390x", "--junit", junit)
		if !res.ok() {
			t.Fatalf("%v\n%s", res.err, res.stderr)
		}
		out := res.stdout
		for _, want := range []string{"PLATFORM", "linux/arm64", "aarch64", "linux/s390x", "PASS: 2 of 2"} {
			if !strings.Contains(out, want) {
				t.Errorf("table lacks %q:\n%s", want, out)
			}
		}
		var doc struct {
			Tests  int `xml:"tests,attr"`
			Suites []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					Name string `xml:"name,attr"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		b, _ := os.ReadFile(junit)
		if err := xml.Unmarshal(b, &doc); err != nil || doc.Tests != 2 || len(doc.Suites) != 1 || doc.Suites[0].Name != good || doc.Suites[0].Cases[0].Name != "linux/arm64" {
			t.Errorf("junit %v: %s", err, b)
		}
	})

	t.Run("ARMv7 in arm/v6 fails only under strict CPU", func(t *testing.T) {
		ref := reg.Ref("armv7inv6", "1")
		testenv.PushARMv7InV6Index(t, ref)
		if r, res := runTestJSON(t, ref); !res.ok() || !r.Passed {
			t.Fatalf("default CPU must pass: %v %s %+v", res.err, res.stderr, r)
		}
		r, res := runTestJSON(t, "--strict-cpu", ref)
		if !res.failed() || !errors.Is(res.err, ErrChecksFailed) || r.Failed != 1 {
			t.Fatalf("strict: want one failed cell and ErrChecksFailed, exit 1, got exit %d, %v %+v", res.code, res.err, r)
		}
		v6 := cellOf(t, r, "linux/arm/v6")
		if v6.Passed || v6.CPU != "arm1176" || v6.Uname.Signal != "SIGILL" || *v6.Uname.ExitCode != 132 ||
			!strings.Contains(v6.Uname.Message, "arm1176") || !strings.Contains(strings.Join(v6.Uname.OutputTail, "\n"), "Illegal instruction") {
			t.Errorf("arm/v6 cell: %+v", v6)
		}
		if !strings.Contains(res.message(), "SIGILL") || !strings.Contains(res.message(), "linux/arm/v6") {
			t.Errorf("error must name the platform and the signal: %v", res.err)
		}
		out := runArgs(t, "test", "--strict-cpu", ref).stdout
		for _, want := range []string{"FAIL (SIGILL)", "arm1176", "--- FAIL linux/arm/v6"} {
			if !strings.Contains(out, want) {
				t.Errorf("table lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("x86-64 binary in the arm64 entry fails", func(t *testing.T) {
		ref := reg.Ref("wrongarch", "1")
		testenv.PushWrongArchIndex(t, ref)
		r, res := runTestJSON(t, ref, "--", testenv.AppPath)
		if !res.failed() || !errors.Is(res.err, ErrChecksFailed) || r.Failed != 1 {
			t.Fatalf("want the arm64 cell to fail: exit %d, %v %+v", res.code, res.err, r)
		}
		amd64, arm64 := cellOf(t, r, "linux/amd64"), cellOf(t, r, "linux/arm64")
		if !amd64.Passed || amd64.Uname.Status != status.Skip {
			t.Errorf("amd64 cell (scratch image, no uname): %+v", amd64)
		}
		if arm64.Passed || arm64.Command.Status != status.Fail || arm64.Command.ExitCode != nil ||
			!strings.Contains(arm64.Command.Message, "is ELF x86-64, not for linux/arm64") || !strings.Contains(arm64.Command.Message, "exec format error") {
			t.Errorf("arm64 cell: %+v", arm64)
		}
	})

	t.Run("a command failing on one platform fails that cell", func(t *testing.T) {
		r, res := runTestJSON(t, good, "--", "sh", "-c", `[ "$(uname -m)" != s390x ]`)
		if !res.failed() || !errors.Is(res.err, ErrChecksFailed) || r.Failed != 1 {
			t.Fatalf("exit %d, %v %+v", res.code, res.err, r)
		}
		for _, c := range r.Cells {
			if c.Passed == (c.Platform == "linux/s390x") {
				t.Errorf("%s passed=%v", c.Platform, c.Passed)
			}
		}
		if c := cellOf(t, r, "linux/s390x"); *c.Command.ExitCode != 1 || c.Uname.Status != status.Pass {
			t.Errorf("s390x: %+v", c)
		}
		out := runArgs(t, "test", good, "--platform", "s390x", "--", "sh", "-c", `echo checking; uname -m; [ "$(uname -m)" != s390x ]`).stdout
		for _, want := range []string{"--- FAIL linux/s390x", "exit code 1", "| checking", "| s390x"} {
			if !strings.Contains(out, want) {
				t.Errorf("table lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("bad input", func(t *testing.T) {
		res := runArgs(t, "test", good, "--platform", "linux/sparc")
		if !res.failed() || !errors.Is(res.err, platform.ErrUnknown) {
			t.Errorf("unknown platform: exit %d, %v", res.code, res.err)
		}
		res = runArgs(t, "test", good, "--platform", "riscv64")
		var mp *imagetest.MissingPlatformError
		if !res.failed() || !errors.As(res.err, &mp) || !strings.Contains(res.message(), "linux/s390x") {
			t.Errorf("platform not in the image: exit %d, %v", res.code, res.err)
		}
		res = runArgs(t, "test", reg.Ref("nothere", "1"))
		requireFailureSays(t, "missing image", res, "nothere")
		t.Logf("missing image: %v", res.err)
		requireFailureSays(t, "no ref", runArgs(t, "test"), "REF")
		t.Setenv(builder.EnvBuildkitHost, "unix:///nonexistent/buildkitd.sock")
		res = runArgs(t, "test", good)
		var ue *builder.UnreachableError
		if !res.failed() || !errors.As(res.err, &ue) || !strings.Contains(res.message(), "start buildkitd at BUILDKIT_HOST=unix:///nonexistent/buildkitd.sock, or unset BUILDKIT_HOST") {
			t.Errorf("unreachable builder: exit %d, %v", res.code, res.err)
		}
	})
}
