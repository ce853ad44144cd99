package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/multiarch-dev/multiarch/internal/app"
)

// printVerify prints the reports of `verify`: a table per reference, or
// with asJSON a list of them.
func printVerify(w io.Writer, results []app.VerifyResult, asJSON bool) error {
	if asJSON {
		if results == nil {
			results = []app.VerifyResult{}
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

func printVerifyText(w io.Writer, r app.VerifyResult) error {
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
