package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// Publishing under faults (issue 10, items 1, 4, 5): nothing is tagged
// before it is proven, a push the registry stops answering ends within the
// registry deadline, and after a failure part-way the output names exactly
// the tags that moved, which the registry (read directly, not through the
// fault proxy) confirms.

// stallSlack is what a stalled push may take beyond the registry deadline:
// the build itself (a scratch image, cached after the first), one
// watchdog tick, the solve's cancellation.
const stallSlack = 30 * time.Second

// registryDeadline is the registry deadline the tests run with: 5 s by
// --registry-timeout where the commands have that flag, else the default.
func registryDeadline(t *testing.T) ([]string, time.Duration) {
	t.Helper()
	cmd, _, err := NewRootCmd().Find([]string{"build"})
	if err == nil && cmd.Flags().Lookup("registry-timeout") != nil {
		return []string{"--registry-timeout", "5s"}, 5 * time.Second
	}
	return nil, registry.DefaultResponseTimeout
}

// digestAt is the digest ref points at in the registry, "" when it does
// not exist.
func digestAt(t *testing.T, ref string) string {
	t.Helper()
	if !tagExists(t, ref) {
		return ""
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Head(r, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("head %s: %v", ref, err)
	}
	return d.Digest.String()
}

// helloTxtContext is a FROM scratch context; SOURCE_DATE_EPOCH (build arg)
// makes its index the same bytes on every build.
func helloTxtContext(t *testing.T) string {
	t.Helper()
	dir := writeContext(t, "FROM scratch\nCOPY hello.txt /hello.txt\n")
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

var indexLine = regexp.MustCompile(`index: (sha256:[0-9a-f]{64})`)

// TestCIWrongArchHelperTagsNothingE2E: an arm64 image holding an x86-64
// /opt/helper passes build and the test before push (uname is fine), is
// pushed by digest, and fails verify: the tag that existed still points
// where it did, the new one does not exist, and the output says the digest
// was pushed untagged.
func TestCIWrongArchHelperTagsNothingE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	dockerConfigDir(t, "")
	ciEnv(t)
	reg := testenv.StartRegistry(t)
	arm64 := testenv.Platforms(t, "linux/arm64")
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, arm64...)
	dir := writeContext(t, "ARG BASE\nFROM ${BASE}\nCOPY helper /opt/helper\n")
	amd64 := testenv.Platforms(t, "linux/amd64")[0]
	if err := os.WriteFile(filepath.Join(dir, "helper"), testenv.GoBinary(t, amd64), 0o755); err != nil {
		t.Fatal(err)
	}
	latest, next := reg.Ref("app", "latest"), reg.Ref("app", "2")
	before := testenv.PushBusyboxIndex(t, latest, arm64...).String() // the release the tag names today

	s, r := ciJSON(t, dir, "--platform", "linux/arm64", "-t", latest, "-t", next, "--base", base)
	if !r.failed() || s.Passed {
		t.Fatalf("want ci to fail at verify: exit %d, %v", r.code, r.err)
	}
	t.Logf("stderr tail:\n%s", tailOf(r.stderr, 1200))
	st := stepStatus(s)
	if st["build+test+push"] != "pass" || st["verify"] != "fail" || st["test-pushed"] != "skip" || st["tag"] != "skip" {
		t.Errorf("steps %v", st)
	}
	requireFailureSays(t, "ci", r, "violation", "nothing was tagged", "pushed by digest only", "tags not written: "+latest+", "+next)
	if !strings.Contains(r.stderr, "/opt/helper") {
		t.Errorf("the violation report does not name /opt/helper:\n%s", r.stderr)
	}
	if got := digestAt(t, latest); got != before {
		t.Errorf("%s moved: %s, was %s", latest, got, before)
	}
	if tagExists(t, next) {
		t.Errorf("%s was written", next)
	}
	if s.Pushed == "" || !strings.HasPrefix(s.Pushed, reg.Ref("app", "")[:len(reg.Ref("app", ""))-1]+"@sha256:") || len(s.TagsWritten) != 0 {
		t.Errorf("summary: pushed %q, tags written %v", s.Pushed, s.TagsWritten)
	}
	if s.Pushed != "" && digestAt(t, s.Pushed) == "" {
		t.Errorf("the pushed digest %s is not in the registry", s.Pushed)
	}
}

// TestBuildSecondTagFailsE2E: `build --push -t A -t B` whose registry
// refuses (500) or never answers B's manifest PUT: A moved, B did not,
// the output says exactly that, and the registry agrees.
func TestBuildSecondTagFailsE2E(t *testing.T) {
	startCLIBuilder(t)
	deadlineArgs, deadline := registryDeadline(t)
	dir := helloTxtContext(t)
	for _, tc := range []struct {
		name  string
		fault testenv.Fault
	}{
		{"500", testenv.Fault{Kind: testenv.FaultStatus, Status: http.StatusInternalServerError}},
		{"hang", testenv.Fault{Kind: testenv.FaultHang}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := testenv.StartRegistry(t)
			proxy := testenv.StartFaultProxy(t, up)
			f := tc.fault
			f.Method, f.Path = http.MethodPut, `/v2/app/manifests/b$`
			proxy.Inject(t, f)
			start := time.Now()
			r := runCLI(t, cliRun{timeout: deadline + 2*stallSlack, args: append([]string{"build", dir, "--platform", "linux/amd64,linux/arm64",
				"-t", proxy.Ref("app", "a"), "-t", proxy.Ref("app", "b"), "--push", "--progress", "plain"}, deadlineArgs...)})
			took := time.Since(start)
			requireFailureSays(t, "build", r, "moved: "+proxy.Ref("app", "a"), "not moved: "+proxy.Ref("app", "b"))
			if msg := r.message(); strings.Contains(msg, "nothing exported") || strings.Contains(msg, "nothing was pushed") {
				t.Errorf("the message claims nothing was pushed:\n%s", msg)
			}
			a, b := digestAt(t, up.Ref("app", "a")), digestAt(t, up.Ref("app", "b"))
			if a == "" || b != "" || !strings.Contains(r.message(), a) {
				t.Errorf("registry: a=%q b=%q; the message must name a's digest:\n%s", a, b, r.message())
			}
			if tc.name == "hang" && took > deadline+stallSlack {
				t.Errorf("took %v with a %v deadline", took, deadline)
			}
		})
	}
}

// TestBuildPushStalledE2E: the registry never answers a blob upload PUT,
// or the index PUT, while BuildKit pushes: the build ends within the
// registry deadline (plus slack) saying which registry stopped answering,
// and no tag exists.
func TestBuildPushStalledE2E(t *testing.T) {
	startCLIBuilder(t)
	deadlineArgs, deadline := registryDeadline(t)
	dir := helloTxtContext(t)
	args := func(tag string) []string {
		// No provenance: its timestamps would make each build's index
		// digest differ, and the fault below is keyed on that digest.
		return append([]string{"build", dir, "--platform", "linux/amd64,linux/arm64", "-t", tag, "--push",
			"--progress", "plain", "--build-arg", "SOURCE_DATE_EPOCH=0", "--provenance", "false"}, deadlineArgs...)
	}
	up := testenv.StartRegistry(t)
	// The index digest, learnt from a build straight to the registry: the
	// index PUT is the one by that digest (the platform manifests' come
	// first).
	r := runCLI(t, cliRun{args: args(up.Ref("probe", "1"))})
	m := indexLine.FindStringSubmatch(r.stdout)
	if !r.ok() || m == nil {
		t.Fatalf("probe build: %v\n%s", r.err, r.stdout)
	}
	for _, tc := range []struct{ name, path string }{
		{"blob upload PUT", `/blobs/uploads/`},
		{"index PUT", `/manifests/` + m[1] + `$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := testenv.StartFaultProxy(t, up)
			proxy.Inject(t, testenv.Fault{Kind: testenv.FaultHang, Method: http.MethodPut, Path: tc.path})
			repo := strings.Fields(tc.name)[0]
			start := time.Now()
			r := runCLI(t, cliRun{timeout: deadline + 2*stallSlack, args: args(proxy.Ref(repo, "1"))})
			took := time.Since(start)
			requireFailureSays(t, "build", r, "the registry "+proxy.Host+" stopped answering", "nothing was tagged", "no tag written", "--registry-timeout")
			if took > deadline+stallSlack {
				t.Errorf("took %v with a %v deadline", took, deadline)
			}
			if proxy.Hits(http.MethodPut, tc.path) == 0 {
				t.Errorf("no PUT matched %s: the fault was not hit; requests %v", tc.path, proxy.Requests())
			}
			if tagExists(t, up.Ref(repo, "1")) {
				t.Error("the tag exists")
			}
		})
	}
}

// TestIndexCreateSecondTagFailsE2E: `index create -t t1 -t t2` whose
// registry refuses t2's PUT: t1 moved and the error says so, t2 did not.
func TestIndexCreateSecondTagFailsE2E(t *testing.T) {
	up := testenv.StartRegistry(t)
	proxy := testenv.StartFaultProxy(t, up)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	testenv.PushBusyboxIndex(t, up.Ref("src", "1"), ps...)
	proxy.Inject(t, testenv.Fault{Kind: testenv.FaultStatus, Status: http.StatusInternalServerError, Method: http.MethodPut, Path: `/v2/out/manifests/t2$`})
	t1, t2 := proxy.Ref("out", "t1"), proxy.Ref("out", "t2")
	r := runArgs(t, "index", "create", "-t", t1, "-t", t2, proxy.Ref("src", "1"))
	requireFailureSays(t, "index create", r, "moved: "+t1, "not moved: "+t2, "500")
	if d := digestAt(t, up.Ref("out", "t1")); d == "" || !strings.Contains(r.message(), d) {
		t.Errorf("t1 is %q in the registry; the message must name it", d)
	}
	if tagExists(t, up.Ref("out", "t2")) {
		t.Error("t2 exists")
	}
	if got := proxy.Hits(http.MethodPut, `/manifests/t2$`); got == 0 {
		t.Errorf("t2's PUT was never tried: %v", proxy.Requests())
	}
}

// tailOf is the last n bytes of s.
func tailOf(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
