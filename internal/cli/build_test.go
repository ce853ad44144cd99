package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	specs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// helloPlatforms are the platforms issue 4 requires the classic example to
// build for.
var helloPlatforms = []string{"linux/amd64", "linux/arm64", "linux/arm/v6", "linux/ppc64le", "linux/s390x"}

// TestBuildHelloPushE2E builds examples/hello for five platforms on a real
// buildkitd, pushes it under two tags to a real registry and reads every
// platform's /built-on back.
func TestBuildHelloPushE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ps := testenv.Platforms(t, helloPlatforms...)
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, ps...)

	tags := []string{reg.Ref("hello", "v1"), reg.Ref("hello", "latest")}
	meta := filepath.Join(t.TempDir(), "meta.json")
	start := time.Now()
	r := runArgs(t, "build", filepath.Join(testenv.RepoRoot(t), "examples", "hello"),
		"--platform", strings.Join(helloPlatforms, ","), "-t", tags[0], "-t", tags[1], "--push",
		"--build-arg", "BASE="+base, "--progress", "plain", "--metadata-file", meta)
	out := r.stdout
	t.Logf("build took %v\nstdout:\n%s", time.Since(start), out)
	if !r.ok() {
		t.Fatalf("build: %v\nstderr:\n%s", r.err, r.stderr)
	}

	// The summary: every platform, the index, both tags, and the time the
	// four emulated platforms spent in RUN.
	for _, s := range append([]string{"built 5 platform(s)", "index: sha256:", "pushed: " + tags[0] + ", " + tags[1], "RUN steps under emulation: "}, helloPlatforms...) {
		if !strings.Contains(out, s) {
			t.Errorf("summary lacks %q", s)
		}
	}

	var m Metadata
	b, err := os.ReadFile(meta)
	if err != nil || json.Unmarshal(b, &m) != nil || m.Digest == "" || len(m.Platforms) != len(ps) {
		t.Fatalf("metadata file: %v\n%s", err, b)
	}
	for _, tag := range tags {
		ref, err := name.ParseReference(tag)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Index(ref, remote.WithContext(t.Context()))
		if err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		d, _ := idx.Digest()
		if d.String() != m.Digest {
			t.Errorf("%s is %s, metadata says %s", tag, d, m.Digest)
		}
		checkHelloIndex(t, idx, ps, m)
	}
}

func checkHelloIndex(t *testing.T, idx v1.ImageIndex, ps []platform.Platform, m Metadata) {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	attested := map[string]bool{}
	for _, d := range im.Manifests {
		// A push attests provenance by default (buildx's default): one
		// attestation manifest per platform, not a platform itself.
		if subject, ok := registry.Attestation(d); ok {
			attested[subject] = true
			continue
		}
		if d.Platform == nil {
			t.Errorf("index entry %s has no platform", d.Digest)
			continue
		}
		p, ok := platform.FromOCI(specs.Platform{OS: d.Platform.OS, Architecture: d.Platform.Architecture, Variant: d.Platform.Variant})
		if !ok {
			t.Errorf("index entry %s has platform %v outside the table", d.Digest, d.Platform)
			continue
		}
		got = append(got, p.String())
	}
	want := make([]string, len(ps))
	for i, p := range ps {
		want[i] = p.String()
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("index platforms %v, want exactly %v", got, want)
	}
	if len(attested) != len(ps) {
		t.Errorf("%d platforms attested, want every one of the %d (provenance, on by default with --push)", len(attested), len(ps))
	}
	for _, p := range ps {
		img := testenv.ImageFor(t, idx, p)
		machine := strings.TrimSpace(string(testenv.ReadFile(t, img, "/built-on")))
		if !p.UnameOK(machine) {
			t.Errorf("%s: /built-on = %q, not a machine name of that platform", p, machine)
		}
		d, _ := img.Digest()
		if !slices.ContainsFunc(m.Platforms, func(pd build.PlatformDigest) bool { return pd.Platform == p.String() && pd.Digest == d.String() }) {
			t.Errorf("%s: digest %s not in metadata %v", p, d, m.Platforms)
		}
		t.Logf("%-14s /built-on=%s", p, machine)
	}
}

func TestBuildOCIOutputCLI(t *testing.T) {
	startCLIBuilder(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY hello.txt /hello.txt\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hi\n"), 0o644)
	dest := filepath.Join(t.TempDir(), "hello.tar")
	t.Setenv(envPlatforms, "linux/amd64 linux/arm64")
	r := runArgs(t, "build", dir, "--output", "type=oci,dest="+dest, "--progress", "quiet")
	if !r.ok() {
		t.Fatalf("build: %v\n%s", r.err, r.stderr)
	}
	out := r.stdout
	if fi, err := os.Stat(dest); err != nil || fi.Size() == 0 {
		t.Fatalf("oci tarball: %v", err)
	}
	for _, s := range []string{"built 2 platform(s)", "linux/amd64", "linux/arm64", "index: sha256:", "written: " + dest} {
		if !strings.Contains(out, s) {
			t.Errorf("summary lacks %q:\n%s", s, out)
		}
	}
	readOwnArchive(t, dest)
}

// readOwnArchive: inspect and verify read the tarball build writes, as a
// plain path and as oci-archive:, listing both platforms; test refuses it
// with advice.
func readOwnArchive(t *testing.T, dest string) {
	t.Helper()
	for _, args := range [][]string{{"inspect", dest}, {"inspect", "oci-archive:" + dest}, {"verify", dest}, {"verify", "oci-archive:" + dest}} {
		r := runArgs(t, args...)
		if !r.ok() {
			t.Errorf("%v: %v\n%s%s", args, r.err, r.stdout, r.stderr)
			continue
		}
		t.Logf("%v:\n%s", args, r.stdout)
		for _, p := range []string{"linux/amd64", "linux/arm64"} {
			if !strings.Contains(r.stdout, p) {
				t.Errorf("%v lists no %s:\n%s", args, p, r.stdout)
			}
		}
	}
	r := runArgs(t, "test", dest, "--platform", "linux/amd64")
	t.Logf("test: %v", r.err)
	if r.ok() || !strings.Contains(r.message(), "runs images from a registry") || !strings.Contains(r.stderr, "push it first") {
		t.Errorf("test of an archive: %v\n%s", r.err, r.stderr)
	}
}

func TestBuildBadInputCLI(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	noSock := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"missing dockerfile", []string{"build", t.TempDir(), "--platform", "linux/amd64"}, []string{"Dockerfile", "no such file", "-f"}},
		{"missing -f", []string{"build", dir, "-f", filepath.Join(dir, "Nope"), "--platform", "linux/amd64"}, []string{"Nope", "no such file"}},
		{"unknown platform", []string{"build", dir, "--platform", "linux/amd64,linux/vax"}, []string{"unknown platform", "vax"}},
		{"no platform", []string{"build", dir}, []string{"--platform", envPlatforms}},
		{"bad output", []string{"build", dir, "--platform", "linux/amd64", "--output", "type=docker"}, []string{"type=docker needs dest=PATH", "no docker engine"}},
		{"push without tag", []string{"build", dir, "--platform", "linux/amd64", "--push"}, []string{"tag"}},
		{"no builder", []string{"build", dir, "--platform", "linux/amd64"}, []string{"no builder reachable", "start buildkitd at BUILDKIT_HOST=", "or unset BUILDKIT_HOST"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(builder.EnvBuildkitHost, noSock)
			t.Setenv(envPlatforms, "")
			requireFailureSays(t, tc.name, runArgs(t, tc.args...), tc.want...)
		})
	}
}

func TestParseOutputAndBuildArgs(t *testing.T) {
	if o, err := outputOptions("type=oci,dest=/x/y.tar"); err != nil || o.OCIDest != "/x/y.tar" {
		t.Errorf("type=oci: %q %v", o.OCIDest, err)
	}
	for _, bad := range []string{"type=oci", "dest=/x", "type=image,dest=/x", "type=vhd,dest=/x"} {
		if _, err := outputOptions(bad); err == nil {
			t.Errorf("--output %q accepted", bad)
		}
	}
	t.Setenv("FROM_ENV", "e")
	got, err := parseBuildArgs([]string{"A=1", "B=x=y", "FROM_ENV", "UNSET_ARG_XYZ"})
	if err != nil || got["A"] != "1" || got["B"] != "x=y" || got["FROM_ENV"] != "e" || len(got) != 3 {
		t.Errorf("parseBuildArgs: %v %v", got, err)
	}
}
