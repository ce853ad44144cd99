package platform

import (
	"debug/elf"
	"errors"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParseAliases(t *testing.T) {
	tests := map[string]string{
		"linux/arm64":    "linux/arm64",
		"aarch64":        "linux/arm64",
		"arm64/v8":       "linux/arm64",
		"linux/arm64/v8": "linux/arm64",
		"ARM64":          "linux/arm64",
		"armhf":          "linux/arm/v7",
		"armel":          "linux/arm/v6",
		"arm":            "linux/arm/v7",
		"arm/v5":         "linux/arm/v5",
		"armv6l":         "linux/arm/v6",
		"linux/arm/v6":   "linux/arm/v6",
		"x86_64":         "linux/amd64",
		"amd64/v1":       "linux/amd64",
		"amd64/v3":       "linux/amd64/v3",
		"i386":           "linux/386",
		"386":            "linux/386",
		"ppc64el":        "linux/ppc64le",
		"ppc64le":        "linux/ppc64le",
		"s390x":          "linux/s390x",
		"riscv64":        "linux/riscv64",
		"mips64el":       "linux/mips64le",
		"loongarch64":    "linux/loong64",
		" linux/s390x ":  "linux/s390x",
	}
	for in, want := range tests {
		p, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if p.String() != want {
			t.Errorf("Parse(%q) = %s, want %s", in, p, want)
		}
	}
}

func TestParseUnknown(t *testing.T) {
	for _, in := range []string{"", "sparc", "windows/amd64", "linux/arm/v9", "arm64/v7", "armhf/v6", "linux/", "darwin/arm64", "amd64/v5"} {
		_, err := Parse(in)
		if !errors.Is(err, ErrUnknown) {
			t.Errorf("Parse(%q) err = %v, want ErrUnknown", in, err)
			continue
		}
		if !strings.Contains(err.Error(), "linux/arm/v6") || !strings.Contains(err.Error(), "valid:") {
			t.Errorf("Parse(%q) error does not list the valid platforms: %v", in, err)
		}
	}
}

func TestParseList(t *testing.T) {
	ps, err := ParseList("linux/amd64,linux/arm64 arm/v7,  aarch64\tlinux/s390x")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	want := []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/s390x"}
	if !slices.Equal(got, want) {
		t.Errorf("ParseList = %v, want %v (duplicates dropped, order kept)", got, want)
	}
	_, err = ParseList("arm64,sparc,mips")
	if !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), `"sparc"`) || !strings.Contains(err.Error(), `"mips"`) {
		t.Errorf("ParseList with two unknowns: %v", err)
	}
	if _, err := ParseList(" , "); !errors.Is(err, ErrUnknown) {
		t.Errorf("ParseList of nothing: %v", err)
	}
}

func TestTableIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range All() {
		name := p.String()
		if seen[name] {
			t.Errorf("duplicate row %s", name)
		}
		seen[name] = true
		back, err := Parse(name)
		if err != nil || back.String() != name {
			t.Errorf("%s does not parse back to itself: %v %v", name, back, err)
		}
		if len(p.Magic) != len(p.Mask) || len(p.Magic) != 20 {
			t.Errorf("%s: magic %d bytes, mask %d bytes", name, len(p.Magic), len(p.Mask))
		}
		if string(p.Magic[:4]) != "\x7fELF" || elf.Class(p.Magic[elf.EI_CLASS]) != p.Class || elf.Data(p.Magic[elf.EI_DATA]) != p.Data {
			t.Errorf("%s: magic does not describe an ELF of class %v data %v", name, p.Class, p.Data)
		}
		if p.StrictCPU == "" || p.QEMUArch == "" || p.GOARCH == "" || len(p.UnameEmulated) == 0 {
			t.Errorf("%s: incomplete row %+v", name, p)
		}
		for _, u := range p.UnameEmulated {
			if !p.UnameOK(u) {
				t.Errorf("%s: UnameOK(%q) false", name, u)
			}
		}
	}
}

func TestFromOCI(t *testing.T) {
	p, ok := FromOCI(specs.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})
	if !ok || p.String() != "linux/arm64" {
		t.Errorf("FromOCI(arm64/v8) = %v %v", p, ok)
	}
	if _, ok := FromOCI(specs.Platform{OS: "unknown", Architecture: "unknown"}); ok {
		t.Error("FromOCI(unknown/unknown) found a row")
	}
}

func TestNativeArches(t *testing.T) {
	if got := nativeArches("x86_64"); !slices.Equal(got, []string{"x86_64", "i386"}) {
		t.Errorf("nativeArches(x86_64) = %v", got)
	}
	if got := nativeArches("aarch64"); !slices.Equal(got, []string{"aarch64"}) {
		t.Errorf("nativeArches(aarch64) = %v", got)
	}
	for _, p := range Foreign() {
		if slices.Contains(NativeArches(), p.QEMUArch) {
			t.Errorf("Foreign() contains native %s", p)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"linux/arm64", "aarch64", "armhf", "arm64/v8", "x86_64", "linux/arm/v6", "amd64/v3", "", "///", "linux/arm/v6/x", "ppc64el"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrUnknown) {
				t.Fatalf("Parse(%q) error does not wrap ErrUnknown: %v", s, err)
			}
			return
		}
		back, err := Parse(p.String())
		if err != nil || back.String() != p.String() {
			t.Fatalf("Parse(%q) = %s, which does not parse back: %v", s, p, err)
		}
		if _, err := ParseList(s + "," + s); err != nil {
			t.Fatalf("ParseList(%q twice): %v", s, err)
		}
	})
}
