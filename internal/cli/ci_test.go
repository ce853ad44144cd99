package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/status"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// ciEnv clears the classic environment so only what a test sets counts.
func ciEnv(t *testing.T, kv ...string) {
	t.Helper()
	for _, k := range []string{pipeline.EnvPlatforms, pipeline.EnvBase, pipeline.EnvTags, pipeline.EnvImage, pipeline.EnvUsername, pipeline.EnvPassword, envStepSummary} {
		t.Setenv(k, "")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		t.Setenv(kv[i], kv[i+1])
	}
}

// helloContext copies examples/hello into a temp dir (for a config file).
func helloContext(t *testing.T, yaml string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "examples", "hello", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	dir := writeContext(t, string(b))
	if yaml != "" {
		if err := os.WriteFile(filepath.Join(dir, pipeline.ConfigFile), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// ciJSON runs `ci --json args...` and decodes the summary.
func ciJSON(t *testing.T, args ...string) (*pipeline.Summary, cliResult) {
	t.Helper()
	return runJSON[pipeline.Summary](t, cliRun{args: append([]string{"ci", "--json"}, args...), logStdout: true})
}

func stepStatus(s *pipeline.Summary) map[string]status.Status {
	m := map[string]status.Status{}
	for _, st := range s.Steps {
		m[st.Name] = st.Status
	}
	return m
}

func TestCIConfigErrors(t *testing.T) {
	ciEnv(t)
	cases := map[string]struct {
		yaml string
		args []string
		want string
	}{
		"unknown yaml field": {yaml: "platforms: [linux/amd64]\ntags: [127.0.0.1:1/x:1]\nplatfrom: oops\n", want: "platfrom"},
		"unknown platform":   {args: []string{"--platform", "linux/amd64,linux/vax", "-t", "127.0.0.1:1/x:1"}, want: "vax"},
		"bare tag, no image": {args: []string{"--platform", "linux/amd64", "-t", "latest"}, want: "no image to append it to\nset image in multiarch.yaml, DOCKER_IMAGE, or --image"},
		"no tags":            {args: []string{"--platform", "linux/amd64"}, want: "no tag to push\nset tags in multiarch.yaml, TAGS, or -t"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := helloContext(t, c.yaml)
			r := runArgs(t, append([]string{"ci", dir}, c.args...)...)
			var ce *pipeline.ConfigError
			if !r.failed() || !errors.As(r.err, &ce) || !strings.Contains(r.message(), c.want) {
				t.Errorf("want a configuration error naming %q, got exit %d, %v", c.want, r.code, r.err)
			}
		})
	}
}

func TestCIE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	dockerConfigDir(t, "")
	reg := testenv.StartRegistry(t)
	ps := []string{"linux/amd64", "linux/arm64", "linux/arm/v6", "linux/s390x"}
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, ps...)...)
	hello := filepath.Join(testenv.RepoRoot(t), "examples", "hello")
	allSteps := []string{"setup-emulation", "doctor", "login", "build+test+push", "verify", "test-pushed", "tag"}

	t.Run("demo pipeline by flags, strict CPU, step summary", func(t *testing.T) {
		md := filepath.Join(t.TempDir(), "summary.md")
		ciEnv(t, envStepSummary, md)
		r := runCLI(t, cliRun{logStdout: true, args: []string{"ci", hello, "--platform", strings.Join(ps, ","), "--image", reg.Ref("hello", "")[:len(reg.Ref("hello", ""))-1],
			"-t", "v1", "-t", reg.Ref("hello", "latest"), "--base", base, "--test", "test -s /built-on", "--strict-cpu"}})
		if !r.ok() {
			t.Fatalf("%v\n%s", r.err, r.stderr)
		}
		out := r.stdout
		for _, want := range append(allSteps, "ci summary: PASS", "arm1176", "armv6l", "BEFORE PUSH") {
			if !strings.Contains(out, want) {
				t.Errorf("summary lacks %q", want)
			}
		}
		for _, tag := range []string{reg.Ref("hello", "v1"), reg.Ref("hello", "latest")} {
			if !tagExists(t, tag) {
				t.Errorf("%s not pushed", tag)
			}
		}
		b, _ := os.ReadFile(md)
		for _, want := range []string{"## multiarch ci: PASS", "| build+test+push | ✅ pass", "| linux/arm/v6 | arm1176 | armv6l | pass | pass |"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("$GITHUB_STEP_SUMMARY lacks %q:\n%s", want, b)
			}
		}
	})

	t.Run("classic environment only", func(t *testing.T) {
		image := strings.TrimSuffix(reg.Ref("envhello", "x"), ":x")
		ciEnv(t, pipeline.EnvPlatforms, "linux/amd64 linux/arm64,linux/s390x", pipeline.EnvBase, base, pipeline.EnvImage, image, pipeline.EnvTags, "1.0 latest")
		s, r := ciJSON(t, hello)
		if !r.ok() || !s.Passed || len(s.Platforms) != 3 || s.PushedMatrix == nil || s.PushedMatrix.Total != 3 {
			t.Fatalf("%v\n%s\n%+v", r.err, r.stderr, s)
		}
		if st := stepStatus(s); st["login"] != status.Skip || st["verify"] != status.Pass || st["test-pushed"] != status.Pass {
			t.Errorf("steps %v", st)
		}
		for _, tag := range []string{image + ":1.0", image + ":latest"} {
			if !tagExists(t, tag) {
				t.Errorf("%s not pushed", tag)
			}
		}
	})

	t.Run("multiarch.yaml, flags override it", func(t *testing.T) {
		ciEnv(t)
		dir := helloContext(t, "platforms: [linux/amd64, linux/vax]\ntags: ["+reg.Ref("yamlhello", "1")+"]\nbase: "+base+"\ntest: '[ -s /built-on ]'\nstrict_cpu: true\nbuild_args:\n  UNUSED: x\n")
		s, r := ciJSON(t, dir, "--platform", "linux/arm64,linux/arm/v6")
		if !r.ok() || !s.Passed || strings.Join(s.Platforms, ",") != "linux/arm64,linux/arm/v6" || !s.BuildMatrix.StrictCPU {
			t.Fatalf("%v\n%s\n%+v", r.err, r.stderr, s)
		}
		if !tagExists(t, reg.Ref("yamlhello", "1")) {
			t.Error("not pushed")
		}
	})

	t.Run("FROM scratch Go image, no --test: pushed, checks reported skipped", func(t *testing.T) {
		// No sh and no uname in the image: before the fix ci tested with
		// `sh -c true` and every cell failed "sh: not in the image".
		ciEnv(t)
		dir := writeContext(t, "FROM scratch\nARG TARGETARCH\nCOPY server-$TARGETARCH "+testenv.AppPath+"\nENTRYPOINT [\""+testenv.AppPath+"\"]\n")
		scratchPs := testenv.Platforms(t, "linux/amd64", "linux/arm64")
		for _, p := range scratchPs {
			if err := os.WriteFile(filepath.Join(dir, "server-"+p.GOARCH), testenv.GoBinary(t, p), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		tag := reg.Ref("scratchgo", "1")
		s, r := ciJSON(t, dir, "--platform", "linux/amd64,linux/arm64", "-t", tag)
		stderr := r.stderr
		if !r.ok() || !s.Passed || !tagExists(t, tag) {
			t.Fatalf("want a pushed scratch image: %v\n%s\n%+v", r.err, stderr, s)
		}
		st := stepStatus(s)
		for _, name := range []string{"build+test+push", "verify", "test-pushed"} {
			if st[name] != status.Pass {
				t.Errorf("step %s: %s", name, st[name])
			}
		}
		for what, rep := range map[string]*imagetest.Report{"before push": s.BuildMatrix, "pushed": s.PushedMatrix} {
			if rep == nil || rep.Total != 2 || !rep.Passed || len(rep.Command) != 0 {
				t.Fatalf("%s matrix: %+v", what, rep)
			}
			for _, c := range rep.Cells {
				if !c.Passed || c.Uname.Status != status.Skip || c.Command.Status != status.Skip || len(c.Command.Args) != 0 {
					t.Errorf("%s %s: want both checks skipped (no uname, no command): %+v", what, c.Platform, c)
				}
			}
		}
		for _, step := range s.Steps {
			if step.Name != "build+test+push" && step.Name != "test-pushed" {
				continue
			}
			if !strings.Contains(step.Message, "0 of 2 platforms passed, 2 skipped") || !strings.Contains(step.Message, "nothing to check") {
				t.Errorf("step %s must say the checks were skipped, not passed: %q", step.Name, step.Message)
			}
		}
		// The matrix printed by the step, as `multiarch test` prints it.
		if !regexp.MustCompile(`linux/arm64 +\S+ +- +\S+ +skip +skip `).MatchString(stderr) {
			t.Errorf("the before-push table must show uname and command skipped:\n%s", stderr)
		}
	})

	t.Run("failing test before push: nothing pushed, later steps skipped", func(t *testing.T) {
		ciEnv(t)
		tag := reg.Ref("hello", "broken")
		s, r := ciJSON(t, hello, "--platform", "linux/amd64,linux/s390x", "-t", tag, "--base", base, "--test", `[ "$(uname -m)" != s390x ]`)
		if !r.failed() || !errors.Is(r.err, ErrChecksFailed) || s.Passed || tagExists(t, tag) {
			t.Fatalf("want a failed build that pushed nothing: exit %d, %v %+v", r.code, r.err, s)
		}
		if st := stepStatus(s); st["build+test+push"] != status.Fail || st["verify"] != status.Skip || st["test-pushed"] != status.Skip {
			t.Errorf("steps %v", st)
		}
	})
}

// ci --strict-cpu needs no test command: the uname check runs on the
// oldest CPU of the variant, so ARMv7 code in an arm/v6 image dies with
// SIGILL before anything is pushed.
func TestCIStrictCPUWithoutTestE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	base := reg.Ref("armv7inv6", "1")
	testenv.PushARMv7InV6Index(t, base)
	hello := filepath.Join(testenv.RepoRoot(t), "examples", "hello")
	ciEnv(t)
	tag := reg.Ref("hello", "v7inv6")
	s, r := ciJSON(t, hello, "--platform", "linux/arm/v6", "-t", tag, "--base", base, "--strict-cpu")
	if !r.failed() || !errors.Is(r.err, ErrChecksFailed) || s.Passed || !strings.Contains(r.message(), "SIGILL") {
		t.Fatalf("want the uname check killed by SIGILL: exit %d, %v %+v", r.code, r.err, s)
	}
	testenv.CheckNotPushed(t, tag)
	if st := stepStatus(s); st["build+test+push"] != status.Fail || st["verify"] != status.Skip {
		t.Errorf("steps %v", st)
	}
}

func TestCIWrongCredentialsE2E(t *testing.T) {
	const user, secret = "ci-user", "s3cr3t-wr0ng-pa55"
	requireBuildkitd(t) // the doctor step checks the embedded builder can start
	embeddedEnv(t)
	reg := testenv.StartRegistry(t, testenv.WithBasicAuth(user, "the-right-one"))
	dockerConfigDir(t, "")
	tag := reg.Ref("hello", "creds")
	ciEnv(t, pipeline.EnvUsername, user, pipeline.EnvPassword, secret)
	r := runCLI(t, cliRun{logStdout: true, args: []string{"ci", filepath.Join(testenv.RepoRoot(t), "examples", "hello"), "--platform", "linux/amd64", "-t", tag, "--base", "busybox"}})
	out := r.stdout
	if !r.failed() || !errors.Is(r.err, ErrWrongCredentials) || !strings.Contains(r.message(), "login") || !strings.Contains(r.message(), pipeline.EnvPassword) {
		t.Fatalf("want a clear login failure, got exit %d, %v", r.code, r.err)
	}
	for what, s := range map[string]string{"stdout": out, "stderr": r.stderr, "error": r.message()} {
		if strings.Contains(s, secret) {
			t.Errorf("the password appears in %s", what)
		}
	}
	if !strings.Contains(out, "build+test+push  skip") {
		t.Errorf("build must not run after a failed login:\n%s", out)
	}
	// Nothing pushed: ask with the right credentials.
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	if r := runCLI(t, cliRun{stdin: "the-right-one\n", args: []string{"login", "-v", reg.Host, "-u", user, "--password-stdin"}}); !r.ok() {
		t.Fatal(r.err)
	}
	if tagExists(t, tag) {
		t.Errorf("%s exists", tag)
	}
}

// TestCIRightCredentialsE2E: with the classic DOCKER_USERNAME and
// DOCKER_PASSWORD, ci logs in to a registry that demands them, stores the
// credentials where docker finds them, and every later step (the base
// pulled by the build, the push, verify, the pushed images pulled by
// digest) reaches the registry with them; the password is never shown.
func TestCIRightCredentialsE2E(t *testing.T) {
	const user, secret = "ci-user", "s3cr3t-r1ght-pa55"
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t, testenv.WithBasicAuth(user, secret))
	ps := []string{"linux/amd64", "linux/arm64"}
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, ps...)...)
	config := dockerConfigDir(t, "")
	tag := reg.Ref("hello", "creds")
	ciEnv(t, pipeline.EnvUsername, user, pipeline.EnvPassword, secret)
	s, r := ciJSON(t, filepath.Join(testenv.RepoRoot(t), "examples", "hello"),
		"--platform", strings.Join(ps, ","), "-t", tag, "--base", base, "--test", "test -s /built-on")
	stderr := r.stderr
	if !r.ok() || !s.Passed {
		t.Fatalf("%v\n%s\n%+v", r.err, stderr, s)
	}
	for _, name := range []string{"login", "build+test+push", "verify", "test-pushed"} {
		if st := stepStatus(s)[name]; st != status.Pass {
			t.Errorf("step %s: %s", name, st)
		}
	}
	b, err := os.ReadFile(config)
	if err != nil || !strings.Contains(string(b), reg.Host) {
		t.Errorf("credentials for %s not stored in $DOCKER_CONFIG/config.json (%v): %s", reg.Host, err, b)
	}
	out, _ := json.Marshal(s)
	for what, v := range map[string]string{"summary": string(out), "stderr": stderr} {
		if strings.Contains(v, secret) {
			t.Errorf("the password appears in the %s", what)
		}
	}
	if !tagExists(t, tag) { // with docker's keychain: what login stored
		t.Errorf("%s not pushed", tag)
	}
}
