package doctor

import (
	"context"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/status"
)

// The IDs scripts read are derived from Kind, Platform and Node, and stay
// what they were when they were spelled out by hand.
func TestCheckIDs(t *testing.T) {
	tests := []struct {
		c    Check
		id   string
		name string // Check.Name, the text report's label
	}{
		{about(KindKernel, ""), "kernel", "kernel"},
		{about(KindBinfmt, ""), "binfmt_misc", "binfmt_misc"},
		{about(KindEmulators, ""), "emulators", "emulators"},
		{about(KindHostEmulation, ""), "host-emulation", "host-emulation"},
		{about(KindNative, "linux/amd64"), "linux/amd64:native", "native"},
		{about(KindHandler, "linux/arm64"), "linux/arm64:handler", "handler"},
		{about(KindEnabled, "linux/arm64"), "linux/arm64:enabled", "enabled"},
		{about(KindFlagF, "linux/arm/v7"), "linux/arm/v7:flag-F", "flag-F"},
		{about(KindFlagC, "linux/arm/v7"), "linux/arm/v7:flag-C", "flag-C"},
		{about(KindInterpreter, "linux/s390x"), "linux/s390x:interpreter", "interpreter"},
		{about(KindQEMUVersion, "linux/s390x"), "linux/s390x:qemu-version", "qemu-version"},
		{about(KindProbe, "linux/riscv64"), "linux/riscv64:probe", "probe"},
		{about(KindStrictCPU, "linux/arm/v6"), "linux/arm/v6:strict-cpu", "strict-cpu"},
		{about(KindBuildkitd, ""), "builder:buildkitd", "buildkitd"},
		{about(KindRunc, ""), "builder:runc", "runc"},
		{about(KindRoot, ""), "builder:root", "root"},
		{about(KindDaemon, ""), "builder:daemon", "daemon"},
		{aboutNode(1), "builder:node-1", "node-1"},
		{about(KindRoute, ""), "builder:route", "route"},
		{about(KindRoute, "linux/arm64"), "builder:linux/arm64", "linux/arm64"},
	}
	for _, tt := range tests {
		c := ok(tt.c, "m")
		if c.ID != tt.id || c.Name() != tt.name {
			t.Errorf("%s %q: ID %q name %q, want %q %q", c.Kind, c.Platform, c.ID, c.Name(), tt.id, tt.name)
		}
	}
}

// --fix follows Kind and Platform: a check whose ID text says something
// else is fixed (or left) by what it is.
func TestFixByKind(t *testing.T) {
	h := healthy()
	h.mounted = false
	h.handlers["aarch64"].Flags = "P" // what the flag-F check below says
	f := &fakeFixer{h: h}
	rep := &Report{Checks: []Check{
		{ID: "renamed", Kind: KindFlagF, Platform: "linux/arm64", Status: status.Fail},
		{ID: "also-renamed", Kind: KindBinfmt, Status: status.Fail},
		{ID: "linux/s390x:flag-F", Kind: KindNative, Platform: "linux/s390x", Status: status.Fail},
		{ID: "linux/arm/v7:enabled", Kind: KindRoute, Platform: "linux/arm/v7", Status: status.Fail},
		{ID: "linux/riscv64:handler", Kind: KindKernel, Status: status.Fail},
	}}
	did, err := (&Doctor{host: h, fixer: f}).fix(context.Background(), rep)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.calls, ","); got != "reregister aarch64,mount" || len(did) != 2 {
		t.Errorf("fixes = %q (did %v), want reregister aarch64,mount", got, did)
	}
}

// --json carries kind and platform beside the ID, and the status in the
// lowercase spelling of internal/status.
func TestReportJSONKindAndPlatform(t *testing.T) {
	b := healthyReportJSON(t)
	for _, want := range []string{
		`{"id":"kernel","kind":"kernel","status":"pass",`,
		`{"id":"linux/arm64:flag-F","kind":"flag-F","platform":"linux/arm64","status":"pass",`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}
