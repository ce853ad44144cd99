package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// Runner runs containers of registry images on one builder with
// BuildKit's gateway API: RunInImage pulls the image (solved, never
// exported) and lends it to a callback as a Container. All RunInImage
// calls of a runner, in parallel or not, share one BuildKit session (one
// build in the builder's history), opened on the first call and ended by
// Close. Create it with NewRunner and Close it when done.
type Runner struct {
	c      *client.Client
	status *builder.NodeStatus
	opts   Options
	// ctx bounds the shared session's life.
	ctx  context.Context
	mu   sync.Mutex
	sess *gatewaySession
}

// NewRunner connects to the builder at address and asks it for its
// workers; a builder that does not answer is a *builder.UnreachableError.
// ctx also bounds the session the runner's containers share.
func NewRunner(ctx context.Context, address string, opts Options) (*Runner, error) {
	cs, err := builder.Connect(ctx, []builder.Node{{Endpoint: address}})
	if err != nil {
		return nil, err
	}
	return &Runner{c: cs.Clients[0], status: cs.Statuses[0], opts: opts.withDefaults(), ctx: ctx}, nil
}

// Status is what the builder said about itself when the runner connected.
func (r *Runner) Status() *builder.NodeStatus { return r.status }

// Close ends the shared session and closes the connection to the builder.
func (r *Runner) Close() error {
	r.mu.Lock()
	s := r.sess
	r.sess = nil
	r.mu.Unlock()
	if s != nil {
		s.end()
	}
	return r.c.Close()
}

// RunInImage pulls img on the builder and calls fn with a Container of it;
// fn's error is returned as it is. An image the builder cannot pull is an
// *ImageError; a pull cut short by the end of ctx (a deadline: the pull
// has none of its own, and a registry that stalls a body would hold it
// forever) a *PullInterruptedError.
func (r *Runner) RunInImage(ctx context.Context, img Image, fn func(context.Context, Container) error) error {
	ref, err := pullRef(img)
	if err != nil {
		return err
	}
	s, err := r.session()
	if err != nil {
		return fmt.Errorf("container session for %s (%s): %w", ref, img.Platform, err)
	}
	r.opts.Logger.Debug("container", "image", ref, "platform", img.Platform.String())
	var ctr Container
	if img.Layout != "" {
		ctr, err = layoutContainer(ctx, s.gc, img.Layout, img.Digest, img.Platform)
	} else {
		ctr, err = imageContainer(ctx, s.gc, ref, img.Platform)
	}
	if err != nil {
		if ctx.Err() != nil {
			return &PullInterruptedError{Ref: ref, Registry: registry.Host(ref), Platform: img.Platform.String(), Err: context.Cause(ctx)}
		}
		return &ImageError{Ref: ref, Platform: img.Platform.String(), Err: err}
	}
	return fn(ctx, ctr)
}

// session returns the runner's open session, opening one when there is
// none yet or the last one ended.
func (r *Runner) session() (*gatewaySession, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sess != nil && !r.sess.ended() {
		return r.sess, nil
	}
	s, err := openSession(r.ctx, r.c, r.opts)
	if err != nil {
		return nil, err
	}
	r.sess = s
	return s, nil
}

// gatewaySession is one BuildKit build whose gateway client lends itself
// to the runner's containers until end.
type gatewaySession struct {
	gc   gateway.Client
	stop chan struct{}
	done chan struct{}
	err  error
}

func openSession(ctx context.Context, c *client.Client, opts Options) (*gatewaySession, error) {
	s := &gatewaySession{stop: make(chan struct{}), done: make(chan struct{})}
	ready := make(chan struct{})
	so := client.SolveOpt{Session: []session.Attachable{builder.AuthSession(opts.Registry)}}
	if err := lendLayouts(&so, opts.Layouts); err != nil {
		return nil, err
	}
	go func() {
		defer close(s.done)
		_, s.err = c.Build(ctx, so, "multiarch-test", func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
			s.gc = gc
			close(ready)
			select {
			case <-s.stop:
			case <-ctx.Done():
			}
			return gateway.NewResult(), nil
		}, nil)
	}()
	select {
	case <-ready:
		return s, nil
	case <-s.done:
		if s.err == nil {
			s.err = errors.New("the builder ended the session")
		}
		return nil, s.err
	}
}

func (s *gatewaySession) ended() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// end stops the session and waits for the builder to close it.
func (s *gatewaySession) end() {
	close(s.stop)
	<-s.done
}

// pullRef is repository@digest when the digest is known, else the
// reference as given.
func pullRef(img Image) (string, error) {
	if img.Ref == "" {
		return "", &ImageError{Platform: img.Platform.String(), Err: errNoImage}
	}
	if img.Digest == "" || img.Layout != "" {
		return img.Ref, nil
	}
	ref, err := registry.PullReference(img.Ref, img.Digest)
	if err != nil {
		return "", &ImageError{Ref: img.Ref, Platform: img.Platform.String(), Err: err}
	}
	return ref, nil
}

// imageContainer solves the image for p (pulling it now, so a missing
// image fails here) and reads its run configuration.
func imageContainer(ctx context.Context, gc gateway.Client, ref string, p platform.Platform) (Container, error) {
	spec := p.OCI()
	_, _, cfgBytes, err := gc.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &spec, ResolveMode: llb.ResolveModeDefault.String()},
		LogName:  "resolve " + ref,
	})
	if err != nil {
		return nil, err
	}
	return solvedContainer(ctx, gc, llb.Image(ref, llb.Platform(spec)), p, cfgBytes)
}

// solvedContainer solves st, the root file system of an image for p
// (evaluated now, so a missing image fails here), and runs it with the
// run configuration of cfgBytes, the image's config.
func solvedContainer(ctx context.Context, gc gateway.Client, st llb.State, p platform.Platform, cfgBytes []byte) (Container, error) {
	var cfg ocispecs.Image
	if err := json.Unmarshal(cfgBytes, &cfg); err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	def, err := st.Marshal(ctx, llb.Platform(p.OCI()))
	if err != nil {
		return nil, err
	}
	res, err := gc.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB(), Evaluate: true})
	if err != nil {
		return nil, err
	}
	r, err := res.SingleRef()
	if err != nil {
		return nil, err
	}
	return FromReference(ctx, gc, r, p, cfg.Config)
}

// FromReference is a Container of ref, a solved root file system of the
// gateway session gc (a build's result before it is exported), whose
// processes run with cfg's environment, working directory and user beside
// a holder (see gatewayContainer.Run).
func FromReference(ctx context.Context, gc gateway.Client, ref gateway.Reference, p platform.Platform, cfg ocispecs.ImageConfig) (Container, error) {
	ctr := newGatewayContainer(gc, ref, p, cfg)
	if err := ctr.setHolder(ctx); err != nil {
		return nil, err
	}
	return ctr, nil
}
