package container

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// Parallel RunInImage calls of one runner share one session on the
// builder; a missing image fails its own call only; after Close the
// runner refuses, and the builder saw no second session.
func TestRunnerSharesOneSession(t *testing.T) {
	e := testenv.StartBuildkitd(t)
	r, err := NewRunner(t.Context(), e.Address, Options{Registry: registry.Options{Keychain: testenv.Keychain()}})
	if err != nil {
		t.Fatal(err)
	}
	reg := testenv.StartRegistry(t)
	ref := reg.Ref("busybox", "session")
	ps := testenv.Platforms(t, "linux/amd64", "linux/386")
	idx := testenv.BusyboxIndex(t, ps...)
	testenv.PushIndex(t, ref, idx)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			p := ps[i%len(ps)]
			img := Image{Ref: ref, Digest: entryDigest(t, idx, p), Platform: p}
			if i == 3 {
				img = Image{Ref: reg.Ref("missing", "1"), Platform: p}
			}
			errs[i] = r.RunInImage(ctx, img, func(ctx context.Context, c Container) error {
				res, err := c.Run(ctx, Process{Args: []string{"uname", "-m"}})
				if err == nil && strings.TrimSpace(string(res.Stdout)) != "x86_64" {
					err = errors.New("uname -m: " + string(res.Stdout))
				}
				return err
			})
		})
	}
	wg.Wait()
	for i, err := range errs[:3] {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}
	var ie *ImageError
	if !errors.As(errs[3], &ie) {
		t.Errorf("missing image: %v, want an *ImageError", errs[3])
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.RunInImage(ctx, Image{Ref: ref, Platform: ps[0]}, func(context.Context, Container) error { return nil }); err == nil {
		t.Error("RunInImage after Close: no error")
	}
	a := testenv.DaemonActivity(t, e.Address)
	if a.Sessions != 1 {
		t.Errorf("the builder saw %d sessions, want 1", a.Sessions)
	}
}
