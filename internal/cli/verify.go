package cli

import (
	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
)

type verifyFlags struct {
	platforms string
	json      bool
}

func newVerifyCmd() *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify REF...",
		Short: "Prove every platform entry holds binaries of its own architecture",
		Long: `Reads every ELF file of every platform entry of each REF (layers applied in order,
whiteouts honoured) and checks it against the platform the index claims: machine, class,
endianness, the ARM architecture level (.ARM.attributes), the x86-64 ISA level, and the
dynamic loader path. Also checks that each entry's config agrees with its descriptor and,
with --platform, that exactly the expected platforms are present. Layers shared by
platforms or by several REFs are read once. Exits 1 on any violation.`,
		Example: `  multiarch verify 127.0.0.1:5000/demo/hello:latest
  multiarch verify registry.example/app:1.0 --platform linux/amd64,linux/arm64,linux/arm/v7 --json
  multiarch verify oci-layout://./hello-oci:latest
  multiarch verify ./hello.tar                  # build --output type=oci,dest=hello.tar`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runVerify(cmd, args, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.platforms, "platform", "", "platforms that must be present, comma or space separated (variant-aware)")
	fl.BoolVar(&f.json, "json", false, "print the report(s) as JSON")
	addRegistryFlags(cmd)
	return cmd
}

func runVerify(cmd *cobra.Command, refs []string, f verifyFlags) error {
	ps, err := platformFlag(f.platforms)
	if err != nil {
		return err
	}
	o := app.VerifyOptions{Refs: refs, Platforms: ps, Registry: registryOptions(cmd)}
	rep, err := app.Verify(cmd.Context(), o)
	if perr := printVerify(cmd.OutOrStdout(), rep.Results, f.json); perr != nil {
		return perr
	}
	return err
}
