package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TagsError says that writing tags failed part-way (or was interrupted),
// and where every tag stands afterwards, as read back from the registry:
// a registry writes one tag per request, so several tags never move
// together, and "nothing was pushed" would be a lie once one has moved.
type TagsError struct {
	// Source is REPOSITORY@DIGEST, the manifest the tags were to name; it
	// is complete in the registry whatever happened to the tags.
	Source string
	// Moved point at Source's digest now; Unmoved do not (never written,
	// or the write failed); Unknown could not be read back.
	Moved, Unmoved, Unknown []string
	// Err is the first failure (a classified *Error, or ctx's error).
	Err error
}

func (e *TagsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "writing the tags of %s failed: moved: %s; not moved: %s", e.Source, tagList(e.Moved), tagList(e.Unmoved))
	if len(e.Unknown) > 0 {
		fmt.Fprintf(&b, "; not known (could not be read back): %s", tagList(e.Unknown))
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *TagsError) Unwrap() error { return e.Err }

// Hint says what is safe to do next.
func (e *TagsError) Hint() string {
	return "the image itself is complete in the registry as " + e.Source +
		"; run the same command again to move the tags that did not move (what is already there is not uploaded again)"
}

func tagList(tags []string) string {
	if len(tags) == 0 {
		return "none"
	}
	return strings.Join(tags, ", ")
}

// WriteTags points every tag at the manifest src names (REPOSITORY@DIGEST,
// already complete in the registry), one tag at a time, in order. A tag in
// another repository first gets a copy of the manifest and everything it
// references, by digest (blobs of the same registry are mounted). On any
// failure or interrupt the remaining tags are not written and the error is
// a *TagsError saying which tags moved and which did not, each looked up
// in the registry (with a bound of its own, so an interrupt still gets an
// answer).
func WriteTags(ctx context.Context, src string, tags []string, opts Options) error {
	r, err := parseReference(src, opts.Insecure)
	if err != nil {
		return err
	}
	dref, ok := r.remote.(name.Digest)
	if !ok {
		return &Error{Ref: src, Kind: ErrBadReference, Detail: "tags are written from a manifest named by digest",
			Advice: "write the source as REGISTRY/REPOSITORY@sha256:DIGEST"}
	}
	targets, err := parseTargets(tags, opts.Insecure)
	if err != nil {
		return err
	}
	rt := newGuard(opts)
	d, err := remote.Get(dref, opts.remoteOptions(ctx, rt)...)
	if err != nil {
		return classify(err, src, dref.RegistryStr())
	}
	pusher, err := remote.NewPusher(opts.remoteOptions(ctx, rt)...)
	if err != nil {
		return err
	}
	if err := copyToRepositories(ctx, pusher, d, dref, targets); err != nil {
		return err
	}
	m := rawManifest{raw: d.Manifest, mt: d.MediaType}
	return writeTags(ctx, pusher, targets, m, dref, opts, rt)
}

// copyToRepositories copies the manifest d (and what it references) by
// digest into every repository of targets other than src's.
func copyToRepositories(ctx context.Context, pusher *remote.Pusher, d *remote.Descriptor, src name.Digest, targets []name.Tag) error {
	done := map[string]bool{src.Context().String(): true}
	for _, t := range targets {
		repo := t.Context()
		if done[repo.String()] {
			continue
		}
		done[repo.String()] = true
		ref := repo.Digest(src.DigestStr())
		var err error
		if d.MediaType.IsIndex() {
			idx, ierr := d.ImageIndex()
			if ierr != nil {
				return classify(ierr, src.String(), src.RegistryStr())
			}
			err = pusher.Push(ctx, ref, idx)
		} else {
			img, ierr := d.Image()
			if ierr != nil {
				return classify(ierr, src.String(), src.RegistryStr())
			}
			err = pusher.Push(ctx, ref, img)
		}
		if err != nil {
			return classify(fmt.Errorf("copying %s: %w", src, err), ref.String(), repo.RegistryStr())
		}
	}
	return nil
}

// writeTags PUTs m under every tag, in order; src names m by digest. The
// first failure (or ctx ending) stops it, with a *TagsError.
func writeTags(ctx context.Context, pusher *remote.Pusher, tags []name.Tag, m rawManifest, src name.Digest, opts Options, rt http.RoundTripper) error {
	written := make([]bool, len(tags))
	for i, tag := range tags {
		err := ctx.Err()
		if err == nil {
			err = pusher.Put(ctx, tag, m)
		}
		if err != nil {
			if ctx.Err() == nil {
				err = classify(fmt.Errorf("writing the tag: %w", err), tag.String(), tag.RegistryStr())
			}
			return tagsFailed(ctx, tags, written, i, src, opts, rt, err)
		}
		written[i] = true
		opts.logger().Debug("tag written", "tag", tag.String(), "digest", src.DigestStr())
	}
	return nil
}

// tagsFailed looks every tag up and sorts it into a *TagsError: failed is
// the tag whose write failed, written those whose write the registry
// acknowledged. A tag that cannot be read back counts as moved when it was
// acknowledged, not moved when it was never sent, unknown otherwise. The
// look-ups get their own bound (one response timeout for all), since ctx
// may have ended.
func tagsFailed(ctx context.Context, tags []name.Tag, written []bool, failed int, src name.Digest, opts Options, rt http.RoundTripper, err error) error {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.responseTimeout())
	defer cancel()
	e := &TagsError{Source: src.String(), Err: err}
	for i, tag := range tags {
		d, herr := remote.Head(tag, opts.remoteOptions(lctx, rt)...)
		var terr *Error
		switch {
		case herr == nil && d.Digest.String() == src.DigestStr():
			e.Moved = append(e.Moved, tag.String())
		case herr == nil, errors.As(classify(herr, tag.String(), tag.RegistryStr()), &terr) && errors.Is(terr, ErrNotFound):
			e.Unmoved = append(e.Unmoved, tag.String())
		case written[i]:
			e.Moved = append(e.Moved, tag.String())
		case i > failed:
			e.Unmoved = append(e.Unmoved, tag.String())
		default:
			e.Unknown = append(e.Unknown, tag.String())
		}
	}
	return e
}
