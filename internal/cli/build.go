package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// envPlatforms is read when --platform is absent, as in the classic CI
// script (space or comma separated); ci reads the same variable.
const envPlatforms = pipeline.EnvPlatforms

type buildFlags struct {
	file, output, target, progress, metadataFile, builder, iidFile string
	platforms, tags, buildArgs, labels, annotations                []string
	cacheFrom, cacheTo, noCacheFilter                              []string
	push, noCache, pull, quiet                                     bool
	test                                                           string
	strictCPU                                                      bool
	secretFlags
	contextFlags
	outSpec outputSpec
	attestFlags
	net networkFlags
}

func newBuildCmd() *cobra.Command {
	f := &buildFlags{}
	cmd := &cobra.Command{
		Use:   "build [CONTEXT]",
		Short: "Build a Dockerfile for several platforms and push or export one index",
		Long: `Build CONTEXT (default ".") for every --platform (or $DOCKER_PLATFORMS). On one node
all platforms are built in one BuildKit solve. With --builder NAME (see ` + "`multiarch builder create`" + `)
each platform goes to a node that runs it natively, else to one that emulates it; each node
builds its platforms in one solve and pushes them by digest, and the index is assembled from
them. With --push the index is pushed by digest first, then written under every -t tag, one
at a time: if that fails part-way the error names the tags that moved and those that did not.
With --output type=oci,dest=PATH (one node only) it is written as an OCI layout tarball;
--output takes buildx's other forms too (type=registry, type=image,push-by-digest=true,
type=oci,tar=false, type=docker, type=tar, type=local; see the README). If any
platform fails, no tag is pushed or moved; a push the registry stops answering is cancelled
after the registry deadline without progress, and no tag moves.
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
				return usage(err)
			}
			return runBuild(cmd, f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "Dockerfile (default CONTEXT/Dockerfile)")
	fl.StringArrayVar(&f.platforms, "platform", nil, "platforms to build, comma separated; repeatable (default $"+envPlatforms+")")
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, "image reference; repeatable, all are pushed in one export")
	fl.BoolVar(&f.push, "push", false, "push the index under every tag")
	fl.StringVarP(&f.output, "output", "o", "", "type=registry|image|oci|docker|tar|local,KEY=VALUE,...: where the result goes (see README)")
	fl.StringArrayVar(&f.buildArgs, "build-arg", nil, "K=V build argument (K alone takes $K); repeatable")
	fl.StringVar(&f.target, "target", "", "stage to build")
	fl.StringVar(&f.progress, "progress", "auto", "progress display: auto, plain, tty, quiet, json (BuildKit's rawjson)")
	fl.StringVar(&f.metadataFile, "metadata-file", "", "write the index and per-platform digests as JSON to this file")
	fl.StringVar(&f.builder, "builder", "", "build on the named builder `NAME` (see multiarch builder ls)")
	fl.StringArrayVar(&f.labels, "label", nil, "K=V label on every image config; repeatable")
	fl.StringArrayVar(&f.annotations, "annotation", nil, "[index:|manifest:]K=V annotation (no prefix: index and manifests); repeatable")
	fl.StringArrayVar(&f.cacheFrom, "cache-from", nil, "cache to import: type=registry,ref=REF, type=local,src=DIR, type=gha|s3|azblob,...; repeatable")
	fl.StringArrayVar(&f.cacheTo, "cache-to", nil, "cache to export: type=registry,ref=REF[,mode=max], type=local,dest=DIR[,mode=max], type=inline, type=gha|s3|azblob,...; repeatable")
	fl.BoolVar(&f.noCache, "no-cache", false, "rebuild every step: use nothing of the builder's cache")
	fl.StringArrayVar(&f.noCacheFilter, "no-cache-filter", nil, "rebuild the steps of this `STAGE` only, comma separated; repeatable")
	fl.BoolVar(&f.pull, "pull", false, "fetch every FROM image from its registry again instead of the builder's copy")
	fl.StringVar(&f.iidFile, "iidfile", "", "write the index digest to this `FILE` once the build succeeded (needs --push or --output)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress or summary: print only the index digest on standard output")
	fl.StringVar(&f.test, "test", "", "test every platform before export with `CMD`, run as sh -c CMD (and uname -m); any failure exports nothing")
	fl.BoolVar(&f.strictCPU, "strict-cpu", false, "with --test: run emulated platforms on the oldest CPU model of their variant (QEMU_CPU)")
	addSecretFlags(fl, &f.secretFlags)
	addContextFlags(fl, &f.contextFlags)
	addAttestFlags(fl, &f.attestFlags)
	addNetworkFlags(fl, &f.net)
	addRegistryFlags(cmd)
	return cmd
}

// options maps flags to build options; everything here is checked before
// any builder is contacted or started.
func (f *buildFlags) options(cmd *cobra.Command, args []string) (build.Options, error) {
	o := build.Options{ContextDir: ".", Dockerfile: f.file, Tags: f.tags, Push: f.push, Target: f.target, Logger: logger(cmd),
		NoCache: f.noCache, Pull: f.pull}
	if len(args) == 1 {
		o.ContextDir = args[0]
	}
	var err error
	if o.Platforms, err = parsePlatforms(f.platforms); err != nil {
		return o, err
	}
	if err = f.applyOutput(&o); err != nil {
		return o, err
	}
	if err := f.checkStdout(cmd, &o); err != nil {
		return o, err
	}
	if o.BuildArgs, err = parseBuildArgs(f.buildArgs); err != nil {
		return o, err
	}
	if err := f.exportOptions(&o); err != nil {
		return o, err
	}
	if err := f.net.apply(&o); err != nil {
		return o, err
	}
	if o.NoCacheFilter, err = stageList(f.noCacheFilter); err != nil {
		return o, err
	}
	if err := f.attestFlags.apply(&o); err != nil {
		return o, err
	}
	if err := f.checkBuildxOutputs(o); err != nil {
		return o, err
	}
	if err := f.secretFlags.apply(&o); err != nil {
		return o, err
	}
	if err := f.contextFlags.apply(cmd, &o); err != nil {
		return o, err
	}
	o.Registry = registryOptions(cmd)
	if f.strictCPU && f.test == "" {
		return o, errors.New("--strict-cpu applies to --test: give the command to test with --test 'CMD'")
	}
	return o, nil
}

// parsePlatforms is build's --platform, every occurrence of it comma
// separated as in buildx (--platform a --platform b,c), else
// $DOCKER_PLATFORMS; one of them must name a platform.
func parsePlatforms(flags []string) ([]platform.Platform, error) {
	src, flag := "--platform", strings.Join(flags, ",")
	if len(flags) == 0 {
		flag, src = getenv(envPlatforms), "$"+envPlatforms
	}
	if strings.TrimSpace(flag) == "" {
		return nil, fmt.Errorf("no platform to build: give --platform P,... or set %s", envPlatforms)
	}
	return platformList(src, flag)
}

// platformFlag is the --platform of doctor, test and verify: nil when it
// is not given (the command's default), else the platforms it lists.
func platformFlag(flag string) ([]platform.Platform, error) {
	if flag == "" {
		return nil, nil
	}
	return platformList("--platform", flag)
}

// platformList parses a platform list read from src (a flag or a
// variable), naming src in the error.
func platformList(src, list string) ([]platform.Platform, error) {
	ps, err := platform.ParseList(list)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return ps, nil
}

// stageList is --no-cache-filter's stages, every occurrence comma
// separated; an empty name would mean every stage to BuildKit, which is
// --no-cache's meaning, so it is refused.
func stageList(flags []string) ([]string, error) {
	var out []string
	for _, f := range flags {
		for s := range strings.SplitSeq(f, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				return nil, fmt.Errorf("--no-cache-filter %q: empty stage name; give STAGE[,STAGE...] (--no-cache rebuilds every stage)", f)
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// checkBuildxOutputs checks --iidfile and -q before any builder is
// contacted: the digest exists only when the index is exported, the file
// can be written, and -q's standard output is free for the digest.
func (f *buildFlags) checkBuildxOutputs(o build.Options) error {
	if f.iidFile != "" {
		if o.Export != nil && !indexExported(o) {
			return fmt.Errorf("--iidfile: --output type=%s writes files, not an image, so there is no index digest to write; drop --iidfile or write an image (type=oci, type=image, --push)", o.Export.Type)
		}
		if !indexExported(o) {
			return errors.New("--iidfile: nothing is exported, so there is no index digest to write; add --push (with -t) or --output type=oci,dest=PATH")
		}
		if err := build.CheckOutputPath(f.iidFile); err != nil {
			return fmt.Errorf("--iidfile: %w", err)
		}
	}
	if !f.quiet {
		return nil
	}
	if f.progress != "auto" && f.progress != "quiet" {
		return fmt.Errorf("--quiet and --progress %s cannot be used together: -q draws no progress", f.progress)
	}
	if streamsOut(o) {
		return errors.New("--quiet prints the index digest on standard output, which carries the tarball with --output dest=-; give dest=PATH or drop -q")
	}
	return nil
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
	return cacheOptions(f.cacheFrom, f.cacheTo, o)
}

func parseBuildArgs(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if k == "" {
			return nil, fmt.Errorf("--build-arg %q: empty name", a)
		}
		if !ok {
			if v, ok = lookupEnv(k); !ok {
				continue
			}
		}
		out[k] = v
	}
	return out, nil
}

// runBuild builds and prints the matrix and summary on standard output,
// or on standard error when the tarball goes to standard output.
func runBuild(cmd *cobra.Command, f *buildFlags, opts build.Options) error {
	out := cmd.OutOrStdout()
	progress := f.progress
	if streamsOut(opts) || f.quiet {
		out = cmd.ErrOrStderr()
	}
	if f.quiet {
		progress = "quiet"
	}
	res, err := app.Build(cmd.Context(), app.BuildOptions{Build: opts, Env: appEnv(), Builder: f.builder,
		Progress: progress, ProgressOut: cmd.ErrOrStderr(), TestCommand: f.test, StrictCPU: f.strictCPU,
		MatrixOut: out, OnEmbedded: embeddedNotice(cmd.ErrOrStderr()), MetadataFile: f.metadataFile, IIDFile: f.iidFile,
		Untagged: f.outSpec.byDigest})
	if err != nil {
		return err
	}
	if f.quiet {
		if res.Digest != "" {
			fmt.Fprintln(cmd.OutOrStdout(), res.Digest)
		}
	} else {
		renderSummary(out, res.Result)
	}
	if f.metadataFile != "" {
		if err := writeMetadata(f.metadataFile, res.Result, f.outSpec.imageName(opts, res.Result)); err != nil {
			return err
		}
	}
	if f.iidFile != "" {
		return writeFileAtomic(f.iidFile, "image digest file", []byte(res.Digest))
	}
	return nil
}

// embeddedNotice tells the user on w that the embedded builder is being
// started, or was restarted, for a build or test.
func embeddedNotice(w io.Writer) func(app.EmbeddedEvent) {
	return func(e app.EmbeddedEvent) {
		if e.Cleaned.Any() {
			renderCleaned(w, e.Cleaned)
			return
		}
		if e.Restarted {
			restartNotice(w, e)
			return
		}
		fmt.Fprintf(w, "starting the embedded builder at %s (log %s); another builder: --builder NAME, $%s, multiarch builder use NAME or $%s\n", e.Socket, e.LogFile, builder.EnvBuilder, builder.EnvBuildkitHost)
	}
}
