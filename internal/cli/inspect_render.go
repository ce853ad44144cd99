package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

func writeJSONIndent(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func withNewline(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return b
	}
	return append(b[:len(b):len(b)], '\n')
}

func printInspection(out io.Writer, ins *registry.Inspection) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\n", ins.Reference)
	fmt.Fprintf(tw, "Kind:\t%s\n", ins.Kind)
	fmt.Fprintf(tw, "MediaType:\t%s\n", ins.MediaType)
	fmt.Fprintf(tw, "Digest:\t%s\n", ins.Digest)
	fmt.Fprintf(tw, "Size:\t%s\n", humanBytes(ins.Size))
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "PLATFORM\tDIGEST\tSIZE\tLAYERS\tLAYERS SIZE\tCREATED")
	for _, m := range ins.Manifests {
		printManifestRow(tw, m, "")
	}
	if len(ins.Attestations) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "ATTESTATION FOR\tDIGEST\tSIZE\tPREDICATES")
		for _, a := range ins.Attestations {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", subjectName(ins.Manifests, a.Subject), abbrevDigest(a.Digest),
				humanBytes(a.Size), dash(strings.Join(a.PredicateTypes, ", ")))
		}
	}
	return tw.Flush()
}

func printManifestRow(tw io.Writer, m registry.Manifest, indent string) {
	name := dash(m.Platform)
	if m.Attestation {
		name = "attestation"
	}
	if m.Config != nil && m.Platform != "" && m.Config.Platform != m.Platform {
		name += " (config says " + m.Config.Platform + ")"
	}
	layers, layersSize, createdAt := "-", "-", "-"
	if m.Config != nil {
		layers, layersSize = fmt.Sprint(m.Layers), humanBytes(m.LayersSize)
		if m.Config.Created != nil {
			createdAt = m.Config.Created.Format(time.RFC3339)
		}
	}
	fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\n", indent, name, abbrevDigest(m.Digest), humanBytes(m.Size), layers, layersSize, createdAt)
	for _, c := range m.Manifests {
		printManifestRow(tw, c, indent+"  ")
	}
}

// subjectName is the platform of the entry an attestation describes.
func subjectName(ms []registry.Manifest, digest string) string {
	for _, m := range ms {
		if m.Digest == digest && digest != "" {
			return dash(m.Platform)
		}
	}
	if digest == "" {
		return "-"
	}
	return abbrevDigest(digest)
}

// abbrevDigest keeps the algorithm and 12 hex digits, as docker does.
func abbrevDigest(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return algo + ":" + hex[:12]
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
