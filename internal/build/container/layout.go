package container

import (
	"context"
	"fmt"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Images of a local OCI layout (Options.Layouts, Image.Layout) reach the
// builder the way buildx's oci-layout:// named contexts do: the session
// lends the layout's directory as a content store, and the builder reads
// the image from it through the session. Nothing goes through a registry,
// which is how ci's PR mode tests exactly the exported bytes.

// layoutName is the name the builder shows for an image of a layout (its
// logs), a normalised reference as the source parses it; the store ID
// and digest say which image it is.
const layoutName = "docker.io/library/multiarch-layout"

// lendLayouts adds a content store per layout directory to so.
func lendLayouts(so *client.SolveOpt, layouts map[string]string) error {
	for id, dir := range layouts {
		if err := LendLayout(so, id, dir); err != nil {
			return err
		}
	}
	return nil
}

// LendLayout adds the local OCI layout directory dir to so as the content
// store id, which the builder reads through the session (an oci-layout
// source, or a named context's oci-layout://id@digest).
func LendLayout(so *client.SolveOpt, id, dir string) error {
	store, err := local.NewStore(dir)
	if err != nil {
		return fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	if so.OCIStores == nil {
		so.OCIStores = map[string]content.Store{}
	}
	so.OCIStores[id] = store
	return nil
}

// layoutContainer is imageContainer for the manifest digest of an image
// in the layout lent as storeID.
func layoutContainer(ctx context.Context, gc gateway.Client, storeID, digest string, p platform.Platform) (Container, error) {
	spec := p.OCI()
	ref := layoutName + "@" + digest
	sessionID := gc.BuildOpts().SessionID
	_, _, cfgBytes, err := gc.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
		LogName: "resolve " + ref + " (OCI layout)",
		OCILayoutOpt: &sourceresolver.ResolveOCILayoutOpt{Platform: &spec,
			Store: sourceresolver.ResolveImageConfigOptStore{SessionID: sessionID, StoreID: storeID}},
	})
	if err != nil {
		return nil, err
	}
	st := llb.OCILayout(ref, llb.OCIStore(sessionID, storeID), llb.Platform(spec))
	return solvedContainer(ctx, gc, st, p, cfgBytes)
}
