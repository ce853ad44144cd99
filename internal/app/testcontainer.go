package app

import (
	"context"
	"errors"

	"github.com/multiarch-dev/multiarch/internal/build/container"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
)

// imageOpener opens containers of registry images on the runner of each
// target.
func imageOpener(runner func(imagetest.Target) *container.Runner) imagetest.Opener {
	return func(ctx context.Context, t imagetest.Target, fn func(context.Context, imagetest.Container) error) error {
		img := container.Image{Ref: t.Tag, Digest: t.Digest, Platform: t.Platform}
		return runner(t).RunInImage(ctx, img, func(ctx context.Context, c container.Container) error {
			// Both checks of the cell in one container: one start, not two.
			c, release := container.Shared(ctx, c)
			defer release()
			return fn(ctx, testContainer{c})
		})
	}
}

// testContainer adapts build's containers to imagetest's: a non-zero exit
// is an Exit there, an *ExitError here. Build's test before export uses
// it for containers of solved results.
type testContainer struct{ c container.Container }

func (a testContainer) Run(ctx context.Context, p imagetest.Process) (imagetest.Exit, error) {
	res, err := a.c.Run(ctx, container.Process{Args: p.Args, Env: p.Env})
	var ex imagetest.Exit
	if res != nil {
		ex.Stdout, ex.Output, ex.Duration = res.Stdout, res.Output, res.Duration
	}
	var ee *container.ExitError
	if errors.As(err, &ee) {
		ex.Code = ee.Code
		if ee.Signal != 0 {
			ex.Signal = container.SignalName(ee.Signal)
		}
		return ex, nil
	}
	return ex, err
}

func (a testContainer) LookPath(ctx context.Context, file string) (string, error) {
	return a.c.LookPath(ctx, file)
}

func (a testContainer) ReadFile(ctx context.Context, path string, limit int) ([]byte, error) {
	return a.c.ReadFile(ctx, path, limit)
}
