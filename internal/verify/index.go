package verify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	specs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// maxIndexDepth bounds nested indexes, against loops a hostile or buggy
// registry could present.
const maxIndexDepth = 8

// Index verifies every platform entry of idx (following nested indexes):
// each descriptor's platform against its config, each ELF file against the
// platform, and, with opts.Platforms, that the expected set is present
// with no platform twice. Attestation manifests are listed, not scanned.
//
// Findings are Report.Violations. The error is for operational failures:
// if the index itself cannot be read the report is nil; if some entries
// fail, the report holds all the others (each failed one with a "not
// verified" note) and the error joins one *EntryError per failed entry.
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
	var jobs []entryJob
	if err := rep.collect(idx, "", 0, &jobs); err != nil {
		return nil, err
	}
	r := newRun(opts)
	results := make([]entryResult, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { results[i] = r.entry(ctx, j) })
	}
	wg.Wait()
	var errs []error
	for _, res := range results {
		rep.add(res)
		errs = append(errs, res.err)
	}
	rep.checkSet(r.opts)
	return rep, errors.Join(errs...)
}

func newReport(digest, mediaType string) *Report {
	return &Report{Digest: digest, MediaType: mediaType, Entries: []Entry{}, Attestations: []Attestation{},
		Violations: []Violation{}, Notes: []string{}}
}

func (rep *Report) add(res entryResult) {
	if res.entry.Files == nil {
		res.entry.Files = []File{}
	}
	if res.entry.Notes == nil {
		res.entry.Notes = []string{}
	}
	rep.Entries = append(rep.Entries, res.entry)
	rep.Violations = append(rep.Violations, res.violations...)
}

// collect walks the index manifest depth first, sorting descriptors into
// entry jobs, attestations and notes.
func (rep *Report) collect(idx *registry.Index, parent string, depth int, jobs *[]entryJob) error {
	if depth > maxIndexDepth {
		return fmt.Errorf("index %s: nested deeper than %d", parent, maxIndexDepth)
	}
	manifests, err := idx.Manifests()
	if err != nil {
		return fmt.Errorf("read index %s: %w", parent, err)
	}
	for _, desc := range manifests {
		subject, attestation := desc.Attestation()
		switch {
		case attestation:
			rep.Attestations = append(rep.Attestations, Attestation{Digest: desc.Digest,
				MediaType: desc.MediaType, RefersTo: subject})
		case desc.IsIndex():
			child, err := idx.Index(desc.Digest)
			if err != nil {
				return fmt.Errorf("read nested index %s: %w", desc.Digest, err)
			}
			if err := rep.collect(child, desc.Digest, depth+1, jobs); err != nil {
				return err
			}
		case desc.IsImage():
			*jobs = append(*jobs, entryJob{digest: desc.Digest, index: parent, claimed: descPlatform(desc),
				image: func() (*registry.Image, error) { return idx.Image(desc.Digest) }})
		default:
			rep.Notes = append(rep.Notes, fmt.Sprintf("skipped %s: media type %q is neither image nor index",
				desc.Digest, desc.MediaType))
		}
	}
	return nil
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
				Message: fmt.Sprintf("%s: %d entries (%s)", p, len(ds), strings.Join(ds, ", "))})
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
