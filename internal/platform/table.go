package platform

import (
	"debug/elf"
)

// Platform is one row of the table. Every field is data; behaviour lives in
// functions that read the table.
type Platform struct {
	// OS, Arch and Variant are the normalised OCI values (containerd/platforms).
	OS, Arch, Variant string

	// Machine, Class and Data identify the platform's ELF executables.
	Machine elf.Machine
	Class   elf.Class
	Data    elf.Data

	// QEMUArch is QEMU's target name: the binfmt entry is "qemu-"+QEMUArch and
	// the emulator binary "qemu-"+QEMUArch+"-static".
	QEMUArch string
	// Magic and Mask are the binfmt_misc match values, identical to QEMU's
	// scripts/qemu-binfmt-conf.sh (and so to Debian's /usr/lib/binfmt.d files).
	Magic, Mask []byte

	// UnameNative lists what `uname -m` prints on hardware (or a kernel) that
	// runs the platform natively; UnameEmulated what it prints under QEMU,
	// with the default CPU and with StrictCPU.
	UnameNative, UnameEmulated []string

	// StrictCPU is the QEMU CPU model of the oldest CPU of this variant
	// (QEMU_CPU for `--strict-cpu`): code newer than the variant dies with
	// SIGILL under it.
	StrictCPU string

	// GOARCH and GoVariantEnv ("GOARM=6", "GOAMD64=v2") build Go programs for
	// the platform; DebianArch is Debian's name, for fixtures.
	GOARCH, GoVariantEnv, DebianArch string
}

// QEMU's magic/mask values, shared by rows that differ only in variant.
var (
	x8664Magic = []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00")
	x8664Mask  = []byte("\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff")
	armMagic   = []byte("\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00")
	armMask    = []byte("\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff")
)

// armUname is what 32-bit ARM code can see: its own level on real boards,
// armv7l under QEMU's default CPU, armv8l on an arm64 kernel.
var armUname = []string{"armv5tel", "armv5tejl", "armv6l", "armv7l", "armv8l"}

func amd64(variant, cpu, goamd64 string) Platform {
	return Platform{
		OS: "linux", Arch: "amd64", Variant: variant,
		Machine: elf.EM_X86_64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		QEMUArch: "x86_64", Magic: x8664Magic, Mask: x8664Mask,
		UnameNative: []string{"x86_64"}, UnameEmulated: []string{"x86_64"},
		StrictCPU: cpu, GOARCH: "amd64", GoVariantEnv: "GOAMD64=" + goamd64, DebianArch: "amd64",
	}
}

func arm(variant, cpu, goarm, debian string) Platform {
	return Platform{
		OS: "linux", Arch: "arm", Variant: variant,
		Machine: elf.EM_ARM, Class: elf.ELFCLASS32, Data: elf.ELFDATA2LSB,
		QEMUArch: "arm", Magic: armMagic, Mask: armMask,
		UnameNative: armUname, UnameEmulated: []string{"armv5tel", "armv5tejl", "armv6l", "armv7l"},
		StrictCPU: cpu, GOARCH: "arm", GoVariantEnv: "GOARM=" + goarm, DebianArch: debian,
	}
}

// table is the platform table. Order is the display order.
var table = []Platform{
	amd64("", "Opteron_G1", "v1"),
	amd64("v2", "Nehalem", "v2"),
	amd64("v3", "Haswell", "v3"),
	amd64("v4", "Skylake-Server", "v4"),
	{
		OS: "linux", Arch: "386",
		Machine: elf.EM_386, Class: elf.ELFCLASS32, Data: elf.ELFDATA2LSB,
		QEMUArch: "i386",
		Magic:    []byte("\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00"),
		Mask:     []byte("\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"),
		// A 32-bit process on an x86-64 kernel sees x86_64.
		UnameNative: []string{"i386", "i486", "i586", "i686", "x86_64"}, UnameEmulated: []string{"i686"},
		StrictCPU: "pentium2", GOARCH: "386", GoVariantEnv: "GO386=softfloat", DebianArch: "i386",
	},
	{
		OS: "linux", Arch: "arm64",
		Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		QEMUArch:    "aarch64",
		Magic:       []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00"),
		Mask:        []byte("\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"),
		UnameNative: []string{"aarch64", "arm64"}, UnameEmulated: []string{"aarch64"},
		StrictCPU: "cortex-a53", GOARCH: "arm64", DebianArch: "arm64",
	},
	arm("v5", "arm926", "5", ""),
	arm("v6", "arm1176", "6", "armel"),
	arm("v7", "cortex-a8", "7", "armhf"),
	{
		OS: "linux", Arch: "ppc64le",
		Machine: elf.EM_PPC64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		QEMUArch:    "ppc64le",
		Magic:       []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x15\x00"),
		Mask:        []byte("\xff\xff\xff\xff\xff\xff\xff\xfc\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\x00"),
		UnameNative: []string{"ppc64le"}, UnameEmulated: []string{"ppc64le"},
		StrictCPU: "power8", GOARCH: "ppc64le", DebianArch: "ppc64el",
	},
	{
		OS: "linux", Arch: "s390x",
		Machine: elf.EM_S390, Class: elf.ELFCLASS64, Data: elf.ELFDATA2MSB,
		QEMUArch:    "s390x",
		Magic:       []byte("\x7fELF\x02\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x16"),
		Mask:        []byte("\xff\xff\xff\xff\xff\xff\xff\xfc\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff"),
		UnameNative: []string{"s390x"}, UnameEmulated: []string{"s390x"},
		// QEMU's TCG runs no named z model newer than z900, and z900 lacks
		// the floating point every Go binary needs; "qemu" is the smallest
		// model that real s390x images run on.
		StrictCPU: "qemu", GOARCH: "s390x", DebianArch: "s390x",
	},
	{
		OS: "linux", Arch: "riscv64",
		Machine: elf.EM_RISCV, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		QEMUArch:    "riscv64",
		Magic:       []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00"),
		Mask:        []byte("\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"),
		UnameNative: []string{"riscv64"}, UnameEmulated: []string{"riscv64"},
		StrictCPU: "rv64", GOARCH: "riscv64", DebianArch: "riscv64",
	},
	{
		OS: "linux", Arch: "mips64le",
		Machine: elf.EM_MIPS, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		QEMUArch:    "mips64el",
		Magic:       []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x08\x00"),
		Mask:        []byte("\xff\xff\xff\xff\xff\xff\xff\x00\xfe\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"),
		UnameNative: []string{"mips64"}, UnameEmulated: []string{"mips64"},
		StrictCPU: "5KEf", GOARCH: "mips64le", DebianArch: "mips64el",
	},
	{
		OS: "linux", Arch: "loong64",
		Machine: elf.EM_LOONGARCH, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		QEMUArch:    "loongarch64",
		Magic:       []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x02\x01"),
		Mask:        []byte("\xff\xff\xff\xff\xff\xff\xff\xfc\x00\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"),
		UnameNative: []string{"loongarch64"}, UnameEmulated: []string{"loongarch64"},
		StrictCPU: "la464-loongarch-cpu", GOARCH: "loong64", DebianArch: "loong64",
	},
}
