package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// stampDockerfile writes a Dockerfile whose one RUN writes a random value:
// a rebuilt RUN gives a new top layer, a cached one the same.
func stampDockerfile(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	df := "ARG BASE\nFROM ${BASE} AS base\nRUN cat /proc/sys/kernel/random/uuid > /stamp\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// topLayers returns the digest of the top layer of every platform of the
// index at ref, keyed by platform, and the index's digest.
func topLayers(t *testing.T, ref string) (string, map[string]string) {
	t.Helper()
	idx := remoteIndex(t, ref)
	d, _ := idx.Digest()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range im.Manifests {
		if m.Platform == nil || m.Platform.OS == "unknown" {
			continue
		}
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		ls, err := img.Layers()
		if err != nil || len(ls) == 0 {
			t.Fatalf("%s layers: %v", m.Digest, err)
		}
		ld, _ := ls[len(ls)-1].Digest()
		out[platformKey(m.Platform)] = ld.String()
	}
	return d.String(), out
}

func platformKey(p *v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// TestBuildBuildxFlagsE2E builds with buildx's spelling of a real project's
// command: --platform repeated, -q, --iidfile, then again (cached) with
// --pull, then with --no-cache, which must rerun the RUN step.
func TestBuildBuildxFlagsE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, ps...)
	ctxDir := stampDockerfile(t)
	iid := filepath.Join(t.TempDir(), "iid")

	build := func(tag string, extra ...string) cliResult {
		args := append([]string{"build", ctxDir, "--platform", "linux/amd64", "--platform", "linux/arm64",
			"--build-arg", "BASE=" + base, "-t", tag, "--push"}, extra...)
		r := runArgs(t, args...)
		if !r.ok() {
			t.Fatalf("build %v: %v\nstderr:\n%s", extra, r.err, r.stderr)
		}
		return r
	}

	tag1 := reg.Ref("stamp", "one")
	r := build(tag1, "-q", "--iidfile", iid)
	digest, layers1 := topLayers(t, tag1)
	if r.stdout != digest+"\n" {
		t.Errorf("-q stdout = %q, want exactly the index digest %s and a newline", r.stdout, digest)
	}
	if b, err := os.ReadFile(iid); err != nil || string(b) != digest {
		t.Errorf("--iidfile holds %q (%v), want %s", b, err, digest)
	}
	if len(layers1) != 2 || layers1["linux/amd64"] == "" || layers1["linux/arm64"] == "" {
		t.Fatalf("repeated --platform: index has %v, want linux/amd64 and linux/arm64", layers1)
	}
	if strings.Contains(r.stderr, "#") {
		t.Errorf("-q drew progress on stderr:\n%s", r.stderr)
	}

	tag2 := reg.Ref("stamp", "two")
	build(tag2, "--pull", "--progress", "plain")
	_, layers2 := topLayers(t, tag2)
	for p, l := range layers1 {
		if layers2[p] != l {
			t.Errorf("%s: a cached rebuild (with --pull) changed the RUN layer %s → %s", p, l, layers2[p])
		}
	}

	tag3 := reg.Ref("stamp", "three")
	build(tag3, "--no-cache")
	_, layers3 := topLayers(t, tag3)
	for p, l := range layers1 {
		if layers3[p] == l {
			t.Errorf("%s: --no-cache kept the cached RUN layer %s", p, l)
		}
	}

	tag4 := reg.Ref("stamp", "four")
	build(tag4, "--no-cache-filter", "base")
	_, layers4 := topLayers(t, tag4)
	for p, l := range layers3 {
		if layers4[p] == l {
			t.Errorf("%s: --no-cache-filter base kept the cached RUN layer of stage base %s", p, l)
		}
	}
}

// TestBuildBuildxFlagsBadInput: each mistake is refused before any builder
// is contacted (BUILDKIT_HOST names a port nothing listens on), with an
// error naming the flag and what to do.
func TestBuildBuildxFlagsBadInput(t *testing.T) {
	t.Setenv(builder.EnvBuildkitHost, "tcp://127.0.0.1:1")
	ctxDir := stampDockerfile(t)
	missing := filepath.Join(t.TempDir(), "no-such-dir", "iid")
	base := []string{"build", ctxDir, "--platform", "linux/amd64", "-t", "127.0.0.1:5000/x:1"}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"iidfile in missing dir", []string{"--push", "--iidfile", missing}, []string{"--iidfile", "does not exist", "create the directory"}},
		{"iidfile without export", []string{"--iidfile", filepath.Join(t.TempDir(), "iid")}, []string{"--iidfile", "nothing is exported", "--push"}},
		{"unknown platform", []string{"--push", "--platform", "linux/bogus"}, []string{"--platform", "linux/bogus"}},
		{"quiet with progress", []string{"--push", "-q", "--progress", "plain"}, []string{"--quiet and --progress plain"}},
		{"quiet with stdout tarball", []string{"-q", "--output", "type=oci,dest=-"}, []string{"--quiet", "dest=PATH"}},
		{"empty no-cache-filter", []string{"--push", "--no-cache-filter", "a,,b"}, []string{"--no-cache-filter", "empty stage name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, cliRun{args: append(append([]string{}, base...), c.args...), stdin: ""})
			requireRefusedOffline(t, c.name, r, c.want...)
		})
	}
}
