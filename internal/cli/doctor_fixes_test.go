package cli

import (
	"testing"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/doctor"
	"github.com/multiarch-dev/multiarch/internal/status"
)

// TestFixText: every remedy doctor gives is worded as the command line it
// always printed; a check without a remedy keeps its plain fix.
func TestFixText(t *testing.T) {
	tlsErr := &builder.NodeTLSError{Address: "tcp://a:1", Kind: builder.TLSClientCertMissing}
	tests := []struct {
		r    *doctor.Remedy
		fix  string
		want string
	}{
		{nil, "sudo apt-get install runc", "sudo apt-get install runc"},
		{&doctor.Remedy{Action: doctor.RemedyDoctorAsRoot}, "", "sudo multiarch doctor"},
		{&doctor.Remedy{Action: doctor.RemedyInstall, Platform: "linux/arm64"}, "", "sudo multiarch binfmt install linux/arm64"},
		{&doctor.Remedy{Action: doctor.RemedyAptInstall, Platform: "linux/arm64"}, "", "sudo apt-get install qemu-user-static && sudo multiarch binfmt install linux/arm64"},
		{&doctor.Remedy{Action: doctor.RemedyAptInstallAll}, "", "sudo apt-get install qemu-user-static && sudo multiarch binfmt install all"},
		{&doctor.Remedy{Action: doctor.RemedyInstallForce, Platform: "linux/arm64"}, "", "sudo multiarch binfmt install --force linux/arm64"},
		{&doctor.Remedy{Action: doctor.RemedyAptInstallForce, Platform: "linux/arm64"}, "", "sudo apt-get install qemu-user-static && sudo multiarch binfmt install --force linux/arm64"},
		{&doctor.Remedy{Action: doctor.RemedyReregisterCF}, "", "sudo multiarch binfmt reregister --flags CF"},
		{&doctor.Remedy{Action: doctor.RemedyReregisterArgv0, Platform: "linux/s390x"}, "", "sudo multiarch binfmt reregister linux/s390x (adds P where the emulator honours it; else install QEMU 6 or newer and run it again)"},
		{&doctor.Remedy{Action: doctor.RemedyBinfmtLs, Arch: "aarch64"}, "", "check which handler matches aarch64 binaries: multiarch binfmt ls"},
		{&doctor.Remedy{Action: doctor.RemedyRunAsRoot}, "", "run build, test and ci with sudo, or point BUILDKIT_HOST at a running buildkitd"},
		{&doctor.Remedy{Action: doctor.RemedyRestartEmbedded}, "", "sudo multiarch builder down && sudo multiarch builder up"},
		{&doctor.Remedy{Action: doctor.RemedyNodeTLS, Endpoint: "tcp://a:1", TLS: tlsErr}, "",
			tlsAdvice(tlsErr) + "; BUILDKIT_HOST carries no TLS options: create a named builder with them (multiarch builder create NAME --node tcp://a:1 --tls-ca FILE ...) and use --builder NAME"},
		{&doctor.Remedy{Action: doctor.RemedyNodeTLS, Builder: "far", Endpoint: "tcp://a:1", TLS: tlsErr}, "",
			tlsAdvice(tlsErr) + "; to change them: multiarch builder rm far && multiarch builder create far --node tcp://a:1 --tls-ca FILE ..."},
		{&doctor.Remedy{Action: doctor.RemedyStartNode, Endpoint: "tcp://a:1"}, "", "start buildkitd at tcp://a:1, or unset BUILDKIT_HOST to use the embedded builder"},
		{&doctor.Remedy{Action: doctor.RemedyStartNode, Builder: "far", Endpoint: "tcp://a:1"}, "",
			"start buildkitd at tcp://a:1 (check its TLS files), or fix the endpoint: multiarch builder rm far && multiarch builder create far --node ..."},
		{&doctor.Remedy{Action: doctor.RemedyAddNode, Platform: "linux/riscv64", Arch: "riscv64"}, "",
			"add a riscv64 node (multiarch builder create NAME --node ENDPOINT ...), or register QEMU on a node: sudo multiarch binfmt install linux/riscv64"},
	}
	for _, tt := range tests {
		c := doctor.Check{Status: status.Fail, Fix: tt.fix, Remedy: tt.r}
		if got := fixText(c); got != tt.want {
			t.Errorf("fixText(%+v) = %q, want %q", tt.r, got, tt.want)
		}
	}
}

// TestWordFixes: the worded report carries every fix; the report given is
// left as it was.
func TestWordFixes(t *testing.T) {
	rep := &doctor.Report{Checks: []doctor.Check{
		{Kind: doctor.KindFlagF, Platform: "linux/arm64", Status: status.Fail, Remedy: &doctor.Remedy{Action: doctor.RemedyReregisterCF}},
		{Kind: doctor.KindRunc, Status: status.Fail, Fix: "sudo apt-get install runc"},
	}}
	got := wordFixes(rep)
	if got.Checks[0].Fix != "sudo multiarch binfmt reregister --flags CF" || got.Checks[1].Fix != "sudo apt-get install runc" {
		t.Errorf("worded fixes %+v", got.Checks)
	}
	if rep.Checks[0].Fix != "" {
		t.Errorf("wordFixes changed its argument: %+v", rep.Checks[0])
	}
}
