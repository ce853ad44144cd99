package verify

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

func FuzzClassify(f *testing.F) {
	f.Add(armELF(ARMArchV7))
	f.Add(buildELF(elfSpec{class: elf.ELFCLASS64, data: elf.ELFDATA2LSB, machine: elf.EM_X86_64,
		interp: "/lib64/ld-linux-x86-64.so.2", x86ISA: 7}))
	f.Add(buildELF(elfSpec{class: elf.ELFCLASS64, data: elf.ELFDATA2MSB, machine: elf.EM_S390}))
	f.Add([]byte("\x7fELF\x01\x01\x01"))
	rows := platform.All()
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, withSections := range []bool{true, false} {
			info, err := classify(bytes.NewReader(b), int64(len(b)), withSections)
			if err != nil {
				continue
			}
			_ = info.String()
			if _, err := json.Marshal(info); err != nil {
				t.Fatal(err)
			}
			for _, p := range rows {
				Check(info, p)
			}
		}
	})
}

func FuzzARMAttributes(f *testing.F) {
	f.Add(armAttrs(binary.LittleEndian, ARMArchV5TE, 'A'))
	f.Add(armAttrs(binary.BigEndian, ARMArchV8, 'R'))
	f.Add([]byte("A\x05\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			a, _ := ParseARMAttributes(b, bo)
			_ = a.CPUArch.String()
		}
	})
}

// FuzzScanLayer feeds arbitrary bytes as a tar stream, and folds the
// summary twice (as two layers) to exercise whiteouts against a lower layer.
func FuzzScanLayer(f *testing.F) {
	f.Add(tarBytes(f, file("bin/x", armELF(ARMArchV7)), file("bin/.wh.y", nil), file("d/.wh..wh..opq", nil),
		dir("d/"), entry{name: "l", typ: '1', link: "bin/x"}))
	f.Add(hugeDeclared(f))
	f.Add([]byte{})
	v7 := platform.All()[0]
	f.Fuzz(func(t *testing.T, b []byte) {
		s := tarScanner{maxFile: 4096}
		sum, err := s.scanTar(context.Background(), bytes.NewReader(b))
		if err != nil {
			return
		}
		tr := newTree()
		tr.apply(sum, 0)
		tr.apply(sum, 1)
		for _, p := range tr.paths() {
			Check(tr.files[p].rec.info, v7)
		}
	})
}
