package verify

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func classifyBytes(t testing.TB, b []byte) ELFInfo {
	t.Helper()
	info, err := Classify(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// Go-built binaries of every platform classify as their own row, and
// 32-bit ARM ones have no attributes: level unknown, a note only.
func TestClassifyGoBinaries(t *testing.T) {
	for _, name := range []string{"linux/amd64", "linux/386", "linux/arm64", "linux/arm/v5", "linux/arm/v6",
		"linux/arm/v7", "linux/ppc64le", "linux/s390x", "linux/riscv64", "linux/mips64le", "linux/loong64"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := mustPlatform(t, name)
			info := classifyBytes(t, testenv.GoBinary(t, p))
			if info.Machine != p.Machine || info.Class != p.Class || info.Data != p.Data {
				t.Fatalf("got %s %s %s, want %s %s %s", info.Machine, info.Class, info.Data, p.Machine, p.Class, p.Data)
			}
			if info.Interpreter != "" || info.ARM.Present || len(info.Warnings) > 0 {
				t.Errorf("unexpected: %+v", info)
			}
			for _, pr := range Check(info, p) {
				if pr.Violation() {
					t.Errorf("violation on its own platform: %+v", pr)
				}
			}
		})
	}
}

// The real Debian busybox-static files: armel is ARMv5TE, armhf ARMv7.
func TestClassifyDebianBusybox(t *testing.T) {
	for deb, want := range map[string]string{
		"armel": "ELF 32-bit ARM (ARMv5TE)", "armhf": "ELF 32-bit ARM (ARMv7)", "arm64": "ELF AArch64",
		"amd64": "ELF x86-64", "i386": "ELF 32-bit x86", "ppc64el": "ELF 64-bit PowerPC LE", "s390x": "ELF 64-bit IBM S/390",
	} {
		t.Run(deb, func(t *testing.T) {
			info := classifyBytes(t, testenv.BusyboxBinary(t, deb))
			if got := info.String(); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
			if deb == "armhf" && info.ARM.Profile != 'A' {
				t.Errorf("profile %q, want 'A'", info.ARM.Profile)
			}
		})
	}
}

func TestClassifySynthetic(t *testing.T) {
	info := classifyBytes(t, buildELF(elfSpec{class: elf.ELFCLASS64, data: elf.ELFDATA2LSB, machine: elf.EM_X86_64,
		interp: "/lib64/ld-linux-x86-64.so.2", x86ISA: uint32(X86ISABaseline | X86ISAV2 | X86ISAV3)}))
	if info.Interpreter != "/lib64/ld-linux-x86-64.so.2" || info.X86ISANeeded.String() != "x86-64-v3" {
		t.Errorf("got %+v", info)
	}
	if got := info.String(); got != "ELF x86-64 (x86-64-v3)" {
		t.Errorf("String() = %q", got)
	}
	be := classifyBytes(t, buildELF(elfSpec{class: elf.ELFCLASS32, data: elf.ELFDATA2MSB, machine: elf.EM_ARM,
		armAttrs: armAttrs(binary.BigEndian, ARMArchV6KZ, 'A')}))
	if !be.ARM.Present || be.ARM.CPUArch != ARMArchV6KZ || be.ARM.CPUName != "7-A" {
		t.Errorf("big-endian attributes: %+v", be.ARM)
	}
	if got := be.String(); got != "ELF 32-bit ARM big-endian (ARMv6KZ)" {
		t.Errorf("String() = %q", got)
	}
}

func TestClassifyRejects(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty": nil, "text": []byte("#!/bin/sh\n"), "magic only": []byte("\x7fELF"),
		"bad class": []byte("\x7fELF\x03\x01\x01" + strings.Repeat("\x00", 60)),
	} {
		if _, err := Classify(bytes.NewReader(b), int64(len(b))); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Classify(bytes.NewReader([]byte("MZ\x90")), 3); !errors.Is(err, ErrNotELF) {
		t.Errorf("PE file: %v, want ErrNotELF", err)
	}
	// Program headers pointing past the end: header facts, plus a warning.
	b := buildELF(elfSpec{class: elf.ELFCLASS64, data: elf.ELFDATA2LSB, machine: elf.EM_AARCH64, interp: "/lib/ld-linux-aarch64.so.1"})
	info := classifyBytes(t, b[:70])
	if info.Machine != elf.EM_AARCH64 || len(info.Warnings) == 0 {
		t.Errorf("truncated: %+v", info)
	}
}

func TestParseARMAttributes(t *testing.T) {
	good := armAttrs(binary.LittleEndian, ARMArchV5TE, 'A')
	a, err := ParseARMAttributes(good, binary.LittleEndian)
	if err != nil || !a.Present || a.CPUArch != ARMArchV5TE || a.Profile != 'A' {
		t.Fatalf("got %+v, %v", a, err)
	}
	for i := 1; i < len(good); i++ {
		// Every truncation is either an error or a partial result, never a panic.
		ParseARMAttributes(good[:i], binary.LittleEndian)
	}
	if _, err := ParseARMAttributes([]byte("B"), binary.LittleEndian); err == nil {
		t.Error("unknown version accepted")
	}
	if a, err := ParseARMAttributes(nil, binary.LittleEndian); err != nil || a.Present {
		t.Errorf("empty: %+v %v", a, err)
	}
}

func TestULEB128(t *testing.T) {
	for _, c := range []struct {
		in []byte
		v  uint64
		n  int
	}{
		{[]byte{0x06}, 6, 1}, {[]byte{0x80, 0x01}, 128, 2}, {[]byte{0xe5, 0x8e, 0x26}, 624485, 3},
		{[]byte{0x80}, 0, 0}, {bytes.Repeat([]byte{0xff}, 11), 0, 0},
	} {
		if v, n := uleb128(c.in); v != c.v || n != c.n {
			t.Errorf("uleb128(%x) = %d, %d; want %d, %d", c.in, v, n, c.v, c.n)
		}
	}
}

func TestCheck(t *testing.T) {
	x86 := ELFInfo{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Machine: elf.EM_X86_64}
	a64 := ELFInfo{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Machine: elf.EM_AARCH64}
	arm := func(a ARMArch) ELFInfo {
		return ELFInfo{Class: elf.ELFCLASS32, Data: elf.ELFDATA2LSB, Machine: elf.EM_ARM,
			ARM: ARMAttributes{Present: true, CPUArch: a, Profile: 'A'}}
	}
	withInterp := func(i ELFInfo, p string) ELFInfo { i.Interpreter = p; return i }
	withISA := func(i ELFInfo, x X86ISA) ELFInfo { i.X86ISANeeded = x; return i }
	armUnknown := ELFInfo{Class: elf.ELFCLASS32, Data: elf.ELFDATA2LSB, Machine: elf.EM_ARM}
	for _, c := range []struct {
		name, plat string
		info       ELFInfo
		kind       Kind     // "" : no problem at all
		sev        Severity // of the one problem
		msg        string   // substring of the message
	}{
		{"x86-64 in arm64", "linux/arm64", x86, KindMachine, SeverityViolation, "is ELF x86-64"},
		{"arm64 in arm64", "linux/arm64", a64, "", "", ""},
		{"arm64 in arm/v7", "linux/arm/v7", a64, KindMachine, SeverityViolation, "is ELF AArch64"},
		{"32-bit x86-64 (x32)", "linux/amd64", ELFInfo{Class: elf.ELFCLASS32, Data: elf.ELFDATA2LSB, Machine: elf.EM_X86_64}, KindClass, SeverityViolation, "x32"},
		{"big-endian arm64", "linux/arm64", ELFInfo{Class: elf.ELFCLASS64, Data: elf.ELFDATA2MSB, Machine: elf.EM_AARCH64}, KindEndianness, SeverityViolation, "big-endian"},
		{"v5TE in v5", "linux/arm/v5", arm(ARMArchV5TE), "", "", ""},
		{"v6 in v5", "linux/arm/v5", arm(ARMArchV6), KindARMLevel, SeverityViolation, "(ARMv6), newer than linux/arm/v5"},
		{"v5TE in v6", "linux/arm/v6", arm(ARMArchV5TE), "", "", ""},
		{"v6KZ in v6", "linux/arm/v6", arm(ARMArchV6KZ), "", "", ""},
		{"v6K in v6", "linux/arm/v6", arm(ARMArchV6K), "", "", ""},
		{"v6T2 in v6", "linux/arm/v6", arm(ARMArchV6T2), KindARMLevel, SeverityViolation, "ARMv6T2"},
		{"v7 in v6", "linux/arm/v6", arm(ARMArchV7), KindARMLevel, SeverityViolation, "is ELF 32-bit ARM (ARMv7), newer than linux/arm/v6"},
		{"v7 in v7", "linux/arm/v7", arm(ARMArchV7), "", "", ""},
		{"v8 in v7", "linux/arm/v7", arm(ARMArchV8), KindARMLevel, SeverityViolation, "ARMv8"},
		{"M-profile", "linux/arm/v7", ELFInfo{Class: elf.ELFCLASS32, Data: elf.ELFDATA2LSB, Machine: elf.EM_ARM,
			ARM: ARMAttributes{Present: true, CPUArch: ARMArchV7EM, Profile: 'M'}}, KindARMLevel, SeverityViolation, "M-profile"},
		{"Go ARM", "linux/arm/v6", armUnknown, KindARMLevel, SeverityNote, "level unknown"},
		{"glibc loader", "linux/arm64", withInterp(a64, "/lib/ld-linux-aarch64.so.1"), "", "", ""},
		{"musl loader", "linux/arm64", withInterp(a64, "/lib/ld-musl-aarch64.so.1"), "", "", ""},
		{"x86 loader in arm64", "linux/arm64", withInterp(a64, "/lib64/ld-linux-x86-64.so.2"), KindInterpreter, SeverityViolation, "linux/amd64"},
		{"armhf loader in v7", "linux/arm/v7", withInterp(arm(ARMArchV7), "/lib/ld-linux-armhf.so.3"), "", "", ""},
		{"armel loader in v5", "linux/arm/v5", withInterp(arm(ARMArchV5TE), "/lib/ld-linux.so.3"), "", "", ""},
		{"armhf loader in v5", "linux/arm/v5", withInterp(arm(ARMArchV5TE), "/lib/ld-linux-armhf.so.3"), KindInterpreter, SeverityViolation, "linux/arm/v6, linux/arm/v7"},
		{"armel loader in v7", "linux/arm/v7", withInterp(arm(ARMArchV5TE), "/lib/ld-linux.so.3"), KindInterpreter, SeverityViolation, "arm/v5"},
		{"Alpine armhf is v6", "linux/arm/v6", withInterp(arm(ARMArchV6KZ), "/lib/ld-musl-armhf.so.1"), "", "", ""},
		{"unknown loader", "linux/arm64", withInterp(a64, "/nix/store/abc-glibc/lib/ld-linux-aarch64.so.1"), KindInterpreter, SeverityNote, "not a known loader"},
		{"v3 in amd64", "linux/amd64", withISA(x86, X86ISABaseline|X86ISAV2|X86ISAV3), KindX86Level, SeverityViolation, "x86-64-v3"},
		{"v3 in amd64/v3", "linux/amd64/v3", withISA(x86, X86ISAV3), "", "", ""},
		{"v4 in amd64/v3", "linux/amd64/v3", withISA(x86, X86ISAV4), KindX86Level, SeverityViolation, "linux/amd64/v3"},
		{"baseline in amd64", "linux/amd64", withISA(x86, X86ISABaseline), "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Check(c.info, mustPlatform(t, c.plat))
			if c.kind == "" {
				if len(got) != 0 {
					t.Fatalf("got %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Kind != c.kind || got[0].Severity != c.sev || !strings.Contains(got[0].Message, c.msg) {
				t.Fatalf("got %+v, want one %s %s containing %q", got, c.sev, c.kind, c.msg)
			}
		})
	}
}

// Every platform's own loaders pass and each loader is owned by some
// platform of the table (a typo in the table would show here).
func TestLoaderTable(t *testing.T) {
	names := map[string]bool{}
	for _, p := range platform.All() {
		names[p.Arch] = true
		names[p.Arch+"/"+p.Variant] = true
	}
	for _, l := range loaders {
		for _, a := range l.archs {
			if !names[a] {
				t.Errorf("%s: %q is not a platform of the table", l.path, a)
			}
		}
	}
}
