package verify

import (
	"debug/elf"
	"fmt"
	"strconv"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Kind names what a Problem or Violation is about; the values are part of
// the JSON contract.
type Kind string

// Kinds of findings.
const (
	KindMachine     Kind = "machine"     // ELF machine of another architecture
	KindClass       Kind = "class"       // 32-bit file in a 64-bit platform or back
	KindEndianness  Kind = "endianness"  // byte order differs
	KindARMLevel    Kind = "arm_level"   // ARM architecture newer than the variant, or unknown
	KindX86Level    Kind = "x86_level"   // x86-64 ISA level above the variant
	KindInterpreter Kind = "interpreter" // PT_INTERP of another platform, or unknown
	KindMalformed   Kind = "malformed"   // ELF damaged past its header
	KindConfig      Kind = "config"      // descriptor platform differs from the config
	KindMissing     Kind = "missing"     // an expected platform is absent
	KindDuplicate   Kind = "duplicate"   // a platform appears more than once
)

// Severity separates findings that fail verification from notes.
type Severity string

// Severities.
const (
	SeverityViolation Severity = "violation"
	SeverityNote      Severity = "note"
)

// Problem is one finding about one file. Message completes the sentence
// "<path> ...", e.g. "is ELF x86-64".
type Problem struct {
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// Violation reports whether the problem fails verification.
func (p Problem) Violation() bool { return p.Severity == SeverityViolation }

func violation(k Kind, format string, args ...any) Problem {
	return Problem{Kind: k, Severity: SeverityViolation, Message: fmt.Sprintf(format, args...)}
}

func note(k Kind, format string, args ...any) Problem {
	return Problem{Kind: k, Severity: SeverityNote, Message: fmt.Sprintf(format, args...)}
}

// Check judges one classified file against the platform it is shipped
// for. A file of the wrong machine, class or byte order gets one violation
// and no further checks (they would only repeat it).
func Check(info ELFInfo, p platform.Platform) []Problem {
	if info.Machine != p.Machine || info.Class != p.Class || info.Data != p.Data {
		return []Problem{identityProblem(info, p)}
	}
	var out []Problem
	switch p.Machine {
	case elf.EM_ARM:
		if !goCoversARM(info) {
			out = append(out, checkARM(info, p)...)
		}
	case elf.EM_X86_64:
		out = append(out, checkX86(info, p)...)
	}
	out = append(out, checkInterp(info, p)...)
	out = append(out, checkGo(info, p)...)
	for _, w := range info.Warnings {
		out = append(out, note(KindMalformed, "is damaged: %s", w))
	}
	return out
}

func identityProblem(info ELFInfo, p platform.Platform) Problem {
	kind := KindMachine
	switch {
	case info.Machine != p.Machine:
	case info.Class != p.Class:
		kind = KindClass
	default:
		kind = KindEndianness
	}
	return violation(kind, "is %s", info)
}

// armAllowed lists, per arm variant, the Tag_CPU_arch values its oldest
// core runs. The tag values are not ordered, hence sets: v6T2 is Thumb-2,
// which an ARM1176 (v6KZ, Raspberry Pi Zero) lacks. M-profile values are
// allowed on v7 because their instruction sets are subsets of ARMv7-A's
// Thumb-2; anything ARMv8 or later is refused everywhere.
var armAllowed = map[string][]ARMArch{
	"v5": {ARMArchPreV4, ARMArchV4, ARMArchV4T, ARMArchV5T, ARMArchV5TE, ARMArchV5TEJ},
	"v6": {ARMArchPreV4, ARMArchV4, ARMArchV4T, ARMArchV5T, ARMArchV5TE, ARMArchV5TEJ,
		ARMArchV6, ARMArchV6KZ, ARMArchV6K},
	"v7": {ARMArchPreV4, ARMArchV4, ARMArchV4T, ARMArchV5T, ARMArchV5TE, ARMArchV5TEJ,
		ARMArchV6, ARMArchV6KZ, ARMArchV6T2, ARMArchV6K, ARMArchV7, ARMArchV6M, ARMArchV6SM, ARMArchV7EM},
}

func checkARM(info ELFInfo, p platform.Platform) []Problem {
	a := info.ARM
	switch {
	case !a.Present && info.Partial:
		return []Problem{note(KindARMLevel, "is %s, level unknown: too large to read its sections", info)}
	case !a.Present:
		return []Problem{note(KindARMLevel, "is %s, level unknown (no .ARM.attributes, e.g. built by Go)", info)}
	case a.Profile == 'M':
		return []Problem{violation(KindARMLevel, "is %s, microcontroller (M-profile) code", info)}
	}
	allowed, known := armAllowed[p.Variant]
	if !known {
		return nil
	}
	for _, v := range allowed {
		if v == a.CPUArch {
			return nil
		}
	}
	return []Problem{violation(KindARMLevel, "is %s, newer than %s allows", info, p)}
}

func checkX86(info ELFInfo, p platform.Platform) []Problem {
	level := info.X86ISANeeded.Level()
	want := 1 // amd64 without a variant is the baseline, x86-64-v1
	if v, err := strconv.Atoi(strings.TrimPrefix(p.Variant, "v")); err == nil {
		want = v
	}
	if level > want {
		return []Problem{violation(KindX86Level, "is %s, above what %s allows", info, p)}
	}
	return nil
}

func checkInterp(info ELFInfo, p platform.Platform) []Problem {
	if info.Interpreter == "" {
		return nil
	}
	ok, owners := loaderFit(info.Interpreter, p)
	switch {
	case ok:
		return nil
	case len(owners) > 0:
		return []Problem{violation(KindInterpreter, "asks for loader %s, which belongs to %s",
			info.Interpreter, strings.Join(owners, ", "))}
	}
	return []Problem{note(KindInterpreter, "asks for loader %s, not a known loader", info.Interpreter)}
}
