package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/doctor"
	"github.com/multiarch-dev/multiarch/internal/status"
)

// renderDoctor prints checks as `doctor` does, columns squeezed. Their IDs
// are left out: the text report is drawn from Kind, Platform and Node.
func renderDoctor(t *testing.T, cs ...doctor.Check) string {
	t.Helper()
	rep := &doctor.Report{OK: true, Checks: cs}
	for _, c := range cs {
		rep.OK = rep.OK && c.Status != status.Fail
	}
	var b bytes.Buffer
	if err := printDoctor(&b, rep, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

func requireLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, "\n"+w+"\n") && !strings.HasPrefix(out, w+"\n") {
			t.Errorf("output lacks the line %q:\n%s", w, out)
		}
	}
}

// A host check is a group of one: its own line, with its fix.
func TestDoctorTextHostCheck(t *testing.T) {
	out := renderDoctor(t,
		doctor.Check{Kind: doctor.KindKernel, Status: status.Pass, Message: "kernel 6.1 is fine"},
		doctor.Check{Kind: doctor.KindBinfmt, Status: status.Fail, Message: "binfmt_misc is not mounted", Fix: "sudo mount"})
	requireLines(t, out, "OK kernel kernel 6.1 is fine", "FAIL binfmt_misc binfmt_misc is not mounted", "fix: sudo mount",
		"host NOT ready: 1 ok, 0 warnings, 1 failed")
}

// host-emulation (a builder of remote nodes) is a group of one too.
func TestDoctorTextHostEmulation(t *testing.T) {
	out := renderDoctor(t, doctor.Check{Kind: doctor.KindHostEmulation, Status: status.Pass, Message: "this host's QEMU is not used"})
	requireLines(t, out, "OK host-emulation this host's QEMU is not used", "host ready: 1 ok, 0 warnings, 0 failed")
}

// A platform's checks are one line with the worst status and the count,
// then each check that did not pass, by kind, with its fix.
func TestDoctorTextPlatformGroup(t *testing.T) {
	p := "linux/arm64"
	out := renderDoctor(t,
		doctor.Check{Kind: doctor.KindHandler, Platform: p, Status: status.Pass, Message: p + ": handled by qemu-aarch64"},
		doctor.Check{Kind: doctor.KindFlagC, Platform: p, Status: status.Warn, Message: p + ": qemu-aarch64 lacks the C flag", Fix: "sudo multiarch binfmt reregister --flags CF"},
		doctor.Check{Kind: doctor.KindNative, Platform: "linux/amd64", Status: status.Pass, Message: "linux/amd64: runs natively"})
	requireLines(t, out, "WARN linux/arm64 1/2 checks passed", "WARN flag-C qemu-aarch64 lacks the C flag",
		"fix: sudo multiarch binfmt reregister --flags CF", "OK linux/amd64 runs natively")
	if strings.Contains(out, "handler") {
		t.Errorf("a passed check of a platform is listed:\n%s", out)
	}
}

// The builder's checks are one group, every line shown (they say where
// each platform runs), even when there is only one.
func TestDoctorTextBuilderGroup(t *testing.T) {
	out := renderDoctor(t,
		doctor.Check{Kind: doctor.KindNode, Node: "node-0", Status: status.Pass, Message: "node tcp://pi:1234 answers"},
		doctor.Check{Kind: doctor.KindRoute, Platform: "linux/arm64", Status: status.Pass, Message: "linux/arm64 runs natively on tcp://pi:1234"},
		doctor.Check{Kind: doctor.KindRoute, Platform: "linux/riscv64", Status: status.Fail, Message: "linux/riscv64: no node runs it", Fix: "add a node"})
	requireLines(t, out, "FAIL builder 2/3 checks passed", "OK node-0 node tcp://pi:1234 answers",
		"OK linux/arm64 linux/arm64 runs natively on tcp://pi:1234", "FAIL linux/riscv64 linux/riscv64: no node runs it", "fix: add a node")

	out = renderDoctor(t, doctor.Check{Kind: doctor.KindDaemon, Status: status.Pass, Message: "the embedded builder is not running"})
	requireLines(t, out, "OK builder 1/1 checks passed", "OK daemon the embedded builder is not running")
}

// ci's doctor step tells a builder failure from a host one by Kind.
func TestPrintDoctorFailures(t *testing.T) {
	builderOnly := &doctor.Report{Checks: []doctor.Check{
		{ID: "linux/arm64:probe", Kind: doctor.KindNode, Node: "node-0", Status: status.Fail, Message: "does not answer", Fix: "start it"},
		{ID: "kernel", Kind: doctor.KindKernel, Status: status.Pass, Message: "fine"},
	}}
	var b bytes.Buffer
	printDoctorFailures(&b, builderOnly)
	if n, host := app.DoctorFailures(builderOnly); n != 1 || host {
		t.Errorf("builder failure: n %d host %v", n, host)
	}
	if want := "doctor: FAIL linux/arm64:probe: does not answer\n        fix: start it\n"; b.String() != want {
		t.Errorf("printed %q, want %q", b.String(), want)
	}
	withHost := &doctor.Report{Checks: append(builderOnly.Checks,
		doctor.Check{ID: "builder:x", Kind: doctor.KindProbe, Platform: "linux/arm64", Status: status.Fail, Message: "probe failed"})}
	if n, host := app.DoctorFailures(withHost); n != 2 || !host {
		t.Errorf("host failure: n %d host %v", n, host)
	}
}
