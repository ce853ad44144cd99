package cli

// Golden files: every --json document multiarch prints (binfmt ls,
// doctor, inspect, verify, index create, test, ci) is a contract that
// scripts parse. Each TestGolden* runs one command in-process (runCLI) on
// inputs made deterministic, normalises only what still varies from run
// to run, and compares stdout byte for byte with
// testdata/golden/NAME.json.
//
// Workflow:
//
//	go test ./internal/cli -run Golden            compare
//	go test ./internal/cli -run Golden -update    rewrite the files from this run
//
// After -update, read `git diff internal/cli/testdata/golden`: each change
// there is a change of the JSON users parse (a key renamed, a status
// spelled differently, a field dropped or added) and goes into the commit
// that made it, said in its message. TestGoldenCatchesChanges proves the
// normaliser hides none of those.
//
// What is normalised, and why; nothing else is:
//   - "duration_seconds" (at any depth) → 0: wall time.
//   - the registry's host:port → REGISTRY: a free port per run.
//   - temporary directories → placeholders (QEMU_DIR, ...): t.TempDir.
//   - doctor: the kernel release → KERNEL: the host's.
//   - the builder's address → BUILDER: a socket in a temp dir.
//   - test and ci: the digests of their images → sha256:<what it is>.
//     test runs busybox fixtures, built from the Debian busybox-static
//     the cache holds (scripts/fetch-busybox.sh pins no version); ci's
//     images are BuildKit builds, stamped with the time they were built.
//     Each digest is replaced by value, looked up in the registry, never
//     read from the output, so a wrong or swapped digest still fails.
//
// Images of inspect, verify and index create are built here from fixed
// bytes (a 64-byte ELF header per platform, epoch timestamps): their
// digests and sizes are real and checked. test and ci need a real
// builder and QEMU, and assume an x86-64 host (whose cells run natively).

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from this run (go test ./internal/cli -run Golden -update)")

// normaliser maps what varies from run to run in a --json document to a
// fixed placeholder: duration_seconds to 0, and each of values (old, new
// pairs, the first that matches at a position wins: longest first).
type normaliser struct{ values []string }

var durationRE = regexp.MustCompile(`("duration_seconds": )[-+0-9.eE]+`)

func (n normaliser) apply(doc string) string {
	doc = durationRE.ReplaceAllString(doc, "${1}0")
	if len(n.values) == 0 {
		return doc
	}
	return strings.NewReplacer(n.values...).Replace(doc)
}

// checkGolden compares the normalised doc with testdata/golden/name.json,
// or rewrites that file under -update.
func checkGolden(t *testing.T, name, doc string, n normaliser) {
	t.Helper()
	got := n.apply(doc)
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/cli -run Golden -update writes it)", err)
	}
	if err := compareGolden(want, []byte(got)); err != nil {
		t.Errorf("%s: %v\n(if the change is intended: go test ./internal/cli -run Golden -update, and review the diff)\ngot:\n%s", path, err, got)
	}
}

// compareGolden is nil when got is want, byte for byte; else it names the
// first line that differs.
func compareGolden(want, got []byte) error {
	if bytes.Equal(want, got) {
		return nil
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return fmt.Errorf("line %d differs:\nwant %q\ngot  %q", i+1, w, g)
		}
	}
	return fmt.Errorf("differs") // unreachable: equal lines are equal bytes
}

// goldenJSON runs args, which print a --json document, expecting exit
// code code, and returns stdout.
func goldenJSON(t *testing.T, code int, args ...string) string {
	t.Helper()
	r := runArgs(t, args...)
	if r.code != code {
		t.Fatalf("exit %d (%v), want %d\nstdout:\n%s\nstderr:\n%s", r.code, r.err, code, r.stdout, r.stderr)
	}
	return r.stdout
}

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

// requireAMD64 skips tests whose golden output holds this host's
// architecture (the cells that run natively).
func requireAMD64(t *testing.T) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skipf("the golden file was written on x86-64; this host is %s", runtime.GOARCH)
	}
}

// goldenBinfmtDir is the binfmt package's fixture tree with every
// interpreter moved into a temp dir of this test: qemu-arm's a symlink to
// a static ELF, qemu-aarch64's an empty file, the others absent. So what
// binfmt ls says of them (exists, resolved, static) does not depend on
// what this host has installed.
func goldenBinfmtDir(t *testing.T) (dir, qemu string) {
	t.Helper()
	dir, qemu = fakeBinfmtDir(t), t.TempDir()
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
