package build

import (
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func TestParseStep(t *testing.T) {
	for _, tc := range []struct {
		name         string
		target, exec string
		run, ok      bool
	}{
		{"[linux/arm64 2/2] RUN uname -m > /built-on", "linux/arm64", "linux/arm64", true, true},
		{"[linux/arm/v6  1/10] FROM docker.io/library/busybox", "linux/arm/v6", "linux/arm/v6", false, true},
		{"[linux/amd64->arm64 build 3/4] RUN go build .", "linux/arm64", "linux/amd64", true, true},
		{"[linux/amd64->arm/v7 build 3/4] RUN go build .", "linux/arm/v7", "linux/amd64", true, true},
		{"[linux/s390x internal] load metadata for 127.0.0.1:5000/busybox:latest", "linux/s390x", "linux/s390x", false, true},
		{"[internal] load build definition from Dockerfile", "", "", false, false},
		{"[2/2] RUN true", "", "", false, false},
		{"exporting to image", "", "", false, false},
	} {
		s, ok := parseStep(tc.name)
		if ok != tc.ok || s.target != tc.target || s.exec != tc.exec || s.run != tc.run {
			t.Errorf("%q: got %+v %v", tc.name, s, ok)
		}
	}
}

func TestUnion(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(a, b int) interval {
		return interval{t0.Add(time.Duration(a) * time.Second), t0.Add(time.Duration(b) * time.Second)}
	}
	if got := union([]interval{at(5, 7), at(0, 2), at(1, 3), at(6, 6)}); got != 5*time.Second {
		t.Errorf("union = %v, want 5s", got)
	}
	if union(nil) != 0 {
		t.Error("empty union not 0")
	}
}

// emulating is a node status of an amd64 host with QEMU for the usual
// targets, as BuildKit lists it (native platform first).
var emulating = &builder.NodeStatus{Workers: []builder.Worker{{ID: "w", Platforms: []string{
	"linux/amd64", "linux/amd64/v2", "linux/386", "linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/ppc64le", "linux/s390x"}}}}

// TestTimelineStats feeds a status stream as BuildKit sends it (a vertex
// started, then completed, in two updates) and reads per-platform times
// and emulated RUN time back.
func TestTimelineStats(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ts := func(s int) *time.Time { x := t0.Add(time.Duration(s) * time.Second); return &x }
	tl := newTimeline()
	send := func(d, name string, start, end *time.Time, cached bool) {
		tl.add(&client.SolveStatus{Vertexes: []*client.Vertex{{Digest: digest.FromString(d), Name: name, Started: start, Completed: end, Cached: cached}}})
	}
	send("a1", "[linux/amd64 1/2] FROM base", ts(0), nil, false)
	send("a1", "[linux/amd64 1/2] FROM base", ts(0), ts(1), false)
	send("a2", "[linux/amd64 2/2] RUN make", ts(1), ts(3), false)
	send("s1", "[linux/s390x 1/2] FROM base", ts(0), ts(1), false)
	send("s2", "[linux/s390x 2/2] RUN make", ts(1), ts(9), false)
	send("x1", "[linux/amd64->s390x build 1/1] RUN go build", ts(0), ts(4), false)
	send("c1", "[linux/s390x 0/2] RUN cached", ts(0), ts(0), true)
	send("i", "[internal] load build definition from Dockerfile", ts(0), ts(10), false)
	a := builder.Assignment{Node: builder.Node{Endpoint: "unix:///n"}, Status: emulating,
		Platforms: testenv.Platforms(t, "linux/amd64", "linux/s390x"), Emulated: map[string]bool{"linux/s390x": true}}
	stats, em := tl.stats(a)
	if len(stats) != 2 {
		t.Fatalf("stats %+v", stats)
	}
	if s := stats[0]; s.Platform != "linux/amd64" || s.Emulated || s.Duration != 3*time.Second || s.EmulatedRun != 0 {
		t.Errorf("amd64: %+v", s)
	}
	if s := stats[1]; s.Platform != "linux/s390x" || !s.Emulated || s.Duration != 9*time.Second || s.EmulatedRun != 8*time.Second {
		t.Errorf("s390x: %+v", s)
	}
	if union(em.run) != 8*time.Second || union(em.compile) != 8*time.Second {
		t.Errorf("emulated RUN %v, compiling %v, want 8s (the cross-compiling RUN runs natively)", union(em.run), union(em.compile))
	}
	r := &Result{Duration: 10 * time.Second, EmulatedRun: union(em.run), EmulatedCompile: union(em.compile)}
	if !r.EmulationDominates() {
		t.Error("8s of 10s emulated does not dominate")
	}
}

func TestRelabelKeepsGraph(t *testing.T) {
	a, b := digest.FromString("a"), digest.FromString("b")
	s := &client.SolveStatus{
		Vertexes: []*client.Vertex{{Digest: b, Name: "[linux/arm64 2/2] RUN x", Inputs: []digest.Digest{a}}},
		Logs:     []*client.VertexLog{{Vertex: b, Data: []byte("hi")}},
		Statuses: []*client.VertexStatus{{ID: "s", Vertex: b}},
	}
	r1, r2 := relabel(s, "node0"), relabel(s, "node1")
	v := r1.Vertexes[0]
	if v.Digest == b || v.Digest == r2.Vertexes[0].Digest || v.Name != "node0: [linux/arm64 2/2] RUN x" {
		t.Errorf("vertex %+v", v)
	}
	if r1.Logs[0].Vertex != v.Digest || r1.Statuses[0].Vertex != v.Digest || v.Inputs[0] != relabel(&client.SolveStatus{Vertexes: []*client.Vertex{{Digest: a}}}, "node0").Vertexes[0].Digest {
		t.Error("references not rewritten consistently")
	}
	if s.Vertexes[0].Digest != b {
		t.Error("input status modified")
	}
}

func TestRunCompiles(t *testing.T) {
	for cmd, want := range map[string]bool{
		"gcc -O2 -o /x x.c": true,
		"make -j4":          true,
		"cd /src && ./configure && make && make install":    true,
		"CGO_ENABLED=0 go build -o /app .":                  true,
		"--mount=type=cache,target=/root/.cache go build .": true,
		`["cargo", "build", "--release"]`:                   true,
		"sh -c 'cmake .. && ninja'":                         true,
		"/usr/bin/clang++ main.cc":                          true,
		"npm ci && npm run build":                           true,
		"pip wheel -w /wheels .":                            true,
		"apt-get update && apt-get install -y gcc make":     false, // installs them, compiles nothing
		"sleep 3":                       false,
		"go version":                    false,
		"npm ci":                        false,
		"echo make":                     false,
		"apk add --no-cache build-base": false,
		"i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done": false,
	} {
		if got := runCompiles(cmd); got != want {
			t.Errorf("runCompiles(%q) = %v, want %v", cmd, got, want)
		}
	}
}

// TestEmulationDominatesOnlyCompiling: the same emulated time in RUN
// steps that install packages or sleep gives no cross-compile hint.
func TestEmulationDominatesOnlyCompiling(t *testing.T) {
	for _, tc := range []struct {
		run  string
		want bool
	}{{"RUN apt-get install -y curl", false}, {"RUN sleep 8", false}, {"RUN make", true}} {
		t0 := time.Unix(1000, 0)
		ts := func(s int) *time.Time { x := t0.Add(time.Duration(s) * time.Second); return &x }
		tl := newTimeline()
		tl.add(&client.SolveStatus{Vertexes: []*client.Vertex{{Digest: digest.FromString("s"), Name: "[linux/s390x 2/2] " + tc.run, Started: ts(1), Completed: ts(9)}}})
		a := builder.Assignment{Node: builder.Node{Endpoint: "unix:///n"}, Status: emulating,
			Platforms: testenv.Platforms(t, "linux/s390x"), Emulated: map[string]bool{"linux/s390x": true}}
		_, em := tl.stats(a)
		r := &Result{Duration: 10 * time.Second, EmulatedRun: union(em.run), EmulatedCompile: union(em.compile)}
		if r.EmulatedRun != 8*time.Second || r.EmulationDominates() != tc.want {
			t.Errorf("%s: emulated %v, compiling %v, dominates %v", tc.run, r.EmulatedRun, r.EmulatedCompile, r.EmulationDominates())
		}
	}
}
