package verify

import (
	"debug/elf"
	"fmt"
)

// machineNames are the names `file` users know, by machine and class.
var machineNames = map[elf.Machine]map[elf.Class]string{
	elf.EM_X86_64:    {elf.ELFCLASS64: "x86-64", elf.ELFCLASS32: "x32 (x86-64 ILP32)"},
	elf.EM_386:       {elf.ELFCLASS32: "32-bit x86"},
	elf.EM_AARCH64:   {elf.ELFCLASS64: "AArch64", elf.ELFCLASS32: "AArch64 ILP32"},
	elf.EM_ARM:       {elf.ELFCLASS32: "32-bit ARM"},
	elf.EM_PPC64:     {elf.ELFCLASS64: "64-bit PowerPC"},
	elf.EM_PPC:       {elf.ELFCLASS32: "32-bit PowerPC"},
	elf.EM_S390:      {elf.ELFCLASS64: "64-bit IBM S/390", elf.ELFCLASS32: "31-bit IBM S/390"},
	elf.EM_RISCV:     {elf.ELFCLASS64: "64-bit RISC-V", elf.ELFCLASS32: "32-bit RISC-V"},
	elf.EM_MIPS:      {elf.ELFCLASS64: "64-bit MIPS", elf.ELFCLASS32: "32-bit MIPS"},
	elf.EM_LOONGARCH: {elf.ELFCLASS64: "64-bit LoongArch", elf.ELFCLASS32: "32-bit LoongArch"},
}

// bigByDefault lists machines whose usual byte order is big-endian; for
// every machine only the unusual order is spelled out ("AArch64 big-endian").
var bigByDefault = map[elf.Machine]bool{elf.EM_S390: true, elf.EM_PPC: true}

// String describes the file the way violations quote it: "ELF x86-64",
// "ELF 32-bit ARM (ARMv7)", "ELF AArch64", "ELF 64-bit PowerPC LE".
func (i ELFInfo) String() string {
	return "ELF " + describeMachine(i.Machine, i.Class, i.Data) + i.levelSuffix()
}

func describeMachine(m elf.Machine, c elf.Class, d elf.Data) string {
	name, ok := machineNames[m][c]
	if !ok {
		name = fmt.Sprintf("%s %s", classBits(c), m)
	}
	switch {
	case m == elf.EM_PPC64 && d == elf.ELFDATA2LSB:
		name += " LE"
	case m == elf.EM_MIPS && d == elf.ELFDATA2LSB:
		name += " LE"
	case m == elf.EM_MIPS || m == elf.EM_PPC64:
	case bigByDefault[m] != (d == elf.ELFDATA2MSB):
		name += " " + dataName(d)
	}
	return name
}

func (i ELFInfo) levelSuffix() string {
	switch {
	case i.Machine == elf.EM_ARM && i.ARM.Present:
		return " (ARM" + i.ARM.CPUArch.String() + ")"
	case i.Machine == elf.EM_X86_64 && i.X86ISANeeded.Level() > 1:
		return " (" + i.X86ISANeeded.String() + ")"
	}
	return ""
}

func classBits(c elf.Class) string {
	switch c {
	case elf.ELFCLASS32:
		return "32-bit"
	case elf.ELFCLASS64:
		return "64-bit"
	}
	return c.String()
}

func dataName(d elf.Data) string {
	switch d {
	case elf.ELFDATA2LSB:
		return "little-endian"
	case elf.ELFDATA2MSB:
		return "big-endian"
	}
	return d.String()
}
