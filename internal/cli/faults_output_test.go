package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/term"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// Faults of a build's outputs (issue 10, items 9 and 10): every output
// path is checked before any build step runs, no partial file is ever
// left behind, dest=- streams the tarball, and BuildKit's push failures
// name the registry, the status, what was pushed and what to do.

// outputBound is how long a build that fails its output checks may take:
// it contacts no builder, so a second is plenty; this allows for load.
const outputBound = 5 * time.Second

// smallContext is a build context of two platforms that needs no base
// image: one file copied into scratch.
func smallContext(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM scratch\nCOPY hello.txt /hello.txt\n")
	writeFile(t, filepath.Join(dir, "hello.txt"), "hi\n")
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// requireEmptyDir fails unless dir holds exactly want (no temp, no
// .partial file).
func requireDirHolds(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, want)
	}
}

// TestBuildOutputChecksE2E: an output path that cannot be written fails
// the build at once, before the builder is asked to do anything (its build
// history does not grow, no step is drawn), with what is wrong and what to
// do; a push with an unwritable --metadata-file pushes nothing.
func TestBuildOutputChecksE2E(t *testing.T) {
	addr := startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ctxDir := smallContext(t)
	out := t.TempDir()
	aFile := filepath.Join(out, "file")
	writeFile(t, aFile, "x")
	tag := reg.Ref("never", "v1")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"dest is a directory", []string{"--output", "type=oci,dest=" + out}, []string{out, "is a directory", filepath.Join(out, "image.tar")}},
		{"dest dir missing", []string{"--output", "type=oci,dest=" + filepath.Join(out, "nope", "x.tar")}, []string{filepath.Join(out, "nope") + " does not exist", "create the directory"}},
		{"dest dir is a file", []string{"--output", "type=oci,dest=" + filepath.Join(aFile, "x.tar")}, []string{aFile + " is not a directory"}},
		{"dest is a device", []string{"--output", "type=oci,dest=/dev/null"}, []string{"/dev/null", "not a regular file"}},
		{"metadata dir missing", []string{"--push", "-t", tag, "--metadata-file", filepath.Join(out, "nope", "m.json")}, []string{filepath.Join(out, "nope") + " does not exist"}},
		{"metadata is a directory", []string{"--push", "-t", tag, "--metadata-file", out}, []string{out, "is a directory"}},
		{"metadata stdout", []string{"--push", "-t", tag, "--metadata-file", "-"}, []string{"--metadata-file -", "give a file path"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := testenv.DaemonActivity(t, addr).Sessions
			start := time.Now()
			args := append([]string{"build", ctxDir, "--platform", "linux/amd64,linux/arm64", "--progress", "plain"}, tc.args...)
			r := runCLI(t, cliRun{args: args, timeout: time.Minute})
			took := time.Since(start)
			requireFailureSays(t, tc.name, r, tc.want...)
			if took > outputBound {
				t.Errorf("took %v, want under %v: checked before building?", took, outputBound)
			}
			if strings.Contains(r.message(), "point -f") {
				t.Errorf("advice about the Dockerfile for an output path:\n%s", r.message())
			}
			if strings.Contains(r.stderr, "load build definition") {
				t.Errorf("a build step ran:\n%s", r.stderr)
			}
			if after := testenv.DaemonActivity(t, addr).Sessions; after != before {
				t.Errorf("the builder ran %d build session(s)", after-before)
			}
		})
	}
	requireDirHolds(t, out, "file")
	requireNoTag(t, tag)
	if !isDevNull(t) {
		t.Fatal("/dev/null was replaced")
	}
}

// isDevNull reports whether /dev/null is still a character device.
func isDevNull(*testing.T) bool {
	fi, err := os.Stat("/dev/null")
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// requireNoTag fails unless ref does not exist in its registry.
func requireNoTag(t *testing.T, ref string) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	_, err = remote.Head(r, remote.WithContext(t.Context()))
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.StatusCode != http.StatusNotFound {
		t.Errorf("%s: want 404 (no tag written), got %v", ref, err)
	}
}

// TestBuildOCIStdoutE2E: dest=- writes a valid OCI layout tarball of
// every platform to standard output and everything else to standard
// error; a terminal is refused before anything is built.
func TestBuildOCIStdoutE2E(t *testing.T) {
	startCLIBuilder(t)
	ctxDir := smallContext(t)
	meta := filepath.Join(t.TempDir(), "meta.json")
	r := runCLI(t, cliRun{args: []string{"build", ctxDir, "--platform", "linux/amd64,linux/arm64", "--progress", "quiet",
		"-t", "example.com/hello:oci", "--output", "type=oci,dest=-", "--metadata-file", meta}, timeout: 5 * time.Minute})
	if !r.ok() {
		t.Fatalf("build: %v\n%s", r.err, r.stderr)
	}
	for _, s := range []string{"built 2 platform(s)", "index: sha256:", "written: standard output"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	dir := untar(t, []byte(r.stdout))
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("stdout is not an OCI layout tarball: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("layout index: %v %+v", err, im)
	}
	inner, err := idx.ImageIndex(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := inner.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var plats []string
	for _, d := range m.Manifests {
		if d.Platform != nil {
			plats = append(plats, d.Platform.String())
		}
	}
	if strings.Join(plats, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("platforms in the tarball: %v", plats)
	}
	if b, err := os.ReadFile(meta); err != nil || !strings.Contains(string(b), `"ociDest": "-"`) || !strings.Contains(string(b), im.Manifests[0].Digest.String()) {
		t.Errorf("metadata: %v\n%s", err, b)
	}

	t.Run("terminal", func(t *testing.T) {
		ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
		testenv.Require(t, err == nil && term.IsTerminal(int(ptmx.Fd())), "a pseudo-terminal (/dev/ptmx)")
		defer ptmx.Close()
		var errb bytes.Buffer
		err = Execute(t.Context(), []string{"build", ctxDir, "--platform", "linux/amd64", "--output", "type=oci,dest=-"},
			Streams{In: strings.NewReader(""), Out: ptmx, Err: &errb})
		requireErrorSays(t, "dest=- on a terminal", err, "standard output is a terminal", "redirect")
	})
}

// untar unpacks an OCI layout tarball into a temp dir.
func untar(t *testing.T, b []byte) string {
	t.Helper()
	dir := t.TempDir()
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return dir
		}
		if err != nil {
			t.Fatalf("tarball: %v", err)
		}
		p := filepath.Join(dir, filepath.Clean("/"+h.Name))
		if h.Typeflag == tar.TypeDir {
			os.MkdirAll(p, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, p, string(data))
	}
}

// TestBuildOCINoPartialE2E: a build that fails, and one interrupted while
// the tarball is being written, leave nothing at or next to dest (and the
// file that was there before is untouched).
func TestBuildOCINoPartialE2E(t *testing.T) {
	startCLIBuilder(t)
	t.Run("failing build", func(t *testing.T) {
		ctxDir := t.TempDir()
		writeFile(t, filepath.Join(ctxDir, "Dockerfile"), "FROM scratch\nCOPY missing.txt /\n")
		out := t.TempDir()
		writeFile(t, filepath.Join(out, "old.tar"), "before")
		r := runCLI(t, cliRun{args: []string{"build", ctxDir, "--platform", "linux/amd64", "--progress", "plain",
			"--output", "type=oci,dest=" + filepath.Join(out, "old.tar")}, timeout: 5 * time.Minute})
		requireFailureSays(t, "failing build", r, "build failed, nothing exported", "missing.txt")
		requireDirHolds(t, out, "old.tar")
		if b, _ := os.ReadFile(filepath.Join(out, "old.tar")); string(b) != "before" {
			t.Errorf("old.tar changed: %q", b)
		}
	})
	t.Run("interrupted while writing", func(t *testing.T) {
		// 64 MiB that do not compress: the export takes long enough to be
		// interrupted while its temp file is being written.
		ctxDir := t.TempDir()
		writeFile(t, filepath.Join(ctxDir, "Dockerfile"), "FROM scratch\nCOPY big /big\n")
		big := make([]byte, 64<<20)
		rand.Read(big)
		if err := os.WriteFile(filepath.Join(ctxDir, "big"), big, 0o644); err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		seen := make(chan string, 1)
		go func() {
			for ctx.Err() == nil {
				// The output check's probe file comes and goes first.
				ents, _ := os.ReadDir(out)
				for _, e := range ents {
					if strings.HasSuffix(e.Name(), ".partial") {
						seen <- e.Name()
						cancel()
						return
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
		r := runCLI(t, cliRun{ctx: ctx, args: []string{"build", ctxDir, "--platform", "linux/amd64", "--progress", "quiet",
			"--output", "type=oci,dest=" + filepath.Join(out, "big.tar")}})
		select {
		case name := <-seen:
			t.Logf("interrupted when %s appeared", name)
		default:
			t.Fatalf("no temp file appeared before the build ended (exit %d): %v", r.code, r.err)
		}
		requireFailureSays(t, "interrupted", r, "interrupted")
		requireDirHolds(t, out)
	})
}

// TestBuildPushFaultsE2E: the registry answers BuildKit's push (by
// digest) with 429 (and Retry-After) or 500, or multiarch's own tag write
// with 429, through a fault proxy in front of a real registry: the build
// fails with the registry's host, the status, what was being pushed or
// which tag did not move, and what to do; no tag exists afterwards.
func TestBuildPushFaultsE2E(t *testing.T) {
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ctxDir := smallContext(t)
	for _, tc := range []struct {
		name  string
		fault testenv.Fault
		kind  error
		want  []string
		tags  bool // the fault hits multiarch's tag write, not BuildKit's push
	}{
		{"429 on the index", testenv.Fault{Kind: testenv.FaultStatus, Method: http.MethodPut, Path: `/manifests/sha256:`, Status: http.StatusTooManyRequests, RetryAfter: "1", Code: "TOOMANYREQUESTS"},
			registry.ErrUnavailable, []string{"HTTP 429", "rate limited", "Retry-After", "index", "wait and retry, or log in"}, false},
		{"500 on every manifest", testenv.Fault{Kind: testenv.FaultStatus, Method: http.MethodPut, Path: `/manifests/`, Status: http.StatusInternalServerError},
			registry.ErrUnavailable, []string{"HTTP 500", "manifests", "the registry is failing; retry later"}, false},
		{"429 on the tag", testenv.Fault{Kind: testenv.FaultStatus, Method: http.MethodPut, Path: `/manifests/v1$`, Status: http.StatusTooManyRequests, RetryAfter: "1", Code: "TOOMANYREQUESTS"},
			registry.ErrUnavailable, []string{"429", "rate limited", "not moved", ":v1", "wait and retry"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			px := testenv.StartFaultProxy(t, reg)
			px.Inject(t, tc.fault)
			tag := px.Ref(strings.ReplaceAll(strings.ToLower(tc.name), " ", "-"), "v1")
			start := time.Now()
			r := runCLI(t, cliRun{args: []string{"build", ctxDir, "--platform", "linux/amd64,linux/arm64", "-t", tag, "--push", "--progress", "plain"}, timeout: 3 * time.Minute})
			took := time.Since(start)
			requireFailureSays(t, tc.name, r, append([]string{px.Host}, tc.want...)...)
			var pe *build.PushError
			var te *registry.TagsError
			switch {
			case tc.tags && (!errors.As(r.err, &te) || !errors.Is(r.err, tc.kind) || len(te.Moved) != 0):
				t.Errorf("want a *registry.TagsError of %v moving no tag: %#v", tc.kind, r.err)
			case !tc.tags && (!errors.As(r.err, &pe) || !errors.Is(r.err, tc.kind) || pe.Err.Host != px.Host):
				t.Errorf("want a *build.PushError of %v from %s: %#v", tc.kind, px.Host, r.err)
			}
			var invalid *app.InvalidBuildError
			if errors.As(r.err, &invalid) {
				t.Error("a push failure reported as invalid options")
			}
			t.Logf("failed in %v: %s", took.Round(time.Millisecond), r.message())
			if n := px.Hits(http.MethodPut, tc.fault.Path); n == 0 {
				t.Errorf("the fault was never hit: %v", px.Requests())
			}
			// Straight to the registry, not through the proxy.
			requireNoTag(t, reg.Host+"/"+strings.TrimPrefix(tag, px.Host+"/"))
		})
	}
}
