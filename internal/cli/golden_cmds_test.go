package cli

// The golden-file case of each --json document; golden_test.go says how
// they are checked, normalised and refreshed (-update).

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sys/unix"

	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// tinyELF is the 64-byte header of a little-endian ELF64 executable for
// machine: no program headers, so a static one. Enough for verify and
// binfmt to classify, and the same bytes on every machine.
func tinyELF(machine elf.Machine) []byte {
	h := make([]byte, 64)
	copy(h, []byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)})
	le := binary.LittleEndian
	le.PutUint16(h[16:], uint16(elf.ET_EXEC))
	le.PutUint16(h[18:], uint16(machine))
	le.PutUint32(h[20:], uint32(elf.EV_CURRENT))
	le.PutUint16(h[52:], 64) // e_ehsize
	le.PutUint16(h[54:], 56) // e_phentsize
	le.PutUint16(h[58:], 64) // e_shentsize
	return h
}

// tinyEntry is a scratch image for platform holding tinyELF(machine) at
// testenv.AppPath.
func tinyEntry(t *testing.T, platform string, machine elf.Machine) testenv.Entry {
	t.Helper()
	return testenv.GoEntry(testenv.Platforms(t, platform)[0], tinyELF(machine))
}

// requireAMD64 is for tests whose golden output holds this host's
// architecture (the cells that run natively): their files were written on
// x86-64, as CI's machine is. Elsewhere they skip; under CI=true they fail,
// so a CI machine of another architecture cannot drop them unnoticed.
func requireAMD64(t *testing.T) {
	t.Helper()
	testenv.Require(t, runtime.GOARCH == "amd64", "the golden file was written on x86-64; this host is "+runtime.GOARCH)
}

// goldenBinfmtDir is the binfmt package's fixture tree with every
// interpreter moved into a temp dir of this test: qemu-arm's a symlink to
// a static ELF, qemu-aarch64's an empty file, the others absent. So what
// binfmt ls says of them (exists, resolved, static) does not depend on
// what this host has installed.
func goldenBinfmtDir(t *testing.T) (dir, qemu string) {
	t.Helper()
	dir, qemu = testenv.FixtureBinfmtDir(t), t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		moved := regexp.MustCompile(`(?m)^interpreter (.*/)?`).ReplaceAll(b, []byte("interpreter "+qemu+"/"))
		if err := os.WriteFile(path, moved, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string][]byte{"qemu-arm-static": tinyELF(elf.EM_ARM), "aarch64-binfmt-P": nil}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(qemu, name), body, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("qemu-arm-static", filepath.Join(qemu, "arm-binfmt-P")); err != nil {
		t.Fatal(err)
	}
	return dir, qemu
}

func TestGoldenBinfmtLs(t *testing.T) {
	dir, qemu := goldenBinfmtDir(t)
	out := goldenJSON(t, 0, "binfmt", "ls", "--json", "--binfmt-dir", dir)
	checkGolden(t, "binfmt-ls", out, normaliser{[]string{qemu, "QEMU_DIR"}})
}

// kernelRelease is this host's, as doctor reads it (uname).
func kernelRelease(t *testing.T) string {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	return unix.ByteSliceToString(u.Release[:])
}

// TestGoldenDoctor: doctor on a host without QEMU (noQEMUHost: an empty
// binfmt_misc, no emulator, no runc, a buildkitd that is a plain file, no
// daemon), for one foreign platform.
func TestGoldenDoctor(t *testing.T) {
	requireAMD64(t)
	dir, qemu := noQEMUHost(t)
	out := goldenJSON(t, 1, "doctor", "--json", "--binfmt-dir", dir, "--qemu-dir", qemu, "--platform", "linux/arm64")
	checkGolden(t, "doctor", out, normaliser{[]string{dir, "BINFMT_DIR", qemu, "QEMU_DIR",
		os.Getenv(embedded.EnvSocket), "SOCKET", "kernel " + kernelRelease(t) + " ", "kernel KERNEL "}})
}

// tinyIndex is a scratch index of linux/amd64 and linux/arm64 whose arm64
// entry holds arm64's ELF, or, if wrong, x86-64's.
func tinyIndex(t *testing.T, wrong bool) v1.ImageIndex {
	t.Helper()
	arm64 := elf.EM_AARCH64
	if wrong {
		arm64 = elf.EM_X86_64
	}
	return testenv.ScratchIndex(t, tinyEntry(t, "linux/amd64", elf.EM_X86_64), tinyEntry(t, "linux/arm64", arm64))
}

func TestGoldenInspect(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t)
	ref := reg.Ref("app/tiny", "1")
	testenv.PushIndex(t, ref, tinyIndex(t, false))
	out := goldenJSON(t, 0, "inspect", "--json", ref)
	checkGolden(t, "inspect", out, normaliser{[]string{reg.Host, "REGISTRY"}})
}

func TestGoldenVerify(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t)
	good, wrong := reg.Ref("app/tiny", "1"), reg.Ref("broken/wrongarch", "1")
	testenv.PushIndex(t, good, tinyIndex(t, false))
	testenv.PushIndex(t, wrong, tinyIndex(t, true))
	out := goldenJSON(t, 1, "verify", "--json", good, wrong)
	checkGolden(t, "verify", out, normaliser{[]string{reg.Host, "REGISTRY"}})
}

func TestGoldenIndexCreate(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t)
	var parts []string
	for _, e := range []testenv.Entry{tinyEntry(t, "linux/amd64", elf.EM_X86_64), tinyEntry(t, "linux/arm/v7", elf.EM_ARM)} {
		ref := reg.Ref("parts/"+e.Platform.Arch, "1")
		testenv.PushImage(t, ref, testenv.Image(t, testenv.OCI, e.Platform, e.Files, e.Config))
		parts = append(parts, ref)
	}
	out := goldenJSON(t, 0, append([]string{"index", "create", "--json", "-t", reg.Ref("app/all", "1"), "-t", reg.Ref("app/all", "latest"),
		"--annotation", "org.opencontainers.image.source=https://example.com/app"}, parts...)...)
	checkGolden(t, "index-create", out, normaliser{[]string{reg.Host, "REGISTRY"}})
}

// imageDigests are normaliser pairs for the index at ref and each of its
// entries, as the registry has them: digest → sha256:<what PLATFORM>.
func imageDigests(t *testing.T, ref, what string) []string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	pairs := []string{d.String(), "sha256:<" + what + " index>"}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		p := "unknown"
		if m.Platform != nil {
			p = m.Platform.OS + "/" + m.Platform.Architecture
			if m.Platform.Variant != "" {
				p += "/" + m.Platform.Variant
			}
		}
		pairs = append(pairs, m.Digest.String(), "sha256:<"+what+" "+p+">")
	}
	return pairs
}

// TestGoldenTest: `multiarch test` of a busybox index on this host's
// embedded-style builder: linux/amd64 runs natively, linux/arm64 under
// QEMU.
func TestGoldenTest(t *testing.T) {
	requireAMD64(t)
	testenv.LockHostBinfmt(t)
	addr := startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ref := reg.Ref("busybox", "2")
	testenv.PushBusyboxIndex(t, ref, testenv.Platforms(t, "linux/amd64", "linux/arm64")...)
	out := goldenJSON(t, 0, "test", "--json", ref, "--", "sh", "-c", "echo hi")
	pairs := append(imageDigests(t, ref, "busybox"), addr, "BUILDER", reg.Host, "REGISTRY")
	checkGolden(t, "test", out, normaliser{pairs})
}

// TestGoldenCI: `multiarch ci` of examples/hello for linux/amd64 and
// linux/arm64, tested before and after the push.
func TestGoldenCI(t *testing.T) {
	requireAMD64(t)
	testenv.LockHostBinfmt(t)
	addr := startCLIBuilder(t)
	dockerConfigDir(t, "")
	ciEnv(t)
	reg := testenv.StartRegistry(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, ps...)
	tag := reg.Ref("hello", "1")
	hello := filepath.Join(testenv.RepoRoot(t), "examples", "hello")
	out := goldenJSON(t, 0, "ci", "--json", hello, "--platform", "linux/amd64,linux/arm64", "-t", tag, "--base", base, "--test", "test -s /built-on")
	pairs := append(imageDigests(t, tag, "hello"), imageDigests(t, base, "busybox")...)
	pairs = append(pairs, addr, "BUILDER", reg.Host, "REGISTRY", hello, "HELLO")
	checkGolden(t, "ci", out, normaliser{pairs})
}
