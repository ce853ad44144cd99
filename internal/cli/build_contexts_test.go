package cli

import (
	"archive/tar"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// writeFiles writes name → content under dir (parents created).
func writeFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for n, c := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tarOf is a tar of name → content.
func tarOf(t *testing.T, files map[string]string) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for n, c := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(c)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(c))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// markerEntries are scratch images holding /marker = "<what> <platform>".
func markerEntries(ps []platform.Platform, what string) []testenv.Entry {
	var es []testenv.Entry
	for _, p := range ps {
		es = append(es, testenv.Entry{Platform: p, Files: []testenv.File{{Path: "/marker", Body: []byte(what + " " + p.String()), Mode: 0o644}}})
	}
	return es
}

// markerLayout writes an OCI layout holding markerEntries, tagged tag.
func markerLayout(t *testing.T, ps []platform.Platform, tag string) string {
	t.Helper()
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	idx := testenv.ScratchIndex(t, markerEntries(ps, "layout")...)
	if err := lp.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag})); err != nil {
		t.Fatal(err)
	}
	return dir
}

// wantFiles checks that every platform of the index at tag holds the
// files with the contents given ("%p" in a content is the platform).
func wantFiles(t *testing.T, tag string, ps []platform.Platform, files map[string]string) {
	t.Helper()
	ref, err := name.ParseReference(tag)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("%s: %v", tag, err)
	}
	for _, p := range ps {
		img := testenv.ImageFor(t, idx, p)
		for f, want := range files {
			want = strings.ReplaceAll(want, "%p", p.String())
			if got := string(testenv.ReadFile(t, img, f)); got != want {
				t.Errorf("%s %s: %s = %q, want %q", tag, p, f, got, want)
			}
		}
	}
}

// gitDaemon serves a repository with a Dockerfile in sub/ on branch
// feature (main's differs) over git:// on loopback, and returns its URL.
func gitDaemon(t *testing.T) string {
	t.Helper()
	testenv.Require(t, exec.Command("git", "--version").Run() == nil, "git is needed for the git daemon (scripts/host-setup.sh installs it)")
	base := t.TempDir()
	repo := filepath.Join(base, "repo.git")
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	writeFiles(t, repo, map[string]string{"sub/Dockerfile": "FROM scratch\nCOPY c.txt /git\n", "sub/c.txt": "main branch"})
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "main")
	git("checkout", "-q", "-b", "feature")
	writeFiles(t, repo, map[string]string{"sub/c.txt": "feature branch"})
	git("commit", "-q", "-am", "feature")
	git("checkout", "-q", "main")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	d := exec.Command("git", "daemon", "--export-all", "--reuseaddr", "--base-path="+base, "--listen=127.0.0.1", fmt.Sprintf("--port=%d", port), base)
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Process.Kill(); d.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("git daemon did not listen within 10s")
		}
	}
	return fmt.Sprintf("git://127.0.0.1:%d/repo.git", port)
}

// TestBuildContextsE2E builds with every input form buildx takes, for two
// platforms on the real builder, and reads the copied files back from the
// pushed images: named contexts (a directory, docker-image:// of the test
// registry, oci-layout://), a tar or a Dockerfile on standard input, -f -,
// and a git URL with a branch and a subdirectory served by git daemon.
func TestBuildContextsE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	marker := reg.Ref("marker", "1")
	testenv.PushScratchIndex(t, marker, markerEntries(ps, "image")...)
	lay := markerLayout(t, ps, "v1")
	files := writeFiles(t, t.TempDir(), map[string]string{"hello.txt": "from a named dir"})
	gitURL := gitDaemon(t)

	build := func(tag, stdin string, args ...string) cliResult {
		t.Helper()
		all := append([]string{"build", "--platform", "linux/amd64,linux/arm64", "-t", tag, "--push", "--progress", "plain"}, args...)
		return runCLI(t, cliRun{args: all, stdin: stdin, timeout: 5 * time.Minute})
	}
	mustBuild := func(tag, stdin string, args ...string) {
		t.Helper()
		if r := build(tag, stdin, args...); !r.ok() {
			t.Fatalf("build %v: %v\nstderr:\n%s", args, r.err, r.stderr)
		}
	}

	t.Run("named contexts", func(t *testing.T) {
		ctx := writeFiles(t, t.TempDir(), map[string]string{"Dockerfile": "FROM scratch\nCOPY --from=files hello.txt /named-dir\n" +
			"COPY --from=img /marker /named-image\nCOPY --from=lay /marker /named-layout\n"})
		tag := reg.Ref("named", "1")
		mustBuild(tag, "", ctx, "--build-context", "files="+files, "--build-context", "img=docker-image://"+marker,
			"--build-context", "lay=oci-layout://"+lay+":v1")
		wantFiles(t, tag, ps, map[string]string{"/named-dir": "from a named dir", "/named-image": "image %p", "/named-layout": "layout %p"})
	})
	t.Run("stdin tar", func(t *testing.T) {
		tag := reg.Ref("stdintar", "1")
		mustBuild(tag, tarOf(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY a.txt /stdin-tar\n", "a.txt": "from a tar on stdin"}), "-")
		wantFiles(t, tag, ps, map[string]string{"/stdin-tar": "from a tar on stdin"})
	})
	t.Run("stdin Dockerfile", func(t *testing.T) {
		tag := reg.Ref("stdindf", "1")
		mustBuild(tag, "FROM scratch\nCOPY --from=files hello.txt /stdin-df\n", "-", "--build-context", "files="+files)
		wantFiles(t, tag, ps, map[string]string{"/stdin-df": "from a named dir"})
	})
	t.Run("dockerfile from stdin", func(t *testing.T) {
		ctx := writeFiles(t, t.TempDir(), map[string]string{"b.txt": "from the context dir", "Dockerfile": "FROM scratch\nCOPY b.txt /wrong\n"})
		tag := reg.Ref("fstdin", "1")
		mustBuild(tag, "FROM scratch\nCOPY b.txt /f-stdin\n", ctx, "-f", "-")
		wantFiles(t, tag, ps, map[string]string{"/f-stdin": "from the context dir"})
	})
	t.Run("git", func(t *testing.T) {
		tag := reg.Ref("git", "1")
		mustBuild(tag, "", gitURL+"#feature:sub")
		wantFiles(t, tag, ps, map[string]string{"/git": "feature branch"})
	})
	t.Run("git missing ref", func(t *testing.T) {
		tag := reg.Ref("gitbad", "1")
		r := build(tag, "", gitURL+"#nosuch:sub")
		if !r.failed() {
			t.Fatalf("want a failure, got %v", r.err)
		}
		requireFailureSays(t, "a git context with a missing ref", r, gitURL, `no branch, tag or commit "nosuch"`, "git ls-remote")
		testenv.CheckNotPushed(t, tag)
	})
	t.Run("unknown from", func(t *testing.T) {
		ctx := writeFiles(t, t.TempDir(), map[string]string{"Dockerfile": "FROM scratch AS base\nCOPY --from=nosuchctx /x /x\n"})
		tag := reg.Ref("unknownfrom", "1")
		r := build(tag, "", ctx, "--build-context", "files="+files)
		if !r.failed() {
			t.Fatalf("want a failure, got %v", r.err)
		}
		requireFailureSays(t, "COPY --from= of no stage or context", r, "COPY --from=nosuchctx", "line 2", "neither a stage of the Dockerfile nor a named build context",
			"docker.io/library/nosuchctx:latest", "--build-context nosuchctx=DIR")
		testenv.CheckNotPushed(t, tag)
	})
}

// TestBuildContextsBadInput: each malformed input is refused before any
// builder is contacted (BUILDKIT_HOST names a port nothing listens on),
// saying what is wrong and what is supported.
func TestBuildContextsBadInput(t *testing.T) {
	t.Setenv(builder.EnvBuildkitHost, "tcp://127.0.0.1:1")
	ctxDir := writeFiles(t, t.TempDir(), map[string]string{"Dockerfile": "FROM scratch\n"})
	lay := markerLayout(t, testenv.Platforms(t, "linux/amd64"), "v1")
	notDir := filepath.Join(ctxDir, "Dockerfile")
	cases := []struct {
		name  string
		args  []string
		stdin string
		want  []string
	}{
		{"no =", []string{ctxDir, "--build-context", "files"}, "", []string{"--build-context files", "not NAME=VALUE", "docker-image://REF"}},
		{"unknown scheme", []string{ctxDir, "--build-context", "files=ftp://host/x"}, "", []string{"scheme ftp:// is not supported", "oci-layout://DIR"}},
		{"missing dir", []string{ctxDir, "--build-context", "files=/no/such/dir"}, "", []string{"context files", "/no/such/dir", "no such file"}},
		{"not a dir", []string{ctxDir, "--build-context", "files=" + notDir}, "", []string{"context files", "is not a directory"}},
		{"bad name", []string{ctxDir, "--build-context", "Files=" + ctxDir}, "", []string{"context name \"Files\""}},
		{"malformed image", []string{ctxDir, "--build-context", "img=docker-image://Bad/Ref::x"}, "", []string{"context img", "image reference"}},
		{"layout without tag", []string{ctxDir, "--build-context", "lay=oci-layout://" + lay + ":v2"}, "", []string{"no image tagged \"v2\"", "v1"}},
		{"layout without digest", []string{ctxDir, "--build-context", "lay=oci-layout://" + lay + "@sha256:" + strings.Repeat("0", 64)}, "", []string{"holds no blob"}},
		{"not a layout", []string{ctxDir, "--build-context", "lay=oci-layout://" + ctxDir}, "", []string{"not an OCI layout directory"}},
		{"both stdin", []string{"-", "-f", "-"}, "FROM scratch\n", []string{"cannot both be read from standard input"}},
		{"empty stdin", []string{"-"}, "", []string{"standard input is empty"}},
		{"stdin Dockerfile and -f", []string{"-", "-f", notDir}, "FROM scratch\n", []string{"holds a Dockerfile", "give one of them"}},
		{"missing context", []string{"/no/such/ctx"}, "", []string{"no such directory", "git URL", "- (a tar of the context"}},
		{"unknown context scheme", []string{"ftp://host/ctx"}, "", []string{"scheme ftp:// is not supported", "git URL"}},
		{"bad git URL", []string{"git@"}, "", []string{"git URL \"git@\""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"build", "--platform", "linux/amd64", "-t", "127.0.0.1:5000/x:1", "--push"}, c.args...)
			r := runCLI(t, cliRun{args: args, stdin: c.stdin})
			requireRefusedOffline(t, c.name, r, c.want...)
		})
	}
}
