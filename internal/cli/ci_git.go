package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/multiarch-dev/multiarch/internal/pipeline"
)

// envGitHubOutput is GitHub Actions' step output file.
const envGitHubOutput = "GITHUB_OUTPUT"

// ciGitFlags are ci's tags from git, dry run and step outputs.
type ciGitFlags struct {
	tagsFromGit, dryRun bool
	dotenv              string
}

func addCIGitFlags(fl *pflag.FlagSet, f *ciGitFlags) {
	fl.BoolVar(&f.tagsFromGit, "tags-from-git", false,
		"add tags, OCI labels and annotations computed from git and the CI environment to every repository named (else tags_from_git:)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan (platforms, tags, labels, annotations) and stop: nothing is built or pushed")
	fl.StringVar(&f.dotenv, "dotenv", "", "after a passing run, write MULTIARCH_DIGEST, _IMAGE, _TAGS, _PLATFORMS, _VERSION, _METADATA to `FILE` (GitLab's dotenv report)")
}

// apply sets the configuration layer's tags_from_git when the flag was
// given, and checks --dotenv's directory before anything runs.
func (f *ciGitFlags) apply(cmd *cobra.Command, c *pipeline.Config) error {
	if cmd.Flags().Changed("tags-from-git") {
		c.TagsFromGit = &f.tagsFromGit
	}
	if f.dotenv == "" {
		return nil
	}
	if fi, err := os.Stat(f.dotenv); err == nil && fi.IsDir() {
		return fmt.Errorf("--dotenv %s: is a directory; give a file name such as build.env", f.dotenv)
	}
	if fi, err := os.Stat(filepath.Dir(f.dotenv)); err != nil || !fi.IsDir() {
		return fmt.Errorf("--dotenv %s: directory %s does not exist", f.dotenv, filepath.Dir(f.dotenv))
	}
	return nil
}

// printPlan is --dry-run: the plan, as JSON with --json.
func printPlan(w io.Writer, plan pipeline.Plan, asJSON bool) error {
	if asJSON {
		return writeJSONIndent(w, plan.Report())
	}
	return pipeline.WritePlan(w, plan.Report())
}

// writeOutputs hands a passing run's digest, tags, platforms and metadata
// to the CI's next steps: appended to $GITHUB_OUTPUT when set, written to
// --dotenv when given. A failed run writes neither, so no later step can
// take a digest nothing was proven about, or tags that did not move, for
// a release.
func (f *ciGitFlags) writeOutputs(s *pipeline.Summary, plan pipeline.Plan) error {
	if s == nil || !s.Passed {
		return nil
	}
	o := pipeline.NewOutputs(s, plan)
	var err error
	if path := getenv(envGitHubOutput); path != "" {
		err = writeOutputFile(path, os.O_APPEND, "$"+envGitHubOutput, func(w io.Writer) error { return pipeline.WriteGitHubOutput(w, o) })
	}
	if f.dotenv != "" {
		err = errors.Join(err, writeOutputFile(f.dotenv, os.O_TRUNC, "--dotenv", func(w io.Writer) error { return pipeline.WriteDotenv(w, o) }))
	}
	return err
}

func writeOutputFile(path string, mode int, what string, write func(io.Writer) error) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|mode, 0o644)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	err = write(fh)
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, path, err)
	}
	return nil
}
