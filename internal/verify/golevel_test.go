package verify

import (
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// Real Go binaries built at one level and judged in an entry of another:
// the build info is read from the file, and the violation names the
// setting; binaries at or below the entry's level pass without notes.
func TestGoLevelRealBinaries(t *testing.T) {
	for _, c := range []struct {
		built, env, entry string
		bad               bool
	}{
		{"linux/arm/v7", "GOARM=7", "linux/arm/v6", true},
		{"linux/arm/v6", "GOARM=6", "linux/arm/v6", false},
		{"linux/arm/v5", "GOARM=5", "linux/arm/v6", false},
		{"linux/arm/v6", "GOARM=6", "linux/arm/v5", true},
		{"linux/arm/v7", "GOARM=7,softfloat", "linux/arm/v7", false},
		{"linux/amd64/v3", "GOAMD64=v3", "linux/amd64", true},
		{"linux/amd64", "GOAMD64=v1", "linux/amd64", false},
		{"linux/amd64/v3", "GOAMD64=v3", "linux/amd64/v2", true},
		{"linux/amd64/v3", "GOAMD64=v3", "linux/amd64/v3", false},
		{"linux/386", "GO386=sse2", "linux/386", true},
		{"linux/ppc64le", "GOPPC64=power9", "linux/ppc64le", true},
		{"linux/riscv64", "GORISCV64=rva22u64", "linux/riscv64", true},
		{"linux/arm64", "GOARM64=v8.0,lse", "linux/arm64", true},
		{"linux/arm64", "GOARM64=v8.0", "linux/arm64", false},
	} {
		t.Run(c.env+" in "+c.entry, func(t *testing.T) {
			info := classifyBytes(t, testenv.GoBinaryEnv(t, mustPlatform(t, c.built), c.env))
			if got := info.Go.Setting + "=" + info.Go.Value; got != c.env || !strings.HasPrefix(info.Go.Version, "go1.") {
				t.Fatalf("build info: %+v, want %s", info.Go, c.env)
			}
			probs := Check(info, mustPlatform(t, c.entry))
			if !c.bad {
				if len(probs) > 0 {
					t.Fatalf("want no problems, got %+v", probs)
				}
				return
			}
			if len(probs) != 1 || probs[0].Kind != KindGoLevel || !probs[0].Violation() {
				t.Fatalf("want one go_level violation, got %+v", probs)
			}
			if msg := probs[0].Message; !strings.Contains(msg, "Go binary built with "+c.env) || !strings.Contains(msg, c.entry) {
				t.Errorf("message %q names neither setting nor entry", msg)
			}
		})
	}
}

// The judgement itself, for values no test toolchain builds on demand.
func TestCheckGoLevels(t *testing.T) {
	for _, c := range []struct {
		entry, setting, value string
		want                  Severity // "" for no problem
		needs                 string
	}{
		{"linux/arm/v7", "GOARM", "7", "", ""},
		{"linux/arm/v6", "GOARM", "7", SeverityViolation, "needs ARMv7"},
		{"linux/arm/v6", "GOARM", "6,hardfloat", "", ""},
		{"linux/arm/v5", "GOARM", "5,hardfloat", SeverityViolation, "VFP"},
		{"linux/arm/v5", "GOARM", "5,softfloat", "", ""},
		{"linux/amd64/v4", "GOAMD64", "v4", "", ""},
		{"linux/amd64", "GOAMD64", "v2", SeverityViolation, "needs x86-64-v2"},
		{"linux/amd64", "GOAMD64", "v9", SeverityNote, "does not know"},
		{"linux/386", "GO386", "softfloat", "", ""},
		{"linux/ppc64le", "GOPPC64", "power10", SeverityViolation, "needs POWER10"},
		{"linux/ppc64le", "GOPPC64", "power8", "", ""},
		{"linux/riscv64", "GORISCV64", "rva23u64", SeverityViolation, "RVA23U64"},
		{"linux/riscv64", "GORISCV64", "rva20u64", "", ""},
		{"linux/arm64", "GOARM64", "v9.0", SeverityViolation, "ARMv9.0"},
		{"linux/arm64", "GOARM64", "v8.0,crypto", SeverityViolation, "crypto"},
		{"linux/arm64", "GOARM64", "garbage", SeverityNote, "does not know"},
		{"linux/mips64le", "GOMIPS64", "softfloat", "", ""},
		{"linux/mips64le", "GOMIPS64", "hardfloat", "", ""},
	} {
		p := mustPlatform(t, c.entry)
		info := ELFInfo{Machine: p.Machine, Class: p.Class, Data: p.Data,
			Go: GoBuild{Version: "go1.26.0", Setting: c.setting, Value: c.value}}
		probs := Check(info, p)
		switch {
		case c.want == "" && len(probs) > 0:
			t.Errorf("%s=%s in %s: want nothing, got %+v", c.setting, c.value, c.entry, probs)
		case c.want == "":
		case len(probs) != 1 || probs[0].Severity != c.want || probs[0].Kind != KindGoLevel || !strings.Contains(probs[0].Message, c.needs):
			t.Errorf("%s=%s in %s: want one %s saying %q, got %+v", c.setting, c.value, c.entry, c.want, c.needs, probs)
		}
	}
}

// A C program's data segment holds no build info: no Go facts, and the
// ARM level still comes from its attributes.
func TestGoBuildAbsentFromCBinaries(t *testing.T) {
	for _, deb := range []string{"armel", "amd64"} {
		info := classifyBytes(t, testenv.BusyboxBinary(t, deb))
		if info.Go != (GoBuild{}) {
			t.Errorf("%s busybox: Go build info %+v", deb, info.Go)
		}
	}
}

// goELF is a minimal 64-bit little-endian ELF of machine with one writable PT_LOAD segment holding data: what the build-info
// search and debug/buildinfo read.
func goELF(machine elf.Machine, data []byte) []byte {
	const off = 128
	b := make([]byte, off, off+len(data))
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS], b[elf.EI_DATA], b[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), 1
	le := binary.LittleEndian
	le.PutUint16(b[16:], uint16(elf.ET_EXEC))
	le.PutUint16(b[18:], uint16(machine))
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[32:], 64) // e_phoff
	le.PutUint16(b[52:], 64) // e_ehsize
	le.PutUint16(b[54:], 56) // e_phentsize
	le.PutUint16(b[56:], 1)  // e_phnum
	ph := b[64:]
	le.PutUint32(ph, uint32(elf.PT_LOAD))
	le.PutUint32(ph[4:], uint32(elf.PF_R|elf.PF_W))
	le.PutUint64(ph[8:], off)
	le.PutUint64(ph[16:], 0x10000+off)
	le.PutUint64(ph[24:], 0x10000+off)
	le.PutUint64(ph[32:], uint64(len(data)))
	le.PutUint64(ph[40:], uint64(len(data)))
	le.PutUint64(ph[48:], 16)
	return append(b, data...)
}

// goBuildInfoBlob is a Go 1.18+ build-info blob: header, then the
// version and the module info (between the linker's 16-byte sentinels)
// as varint-prefixed strings.
func goBuildInfoBlob(version, mod string) []byte {
	b := append([]byte{}, goBuildInfoMagic...)
	b = append(b, 8, 2) // pointer size, flags: inline strings, little-endian
	b = append(b, make([]byte, 32-len(b))...)
	b = binary.AppendUvarint(b, uint64(len(version)))
	b = append(b, version...)
	sentinel := strings.Repeat("\x00", 16)
	mod = sentinel + mod + sentinel
	b = binary.AppendUvarint(b, uint64(len(mod)))
	return append(b, mod...)
}

// The synthetic blob the fuzz target starts from reads like a real one.
func TestReadGoBuildSynthetic(t *testing.T) {
	blob := goBuildInfoBlob("go1.26.0", "path\tfixture\nbuild\tGOARCH=amd64\nbuild\tGOAMD64=v3\n")
	info := classifyBytes(t, goELF(elf.EM_X86_64, blob))
	if info.Go != (GoBuild{Version: "go1.26.0", Setting: "GOAMD64", Value: "v3"}) {
		t.Fatalf("got %+v", info.Go)
	}
	info, err := classify(memFile(goELF(elf.EM_X86_64, blob)), int64(len(goELF(elf.EM_X86_64, blob))), true)
	if err != nil || info.Go.Value != "v3" {
		t.Fatalf("in-memory path: %+v, %v", info.Go, err)
	}
}

// FuzzGoBuild feeds arbitrary build-info blobs (magic first, so
// debug/buildinfo parses them) through classification and judgement.
func FuzzGoBuild(f *testing.F) {
	f.Add(goBuildInfoBlob("go1.26.0", "path\tfixture\nbuild\tGOARCH=arm\nbuild\tGOARM=7,softfloat\n"))
	f.Add(goBuildInfoBlob("go1.23.0", "build\tGOARCH=arm64\nbuild\tGOARM64=v8.0,lse\n"))
	f.Add(append(append([]byte{}, goBuildInfoMagic...), 4, 0))
	rows := platform.All()
	f.Fuzz(func(t *testing.T, blob []byte) {
		for _, m := range []elf.Machine{elf.EM_ARM, elf.EM_X86_64} {
			b := goELF(m, blob)
			info, err := classify(memFile(b), int64(len(b)), true)
			if err != nil {
				continue
			}
			if _, err := json.Marshal(info); err != nil {
				t.Fatal(err)
			}
			for _, p := range rows {
				Check(info, p)
			}
		}
	})
}
