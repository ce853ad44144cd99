package container

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sync"
	"time"

	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/probe"
)

// holderDir is where a container sees the native holder (read-only).
const holderDir = "/.multiarch"

// holder is what a container runs as its PID 1 while the checks run
// beside it (see gatewayContainer.Run): the node's own holder from
// internal/probe, mounted read-only, or else the image's sleep.
type holder struct {
	args  []string
	mount *gateway.Mount
	// ready says the holder writes a line when it runs (the native one):
	// start waits for it, so the first check does not find the container
	// still starting (BuildKit then polls it every 100 ms).
	ready bool
	// runner is the node's native runner beside the holder (see
	// RunEach), "" when its platform has none.
	runner string
}

// setHolder picks the container's holder: the native one when the node's
// platform has one, else the image's sleep, else none. An image with its
// own /.multiarch keeps it: the holder's mount would hide a directory
// there and cannot be made over a file (the container would not start).
func (g *gatewayContainer) setHolder(ctx context.Context) error {
	var ref gateway.Reference
	hasRunner := false
	if !g.exists(ctx, holderDir) {
		var err error
		if ref, hasRunner, err = nativeHolder(ctx, g.gc); err != nil {
			return fmt.Errorf("holder: %w", err)
		}
	}
	if ref != nil {
		g.holder = &holder{
			args:  []string{path.Join(holderDir, "holder")},
			mount: &gateway.Mount{Dest: holderDir, MountType: pb.MountType_BIND, Ref: ref, Readonly: true},
			ready: true,
		}
		if hasRunner {
			g.holder.runner = path.Join(holderDir, "runner")
		}
		return nil
	}
	if sleep, err := g.LookPath(ctx, "sleep"); err == nil {
		g.holder = &holder{args: []string{sleep, "1000000"}}
	}
	return nil
}

// nativeHolder solves the holder executable of the node's own platform
// (BuildKit lists it first), and its runner when there is one, into a
// reference; nil when the node's platform has no holder (loong64) or is
// not in the table.
func nativeHolder(ctx context.Context, gc gateway.Client) (ref gateway.Reference, hasRunner bool, err error) {
	ws := gc.BuildOpts().Workers
	if len(ws) == 0 || len(ws[0].Platforms) == 0 {
		return nil, false, nil
	}
	p, ok := platform.FromOCI(ws[0].Platforms[0])
	if !ok {
		return nil, false, nil
	}
	bin, err := probe.Holder(p)
	if err != nil {
		return nil, false, nil
	}
	fa := llb.Mkfile("holder", 0o755, bin)
	if runner, err := probe.Runner(p); err == nil {
		fa, hasRunner = fa.Mkfile("runner", 0o755, runner), true
	}
	def, err := llb.Scratch().File(fa).Marshal(ctx)
	if err != nil {
		return nil, false, err
	}
	res, err := gc.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB(), Evaluate: true})
	if err != nil {
		return nil, false, err
	}
	ref, err = res.SingleRef()
	return ref, hasRunner, err
}

// holderReadyTimeout bounds the wait for the holder's line; past it the
// checks start anyway (BuildKit waits for the container to run).
const holderReadyTimeout = 10 * time.Second

// startHolder starts the holder as the container's PID 1 and, for a
// holder that says so, waits until it runs. A holder that exits instead
// (it could not be executed) is an error at once: the container is gone
// with it, so there is nothing to wait for.
func (g *gatewayContainer) startHolder(ctx context.Context, ctr gateway.Container) error {
	req := gateway.StartRequest{Args: g.holder.args, Env: g.env, Cwd: "/"}
	var w *firstWrite
	if g.holder.ready {
		w = &firstWrite{done: make(chan struct{})}
		req.Stdout = w
	}
	proc, err := ctr.Start(ctx, req)
	if err != nil || w == nil {
		return err
	}
	// Wait returns when the holder exits, the container is released or
	// ctx ends, so this goroutine ends with the container.
	exited := make(chan error, 1)
	go func() { exited <- proc.Wait() }()
	t := time.NewTimer(holderReadyTimeout)
	defer t.Stop()
	select {
	case <-w.done:
	case err := <-exited:
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err == nil {
			return errors.New("the holder exited before it ran")
		}
		return fmt.Errorf("the holder exited before it ran: %w", err)
	case <-t.C:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	return nil
}

// firstWrite closes done on the first write: the holder's line.
type firstWrite struct {
	once sync.Once
	done chan struct{}
}

func (w *firstWrite) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.done) })
	return len(p), nil
}

func (w *firstWrite) Close() error { return nil }
