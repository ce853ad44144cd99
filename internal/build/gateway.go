package build

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// ContainerRunner runs containers of registry images on one builder with
// BuildKit's gateway API: each RunInImage is one BuildKit session that
// pulls the image (solved, never exported) and lends it to a callback as a
// Container. Sessions may run in parallel. Create it with
// NewContainerRunner and Close it when done.
type ContainerRunner struct {
	c      *client.Client
	status *NodeStatus
	opts   ContainerOptions
}

// NewContainerRunner connects to the builder at address and asks it for
// its workers; a builder that does not answer is an *UnreachableError.
func NewContainerRunner(ctx context.Context, address string, opts ContainerOptions) (*ContainerRunner, error) {
	c, err := connect(ctx, address)
	if err != nil {
		return nil, err
	}
	st, err := probeClient(ctx, c, Node{Endpoint: address})
	if err != nil {
		c.Close()
		return nil, err
	}
	return &ContainerRunner{c: c, status: st, opts: opts.withDefaults()}, nil
}

// Status is what the builder said about itself when the runner connected.
func (r *ContainerRunner) Status() *NodeStatus { return r.status }

// Close closes the connection to the builder.
func (r *ContainerRunner) Close() error { return r.c.Close() }

// RunInImage pulls img on the builder and calls fn with a Container of it;
// the session ends when fn returns, and fn's error is returned as it is.
// An image the builder cannot pull is an *ImageError.
func (r *ContainerRunner) RunInImage(ctx context.Context, img ContainerImage, fn func(context.Context, Container) error) error {
	ref, err := pullRef(img)
	if err != nil {
		return err
	}
	r.opts.Logger.Debug("container session", "image", ref, "platform", img.Platform.String())
	so := client.SolveOpt{Session: []session.Attachable{authSession(r.opts.Keychain)}}
	// The build func runs in this process; its errors reach us through the
	// daemon only as text, so keep the typed ones here.
	var inner error
	_, err = r.c.Build(ctx, so, "multiarch-test", func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		ctr, err := imageContainer(ctx, gc, ref, img.Platform)
		if err != nil {
			inner = &ImageError{Ref: ref, Platform: img.Platform.String(), Err: err}
			return nil, inner
		}
		inner = fn(ctx, ctr)
		return gateway.NewResult(), inner
	}, nil)
	if inner != nil {
		return inner
	}
	if err != nil {
		return fmt.Errorf("container session for %s (%s): %w", ref, img.Platform, err)
	}
	return nil
}

// pullRef is repository@digest when the digest is known, else the
// reference as given.
func pullRef(img ContainerImage) (string, error) {
	if img.Ref == "" {
		return "", &ImageError{Platform: img.Platform.String(), Err: errNoImage}
	}
	if img.Digest == "" {
		return img.Ref, nil
	}
	r, err := name.ParseReference(img.Ref)
	if err != nil {
		return "", &ImageError{Ref: img.Ref, Platform: img.Platform.String(), Err: err}
	}
	repo := r.Context()
	if repo.RegistryStr() == name.DefaultRegistry {
		// BuildKit normalises docker.io names, not index.docker.io.
		return "docker.io/" + repo.RepositoryStr() + "@" + img.Digest, nil
	}
	return repo.Name() + "@" + img.Digest, nil
}

// imageContainer solves the image for p (pulling it now, so a missing
// image fails here) and reads its run configuration.
func imageContainer(ctx context.Context, gc gateway.Client, ref string, p platform.Platform) (*gatewayContainer, error) {
	spec := p.OCI()
	_, _, cfgBytes, err := gc.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &spec, ResolveMode: llb.ResolveModeDefault.String()},
		LogName:  "resolve " + ref,
	})
	if err != nil {
		return nil, err
	}
	var cfg ocispecs.Image
	if err := json.Unmarshal(cfgBytes, &cfg); err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	def, err := llb.Image(ref, llb.Platform(spec)).Marshal(ctx, llb.Platform(spec))
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
	ctr := newGatewayContainer(gc, r, p, cfg.Config)
	if err := ctr.setHolder(ctx); err != nil {
		return nil, err
	}
	return ctr, nil
}
