package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
)

// inspectAttestFlags are inspect's --sbom and --provenance: print the
// attestations' predicates per platform instead of the summary table.
type inspectAttestFlags struct {
	sbom, provenance bool
}

func addInspectAttestFlags(cmd *cobra.Command, f *inspectAttestFlags) {
	cmd.Flags().BoolVar(&f.sbom, "sbom", false, "print each platform's SBOM (the SPDX document of its attestation)")
	cmd.Flags().BoolVar(&f.provenance, "provenance", false, "print each platform's provenance (the SLSA predicate of its attestation)")
	cmd.MarkFlagsMutuallyExclusive("raw", "sbom")
	cmd.MarkFlagsMutuallyExclusive("raw", "provenance")
}

func (f inspectAttestFlags) any() bool { return f.sbom || f.provenance }

// runInspectAttestations prints the SBOM and/or provenance of every
// platform of o.Ref: as JSON (app.AttestationReport) or, per platform, a
// heading and each predicate indented.
func runInspectAttestations(ctx context.Context, out io.Writer, o app.InspectOptions, f inspectFlags) error {
	rep, err := app.InspectAttestations(ctx, o, f.sbom, f.provenance)
	if err != nil {
		return err
	}
	if f.asJSON {
		return writeJSONIndent(out, rep)
	}
	fmt.Fprintf(out, "Name:    %s\nDigest:  %s\n", rep.Reference, rep.Digest)
	if len(rep.Platforms) == 0 {
		fmt.Fprintln(out, "\nno platform images: attestations are attached to the platforms of an index")
	}
	for _, p := range rep.Platforms {
		fmt.Fprintf(out, "\n%s (%s)\n", p.Platform, abbrevDigest(p.Digest))
		printPredicates(out, "SBOM", p.SBOM)
		printPredicates(out, "Provenance", p.Provenance)
	}
	return nil
}

// printPredicates prints one kind of a platform's predicates; nil: not
// asked for.
func printPredicates(out io.Writer, kind string, ps *[]app.Predicate) {
	if ps == nil {
		return
	}
	if len(*ps) == 0 {
		fmt.Fprintf(out, "  %s: none\n", kind)
		return
	}
	for _, p := range *ps {
		fmt.Fprintf(out, "  %s (%s):\n", kind, p.Type)
		var b bytes.Buffer
		if err := json.Indent(&b, p.Predicate, "    ", "  "); err != nil {
			b.Reset()
			b.Write(p.Predicate)
		}
		fmt.Fprintf(out, "    %s\n", b.String())
	}
}
