package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestVerifyCLI runs `multiarch verify` against the real distribution
// registry holding a good busybox index and each deliberately broken one.
func TestVerifyCLI(t *testing.T) {
	reg := testenv.StartRegistry(t)
	good := reg.Ref("good/busybox", "latest")
	testenv.PushBusyboxIndex(t, good)
	wrong := reg.Ref("broken/wrongarch", "latest")
	testenv.PushWrongArchIndex(t, wrong)
	v7inv6 := reg.Ref("broken/armv7inv6", "latest")
	testenv.PushARMv7InV6Index(t, v7inv6)
	mismatch := reg.Ref("broken/mismatch", "latest")
	testenv.PushMismatchedConfigIndex(t, mismatch)
	attest := reg.Ref("good/attested", "latest")
	testenv.PushIndexWithAttestations(t, attest)
	docker := reg.Ref("good/dockerlist", "latest")
	testenv.PushDockerManifestList(t, docker)
	single := reg.Ref("good/single", "latest")
	testenv.PushImage(t, single, testenv.BusyboxImage(t, testenv.Platforms(t, "linux/amd64")[0]))

	tests := []struct {
		name    string
		args    []string
		wantErr bool
		want    []string // substrings of stdout
	}{
		{name: "good index", args: []string{good}, want: []string{"verified: every platform holds its own architecture", "linux/arm/v6", "linux/s390x"}},
		{name: "good with expected set", args: []string{good, "--platform", "linux/amd64,arm64,armel,armhf,ppc64el,s390x,386"}, want: []string{"verified"}},
		{name: "missing platform", args: []string{good, "--platform", "linux/amd64,linux/riscv64"}, wantErr: true, want: []string{"linux/riscv64"}},
		{name: "arm64 holding x86-64", args: []string{wrong}, wantErr: true, want: []string{"linux/arm64: /app/server is ELF x86-64"}},
		{name: "armv7 code in arm/v6", args: []string{v7inv6}, wantErr: true, want: []string{"linux/arm/v6: /bin/busybox", "ARMv7"}},
		{name: "config disagrees", args: []string{mismatch}, wantErr: true, want: []string{`linux/arm64: image sha256:`, `descriptor says architecture "arm64", config says "amd64"`}},
		{name: "attestations are not platforms", args: []string{attest}, want: []string{"attestations:", "verified"}},
		{name: "docker manifest list", args: []string{docker, "--platform", "linux/amd64,arm64,armel,armhf,ppc64el,s390x,386"}, want: []string{"verified: every platform holds its own architecture", "linux/arm/v6"}},
		{name: "single image", args: []string{single, "--platform", "linux/amd64"}, want: []string{"verified: every platform holds its own architecture", "linux/amd64"}},
		{name: "single image, expected set", args: []string{single, "--platform", "linux/amd64,linux/arm64"}, wantErr: true, want: []string{"linux/arm64: expected"}},
		{name: "two refs share layers", args: []string{good, attest}, want: []string{good, attest}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runArgs(t, append([]string{"verify"}, tt.args...)...)
			out := r.stdout
			if tt.wantErr && !r.failed() || !tt.wantErr && !r.ok() {
				t.Fatalf("exit %d, err = %v, wantErr %v\n%s", r.code, r.err, tt.wantErr, out)
			}
			if tt.wantErr && !errors.Is(r.err, ErrChecksFailed) {
				t.Errorf("a violation must be ErrChecksFailed (exit 1, report printed): %v", r.err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestVerifyCLIJSON(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t)
	wrong := reg.Ref("broken/wrongarch", "latest")
	testenv.PushWrongArchIndex(t, wrong)
	type report struct {
		Reference  string                      `json:"reference"`
		Digest     string                      `json:"digest"`
		Entries    []struct{ Platform string } `json:"entries"`
		Violations []struct {
			Platform, Path, Kind, Message string
		} `json:"violations"`
	}
	reports, r := runJSON[[]report](t, cliRun{args: []string{"verify", "--json", wrong}})
	if !r.failed() || !errors.Is(r.err, ErrChecksFailed) {
		t.Fatalf("exit %d, err = %v", r.code, r.err)
	}
	doc, out := *reports, r.stdout
	if len(doc) != 1 || doc[0].Reference != wrong || !strings.HasPrefix(doc[0].Digest, "sha256:") || len(doc[0].Entries) < 2 {
		t.Fatalf("bad report: %s", out)
	}
	found := false
	for _, v := range doc[0].Violations {
		if v.Platform == "linux/arm64" && v.Path == "/app/server" && v.Kind == "machine" {
			found = true
		}
	}
	if !found {
		t.Errorf("no machine violation for linux/arm64 /app/server: %+v", doc[0].Violations)
	}
}

func TestVerifyCLIBadInput(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{args: []string{"verify", reg.Ref("nothing", "here")}, want: "not found"},
		{args: []string{"verify", "UPPER/Case:bad tag"}, want: "verify UPPER/Case:bad tag"},
		{args: []string{"verify", reg.Ref("x", "y"), "--platform", "sparc"}, want: "unknown platform"},
		{args: []string{"verify"}, want: "requires at least 1 arg"},
	} {
		r := runArgs(t, tt.args...)
		if !r.failed() || !strings.Contains(r.message(), tt.want) || errors.Is(r.err, ErrChecksFailed) {
			t.Errorf("%v: exit %d, err = %v, want a clear error containing %q", tt.args, r.code, r.err, tt.want)
		}
	}
}

// An entry that could not be read to its end, or a single image whose
// config names no architecture multiarch can check, is an error row and a
// non-zero exit, never "verified".
func TestVerifyCLINotReadIsNotVerified(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t)
	sparc := reg.Ref("odd/sparc", "latest")
	pushPlatformImage(t, sparc, "linux", "sparc64", "")
	empty := reg.Ref("odd/empty", "latest")
	pushPlatformImage(t, empty, "", "", "")
	amd := testenv.Platforms(t, "linux/amd64")[0]
	good := testenv.Image(t, testenv.OCI, amd, []testenv.File{{Path: "/app/server", Body: testenv.GoBinary(t, amd)}}, v1.Config{})
	blob := gzipTruncated(t)
	cut, err := mutate.AppendLayers(good, static.NewLayer(blob, types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	truncated := reg.Ref("odd/truncated", "latest")
	testenv.PushImage(t, truncated, cut)
	for _, tt := range []struct {
		ref, want string
	}{
		{sparc, "names linux/sparc64, a platform not in multiarch's table"},
		{empty, "names no architecture"},
		{truncated, "unexpected EOF"},
	} {
		r := runArgs(t, "verify", tt.ref)
		if !r.failed() || strings.Contains(r.stdout, "verified: every") || !strings.Contains(r.stdout, "ERROR") ||
			!strings.Contains(r.stdout, "NOT verified") || !strings.Contains(r.message(), tt.want) {
			t.Errorf("verify %s: exit %d, err = %v\n%s", tt.ref, r.code, r.err, r.stdout)
		}
		if testing.Verbose() {
			t.Logf("verify %s: exit %d\n%s%s", tt.ref, r.code, r.stdout, r.message())
		}
		type report struct {
			OK      bool `json:"ok"`
			Entries []struct{ Status, Error string }
		}
		doc, r := runJSON[[]report](t, cliRun{args: []string{"verify", "--json", tt.ref}})
		if !r.failed() || len(*doc) != 1 || (*doc)[0].OK || len((*doc)[0].Entries) != 1 ||
			(*doc)[0].Entries[0].Status != "error" || !strings.Contains((*doc)[0].Entries[0].Error, tt.want) {
			t.Errorf("verify --json %s: exit %d\n%s", tt.ref, r.code, r.stdout)
		}
	}
}

// gzipTruncated is the first half of a gzip layer: a blob whose digest is
// right (so the registry takes it) and whose stream ends early.
func gzipTruncated(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	body := make([]byte, 1<<16)
	for i := range body {
		body[i] = byte(i * 7919 >> 3)
	}
	if err := tw.WriteHeader(&tar.Header{Name: "data", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	zw.Close()
	return buf.Bytes()[:buf.Len()/2]
}
