package registry

import (
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestStatements reads the provenance statement of every platform of an
// index laid out as BuildKit lays it out, each tied to its platform;
// asking for SPDX gives none, and an image without an index gives none.
func TestStatements(t *testing.T) {
	reg := testenv.StartRegistry(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	ref := reg.Ref("att", "1")
	d := testenv.PushIndexWithAttestations(t, ref, ps...)
	at, err := Statements(t.Context(), ref, Options{}, IsProvenance)
	if err != nil {
		t.Fatal(err)
	}
	if at.Digest != d.String() || len(at.Platforms) != 2 || len(at.Statements) != 2 {
		t.Fatalf("got %+v", at)
	}
	for i, st := range at.Statements {
		if st.Platform != at.Platforms[i].Platform || st.Digest != at.Platforms[i].Digest ||
			!IsProvenance(st.PredicateType) || !strings.Contains(string(st.Predicate), "mobyproject.org/buildkit@v1") {
			t.Errorf("statement %d: %+v (platforms %+v)", i, st, at.Platforms)
		}
	}
	at, err = Statements(t.Context(), ref, Options{}, func(pt string) bool { return pt == PredicateSPDX })
	if err != nil || len(at.Statements) != 0 || len(at.Platforms) != 2 {
		t.Errorf("SPDX only: %+v, %v", at, err)
	}
	img := reg.Ref("plain", "1")
	testenv.PushImage(t, img, testenv.BusyboxImage(t, ps[0]))
	if at, err := Statements(t.Context(), img, Options{}, IsProvenance); err != nil || len(at.Statements) != 0 {
		t.Errorf("single image: %+v, %v", at, err)
	}
}
