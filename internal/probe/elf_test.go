package probe

import (
	"bytes"
	"debug/elf"
	"errors"
	"slices"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// targets returns the first table row of every QEMU target.
func targets() []platform.Platform {
	var out []platform.Platform
	for _, p := range platform.All() {
		if !slices.ContainsFunc(out, func(q platform.Platform) bool { return q.QEMUArch == p.QEMUArch }) {
			out = append(out, p)
		}
	}
	return out
}

func TestEveryTargetHasAProbe(t *testing.T) {
	want := map[string]bool{}
	for _, p := range targets() {
		want[p.QEMUArch] = true
		if _, ok := probes[p.QEMUArch]; !ok {
			t.Errorf("no probe code for QEMU target %s (%s)", p.QEMUArch, p)
		}
		if _, ok := argv0s[p.QEMUArch]; !ok {
			t.Errorf("no argv[0] probe code for QEMU target %s (%s)", p.QEMUArch, p)
		}
	}
	for arch := range probes {
		if !want[arch] {
			t.Errorf("probe code for %s, which is not in the platform table", arch)
		}
	}
}

func TestBinaryIsAMinimalStaticELF(t *testing.T) {
	wantFlags := map[string]uint32{
		"arm":         0x05000000, // EABI version 5
		"ppc64le":     2,          // ELFv2: entry is code, not a function descriptor
		"mips64el":    0x20000001, // MIPS III, noreorder; no N32 bit (n64)
		"loongarch64": 0x43,       // LP64D, object ABI v1
	}
	for _, p := range platform.All() {
		t.Run(p.String(), func(t *testing.T) {
			bin, err := Binary(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(bin) >= 1024 {
				t.Errorf("size %d, want < 1 KiB", len(bin))
			}
			f, err := elf.NewFile(bytes.NewReader(bin))
			if err != nil {
				t.Fatalf("debug/elf cannot parse the probe: %v", err)
			}
			if f.Class != p.Class || f.Data != p.Data || f.Machine != p.Machine {
				t.Errorf("class/data/machine = %v/%v/%v, want %v/%v/%v", f.Class, f.Data, f.Machine, p.Class, p.Data, p.Machine)
			}
			if f.Type != elf.ET_EXEC || f.OSABI != elf.ELFOSABI_NONE || f.Version != elf.EV_CURRENT {
				t.Errorf("type/osabi/version = %v/%v/%v", f.Type, f.OSABI, f.Version)
			}
			if got := headerFlags(bin, f); got != wantFlags[p.QEMUArch] {
				t.Errorf("e_flags = %#x, want %#x", got, wantFlags[p.QEMUArch])
			}
			var loads []*elf.Prog
			for _, prog := range f.Progs {
				switch prog.Type {
				case elf.PT_LOAD:
					loads = append(loads, prog)
				case elf.PT_INTERP, elf.PT_DYNAMIC:
					t.Errorf("has %v: the probe must be static", prog.Type)
				case elf.PT_GNU_STACK:
					if prog.Flags&elf.PF_X != 0 {
						t.Errorf("executable stack")
					}
				}
			}
			if len(loads) != 1 {
				t.Fatalf("%d PT_LOAD segments, want 1", len(loads))
			}
			seg := loads[0]
			if seg.Off != 0 || seg.Filesz != uint64(len(bin)) || seg.Memsz != seg.Filesz {
				t.Errorf("segment off/filesz/memsz = %d/%d/%d, want 0/%d/%d", seg.Off, seg.Filesz, seg.Memsz, len(bin), len(bin))
			}
			if seg.Flags != elf.PF_R|elf.PF_X {
				t.Errorf("segment flags %v, want R+X", seg.Flags)
			}
			if seg.Vaddr%seg.Align != 0 {
				t.Errorf("vaddr %#x not aligned to %#x", seg.Vaddr, seg.Align)
			}
			code := probes[p.QEMUArch].code
			entryOff := f.Entry - seg.Vaddr
			if f.Entry < seg.Vaddr || entryOff+uint64(len(code)) != seg.Filesz {
				t.Fatalf("entry %#x: code does not sit at the entry inside the segment [%#x,+%d)", f.Entry, seg.Vaddr, seg.Filesz)
			}
			if entryOff%4 != 0 {
				t.Errorf("entry offset %d not 4-byte aligned", entryOff)
			}
			if !bytes.Equal(bin[entryOff:], code) {
				t.Errorf("bytes at the entry differ from the probe code")
			}
		})
	}
}

// headerFlags reads e_flags, which debug/elf does not expose.
func headerFlags(bin []byte, f *elf.File) uint32 {
	if f.Class == elf.ELFCLASS32 {
		return f.ByteOrder.Uint32(bin[36:])
	}
	return f.ByteOrder.Uint32(bin[48:])
}

func TestBinaryReturnsACopy(t *testing.T) {
	p := testenv.Platforms(t, "linux/arm64")[0]
	a, _ := Binary(p)
	a[len(a)-1] ^= 0xff
	b, _ := Binary(p)
	if a[len(a)-1] == b[len(b)-1] {
		t.Fatal("Binary shares its bytes between calls")
	}
}

func TestBinaryUnknownTarget(t *testing.T) {
	p := testenv.Platforms(t, "linux/arm64")[0]
	p.QEMUArch = "sparc64"
	_, err := Binary(p)
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("err = %v, want errors.ErrUnsupported", err)
	}
}

func TestMachine(t *testing.T) {
	for in, want := range map[string]string{
		"aarch64\x00\x00\x00":   "aarch64",
		"i686\x004\x00\x00\x00": "i686", // QEMU leaves the host's "x86_64" tail after the NUL
		"armv6l":                "armv6l",
		"":                      "",
		"\x00x86_64":            "",
	} {
		if got := machine([]byte(in)); got != want {
			t.Errorf("machine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFits(t *testing.T) {
	ps := testenv.Platforms(t, "linux/arm/v5", "linux/arm/v6", "linux/arm/v7", "linux/arm64", "linux/386")
	v5, v6, v7, arm64, i386 := ps[0], ps[1], ps[2], ps[3], ps[4]
	for _, c := range []struct {
		p            platform.Platform
		cpu, machine string
		ok           bool
	}{
		{v6, "", "armv7l", true}, // QEMU's default CPU is v7+: fine without --strict-cpu
		{v6, "arm1176", "armv6l", true},
		{v6, "arm1176", "armv7l", false},
		{v5, "arm926", "armv5tel", true},
		{v5, "arm926", "armv5tejl", true},
		{v5, "arm926", "armv6l", false},
		{v7, "cortex-a8", "armv7l", true},
		{v7, "max", "armv7l", true}, // not the strict CPU: no expectation beyond the table
		{arm64, "cortex-a53", "aarch64", true},
		{arm64, "", "x86_64", false},
		{i386, "", "x86_64", true}, // native on an x86-64 kernel
		{i386, "pentium2", "x86_64", false},
		{i386, "pentium2", "i686", true},
	} {
		if _, ok := fits(c.p, c.cpu, c.machine); ok != c.ok {
			t.Errorf("fits(%s, cpu %q, %q) = %v, want %v", c.p, c.cpu, c.machine, ok, c.ok)
		}
	}
}

func TestKindNames(t *testing.T) {
	for k := Setup; k <= Canceled; k++ {
		if _, ok := kindNames[k]; !ok {
			t.Errorf("kind %d has no name", k)
		}
	}
	b, _ := InterpreterUnreachable.MarshalText()
	if string(b) != "interpreter-unreachable" {
		t.Errorf("MarshalText = %s", b)
	}
}
