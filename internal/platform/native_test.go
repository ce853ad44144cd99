package platform

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestNativeOn(t *testing.T) {
	for _, tc := range []struct {
		host, exec string
		want       bool
	}{
		{"linux/amd64", "linux/amd64", true},
		{"linux/amd64", "linux/386", true},
		{"linux/amd64", "linux/arm64", false},
		{"linux/arm64", "linux/arm64/v8", true},
		{"linux/arm/v7", "linux/arm/v6", true},
		{"linux/386", "linux/amd64", false},
		{"windows/amd64", "linux/amd64", false},
		{"linux/", "linux/amd64", false},
	} {
		if got := NativeOn(tc.host, tc.exec); got != tc.want {
			t.Errorf("NativeOn(%s, %s) = %v", tc.host, tc.exec, got)
		}
	}
}

func TestSameArch(t *testing.T) {
	if !SameArch("linux/arm/v7", "linux/arm/v6") || !SameArch("linux/arm64/v8", "linux/arm64") {
		t.Error("variants must not matter")
	}
	if SameArch("linux/amd64", "linux/386") || SameArch("linux/", "linux/") {
		t.Error("different or invalid architectures must not match")
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{"linux/aarch64": "linux/arm64", "linux/arm64/v8": "linux/arm64", "linux/mips64le": "linux/mips64le", "windows/amd64": "windows/amd64"} {
		if got, err := NormalizeName(in); err != nil || got != want {
			t.Errorf("NormalizeName(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := NormalizeName("linux/"); err == nil {
		t.Error("NormalizeName(linux/): no error")
	}
	if got := FormatOCI(specs.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}); got != "linux/arm64" {
		t.Errorf("FormatOCI = %q", got)
	}
}

// TestAlsoNativeMatchesNativeArches: the two spellings of "runs without
// emulation" (OCI architectures here, QEMU targets for binfmt_misc) agree.
func TestAlsoNativeMatchesNativeArches(t *testing.T) {
	for _, host := range table {
		for _, p := range table {
			byQEMU := p.QEMUArch != host.QEMUArch && slices.Contains(nativeArches(host.QEMUArch), p.QEMUArch)
			byOCI := p.Arch != host.Arch && slices.Contains(alsoNative[host.Arch], p.Arch)
			if byQEMU != byOCI {
				t.Errorf("host %s, %s: nativeArches says %v, alsoNative %v", host, p, byQEMU, byOCI)
			}
		}
	}
}
