package verify

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	specs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// Image verifies one platform image as Index verifies an entry: its
// config must agree with claimed (nil: the platform is the config's), and
// every ELF file of its filesystem must fit the platform. Unlike in an
// index, where other entries may still be checked, a platform not in the
// table (or a config naming no architecture) is an error: nothing could
// be verified. The report has one entry; with opts.Platforms, every other
// expected platform is missing, as it would be from a one-entry index.
func Image(ctx context.Context, img *registry.Image, claimed *platform.Platform, opts Options) (*Report, error) {
	d, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("image digest: %w", err)
	}
	mt, err := img.MediaType()
	if err != nil {
		return nil, fmt.Errorf("image media type: %w", err)
	}
	j := entryJob{digest: d, strict: true, image: func() (*registry.Image, error) { return img, nil }}
	if claimed != nil {
		spec := claimed.OCI()
		j.claimed = &spec
	}
	res := newRun(opts).entry(ctx, j)
	rep := newReport(d, mt)
	rep.add(res, true)
	rep.checkSet(opts)
	rep.setOK()
	return rep, res.err
}

// entryJob is one platform image to verify; image fetches it lazily so
// entries are fetched in parallel.
type entryJob struct {
	digest  string
	index   string          // nested index digest, if any
	claimed *specs.Platform // descriptor platform; nil: take the config's
	strict  bool            // a platform not in the table is an error, not skipped
	image   func() (*registry.Image, error)
}

// entryResult is a verified entry, or the error that stopped it.
type entryResult struct {
	entry      Entry
	violations []Violation
	err        error
}

// verifyAll judges each distinct job (by key) once, on a fixed pool of
// workers, and returns the results and, per job, the index of its result.
func (r *run) verifyAll(ctx context.Context, jobs []entryJob) ([]entryResult, []int) {
	keyOf := make([]int, len(jobs))
	byKey := map[string]int{}
	var distinct []entryJob
	for i, j := range jobs {
		k, ok := byKey[j.key()]
		if !ok {
			k = len(distinct)
			byKey[j.key()] = k
			distinct = append(distinct, j)
		}
		keyOf[i] = k
	}
	results := make([]entryResult, len(distinct))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers(runtime.GOMAXPROCS(0)), len(distinct)) {
		wg.Go(func() {
			for k := range next {
				results[k] = r.entry(ctx, distinct[k])
			}
		})
	}
	for k := range distinct {
		next <- k
	}
	close(next)
	wg.Wait()
	return results, keyOf
}

func (r *run) entry(ctx context.Context, j entryJob) entryResult {
	res := entryResult{entry: Entry{Digest: j.digest, Index: j.index}}
	if j.claimed != nil {
		res.entry.Platform = platform.FormatOCI(*j.claimed)
	}
	err := ctx.Err()
	if err == nil {
		err = r.verifyEntry(ctx, j, &res)
	}
	switch {
	case err != nil:
		res.err = &EntryError{Platform: res.entry.Platform, Digest: j.digest, Err: err}
		res.entry.Status, res.entry.Error = StatusError, err.Error()
	case res.entry.Status == StatusSkipped:
	case len(res.violations) > 0:
		res.entry.Status = StatusViolations
	default:
		res.entry.Status = StatusOK
	}
	return res
}

func (r *run) verifyEntry(ctx context.Context, j entryJob, res *entryResult) error {
	img, err := j.image()
	if err != nil {
		return fmt.Errorf("fetch image: %w", err)
	}
	cfg, err := img.ConfigPlatform()
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	plat, mismatches := reconcile(j.claimed, cfg)
	name := platform.Format(plat)
	res.entry.Platform = name
	for _, m := range mismatches {
		res.violations = append(res.violations, Violation{Platform: name, Digest: j.digest, Kind: KindConfig,
			Message: fmt.Sprintf("%s: image %s %s", name, j.digest, m)})
	}
	row, known := platform.FromOCI(plat)
	switch {
	case !known && j.strict:
		return &UnknownPlatformError{Platform: name, Architecture: plat.Architecture}
	case !known:
		res.entry.Status = StatusSkipped
		res.entry.Notes = append(res.entry.Notes, name+" is not in the platform table: ELF files not checked")
		return nil
	}
	layers, err := img.Layers()
	if err != nil {
		return fmt.Errorf("list layers: %w", err)
	}
	sums, err := r.summaries(ctx, layers)
	if err != nil {
		return err
	}
	var names int64
	for _, s := range sums {
		names += s.names
	}
	if names > MaxNameBytes {
		return &CapError{Cap: CapNameBytes, Limit: MaxNameBytes, Got: names, Where: "image " + j.digest}
	}
	r.judge(layers, sums, row, res)
	return nil
}

// summaries reads (or waits for) every layer at once; the run's read
// slots, not this loop, bound how many are read concurrently.
func (r *run) summaries(ctx context.Context, layers []registry.Layer) ([]*layerSummary, error) {
	sums := make([]*layerSummary, len(layers))
	errs := make([]error, len(layers))
	var wg sync.WaitGroup
	for i, l := range layers {
		wg.Go(func() { sums[i], errs[i] = r.opts.Cache.summary(ctx, l, r) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return sums, nil
}

// judge folds the layers into one filesystem and checks each ELF file.
func (r *run) judge(layers []registry.Layer, sums []*layerSummary, row platform.Platform, res *entryResult) {
	t := newTree()
	for i, s := range sums {
		t.apply(s, i)
		res.entry.FilesScanned += s.files
	}
	res.entry.Layers = len(layers)
	name := row.String()
	for _, p := range t.paths() {
		f := t.files[p]
		file := File{Path: p, Layer: layers[f.layer].Digest(), ELF: f.rec.info, Problems: []Problem{}}
		if f.rec.err != "" {
			file.Problems = append(file.Problems, note(KindMalformed, "starts like ELF but is unreadable: %s", f.rec.err))
		} else {
			file.Problems = append(file.Problems, CheckFile(p, f.rec.info, row)...)
		}
		for _, pr := range file.Problems {
			if pr.Violation() {
				res.violations = append(res.violations, Violation{Platform: name, Digest: res.entry.Digest,
					Path: p, Kind: pr.Kind, Message: fmt.Sprintf("%s: %s %s", name, p, pr.Message)})
			}
		}
		res.entry.Files = append(res.entry.Files, file)
	}
	res.entry.ELFCount = len(res.entry.Files)
}

// reconcile returns the entry's platform and how the config disagrees with
// the claimed one. Values are compared normalised (platform.Normalize:
// arm64 ≡ arm64/v8); a config without a variant agrees with any, because
// configs often omit it while normalisation would read "arm" as arm/v7.
func reconcile(claimed *specs.Platform, cfg specs.Platform) (specs.Platform, []string) {
	fromCfg := platform.Normalize(cfg)
	if claimed == nil {
		return fromCfg, nil
	}
	want := platform.Normalize(*claimed)
	var out []string
	field := func(name, desc, conf string) {
		if desc != conf {
			out = append(out, fmt.Sprintf("descriptor says %s %q, config says %q", name, desc, conf))
		}
	}
	field("os", want.OS, fromCfg.OS)
	field("architecture", want.Architecture, fromCfg.Architecture)
	if cfg.Variant != "" && want.Architecture == fromCfg.Architecture {
		field("variant", want.Variant, fromCfg.Variant)
	}
	return want, out
}
