package builder

import (
	"errors"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// emulating is a node status of an amd64 host with QEMU for the usual
// targets, as BuildKit lists it (native platform first).
var emulating = &NodeStatus{Workers: []Worker{{ID: "w", Platforms: []string{
	"linux/amd64", "linux/amd64/v2", "linux/386", "linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/ppc64le", "linux/s390x"}}}}

func TestPlan(t *testing.T) {
	armNative := &NodeStatus{Workers: []Worker{{ID: "a", Platforms: []string{"linux/arm64", "linux/arm/v7", "linux/arm/v6"}}}}
	for _, tc := range []struct {
		name  string
		nodes []Node
		sts   []*NodeStatus
		want  string // "node:platforms(*emulated) ..."
	}{
		{"declared arm64 node takes arm64, general node the rest",
			[]Node{{Endpoint: "unix:///arm", Platforms: testenv.Platforms(t, "linux/arm64")}, {Endpoint: "unix:///gen"}},
			[]*NodeStatus{emulating, emulating},
			"unix:///arm:linux/arm64 unix:///gen:linux/amd64,linux/s390x*"},
		{"worker's first platform is native",
			[]Node{{Endpoint: "unix:///amd"}, {Endpoint: "unix:///arm"}},
			[]*NodeStatus{emulating, armNative},
			"unix:///amd:linux/amd64,linux/s390x* unix:///arm:linux/arm64"},
		{"dedicated node emulates only when nobody else can",
			[]Node{{Endpoint: "unix:///arm", Platforms: testenv.Platforms(t, "linux/arm64")}, {Endpoint: "unix:///amd", Platforms: testenv.Platforms(t, "linux/amd64")}},
			[]*NodeStatus{emulating, armNative},
			"unix:///arm:linux/arm64,linux/s390x* unix:///amd:linux/amd64"},
		{"emulated work is spread over equal nodes",
			[]Node{{Endpoint: "unix:///a"}, {Endpoint: "unix:///b"}},
			[]*NodeStatus{emulating, emulating},
			"unix:///a:linux/amd64,linux/s390x* unix:///b:linux/arm64*"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := Plan(tc.nodes, tc.sts, testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/s390x"))
			if err != nil {
				t.Fatal(err)
			}
			if got := planString(plan); got != tc.want {
				t.Errorf("plan %s, want %s", got, tc.want)
			}
		})
	}
}

func planString(plan []Assignment) string {
	var parts []string
	for _, a := range plan {
		var ps []string
		for _, p := range a.Platforms {
			s := p.String()
			if a.Emulated[s] {
				s += "*"
			}
			ps = append(ps, s)
		}
		parts = append(parts, a.Node.Endpoint+":"+strings.Join(ps, ","))
	}
	return strings.Join(parts, " ")
}

func TestPlanNoNodeNamesAllNodes(t *testing.T) {
	armNative := &NodeStatus{Workers: []Worker{{ID: "a", Platforms: []string{"linux/arm64"}}}}
	_, err := Plan([]Node{{Endpoint: "unix:///a"}, {Endpoint: "tcp://b:1234"}}, []*NodeStatus{armNative, armNative}, testenv.Platforms(t, "linux/riscv64"))
	var ue *UnsupportedPlatformError
	if !errors.As(err, &ue) || ue.Address != "unix:///a, tcp://b:1234" || ue.Platforms[0].String() != "linux/riscv64" {
		t.Fatalf("got %v", err)
	}
}

func TestNativeAmong(t *testing.T) {
	for _, tc := range []struct {
		native []string
		exec   string
		want   bool
	}{
		{[]string{"linux/amd64"}, "linux/amd64", true},
		{[]string{"linux/amd64"}, "linux/386", true},
		{[]string{"linux/amd64"}, "linux/arm64", false},
		{[]string{"linux/arm64"}, "linux/arm64/v8", true},
		{[]string{"linux/arm/v7"}, "linux/arm/v6", true},
		{[]string{"linux/386"}, "linux/amd64", false},
		{nil, "linux/amd64", false},
	} {
		if got := NativeAmong(tc.native, tc.exec); got != tc.want {
			t.Errorf("NativeAmong(%v, %s) = %v", tc.native, tc.exec, got)
		}
	}
}

func TestPlanOneNodeUnsupported(t *testing.T) {
	st := &NodeStatus{Address: "unix:///x", Workers: []Worker{{ID: "w", Platforms: []string{"linux/amd64", "linux/amd64/v2", "linux/arm/v7", "linux/arm64"}}}}
	nodes := []Node{{Endpoint: "unix:///x"}}
	if _, err := Plan(nodes, []*NodeStatus{st}, testenv.Platforms(t, "linux/amd64", "linux/arm/v5", "linux/arm/v6", "linux/arm64")); err != nil {
		t.Errorf("supported platforms refused: %v", err)
	}
	_, err := Plan(nodes, []*NodeStatus{st}, testenv.Platforms(t, "linux/amd64", "linux/s390x", "linux/ppc64le"))
	var ue *UnsupportedPlatformError
	if !errors.As(err, &ue) || len(ue.Platforms) != 2 || ue.Platforms[0].String() != "linux/s390x" || ue.Platforms[1].String() != "linux/ppc64le" {
		t.Fatalf("want s390x and ppc64le unsupported, got %v", err)
	}
}
