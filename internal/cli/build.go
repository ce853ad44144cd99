package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// envPlatforms is read when --platform is absent, as in the classic CI
// script (space or comma separated).
const envPlatforms = "DOCKER_PLATFORMS"

type buildFlags struct {
	file, platforms, output, target, progress, metadataFile, builder string
	tags, buildArgs, labels, annotations, cacheFrom, cacheTo         []string
	push                                                             bool
	test                                                             string
	strictCPU                                                        bool
	// testAlways tests before export even without a test command (uname
	// only); ci sets it, the build command has no flag for it.
	testAlways bool
}

func newBuildCmd() *cobra.Command {
	f := &buildFlags{}
	cmd := &cobra.Command{
		Use:   "build [CONTEXT]",
		Short: "Build a Dockerfile for several platforms and push or export one index",
		Long: `Build CONTEXT (default ".") for every --platform (or $DOCKER_PLATFORMS). On one node
all platforms are built in one BuildKit solve. With --builder NAME (see ` + "`multiarch builder create`" + `)
each platform goes to a node that runs it natively, else to one that emulates it; each node
builds its platforms in one solve and pushes them by digest, and the index is then written
under every tag. With --push the index is pushed under every -t tag; with --output
type=oci,dest=PATH (one node only) it is written as an OCI layout tarball. If any platform
fails, no tag is pushed or moved.
With --test CMD every platform's result is tested inside the build session, before anything
is exported: ` + "`uname -m`" + ` must print a machine of the platform and ` + "`sh -c CMD`" + ` must exit 0 (the image
needs a sh), emulated platforms on the oldest CPU model of their variant with --strict-cpu.
The matrix is printed as ` + "`multiarch test`" + ` prints it; if any platform fails, nothing is pushed
or written.
The builder is --builder NAME, else $BUILDKIT_HOST, else the embedded builder (started on
demand, with a config that lets it reach every --insecure-registry over plain HTTP).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.options(cmd, args)
			if err != nil {
				return err
			}
			return runBuild(cmd, f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "Dockerfile (default CONTEXT/Dockerfile)")
	fl.StringVar(&f.platforms, "platform", "", "platforms to build, comma separated (default $"+envPlatforms+")")
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, "image reference; repeatable, all are pushed in one export")
	fl.BoolVar(&f.push, "push", false, "push the index under every tag")
	fl.StringVarP(&f.output, "output", "o", "", "type=oci,dest=PATH: write an OCI layout tarball")
	fl.StringArrayVar(&f.buildArgs, "build-arg", nil, "K=V build argument (K alone takes $K); repeatable")
	fl.StringVar(&f.target, "target", "", "stage to build")
	fl.StringVar(&f.progress, "progress", "auto", "progress display: auto, plain, tty, quiet, json (BuildKit's rawjson)")
	fl.StringVar(&f.metadataFile, "metadata-file", "", "write the index and per-platform digests as JSON to this file")
	fl.StringVar(&f.builder, "builder", "", "build on the named builder `NAME` (see multiarch builder ls)")
	fl.StringArrayVar(&f.labels, "label", nil, "K=V label on every image config; repeatable")
	fl.StringArrayVar(&f.annotations, "annotation", nil, "[index:|manifest:]K=V annotation (no prefix: index and manifests); repeatable")
	fl.StringArrayVar(&f.cacheFrom, "cache-from", nil, "type=registry,ref=REF cache to import; repeatable")
	fl.StringArrayVar(&f.cacheTo, "cache-to", nil, "type=registry,ref=REF[,mode=max] cache to export; repeatable")
	fl.StringVar(&f.test, "test", "", "test every platform before export with `CMD`, run as sh -c CMD (and uname -m); any failure exports nothing")
	fl.BoolVar(&f.strictCPU, "strict-cpu", false, "with --test: run emulated platforms on the oldest CPU model of their variant (QEMU_CPU)")
	addRegistryFlags(cmd)
	return cmd
}

// options maps flags to build options; everything here is checked before
// any builder is contacted or started.
func (f *buildFlags) options(cmd *cobra.Command, args []string) (build.Options, error) {
	o := build.Options{ContextDir: ".", Dockerfile: f.file, Tags: f.tags, Push: f.push, Target: f.target, Logger: logger(cmd)}
	if len(args) == 1 {
		o.ContextDir = args[0]
	}
	var err error
	if o.Platforms, err = parsePlatforms(f.platforms); err != nil {
		return o, err
	}
	if o.OCIDest, err = parseOutput(f.output); err != nil {
		return o, err
	}
	if o.BuildArgs, err = parseBuildArgs(f.buildArgs); err != nil {
		return o, err
	}
	if err := f.exportOptions(&o); err != nil {
		return o, err
	}
	o.Registry.Insecure, _ = cmd.Flags().GetStringArray("insecure-registry")
	if f.strictCPU && f.test == "" {
		return o, errors.New("--strict-cpu applies to --test: give the command to test with --test 'CMD'")
	}
	if err := build.Validate(o); err != nil {
		return o, explainBuildError(err)
	}
	return o, nil
}

func parsePlatforms(flag string) ([]platform.Platform, error) {
	src := "--platform"
	if flag == "" {
		flag, src = os.Getenv(envPlatforms), "$"+envPlatforms
	}
	if strings.TrimSpace(flag) == "" {
		return nil, fmt.Errorf("no platform to build: give --platform P,... or set %s", envPlatforms)
	}
	ps, err := platform.ParseList(flag)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return ps, nil
}

// parseOutput accepts type=oci,dest=PATH and returns PATH.
func parseOutput(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	kv := map[string]string{}
	for _, f := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return "", fmt.Errorf("--output %q: %q is not key=value", s, f)
		}
		kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if kv["type"] != "oci" || kv["dest"] == "" || len(kv) != 2 {
		return "", fmt.Errorf("--output %q: only type=oci,dest=PATH is supported (use --push to push)", s)
	}
	return kv["dest"], nil
}

// exportOptions reads labels, annotations and caches.
func (f *buildFlags) exportOptions(o *build.Options) error {
	o.Labels = map[string]string{}
	for _, l := range f.labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return fmt.Errorf("--label %q: want K=V", l)
		}
		o.Labels[k] = v
	}
	for _, a := range f.annotations {
		an, err := build.ParseAnnotation(a)
		if err != nil {
			return err
		}
		o.Annotations = append(o.Annotations, an)
	}
	for _, c := range f.cacheFrom {
		spec, err := build.ParseCacheSpec(c)
		if err != nil {
			return fmt.Errorf("--cache-from: %w", err)
		}
		o.CacheFrom = append(o.CacheFrom, spec)
	}
	for _, c := range f.cacheTo {
		spec, err := build.ParseCacheSpec(c)
		if err != nil {
			return fmt.Errorf("--cache-to: %w", err)
		}
		o.CacheTo = append(o.CacheTo, spec)
	}
	return nil
}

func parseBuildArgs(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if k == "" {
			return nil, fmt.Errorf("--build-arg %q: empty name", a)
		}
		if !ok {
			if v, ok = os.LookupEnv(k); !ok {
				continue
			}
		}
		out[k] = v
	}
	return out, nil
}

func runBuild(cmd *cobra.Command, f *buildFlags, opts build.Options) error {
	res, _, err := buildAndTest(cmd, cmd.OutOrStdout(), f, opts)
	if err != nil {
		return err
	}
	renderSummary(cmd.OutOrStdout(), res)
	if f.metadataFile != "" {
		return writeMetadata(f.metadataFile, res)
	}
	return nil
}

// buildAndTest builds on the chosen builder; with --test it prints the
// test matrix to out and returns it, and a failed cell is ErrChecksFailed
// with nothing exported.
func buildAndTest(cmd *cobra.Command, out io.Writer, f *buildFlags, opts build.Options) (*build.Result, *imagetest.Report, error) {
	disp, err := build.NewDisplay(cmd.ErrOrStderr(), f.progress)
	if err != nil {
		return nil, nil, err
	}
	opts.Display = disp
	var tester *buildTester
	if f.test != "" || f.testAlways {
		tester = newBuildTester(testTag(opts.Tags), f.test, imagetest.Options{StrictCPU: f.strictCPU, Parallel: len(opts.Platforms), Logger: opts.Logger})
		opts.Test = tester.test
	}
	nodes, err := builderNodes(cmd.Context(), cmd, f.builder, opts.Registry.Insecure)
	if err != nil {
		return nil, nil, explainBuildError(err)
	}
	res, err := build.BuildOn(cmd.Context(), nodes, opts)
	var rep *imagetest.Report
	if tester != nil {
		if rep = tester.report(); rep != nil {
			sortCells(rep.Cells, opts.Platforms)
			if werr := imagetest.WriteTable(out, rep); werr != nil {
				return nil, rep, werr
			}
		}
	}
	switch {
	case err == nil:
		return res, rep, nil
	case errors.Is(err, ErrChecksFailed):
		return nil, rep, fmt.Errorf("test before push failed, nothing was pushed or written (see the failing platforms above): %w", err)
	case f.builder != "":
		return nil, rep, explainNodesError(f.builder, err)
	}
	return nil, rep, explainBuildError(err)
}

// explainNodesError explains an error of the named builder's nodes: a
// node that failed TLS or does not answer names the builder and how to see
// its nodes; one that answered is not to be started.
func explainNodesError(name string, err error) error {
	var (
		tlsErr      *builder.NodeTLSError
		unreachable *builder.UnreachableError
	)
	failedTLS, down := errors.As(err, &tlsErr), errors.As(err, &unreachable)
	if !failedTLS && !down {
		return explainBuildError(err)
	}
	next := fmt.Sprintf("`multiarch builder status %s` shows every node's state", name)
	if failedTLS {
		next = fmt.Sprintf("%s\n%s; to change a node's TLS options, `multiarch builder rm %s` and create it again", tlsErr.Hint(), next, name)
	}
	if down {
		next += "; start the node's buildkitd, or recreate the builder without it"
	}
	return fmt.Errorf("builder %s: %w\n%s", name, err, next)
}

// testTag names build results in the test matrix: the first tag, else
// "(build)".
func testTag(tags []string) string {
	if len(tags) > 0 {
		return tags[0]
	}
	return "(build)"
}

// sortCells puts cells in the order the platforms were requested.
func sortCells(cells []imagetest.Cell, order []platform.Platform) {
	pos := map[string]int{}
	for i, p := range order {
		pos[p.String()] = i
	}
	slices.SortStableFunc(cells, func(a, b imagetest.Cell) int { return pos[a.Platform] - pos[b.Platform] })
}

func renderSummary(w io.Writer, r *build.Result) {
	fmt.Fprintf(w, "\nbuilt %d platform(s) in %s on %s\n", len(r.Stats), round(r.Duration), r.Address)
	digests := map[string]string{}
	for _, p := range r.Platforms {
		digests[p.Platform] = p.Digest
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PLATFORM\tNODE\tTIME\tEMULATED RUN\tDIGEST")
	for _, s := range r.Stats {
		node, run := s.Node, "-"
		if s.Emulated {
			node += " (emulated)"
		}
		if s.EmulatedRun > 0 {
			run = round(s.EmulatedRun)
		}
		d := digests[s.Platform]
		if d == "" {
			d = "-"
		}
		took := round(s.Duration)
		if s.Duration == 0 {
			took = "cached"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Platform, node, took, run, d)
	}
	tw.Flush()
	if r.Digest != "" {
		fmt.Fprintf(w, "index: %s\n", r.Digest)
	}
	switch {
	case r.Pushed:
		fmt.Fprintf(w, "pushed: %s\n", strings.Join(r.Tags, ", "))
	case r.OCIDest != "":
		fmt.Fprintf(w, "written: %s\n", r.OCIDest)
	default:
		fmt.Fprintln(w, "not exported (no --push or --output): the result stays in the builder's cache")
	}
	renderEmulation(w, r)
}

func round(d time.Duration) string {
	if d < time.Second {
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// crossCompileHint is printed when emulated RUN steps dominate a build.
const crossCompileHint = `hint: most of this build ran RUN steps under emulation. Cross-compile instead: build in a
      stage that runs on the builder's own platform and targets the requested one, e.g.
        FROM --platform=$BUILDPLATFORM golang:1 AS build
        ARG TARGETOS TARGETARCH
        RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .
        FROM <base>
        COPY --from=build /out/app /app
      or add a node that runs those platforms natively (multiarch builder create --node ... --platform ...).`

func renderEmulation(w io.Writer, r *build.Result) {
	if r.EmulatedRun <= 0 {
		return
	}
	pct := 100 * r.EmulatedRun.Seconds() / r.Duration.Seconds()
	fmt.Fprintf(w, "RUN steps under emulation: %s of %s (%.0f%%)\n", round(r.EmulatedRun), round(r.Duration), pct)
	if r.EmulationDominates() {
		fmt.Fprintln(w, crossCompileHint)
	}
}

// Metadata is the --metadata-file shape. "containerimage.digest" is the key
// buildx users know.
type Metadata struct {
	Digest          string                 `json:"containerimage.digest"`
	Tags            []string               `json:"tags,omitempty"`
	Platforms       []build.PlatformDigest `json:"platforms"`
	Pushed          bool                   `json:"pushed"`
	OCIDest         string                 `json:"ociDest,omitempty"`
	DurationSeconds float64                `json:"durationSeconds"`
}

func writeMetadata(path string, r *build.Result) error {
	m := Metadata{Digest: r.Digest, Tags: r.Tags, Platforms: r.Platforms, Pushed: r.Pushed, OCIDest: r.OCIDest, DurationSeconds: r.Duration.Seconds()}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// explainBuildError adds what to do next to the library's typed errors.
func explainBuildError(err error) error {
	var (
		unreachable *builder.UnreachableError
		tlsErr      *builder.NodeTLSError
		unsupported *builder.UnsupportedPlatformError
		refused     *build.PushRefusedError
		regDown     *build.RegistryUnreachableError
	)
	switch {
	case errors.As(err, &tlsErr):
		return fmt.Errorf("%w\n%s\n$%s carries no TLS options: create a named builder with them (`multiarch builder create NAME --node %s --tls-ca FILE [--tls-cert FILE --tls-key FILE]`) and build with --builder NAME",
			err, tlsErr.Hint(), builder.EnvBuildkitHost, tlsErr.Address)
	case errors.As(err, &unreachable):
		if addr, ok := buildkitHost(); ok {
			return fmt.Errorf("%w\nstart buildkitd at %s=%s, or unset %s to use the embedded builder", err, builder.EnvBuildkitHost, addr, builder.EnvBuildkitHost)
		}
		return fmt.Errorf("%w\nstart the embedded builder with `multiarch builder up`, or point %s at a running buildkitd", err, builder.EnvBuildkitHost)
	case errors.As(err, &unsupported):
		names := make([]string, len(unsupported.Platforms))
		for i, p := range unsupported.Platforms {
			names[i] = p.String()
		}
		return fmt.Errorf("%w\ninstall the emulator: `multiarch binfmt install %s`, then retry (if the builder still refuses, restart it: `multiarch builder down && multiarch builder up`)", err, strings.Join(names, " "))
	case errors.As(err, &refused) && hasRegistryHint(err):
		return err // the registry error already says how to log in
	case errors.As(err, &refused):
		return fmt.Errorf("%w\nlog in to the registry (`multiarch login` or `docker login`) with an account that may push there", err)
	case errors.As(err, &regDown):
		return fmt.Errorf("%w\ncheck the registry address in -t and that the registry is running", err)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w\npoint -f at the Dockerfile, or give the build context that holds it", err)
	}
	return err
}

// hasRegistryHint reports whether err carries internal/registry's own
// advice or advice the CLI words for it (registryHint).
func hasRegistryHint(err error) bool {
	var re *registry.Error
	return errors.As(err, &re) && (re.Hint() != "" || registryHint(re) != "")
}
