package platform

import "debug/elf"

// elfClass and elfData read the ELF identification bytes of a magic value.
func elfClass(magic []byte) elf.Class { return elf.Class(magic[elf.EI_CLASS]) }

func elfData(magic []byte) elf.Data { return elf.Data(magic[elf.EI_DATA]) }
