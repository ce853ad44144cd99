package cli

import (
	"errors"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/multiarch-dev/multiarch/internal/pipeline"
)

// ciPRFlags are ci's PR mode: --no-push and where the layout goes.
type ciPRFlags struct {
	noPush bool
	ociDir string
}

func addCIPRFlags(fl *pflag.FlagSet, f *ciPRFlags) {
	fl.BoolVar(&f.noPush, "no-push", false,
		"PR mode: build, test and verify into a local OCI layout; no login, no push, no tag (else push: false)")
	fl.StringVar(&f.ociDir, "oci-dir", "", "with --no-push, keep the OCI layout in `DIR` (default: a temp directory, removed after the run; else oci_dir:)")
}

// apply sets the configuration layer's push and oci_dir when given.
// --no-push=false turns PR mode off over a file's push: false.
func (f *ciPRFlags) apply(cmd *cobra.Command, c *pipeline.Config) {
	if cmd.Flags().Changed("no-push") {
		push := !f.noPush
		c.Push = &push
	}
	c.OCIDir = f.ociDir
}

// ciPRHints say how to get PR mode when a layout directory was asked for
// without it.
func ciPRHints(err error) []string {
	if errors.Is(err, pipeline.ErrOCIDirPushes) {
		return []string{"add --no-push (or push: false in " + pipeline.ConfigFile + ") to write the layout and push nothing, or drop --oci-dir to push"}
	}
	return nil
}
