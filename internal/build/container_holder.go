package build

import (
	"context"
	"fmt"
	"path"

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
}

// setHolder picks the container's holder: the native one when the node's
// platform has one, else the image's sleep, else none.
func (g *gatewayContainer) setHolder(ctx context.Context) error {
	ref, err := nativeHolder(ctx, g.gc)
	if err != nil {
		return fmt.Errorf("holder: %w", err)
	}
	if ref != nil {
		g.holder = &holder{
			args:  []string{path.Join(holderDir, "holder")},
			mount: &gateway.Mount{Dest: holderDir, MountType: pb.MountType_BIND, Ref: ref, Readonly: true},
		}
		return nil
	}
	if sleep, err := g.LookPath(ctx, "sleep"); err == nil {
		g.holder = &holder{args: []string{sleep, "1000000"}}
	}
	return nil
}

// nativeHolder solves the holder executable of the node's own platform
// (BuildKit lists it first) into a reference; nil when the node's
// platform has none (loong64) or is not in the table.
func nativeHolder(ctx context.Context, gc gateway.Client) (gateway.Reference, error) {
	ws := gc.BuildOpts().Workers
	if len(ws) == 0 || len(ws[0].Platforms) == 0 {
		return nil, nil
	}
	p, ok := platform.FromOCI(ws[0].Platforms[0])
	if !ok {
		return nil, nil
	}
	bin, err := probe.Holder(p)
	if err != nil {
		return nil, nil
	}
	def, err := llb.Scratch().File(llb.Mkfile("holder", 0o755, bin)).Marshal(ctx)
	if err != nil {
		return nil, err
	}
	res, err := gc.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB(), Evaluate: true})
	if err != nil {
		return nil, err
	}
	return res.SingleRef()
}
