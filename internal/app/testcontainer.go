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

func (a testContainer) RunEach(ctx context.Context, ps []imagetest.Process) []imagetest.Outcome {
	cps := make([]container.Process, len(ps))
	for i, p := range ps {
		cps[i] = container.Process{Args: p.Args, Env: p.Env, Path: p.Path}
	}
	outs := a.c.RunEach(ctx, cps)
	res := make([]imagetest.Outcome, len(ps))
	for i := range min(len(ps), len(outs)) {
		res[i].Exit, res[i].Err = testOutcome(outs[i].Result, outs[i].Err)
	}
	for i := len(outs); i < len(ps); i++ {
		res[i].Err = errors.New("the builder reported no outcome")
	}
	return res
}

// testOutcome is a process's result and error as imagetest's Exit.
func testOutcome(res *container.ProcessResult, err error) (imagetest.Exit, error) {
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
