package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

type ciMergeFlags struct {
	digestDir, platforms, image, test, builder string
	tags                                       []string
	strictCPU, setupEmulation, asJSON, gitTags bool
}

func newCIMergeCmd() *cobra.Command {
	f := &ciMergeFlags{}
	cmd := &cobra.Command{
		Use:   "merge --digest-dir DIR -t REF [-t REF...]",
		Short: "Fan-out's last job: merge the digests runners pushed into one index, prove it, then tag it",
		Long: `Merge the images that ` + "`ci --push-by-digest --digest-dir DIR`" + ` pushed on each runner into one
index, and publish it with ci's proof, stopping at the first failing step:

  read             every DIR/*.json digest file: one per platform, all in the first tag's
                   repository, exactly the --platform list when given (before anything is contacted)
  setup-emulation  with --setup-emulation, as in ci
  doctor           host checks for the platforms this machine must emulate to test them
  create-index     the index of those images, pushed by digest only; each image must be of the
                   platform its file says
  verify           every ELF file of every platform of the index against its platform
  test-pushed      each platform pulled by digest and tested on the builder
  tag              only now every tag is written, one at a time

A refused file set, a wrong-architecture image or a failed check writes no tag.`,
		Example: `  multiarch ci merge --digest-dir digests --platform linux/amd64,linux/arm64 \
    --image ghcr.io/acme/app -t 1.0 -t latest --test 'app --version'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runMerge(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.digestDir, "digest-dir", "", "directory holding the runners' digest files (required)")
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, "full reference, or a tag of --image; repeatable (required)")
	fl.StringVar(&f.image, "image", "", "repository bare tags belong to")
	fl.StringVar(&f.platforms, "platform", "", "platforms expected, comma separated: exactly one digest file each")
	fl.StringVar(&f.test, "test", "", "test command `CMD`, run as sh -c CMD in every platform pulled by digest")
	fl.BoolVar(&f.strictCPU, "strict-cpu", false, "test emulated platforms on the oldest CPU model of their variant")
	fl.BoolVar(&f.setupEmulation, "setup-emulation", false, "register QEMU handlers for the foreign platforms first (root)")
	fl.StringVar(&f.builder, "builder", "", "test on the named builder `NAME`")
	fl.BoolVar(&f.gitTags, "tags-from-git", false, "add the tags of the commit checked out in the current directory (and the CI environment) to every repository named, and its OCI labels as the index's annotations, as ci does")
	fl.BoolVar(&f.asJSON, "json", false, "print the summary as JSON (step output goes to stderr)")
	_ = cmd.MarkFlagRequired("digest-dir")
	addRegistryFlags(cmd)
	return cmd
}

// onMergeStep, when set (by tests), sees each merge step as it ends: a
// test reads the registry there to prove no tag exists before the tag step.
var onMergeStep func(pipeline.Step)

// errMergeNoTags is ci merge without -t.
var errMergeNoTags = errors.New("name the tags to write with -t (a full reference, or a tag of --image)")

// options checks the flags; nothing runs before they pass.
func (f *ciMergeFlags) options(cmd *cobra.Command) (app.MergeOptions, error) {
	o := app.MergeOptions{DigestDir: f.digestDir, Test: f.test, StrictCPU: f.strictCPU, SetupEmulation: f.setupEmulation,
		Env: appEnv(), Builder: f.builder, Registry: registryOptions(cmd), Logger: logger(cmd)}
	if len(f.tags) == 0 && !f.gitTags {
		return o, errMergeNoTags
	}
	c := pipeline.Config{Tags: f.tags, Image: f.image, TagsFromGit: &f.gitTags}
	tags, annotations, err := app.ResolveMergeTags(cmd.Context(), c, ".", appEnv())
	if err != nil {
		return o, fmt.Errorf("ci merge configuration: %w", err)
	}
	o.Tags, o.Annotations = tags, annotations
	if f.platforms != "" {
		if o.Platforms, err = platform.ParseList(f.platforms); err != nil {
			return o, &pipeline.ConfigError{Source: "--platform", Err: err}
		}
	}
	return o, nil
}

func runMerge(cmd *cobra.Command, f *ciMergeFlags) error {
	o, err := f.options(cmd)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if f.asJSON {
		out = cmd.ErrOrStderr()
	}
	sinks := ciSinks(cmd, out)
	if hook := onMergeStep; hook != nil {
		drawStep := sinks.OnStep
		sinks.OnStep = func(st pipeline.Step) { drawStep(st); hook(st) }
	}
	sum, runErr := app.RunMerge(cmd.Context(), o, sinks)
	if sum == nil {
		return runErr
	}
	if err := reportCI(cmd.OutOrStdout(), sum, f.asJSON); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}
