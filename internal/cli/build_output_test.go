package cli

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// outputOptions maps --output s (and -t tags) as build's flags do.
func outputOptions(s string, tags ...string) (build.Options, error) {
	f := &buildFlags{output: s, tags: tags}
	var o build.Options
	err := f.applyOutput(&o)
	return o, err
}

// TestParseOutputForms: every buildx form maps to its options; bad input
// says what is wrong and what is accepted.
func TestParseOutputForms(t *testing.T) {
	o, err := outputOptions("type=registry", "r.example/a:1")
	if err != nil || !o.Push || strings.Join(o.Tags, ",") != "r.example/a:1" {
		t.Errorf("type=registry: %+v %v", o, err)
	}
	o, err = outputOptions(`type=image,"name=r.example/a:1,r.example/a:2",push=true`, "r.example/a:1")
	if err != nil || !o.Push || strings.Join(o.Tags, ",") != "r.example/a:1,r.example/a:2" {
		t.Errorf("type=image,push=true: %+v %v", o, err)
	}
	f := &buildFlags{output: "type=image,name=r.example/a,push-by-digest=true,name-canonical=true,push=true"}
	if err := f.applyOutput(&o); err != nil || !f.outSpec.byDigest || !f.outSpec.canonical {
		t.Errorf("push-by-digest: %+v %v", f.outSpec, err)
	}
	if got := f.outSpec.imageName(o, &build.Result{Digest: "sha256:abc"}); got != "r.example/a@sha256:abc" {
		t.Errorf("image.name by digest: %q", got)
	}
	for s, want := range map[string]string{
		"type=image,name=r.example/a":    build.ExportImage,
		"type=oci,dest=/tmp/d,tar=false": build.ExportOCIDir,
		"type=docker,dest=/tmp/x.tar":    build.ExportDocker,
		"type=tar,dest=/tmp/x.tar":       build.ExportTar,
		"type=local,dest=/tmp/d":         build.ExportLocal,
		"/tmp/d":                         build.ExportLocal,
		"-":                              build.ExportTar,
		"TYPE=local,DEST=/tmp/d,platform-split=false": build.ExportLocal,
	} {
		o, err := outputOptions(s)
		if err != nil || o.Export == nil || o.Export.Type != want || o.Push {
			t.Errorf("%s: %+v %v, want %s", s, o.Export, err, want)
		}
	}
	for s, wants := range map[string][]string{
		"type=vhd,dest=/x":             {`unknown type "vhd"`, "registry, image, oci, docker, tar, local"},
		"dest=/x":                      {"no type"},
		"type=local":                   {"needs dest=PATH"},
		"type=docker":                  {"needs dest=PATH", "no docker engine"},
		"type=local,dest=/x,tar=false": {"type=local takes no tar attribute", "dest, platform-split"},
		"type=oci,dest=/x,tar=maybe":   {`tar="maybe"`, "true or false"},
		"type=oci,dest=/x,dest=/y":     {"dest is given twice"},
		"type=local,dest":              {"is not KEY=VALUE"},
		`type=image,"name=a`:           {"quote"},
		"type=registry":                {"nothing to push to", "name="},
		"type=registry,push=false":     {"type=image,push=false"},
		"type=image,name=r.example/a,push-by-digest=true":                                            {"needs push=true"},
		"type=image,name=r.example/a,push=true,push-by-digest=true,\"name=r.example/a,r.example/b\"": {"given twice"},
	} {
		_, err := outputOptions(s)
		if err == nil {
			t.Errorf("--output %s accepted", s)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("--output %s: %v lacks %q", s, err, w)
			}
		}
	}
	if _, err := outputOptions("type=image,name=r.example/a,push=true,push-by-digest=true", "r.example/b:1"); err == nil || !strings.Contains(err.Error(), "one repository") {
		t.Errorf("push-by-digest into two repositories: %v", err)
	}
	f = &buildFlags{output: "type=local,dest=/tmp/d", push: true}
	if err := f.applyOutput(&o); err == nil || !strings.Contains(err.Error(), "--push and --output type=local") {
		t.Errorf("--push with type=local: %v", err)
	}
}

// threePlatforms are built by the output e2e tests: scratch images need
// no emulation, so three cost little more than one.
const threePlatforms = "linux/amd64,linux/arm64,linux/riscv64"

// buildOut runs build of ctxDir for platforms with args, failing the
// test unless it succeeds.
func buildOut(t *testing.T, ctxDir, platforms string, args ...string) cliResult {
	t.Helper()
	r := runCLI(t, cliRun{args: append([]string{"build", ctxDir, "--platform", platforms, "--progress", "plain"}, args...), timeout: 5 * time.Minute, logStdout: true})
	if !r.ok() {
		t.Fatalf("build %v: %v\n%s", args, r.err, r.stderr)
	}
	return r
}

// readMeta reads a --metadata-file.
func readMeta(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return m
}

// tarNames lists the regular files of a tarball.
func tarNames(t *testing.T, b []byte) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("tarball: %v", err)
		}
		if h.Typeflag == tar.TypeReg {
			names = append(names, path.Clean(h.Name))
		}
	}
	slices.Sort(names)
	return names
}

// perPlatform is hello.txt under each platform's directory, as BuildKit
// names them.
var perPlatform = []string{"linux_amd64/hello.txt", "linux_arm64/hello.txt", "linux_riscv64/hello.txt"}

// TestBuildOutputFilesE2E: type=local and type=tar write every platform's
// files in its own directory (to a file, a directory or standard output);
// type=oci,tar=false writes a layout directory that inspect and verify
// read; type=docker a docker archive of one platform; type=image,push=false
// builds and pushes nothing. A failed build leaves no partial directory.
func TestBuildOutputFilesE2E(t *testing.T) {
	startCLIBuilder(t)
	ctxDir := smallContext(t)
	out := t.TempDir()

	t.Run("local", func(t *testing.T) {
		dest := filepath.Join(out, "local")
		os.MkdirAll(filepath.Join(dest, "linux_amd64"), 0o755)
		writeFile(t, filepath.Join(dest, "keep.txt"), "mine")
		writeFile(t, filepath.Join(dest, "linux_amd64", "stale.txt"), "old")
		meta := filepath.Join(out, "local.json")
		r := buildOut(t, ctxDir, threePlatforms, "-o", "type=local,dest="+dest, "--metadata-file", meta)
		for _, f := range perPlatform {
			if b, err := os.ReadFile(filepath.Join(dest, f)); err != nil || string(b) != "hi\n" {
				t.Errorf("%s: %q %v", f, b, err)
			}
		}
		if _, err := os.Stat(filepath.Join(dest, "linux_amd64", "stale.txt")); err == nil {
			t.Error("the platform directory was merged, not replaced")
		}
		requireDirHolds(t, dest, "keep.txt", "linux_amd64", "linux_arm64", "linux_riscv64")
		requireDirHolds(t, out, "local", "local.json")
		if !strings.Contains(r.stdout, "written: "+dest+" (filesystem") {
			t.Errorf("summary:\n%s", r.stdout)
		}
		if m := readMeta(t, meta); m["output"].(map[string]any)["type"] != "local" {
			t.Errorf("metadata: %v", m)
		}
	})
	t.Run("local one platform", func(t *testing.T) {
		dest := filepath.Join(out, "one")
		buildOut(t, ctxDir, "linux/arm64", "-o", dest)
		requireDirHolds(t, dest, "hello.txt")
	})
	t.Run("tar", func(t *testing.T) {
		dest := filepath.Join(out, "fs.tar")
		buildOut(t, ctxDir, threePlatforms, "-o", "type=tar,dest="+dest)
		b, err := os.ReadFile(dest)
		if err != nil {
			t.Fatal(err)
		}
		if got := tarNames(t, b); !slices.Equal(got, perPlatform) {
			t.Errorf("tarball holds %v, want %v", got, perPlatform)
		}
	})
	t.Run("tar to stdout", func(t *testing.T) {
		r := buildOut(t, ctxDir, threePlatforms, "-o", "-")
		if got := tarNames(t, []byte(r.stdout)); !slices.Equal(got, perPlatform) {
			t.Errorf("standard output holds %v, want %v", got, perPlatform)
		}
		if !strings.Contains(r.stderr, "written: standard output (filesystem tarball)") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
		r = buildOut(t, ctxDir, "linux/arm64", "-o", "type=docker,dest=-")
		if names := tarNames(t, []byte(r.stdout)); !slices.Contains(names, "manifest.json") || !strings.Contains(r.stderr, "written: standard output (docker archive tarball)") {
			t.Errorf("docker archive on standard output: %v\n%s", names, r.stderr)
		}
	})
	t.Run("oci dir", func(t *testing.T) {
		dest := filepath.Join(out, "layout")
		meta := filepath.Join(out, "oci.json")
		iid := filepath.Join(out, "oci.iid")
		buildOut(t, ctxDir, threePlatforms, "-o", "type=oci,dest="+dest+",tar=false", "-t", "example.com/hello:dir", "--metadata-file", meta, "--iidfile", iid)
		m := readMeta(t, meta)
		dgst, _ := m["containerimage.digest"].(string)
		desc, _ := m["containerimage.descriptor"].(map[string]any)
		if !strings.HasPrefix(dgst, "sha256:") || desc["digest"] != dgst || desc["mediaType"] != "application/vnd.oci.image.index.v1+json" || desc["size"].(float64) <= 0 {
			t.Errorf("metadata digest %q descriptor %v", dgst, desc)
		}
		if ps, _ := m["platforms"].([]any); len(ps) != 3 {
			t.Errorf("metadata platforms: %v", m["platforms"])
		}
		if m["image.name"] != "example.com/hello:dir" {
			t.Errorf("image.name: %v", m["image.name"])
		}
		if b, _ := os.ReadFile(iid); string(b) != dgst {
			t.Errorf("iidfile %q, metadata %q", b, dgst)
		}
		idx, err := layout.ImageIndexFromPath(dest)
		if err != nil {
			t.Fatal(err)
		}
		if im, err := idx.IndexManifest(); err != nil || len(im.Manifests) != 1 || im.Manifests[0].Digest.String() != dgst {
			t.Errorf("layout index.json: %v %+v", err, im)
		}
		r := runArgs(t, "inspect", dest)
		for _, p := range strings.Split(threePlatforms, ",") {
			if !strings.Contains(r.stdout, p) {
				t.Errorf("inspect %s lacks %s: %v\n%s", dest, p, r.err, r.stdout)
			}
		}
		if r := runArgs(t, "verify", dest, "--platform", threePlatforms); !r.ok() {
			t.Errorf("verify %s: %v\n%s\n%s", dest, r.err, r.stdout, r.stderr)
		}
	})
	t.Run("docker", func(t *testing.T) {
		dest := filepath.Join(out, "docker.tar")
		meta := filepath.Join(out, "docker.json")
		r := buildOut(t, ctxDir, "linux/arm64", "-o", "type=docker,dest="+dest, "-t", "example.com/hello:docker", "--metadata-file", meta)
		b, err := os.ReadFile(dest)
		if err != nil {
			t.Fatal(err)
		}
		if names := tarNames(t, b); !slices.Contains(names, "manifest.json") {
			t.Errorf("docker archive without manifest.json: %v", names)
		}
		m := readMeta(t, meta)
		if ps, _ := m["platforms"].([]any); !strings.HasPrefix(m["containerimage.digest"].(string), "sha256:") || len(ps) != 1 || ps[0].(map[string]any)["digest"] != m["containerimage.digest"] {
			t.Errorf("metadata: %v", m)
		}
		if !strings.Contains(r.stdout, "image: "+m["containerimage.digest"].(string)) {
			t.Errorf("summary:\n%s", r.stdout)
		}
	})
	t.Run("image without push", func(t *testing.T) {
		reg := testenv.StartRegistry(t)
		ref := reg.Ref("nopush", "v1")
		meta := filepath.Join(out, "image.json")
		r := buildOut(t, ctxDir, threePlatforms, "-o", "type=image,name="+ref+",push=false", "--metadata-file", meta)
		if !strings.Contains(r.stdout, "built, not pushed (type=image,push=false)") {
			t.Errorf("summary:\n%s", r.stdout)
		}
		if m := readMeta(t, meta); !strings.HasPrefix(m["containerimage.digest"].(string), "sha256:") || m["pushed"] != false || m["image.name"] != ref {
			t.Errorf("metadata: %v", m)
		}
		requireNoTag(t, ref)
	})
	t.Run("quiet", func(t *testing.T) {
		for _, o := range []string{"type=oci,tar=false,dest=" + filepath.Join(out, "q"), "type=docker,dest=" + filepath.Join(out, "q.tar"), "type=image,push=false"} {
			r := runCLI(t, cliRun{args: []string{"build", ctxDir, "--platform", "linux/arm64", "-q", "-o", o}, timeout: 5 * time.Minute})
			if !r.ok() || !strings.HasPrefix(r.stdout, "sha256:") || strings.Count(r.stdout, "\n") != 1 || r.stderr != "" {
				t.Errorf("-q -o %s: %v\nstdout %q\nstderr %q", o, r.err, r.stdout, r.stderr)
			}
		}
	})
	t.Run("failed build leaves nothing", func(t *testing.T) {
		bad := t.TempDir()
		writeFile(t, filepath.Join(bad, "Dockerfile"), "FROM scratch\nCOPY missing.txt /\n")
		dir := t.TempDir()
		for _, o := range []string{"type=local,dest=" + filepath.Join(dir, "l"), "type=oci,tar=false,dest=" + filepath.Join(dir, "o"), "type=tar,dest=" + filepath.Join(dir, "t.tar")} {
			r := runCLI(t, cliRun{args: []string{"build", bad, "--platform", "linux/amd64,linux/arm64", "--progress", "plain", "-o", o}, timeout: 5 * time.Minute})
			requireFailureSays(t, o, r, "build failed, nothing exported", "missing.txt")
		}
		requireDirHolds(t, dir)
	})
}

// TestBuildPushByDigestE2E: type=image,push-by-digest=true pushes every
// platform and the index by digest and writes no tag (the repository
// lists none); the metadata file holds the index's digest and descriptor
// and every platform's digest, each pullable by digest; type=registry
// pushes and tags as --push does.
func TestBuildPushByDigestE2E(t *testing.T) {
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ctxDir := smallContext(t)
	repo := reg.Host + "/fanout"
	meta := filepath.Join(t.TempDir(), "meta.json")
	r := buildOut(t, ctxDir, threePlatforms, "-o", "type=image,name="+repo+",push=true,push-by-digest=true,name-canonical=true", "--metadata-file", meta)
	m := readMeta(t, meta)
	dgst, _ := m["containerimage.digest"].(string)
	if !strings.Contains(r.stdout, "pushed by digest, no tag yet: "+repo+"@"+dgst) {
		t.Errorf("summary:\n%s", r.stdout)
	}
	if m["image.name"] != repo+"@"+dgst {
		t.Errorf("image.name %v, want %s@%s", m["image.name"], repo, dgst)
	}
	desc, _ := m["containerimage.descriptor"].(map[string]any)
	if desc["digest"] != dgst || desc["mediaType"] != "application/vnd.oci.image.index.v1+json" {
		t.Errorf("descriptor %v", desc)
	}
	rr, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	// The registry answers NAME_UNKNOWN for a repository without tags.
	tags, err := remote.List(rr, remote.WithContext(t.Context()))
	var terr *transport.Error
	if len(tags) != 0 || (err != nil && !(errors.As(err, &terr) && len(terr.Errors) > 0 && terr.Errors[0].Code == transport.NameUnknownErrorCode)) {
		t.Errorf("tags of %s after push-by-digest: %v %v", repo, tags, err)
	}
	t.Logf("tags of %s: %v (%v)", repo, tags, err)
	ps, _ := m["platforms"].([]any)
	var got []string
	for _, p := range ps {
		pd := p.(map[string]any)
		got = append(got, pd["platform"].(string))
		d, err := name.NewDigest(repo + "@" + pd["digest"].(string))
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(d, remote.WithContext(t.Context()))
		if err != nil {
			t.Errorf("%s: %v", d, err)
			continue
		}
		if cf, err := img.ConfigFile(); err != nil || cf.OS+"/"+cf.Architecture != pd["platform"] {
			t.Errorf("%s: config %v %v", d, cf, err)
		}
	}
	if strings.Join(got, ",") != threePlatforms {
		t.Errorf("metadata platforms %v, want %s", got, threePlatforms)
	}
	if _, err := remote.Index(rr.Digest(dgst), remote.WithContext(t.Context())); err != nil {
		t.Errorf("index %s: %v", dgst, err)
	}

	t.Run("registry", func(t *testing.T) {
		tag := reg.Ref("fanout", "v1")
		meta := filepath.Join(t.TempDir(), "meta.json")
		buildOut(t, ctxDir, threePlatforms, "-o", "type=registry", "-t", tag, "--metadata-file", meta)
		m := readMeta(t, meta)
		d, err := remote.Head(mustParseRef(t, tag), remote.WithContext(t.Context()))
		if err != nil || d.Digest.String() != m["containerimage.digest"] || m["image.name"] != tag || m["pushed"] != true {
			t.Errorf("%s: %v %v; metadata %v", tag, d, err, m)
		}
	})
}

func mustParseRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestBuildOutputBadInputE2E: a bad --output of every type fails before
// the builder runs anything (no build session), with what is wrong and
// what to write instead; nothing is written or pushed.
func TestBuildOutputBadInputE2E(t *testing.T) {
	addr := startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ctxDir := smallContext(t)
	out := t.TempDir()
	aFile := filepath.Join(out, "file")
	writeFile(t, aFile, "x")
	tag := reg.Ref("never", "v1")
	missing := filepath.Join(out, "nope", "x")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown type", []string{"-o", "type=vhd,dest=" + aFile}, []string{`unknown type "vhd"`, "supported: registry, image, oci, docker, tar, local"}},
		{"no type", []string{"-o", "dest=" + aFile}, []string{"no type"}},
		{"registry unknown attr", []string{"-o", "type=registry,ref=" + tag}, []string{"type=registry takes no ref attribute", "name, push"}},
		{"registry no name", []string{"-o", "type=registry"}, []string{"nothing to push to"}},
		{"image bad bool", []string{"-o", "type=image,name=" + tag + ",push=yes please"}, []string{`push="yes please"`, "true or false"}},
		{"image by digest without push", []string{"-o", "type=image,name=" + tag + ",push-by-digest=true"}, []string{"needs push=true"}},
		{"oci dir on a file", []string{"-o", "type=oci,tar=false,dest=" + aFile}, []string{aFile, "not a directory"}},
		{"oci dir to stdout", []string{"-o", "type=oci,tar=false,dest=-"}, []string{"a directory cannot go to standard output"}},
		{"oci missing parent", []string{"-o", "type=oci,dest=" + missing}, []string{"does not exist"}},
		{"docker no dest", []string{"-o", "type=docker"}, []string{"needs dest=PATH", "no docker engine"}},
		{"docker two platforms", []string{"-o", "type=docker,dest=" + filepath.Join(out, "d.tar")}, []string{"docker archive holds one platform", "OCI layout"}},
		{"tar dest a directory", []string{"-o", "type=tar,dest=" + out}, []string{"is a directory"}},
		{"tar bad attr", []string{"-o", "type=tar,dest=" + filepath.Join(out, "t.tar") + ",compression=zstd"}, []string{"type=tar takes no compression attribute"}},
		{"local on a file", []string{"-o", "type=local,dest=" + aFile}, []string{"not a directory"}},
		{"local missing parent", []string{"-o", "type=local,dest=" + missing}, []string{"does not exist"}},
		{"local to stdout", []string{"-o", "type=local,dest=-"}, []string{"a directory cannot go to standard output"}},
		{"local with --push", []string{"-o", "type=local,dest=" + filepath.Join(out, "l"), "--push", "-t", tag}, []string{"--push and --output type=local cannot be used together"}},
		{"local with --iidfile", []string{"-o", "type=local,dest=" + filepath.Join(out, "l"), "--iidfile", filepath.Join(out, "iid")}, []string{"--iidfile", "type=local writes files, not an image"}},
		{"tar stdout with -q", []string{"-o", "type=tar,dest=-", "-q", "--progress", "auto"}, []string{"--quiet", "dest=-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := testenv.DaemonActivity(t, addr).Sessions
			args := append([]string{"build", ctxDir, "--platform", "linux/amd64,linux/arm64", "--progress", "plain"}, tc.args...)
			r := runCLI(t, cliRun{args: args, timeout: time.Minute})
			requireFailureSays(t, tc.name, r, tc.want...)
			if after := testenv.DaemonActivity(t, addr).Sessions; after != before {
				t.Errorf("the builder ran %d build session(s)", after-before)
			}
		})
	}
	t.Run("docker missing parent", func(t *testing.T) {
		r := runCLI(t, cliRun{args: []string{"build", ctxDir, "--platform", "linux/amd64", "-o", "type=docker,dest=" + missing}, timeout: time.Minute})
		requireFailureSays(t, "docker missing parent", r, "does not exist")
	})
	requireDirHolds(t, out, "file")
	requireNoTag(t, tag)
}
