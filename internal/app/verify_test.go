package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/verify"
)

// TestVerifyError checks that a failed reference is named once: a
// registry error about that very reference loses its own copy of it.
func TestVerifyError(t *testing.T) {
	same := &registry.Error{Ref: "r.example/a:1", Kind: registry.ErrNotFound, Detail: "gone"}
	got := verifyError(" r.example/a:1", same).Error()
	if strings.Count(got, "r.example/a:1") != 1 || !strings.HasPrefix(got, "verify  r.example/a:1: not found: gone") {
		t.Errorf("same reference: %q", got)
	}
	if same.Ref == "" {
		t.Error("the caller's error was changed")
	}
	other := &registry.Error{Ref: "r.example/src:1", Kind: registry.ErrNotFound}
	if got := verifyError("r.example/a:1", other); !strings.Contains(got.Error(), "r.example/src:1") || !errors.Is(got, registry.ErrNotFound) {
		t.Errorf("other reference: %v", got)
	}
}

func TestVerifyReportCounts(t *testing.T) {
	rep := &VerifyReport{Results: []VerifyResult{
		{Reference: "a", Report: &verify.Report{Violations: make([]verify.Violation, 2), Entries: []verify.Entry{{ELFCount: 3}, {ELFCount: 4}}}},
		{Reference: "b", Report: &verify.Report{Violations: make([]verify.Violation, 1), Entries: []verify.Entry{{ELFCount: 5}}}},
	}}
	if rep.Violations() != 3 || rep.ELFFiles() != 12 {
		t.Errorf("violations %d, ELF files %d", rep.Violations(), rep.ELFFiles())
	}
	err := error(&ViolationsError{Count: 3})
	if !errors.Is(err, ErrChecksFailed) || err.Error() != "checks failed: 3 violation(s); the images above do not hold what their platforms claim" {
		t.Errorf("violations error: %v", err)
	}
}

func TestVerifyNeedsARef(t *testing.T) {
	rep, err := Verify(context.Background(), VerifyOptions{})
	if err == nil || rep == nil {
		t.Errorf("no reference: %v %v", rep, err)
	}
}
