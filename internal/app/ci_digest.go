package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// byDigest puts a digest-file step in place of the tag step of a run
// pushed by digest (CIOptions.PushByDigest): the merge job writes the tags
// once it has proved the whole index, so a fan-out runner writes none.
func (r *ciRun) byDigest(tasks []pipeline.Task) []pipeline.Task {
	r.sum.Tags = []string{}
	for i, t := range tasks {
		if t.Name == "tag" {
			tasks[i] = pipeline.Task{Name: "digest-file", Run: r.worded(r.untagged(r.recordDigests))}
		}
	}
	return tasks
}

// recordDigests reads back, by digest, each platform image of the index
// the build step pushed (and verify and test-pushed proved), and writes one
// pipeline.DigestFile per platform into DigestDir when set: what `ci
// merge` builds the index from.
func (r *ciRun) recordDigests(ctx context.Context) (string, error) {
	pds, err := registry.IndexPlatforms(ctx, r.pushed, r.o.Registry)
	if err != nil {
		return "", err
	}
	repo := registry.Repository(r.pushed)
	var lines []string
	for _, pd := range pds {
		p, err := platform.Parse(pd.Platform)
		if err != nil {
			return "", fmt.Errorf("pushed index %s: entry %s: %w", r.pushed, pd.Digest, err)
		}
		d := pipeline.DigestFile{Version: pipeline.DigestFileVersion, Repository: repo, Digest: pd.Digest, Platform: p.String()}
		res, err := registry.Resolve(ctx, d.Ref(), r.o.Registry)
		if err != nil {
			return "", err
		}
		d.MediaType, d.Size = string(res.Descriptor.MediaType), res.Descriptor.Size
		line := p.String() + " " + d.Ref()
		if r.o.DigestDir != "" {
			path, err := pipeline.WriteDigestFile(r.o.DigestDir, d, p)
			if err != nil {
				return "", fmt.Errorf("digest file for %s: %w", p, err)
			}
			line += " → " + path
		}
		lines = append(lines, line)
	}
	return "pushed by digest only, no tag (ci merge writes them): " + strings.Join(lines, "; "), nil
}
