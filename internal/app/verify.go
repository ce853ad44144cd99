package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/verify"
)

// VerifyOptions say which images Verify reads and what they must hold.
type VerifyOptions struct {
	// Refs are the images or indexes to verify: REGISTRY/REPOSITORY:TAG,
	// @DIGEST or oci-layout://PATH[:TAG], oci-archive:FILE[:TAG] or a
	// path to such a tarball. At least one.
	Refs []string
	// Platforms, when not empty, must be exactly the platforms of every
	// index (variant-aware). Empty: any set.
	Platforms []platform.Platform
	// Registry is how registries are reached (insecure list, logger).
	Registry registry.Options
	// FailFast stops at the first reference that cannot be read; ci sets
	// it, its tags all name one index. Default: every reference is tried.
	FailFast bool
}

// VerifyReport is one VerifyResult per reference that could be read, in
// the order given.
type VerifyReport struct {
	Results []VerifyResult
}

// VerifyResult is one reference's report; its JSON is the report's with
// the reference added.
type VerifyResult struct {
	Reference string `json:"reference"`
	*verify.Report
}

// Violations counts the violations of every result.
func (r *VerifyReport) Violations() int {
	n := 0
	for _, res := range r.Results {
		n += len(res.Violations)
	}
	return n
}

// OK reports whether every reference was read and verified: every entry
// read to its end, no violation, something checked (verify.Report.OK).
func (r *VerifyReport) OK() bool {
	for _, res := range r.Results {
		if !res.OK {
			return false
		}
	}
	return len(r.Results) > 0
}

// ELFFiles counts the ELF files read across every result.
func (r *VerifyReport) ELFFiles() int {
	n := 0
	for _, res := range r.Results {
		for _, e := range res.Entries {
			n += e.ELFCount
		}
	}
	return n
}

// ViolationsError is Verify's error when an image does not hold what its
// platforms claim; it matches ErrChecksFailed.
type ViolationsError struct{ Count int }

func (e *ViolationsError) Error() string {
	return fmt.Sprintf("%v: %d violation(s); the images above do not hold what their platforms claim", ErrChecksFailed, e.Count)
}

// Is makes a ViolationsError match ErrChecksFailed.
func (e *ViolationsError) Is(target error) bool { return target == ErrChecksFailed }

// Verify reads every ELF file of every platform entry of each reference
// and checks it against the platform the entry claims (verify.Index), and
// that the expected platforms are present. Layers shared by platforms or
// by several references are read once. The report holds every reference
// that could be read; the error joins each reference that could not
// (naming it) or whose entries could not all be read (one *verify.EntryError
// each, status error in the report) and, when any image breaks its claims,
// a *ViolationsError. A nil error means every entry was read to its end.
func Verify(ctx context.Context, o VerifyOptions) (*VerifyReport, error) {
	if len(o.Refs) == 0 {
		return &VerifyReport{}, errors.New("name at least one image or index to verify")
	}
	vopts := verify.Options{Platforms: o.Platforms, Cache: verify.NewCache(), Logger: o.Registry.Logger}
	rep := &VerifyReport{}
	var errs []error
	for _, ref := range o.Refs {
		r, err := verifyRef(ctx, ref, o.Registry, vopts)
		if r != nil {
			rep.Results = append(rep.Results, VerifyResult{Reference: ref, Report: r})
		}
		if err != nil {
			errs = append(errs, verifyError(ref, err))
			if o.FailFast {
				return rep, errors.Join(errs...)
			}
		}
	}
	if n := rep.Violations(); n > 0 {
		errs = append(errs, &ViolationsError{Count: n})
	}
	if len(errs) == 0 && !rep.OK() {
		// Every entry skipped (platforms not in the table) or none at all:
		// nothing failed, and nothing was proven either.
		errs = append(errs, fmt.Errorf("%w: nothing verified: no entry has a platform multiarch can check", ErrChecksFailed))
	}
	return rep, errors.Join(errs...)
}

// verifyError says which reference failed to verify. A registry error
// about that very reference names it too; its copy without the reference
// keeps the message from saying it twice. Only err itself is looked at: a
// registry error further down the chain is printed after other text and
// names what it is about (a source, a blob).
func verifyError(ref string, err error) error {
	if re, ok := err.(*registry.Error); ok && re.Ref == strings.TrimSpace(ref) {
		inner := *re
		inner.Ref = ""
		err = &inner
	}
	return fmt.Errorf("verify %s: %w", ref, err)
}

// verifyRef resolves ref and verifies the index or the single image.
func verifyRef(ctx context.Context, ref string, ropts registry.Options, vopts verify.Options) (*verify.Report, error) {
	res, err := registry.Resolve(ctx, ref, ropts)
	if err != nil {
		return nil, err
	}
	if res.Kind == registry.KindIndex {
		return verify.Index(ctx, res.AsIndex(), vopts)
	}
	// A single image claims nothing but its config.
	return verify.Image(ctx, res.AsImage(), nil, vopts)
}
