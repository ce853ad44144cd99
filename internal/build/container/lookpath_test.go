package container

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"slices"
	"sync"
	"testing"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// dirsRef is a root file system of directories holding files; it counts
// the ReadDir calls it answers.
type dirsRef struct {
	gateway.Reference
	dirs  map[string][]string
	mu    sync.Mutex
	calls int
}

func (r *dirsRef) ReadDir(_ context.Context, req gateway.ReadDirRequest) ([]*fstypes.Stat, error) {
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
	files, ok := r.dirs[path.Clean(req.Path)]
	if !ok {
		return nil, errors.New("lstat " + req.Path + ": no such file or directory")
	}
	var out []*fstypes.Stat
	if slices.Contains(files, req.IncludePattern) {
		out = append(out, &fstypes.Stat{Path: req.IncludePattern})
	}
	return out, nil
}

func TestLookPathAsksOnceForMissingDirs(t *testing.T) {
	ref := &dirsRef{dirs: map[string][]string{"/bin": {"sh", "sleep", "uname"}}}
	g := newGatewayContainer(nil, ref, platform.Host(), ocispecs.ImageConfig{})
	ctx := t.Context()
	for _, f := range []string{"sleep", "uname", "sh"} {
		if p, err := g.LookPath(ctx, f); err != nil || p != "/bin/"+f {
			t.Fatalf("LookPath(%s) = %q, %v", f, p, err)
		}
	}
	// Six PATH directories, five missing: asked once each, then /bin
	// once per file.
	if ref.calls != 6+2 {
		t.Errorf("%d ReadDir calls, want 8", ref.calls)
	}
	// A copy (as Shared makes) shares what was learnt.
	cp := *g
	if _, err := cp.LookPath(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LookPath(nope): %v", err)
	}
	if ref.calls != 9 {
		t.Errorf("%d ReadDir calls after the copy's lookup, want 9", ref.calls)
	}
}
