package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/build"
)

// TestAttestHints: --sbom true's unreachable Docker Hub scanner is named
// as the default, and the way out is a generator= copy or no SBOM.
func TestAttestHints(t *testing.T) {
	err := &build.NodeBuildError{Node: "n", Err: &build.SBOMGeneratorError{Generator: build.DefaultSBOMGenerator, Default: true, Err: errors.New("no such host")}}
	msg := Message(err)
	for _, w := range []string{"cannot be fetched by the builder", "--sbom true runs BuildKit's default scanner", "--sbom generator=", "--sbom false"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q:\n%s", w, msg)
		}
	}
	if h := attestHints(errors.New("other")); h != nil {
		t.Errorf("hints for an unrelated error: %v", h)
	}
}
