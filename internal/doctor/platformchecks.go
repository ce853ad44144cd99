package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/probe"
	"github.com/multiarch-dev/multiarch/internal/status"
)

// platformChecks checks one platform: handler, flags, interpreter, QEMU
// version, strict CPU model and the functional probe. Later checks that
// cannot succeed after an earlier failure are not run, so each failure
// is reported once, with its own fix.
func platformChecks(ctx context.Context, h host, p platform.Platform) []Check {
	name := p.String()
	id := func(k Kind) Check { return about(k, name) }
	hd, err := h.Handler(ctx, p)
	if err != nil {
		return []Check{failDo(id(KindHandler), fmt.Sprintf("%s: cannot read binfmt_misc: %v", name, err), Remedy{Action: RemedyDoctorAsRoot})}
	}
	if hd == nil {
		fix := Remedy{Action: RemedyInstall, Platform: name}
		if h.Emulator(ctx, p) == "" {
			fix.Action = RemedyAptInstall
		}
		return []Check{failDo(id(KindHandler), fmt.Sprintf("%s: no binfmt_misc handler for %s binaries; running them fails with \"exec format error\"", name, p.QEMUArch), fix)}
	}
	out := []Check{ok(id(KindHandler), fmt.Sprintf("%s: handled by %s", name, hd.Name))}
	if !hd.Enabled {
		return append(out, fail(id(KindEnabled), fmt.Sprintf("%s: handler %s is disabled", name, hd.Name),
			fmt.Sprintf("echo 1 | sudo tee /proc/sys/fs/binfmt_misc/%s", hd.Name)))
	}
	out = append(out, flagChecks(name, hd)...)
	interp := interpreterCheck(name, hd)
	out = append(out, interp)
	if interp.Status == status.Fail {
		return out
	}
	out = append(out, versionCheck(ctx, h, p, hd))
	probes := probeChecks(ctx, h, p)
	out = append(out, probes...)
	if probes[0].Status == status.Pass {
		out = append(out, argv0Check(ctx, h, p, hd))
	}
	return out
}

func flagChecks(name string, hd *handler) []Check {
	var out []Check
	id := about(KindFlagF, name)
	if strings.Contains(hd.Flags, "F") {
		out = append(out, ok(id, fmt.Sprintf("%s: %s has the F flag: emulation works inside containers and chroots", name, hd.Name)))
	} else {
		out = append(out, failDo(id, fmt.Sprintf("%s: %s lacks the F (fix-binary) flag (flags %q): the interpreter is looked up inside each container, so builds fail with \"exec format error\" or \"no such file\"", name, hd.Name, hd.Flags),
			Remedy{Action: RemedyReregisterCF}))
	}
	id = about(KindFlagC, name)
	if strings.Contains(hd.Flags, "C") {
		out = append(out, ok(id, fmt.Sprintf("%s: %s has the C flag: setuid programs (sudo, su) work under emulation", name, hd.Name)))
	} else {
		out = append(out, warnDo(id, fmt.Sprintf("%s: %s lacks the C (credentials) flag: setuid programs such as sudo fail under emulation", name, hd.Name),
			Remedy{Action: RemedyReregisterCF}))
	}
	return out
}

func interpreterCheck(name string, hd *handler) Check {
	id := about(KindInterpreter, name)
	switch {
	case !hd.InterpreterExists:
		return failDo(id, fmt.Sprintf("%s: interpreter %s does not exist", name, hd.Interpreter),
			Remedy{Action: RemedyAptInstallForce, Platform: name})
	case !hd.Static:
		return failDo(id, fmt.Sprintf("%s: interpreter %s is dynamically linked: inside a container its libraries are missing", name, hd.Interpreter),
			Remedy{Action: RemedyAptInstallForce, Platform: name})
	}
	return ok(id, fmt.Sprintf("%s: interpreter %s is present and statically linked", name, hd.Interpreter))
}

func versionCheck(ctx context.Context, h host, p platform.Platform, hd *handler) Check {
	name := p.String()
	id := about(KindQEMUVersion, name)
	v, err := h.QEMUVersion(ctx, hd.Resolved)
	if err != nil {
		return warn(id, fmt.Sprintf("%s: cannot read the QEMU version of %s: %v", name, hd.Interpreter, err), "")
	}
	list, err := knownBadList()
	if err != nil {
		return warn(id, fmt.Sprintf("%s: QEMU %s; the list of known-bad QEMU versions cannot be read: %v", name, v, err), "")
	}
	return judgeVersion(id, p, hd, v, list)
}

// judgeVersion passes QEMU version v of p's emulator unless an entry of
// list covers it: then it warns with each regression, its report and the
// version to install instead.
func judgeVersion(id Check, p platform.Platform, hd *handler, v string, list []knownBad) Check {
	name := p.String()
	bad := knownBadFor(list, p.QEMUArch, v)
	if len(bad) == 0 {
		return ok(id, fmt.Sprintf("%s: QEMU %s (no known regression listed for %s)", name, v, p.QEMUArch))
	}
	var msgs, fixes []string
	for _, e := range bad {
		msgs = append(msgs, fmt.Sprintf("%s (%s)", e.Symptom, strings.Join(e.Reports, ", ")))
		fixes = append(fixes, e.Fix)
	}
	return warn(id, fmt.Sprintf("%s: %s is QEMU %s, which has a known regression for %s: %s",
		name, hd.Interpreter, v, p.QEMUArch, strings.Join(msgs, "; ")), strings.Join(fixes, "; "))
}

// probeChecks runs the functional probe under QEMU's default CPU, then
// under the variant's oldest CPU model, which `--strict-cpu` relies on.
func probeChecks(ctx context.Context, h host, p platform.Platform) []Check {
	name := p.String()
	id := about(KindProbe, name)
	machine, err := h.Probe(ctx, p, "")
	if err != nil {
		return []Check{probeFailCheck(id, p, "", machine, err)}
	}
	out := []Check{ok(id, fmt.Sprintf("%s: the %s probe ran chrooted in an empty directory and reported %s", name, p.QEMUArch, machine))}
	if p.StrictCPU == "" {
		return out
	}
	id = about(KindStrictCPU, name)
	machine, err = h.Probe(ctx, p, p.StrictCPU)
	if err != nil {
		c := probeFailCheck(id, p, p.StrictCPU, machine, err)
		c.Status = status.Warn
		c.Message += fmt.Sprintf(" (under QEMU_CPU=%s; strict-CPU tests need it)", p.StrictCPU)
		return append(out, c)
	}
	return append(out, ok(id, fmt.Sprintf("%s: oldest CPU model %s works (reported %s)", name, p.StrictCPU, machine)))
}

// probeFailCheck turns a failed probe (run under cpu, "" for the
// emulator's default) into a check whose fix fits the probe.Error's Kind.
func probeFailCheck(id Check, p platform.Platform, cpu, machine string, err error) Check {
	name := p.String()
	var kind probe.Kind
	if pe := (*probe.Error)(nil); errors.As(err, &pe) {
		kind = pe.Kind
	}
	switch {
	case kind == probe.NoHandler:
		return failDo(id, fmt.Sprintf("%s: the probe failed with \"exec format error\": the kernel found no handler", name), Remedy{Action: RemedyInstall, Platform: name})
	case kind == probe.InterpreterUnreachable:
		return failDo(id, fmt.Sprintf("%s: the probe could not reach the interpreter from inside a chroot: the handler needs the F flag", name), Remedy{Action: RemedyReregisterCF})
	case kind == probe.Exit && cpu != "":
		// The emulator refused to start under QEMU_CPU.
		return fail(id, fmt.Sprintf("%s: this QEMU does not know CPU model %s", name, cpu), "install a newer qemu-user-static")
	case kind == probe.WrongMachine:
		return failDo(id, fmt.Sprintf("%s: the probe reported machine %q, want one of %s", name, machine, strings.Join(append(p.UnameNative, p.UnameEmulated...), ", ")),
			Remedy{Action: RemedyBinfmtLs, Arch: p.QEMUArch})
	}
	return failDo(id, fmt.Sprintf("%s: the probe failed: %v", name, err), Remedy{Action: RemedyInstallForce, Platform: name})
}
