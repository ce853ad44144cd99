package platform

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

// ErrUnknown is wrapped by every parse error for a platform not in the table.
var ErrUnknown = errors.New("unknown platform")

// All returns a copy of the table, in display order.
func All() []Platform { return slices.Clone(table) }

// String is the normalised "os/arch[/variant]" name.
func (p Platform) String() string {
	return platforms.Format(p.OCI())
}

// OCI returns the platform as an image-spec value.
func (p Platform) OCI() specs.Platform {
	return specs.Platform{OS: p.OS, Architecture: p.Arch, Variant: p.Variant}
}

// BinfmtName is the binfmt_misc entry name QEMU and Debian use: qemu-<arch>.
func (p Platform) BinfmtName() string { return "qemu-" + p.QEMUArch }

// EmulatorBinary is the file name of the static QEMU user-mode emulator.
func (p Platform) EmulatorBinary() string { return "qemu-" + p.QEMUArch + "-static" }

// UnameOK reports whether `uname -m` printing machine fits the platform,
// natively or under emulation.
func (p Platform) UnameOK(machine string) bool {
	return slices.Contains(p.UnameNative, machine) || slices.Contains(p.UnameEmulated, machine)
}

// aliases maps names containerd/platforms does not know (Debian's and
// QEMU's architecture names) to OCI architecture[/variant].
var aliases = map[string]string{
	"ppc64el":     "ppc64le",
	"mips64el":    "mips64le",
	"loongarch64": "loong64",
	"i686":        "386",
	"x86":         "386",
	"armhf":       "arm/v7",
	"armel":       "arm/v6",
	"armv5":       "arm/v5",
	"armv6":       "arm/v6",
	"armv7":       "arm/v7",
	"armv6l":      "arm/v6",
	"armv7l":      "arm/v7",
}

// Parse turns one user-typed platform ("linux/arm64", "aarch64", "armhf",
// "arm64/v8", "x86_64", "amd64/v3") into its table row. The OS defaults to
// linux. An unknown platform is an error wrapping ErrUnknown that lists the
// valid names.
func Parse(s string) (Platform, error) {
	spec, err := parseSpec(s)
	if err != nil {
		return Platform{}, err
	}
	for _, p := range table {
		if p.OS == spec.OS && p.Arch == spec.Architecture && p.Variant == spec.Variant {
			return p, nil
		}
	}
	return Platform{}, unknownError(s)
}

func parseSpec(s string) (specs.Platform, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "" {
		return specs.Platform{}, fmt.Errorf("%w: empty platform name; valid: %s", ErrUnknown, validNames())
	}
	in = strings.TrimPrefix(in, "linux/")
	arch, variant, _ := strings.Cut(in, "/")
	if a, ok := aliases[arch]; ok {
		if variant != "" && strings.Contains(a, "/") {
			return specs.Platform{}, unknownError(s)
		}
		arch, variant, _ = strings.Cut(a+"/"+variant, "/")
		variant = strings.TrimSuffix(variant, "/")
	}
	spec, err := platforms.Parse("linux/" + strings.TrimSuffix(arch+"/"+variant, "/"))
	if err != nil || spec.OS != "linux" {
		return specs.Platform{}, unknownError(s)
	}
	return platforms.Normalize(spec), nil
}

func unknownError(s string) error {
	return fmt.Errorf("%w %q; valid: %s", ErrUnknown, s, validNames())
}

func validNames() string {
	names := make([]string, len(table))
	for i, p := range table {
		names[i] = p.String()
	}
	return strings.Join(names, ", ")
}

// ParseList parses a comma and/or space separated list of platforms, each
// as in Parse, dropping duplicates (after normalisation) and keeping order.
// Every unknown name is reported, not just the first.
func ParseList(s string) ([]Platform, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	var out []Platform
	var errs []error
	for _, f := range fields {
		p, err := Parse(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !slices.ContainsFunc(out, func(q Platform) bool { return q.String() == p.String() }) {
			out = append(out, p)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no platform given; valid: %s", ErrUnknown, validNames())
	}
	return out, nil
}

// FromOCI returns the table row of an OCI platform value (normalised first).
func FromOCI(spec specs.Platform) (Platform, bool) {
	n := platforms.Normalize(spec)
	for _, p := range table {
		if p.OS == n.OS && p.Arch == n.Architecture && p.Variant == n.Variant {
			return p, true
		}
	}
	return Platform{}, false
}

// ByQEMUArch returns the base row (no variant, or the lowest variant for
// arm) whose QEMU target is arch ("aarch64", "arm", ...).
func ByQEMUArch(arch string) (Platform, bool) {
	for _, p := range table {
		if p.QEMUArch == arch {
			return p, true
		}
	}
	return Platform{}, false
}

// Host returns the row of the machine this process runs on.
func Host() Platform {
	p, _ := FromOCI(platforms.DefaultSpec())
	if p.Arch == "" {
		p, _ = FromOCI(specs.Platform{OS: "linux", Architecture: runtime.GOARCH})
	}
	return p
}

// NativeArches returns the QEMU targets the host kernel runs without
// emulation: its own, plus 32-bit x86 on x86-64. A handler for any of them
// would hijack native binaries.
func NativeArches() []string {
	return nativeArches(Host().QEMUArch)
}

func nativeArches(host string) []string {
	switch host {
	case "x86_64":
		return []string{"x86_64", "i386"}
	case "aarch64":
		// arm64 kernels may run 32-bit ARM natively; whether they do is a
		// CPU property, so only aarch64 itself is reserved.
		return []string{"aarch64"}
	default:
		return []string{host}
	}
}

// Foreign returns the platform rows that need emulation on this host,
// one per QEMU target (the first row of each target), in table order.
func Foreign() []Platform {
	native := NativeArches()
	var out []Platform
	seen := map[string]bool{}
	for _, p := range table {
		if slices.Contains(native, p.QEMUArch) || seen[p.QEMUArch] {
			continue
		}
		seen[p.QEMUArch] = true
		out = append(out, p)
	}
	return out
}
