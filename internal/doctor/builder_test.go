package doctor

import (
	"net"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/status"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// A local general node and a remote arm64 node: arm64 goes native to the
// remote one, arm/v7 is emulated on the local one (this host's QEMU),
// riscv64 runs nowhere.
func TestRouteChecks(t *testing.T) {
	nodes := []builder.Node{{Endpoint: "unix:///run/bk.sock"}, {Endpoint: "tcp://pi:1234", Platforms: testenv.Platforms(t, "linux/arm64")}}
	sts := []*builder.NodeStatus{
		{Reachable: true, Workers: []builder.Worker{{Platforms: []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}}}},
		{Reachable: true, Workers: []builder.Worker{{Platforms: []string{"linux/arm64"}}}},
	}
	cs, hosted, unroutable := routeChecks(nodes, sts, testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/arm/v7"))
	want := map[string]string{
		"builder:linux/amd64":  "runs natively on unix:///run/bk.sock",
		"builder:linux/arm64":  "runs natively on tcp://pi:1234",
		"builder:linux/arm/v7": "runs under QEMU on unix:///run/bk.sock",
	}
	if len(cs) != len(want) || unroutable != nil {
		t.Fatalf("checks %+v, unroutable %v", cs, unroutable)
	}
	for _, c := range cs {
		if c.Status != status.Pass || !strings.Contains(c.Message, want[c.ID]) {
			t.Errorf("%s: %s %q, want OK containing %q", c.ID, c.Status, c.Message, want[c.ID])
		}
	}
	if len(hosted) != 1 || hosted[0].String() != "linux/arm/v7" {
		t.Errorf("hosted = %v, want [linux/arm/v7]", hosted)
	}

	cs, hosted, unroutable = routeChecks(nodes, sts, testenv.Platforms(t, "linux/arm64", "linux/riscv64"))
	if len(cs) != 1 || cs[0].ID != "builder:linux/riscv64" || cs[0].Status != status.Fail || remedyOf(&cs[0]) != (Remedy{Action: RemedyAddNode, Platform: "linux/riscv64", Arch: "riscv64"}) {
		t.Errorf("checks %+v, want one FAIL for riscv64 with the binfmt fix", cs)
	}
	if hosted != nil || len(unroutable) != 1 || unroutable[0].String() != "linux/riscv64" {
		t.Errorf("hosted %v unroutable %v", hosted, unroutable)
	}
}

// Remote nodes only: the host checks are not needed, and a node that does
// not answer fails with the fix that names the builder.
func TestBuilderChecksRemoteUnreachable(t *testing.T) {
	// This host's own non-loopback address on a closed port: refused at
	// once, and not loopback, so not counted as this host's emulation.
	far := "tcp://" + net.JoinHostPort(testenv.NonLoopbackIPv4(t).String(), "1")
	b := &Builder{Name: "far", Nodes: []builder.Node{{Endpoint: far, Platforms: testenv.Platforms(t, "linux/arm64")}}}
	cs, _, hostNeeded := b.checks(t.Context(), nil, nil)
	if hostNeeded {
		t.Error("hostNeeded = true for a builder of remote nodes")
	}
	if len(cs) != 1 || cs[0].Status != status.Fail || remedyOf(&cs[0]) != (Remedy{Action: RemedyStartNode, Builder: "far", Endpoint: far}) {
		t.Errorf("checks %+v, want one FAIL whose fix names the builder", cs)
	}
}

func TestDeclared(t *testing.T) {
	got := declared([]builder.Node{
		{Platforms: testenv.Platforms(t, "linux/arm64", "linux/arm/v7")},
		{Platforms: testenv.Platforms(t, "linux/arm64")},
		{},
	})
	var s []string
	for _, p := range got {
		s = append(s, p.String())
	}
	if strings.Join(s, ",") != "linux/arm64,linux/arm/v7" {
		t.Errorf("declared = %v", s)
	}
}

func TestIsLocal(t *testing.T) {
	for ep, want := range map[string]bool{
		"unix:///run/multiarch/buildkitd.sock": true,
		"tcp://127.0.0.1:1234":                 true,
		"tcp://[::1]:1234":                     true,
		"tcp://localhost:1234":                 true,
		"tcp://192.0.2.7:1234":                 false,
		"tcp://pi5:1234":                       false,
		"ssh://pi5":                            false,
	} {
		if got := isLocal(ep); got != want {
			t.Errorf("isLocal(%q) = %v, want %v", ep, got, want)
		}
	}
}
