package build

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// writeContext writes files (name → content) into a new context dir.
func writeContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const scratchDockerfile = "FROM scratch\nCOPY hello.txt /hello.txt\n"

func TestBuildOCIOutputNoRegistry(t *testing.T) {
	e := testenv.StartBuildkitd(t)
	dir := writeContext(t, map[string]string{"Dockerfile": scratchDockerfile, "hello.txt": "hi\n"})
	dest := filepath.Join(t.TempDir(), "out.tar")
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/riscv64")
	res, err := buildAt(t.Context(), e.Address, Options{ContextDir: dir, Platforms: ps, OCIDest: dest, Tags: []string{"example.com/hello:oci"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest == "" || len(res.Platforms) != 3 {
		t.Fatalf("result: %+v", res)
	}
	if _, err := os.Stat(dest + ".partial"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("partial file left: %v", err)
	}
	// Read the tarball with go-containerregistry's layout reader.
	lp := untar(t, dest)
	idx, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 || im.Manifests[0].Digest.String() != res.Digest {
		t.Fatalf("layout index.json: %+v %v (want %s)", im, err, res.Digest)
	}
	inner, err := idx.ImageIndex(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if got := string(testenv.ReadFile(t, testenv.ImageFor(t, inner, p), "/hello.txt")); got != "hi\n" {
			t.Errorf("%s: /hello.txt = %q", p, got)
		}
	}
}

func untar(t *testing.T, file string) layout.Path {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Clean("/"+h.Name))
		if h.Typeflag == tar.TypeDir {
			os.MkdirAll(p, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		b, _ := io.ReadAll(tr)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lp, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	return lp
}

func TestBuildMissingDockerfileBeforeDaemon(t *testing.T) {
	dir := t.TempDir()
	// No daemon listens at this address: the Dockerfile check comes first.
	_, err := buildAt(t.Context(), "unix:///nonexistent/buildkitd.sock", Options{ContextDir: dir, Platforms: testenv.Platforms(t, "linux/amd64")})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "Dockerfile") {
		t.Fatalf("want a not-exist error naming the Dockerfile, got %v", err)
	}
}

func TestBuildUnreachable(t *testing.T) {
	dir := writeContext(t, map[string]string{"Dockerfile": scratchDockerfile, "hello.txt": "hi\n"})
	_, err := buildAt(t.Context(), "unix://"+testenv.ShortTempDir(t)+"/buildkitd.sock", Options{ContextDir: dir, Platforms: testenv.Platforms(t, "linux/amd64")})
	var ue *builder.UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("want UnreachableError, got %v", err)
	}
}

func TestBuildPushChecks(t *testing.T) {
	e := testenv.StartBuildkitd(t)
	dir := writeContext(t, map[string]string{"Dockerfile": scratchDockerfile, "hello.txt": "hi\n"})
	reg := testenv.StartRegistry(t, testenv.WithBasicAuth("alice", "s3cret"))
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	opts := Options{ContextDir: dir, Platforms: ps, Push: true}

	t.Run("refused without credentials", func(t *testing.T) {
		o := opts
		o.Tags, o.Registry.Keychain = []string{reg.Ref("hello", "v1")}, authn.NewMultiKeychain()
		_, err := buildAt(t.Context(), e.Address, o)
		var pe *PushRefusedError
		if !errors.As(err, &pe) || pe.StatusCode != 401 {
			t.Fatalf("want PushRefusedError 401, got %v", err)
		}
	})
	t.Run("unreachable registry", func(t *testing.T) {
		o := opts
		o.Tags = []string{"127.0.0.1:1/hello:v1"}
		_, err := buildAt(t.Context(), e.Address, o)
		var re *RegistryUnreachableError
		if !errors.As(err, &re) || re.Registry != "127.0.0.1:1" {
			t.Fatalf("want RegistryUnreachableError, got %v", err)
		}
	})
	t.Run("pushed with credentials from the keychain", func(t *testing.T) {
		o := opts
		o.Tags, o.Registry.Keychain = []string{reg.Ref("hello", "v1"), reg.Ref("hello", "v2")}, testenv.Keychain()
		res, err := buildAt(t.Context(), e.Address, o)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Pushed || len(res.Platforms) != 2 {
			t.Fatalf("result %+v", res)
		}
		for _, tag := range o.Tags {
			d, err := remote.Head(mustRef(t, tag), remote.WithAuthFromKeychain(testenv.Keychain()))
			if err != nil || d.Digest.String() != res.Digest {
				t.Errorf("%s: %v %v, want %s", tag, d, err, res.Digest)
			}
		}
	})
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestBuildFailingRunPushesNothing proves all or nothing: one platform's
// RUN fails, the solve fails before export, no tag exists afterwards.
func TestBuildFailingRunPushesNothing(t *testing.T) {
	testenv.LockHostBinfmt(t)
	e := testenv.StartBuildkitd(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/s390x")
	reg, base := registryWithBase(t, ps)
	dir := writeContext(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN [ \"$(uname -m)\" != s390x ]\n"})
	tag := reg.Ref("fails", "v1")
	_, err := buildAt(t.Context(), e.Address, Options{ContextDir: dir, Platforms: ps, Push: true, Tags: []string{tag}, BuildArgs: map[string]string{"BASE": base}})
	if err == nil {
		t.Fatal("build with a failing RUN succeeded")
	}
	t.Logf("build error: %v", err)
	testenv.CheckNotPushed(t, tag)
}

// TestBuildInterruptedPushesNothing cancels a build mid-RUN: the solve
// ends before export and the tag never appears.
func TestBuildInterruptedPushesNothing(t *testing.T) {
	e := testenv.StartBuildkitd(t)
	ps := testenv.Platforms(t, "linux/amd64")
	reg, base := registryWithBase(t, ps)
	dir := writeContext(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN sleep 60\n"})
	tag := reg.Ref("interrupted", "v1")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	start := time.Now()
	_, err := buildAt(ctx, e.Address, Options{ContextDir: dir, Platforms: ps, Push: true, Tags: []string{tag}, BuildArgs: map[string]string{"BASE": base}})
	if err == nil {
		t.Fatal("interrupted build succeeded")
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("cancel took %v", d)
	}
	testenv.CheckNotPushed(t, tag)
}
