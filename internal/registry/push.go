package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// rawManifest is a manifest ready to PUT.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// push copies every child into each target repository by digest, writes
// the index by digest into the first tag's repository, then, unless
// untagged, writes it under every tag (writeTags: one at a time, a *TagsError saying
// which moved when one fails). go-containerregistry skips blobs and
// manifests the repository already has (HEAD first) and asks the registry
// to mount blobs of images read from the same registry.
func push(ctx context.Context, tags []name.Tag, children []child, idx rawManifest, untagged bool, opts Options, rt http.RoundTripper) error {
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
	h, _, err := v1.SHA256(bytes.NewReader(idx.raw))
	if err != nil {
		return err
	}
	src := tags[0].Context().Digest(h.String())
	if err := pusher.Put(ctx, src, idx); err != nil {
		return classify(fmt.Errorf("writing the index: %w", err), src.String(), src.RegistryStr())
	}
	if untagged {
		return nil
	}
	return writeTags(ctx, pusher, tags, idx, src, opts, rt)
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

// CheckPush asks the registry of each reference whether the caller may push
// to its repository, before any time is spent building or copying: it
// starts a blob upload (and cancels it) under push scope, which is what
// tells a registry's refusal apart from a read-only account. Each distinct
// repository is checked once, in order, through the package's transport
// policy (opts.Keychain, plain HTTP only for loopback registries and
// opts.Insecure, bounded timeouts, retries).
//
// Failures are *Error values: ErrBadReference for a reference that is not a
// registry reference, ErrUnauthorized (hint: log in with `multiarch login
// HOST`) when the registry refuses, ErrUnreachable when it cannot be
// reached, ErrInsecure when only plain HTTP would do and it is not allowed.
func CheckPush(ctx context.Context, refs []string, opts Options) error {
	g := newGuard(opts)
	seen := map[string]bool{}
	for _, s := range refs {
		r, err := parseReference(s, opts.Insecure)
		if err != nil {
			return err
		}
		if r.remote == nil {
			return &Error{Ref: s, Kind: ErrBadReference, Detail: "a push goes to a registry, not to an OCI layout",
				Advice: "write REGISTRY/REPOSITORY:TAG"}
		}
		repo := r.remote.Context()
		if seen[repo.String()] {
			continue
		}
		seen[repo.String()] = true
		if err := checkPush(ctx, repo, opts, g); err != nil {
			return classify(err, r.input, repo.RegistryStr())
		}
		opts.logger().Debug("push allowed", "repository", repo.String())
	}
	return nil
}

// checkPush does what remote.CheckPushPermission does, with ctx honoured
// and the upload cancelled before returning (no goroutine left behind).
func checkPush(ctx context.Context, repo name.Repository, opts Options, g http.RoundTripper) error {
	auth, err := authn.Resolve(ctx, opts.keychain(), repo)
	if err != nil {
		return err
	}
	rt := retrying(g, opts)
	scheme, err := pingScheme(ctx, repo.Registry, rt)
	if err != nil {
		return err
	}
	art, err := transport.NewWithContext(ctx, repo.Registry, auth, rt, []string{repo.Scope(transport.PushScope)})
	if err != nil {
		return err
	}
	client := &http.Client{Transport: art}
	u := fmt.Sprintf("%s://%s/v2/%s/blobs/uploads/", scheme, repo.RegistryStr(), repo.RepositoryStr())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer drain(resp)
	if err := transport.CheckError(resp, http.StatusCreated, http.StatusAccepted); err != nil {
		return err
	}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode == http.StatusAccepted {
		// The upload may hold resources on the registry; whether
		// cancelling works does not matter to the check.
		if lu, err := resp.Request.URL.Parse(loc); err == nil {
			if del, err := http.NewRequestWithContext(ctx, http.MethodDelete, lu.String(), nil); err == nil {
				if dresp, err := client.Do(del); err == nil {
					drain(dresp)
				}
			}
		}
	}
	return nil
}

// drain reads what is left of a small response and closes it, so its
// connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}
