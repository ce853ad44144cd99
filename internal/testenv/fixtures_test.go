package testenv_test

import (
	"bytes"
	"debug/elf"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func TestRealRegistryBusyboxIndex(t *testing.T) {
	t.Parallel()
	start := time.Now()
	reg := testenv.StartRegistry(t)
	t.Logf("registry started in %v", time.Since(start))

	ps := testenv.BusyboxPlatforms(t)
	ref := reg.Ref("base/busybox", "latest")
	start = time.Now()
	want := testenv.PushBusyboxIndex(t, ref, ps...)
	t.Logf("busybox index (%d platforms) built and pushed in %v", len(ps), time.Since(start))

	idx := remoteIndex(t, ref, remote.WithAuthFromKeychain(testenv.Keychain()))
	checkBusyboxIndex(t, idx, want, types.OCIImageIndex, types.OCIManifestSchema1, ps)
}

func TestDockerManifestList(t *testing.T) {
	t.Parallel()
	reg := testenv.StartInProcessRegistry(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/arm/v7")
	ref := reg.Ref("base/busybox", "docker")
	want := testenv.PushDockerManifestList(t, ref, ps...)

	idx := remoteIndex(t, ref)
	checkBusyboxIndex(t, idx, want, types.DockerManifestList, types.DockerManifestSchema2, ps)
	img := testenv.ImageFor(t, idx, ps[0])
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != types.DockerConfigJSON || m.Layers[0].MediaType != types.DockerLayer {
		t.Errorf("config %s, layer %s; want Docker media types", m.Config.MediaType, m.Layers[0].MediaType)
	}
}

func checkBusyboxIndex(t *testing.T, idx v1.ImageIndex, want v1.Hash, indexType, manifestType types.MediaType, ps []platform.Platform) {
	t.Helper()
	got, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("digest %s, pushed %s", got, want)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != indexType || m.SchemaVersion != 2 {
		t.Errorf("index mediaType %q schemaVersion %d, want %q 2", m.MediaType, m.SchemaVersion, indexType)
	}
	if len(m.Manifests) != len(ps) {
		t.Fatalf("%d manifests, want %d", len(m.Manifests), len(ps))
	}
	for i, p := range ps {
		d := m.Manifests[i]
		if d.ArtifactType != "" {
			t.Errorf("%s: descriptor has artifactType %q; image descriptors carry none", p, d.ArtifactType)
		}
		if d.MediaType != manifestType {
			t.Errorf("%s: descriptor mediaType %s, want %s", p, d.MediaType, manifestType)
		}
		if d.Platform == nil || d.Platform.OS != p.OS || d.Platform.Architecture != p.Arch || d.Platform.Variant != p.Variant {
			t.Errorf("entry %d: platform %+v, want %s", i, d.Platform, p)
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.OS != p.OS || cf.Architecture != p.Arch || cf.Variant != p.Variant {
			t.Errorf("%s: config says %s/%s/%s", p, cf.OS, cf.Architecture, cf.Variant)
		}
		if !slices.Equal(cf.Config.Cmd, []string{"sh"}) || !slices.Contains(cf.Config.Env, testenv.BusyboxPath) {
			t.Errorf("%s: config Cmd %q Env %q", p, cf.Config.Cmd, cf.Config.Env)
		}
		checkELF(t, testenv.ReadFile(t, img, "/bin/busybox"), p.Machine, p.Class, p.Data)
		if got := string(testenv.ReadFile(t, img, "/etc/passwd")); !strings.HasPrefix(got, "root:x:0:0:") {
			t.Errorf("%s: /etc/passwd %q", p, got)
		}
	}
}

func remoteIndex(t *testing.T, ref string, opts ...remote.Option) v1.ImageIndex {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r, append(opts, remote.WithContext(t.Context()))...)
	if err != nil {
		t.Fatalf("read %s: %v", ref, err)
	}
	return idx
}

func checkELF(t *testing.T, b []byte, machine elf.Machine, class elf.Class, data elf.Data) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Errorf("not ELF: %v", err)
		return
	}
	if f.Machine != machine || f.Class != class || f.Data != data {
		t.Errorf("ELF %v %v %v, want %v %v %v", f.Machine, f.Class, f.Data, machine, class, data)
	}
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		start func(testing.TB, ...testenv.RegistryOption) *testenv.Registry
	}{
		{"real", testenv.StartRegistry},
		{"in-process", testenv.StartInProcessRegistry},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg := tc.start(t, testenv.WithBasicAuth("alice", "s3cret"))
			if reg.Username != "alice" || reg.Password != "s3cret" {
				t.Fatalf("credentials %q/%q", reg.Username, reg.Password)
			}

			resp, err := http.Get(reg.URL + "/v2/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("GET /v2/ without credentials: %s, challenge %q; want 401 Basic", resp.Status, resp.Header.Get("WWW-Authenticate"))
			}

			img := testenv.BusyboxImage(t, testenv.Platforms(t, "linux/amd64")[0])
			ref, err := name.ParseReference(reg.Ref("private/busybox", "v1"))
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []authn.Authenticator{authn.Anonymous, &authn.Basic{Username: "alice", Password: "wrong"}} {
				err := remote.Write(ref, img, remote.WithAuth(bad), remote.WithContext(t.Context()))
				var terr *transport.Error
				if !errors.As(err, &terr) || terr.StatusCode != http.StatusUnauthorized {
					t.Errorf("push with %T: %v; want 401", bad, err)
				}
			}
			if err := remote.Write(ref, img, remote.WithAuth(reg.Authenticator()), remote.WithContext(t.Context())); err != nil {
				t.Fatalf("push with credentials: %v", err)
			}
			// Push helpers log in by themselves.
			testenv.PushBusyboxIndex(t, reg.Ref("private/busybox", "index"), testenv.Platforms(t, "linux/arm64")...)
		})
	}
}

func TestGoIndexELF(t *testing.T) {
	t.Parallel()
	ps := testenv.Platforms(t, "linux/amd64", "linux/386", "linux/arm64", "linux/arm/v6", "linux/arm/v7", "linux/ppc64le", "linux/s390x", "linux/riscv64")
	start := time.Now()
	idx := testenv.GoIndex(t, ps...)
	t.Logf("%d Go programs cross-compiled (or taken from cache) in %v", len(ps), time.Since(start))
	for _, p := range ps {
		img := testenv.ImageFor(t, idx, p)
		checkELF(t, testenv.ReadFile(t, img, testenv.AppPath), p.Machine, p.Class, p.Data)
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Architecture != p.Arch || cf.Variant != p.Variant || !slices.Equal(cf.Config.Entrypoint, []string{testenv.AppPath}) {
			t.Errorf("%s: config %s/%s entrypoint %q", p, cf.Architecture, cf.Variant, cf.Config.Entrypoint)
		}
	}
	reg := testenv.StartInProcessRegistry(t)
	testenv.PushGoIndex(t, reg.Ref("app", "latest"), ps...)
}

func TestBrokenFixtures(t *testing.T) {
	t.Parallel()
	amd64, arm64, v6, v7 := pf(t, "linux/amd64"), pf(t, "linux/arm64"), pf(t, "linux/arm/v6"), pf(t, "linux/arm/v7")
	reg := testenv.StartRegistry(t)

	t.Run("wrong arch", func(t *testing.T) {
		start := time.Now()
		testenv.PushWrongArchIndex(t, reg.Ref("broken/wrongarch", "latest"))
		t.Logf("built and pushed in %v", time.Since(start))
		idx := remoteIndex(t, reg.Ref("broken/wrongarch", "latest"))
		checkELF(t, testenv.ReadFile(t, testenv.ImageFor(t, idx, amd64), testenv.AppPath), elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB)
		img := testenv.ImageFor(t, idx, arm64)
		checkELF(t, testenv.ReadFile(t, img, testenv.AppPath), elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB)
		if cf, _ := img.ConfigFile(); cf.Architecture != "arm64" {
			t.Errorf("arm64 entry config says %s", cf.Architecture)
		}
	})

	t.Run("armv7 in v6", func(t *testing.T) {
		testenv.PushARMv7InV6Index(t, reg.Ref("broken/armv7inv6", "latest"))
		idx := remoteIndex(t, reg.Ref("broken/armv7inv6", "latest"))
		armhf := testenv.BusyboxBinary(t, "armhf")
		for _, p := range []platform.Platform{v6, v7} {
			b := testenv.ReadFile(t, testenv.ImageFor(t, idx, p), "/bin/busybox")
			checkELF(t, b, elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB)
			if !bytes.Equal(b, armhf) {
				t.Errorf("%s entry does not hold armhf busybox", p)
			}
		}
		checkELF(t, testenv.ReadFile(t, testenv.ImageFor(t, idx, amd64), "/bin/busybox"), elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB)
	})

	t.Run("mismatched config", func(t *testing.T) {
		testenv.PushMismatchedConfigIndex(t, reg.Ref("broken/config", "latest"))
		idx := remoteIndex(t, reg.Ref("broken/config", "latest"))
		img := testenv.ImageFor(t, idx, arm64)
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.OS != "linux" || cf.Architecture != "amd64" {
			t.Errorf("config says %s/%s, want the lie linux/amd64", cf.OS, cf.Architecture)
		}
		checkELF(t, testenv.ReadFile(t, img, "/bin/busybox"), elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB)
		if cf, _ := testenv.ImageFor(t, idx, amd64).ConfigFile(); cf.Architecture != "amd64" {
			t.Errorf("amd64 entry config says %s", cf.Architecture)
		}
	})

	t.Run("attestations", func(t *testing.T) {
		ps := []platform.Platform{amd64, arm64}
		want := testenv.PushIndexWithAttestations(t, reg.Ref("base/attested", "latest"), ps...)
		idx := remoteIndex(t, reg.Ref("base/attested", "latest"))
		if d, _ := idx.Digest(); d != want {
			t.Errorf("digest %s, pushed %s", d, want)
		}
		m, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Manifests) != 2*len(ps) {
			t.Fatalf("%d manifests, want %d", len(m.Manifests), 2*len(ps))
		}
		images := m.Manifests[:len(ps)]
		for i, d := range m.Manifests[len(ps):] {
			if d.Platform == nil || d.Platform.OS != "unknown" || d.Platform.Architecture != "unknown" {
				t.Errorf("attestation %d platform %+v", i, d.Platform)
			}
			if d.Annotations[testenv.AnnotationReferenceType] != testenv.AttestationManifestType ||
				d.Annotations[testenv.AnnotationReferenceDigest] != images[i].Digest.String() {
				t.Errorf("attestation %d annotations %v, subject %s", i, d.Annotations, images[i].Digest)
			}
			att, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			am, err := att.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if len(am.Layers) != 1 || am.Layers[0].MediaType != testenv.InTotoMediaType {
				t.Errorf("attestation %d layers %+v", i, am.Layers)
			}
		}
	})
}

func TestBusyboxIndexReproducible(t *testing.T) {
	t.Parallel()
	ps := testenv.Platforms(t, "linux/amd64", "linux/s390x")
	a, err := testenv.BusyboxIndex(t, ps...).Digest()
	if err != nil {
		t.Fatal(err)
	}
	b, err := testenv.BusyboxIndex(t, ps...).Digest()
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("two builds differ: %s %s", a, b)
	}
}

// TestBusyboxUnderQEMU runs fixture binaries by executing the static
// emulator directly, so no binfmt_misc registration is involved.
func TestBusyboxUnderQEMU(t *testing.T) {
	t.Parallel()
	dir := testenv.BusyboxDir(t)
	for _, tc := range []struct {
		name, qemu, cpu, binary string
		args                    []string
		want                    string // stdout; "" means the run must die of SIGILL
	}{
		{"arm64 busybox", "qemu-aarch64-static", "", filepath.Join(dir, "arm64", "busybox"), []string{"uname", "-m"}, "aarch64"},
		{"armel busybox on ARMv6", "qemu-arm-static", "arm1176", filepath.Join(dir, "armel", "busybox"), []string{"uname", "-m"}, "armv6l"},
		{"armhf busybox on ARMv7", "qemu-arm-static", "", filepath.Join(dir, "armhf", "busybox"), []string{"uname", "-m"}, "armv7l"},
		{"armhf busybox on ARMv6 dies", "qemu-arm-static", "arm1176", filepath.Join(dir, "armhf", "busybox"), []string{"uname", "-m"}, ""},
		{"s390x busybox", "qemu-s390x-static", "", filepath.Join(dir, "s390x", "busybox"), []string{"echo", "big-endian ok"}, "big-endian ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qemu, err := exec.LookPath(tc.qemu)
			testenv.Require(t, err == nil, tc.qemu+" not found: apt-get install qemu-user-static")
			args := []string{tc.binary}
			if tc.cpu != "" {
				args = append([]string{"-cpu", tc.cpu}, args...)
			}
			out, err := exec.CommandContext(t.Context(), qemu, append(args, tc.args...)...).Output()
			got := strings.TrimSpace(string(out))
			if tc.want == "" {
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGILL {
					t.Errorf("printed %q (%v); want death by SIGILL (ARMv7 code on an ARMv6 CPU)", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("printed %q (%v), want %q", got, err, tc.want)
			}
		})
	}
	t.Run("go arm64 program", func(t *testing.T) {
		qemu, err := exec.LookPath("qemu-aarch64-static")
		testenv.Require(t, err == nil, "qemu-aarch64-static not found: apt-get install qemu-user-static")
		bin := filepath.Join(t.TempDir(), "hello")
		if err := writeExec(bin, testenv.GoBinary(t, pf(t, "linux/arm64"))); err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(t.Context(), qemu, bin).Output()
		if got := strings.TrimSpace(string(out)); err != nil || got != "hello from linux/arm64" {
			t.Errorf("printed %q (%v)", got, err)
		}
	})
}

func pf(t *testing.T, s string) platform.Platform {
	t.Helper()
	return testenv.Platforms(t, s)[0]
}

func writeExec(path string, b []byte) error { return os.WriteFile(path, b, 0o755) }
