package registry

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// rawIndex is an index manifest ready to PUT.
type rawIndex struct {
	raw []byte
	mt  types.MediaType
}

func (r rawIndex) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawIndex) MediaType() (types.MediaType, error) { return r.mt, nil }

// push copies every child into each target repository by digest, then
// writes the index under every tag. go-containerregistry skips blobs and
// manifests the repository already has (HEAD first) and asks the registry
// to mount blobs of images read from the same registry.
func push(ctx context.Context, tags []name.Tag, children []child, idx rawIndex, opts Options, rt http.RoundTripper) error {
	pusher, err := remote.NewPusher(opts.remoteOptions(ctx, rt)...)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, tag := range tags {
		repo := tag.Context()
		if done[repo.String()] {
			continue
		}
		done[repo.String()] = true
		if err := pushChildren(ctx, pusher, repo, children, opts.jobs()); err != nil {
			return classify(err, tag.String(), repo.RegistryStr())
		}
	}
	for _, tag := range tags {
		if err := pusher.Put(ctx, tag, idx); err != nil {
			return classify(fmt.Errorf("writing the index: %w", err), tag.String(), tag.RegistryStr())
		}
		opts.logger().Debug("index pushed", "tag", tag.String())
	}
	return nil
}

func pushChildren(ctx context.Context, pusher *remote.Pusher, repo name.Repository, children []child, jobs int) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for _, c := range children {
		g.Go(func() error {
			ref := repo.Digest(c.desc.Digest.String())
			var err error
			if c.index != nil {
				err = pusher.Push(ctx, ref, c.index)
			} else {
				err = pusher.Push(ctx, ref, c.image)
			}
			if err != nil {
				return classify(err, fmt.Sprintf("copying %s (%s) from %s", c.desc.Digest, orUnknown(c.platform), c.source), repo.RegistryStr())
			}
			return nil
		})
	}
	return g.Wait()
}
