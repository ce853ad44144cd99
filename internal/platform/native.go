package platform

import (
	"slices"

	"github.com/containerd/platforms"
	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

// alsoNative are the architectures a CPU of another runs without
// emulation: 32-bit x86 on x86-64. nativeArches says the same in QEMU's
// names, for binfmt_misc; TestAlsoNativeMatchesNativeArches keeps the two
// in step.
var alsoNative = map[string][]string{"amd64": {"386"}}

// NormalizeName parses a platform name containerd/platforms knows, in the
// table or not (a builder's workers may report platforms multiarch does
// not build), and returns its normalised "os/arch[/variant]".
func NormalizeName(s string) (string, error) {
	p, err := platforms.Parse(s)
	if err != nil {
		return "", err
	}
	return FormatOCI(p), nil
}

// FormatOCI is the normalised "os/arch[/variant]" name of an OCI platform
// value, in the table or not.
func FormatOCI(spec specs.Platform) string { return Format(Normalize(spec)) }

// NativeOn reports whether code for the platform exec runs without
// emulation on a machine whose native platform is host: the same OS and
// architecture, whatever the variants (an arm/v7 CPU runs arm/v6 code),
// or an architecture the host's CPU also runs (386 on amd64). Both are
// names as NormalizeName takes them; a name it refuses runs nowhere.
func NativeOn(host, exec string) bool {
	h, e, ok := parsePair(host, exec)
	return ok && h.OS == e.OS && (h.Architecture == e.Architecture || slices.Contains(alsoNative[h.Architecture], e.Architecture))
}

// SameArch reports whether a and b name the same OS and architecture,
// variants aside; a name NormalizeName refuses matches nothing.
func SameArch(a, b string) bool {
	p, q, ok := parsePair(a, b)
	return ok && p.OS == q.OS && p.Architecture == q.Architecture
}

// parsePair parses and normalises two platform names; ok is false when
// either does not parse.
func parsePair(a, b string) (p, q specs.Platform, ok bool) {
	p, errA := platforms.Parse(a)
	q, errB := platforms.Parse(b)
	if errA != nil || errB != nil {
		return p, q, false
	}
	return platforms.Normalize(p), platforms.Normalize(q), true
}
