package registry

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// failPut answers 500 to every PUT of a manifest at path.
func failPut(path string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && r.URL.Path == path {
				http.Error(w, "disk full", http.StatusInternalServerError)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func digestOf(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Head(r)
	if err != nil {
		return ""
	}
	return d.Digest.String()
}

// TestCreateIndexSecondTagFails: t1 is written, t2's PUT fails, t3 is
// never sent; the error says exactly that, and the registry agrees.
func TestCreateIndexSecondTagFails(t *testing.T) {
	reg := startRegistry(t, failPut("/v2/dst/app/manifests/t2"))
	testenv.PushImage(t, reg.ref("src/amd:1"), image(t, true, "linux", "amd64", ""))
	testenv.PushImage(t, reg.ref("src/arm:1"), image(t, true, "linux", "arm64", ""))
	tags := []string{reg.ref("dst/app:t1"), reg.ref("dst/app:t2"), reg.ref("dst/app:t3")}
	_, err := CreateIndex(context.Background(), tags[0], []string{reg.ref("src/amd:1"), reg.ref("src/arm:1")},
		CreateOptions{Options: testOpts(), ExtraTargets: tags[1:]})
	var te *TagsError
	if !errors.As(err, &te) {
		t.Fatalf("want a *TagsError, got %v", err)
	}
	assertKind(t, err, ErrUnavailable)
	if !slices.Equal(te.Moved, tags[:1]) || !slices.Equal(te.Unmoved, tags[1:]) || len(te.Unknown) != 0 {
		t.Errorf("moved %v, not moved %v, unknown %v", te.Moved, te.Unmoved, te.Unknown)
	}
	if msg := err.Error(); !strings.Contains(msg, "moved: "+tags[0]) || !strings.Contains(msg, "not moved: "+tags[1]+", "+tags[2]) {
		t.Errorf("message: %s", msg)
	}
	src := digestOf(t, te.Source)
	if src == "" || digestOf(t, tags[0]) != src || tagExists(t, tags[1]) || tagExists(t, tags[2]) {
		t.Errorf("registry state: source %s, t1 %s, t2 %v, t3 %v", src, digestOf(t, tags[0]), tagExists(t, tags[1]), tagExists(t, tags[2]))
	}
	if !strings.Contains(te.Hint(), te.Source) {
		t.Errorf("hint %q does not name %s", te.Hint(), te.Source)
	}
}

// TestWriteTags copies an index pushed by digest into a second repository
// and tags it there and in its own; a tag whose write fails is reported
// not moved, and so is the one after it, never sent.
func TestWriteTags(t *testing.T) {
	reg := startRegistry(t, failPut("/v2/b/app/manifests/broken"))
	idx := index(t, true, plat{"linux", "amd64", ""}, plat{"linux", "arm64", ""})
	h := testenv.PushIndex(t, reg.ref("a/app:seed"), idx)
	src := reg.ref("a/app@" + h.String())

	tags := []string{reg.ref("a/app:1"), reg.ref("b/app:1")}
	if err := WriteTags(context.Background(), src, tags, testOpts()); err != nil {
		t.Fatal(err)
	}
	for _, tg := range tags {
		if d := digestOf(t, tg); d != h.String() {
			t.Errorf("%s is %q, want %s", tg, d, h)
		}
	}

	err := WriteTags(context.Background(), src, []string{reg.ref("a/app:2"), reg.ref("b/app:broken"), reg.ref("a/app:3")}, testOpts())
	var te *TagsError
	if !errors.As(err, &te) || !slices.Equal(te.Moved, []string{reg.ref("a/app:2")}) ||
		!slices.Equal(te.Unmoved, []string{reg.ref("b/app:broken"), reg.ref("a/app:3")}) {
		t.Fatalf("want a:2 moved, b:broken and a:3 not: %v", err)
	}

	if err := WriteTags(context.Background(), reg.ref("a/app:seed"), tags, testOpts()); !errors.Is(err, ErrBadReference) {
		t.Errorf("a tag as source: want ErrBadReference, got %v", err)
	}
}

// TestWriteTagsInterrupted: an interrupt right after the first tag's
// write stops before the second; the error says which moved, and the
// look-ups still answer (they have their own bound).
func TestWriteTagsInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	interruptAfter := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			if r.Method == http.MethodPut && r.URL.Path == "/v2/i/app/manifests/1" {
				cancel()
			}
		})
	}
	reg := startRegistry(t, interruptAfter)
	h := testenv.PushIndex(t, reg.ref("i/app:seed"), index(t, true, plat{"linux", "amd64", ""}))
	tags := []string{reg.ref("i/app:1"), reg.ref("i/app:2")}
	err := WriteTags(ctx, reg.ref("i/app@"+h.String()), tags, testOpts())
	var te *TagsError
	if !errors.As(err, &te) || !errors.Is(err, context.Canceled) {
		t.Fatalf("want a *TagsError wrapping context.Canceled, got %v", err)
	}
	if !slices.Equal(te.Moved, tags[:1]) || !slices.Equal(te.Unmoved, tags[1:]) {
		t.Errorf("moved %v, not moved %v, unknown %v", te.Moved, te.Unmoved, te.Unknown)
	}
	if digestOf(t, tags[0]) != h.String() || tagExists(t, tags[1]) {
		t.Error("the registry does not match the error")
	}
}
