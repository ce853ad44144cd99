package cli

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/google/renameio/v2"
	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
)

type testFlags struct {
	platforms string
	strictCPU bool
	parallel  int
	asJSON    bool
	junit     string
	timeout   time.Duration
	builder   string
}

func newTestCmd() *cobra.Command {
	f := &testFlags{}
	cmd := &cobra.Command{
		Use:   "test REF [REF...] [-- CMD ARGS...]",
		Short: "Run every platform of an image in a container on the builder: uname -m and your command",
		Long: `For each platform entry of each REF (pulled by digest; attestations skipped) run, in containers
on the builder, ` + "`uname -m`" + ` (it must print a machine the platform produces) and CMD (it must exit 0).
With --strict-cpu emulated platforms run on the oldest CPU model of their variant (QEMU_CPU), so code
for newer CPUs dies with SIGILL. Exit 1 when any cell fails.
The builder is --builder NAME (see ` + "`multiarch builder create`" + `), else $BUILDKIT_HOST, else the
embedded builder (started on demand). With --builder each platform runs on the node a build would
send it to: one that runs it natively where there is one, else one that emulates it; the report
names the node of every cell.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if refs, _ := splitDash(cmd, args); len(refs) == 0 {
				return errors.New("give the image to test: multiarch test REF [-- CMD ARGS...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			refs, command := splitDash(cmd, args)
			return runTest(cmd, f, refs, command)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.platforms, "platform", "", "test only these platforms, comma separated (each must be in the image)")
	fl.BoolVar(&f.strictCPU, "strict-cpu", false, "run emulated platforms on the oldest CPU model of their variant (QEMU_CPU)")
	fl.IntVar(&f.parallel, "parallel", imagetest.DefaultParallel, "cells run at once")
	fl.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
	fl.StringVar(&f.junit, "junit", "", "also write the report as JUnit XML to this file")
	fl.DurationVar(&f.timeout, "cell-timeout", imagetest.DefaultCellTimeout, "time limit of each cell")
	fl.StringVar(&f.builder, "builder", "", "test on the named builder `NAME`, each platform on the node a build would use: native where one exists (see multiarch builder ls)")
	addRegistryFlags(cmd)
	return cmd
}

// splitDash separates the references from the command after "--".
func splitDash(cmd *cobra.Command, args []string) (refs, command []string) {
	if i := cmd.ArgsLenAtDash(); i >= 0 {
		return args[:i], args[i:]
	}
	return args, nil
}

func runTest(cmd *cobra.Command, f *testFlags, refs, command []string) error {
	if f.parallel < 1 {
		return usage(fmt.Errorf("--parallel %d: run at least one cell at a time", f.parallel))
	}
	o := app.TestOptions{Refs: refs, Registry: registryOptions(cmd), Env: appEnv(), Builder: f.builder,
		Test:       imagetest.Options{Command: command, StrictCPU: f.strictCPU, Parallel: f.parallel, CellTimeout: f.timeout, Logger: logger(cmd)},
		OnEmbedded: embeddedNotice(cmd.ErrOrStderr())}
	var err error
	if o.Platforms, err = platformFlag(f.platforms); err != nil {
		return err
	}
	report, err := app.Test(cmd.Context(), o)
	if err != nil {
		return err
	}
	return renderTest(cmd, f, report)
}

func renderTest(cmd *cobra.Command, f *testFlags, r *imagetest.Report) error {
	var err error
	if f.asJSON {
		err = imagetest.WriteJSON(cmd.OutOrStdout(), r)
	} else {
		err = imagetest.WriteTable(cmd.OutOrStdout(), r)
	}
	if err != nil {
		return err
	}
	if f.junit != "" {
		var b bytes.Buffer
		if err := imagetest.WriteJUnit(&b, r); err != nil {
			return err
		}
		if err := renameio.WriteFile(f.junit, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
	}
	if !r.Passed {
		return fmt.Errorf("%w: %d of %d cells failed: %w", ErrChecksFailed, r.Failed, r.Total, r.Err())
	}
	return nil
}
