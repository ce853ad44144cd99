package build

import (
	"slices"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// PlatformStat is the time one platform of a build took, read from the
// vertex timings of BuildKit's progress stream.
type PlatformStat struct {
	Platform string `json:"platform"`
	// Node is the endpoint of the node that built it.
	Node string `json:"node"`
	// Emulated says the platform is not native on Node.
	Emulated bool `json:"emulated"`
	// Duration is the wall time during which any of its steps ran (cached
	// steps take none).
	Duration time.Duration `json:"-"`
	// Run is the part of Duration spent in RUN steps that executed under
	// emulation (steps of stages built FROM --platform=$BUILDPLATFORM run
	// natively and do not count).
	EmulatedRun time.Duration `json:"-"`
	// EmulatedCompile is the part of EmulatedRun spent in RUN steps that
	// run a compiler (runCompiles): what cross-compiling would speed up.
	EmulatedCompile time.Duration `json:"-"`
}

// interval is one vertex's run, in the clock of the node that ran it.
type interval struct{ start, end time.Time }

// vertexRec is what the stream said about one vertex so far.
type vertexRec struct {
	name           string
	started, ended *time.Time
	cached         bool
}

// timeline records the vertices of one node's solve.
type timeline struct {
	vertices map[digest.Digest]*vertexRec
	// pushing is the exporter's latest push phase ("pushing layers",
	// "pushing manifest for REF@DIGEST"), "" before any: what a failed
	// push was pushing when BuildKit's error does not say.
	pushing string
}

func newTimeline() *timeline { return &timeline{vertices: map[digest.Digest]*vertexRec{}} }

// add records a status update; later updates fill in what earlier ones
// left out.
func (tl *timeline) add(s *client.SolveStatus) {
	for _, v := range s.Vertexes {
		r := tl.vertices[v.Digest]
		if r == nil {
			r = &vertexRec{}
			tl.vertices[v.Digest] = r
		}
		r.name = v.Name
		if v.Started != nil {
			r.started = v.Started
		}
		if v.Completed != nil {
			r.ended = v.Completed
		}
		r.cached = r.cached || v.Cached
	}
	for _, st := range s.Statuses {
		if strings.HasPrefix(st.ID, "pushing ") {
			tl.pushing = st.ID
		}
	}
}

// step is a Dockerfile step parsed from its vertex name.
type step struct {
	target, exec string // normalised platforms; exec differs for cross stages
	run          bool
	// compiles: a RUN step whose command runs a compiler.
	compiles bool
}

// parseStep reads the prefix the Dockerfile frontend gives step vertices
// of multi-platform builds: "[linux/arm64 2/3] RUN …", "[linux/amd64->arm64
// build 1/4] RUN …" (a stage FROM --platform=$BUILDPLATFORM: runs on
// linux/amd64 for target linux/arm64), "[linux/arm64 internal] load …".
// ok is false for vertices of no platform.
func parseStep(name string) (s step, ok bool) {
	if !strings.HasPrefix(name, "[") {
		return s, false
	}
	head, rest, found := strings.Cut(name[1:], "] ")
	if !found {
		return s, false
	}
	fields := strings.Fields(head)
	if len(fields) == 0 {
		return s, false
	}
	exec, target, cross := strings.Cut(fields[0], "->")
	ep, err := platform.NormalizeName(exec)
	if err != nil || !startsWithOS(exec) {
		return s, false
	}
	s.exec, s.target = ep, ep
	if cross {
		if !startsWithOS(target) {
			osName, _, _ := strings.Cut(ep, "/")
			target = osName + "/" + target
		}
		if tp, err := platform.NormalizeName(target); err == nil {
			s.target = tp
		}
	}
	cmd, run := strings.CutPrefix(rest, "RUN ")
	s.run, s.compiles = run, run && runCompiles(cmd)
	return s, true
}

// startsWithOS tells "windows/amd64" (a platform) from "arm/v7" (an
// architecture and variant of the same OS) and from "2/3" (a step count).
func startsWithOS(s string) bool {
	os, _, found := strings.Cut(s, "/")
	return found && slices.Contains([]string{"linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "illumos", "aix", "plan9"}, os)
}

// emulatedSteps are the intervals of a node's emulated RUN steps: all of
// them, and those that compile.
type emulatedSteps struct{ run, compile []interval }

// stats turns the timeline of node a into one PlatformStat per platform
// of a, and returns the intervals of its emulated RUN steps.
func (tl *timeline) stats(a builder.Assignment) ([]PlatformStat, emulatedSteps) {
	native := builder.NativePlatforms(a.Node, a.Status)
	all := map[string][]interval{}
	runs, compiles := map[string][]interval{}, map[string][]interval{}
	var emulated emulatedSteps
	for _, v := range tl.vertices {
		if v.cached || v.started == nil || v.ended == nil {
			continue
		}
		s, ok := parseStep(v.name)
		if !ok {
			continue
		}
		iv := interval{*v.started, *v.ended}
		all[s.target] = append(all[s.target], iv)
		if s.run && !builder.NativeAmong(native, s.exec) {
			runs[s.target] = append(runs[s.target], iv)
			emulated.run = append(emulated.run, iv)
			if s.compiles {
				compiles[s.target] = append(compiles[s.target], iv)
				emulated.compile = append(emulated.compile, iv)
			}
		}
	}
	out := make([]PlatformStat, len(a.Platforms))
	for i, p := range a.Platforms {
		name := p.String()
		out[i] = PlatformStat{Platform: name, Node: a.Node.Endpoint, Emulated: a.Emulated[name],
			Duration: union(all[name]), EmulatedRun: union(runs[name]), EmulatedCompile: union(compiles[name])}
	}
	return out, emulated
}

// union is the total length covered by ivs (overlaps counted once).
func union(ivs []interval) time.Duration {
	if len(ivs) == 0 {
		return 0
	}
	ivs = slices.Clone(ivs)
	slices.SortFunc(ivs, func(a, b interval) int { return a.start.Compare(b.start) })
	var total time.Duration
	cur := ivs[0]
	for _, iv := range ivs[1:] {
		if iv.start.After(cur.end) {
			total += cur.end.Sub(cur.start)
			cur = iv
			continue
		}
		if iv.end.After(cur.end) {
			cur.end = iv.end
		}
	}
	return total + cur.end.Sub(cur.start)
}
