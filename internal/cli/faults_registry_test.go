package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// The registry-side commands (inspect, verify, index create, login and the
// registry reads of test) against a fault-injecting proxy in front of the
// real registry: what each network fault makes the user see, how long it
// takes, and what the registry holds afterwards.

const (
	// faultDeadline is the --registry-timeout of every run here.
	faultDeadline = 2 * time.Second
	// faultSlack is what a loaded machine may add to an expected bound.
	faultSlack = 3 * time.Second
)

// blobAt is one blob of a fixture: its digest and size.
type blobAt struct {
	digest string
	size   int64
}

// faultWorld is the real registry, the proxy in front of it and what was
// pushed there directly.
type faultWorld struct {
	reg   *testenv.Registry
	proxy *testenv.FaultProxy
	// index is a two-platform busybox index; amd and arm are single
	// busybox images (index create's sources). Repositories, not refs.
	config, layer blobAt // of the amd64 image, in every repository
}

func startFaultWorld(t *testing.T) *faultWorld {
	t.Helper()
	reg := testenv.StartRegistry(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	amd, arm := testenv.BusyboxImage(t, ps[0]), testenv.BusyboxImage(t, ps[1])
	testenv.PushImage(t, reg.Ref("faults/amd", "1"), amd)
	testenv.PushImage(t, reg.Ref("faults/arm", "1"), arm)
	testenv.PushIndex(t, reg.Ref("faults/index", "1"), testenv.Index(t, testenv.OCI,
		testenv.BusyboxEntry(t, ps[0]), testenv.BusyboxEntry(t, ps[1])))
	w := &faultWorld{reg: reg, proxy: testenv.StartFaultProxy(t, reg)}
	cfg, err := amd.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	w.config = blobAt{cfg.Config.Digest.String(), cfg.Config.Size}
	w.layer = blobAt{cfg.Layers[0].Digest.String(), cfg.Layers[0].Size}
	return w
}

// run runs args with --registry-timeout faultDeadline and returns the
// result and how long it took; a run that outlives a minute fails the test.
func (w *faultWorld) run(t *testing.T, stdin string, args ...string) (cliResult, time.Duration) {
	t.Helper()
	start := time.Now()
	r := runCLI(t, cliRun{args: append(args, "--registry-timeout", faultDeadline.String()), stdin: stdin, timeout: time.Minute})
	return r, time.Since(start)
}

// faultCase is one fault and what every command must make of it.
type faultCase struct {
	name   string
	faults func(w *faultWorld) []testenv.Fault
	// ok: the command succeeds despite the fault (retried or waited).
	ok bool
	// says: what the user reads on failure (Message), each substring.
	says []string
	// min and max bound the elapsed time (max before faultSlack).
	min, max time.Duration
	// hits: on success, the proxy saw at least this many requests of
	// the fault's method and path (the retry happened).
	hits int
}

// readFaults are the faults every reading command meets.
func readFaults() []faultCase {
	manifests := `/manifests/`
	return []faultCase{
		{name: "500 then success", ok: true, hits: 2, max: 2 * time.Second,
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultStatus, Method: "GET", Path: manifests, Status: 500, Times: 1}}
			}},
		{name: "429 Retry-After waited", ok: true, hits: 2, min: 2 * time.Second, max: 4 * time.Second,
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultStatus, Method: "GET", Path: manifests, Status: 429, RetryAfter: "2", Times: 1}}
			}},
		{name: "429 Retry-After beyond the deadline", max: time.Second,
			says: []string{"429 Too Many Requests and asked to be retried after 2m0s, longer than the registry timeout (2s)",
				"pass --registry-timeout 2m0s or more"},
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultStatus, Method: "GET", Path: manifests, Status: 429, RetryAfter: "120"}}
			}},
		{name: "reset", ok: true, hits: 3, max: 5 * time.Second,
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultReset, Method: "GET", Path: manifests, Times: 2}}
			}},
		{name: "hang on manifest GET", min: faultDeadline, max: faultDeadline,
			says: []string{"registry timeout: no answer for 2s while requesting manifest ", "--registry-timeout"},
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultHang, Method: "GET", Path: manifests}}
			}},
		{name: "manifest body stalls", min: faultDeadline, max: faultDeadline,
			says: []string{"registry timeout: no data for 2s while reading manifest ", "--registry-timeout"},
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultStallBody, Method: "GET", Path: manifests, AfterBytes: 10}}
			}},
		{name: "config blob body stalls", min: faultDeadline, max: faultDeadline,
			says: []string{"registry timeout: no data for 2s while reading blob sha256:", "--registry-timeout"},
			faults: func(w *faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultStallBody, Method: "GET", Path: "/blobs/" + w.config.digest, AfterBytes: 10}}
			}},
		{name: "config blob cut half-way", max: time.Second,
			says: []string{"truncated content"},
			faults: func(w *faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultCutBody, Method: "GET", Path: "/blobs/" + w.config.digest, AfterBytes: w.config.size / 2}}
			}},
		{name: "config blob corrupted", max: time.Second,
			faults: func(w *faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultCorrupt, Method: "GET", Path: "/blobs/" + w.config.digest, AfterBytes: w.config.size / 2}}
			},
			says: []string{"digest mismatch: requested "}},
	}
}

// checkFault asserts what one run of a command made of fc.
func checkFault(t *testing.T, w *faultWorld, fc faultCase, r cliResult, took time.Duration, hitsBefore int) {
	t.Helper()
	if fc.ok {
		if r.err != nil || r.code != 0 {
			t.Errorf("want success despite the fault, got exit %d: %v", r.code, r.message())
		}
	} else {
		t.Logf("the user reads:\n%s", r.message())
		requireFailureSays(t, "fault", r, fc.says...)
		if !r.failedWith(ExitInfra) {
			t.Errorf("exit %d, want %d (infrastructure)", r.code, ExitInfra)
		}
	}
	if took < fc.min || took > fc.max+faultSlack {
		t.Errorf("took %v, want between %v and %v (+%v slack)", took, fc.min, fc.max, faultSlack)
	}
	if fc.hits > 0 {
		f := fc.faults(w)[0]
		if n := w.proxy.Hits(f.Method, f.Path) - hitsBefore; n < fc.hits {
			t.Errorf("proxy saw %d matching requests, want at least %d (retried)", n, fc.hits)
		}
	}
}

// injectCase sets fc's faults and returns the proxy's count of requests
// its first fault matches, before the run.
func injectCase(t *testing.T, w *faultWorld, fc faultCase) int {
	t.Helper()
	w.proxy.Clear()
	t.Cleanup(w.proxy.Clear)
	fs := fc.faults(w)
	for _, f := range fs {
		w.proxy.Inject(t, f)
	}
	return w.proxy.Hits(fs[0].Method, fs[0].Path)
}

// TestRegistryFaultsReads: inspect, verify and test's registry reads
// under each fault.
func TestRegistryFaultsReads(t *testing.T) {
	w := startFaultWorld(t)
	t.Setenv("MULTIARCH_CONFIG_DIR", t.TempDir()) // no named builders
	idx := w.proxy.Ref("faults/index", "1")
	commands := []struct {
		name string
		args []string
		// after: on success, the command got past the registry to this
		// error (test then needs a builder, not the registry).
		after string
	}{
		{"inspect", []string{"inspect", idx}, ""},
		{"verify", []string{"verify", idx}, ""},
		{"test", []string{"test", idx, "--builder", "faults-none"}, `no builder named "faults-none"`},
	}
	for _, fc := range readFaults() {
		for _, c := range commands {
			t.Run(fc.name+"/"+c.name, func(t *testing.T) {
				before := injectCase(t, w, fc)
				r, took := w.run(t, "", c.args...)
				if c.after != "" && fc.ok {
					// Success is failing later, past the registry reads.
					if r.err == nil || !strings.Contains(r.message(), c.after) {
						t.Fatalf("want the registry reads to pass and then %q, got %v", c.after, r.message())
					}
					var re *registry.Error
					if errors.As(r.err, &re) {
						t.Fatalf("a registry error after the fault should have been retried away: %v", re)
					}
					r = cliResult{stdout: r.stdout, stderr: r.stderr}
				}
				checkFault(t, w, fc, r, took, before)
			})
		}
	}
}

// TestRegistryFaultsVerifyLayers: verify reads every layer to the end; a
// layer that stalls, is cut or is corrupted fails it, named.
func TestRegistryFaultsVerifyLayers(t *testing.T) {
	w := startFaultWorld(t)
	idx := w.proxy.Ref("faults/index", "1")
	for _, fc := range []faultCase{
		{name: "layer stalls", min: faultDeadline, max: faultDeadline,
			says: []string{"no data for 2s while reading blob " + w.layer.digest},
			faults: func(w *faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultStallBody, Method: "GET", Path: "/blobs/" + w.layer.digest, AfterBytes: w.layer.size / 2}}
			}},
		{name: "layer cut half-way", max: time.Second, says: []string{"truncated content"},
			faults: func(w *faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultCutBody, Method: "GET", Path: "/blobs/" + w.layer.digest, AfterBytes: w.layer.size / 2}}
			}},
		{name: "layer corrupted", max: time.Second,
			says: []string{"digest mismatch: requested " + w.layer.digest + " but the registry sent"},
			faults: func(w *faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultCorrupt, Method: "GET", Path: "/blobs/" + w.layer.digest, AfterBytes: w.layer.size / 2}}
			}},
	} {
		t.Run(fc.name, func(t *testing.T) {
			before := injectCase(t, w, fc)
			r, took := w.run(t, "", "verify", idx)
			// What verify's rows say of the entry is being reworked
			// (issue 10, item 3): the exit code and the error are what
			// is asserted here.
			checkFault(t, w, fc, r, took, before)
		})
	}
}

// tagDigest reads ref's digest from the real registry itself, not through
// the proxy; "" when the tag does not exist.
func tagDigest(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Head(r, remote.WithContext(t.Context()))
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return ""
	}
	if err != nil {
		t.Fatalf("head %s: %v", ref, err)
	}
	return d.Digest.String()
}

var pushedLine = regexp.MustCompile(`pushed (\S+)@(sha256:[0-9a-f]{64})`)

// checkTag asserts the registry's state after index create: on success
// the tag the output names holds the digest it names; on failure the tag
// does not exist.
func checkTag(t *testing.T, w *faultWorld, repo, tag string, r cliResult) {
	t.Helper()
	direct := w.reg.Ref(repo, tag)
	got := tagDigest(t, direct)
	if r.err != nil {
		if got != "" {
			t.Errorf("index create failed, yet %s points at %s", direct, got)
		}
		if strings.Contains(r.stdout, "pushed") {
			t.Errorf("a failed index create says pushed:\n%s", r.stdout)
		}
		return
	}
	m := pushedLine.FindStringSubmatch(r.stdout)
	if m == nil || m[1] != w.proxy.Ref(repo, tag) || m[2] != got {
		t.Errorf("output %q, registry holds %s at %q", r.stdout, direct, got)
	}
}

// TestRegistryFaultsIndexCreate: index create under each read fault (its
// sources), then under faults of its own writes; the tag moves only when
// the command says it did.
func TestRegistryFaultsIndexCreate(t *testing.T) {
	w := startFaultWorld(t)
	sources := []string{w.proxy.Ref("faults/amd", "1"), w.proxy.Ref("faults/arm", "1")}
	for i, fc := range append(readFaults(), writeFaults()...) {
		t.Run(fc.name, func(t *testing.T) {
			tag := fmt.Sprintf("case%d", i)
			before := injectCase(t, w, fc)
			args := append([]string{"index", "create", "-t", w.proxy.Ref("faults/out", tag)}, sources...)
			r, took := w.run(t, "", args...)
			checkFault(t, w, fc, r, took, before)
			checkTag(t, w, "faults/out", tag, r)
		})
	}
	// Uploads: sources in another registry, so blobs are sent, not mounted.
	other := testenv.StartInProcessRegistry(t)
	ps := testenv.Platforms(t, "linux/amd64")
	testenv.PushImage(t, other.Ref("far/amd", "1"), testenv.BusyboxImage(t, ps[0]))
	for _, fc := range []faultCase{
		{name: "upload never consumed", min: faultDeadline, max: faultDeadline,
			says: []string{"registry timeout: no ", "for 2s while ", "a blob upload", "--registry-timeout"},
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultHang, Method: "PATCH", Path: `/blobs/uploads/`}}
			}},
		{name: "upload 500 then success", ok: true, hits: 2, max: 3 * time.Second,
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultStatus, Method: "PATCH", Path: `/blobs/uploads/`, Status: 500, Times: 1}}
			}},
	} {
		t.Run(fc.name, func(t *testing.T) {
			tag := strings.ReplaceAll(fc.name, " ", "-")
			before := injectCase(t, w, fc)
			r, took := w.run(t, "", "index", "create", "-t", w.proxy.Ref("faults/far", tag), other.Ref("far/amd", "1"))
			checkFault(t, w, fc, r, took, before)
			checkTag(t, w, "faults/far", tag, r)
		})
	}
}

// writeFaults are faults of index create's own writes: the index PUT.
func writeFaults() []faultCase {
	index := `/faults/out/manifests/case`
	return []faultCase{
		{name: "index PUT hangs", min: faultDeadline, max: faultDeadline,
			says: []string{"registry timeout: no answer for 2s while requesting manifest case", "--registry-timeout"},
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultHang, Method: "PUT", Path: index}}
			}},
		{name: "index PUT 500 then success", ok: true, hits: 2, max: 2 * time.Second,
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultStatus, Method: "PUT", Path: index, Status: 500, Times: 1}}
			}},
		{name: "index PUT 503 Retry-After beyond the deadline", max: time.Second,
			says: []string{"503 Service Unavailable and asked to be retried after 1m0s", "pass --registry-timeout 1m0s or more"},
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultStatus, Method: "PUT", Path: index, Status: 503, RetryAfter: "60"}}
			}},
		{name: "index PUT reset", ok: true, hits: 2, max: 2 * time.Second,
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultReset, Method: "PUT", Path: index, Times: 1}}
			}},
	}
}

// TestRegistryFaultsLogin: login checks credentials with GET /v2/; each
// fault there is retried, waited or reported, and a failed login stores
// nothing.
func TestRegistryFaultsLogin(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.WithBasicAuth(loginUser, loginPassword))
	w := &faultWorld{reg: reg, proxy: testenv.StartFaultProxy(t, reg)}
	api := `^/v2/$`
	for _, fc := range []faultCase{
		{name: "500 then success", ok: true, hits: 2, max: 2 * time.Second,
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultStatus, Method: "GET", Path: api, Status: 500, Times: 1}}
			}},
		{name: "429 Retry-After waited", ok: true, hits: 2, min: 2 * time.Second, max: 4 * time.Second,
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultStatus, Method: "GET", Path: api, Status: 429, RetryAfter: "2", Times: 1}}
			}},
		{name: "429 Retry-After beyond the deadline", max: time.Second,
			says: []string{"asked to be retried after 2m0s, longer than the registry timeout (2s)", "pass --registry-timeout 2m0s or more"},
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultStatus, Method: "GET", Path: api, Status: 429, RetryAfter: "120"}}
			}},
		{name: "reset", ok: true, hits: 3, max: 5 * time.Second,
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultReset, Method: "GET", Path: api, Times: 2}}
			}},
		{name: "hang", min: faultDeadline, max: faultDeadline,
			says: []string{"registry timeout: no answer for 2s while requesting the API root /v2/ from " + w.proxy.Host, "--registry-timeout"},
			faults: func(*faultWorld) []testenv.Fault {
				return []testenv.Fault{{Kind: testenv.FaultHang, Method: "GET", Path: api}}
			}},
	} {
		t.Run(fc.name, func(t *testing.T) {
			cfg := dockerConfigDir(t, "")
			before := injectCase(t, w, fc)
			r, took := w.run(t, loginPassword+"\n", "login", w.proxy.Host, "-u", loginUser, "--password-stdin")
			noSecret(t, r)
			checkFault(t, w, fc, r, took, before)
			stored := fileHas(t, cfg, w.proxy.Host)
			if fc.ok != stored {
				t.Errorf("login ok=%v, credentials stored=%v", fc.ok, stored)
			}
		})
	}
}

// fileHas reports whether the file at path exists and contains s.
func fileHas(t *testing.T, path, s string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return strings.Contains(string(b), s)
}

// TestRegistryTimeoutFlag: --registry-timeout and its environment
// fallback reach the registry options; a bad value is a usage error that
// says the form, before anything is contacted.
func TestRegistryTimeoutFlag(t *testing.T) {
	for _, c := range []struct {
		flag, env string
		want      time.Duration
		bad       string
	}{
		{want: registry.DefaultResponseTimeout},
		{flag: "90s", want: 90 * time.Second},
		{env: "5s", want: 5 * time.Second},
		{flag: "3s", env: "5s", want: 3 * time.Second},
		{flag: "90", bad: `invalid argument "90" for "--registry-timeout" flag: want a duration above zero such as 30s, 2m or 1m30s`},
		{flag: "0s", bad: "want a duration above zero"},
		{env: "soon", bad: `invalid $MULTIARCH_REGISTRY_TIMEOUT: want a duration above zero such as 30s, 2m or 1m30s, not "soon"`},
	} {
		t.Run(c.flag+"/"+c.env, func(t *testing.T) {
			t.Setenv(envRegistryTimeout, c.env)
			var got time.Duration
			cmd := newInspectCmd()
			cmd.RunE = func(cmd *cobra.Command, _ []string) error {
				got = registryOptions(cmd).ResponseTimeout
				return nil
			}
			root := NewRootCmd()
			for _, sub := range root.Commands() {
				if sub.Name() == "inspect" {
					root.RemoveCommand(sub)
				}
			}
			root.AddCommand(cmd)
			args := []string{"inspect", "127.0.0.1:1/never/contacted:1"}
			if c.flag != "" {
				args = append(args, "--registry-timeout", c.flag)
			}
			root.SetArgs(args)
			err := root.ExecuteContext(t.Context())
			if c.bad != "" {
				if err == nil || !strings.Contains(err.Error(), c.bad) {
					t.Fatalf("got %v, want %q", err, c.bad)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}
