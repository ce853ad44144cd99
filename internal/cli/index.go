package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

func newIndexCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "index", Short: "Assemble multi-platform indexes from images"}
	cmd.AddCommand(newIndexCreateCmd())
	return cmd
}

type indexCreateOptions struct {
	targets     []string
	annotations []string
	dryRun      bool
	asJSON      bool
}

func newIndexCreateCmd() *cobra.Command {
	var o indexCreateOptions
	cmd := &cobra.Command{
		Use:   "create -t TARGET [-t TARGET ...] SRC...",
		Short: "Create an index from per-platform images and indexes, and push it",
		Long: `Create an index holding every SRC: an image contributes one entry whose platform is read
from its config, an index contributes all its entries (attestations included). Two sources
with the same platform are refused. Children are copied into the target repository first
(existing blobs are skipped, same-registry blobs mounted); the index is written under each
TARGET last, so a failure never leaves a tag pointing at a partial index.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIndexCreate(cmd.Context(), cmd.OutOrStdout(), args, o, registryOptions(cmd))
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.targets, "tag", "t", nil, "reference to push the index to, REGISTRY/REPOSITORY:TAG (repeatable)")
	f.StringArrayVar(&o.annotations, "annotation", nil, "KEY=VALUE annotation on the index (repeatable)")
	f.BoolVar(&o.dryRun, "dry-run", false, "resolve and validate, print the index, write nothing")
	f.BoolVar(&o.asJSON, "json", false, "print the result as JSON")
	_ = cmd.MarkFlagRequired("tag")
	addRegistryFlags(cmd)
	return cmd
}

func runIndexCreate(ctx context.Context, out io.Writer, sources []string, o indexCreateOptions, opts registry.Options) error {
	ann, err := parseAnnotations(o.annotations)
	if err != nil {
		return err
	}
	c, err := registry.CreateIndex(ctx, o.targets[0], sources, registry.CreateOptions{
		Options: opts, Annotations: ann, ExtraTargets: o.targets[1:], DryRun: o.dryRun,
	})
	if err != nil {
		return err
	}
	switch {
	case o.asJSON:
		return writeJSONIndent(out, c)
	case o.dryRun:
		// The exact bytes that would be pushed.
		_, err := out.Write(withNewline(c.Index))
		return err
	}
	return printCreated(out, c)
}

// parseAnnotations reads KEY=VALUE flags; the value may contain '='.
func parseAnnotations(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--annotation %q: write KEY=VALUE, e.g. org.opencontainers.image.source=https://example.com/repo", kv)
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, nil
}

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
