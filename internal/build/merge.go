package build

import (
	"context"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// buildMerged runs one solve per node of plan at once, each pushing its
// images by digest, then assembles the index from them and pushes it by
// digest (internal/registry's CreateIndex: children first, index last, no
// tag). Without Push the nodes build into their caches only.
func buildMerged(ctx context.Context, cs *builder.Conns, plan []builder.Assignment, o Options) (*Result, error) {
	solves := make([]*nodeSolve, len(plan))
	for i, a := range plan {
		s, err := newNodeSolve(cs.Clients[a.Index], a, o, exportByDigest)
		if err != nil {
			return nil, err
		}
		solves[i] = s
	}
	if err := runSolves(ctx, o, solves, true); err != nil {
		return nil, fmt.Errorf("build failed, no tag written: %w", err)
	}
	res := &Result{}
	var emulated emulatedSteps
	for _, s := range solves {
		stats, em := s.tl.stats(s.a)
		res.Stats = append(res.Stats, stats...)
		emulated.run = append(emulated.run, em.run...)
		emulated.compile = append(emulated.compile, em.compile...)
	}
	res.EmulatedRun, res.EmulatedCompile = union(emulated.run), union(emulated.compile)
	if !o.Push {
		return res, nil
	}
	if err := merge(ctx, o, solves, res); err != nil {
		return nil, err
	}
	return res, nil
}

// merge writes the index of every node's images by digest into the
// first tag's repository, index annotations and attestations kept.
func merge(ctx context.Context, o Options, solves []*nodeSolve, res *Result) error {
	repo := registry.Repository(o.Tags[0])
	sources := make([]string, len(solves))
	for i, s := range solves {
		d := s.resp.ExporterResponse[exporterDigestKey]
		if d == "" {
			return fmt.Errorf("node %s reported no image digest", s.a.Node.Endpoint)
		}
		sources[i] = repo + "@" + d
	}
	created, err := registry.CreateIndex(ctx, o.Tags[0], sources, registry.CreateOptions{
		Options:     o.Registry,
		Annotations: o.indexAnnotations(),
		Untagged:    true,
	})
	if err != nil {
		return fmt.Errorf("every platform built and pushed by digest, but the index could not be written: %w", err)
	}
	res.Digest, res.Ref, res.Pushed = created.Digest, repo+"@"+created.Digest, true
	res.Descriptor = &Descriptor{MediaType: created.MediaType, Digest: created.Digest, Size: created.Size}
	for _, m := range created.Manifests {
		if !m.Attestation {
			res.Platforms = append(res.Platforms, PlatformDigest{Platform: m.Platform, Digest: m.Digest})
		}
	}
	setNodes(res.Platforms, res.Stats)
	return nil
}
