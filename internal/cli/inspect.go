package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// addRegistryFlags adds the flags every command that talks to a registry
// shares; registryOptions reads them back. --registry-timeout falls back
// to $MULTIARCH_REGISTRY_TIMEOUT (applyRegistryTimeoutEnv, run before every
// command by the root).
func addRegistryFlags(cmd *cobra.Command) {
	cmd.Flags().StringArray("insecure-registry", nil,
		"registry (HOST or HOST:PORT) that may be reached over plain HTTP; loopback registries always may (repeatable)")
	cmd.Flags().Var(&timeoutFlag{d: registry.DefaultResponseTimeout}, registryTimeoutFlag,
		"longest a registry may go without sending or accepting any data (answer, manifest, layer, upload) before the command fails; env "+envRegistryTimeout)
}

// registryOptions turns the shared registry flags into library options.
// ResponseTimeout is always set (the default when neither the flag nor the
// environment gives one): the build's push path reads it as the one
// registry deadline.
func registryOptions(cmd *cobra.Command) registry.Options {
	insecure, _ := cmd.Flags().GetStringArray("insecure-registry")
	o := registry.Options{Insecure: insecure, Logger: logger(cmd), ResponseTimeout: registry.DefaultResponseTimeout}
	if f := cmd.Flags().Lookup(registryTimeoutFlag); f != nil {
		if v, ok := f.Value.(*timeoutFlag); ok {
			o.ResponseTimeout = v.d
		}
	}
	return o
}

const registryTimeoutFlag = "registry-timeout"

// timeoutFlag is --registry-timeout: a positive duration.
type timeoutFlag struct{ d time.Duration }

func (f *timeoutFlag) String() string { return f.d.String() }
func (f *timeoutFlag) Type() string   { return "duration" }

func (f *timeoutFlag) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return fmt.Errorf("want a duration above zero such as 30s, 2m or 1m30s, not %q", s)
	}
	f.d = d
	return nil
}

// applyRegistryTimeoutEnv gives --registry-timeout, when cmd has it and it
// was not passed, the value of $MULTIARCH_REGISTRY_TIMEOUT, if set; a value
// that is not a duration is a usage error naming the variable.
func applyRegistryTimeoutEnv(cmd *cobra.Command) error {
	f := cmd.Flags().Lookup(registryTimeoutFlag)
	if f == nil || f.Changed {
		return nil
	}
	v := registryTimeoutEnv()
	if v == "" {
		return nil
	}
	if err := f.Value.Set(v); err != nil {
		return fmt.Errorf("invalid $%s: %w", envRegistryTimeout, err)
	}
	return nil
}

type inspectFlags struct {
	asJSON, raw bool
	format      string
	inspectAttestFlags
}

func newInspectCmd() *cobra.Command {
	var f inspectFlags
	cmd := &cobra.Command{
		Use:   "inspect REF",
		Short: "Show the platforms of an image or index: digests, sizes, layers, attestations",
		Long: `Show what REF points at. REF is REGISTRY/REPOSITORY:TAG, REGISTRY/REPOSITORY@DIGEST
oci-layout://PATH[:TAG], or an OCI tarball: oci-archive:FILE[:TAG] or a path to it (./out.tar,
anything ending in .tar), as build --output type=oci,dest=FILE writes. Attestations (SBOM, provenance) are listed apart from platforms;
--sbom and --provenance print their content per platform instead of the table.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := app.InspectOptions{Ref: args[0], Registry: registryOptions(cmd)}
			return runInspect(cmd.Context(), cmd.OutOrStdout(), o, f)
		},
	}
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&f.raw, "raw", false, "print the manifest byte for byte as the registry serves it (no trailing newline added)")
	cmd.Flags().StringVar(&f.format, "format", "", "print through a Go `TEMPLATE`, as imagetools inspect does: {{.Name}}, {{json .Manifest}}, {{json .Image}}")
	cmd.MarkFlagsMutuallyExclusive("json", "raw", "format")
	addInspectAttestFlags(cmd, &f.inspectAttestFlags)
	cmd.MarkFlagsMutuallyExclusive("format", "sbom")
	cmd.MarkFlagsMutuallyExclusive("format", "provenance")
	addRegistryFlags(cmd)
	return cmd
}

func runInspect(ctx context.Context, out io.Writer, o app.InspectOptions, f inspectFlags) error {
	format, err := parseFormat(f.format)
	if err != nil {
		return err
	}
	if f.any() {
		return runInspectAttestations(ctx, out, o, f)
	}
	ins, err := app.Inspect(ctx, o)
	if err != nil {
		return err
	}
	switch {
	case format != nil:
		return writeFormat(out, format, ins)
	case f.raw:
		// Byte for byte, so `| sha256sum` gives the digest.
		_, err := out.Write(ins.Raw)
		return err
	case f.asJSON:
		return writeJSONIndent(out, ins)
	}
	return printInspection(out, ins)
}
