package cli

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/status"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// catalog is the registry's /v2/_catalog: every repository anything was
// pushed to (a layer upload alone makes one).
func catalog(t *testing.T, reg *testenv.Registry) []string {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(reg.URL + "/v2/_catalog?n=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v struct {
		Repositories []string `json:"repositories"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &v) != nil {
		t.Fatalf("catalog: %s %s", resp.Status, b)
	}
	slices.Sort(v.Repositories)
	return v.Repositories
}

func TestCIPRModeConfig(t *testing.T) {
	ciEnv(t, pipeline.EnvUsername, "someone") // half the credentials: dropped in PR mode
	dir := helloContext(t, "platforms: [linux/amd64]\npush: false\n")
	r := runArgs(t, "ci", dir, "--dry-run")
	if !r.ok() {
		t.Errorf("push: false needs no tag and no credentials: exit %d, %v", r.code, r.err)
	}
	if !strings.Contains(r.stdout, "push:        no, not pushed (PR mode): OCI layout in a temp directory") {
		t.Errorf("the plan does not say PR mode:\n%s", r.stdout)
	}
	r = runArgs(t, "ci", dir, "--no-push=false", "--oci-dir", t.TempDir(), "-t", "127.0.0.1:1/x:1")
	var ce *pipeline.ConfigError
	if !r.failedWith(ExitUsage) || !errors.As(r.err, &ce) || !errors.Is(r.err, pipeline.ErrOCIDirPushes) {
		t.Fatalf("want --oci-dir refused when pushing: exit %d, %v", r.code, r.err)
	}
	requireFailureSays(t, "ci --oci-dir", r, "--no-push")
	// A fan-out runner pushes by digest; PR mode pushes nothing: refused
	// before any step runs (no builder is asked: BUILDKIT_HOST is closed).
	t.Setenv("BUILDKIT_HOST", "tcp://127.0.0.1:1")
	r = runArgs(t, "ci", dir, "--push-by-digest", "--image", "127.0.0.1:1/x")
	if !r.failedWith(ExitUsage) || !errors.As(r.err, &ce) {
		t.Fatalf("want --push-by-digest refused in PR mode: exit %d, %v", r.code, r.err)
	}
	requireFailureSays(t, "ci --push-by-digest in PR mode", r, "PR mode")
}

// TestCIPRModeE2E: `ci --no-push` on the embedded builder, two platforms:
// a passing run reports verify and the test per platform, writes the
// layout, and the registry's catalog is what it was; a test failing on
// one platform and an image of the wrong architecture fail the run with
// the same reporting as a pushing run, nothing pushed either.
func TestCIPRModeE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	dockerConfigDir(t, "")
	reg := testenv.StartRegistry(t)
	ps := []string{"linux/amd64", "linux/arm64"}
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, ps...)...)
	hello := filepath.Join(testenv.RepoRoot(t), "examples", "hello")
	before := catalog(t, reg)
	unchanged := func(t *testing.T) {
		t.Helper()
		if after := catalog(t, reg); !slices.Equal(before, after) {
			t.Errorf("the registry changed: catalog %v, was %v", after, before)
		}
	}
	plat := strings.Join(ps, ",")

	t.Run("passes, layout kept, nothing pushed", func(t *testing.T) {
		ciEnv(t)
		out := filepath.Join(t.TempDir(), "layout")
		tag := reg.Ref("hello", "pr")
		s, r := ciJSON(t, hello, "--no-push", "--oci-dir", out, "--platform", plat, "-t", tag, "--base", base,
			"--test", "test -s /built-on", "--strict-cpu")
		if !r.ok() || !s.Passed {
			t.Fatalf("%v\n%s\n%+v", r.err, tailOf(r.stderr, 2000), s)
		}
		unchanged(t)
		if tagExists(t, tag) {
			t.Errorf("%s was pushed", tag)
		}
		want := map[string]status.Status{"login": status.Skip, "build+test+export": status.Pass, "verify": status.Pass, "test-exported": status.Pass, "test-pushed": "", "tag": status.Skip}
		for name, st := range want {
			if got := stepStatus(s)[name]; got != st {
				t.Errorf("step %s: %s, want %s", name, got, st)
			}
		}
		if !s.PRMode || s.Published != pipeline.NotPushed || s.Layout != out || !s.LayoutKept || s.Pushed != "" || len(s.TagsWritten) != 0 || !strings.HasPrefix(s.Digest, "sha256:") {
			t.Errorf("summary: %+v", s)
		}
		if s.PushedMatrix != nil {
			t.Errorf("a pushed matrix in PR mode: %+v", s.PushedMatrix)
		}
		for what, m := range map[string]*imagetest.Report{"before export": s.BuildMatrix, "exported": s.ExportedMatrix} {
			if m == nil || !m.Passed || m.Total != 2 || !m.StrictCPU {
				t.Fatalf("matrix %s: %+v", what, m)
			}
			for i, c := range m.Cells {
				if c.Platform != ps[i] || c.Uname.Status != status.Pass || c.Command.Status != status.Pass {
					t.Errorf("%s cell %d: %+v", what, i, c)
				}
			}
		}
		// Read from the layout itself: the registry never had this image.
		for _, c := range s.ExportedMatrix.Cells {
			if !strings.HasPrefix(c.Tag, "oci-layout://"+out+"@sha256:") {
				t.Errorf("exported cell %s tested %q, not the layout", c.Platform, c.Tag)
			}
		}
		if cpu := s.ExportedMatrix.Cells[1].CPU; cpu == "" || cpu == "default" {
			t.Errorf("linux/arm64 after export not on the strict CPU model: %q", cpu)
		}
		for _, st := range s.Steps {
			if st.Name == "verify" && !strings.Contains(st.Message, "ELF files in the layout") {
				t.Errorf("verify: %q", st.Message)
			}
		}
		b, err := os.ReadFile(filepath.Join(out, "index.json"))
		if err != nil || !strings.Contains(string(b), s.Digest) {
			t.Errorf("the layout lacks the index %s: %v %s", s.Digest, err, b)
		}
		// Its JSON shape: the PR mode fields by name.
		var raw map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
			t.Fatal(err)
		}
		if _, ok := raw["exported_matrix"].(map[string]any); !ok {
			t.Errorf("JSON lacks exported_matrix: %v", raw["exported_matrix"])
		}
		for k, v := range map[string]any{"pr_mode": true, "published": pipeline.NotPushed, "layout": out, "layout_kept": true} {
			if raw[k] != v {
				t.Errorf("JSON %s: %v, want %v", k, raw[k], v)
			}
		}
	})

	t.Run("text summary, temp layout removed", func(t *testing.T) {
		md := filepath.Join(t.TempDir(), "summary.md")
		ciEnv(t, envStepSummary, md)
		r := runCLI(t, cliRun{logStdout: true, args: []string{"ci", hello, "--no-push", "--platform", plat, "--base", base, "--test", "test -s /built-on"}})
		if !r.ok() {
			t.Fatalf("%v\n%s", r.err, tailOf(r.stderr, 2000))
		}
		unchanged(t)
		for _, want := range []string{"ci summary: PASS", "not pushed (PR mode): nothing was logged in to, pushed or tagged", "(temporary, removed after the run)", "build+test+export  pass", "test-exported      pass", "BEFORE EXPORT  EXPORTED"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("summary lacks %q:\n%s", want, r.stdout)
			}
		}
		b, _ := os.ReadFile(md)
		for _, want := range []string{"**not pushed (PR mode)**", "| test-exported | ✅ pass", "| platform | CPU | machine | before export | exported |"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("$GITHUB_STEP_SUMMARY lacks %q:\n%s", want, b)
			}
		}
		tmp := regexpLayout.FindStringSubmatch(r.stdout)
		if tmp == nil {
			t.Fatalf("no layout path in:\n%s", r.stdout)
		}
		if _, err := os.Stat(tmp[1]); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the temp layout %s is still there: %v", tmp[1], err)
		}
	})

	t.Run("test fails on one platform: run fails, nothing written or pushed", func(t *testing.T) {
		ciEnv(t)
		out := filepath.Join(t.TempDir(), "layout")
		s, r := ciJSON(t, hello, "--no-push", "--oci-dir", out, "--platform", plat, "--base", base, "--test", `[ "$(uname -m)" != aarch64 ]`)
		if !r.failedWith(ExitFailed) || !errors.Is(r.err, ErrChecksFailed) || s.Passed {
			t.Fatalf("want a failed test before export: exit %d, %v %+v", r.code, r.err, s)
		}
		unchanged(t)
		if st := stepStatus(s); st["build+test+export"] != status.Fail || st["verify"] != status.Skip || st["test-exported"] != status.Skip {
			t.Errorf("steps %v", st)
		}
		if s.BuildMatrix == nil || s.BuildMatrix.Failed != 1 || !s.PRMode || s.Layout != "" {
			t.Errorf("summary: %+v", s)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed run wrote %s: %v", out, err)
		}
	})

	t.Run("wrong-arch helper fails verify of the layout", func(t *testing.T) {
		ciEnv(t)
		dir := writeContext(t, "ARG BASE\nFROM ${BASE}\nCOPY helper /opt/helper\n")
		amd64 := testenv.Platforms(t, "linux/amd64")[0]
		if err := os.WriteFile(filepath.Join(dir, "helper"), testenv.GoBinary(t, amd64), 0o755); err != nil {
			t.Fatal(err)
		}
		s, r := ciJSON(t, dir, "--no-push", "--platform", plat, "--base", base)
		if !r.failedWith(ExitFailed) || !errors.Is(r.err, ErrChecksFailed) || s.Passed {
			t.Fatalf("want ci to fail at verify: exit %d, %v", r.code, r.err)
		}
		unchanged(t)
		if st := stepStatus(s); st["build+test+export"] != status.Pass || st["verify"] != status.Fail || st["tag"] != status.Skip {
			t.Errorf("steps %v", st)
		}
		requireFailureSays(t, "ci --no-push", r, "violation", "exported images")
		if !strings.Contains(r.stderr, "/opt/helper") {
			t.Errorf("the violation report does not name /opt/helper:\n%s", tailOf(r.stderr, 2000))
		}
	})
}

var regexpLayout = regexp.MustCompile(`OCI layout: +(\S+) \(temporary`)
