package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/verify"
)

type verifyOptions struct {
	platforms string
	json      bool
}

func newVerifyCmd() *cobra.Command {
	var o verifyOptions
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
  multiarch verify oci-layout://./hello-oci:latest`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runVerify(cmd, args, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.platforms, "platform", "", "platforms that must be present, comma or space separated (variant-aware)")
	f.BoolVar(&o.json, "json", false, "print the report(s) as JSON")
	addRegistryFlags(cmd)
	return cmd
}

// verifyResult is one REF's report; JSON prints a list of them.
type verifyResult struct {
	Reference string `json:"reference"`
	*verify.Report
}

func runVerify(cmd *cobra.Command, refs []string, o verifyOptions) error {
	var want []platform.Platform
	if o.platforms != "" {
		ps, err := platform.ParseList(o.platforms)
		if err != nil {
			return err
		}
		want = ps
	}
	ropts := registryOptions(cmd)
	vopts := verify.Options{Platforms: want, Cache: verify.NewCache(), Logger: ropts.Logger}
	var results []verifyResult
	var errs []error
	for _, ref := range refs {
		rep, err := verifyRef(cmd.Context(), ref, ropts, vopts)
		if rep != nil {
			results = append(results, verifyResult{Reference: ref, Report: rep})
		}
		if err != nil {
			errs = append(errs, verifyError(ref, err))
		}
	}
	if err := printVerify(cmd.OutOrStdout(), results, o.json); err != nil {
		return err
	}
	violations := 0
	for _, r := range results {
		violations += len(r.Violations)
	}
	if violations > 0 {
		errs = append(errs, fmt.Errorf("%w: %d violation(s); the images above do not hold what their platforms claim", ErrChecksFailed, violations))
	}
	return errors.Join(errs...)
}

// verifyError says which reference failed to verify. A registry error
// about that very reference names it too; its copy without the reference
// keeps the message from saying it twice. Only err itself is looked at: a
// registry error further down the chain is printed after other text and
// names what it is about (a source, a blob).
func verifyError(ref string, err error) error {
	if re, ok := err.(*registry.Error); ok && re.Ref == strings.TrimSpace(ref) {
		inner := *re
		inner.Ref = ""
		err = &inner
	}
	return fmt.Errorf("verify %s: %w", ref, err)
}

// verifyRef resolves ref and verifies the index or the single image.
func verifyRef(ctx context.Context, ref string, ropts registry.Options, vopts verify.Options) (*verify.Report, error) {
	res, err := registry.Resolve(ctx, ref, ropts)
	if err != nil {
		return nil, err
	}
	if res.Kind == registry.KindIndex {
		return verify.Index(ctx, res.AsIndex(), vopts)
	}
	// A single image claims nothing but its config.
	return verify.Image(ctx, res.AsImage(), nil, vopts)
}

func printVerify(w io.Writer, results []verifyResult, asJSON bool) error {
	if asJSON {
		if results == nil {
			results = []verifyResult{}
		}
		return writeJSONIndent(w, results)
	}
	for _, r := range results {
		if err := printVerifyText(w, r); err != nil {
			return err
		}
	}
	return nil
}

func printVerifyText(w io.Writer, r verifyResult) error {
	fmt.Fprintf(w, "%s (%s)\n", r.Reference, r.Digest)
	bad := map[string]int{}
	for _, v := range r.Violations {
		bad[v.Platform]++
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tPLATFORM\tDIGEST\tLAYERS\tELF FILES\tVIOLATIONS")
	for _, e := range r.Entries {
		status := "ok"
		if bad[e.Platform] > 0 {
			status = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\n", status, e.Platform, abbrevDigest(e.Digest), e.Layers, e.ELFCount, bad[e.Platform])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Attestations) > 0 {
		fmt.Fprintf(w, "attestations: %d (not scanned)\n", len(r.Attestations))
	}
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  violation: %s\n", v.Message)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	for _, e := range r.Entries {
		for _, n := range e.Notes {
			fmt.Fprintf(w, "  note: %s: %s\n", e.Platform, n)
		}
	}
	verdict := "verified: every platform holds its own architecture"
	if len(r.Violations) > 0 {
		verdict = fmt.Sprintf("NOT verified: %d violation(s)", len(r.Violations))
	}
	_, err := fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(verdict))
	return err
}
