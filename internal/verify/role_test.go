package verify

import (
	"debug/elf"
	"strings"
	"testing"
)

// TestCheckFile: the level rule by role. Executables, the loader and the C
// library keep the violation; other shared libraries get a note; a file
// under glibc-hwcaps/<level>/ is judged against that level.
func TestCheckFile(t *testing.T) {
	arm := func(typ elf.Type, a ARMArch, profile byte) ELFInfo {
		return ELFInfo{Class: elf.ELFCLASS32, Data: elf.ELFDATA2LSB, Machine: elf.EM_ARM, Type: typ,
			ARM: ARMAttributes{Present: true, CPUArch: a, Profile: profile}}
	}
	x86 := func(typ elf.Type, isa X86ISA) ELFInfo {
		return ELFInfo{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Machine: elf.EM_X86_64, Type: typ, X86ISANeeded: isa}
	}
	v3 := X86ISABaseline | X86ISAV2 | X86ISAV3
	a64 := ELFInfo{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Machine: elf.EM_AARCH64, Type: elf.ET_DYN}
	for _, c := range []struct {
		name, plat, path string
		info             ELFInfo
		kind             Kind     // "" : no problem at all
		sev              Severity // of the one problem
		msg              string   // substring of the message
	}{
		{"v7 library in v5", "linux/arm/v5", "/usr/lib/arm-linux-gnueabi/libcrypto.so.3", arm(elf.ET_DYN, ARMArchV7, 'A'),
			KindARMLevel, SeverityNote, "newer than linux/arm/v5 allows; a shared library, may dispatch at run time"},
		{"v8 library in v7", "linux/arm/v7", "/usr/lib/arm-linux-gnueabihf/libgcrypt.so.20.4.1", arm(elf.ET_DYN, ARMArchV8, 'A'),
			KindARMLevel, SeverityNote, "may dispatch"},
		{"plugin named .so", "linux/arm/v6", "/usr/lib/arm-linux-gnueabi/ossl-modules/legacy.so", arm(elf.ET_DYN, ARMArchV7, 'A'),
			KindARMLevel, SeverityNote, "may dispatch"},
		{"v7 executable in v6", "linux/arm/v6", "/usr/bin/bash", arm(elf.ET_EXEC, ARMArchV7, 'A'),
			KindARMLevel, SeverityViolation, "newer than linux/arm/v6 allows"},
		{"v7 PIE executable in v6", "linux/arm/v6", "/usr/bin/bash", arm(elf.ET_DYN, ARMArchV7, 'A'),
			KindARMLevel, SeverityViolation, "newer than linux/arm/v6 allows"},
		{"v7 loader in v5", "linux/arm/v5", "/usr/lib/arm-linux-gnueabi/ld-linux.so.3", arm(elf.ET_DYN, ARMArchV7, 'A'),
			KindARMLevel, SeverityViolation, "newer than linux/arm/v5 allows"},
		{"v7 libc in v5", "linux/arm/v5", "/usr/lib/arm-linux-gnueabi/libc.so.6", arm(elf.ET_DYN, ARMArchV7, 'A'),
			KindARMLevel, SeverityViolation, "newer than"},
		{"v7 musl libc in v6", "linux/arm/v6", "/lib/ld-musl-arm.so.1", arm(elf.ET_DYN, ARMArchV7, 'A'),
			KindARMLevel, SeverityViolation, "newer than"},
		{"M-profile library", "linux/arm/v7", "/usr/lib/libm0.so", arm(elf.ET_DYN, ARMArchV7EM, 'M'),
			KindARMLevel, SeverityViolation, "M-profile"},
		{"library of another machine", "linux/arm64", "/usr/lib/libz.so.1", x86(elf.ET_DYN, 0),
			KindMachine, SeverityViolation, "is ELF x86-64"},
		{"library in its level", "linux/arm/v7", "/usr/lib/libz.so.1", arm(elf.ET_DYN, ARMArchV7, 'A'), "", "", ""},
		{"v3 library in amd64", "linux/amd64", "/usr/lib/x86_64-linux-gnu/libzstd.so.1", x86(elf.ET_DYN, v3),
			KindX86Level, SeverityNote, "may dispatch"},
		{"v3 executable in amd64", "linux/amd64", "/usr/bin/zstd", x86(elf.ET_DYN, v3),
			KindX86Level, SeverityViolation, "above what linux/amd64 allows"},
		{"v3 in its hwcaps dir", "linux/amd64", "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libc.so.6", x86(elf.ET_DYN, v3), "", "", ""},
		{"v4 in the v3 hwcaps dir", "linux/amd64/v4", "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libc.so.6", x86(elf.ET_DYN, X86ISAV4),
			KindX86Level, SeverityViolation, "above what linux/amd64/v3 allows"},
		{"v4 library in the v3 hwcaps dir", "linux/amd64", "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libfoo.so.1", x86(elf.ET_DYN, X86ISAV4),
			KindX86Level, SeverityNote, "linux/amd64/v3 allows; a shared library"},
		{"unknown hwcaps dir", "linux/amd64", "/usr/lib/glibc-hwcaps/x86-64-v9/libc.so.6", x86(elf.ET_DYN, v3),
			KindX86Level, SeverityViolation, "above what linux/amd64 allows"},
		{"power9 dir", "linux/ppc64le", "/usr/lib/powerpc64le-linux-gnu/glibc-hwcaps/power9/libc.so.6",
			ELFInfo{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Machine: elf.EM_PPC64, Type: elf.ET_DYN}, "", "", ""},
		{"hwcaps dir of another machine", "linux/arm64", "/usr/lib/glibc-hwcaps/x86-64-v3/libc.so.6", a64, "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := CheckFile(c.path, c.info, mustPlatform(t, c.plat))
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
