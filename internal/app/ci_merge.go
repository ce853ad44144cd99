package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// MergeOptions are one `ci merge`: the digest files fan-out runners
// wrote, the tags to write once the index they make is proved, and how to
// prove it.
type MergeOptions struct {
	// DigestDir holds the runners' digest files (pipeline.ReadDigestDir).
	DigestDir string
	// Tags are full references; the index is pushed by digest into the
	// first one's repository, where every digest file's image must be.
	Tags []string
	// Platforms are the platforms expected, exactly one digest file each.
	// nil: whatever platforms the files hold, one file each.
	Platforms []platform.Platform
	// Test, StrictCPU and SetupEmulation are as in ci's plan: the test of
	// every platform pulled by digest from the merged index.
	Test      string
	StrictCPU bool
	// Annotations go on the merged index (tags from git's labels: see
	// ResolveMergeTags). nil: none.
	Annotations    map[string]string
	SetupEmulation bool
	// Env, Builder: the builder the platforms are tested on (ResolveBuilder).
	Env      Env
	Builder  string
	Registry registry.Options
	Logger   *slog.Logger
}

// ShardPlatformError is a digest file whose image is not of the platform
// the file says: the runner built (or labelled) the wrong platform.
type ShardPlatformError struct {
	File, Ref, Claimed, Actual string
}

func (e *ShardPlatformError) Error() string {
	return fmt.Sprintf("%v: digest file %s says %s, but the image it names (%s) is %s; nothing was merged or tagged",
		ErrChecksFailed, e.File, e.Claimed, e.Ref, e.Actual)
}

func (e *ShardPlatformError) Unwrap() error { return ErrChecksFailed }

// Hint says where the wrong platform comes from.
func (e *ShardPlatformError) Hint() string {
	return "the job that wrote that file built another platform than it was asked for (check its platform and runner), or its file was renamed or edited; rerun that job"
}

// RunMerge merges the images fan-out runners pushed by digest into one
// index and publishes it with ci's proof: the digest files are read and
// checked first (one per platform, all of the tags' repository, the
// expected platforms exactly; a *pipeline.DigestFileError or
// *pipeline.ShardSetError before anything is contacted); then the steps
// setup-emulation (when asked), doctor, create-index (by digest only, each
// image's own platform matching its file's, else *ShardPlatformError),
// verify, test-pushed (each platform pulled by digest) and, only when all
// passed, tag. The summary is returned whether the run passed or not (nil
// when the input was refused).
func RunMerge(ctx context.Context, o MergeOptions, s CISinks) (*pipeline.Summary, error) {
	if len(o.Tags) == 0 {
		return nil, &pipeline.ConfigError{Source: "tags", Err: pipeline.ErrNoTags}
	}
	shards, err := pipeline.ReadDigestDir(o.DigestDir)
	if err == nil {
		shards, err = pipeline.CheckShards(shards, o.Tags[0], o.Platforms)
	}
	if err != nil {
		return nil, err
	}
	plan := pipeline.Plan{Tags: o.Tags, Test: o.Test, StrictCPU: o.StrictCPU, SetupEmulation: o.SetupEmulation, Annotations: o.Annotations}
	for _, sh := range shards {
		plan.Platforms = append(plan.Platforms, sh.Parsed)
	}
	r := &ciRun{o: CIOptions{Plan: plan, Env: o.Env, Builder: o.Builder, Registry: o.Registry, Logger: o.Logger}, s: s}
	r.sum.Tags, r.sum.TagsWritten = o.Tags, []string{}
	for _, p := range plan.Platforms {
		r.sum.Platforms = append(r.sum.Platforms, p.String())
	}
	ci := r.tasks(BuildOptions{})
	tasks := []pipeline.Task{taskNamed(ci, "setup-emulation"), taskNamed(ci, "doctor"),
		{Name: "create-index", Run: r.worded(func(ctx context.Context) (string, error) { return r.createIndex(ctx, shards) })},
		taskNamed(ci, "verify"), taskNamed(ci, "test-pushed"), taskNamed(ci, "tag")}
	runErr := pipeline.Run(ctx, &r.sum, tasks, s.OnStep)
	var se *pipeline.StepError
	if errors.As(runErr, &se) {
		runErr = &stoppedError{se}
	}
	return &r.sum, runErr
}

// ResolveMergeTags expands c's tags as ci does (bare tags of c.Image),
// adding, with tags from git, the tags of the commit of the checkout
// holding dir and the CI environment (see ResolveCI) to every repository
// c names; annotations are then the OCI labels of that commit, for the
// merged index. c's platforms are not read: the digest files give them.
func ResolveMergeTags(ctx context.Context, c pipeline.Config, dir string, env Env) ([]string, map[string]string, error) {
	if !c.GitTags() {
		tags, err := c.ResolveTags()
		return tags, nil, err
	}
	c.Platforms = []string{platform.Host().String()} // a plan needs one; merge's come from the files
	p, err := ResolveCI(ctx, c, dir, env)
	if err != nil {
		return nil, nil, err
	}
	return p.Tags, p.Annotations, nil
}

// taskNamed is ci's task of that name: merge runs ci's own steps after
// its create-index.
func taskNamed(ts []pipeline.Task, name string) pipeline.Task {
	for _, t := range ts {
		if t.Name == name {
			return t
		}
	}
	panic("app: ci has no step " + name)
}

// createIndex pushes, by digest only, the index of the shards' images
// into the first tag's repository; every image must be of its file's
// platform (registry's given platforms).
func (r *ciRun) createIndex(ctx context.Context, shards []pipeline.Shard) (string, error) {
	sources := make([]string, len(shards))
	given := map[string]platform.Platform{}
	byRef := map[string]pipeline.Shard{}
	for i, sh := range shards {
		sources[i] = sh.Ref()
		given[sh.Ref()], byRef[sh.Ref()] = sh.Parsed, sh
	}
	created, err := registry.CreateIndex(ctx, r.o.Plan.Tags[0], sources, registry.CreateOptions{
		Options: r.o.Registry, Untagged: true, Platforms: given, Variant: variantFromBinaries, Annotations: r.o.Plan.Annotations})
	var pne *registry.PlatformNeededError
	if errors.As(err, &pne) {
		sh := byRef[pne.Source]
		return "", &ShardPlatformError{File: filepath.Base(sh.File), Ref: sh.Ref(), Claimed: sh.Parsed.String(), Actual: pne.Stated}
	}
	if err != nil {
		return "", err
	}
	r.pushed = registry.Repository(r.o.Plan.Tags[0]) + "@" + created.Digest
	r.sum.Digest, r.sum.Pushed = created.Digest, r.pushed
	var ps []string
	for _, m := range created.Manifests {
		if !m.Attestation {
			ps = append(ps, m.Platform)
		}
	}
	return fmt.Sprintf("%s pushed by digest, no tag yet: %s", r.pushed, strings.Join(ps, ", ")), nil
}
