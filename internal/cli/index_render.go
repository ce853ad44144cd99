package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// printCreated prints the entries of a created index and every tag it was
// pushed under.
func printCreated(out io.Writer, c *registry.Created) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PLATFORM\tDIGEST\tSIZE\tSOURCE")
	for _, m := range c.Manifests {
		name := m.Platform
		if m.Attestation {
			name = "  attestation"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, abbrevDigest(m.Digest), humanBytes(m.Size), m.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, t := range c.Targets {
		if _, err := fmt.Fprintf(out, "pushed %s@%s\n", t, c.Digest); err != nil {
			return err
		}
	}
	return nil
}
