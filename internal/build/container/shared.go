package container

import (
	"context"
	"fmt"
	"sync"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
)

// sharedContainer is the one running container of a Shared Container.
type sharedContainer struct {
	mu  sync.Mutex
	ctx context.Context
	ctr gateway.Container
	err error
}

// Shared returns a Container whose Runs share one running container,
// started on the first Run and released by the returned func, instead of
// a fresh container per Run: one container start instead of one per
// process. Runs then see each other's writes, so use it for processes
// that do not depend on a pristine file system (the checks of one test
// cell). It shares only where a holder holds the container as PID 1 (see
// gatewayContainer.Run); otherwise, and for
// Containers this package did not make, it returns c as it is.
// ctx bounds the shared container's life.
func Shared(ctx context.Context, c Container) (Container, func()) {
	g, ok := c.(*gatewayContainer)
	if !ok || g.holder == nil {
		return c, func() {}
	}
	s := &sharedContainer{ctx: ctx}
	cp := *g
	cp.shared = s
	return &cp, s.release
}

func (s *sharedContainer) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctr != nil {
		s.ctr.Release(context.WithoutCancel(s.ctx))
		s.ctr = nil
	}
}

// container returns the container a Run starts its process in, and what
// to do when the process is done.
func (g *gatewayContainer) container(ctx context.Context) (gateway.Container, func(), error) {
	if g.shared == nil {
		ctr, err := g.start(ctx)
		if err != nil {
			return nil, nil, err
		}
		return ctr, func() { ctr.Release(context.WithoutCancel(ctx)) }, nil
	}
	s := g.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctr == nil && s.err == nil {
		s.ctr, s.err = g.start(s.ctx)
	}
	return s.ctr, func() {}, s.err
}

// containerRequest is a container of the root file system, with the
// holder's directory when there is one.
func (g *gatewayContainer) containerRequest() gateway.NewContainerRequest {
	spec := g.platform.OCI()
	mounts := []gateway.Mount{{Dest: "/", MountType: pb.MountType_BIND, Ref: g.ref}}
	if g.holder != nil && g.holder.mount != nil {
		mounts = append(mounts, *g.holder.mount)
	}
	return gateway.NewContainerRequest{
		Mounts:   mounts,
		Platform: &pb.Platform{OS: spec.OS, Architecture: spec.Architecture, Variant: spec.Variant},
	}
}

// start creates a container of the root file system and, when there is
// a holder, starts it as the holding PID 1.
func (g *gatewayContainer) start(ctx context.Context) (gateway.Container, error) {
	ctr, err := g.gc.NewContainer(ctx, g.containerRequest())
	if err != nil {
		return nil, fmt.Errorf("new container: %w", err)
	}
	if g.holder != nil {
		if err := g.startHolder(ctx, ctr); err != nil {
			ctr.Release(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("start holder %s: %w", g.holder.args[0], err)
		}
	}
	return ctr, nil
}
