package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
)

type ciFlags struct {
	platforms, image, base, test, file, target, config, username, progress, builder string
	tags, buildArgs                                                                 []string
	strictCPU, setupEmulation, passwordStdin, asJSON                                bool
	ciGitFlags
	ciDigestFlags
	ciPRFlags
}

// ciLong is ci's help: its steps, PR mode and where its configuration
// comes from.
const ciLong = `Run the classic multi-arch CI pipeline in one command, stopping at the first failing step:

  setup-emulation  with --setup-emulation: ` + "`binfmt install`" + ` of the foreign platforms (root)
  doctor           host checks for every platform this machine must emulate; fails fast with the fixes
  login            when credentials are given: check them and store them as ` + "`multiarch login`" + ` does
  build+test+push  every platform in one build session, tested before anything is exported
                   (` + "`build --test`" + `): a failure pushes nothing; then the index is pushed by
                   digest only, with no tag
  verify           every ELF file of every platform of the pushed digest against its platform
                   (` + "`multiarch verify`" + `)
  test-pushed      each platform of the pushed digest pulled from the registry and tested
                   (` + "`multiarch test`" + `)
  tag              only now every tag is written, one at a time

A failed verify or test-pushed moves no tag: the digest stays in the registry untagged, and the
summary names it and the tags not written.

PR mode (--no-push, push: false): nothing reaches a registry (no login, push or tag). The index is
exported into a local OCI layout (--oci-dir DIR, else a temp directory removed afterwards),
verified there, and each platform tested again as read by the builder from the layout
(test-exported); the summary says "not pushed (PR mode)" and where the layout is.

Emulation is set up before doctor runs, so doctor checks the result.
The test command runs as ` + "`sh -c CMD`" + ` (the image needs a sh); ` + "`uname -m`" + ` is checked where the image
has one. Without a test command uname is the only check, and no sh is needed: an image with neither
(FROM scratch) passes, its platforms reported as skipped.
Then a summary: steps, status, durations and the platform matrix; --json prints it as JSON,
and Markdown is appended to $GITHUB_STEP_SUMMARY when that is set.

Configuration, highest precedence first: flags; the classic script's environment
(DOCKER_PLATFORMS space or comma separated, DOCKER_BASE as build-arg BASE, TAGS space
separated, DOCKER_IMAGE, DOCKER_USERNAME/DOCKER_PASSWORD); CONTEXT/multiarch.yaml (fields
platforms, tags, image, base, build_args, test, strict_cpu, file, target, setup_emulation,
tags_from_git, push, oci_dir;
unknown fields are an error; credentials are never read from it).
A tag with no "/" and no ":" (e.g. "latest") is a tag of the image (--image, DOCKER_IMAGE or
image:); anything else is a full reference. The password comes from DOCKER_PASSWORD or
--password-stdin and is never printed.`

func newCICmd() *cobra.Command {
	f := &ciFlags{}
	cmd := &cobra.Command{
		Use:   "ci [CONTEXT]",
		Short: "The whole pipeline: doctor, emulation, login, build and test before push, push, verify, test the pushed images",
		Long:  ciLong,
		Example: `  multiarch ci examples/hello --platform linux/amd64,linux/arm64,linux/arm/v6 \
    --image 127.0.0.1:5000/hello -t latest -t 1.0 --base 127.0.0.1:5000/busybox --test 'echo hi' --strict-cpu
  DOCKER_PLATFORMS="linux/amd64 linux/arm64" DOCKER_IMAGE=registry.example/app TAGS="latest 1.0" multiarch ci .`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctxDir := "."
			if len(args) == 1 {
				ctxDir = args[0]
			}
			plan, err := f.plan(cmd, ctxDir)
			if err != nil {
				return usage(err)
			}
			if f.dryRun {
				return printPlan(cmd.OutOrStdout(), plan, f.asJSON)
			}
			return runCI(cmd, f, ctxDir, plan)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.platforms, "platform", "", "platforms, comma separated (else $"+pipeline.EnvPlatforms+", else platforms:)")
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, "full reference, or a tag of --image; repeatable (else $"+pipeline.EnvTags+", else tags:)")
	fl.StringVar(&f.image, "image", "", "repository bare tags belong to (else $"+pipeline.EnvImage+", else image:)")
	fl.StringVar(&f.base, "base", "", "build-arg BASE (else $"+pipeline.EnvBase+", else base:)")
	fl.StringArrayVar(&f.buildArgs, "build-arg", nil, "K=V build argument; repeatable (merged over build_args:)")
	fl.StringVar(&f.test, "test", "", "test command `CMD`, run as sh -c CMD in every platform, before push and after")
	fl.BoolVar(&f.strictCPU, "strict-cpu", false, "test emulated platforms on the oldest CPU model of their variant")
	fl.StringVarP(&f.file, "file", "f", "", "Dockerfile, relative to CONTEXT unless absolute (default CONTEXT/Dockerfile)")
	fl.StringVar(&f.target, "target", "", "stage to build")
	fl.BoolVar(&f.setupEmulation, "setup-emulation", false, "register QEMU handlers for the foreign platforms first (root)")
	fl.StringVar(&f.config, "config", "", "configuration file (default CONTEXT/"+pipeline.ConfigFile+", if present)")
	fl.StringVarP(&f.username, "username", "u", "", "registry user (else $"+pipeline.EnvUsername+")")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the registry password from stdin (else $"+pipeline.EnvPassword+")")
	fl.BoolVar(&f.asJSON, "json", false, "print the summary as JSON (step output goes to stderr)")
	fl.StringVar(&f.progress, "progress", "plain", "build progress display: auto, plain, tty, quiet, json (BuildKit's rawjson)")
	fl.StringVar(&f.builder, "builder", "", "build and test on the named builder `NAME`, each platform on its native node where one exists")
	addCIGitFlags(fl, &f.ciGitFlags)
	addCIDigestFlags(fl, &f.ciDigestFlags)
	cmd.AddCommand(newCIMergeCmd())
	addCIPRFlags(fl, &f.ciPRFlags)
	addRegistryFlags(cmd)
	return cmd
}

// plan merges the configuration sources and checks the result; nothing
// runs before it succeeds.
func (f *ciFlags) plan(cmd *cobra.Command, ctxDir string) (pipeline.Plan, error) {
	path := f.config
	if path == "" {
		path = filepath.Join(ctxDir, pipeline.ConfigFile)
	} else if _, err := os.Stat(path); err != nil {
		return pipeline.Plan{}, fmt.Errorf("--config: %w", err)
	}
	file, err := pipeline.LoadFile(path)
	if err != nil {
		return pipeline.Plan{}, fmt.Errorf("ci configuration: %w", err)
	}
	flags, err := f.layer(cmd)
	if err != nil {
		return pipeline.Plan{}, err
	}
	plan, err := app.ResolveCI(cmd.Context(), f.ciDigestFlags.config(pipeline.Merge(file, pipeline.FromEnv(getenv), flags)), ctxDir, appEnv())
	if err != nil {
		return plan, fmt.Errorf("ci configuration: %w", err)
	}
	return plan, nil
}

// layer is the configuration the flags set (unset flags stay empty).
func (f *ciFlags) layer(cmd *cobra.Command) (pipeline.Config, error) {
	c := pipeline.Config{Tags: f.tags, Image: f.image, Base: f.base, Test: f.test, File: f.file, Target: f.target, Username: f.username}
	if f.platforms != "" {
		c.Platforms = []string{f.platforms}
	}
	fl := cmd.Flags()
	if fl.Changed("strict-cpu") {
		c.StrictCPU = &f.strictCPU
	}
	if fl.Changed("setup-emulation") {
		c.SetupEmulation = &f.setupEmulation
	}
	f.ciPRFlags.apply(cmd, &c)
	if err := f.ciGitFlags.apply(cmd, &c); err != nil {
		return c, err
	}
	var err error
	if c.BuildArgs, err = parseBuildArgs(f.buildArgs); err != nil {
		return c, err
	}
	if f.passwordStdin {
		if c.Password, err = readPassword(cmd.InOrStdin()); err != nil {
			return c, fmt.Errorf("--password-stdin: %w", err)
		}
	}
	return c, nil
}

// ciOutput is where steps write their detail: stdout for people, stderr
// with --json (stdout then holds only the summary).
func (f *ciFlags) ciOutput(cmd *cobra.Command) io.Writer {
	if f.asJSON {
		return cmd.ErrOrStderr()
	}
	return cmd.OutOrStdout()
}

// runCI runs the plan through the application tier, then prints the
// summary, whether the run passed or not.
func runCI(cmd *cobra.Command, f *ciFlags, ctxDir string, plan pipeline.Plan) error {
	o := app.CIOptions{Plan: plan, ContextDir: ctxDir, Env: appEnv(), DockerConfig: dockerConfigHome(),
		Builder: f.builder, Progress: f.progress, Registry: registryOptions(cmd), Logger: logger(cmd)}
	if err := f.ciDigestFlags.set(&o); err != nil {
		return err
	}
	sum, runErr := app.RunCI(cmd.Context(), o, ciSinks(cmd, f.ciOutput(cmd)))
	if sum == nil {
		return runErr
	}
	if err := reportCI(cmd.OutOrStdout(), sum, f.asJSON); err != nil {
		return errors.Join(runErr, err)
	}
	if err := f.writeOutputs(sum, plan); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}
