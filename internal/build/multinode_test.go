package build

import (
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	controlapi "github.com/moby/buildkit/api/services/control"
	bkclient "github.com/moby/buildkit/client"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// twoNodes starts two buildkitd processes: the first declared the native
// linux/arm64 node, the second a general node (native linux/amd64).
func twoNodes(t *testing.T) (arm, gen *testenv.Buildkitd, nodes []builder.Node) {
	t.Helper()
	arm, gen = testenv.StartBuildkitd(t), testenv.StartBuildkitd(t)
	return arm, gen, []builder.Node{{Endpoint: arm.Address, Platforms: testenv.Platforms(t, "linux/arm64")}, {Endpoint: gen.Address}}
}

// TestTwoNodeBuild builds examples/hello on two nodes and proves from each
// daemon's own build history which node built which platform.
func TestTwoNodeBuild(t *testing.T) {
	testenv.LockHostBinfmt(t)
	arm, gen, nodes := twoNodes(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/s390x")
	reg, base := registryWithBase(t, ps)
	tags := []string{reg.Ref("hello", "v1"), reg.Ref("hello", "latest")}

	res, err := BuildOn(t.Context(), nodes, Options{
		ContextDir: filepath.Join(testenv.RepoRoot(t), "examples", "hello"),
		Platforms:  ps, Push: true, Tags: tags, BuildArgs: map[string]string{"BASE": base},
		Labels:      map[string]string{"org.example.built-by": "two-node-test"},
		Annotations: []Annotation{{Key: "org.example.note", Value: "merged", Index: true, Manifest: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("result: %+v", res)

	// One index with exactly these platforms under both tags.
	digests := map[string]string{} // platform → manifest digest
	for _, tag := range tags {
		idx, err := remote.Index(mustRef(t, tag))
		if err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		if d, _ := idx.Digest(); d.String() != res.Digest {
			t.Errorf("%s is %s, result says %s", tag, d, res.Digest)
		}
		im, _ := idx.IndexManifest()
		var got []string
		attested := map[string]bool{}
		for _, m := range im.Manifests {
			// Each node's provenance (on by default with Push) is merged
			// in next to its image.
			if subject, ok := registry.Attestation(m); ok {
				attested[subject] = true
				continue
			}
			p := m.Platform.OS + "/" + m.Platform.Architecture
			got = append(got, p)
			digests[p] = m.Digest.String()
		}
		slices.Sort(got)
		if !slices.Equal(got, []string{"linux/amd64", "linux/arm64", "linux/s390x"}) {
			t.Fatalf("%s platforms %v", tag, got)
		}
		for p, d := range digests {
			if !attested[d] {
				t.Errorf("%s: %s (%s) has no attestation in the merged index", tag, p, d)
			}
		}
		if im.Annotations["org.example.note"] != "merged" {
			t.Errorf("index annotations %v", im.Annotations)
		}
		checkBuiltOn(t, idx, ps)
	}

	// Proof: each daemon's own history says which platforms it was asked
	// to build and which image it exported; the arm64 manifest of the
	// merged index is in the arm node's export, the others in the general
	// node's, and neither node was asked for the other's platforms.
	armRecs, genRecs := history(t, arm.Address), history(t, gen.Address)
	if len(armRecs) != 1 || len(genRecs) != 1 {
		t.Fatalf("want one build per node, got %d and %d", len(armRecs), len(genRecs))
	}
	checkNodeBuilt(t, "arm node", armRecs[0], tags[0], "linux/arm64", map[string]string{"linux/arm64": digests["linux/arm64"]})
	checkNodeBuilt(t, "general node", genRecs[0], tags[0], "linux/amd64,linux/s390x",
		map[string]string{"linux/amd64": digests["linux/amd64"], "linux/s390x": digests["linux/s390x"]})

	for _, s := range res.Stats {
		want := gen.Address
		if s.Platform == "linux/arm64" {
			want = arm.Address
		}
		if s.Node != want || s.Emulated != (s.Platform == "linux/s390x") || s.Duration <= 0 {
			t.Errorf("stat %+v: want node %s", s, want)
		}
		// Only s390x runs emulated here: its RUN counts, the native ones' do not.
		if (s.EmulatedRun > 0) != s.Emulated {
			t.Errorf("stat %+v: emulated RUN time only for the emulated platform", s)
		}
	}
	if res.EmulatedRun <= 0 || res.EmulatedRun > res.Duration {
		t.Errorf("emulated RUN time %v of %v", res.EmulatedRun, res.Duration)
	}
}

// checkBuiltOn reads /built-on of every platform: its own machine name.
func checkBuiltOn(t *testing.T, idx v1.ImageIndex, ps []platform.Platform) {
	t.Helper()
	for _, p := range ps {
		machine := strings.TrimSpace(string(testenv.ReadFile(t, testenv.ImageFor(t, idx, p), "/built-on")))
		if !p.UnameOK(machine) {
			t.Errorf("%s: /built-on = %q", p, machine)
		}
	}
}

// history returns the finished build records of the daemon at address.
func history(t *testing.T, address string) []*controlapi.BuildHistoryRecord {
	t.Helper()
	c, err := bkclient.New(t.Context(), address)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := c.ControlClient().ListenBuildHistory(t.Context(), &controlapi.BuildHistoryRequest{EarlyExit: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []*controlapi.BuildHistoryRecord
	for {
		ev, err := cl.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Record != nil && ev.Record.CompletedAt != nil {
			out = append(out, ev.Record)
		}
	}
}

// checkNodeBuilt checks that rec asked for exactly platforms and exported
// an index holding exactly want (platform → manifest digest).
func checkNodeBuilt(t *testing.T, node string, rec *controlapi.BuildHistoryRecord, tag, platforms string, want map[string]string) {
	t.Helper()
	if got := rec.FrontendAttrs["platform"]; got != platforms {
		t.Errorf("%s was asked for %q, want %q", node, got, platforms)
	}
	// The daemon records the descriptor of what its exporter wrote.
	if rec.Result == nil || rec.Result.Results[0] == nil {
		t.Fatalf("%s recorded no export: %v", node, rec.Result)
	}
	d := rec.Result.Results[0].Digest
	idx, err := remote.Index(mustRef(t, tag).Context().Digest(d))
	if err != nil {
		t.Fatalf("%s's export %s: %v", node, d, err)
	}
	im, _ := idx.IndexManifest()
	got := map[string]string{}
	for _, m := range im.Manifests {
		if _, ok := registry.Attestation(m); ok {
			continue // its provenance; the merged index's are checked by the caller
		}
		got[m.Platform.OS+"/"+m.Platform.Architecture] = m.Digest.String()
	}
	if len(got) != len(want) {
		t.Errorf("%s exported %v, want %v", node, got, want)
	}
	for p, d := range want {
		if got[p] != d {
			t.Errorf("%s: %s is %s in its export, %s in the merged index", node, p, got[p], d)
		}
	}
}

// TestTwoNodeFailureLeavesNoTag fails the arm64 RUN on the arm node: the
// general node's solve is cancelled or discarded and no tag is written.
func TestTwoNodeFailureLeavesNoTag(t *testing.T) {
	testenv.LockHostBinfmt(t)
	arm, _, nodes := twoNodes(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/s390x")
	reg, base := registryWithBase(t, ps)
	dir := writeContext(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN [ \"$(uname -m)\" != aarch64 ]\n"})
	tag := reg.Ref("fails", "v1")
	_, err := BuildOn(t.Context(), nodes, Options{ContextDir: dir, Platforms: ps, Push: true, Tags: []string{tag}, BuildArgs: map[string]string{"BASE": base}})
	var ne *NodeBuildError
	if !errors.As(err, &ne) || ne.Node != arm.Address || !strings.Contains(err.Error(), "linux/arm64") {
		t.Fatalf("want a NodeBuildError of the arm node, got %v", err)
	}
	testenv.CheckNotPushed(t, tag)
}

// TestRegistryCacheAcrossBuilders exports the cache of a RUN that writes a
// random value from one builder and imports it on another: the second
// image holds the same value, so its RUN came from the cache.
func TestRegistryCacheAcrossBuilders(t *testing.T) {
	first, second := testenv.StartBuildkitd(t), testenv.StartBuildkitd(t)
	ps := testenv.Platforms(t, "linux/amd64")
	reg, base := registryWithBase(t, ps)
	dir := writeContext(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN head -c 16 /dev/urandom | od -An -tx1 > /random\n"})
	cache, err := ParseCacheSpec("type=registry,ref=" + reg.Ref("cache", "hello") + ",mode=max")
	if err != nil {
		t.Fatal(err)
	}
	random := func(addr, tag string, o Options) string {
		o.ContextDir, o.Platforms, o.Push, o.Tags, o.BuildArgs = dir, ps, true, []string{tag}, map[string]string{"BASE": base}
		if _, err := buildAt(t.Context(), addr, o); err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Index(mustRef(t, tag))
		if err != nil {
			t.Fatal(err)
		}
		return string(testenv.ReadFile(t, testenv.ImageFor(t, idx, ps[0]), "/random"))
	}
	a := random(first.Address, reg.Ref("hello", "a"), Options{CacheTo: []CacheSpec{cache}})
	b := random(second.Address, reg.Ref("hello", "b"), Options{CacheFrom: []CacheSpec{cache}})
	// 16 random bytes: equal only when the RUN was not run again.
	if a != b {
		t.Errorf("second builder ran the RUN again (%q, first %q): cache not imported", b, a)
	}
}
