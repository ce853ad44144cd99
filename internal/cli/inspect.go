package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// addRegistryFlags adds the flags every command that talks to a registry
// shares; registryOptions reads them back.
func addRegistryFlags(cmd *cobra.Command) {
	cmd.Flags().StringArray("insecure-registry", nil,
		"registry (HOST or HOST:PORT) that may be reached over plain HTTP; loopback registries always may (repeatable)")
}

// registryOptions turns the shared registry flags into library options.
func registryOptions(cmd *cobra.Command) registry.Options {
	insecure, _ := cmd.Flags().GetStringArray("insecure-registry")
	return registry.Options{Insecure: insecure, Logger: logger(cmd)}
}

type inspectFlags struct {
	asJSON, raw bool
}

func newInspectCmd() *cobra.Command {
	var f inspectFlags
	cmd := &cobra.Command{
		Use:   "inspect REF",
		Short: "Show the platforms of an image or index: digests, sizes, layers, attestations",
		Long: `Show what REF points at. REF is REGISTRY/REPOSITORY:TAG, REGISTRY/REPOSITORY@DIGEST
or oci-layout://PATH[:TAG]. Attestations (SBOM, provenance) are listed apart from platforms.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := app.InspectOptions{Ref: args[0], Registry: registryOptions(cmd)}
			return runInspect(cmd.Context(), cmd.OutOrStdout(), o, f)
		},
	}
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&f.raw, "raw", false, "print the manifest byte for byte as the registry serves it (no trailing newline added)")
	cmd.MarkFlagsMutuallyExclusive("json", "raw")
	addRegistryFlags(cmd)
	return cmd
}

func runInspect(ctx context.Context, out io.Writer, o app.InspectOptions, f inspectFlags) error {
	ins, err := app.Inspect(ctx, o)
	if err != nil {
		return err
	}
	switch {
	case f.raw:
		// Byte for byte, so `| sha256sum` gives the digest.
		_, err := out.Write(ins.Raw)
		return err
	case f.asJSON:
		return writeJSONIndent(out, ins)
	}
	return printInspection(out, ins)
}
