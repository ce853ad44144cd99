package verify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	specs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// Index verifies every platform entry of idx (following nested indexes):
// each descriptor's platform against its config, each ELF file against the
// platform, and, with opts.Platforms, that the expected set is present
// with no platform twice. Attestation manifests are listed, not scanned.
//
// Work is bounded by the input's distinct manifests, not its paths: each
// distinct nested index is walked once (listing it again is a duplicate
// violation), each distinct image (digest and claimed platform) is read
// and judged once by a fixed pool of workers, its result repeated for
// every entry row that names it, its violations reported once. The caps
// (MaxEntries, MaxDepth, and per layer MaxPathLength and MaxNameBytes)
// stop hostile input with a *CapError.
//
// Findings are Report.Violations. The error is for operational failures:
// if the index itself cannot be read (or is over a cap) the report is nil;
// if some entries fail, the report holds them all, each failed one with
// status error, and the error joins one *EntryError per distinct failure.
func Index(ctx context.Context, idx *registry.Index, opts Options) (*Report, error) {
	d, err := idx.Digest()
	if err != nil {
		return nil, fmt.Errorf("index digest: %w", err)
	}
	mt, err := idx.MediaType()
	if err != nil {
		return nil, fmt.Errorf("index media type: %w", err)
	}
	rep := newReport(d, mt)
	w := walker{rep: rep, seen: map[string]int{}}
	if err := w.collect(ctx, idx, d, "", 0); err != nil {
		return nil, err
	}
	w.repeatedIndexes()
	r := newRun(opts)
	results, keyOf := r.verifyAll(ctx, w.jobs)
	reported := make([]bool, len(results))
	var errs []error
	for i, j := range w.jobs {
		k := keyOf[i]
		res := results[k]
		res.entry.Index = j.index
		rep.add(res, !reported[k])
		if !reported[k] {
			errs = append(errs, res.err)
		}
		reported[k] = true
	}
	rep.checkSet(r.opts)
	rep.setOK()
	return rep, errors.Join(errs...)
}

func newReport(digest, mediaType string) *Report {
	return &Report{Digest: digest, MediaType: mediaType, Entries: []Entry{}, Attestations: []Attestation{},
		Violations: []Violation{}, Notes: []string{}}
}

// add appends an entry row; its violations only with first (a result
// shared by several rows is reported once).
func (rep *Report) add(res entryResult, first bool) {
	if res.entry.Files == nil {
		res.entry.Files = []File{}
	}
	if res.entry.Notes == nil {
		res.entry.Notes = []string{}
	}
	rep.Entries = append(rep.Entries, res.entry)
	if first {
		rep.Violations = append(rep.Violations, res.violations...)
	}
}

// walker collects the entry jobs of an index tree, each distinct nested
// index once.
type walker struct {
	rep     *Report
	jobs    []entryJob
	seen    map[string]int // nested index digest → times listed
	order   []string       // nested index digests, first listing first
	entries int
}

// collect walks the index manifest depth first, sorting descriptors into
// entry jobs, attestations and notes.
func (w *walker) collect(ctx context.Context, idx *registry.Index, self, parent string, depth int) error {
	if depth > MaxDepth {
		return &CapError{Cap: CapDepth, Limit: MaxDepth, Got: int64(depth), Where: "index " + self}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	manifests, err := idx.Manifests()
	if err != nil {
		return fmt.Errorf("read index %s: %w", self, err)
	}
	if w.entries += len(manifests); w.entries > MaxEntries {
		return &CapError{Cap: CapEntries, Limit: MaxEntries, Got: int64(w.entries), Where: "index " + self}
	}
	for _, desc := range manifests {
		subject, attestation := desc.Attestation()
		switch {
		case attestation:
			w.rep.Attestations = append(w.rep.Attestations, Attestation{Digest: desc.Digest,
				MediaType: desc.MediaType, RefersTo: subject})
		case desc.IsIndex():
			if err := w.nested(ctx, idx, desc.Digest, depth); err != nil {
				return err
			}
		case desc.IsImage():
			w.jobs = append(w.jobs, entryJob{digest: desc.Digest, index: parent, claimed: descPlatform(desc),
				image: func() (*registry.Image, error) { return idx.Image(desc.Digest) }})
		default:
			w.rep.Notes = append(w.rep.Notes, fmt.Sprintf("skipped %s: media type %q is neither image nor index",
				desc.Digest, desc.MediaType))
		}
	}
	return nil
}

// nested walks a nested index the first time it is listed.
func (w *walker) nested(ctx context.Context, parent *registry.Index, digest string, depth int) error {
	if w.seen[digest]++; w.seen[digest] > 1 {
		return nil
	}
	w.order = append(w.order, digest)
	child, err := parent.Index(digest)
	if err != nil {
		return fmt.Errorf("read nested index %s: %w", digest, err)
	}
	return w.collect(ctx, child, digest, digest, depth+1)
}

// repeatedIndexes reports each nested index listed more than once: its
// platforms would be in the index that many times. Its entries are listed
// once (a DAG of 9 manifests is not verified as its 65,536 paths).
func (w *walker) repeatedIndexes() {
	for _, d := range w.order {
		if n := w.seen[d]; n > 1 {
			w.rep.Violations = append(w.rep.Violations, Violation{Digest: d, Kind: KindDuplicate,
				Message: fmt.Sprintf("nested index %s is listed %d times: its platforms appear more than once (its entries are shown once)", d, n)})
		}
	}
}

// descPlatform is the descriptor's platform, nil when it has none (the
// config's is taken then).
func descPlatform(desc registry.Descriptor) *specs.Platform {
	p := desc.Platform
	if p == nil || (p.OS == "" && p.Architecture == "") {
		return nil
	}
	return &specs.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
}

// checkSet reports duplicated platforms and, with an expected set, missing
// and unexpected ones. Entries that failed still count as present.
func (rep *Report) checkSet(opts Options) {
	byPlatform := map[string][]string{}
	var order []string
	for _, e := range rep.Entries {
		if _, seen := byPlatform[e.Platform]; !seen {
			order = append(order, e.Platform)
		}
		byPlatform[e.Platform] = append(byPlatform[e.Platform], e.Digest)
	}
	for _, p := range order {
		if ds := byPlatform[p]; len(ds) > 1 {
			rep.Violations = append(rep.Violations, Violation{Platform: p, Digest: ds[1], Kind: KindDuplicate,
				Message: fmt.Sprintf("%s: %d entries (%s)", p, len(ds), digestList(ds))})
		}
	}
	if len(opts.Platforms) == 0 {
		return
	}
	var expected []string
	for _, want := range opts.Platforms {
		name := want.String()
		expected = append(expected, name)
		if _, ok := byPlatform[name]; !ok {
			rep.Violations = append(rep.Violations, Violation{Platform: name, Kind: KindMissing,
				Message: fmt.Sprintf("%s: expected, not in the index", name)})
		}
	}
	for _, p := range order {
		if !slices.Contains(expected, p) {
			rep.Notes = append(rep.Notes, p+": present, not in the expected platforms")
		}
	}
}

// maxListed bounds the digests a duplicate violation names.
const maxListed = 8

// digestList names the digests of a duplicated platform, each distinct one
// once with its count ("sha256:… ×2000"), at most maxListed of them.
func digestList(ds []string) string {
	count := map[string]int{}
	var distinct []string
	for _, d := range ds {
		if count[d]++; count[d] == 1 {
			distinct = append(distinct, d)
		}
	}
	var parts []string
	for i, d := range distinct {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("and %d more", len(distinct)-maxListed))
			break
		}
		if n := count[d]; n > 1 {
			d = fmt.Sprintf("%s ×%d", d, n)
		}
		parts = append(parts, d)
	}
	return strings.Join(parts, ", ")
}

// workers is the size of the pool judging distinct images: enough to
// overlap manifest and config fetches, few enough that memory does not
// grow with the index (layer reads are bounded apart, by Concurrency).
func workers(gomaxprocs int) int { return min(8, 2*gomaxprocs) }

// key identifies what one judgement depends on: the image and the
// platform it is judged against.
func (j entryJob) key() string {
	if j.claimed == nil {
		return j.digest
	}
	return j.digest + " " + platform.FormatOCI(*j.claimed)
}
