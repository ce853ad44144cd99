package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/verify"
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\n", statusWord(e.Status), e.Platform, abbrevDigest(e.Digest), e.Layers, e.ELFCount, bad[e.Platform])
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
	_, err := fmt.Fprintf(w, "%s\n\n", verifyVerdict(r.Report))
	return err
}

// statusWord is an entry's status as the table prints it: failures in
// capitals, so they stand out.
func statusWord(s verify.Status) string {
	switch s {
	case verify.StatusViolations:
		return "FAIL"
	case verify.StatusError:
		return "ERROR"
	}
	return string(s)
}

// verifyVerdict is the last line of a report: "verified" only when every
// entry was read to its end with no violation (Report.OK).
func verifyVerdict(r *verify.Report) string {
	var errs, skipped, entries int
	seen := map[string]bool{}
	for _, e := range r.Entries {
		switch {
		case e.Status == verify.StatusError && !seen[e.Digest+e.Platform]:
			errs++
		case e.Status == verify.StatusSkipped:
			skipped++
		}
		seen[e.Digest+e.Platform] = true
		entries++
	}
	switch {
	case r.OK && skipped > 0:
		return fmt.Sprintf("verified: every platform multiarch knows holds its own architecture; %d entr%s skipped (platform not in its table)", skipped, plural(skipped, "y", "ies"))
	case r.OK:
		return "verified: every platform holds its own architecture"
	case errs > 0:
		return fmt.Sprintf("NOT verified: %d violation(s); %d entr%s not read to the end (errors below)", len(r.Violations), errs, plural(errs, "y", "ies"))
	case len(r.Violations) > 0:
		return fmt.Sprintf("NOT verified: %d violation(s)", len(r.Violations))
	}
	return fmt.Sprintf("NOT verified: none of %d entr%s has a platform multiarch can check", entries, plural(entries, "y", "ies"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
