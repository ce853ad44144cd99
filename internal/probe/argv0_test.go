package probe

import (
	"context"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestArgv0ProbeUnderQEMU runs every argv[0] probe directly under its
// emulator, with QEMU's -0 option (what a P-honouring emulator does with
// the argv[0] the kernel passes) and without it: the code itself must
// print the argv[0] it was given, whatever the architecture.
func TestArgv0ProbeUnderQEMU(t *testing.T) {
	for _, arch := range slices.Sorted(func(yield func(string) bool) {
		for k := range argv0s {
			if !yield(k) {
				return
			}
		}
	}) {
		t.Run(arch, func(t *testing.T) {
			p, ok := platform.ByQEMUArch(arch)
			if !ok {
				t.Fatalf("no platform for %s", arch)
			}
			bin, err := argv0Binary(p, false)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "probe")
			if err := os.WriteFile(path, bin, 0o755); err != nil {
				t.Fatal(err)
			}
			emu := "/usr/bin/" + p.EmulatorBinary()
			if slices.Contains(platform.NativeArches(), p.QEMUArch) {
				emu = ""
			}
			for _, tc := range []struct{ argv0, want string }{{"sh", "sh"}, {"", path}} {
				var cmd *exec.Cmd
				switch {
				case emu == "":
					cmd = exec.Command(path)
					if tc.argv0 != "" {
						cmd.Args[0] = tc.argv0
					}
				case tc.argv0 != "":
					cmd = exec.Command(emu, "-0", tc.argv0, path)
				default:
					cmd = exec.Command(emu, path)
				}
				if emu != "" {
					if _, err := os.Stat(emu); err != nil {
						testenv.Require(t, false, emu+" (apt-get install qemu-user-static)")
					}
				}
				out, err := cmd.Output()
				if err != nil || string(out) != tc.want {
					t.Errorf("%v: printed %q (%v), want %q", cmd.Args, out, err, tc.want)
				}
			}
		})
	}
}

// TestRunArgv0ThroughHandlers runs the argv[0] probe through the host's
// handlers: Debian's (POF, with the -binfmt-P interpreter name) keep
// argv[0] on every foreign platform; the same emulator registered CF
// (the plain emulator: Debian's -binfmt-P name refuses to run without P)
// shows the program its path, which is what breaks busybox.
func TestRunArgv0ThroughHandlers(t *testing.T) {
	requireProbeHost(t)
	for _, p := range foreignHandled(t) {
		e, err := hostBinfmt.Get(context.Background(), p.BinfmtName())
		if err != nil {
			t.Fatal(err)
		}
		res, err := RunArgv0(context.Background(), p, Argv0Options{})
		want := e.Flags.Has(binfmt.FlagPreserveArgv0)
		if err != nil || res.Preserved != want || !want && res.Argv0 != "/probe" {
			t.Errorf("%s (flags %s): %+v, %v; want preserved %v", p, e.Flags, res, err, want)
		}
	}
	p := testenv.Platforms(t, "linux/s390x")[0]
	r := removeHandler(t, p).Registration()
	r.Interpreter, r.Flags = "/usr/bin/"+p.EmulatorBinary(), binfmt.DefaultFlags
	if err := hostBinfmt.Register(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	res, err := RunArgv0(context.Background(), p, Argv0Options{})
	if err != nil || res.Preserved || res.Argv0 != "/probe" {
		t.Fatalf("CF handler: %+v, %v; want argv[0] /probe", res, err)
	}
}

// TestRunArgv0Tagged: the tagged probe is run by an entry registered with
// TaggedMagic and by no ordinary handler.
func TestRunArgv0Tagged(t *testing.T) {
	requireProbeHost(t)
	p := testenv.Platforms(t, "linux/riscv64")[0]
	requireHandler(t, p)
	ctx := context.Background()
	if _, err := RunArgv0(ctx, p, Argv0Options{Tagged: true}); kindOf(err) != NoHandler {
		t.Fatalf("tagged probe without a tagged entry: %v, want NoHandler", err)
	}
	magic, mask, err := TaggedMagic(p)
	if err != nil {
		t.Fatal(err)
	}
	r := binfmt.Registration{Name: "multiarch-test-tagged", Magic: magic, Mask: mask,
		Interpreter: "/usr/bin/" + p.EmulatorBinary(), Flags: binfmt.FlagPreserveArgv0 | binfmt.DefaultFlags}
	if err := hostBinfmt.Register(ctx, r); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := hostBinfmt.Unregister(ctx, r.Name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	res, err := RunArgv0(ctx, p, Argv0Options{Tagged: true})
	if err != nil || !res.Preserved {
		t.Fatalf("tagged probe through a POCF tagged entry: %+v, %v", res, err)
	}
}

func TestTaggedMagicMatchesOnlyTheTaggedProbe(t *testing.T) {
	for _, p := range targets() {
		magic, mask, err := TaggedMagic(p)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := argv0Binary(p, false)
		if err != nil {
			t.Fatal(err)
		}
		tagged, _ := argv0Binary(p, true)
		matches := func(bin, magic, mask []byte) bool {
			for i := range magic {
				if (bin[i]^magic[i])&mask[i] != 0 { // as the kernel compares
					return false
				}
			}
			return true
		}
		if !matches(tagged, magic, mask) || matches(plain, magic, mask) {
			t.Errorf("%s: tagged magic matches tagged %v, plain %v", p, matches(tagged, magic, mask), matches(plain, magic, mask))
		}
		if matches(tagged, p.Magic, p.Mask) || !matches(plain, p.Magic, p.Mask) {
			t.Errorf("%s: the platform's handler matches tagged %v, plain %v", p, matches(tagged, p.Magic, p.Mask), matches(plain, p.Magic, p.Mask))
		}
	}
}
