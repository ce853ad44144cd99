package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
)

func newIndexCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "index", Short: "Assemble multi-platform indexes from images"}
	cmd.AddCommand(newIndexCreateCmd())
	return cmd
}

type indexCreateFlags struct {
	targets     []string
	annotations []string
	platforms   []string
	dryRun      bool
	asJSON      bool
}

func newIndexCreateCmd() *cobra.Command {
	var f indexCreateFlags
	cmd := &cobra.Command{
		Use:   "create -t TARGET [-t TARGET ...] SRC...",
		Short: "Create an index from per-platform images and indexes, and push it",
		Long: `Create an index holding every SRC: an image contributes one entry whose platform is read
from its config, an index contributes all its entries (attestations included). Two sources
with the same platform are refused. A variant is never invented: an image whose config
names arm without a variant gets the oldest variant its binaries fit (ARM attributes, Go's
GOARM, as verify reads them), or is refused unless --platform SRC=PLATFORM says it. Children are copied into the target repository first
(existing blobs are skipped, same-registry blobs mounted); the index is written under each
TARGET last, so a failure never leaves a tag pointing at a partial index.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runIndexCreate(cmd, args, f) },
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.targets, "tag", "t", nil, "reference to push the index to, REGISTRY/REPOSITORY:TAG (repeatable)")
	fl.StringArrayVar(&f.annotations, "annotation", nil, "KEY=VALUE annotation on the index (repeatable)")
	fl.StringArrayVar(&f.platforms, "platform", nil, "SRC=PLATFORM: the platform of SRC's entries, e.g. img:arm=linux/arm/v6, when its config names no variant (repeatable)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "resolve and validate, print the index, write nothing")
	fl.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
	_ = cmd.MarkFlagRequired("tag")
	addRegistryFlags(cmd)
	return cmd
}

func runIndexCreate(cmd *cobra.Command, sources []string, f indexCreateFlags) error {
	ann, err := parseAnnotations(f.annotations)
	if err != nil {
		return usage(err)
	}
	given, err := parseSourcePlatforms(f.platforms)
	if err != nil {
		return usage(err)
	}
	c, err := app.CreateIndex(cmd.Context(), app.IndexOptions{Targets: f.targets, Sources: sources,
		Annotations: ann, DryRun: f.dryRun, Registry: registryOptions(cmd), Platforms: given})
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	switch {
	case f.asJSON:
		return writeJSONIndent(out, c)
	case f.dryRun:
		// The exact bytes that would be pushed.
		_, err := out.Write(withNewline(c.Index))
		return err
	}
	return printCreated(out, c)
}

// parseSourcePlatforms reads SRC=PLATFORM flags; a platform holds no '=',
// so the last one splits (an OCI layout path may contain '=').
func parseSourcePlatforms(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		i := strings.LastIndex(kv, "=")
		if i <= 0 || i == len(kv)-1 {
			return nil, fmt.Errorf("--platform %q: write SRC=PLATFORM, e.g. registry.example/app:arm=linux/arm/v6", kv)
		}
		if _, dup := out[kv[:i]]; dup {
			return nil, fmt.Errorf("--platform %q: %s already has a platform", kv, kv[:i])
		}
		out[kv[:i]] = kv[i+1:]
	}
	return out, nil
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
