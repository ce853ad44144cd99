package cli

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/builder"
)

// cacheFlags are builder du's and prune's: which builder, which records,
// how to print them.
type cacheFlags struct {
	builder string
	filters []string
	json    bool
	verbose bool
}

func (c *cacheFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&c.builder, "builder", "", "named builder (every node), or \"embedded\" (default: as build picks it)")
	fl.StringArrayVar(&c.filters, "filter", nil, "BuildKit cache `FILTER` (KEY=VALUE, KEY!=VALUE, KEY~=VALUE; e.g. type=regular), repeatable")
	fl.BoolVar(&c.json, "json", false, "print the report as JSON")
	fl.BoolVarP(&c.verbose, "verbose", "v", false, "list every record")
}

func (c *cacheFlags) options(cmd *cobra.Command, f *embeddedFlags) app.CacheOptions {
	return app.CacheOptions{Env: appEnv(), Builder: c.builder, Embedded: f.options(), Filters: c.filters, Logger: logger(cmd)}
}

func newBuilderDuCmd(f *embeddedFlags) *cobra.Command {
	c := &cacheFlags{}
	cmd := &cobra.Command{
		Use:   "du [--verbose] [--filter F ...] [--builder NAME] [--json]",
		Short: "Show the build cache of the builder (every node of a named one): its size and what a prune could free",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := app.BuilderDiskUsage(cmd.Context(), c.options(cmd, f))
			return c.render(cmd.OutOrStdout(), rep, err, "total", "reclaimable")
		},
	}
	c.register(cmd)
	return cmd
}

func newBuilderPruneCmd(f *embeddedFlags) *cobra.Command {
	c := &cacheFlags{}
	var all bool
	var keep, keepFor string
	cmd := &cobra.Command{
		Use:   "prune [--all] [--keep-storage SIZE] [--keep-duration D] [--filter F ...] [--builder NAME] [--json]",
		Short: "Free the build cache of the builder (every node of a named one); records in use are kept",
		Long: `Free the build cache of the builder build would use (or --builder NAME: every node of it),
through BuildKit's own prune, without asking. By default only records BuildKit considers safe to
drop go (as ` + "`buildctl prune`" + `); --all frees every record not in use. --keep-storage 2GB keeps the
most recently used 2 GiB (sizes as docker takes them: 500MB, 2GB, 1.5G); --keep-duration 24h keeps
records used within a day.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := c.options(cmd, f)
			p, err := pruneOptions(all, keep, keepFor)
			if err != nil {
				return err
			}
			o.Prune = p
			rep, err := app.BuilderPrune(cmd.Context(), o)
			return c.render(cmd.OutOrStdout(), rep, err, "freed", "")
		},
	}
	c.register(cmd)
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "free every record not in use, not only the ones BuildKit would drop first")
	fl.StringVar(&keep, "keep-storage", "", "keep this much cache (`SIZE`, e.g. 2GB), the most recently used")
	fl.StringVar(&keepFor, "keep-duration", "", "keep records used within this `DURATION` (e.g. 24h)")
	return cmd
}

// pruneOptions parses --keep-storage and --keep-duration before any
// builder is asked.
func pruneOptions(all bool, keep, keepFor string) (builder.PruneOptions, error) {
	p := builder.PruneOptions{All: all}
	if keep != "" {
		n, err := units.RAMInBytes(keep)
		if err != nil || n < 0 {
			return p, fmt.Errorf("--keep-storage %q: not a size; write e.g. 500MB, 2GB or 1073741824", keep)
		}
		p.KeepStorage = n
	}
	if keepFor != "" {
		d, err := time.ParseDuration(keepFor)
		if err != nil || d < 0 {
			return p, fmt.Errorf("--keep-duration %q: not a duration; write e.g. 90m or 24h", keepFor)
		}
		p.KeepDuration = d
	}
	return p, nil
}

// renderCache prints each node's records (verbose) and totals: what it
// holds (du: total, reclaimable) or what was freed (prune: freed).
func renderCache(w io.Writer, rep *app.CacheReport, verbose bool, total, reclaim string) {
	for i, n := range rep.Nodes {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if len(rep.Nodes) > 1 || n.Name != "" {
			fmt.Fprintf(w, "node %s (%s):\n", n.Name, n.Endpoint)
		}
		if n.Err != nil {
			fmt.Fprintf(w, "error:        %v\n", n.Err)
			continue
		}
		if verbose {
			renderRecords(w, n.Records)
		}
		fmt.Fprintf(w, "records:      %d\n", len(n.Records))
		fmt.Fprintf(w, "%-13s %s\n", total+":", units.HumanSize(float64(n.Total)))
		if reclaim != "" {
			fmt.Fprintf(w, "%-13s %s\n", reclaim+":", units.HumanSize(float64(n.Reclaimable)))
		}
	}
}

// renderRecords lists records, largest first.
func renderRecords(w io.Writer, rs []builder.DiskRecord) {
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b builder.DiskRecord) int { return cmp.Compare(b.Size, a.Size) })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tSIZE\tIN USE\tLAST USED\tDESCRIPTION")
	for _, r := range rs {
		last := "-"
		if r.LastUsedAt != nil {
			last = units.HumanDuration(time.Since(*r.LastUsedAt)) + " ago"
		}
		inUse := ""
		if r.InUse {
			inUse = "yes"
		}
		id := r.ID
		if len(id) > 12 {
			id = id[:12]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", id, r.Type, units.HumanSize(float64(r.Size)), inUse, last, truncate(r.Description, 60))
	}
	tw.Flush()
}

// truncate shortens s to n runes.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// render prints rep (as JSON with --json) and returns err, the error of
// the nodes that failed: the live nodes' reports are printed either way.
func (c *cacheFlags) render(w io.Writer, rep *app.CacheReport, err error, sizeCol, extraCol string) error {
	if rep == nil {
		return err
	}
	if c.json {
		if jerr := writeJSONIndent(w, rep); jerr != nil {
			return jerr
		}
		return err
	}
	renderCache(w, rep, c.verbose, sizeCol, extraCol)
	return err
}
