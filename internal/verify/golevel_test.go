package verify

import (
	"strings"
	"testing"

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
