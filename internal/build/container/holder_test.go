package container

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/multiarch-dev/multiarch/internal/probe"
)

// holderCtr is a gateway container whose first process either writes its
// line and runs until released, or exits at once with exitErr.
type holderCtr struct {
	exitErr  error
	released chan struct{}
}

func (c *holderCtr) Start(_ context.Context, req gateway.StartRequest) (gateway.ContainerProcess, error) {
	if c.exitErr == nil {
		req.Stdout.Write([]byte("\n"))
		return holderProc{wait: func() error { <-c.released; return nil }}, nil
	}
	return holderProc{wait: func() error { return c.exitErr }}, nil
}

func (c *holderCtr) Release(context.Context) error { close(c.released); return nil }
func (c *holderCtr) ReadFile(context.Context, gateway.ReadContainerRequest) ([]byte, error) {
	return nil, errors.ErrUnsupported
}
func (c *holderCtr) StatFile(context.Context, gateway.StatContainerRequest) (*fstypes.Stat, error) {
	return nil, errors.ErrUnsupported
}
func (c *holderCtr) ReadDir(context.Context, gateway.ReadDirContainerRequest) ([]*fstypes.Stat, error) {
	return nil, errors.ErrUnsupported
}

type holderProc struct{ wait func() error }

func (p holderProc) Wait() error                                 { return p.wait() }
func (holderProc) Resize(context.Context, gateway.WinSize) error { return nil }
func (holderProc) Signal(context.Context, syscall.Signal) error  { return nil }

// TestStartHolderExitsEarly: a holder that exits instead of running (it
// could not be executed) is an error at once, not a wait of
// holderReadyTimeout for a container that is already gone.
func TestStartHolderExitsEarly(t *testing.T) {
	g := &gatewayContainer{holder: &holder{args: []string{"/.multiarch/holder"}, ready: true}}
	ctr := &holderCtr{exitErr: errors.New("exec format error"), released: make(chan struct{})}
	start := time.Now()
	err := g.startHolder(t.Context(), ctr)
	if err == nil || !strings.Contains(err.Error(), "exec format error") {
		t.Errorf("err = %v, want the holder's exit", err)
	}
	if d := time.Since(start); d > holderReadyTimeout/2 {
		t.Errorf("took %v: waited for a holder that had exited", d)
	}

	// One that runs is ready as soon as it writes its line.
	ctr = &holderCtr{released: make(chan struct{})}
	if err := g.startHolder(t.Context(), ctr); err != nil {
		t.Errorf("a running holder: %v", err)
	}
	ctr.Release(t.Context())
}

// The runner's token fits its record buffer and differs each time.
func TestRunnerToken(t *testing.T) {
	a, err := runnerToken()
	b, _ := runnerToken()
	if err != nil || len(a) > probe.MaxRunnerToken || a == b {
		t.Errorf("tokens %q %q: %v", a, b, err)
	}
}
