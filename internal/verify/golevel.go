package verify

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// KindGoLevel is a Go binary built for a CPU level above the variant
// (GOARM, GOAMD64, GO386, GOARM64, GOPPC64, GORISCV64 from its build info).
const KindGoLevel Kind = "go_level"

// GoBuild is what a Go binary's build info says about the CPU it needs.
// No ELF attribute carries Go's level: the linker writes no
// .ARM.attributes and no x86 ISA property, only the build settings.
type GoBuild struct {
	// Version is the toolchain ("go1.26.0"); empty when the file is not a
	// Go binary (or its build info is unreadable).
	Version string
	// Setting and Value are the architecture's level variable as built
	// ("GOARM", "6,softfloat"); empty when the build info has none (Go
	// before 1.18, or not built by `go build`).
	Setting, Value string
}

// goLevelSettings are the build settings that carry a CPU level, by GOARCH.
var goLevelSettings = map[string]string{
	"amd64": "GOAMD64", "386": "GO386", "arm": "GOARM", "arm64": "GOARM64",
	"ppc64": "GOPPC64", "ppc64le": "GOPPC64", "riscv64": "GORISCV64",
	"mips": "GOMIPS", "mipsle": "GOMIPS", "mips64": "GOMIPS64", "mips64le": "GOMIPS64",
}

// goBuildInfoMagic starts a Go binary's build info blob (cmd/link).
var goBuildInfoMagic = []byte("\xff Go buildinf:")

// readGoBuild returns the build info of a Go binary held whole in r, or
// the zero GoBuild. It first looks for the build-info magic in the file
// bytes of the first writable data segment, where the Go linker (and an
// external linker, for cgo) puts it, so non-Go files cost one bounded
// search of their data segment; only then is the file parsed by
// debug/buildinfo.
func readGoBuild(r io.ReaderAt, size int64, h header) GoBuild {
	if !hasGoMagic(r, size, h) {
		return GoBuild{}
	}
	bi, err := buildinfo.Read(io.NewSectionReader(r, 0, size))
	if err != nil {
		return GoBuild{}
	}
	g := GoBuild{Version: bi.GoVersion}
	for _, s := range bi.Settings {
		if s.Key == "GOARCH" {
			g.Setting = goLevelSettings[s.Value]
		}
	}
	for _, s := range bi.Settings {
		if g.Setting != "" && s.Key == g.Setting {
			g.Value = s.Value
		}
	}
	if g.Value == "" {
		g.Setting = ""
	}
	return g
}

// hasGoMagic searches the first writable, non-executable PT_LOAD segment
// (debug/buildinfo's own fallback) for the build-info magic.
func hasGoMagic(r io.ReaderAt, size int64, h header) bool {
	progs, err := progTable(r, size, h)
	if err != nil {
		return false
	}
	for _, p := range progs {
		if p.typ != elf.PT_LOAD || p.flags&(elf.PF_X|elf.PF_W) != elf.PF_W {
			continue
		}
		if !within(p.off, p.filesz, size) {
			return false
		}
		b, ok := r.(interface{ Bytes() []byte })
		if ok {
			return bytes.Contains(b.Bytes()[p.off:p.off+p.filesz], goBuildInfoMagic)
		}
		seg := make([]byte, min(p.filesz, maxGoSearch))
		n, _ := r.ReadAt(seg, int64(p.off))
		return bytes.Contains(seg[:n], goBuildInfoMagic)
	}
	return false
}

// maxGoSearch bounds the search through a reader that is not in memory.
const maxGoSearch = 4 << 20

// goLevel is one architecture's ordered levels and what each needs.
type goLevel struct {
	levels []string // oldest first
	needs  func(level string) string
}

var goLevels = map[string]goLevel{
	"GOAMD64": {[]string{"v1", "v2", "v3", "v4"}, func(l string) string { return "x86-64-" + l }},
	"GO386": {[]string{"softfloat", "sse2"}, func(l string) string {
		if l == "sse2" {
			return "SSE2 (Pentium 4 or later)"
		}
		return "an i686"
	}},
	"GOARM":     {[]string{"5", "6", "7"}, func(l string) string { return "ARMv" + l }},
	"GOPPC64":   {[]string{"power8", "power9", "power10"}, func(l string) string { return strings.ToUpper(l) }},
	"GORISCV64": {[]string{"rva20u64", "rva22u64", "rva23u64"}, func(l string) string { return "the " + strings.ToUpper(l) + " profile" }},
}

// checkGo judges a Go binary's level setting against the platform. The
// platform's own level is its table row's Go variable (GoVariantEnv, what
// Go programs for the platform are built with), else the oldest level Go
// has. GOMIPS/GOMIPS64 (hardfloat or softfloat) are not judged: MIPS
// kernels emulate a missing FPU.
func checkGo(info ELFInfo, p platform.Platform) []Problem {
	g := info.Go
	if g.Setting == "" || g.Setting != goLevelSettings[p.GOARCH] {
		return nil
	}
	built := g.Setting + "=" + g.Value
	if g.Setting == "GOARM64" {
		return checkGoARM64(g, p)
	}
	lv, judged := goLevels[g.Setting]
	if !judged {
		return nil
	}
	value, float, _ := strings.Cut(g.Value, ",")
	have := slices.Index(lv.levels, value)
	if have < 0 {
		return []Problem{note(KindGoLevel, "is a Go binary built with %s, a level verify does not know", built)}
	}
	want := lv.levels[0]
	if k, v, ok := strings.Cut(p.GoVariantEnv, "="); ok && k == g.Setting {
		want = v
	}
	if have > slices.Index(lv.levels, want) {
		return []Problem{violation(KindGoLevel, "is a Go binary built with %s, which needs %s; %s allows up to %s=%s",
			built, lv.needs(value), p, g.Setting, want)}
	}
	if g.Setting == "GOARM" && want == "5" && float == "hardfloat" {
		return []Problem{violation(KindGoLevel, "is a Go binary built with %s, which needs a VFP floating-point unit; %s has none",
			built, p)}
	}
	return nil
}

// checkGoARM64 judges GOARM64 ("v8.0", "v8.2,lse", "v9.0,crypto"): the
// arm64 platform is ARMv8.0 without the optional extensions (the Raspberry
// Pi 4's Cortex-A72 has neither LSE atomics nor the crypto extension).
func checkGoARM64(g GoBuild, p platform.Platform) []Problem {
	built := g.Setting + "=" + g.Value
	fields := strings.Split(g.Value, ",")
	major, minor, ok := parseARM64Level(fields[0])
	switch {
	case !ok:
		return []Problem{note(KindGoLevel, "is a Go binary built with %s, a level verify does not know", built)}
	case major > 8 || minor > 0:
		return []Problem{violation(KindGoLevel, "is a Go binary built with %s, which needs ARM%s; %s allows up to GOARM64=v8.0",
			built, fields[0], p)}
	}
	for _, ext := range fields[1:] {
		switch ext {
		case "lse":
			return []Problem{violation(KindGoLevel, "is a Go binary built with %s, which needs the LSE atomics of ARMv8.1; %s allows up to GOARM64=v8.0",
				built, p)}
		case "crypto":
			return []Problem{violation(KindGoLevel, "is a Go binary built with %s, which needs the ARMv8 crypto extension; %s does not promise it",
				built, p)}
		}
	}
	return nil
}

func parseARM64Level(s string) (major, minor int, ok bool) {
	maj, min, found := strings.Cut(strings.TrimPrefix(s, "v"), ".")
	if !found || !strings.HasPrefix(s, "v") {
		return 0, 0, false
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	return a, b, err1 == nil && err2 == nil && a >= 8
}

// goCoversARM reports whether a 32-bit ARM file's level is known from its
// Go build info alone (no .ARM.attributes): the "level unknown" note of
// checkARM would then be wrong.
func goCoversARM(info ELFInfo) bool {
	return !info.ARM.Present && info.Go.Setting == "GOARM"
}

// goJSON is GoBuild as the report prints it.
type goJSON struct {
	Version string `json:"version"`
	Level   string `json:"level,omitempty"` // "GOARM=7"
}

func (g GoBuild) json() *goJSON {
	if g.Version == "" {
		return nil
	}
	j := &goJSON{Version: g.Version}
	if g.Setting != "" {
		j.Level = fmt.Sprintf("%s=%s", g.Setting, g.Value)
	}
	return j
}

// memFile is a file held whole in memory: an io.ReaderAt whose bytes the
// build-info search reads in place, without copying the data segment.
type memFile []byte

func (m memFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Bytes returns the file's bytes.
func (m memFile) Bytes() []byte { return m }
