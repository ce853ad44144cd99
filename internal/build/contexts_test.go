package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func TestParseNamedContext(t *testing.T) {
	cases := []struct {
		in   string
		want NamedContext
	}{
		{"files=./dir", NamedContext{Name: "files", Dir: "./dir"}},
		{"docker.io/library/alpine:latest=/x", NamedContext{Name: "alpine", Dir: "/x"}},
		{"alpine:3.20=docker-image://reg:5000/a/b:1", NamedContext{Name: "alpine:3.20", Image: "reg:5000/a/b:1"}},
		{"src=https://example.com/r.git#main:sub", NamedContext{Name: "src", URL: "https://example.com/r.git#main:sub"}},
		{"src=git@example.com:r.git#v1", NamedContext{Name: "src", URL: "git@example.com:r.git#v1"}},
	}
	for _, c := range cases {
		got, err := ParseNamedContext(c.in)
		if err != nil || got.Name != c.want.Name || got.Dir != c.want.Dir || got.Image != c.want.Image || got.URL != c.want.URL || got.Layout != nil {
			t.Errorf("%s: got %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	d := "sha256:" + strings.Repeat("a", 64)
	for in, want := range map[string]OCILayoutRef{
		"l=oci-layout:///a/b":            {Path: "/a/b", Tag: "latest"},
		"l=oci-layout:///a/b:v1":         {Path: "/a/b", Tag: "v1", tagged: true},
		"l=oci-layout://rel@" + d:        {Path: "rel", Digest: digest.Digest(d)},
		"l=oci-layout://h:1/x/y:v2@" + d: {Path: "h:1/x/y", Tag: "v2", tagged: true, Digest: digest.Digest(d)},
	} {
		got, err := ParseNamedContext(in)
		if err != nil || got.Layout == nil || *got.Layout != want {
			t.Errorf("%s: got %+v, %v; want %+v", in, got.Layout, err, want)
		}
	}
	for in, want := range map[string]error{
		"files":                       ErrInvalidOptions,
		"=dir":                        ErrInvalidOptions,
		"Files=dir":                   ErrInvalidOptions,
		"x=ftp://h/p":                 ErrUnsupportedInput,
		"x=target:base":               nil, // a directory named target:base, as buildx outside bake
		"x=docker-image://UP/Case":    ErrInvalidOptions,
		"x=oci-layout://":             ErrInvalidOptions,
		"x=oci-layout:///a@sha256:zz": ErrInvalidOptions,
	} {
		_, err := ParseNamedContext(in)
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Errorf("%s: error %v, want %v", in, err, want)
		}
	}
}

func TestIsArchive(t *testing.T) {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: 1})
	tw.Write([]byte("x"))
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tb.Bytes())
	zw.Close()
	for name, c := range map[string]struct {
		b    []byte
		want bool
	}{
		"tar": {tb.Bytes(), true}, "gzip": {gz.Bytes(), true}, "Dockerfile": {[]byte("FROM scratch\nCOPY . /\n"), false},
		"long Dockerfile": {bytes.Repeat([]byte("# comment\n"), 200), false},
	} {
		if got := isArchive(c.b); got != c.want {
			t.Errorf("%s: isArchive = %v, want %v", name, got, c.want)
		}
	}
}

// TestSpoolStdinRemoved: what standard input is spooled to is gone after
// release, and a Dockerfile on it gets an empty context.
func TestSpoolStdinRemoved(t *testing.T) {
	o := Options{ContextDir: StdinName, Stdin: strings.NewReader("FROM scratch\n")}
	got, release, err := o.spoolStdin()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(got.Dockerfile); err != nil || string(b) != "FROM scratch\n" {
		t.Fatalf("Dockerfile %s: %q, %v", got.Dockerfile, b, err)
	}
	if ents, err := os.ReadDir(got.ContextDir); err != nil || len(ents) != 0 {
		t.Errorf("context %s: %v entries, %v; want an empty directory", got.ContextDir, ents, err)
	}
	release()
	if _, err := os.Stat(filepath.Dir(got.Dockerfile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("spool dir left behind after release: %v", err)
	}
}

// TestTwoNodeBuildContexts: a multi-node build gives every node the named
// contexts (a directory, an OCI layout) and the tar context read once from
// standard input; every platform's image holds what they hold.
func TestTwoNodeBuildContexts(t *testing.T) {
	testenv.LockHostBinfmt(t)
	_, _, nodes := twoNodes(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	reg := testenv.StartRegistry(t)
	files := writeContext(t, map[string]string{"hello.txt": "named dir"})
	lay := t.TempDir()
	lp, err := layout.Write(lay, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	var es []testenv.Entry
	for _, p := range ps {
		es = append(es, testenv.Entry{Platform: p, Files: []testenv.File{{Path: "/marker", Body: []byte("layout " + p.String()), Mode: 0o644}}})
	}
	if err := lp.AppendIndex(testenv.ScratchIndex(t, es...), layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "v1"})); err != nil {
		t.Fatal(err)
	}
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for n, c := range map[string]string{"Dockerfile": "FROM scratch\nCOPY a.txt /a\nCOPY --from=files hello.txt /named\nCOPY --from=lay /marker /layout\n", "a.txt": "tar context"} {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(c))})
		tw.Write([]byte(c))
	}
	tw.Close()
	named := func(s string) NamedContext {
		nc, err := ParseNamedContext(s)
		if err != nil {
			t.Fatal(err)
		}
		return nc
	}
	tag := reg.Ref("contexts", "v1")
	res, err := BuildOn(t.Context(), nodes, Options{ContextDir: StdinName, Stdin: &tb, Platforms: ps, Push: true, Tags: []string{tag},
		NamedContexts: []NamedContext{named("files=" + files), named("lay=oci-layout://" + lay + ":v1")}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Address, ",") {
		t.Fatalf("built on %s, want both nodes", res.Address)
	}
	idx, err := remote.Index(mustRef(t, tag))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		img := testenv.ImageFor(t, idx, p)
		for f, want := range map[string]string{"/a": "tar context", "/named": "named dir", "/layout": "layout " + p.String()} {
			if got := string(testenv.ReadFile(t, img, f)); got != want {
				t.Errorf("%s %s = %q, want %q", p, f, got, want)
			}
		}
	}
}
