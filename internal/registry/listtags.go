package registry

import (
	"context"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// ListTags lists the tags of repository repo (REGISTRY/REPOSITORY, no tag
// or digest) that start with prefix, at most limit of them, in the
// registry's order. It is for shell completion: ctx should carry a short
// deadline, and a failure is classified as every other registry failure.
func ListTags(ctx context.Context, repo, prefix string, limit int, opts Options) ([]string, error) {
	r, err := parseReference(repo, opts.Insecure)
	if err != nil {
		return nil, err
	}
	if r.remote == nil {
		return nil, nil
	}
	rp := r.remote.Context()
	tags, err := remote.List(rp, opts.remoteOptions(ctx, newGuard(opts))...)
	if err != nil {
		return nil, classify(err, repo, r.registry())
	}
	var out []string
	for _, t := range tags {
		if strings.HasPrefix(t, prefix) && len(out) < limit {
			out = append(out, t)
		}
	}
	return out, nil
}
