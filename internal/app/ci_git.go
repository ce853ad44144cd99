package app

import (
	"context"
	"slices"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/gitmeta"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
)

// ResolveCI checks c and turns it into ci's plan. With tags from git
// (c.GitTags) the tags, labels and annotations of the commit built are
// computed first (gitmeta.Compute: the CI variables of env, else the
// checkout holding dir) and added to every repository c names; nothing is
// built or contacted but the git binary. A fact git or the environment
// cannot give is a *pipeline.ConfigError (source "tags from git")
// wrapping the *gitmeta.Error.
func ResolveCI(ctx context.Context, c pipeline.Config, dir string, env Env) (pipeline.Plan, error) {
	if !c.GitTags() {
		return c.Resolve()
	}
	m, err := gitmeta.Compute(ctx, gitmeta.Options{Dir: dir, Getenv: env.Get})
	if err != nil {
		return pipeline.Plan{}, &pipeline.ConfigError{Source: "tags from git", Err: err}
	}
	return c.WithGit(m)
}

// planAnnotations are the plan's annotations as the build sets them: on
// the index and on every platform's manifest, in key order.
func planAnnotations(m map[string]string) []build.Annotation {
	var out []build.Annotation
	for k, v := range m {
		out = append(out, build.Annotation{Key: k, Value: v, Index: true, Manifest: true})
	}
	slices.SortFunc(out, func(a, b build.Annotation) int { return strings.Compare(a.Key, b.Key) })
	return out
}
