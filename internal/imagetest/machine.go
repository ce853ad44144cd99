package imagetest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/status"
)

// judgeMachine fails a uname check that ran but printed a machine the
// platform does not produce.
func judgeMachine(ch *Check, t Target, strict bool, machine string, out Exit) {
	ok, expected := expectedMachine(t, strict)
	ch.Expected = expected
	if ok(machine) {
		return
	}
	ch.Status = status.Fail
	ch.Message = fmt.Sprintf("uname -m printed %q, %s expects %s", machine, t.Platform, strings.Join(expected, " or "))
	ch.OutputTail = tailLines(out.Output, TailLines)
}

// expectedMachine is check 1's rule: the platform table's machines; for an
// emulated arm/vN under its strict CPU, only armvN… (the CPU model must
// really be that old).
func expectedMachine(t Target, strict bool) (func(string) bool, []string) {
	p := t.Platform
	if strict && !t.Native && p.Arch == "arm" && strings.HasPrefix(p.Variant, "v") && p.StrictCPU != "" {
		prefix := "arm" + p.Variant
		return func(m string) bool { return strings.HasPrefix(m, prefix) }, []string{prefix + "*"}
	}
	return p.UnameOK, machines(p)
}

func machines(p platform.Platform) []string {
	out := slices.Clone(p.UnameNative)
	for _, m := range p.UnameEmulated {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}
