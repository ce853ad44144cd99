package registry

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// VariantFunc reads the variant of an image whose config names arch but
// no variant, from what the image holds (its binaries); the caller
// supplies it, this package reads no ELF files.
type VariantFunc func(ctx context.Context, img *Image, arch string) (platform.Platform, error)

// PlatformNeededError is returned by CreateIndex for a source whose
// platform is not known well enough to label its entry: its config names
// an architecture with variants but no variant (normalisation would
// invent linux/arm/v7) and its level could not be read, or a platform the
// caller gave for it does not fit it.
type PlatformNeededError struct {
	Source string // as given
	Stated string // what the source says, "linux/arm"
	Given  string // the caller's platform for it, if any
	Detail string // why it was refused
	Err    error  // the cause (reading the level); may be nil
}

func (e *PlatformNeededError) Error() string {
	msg := fmt.Sprintf("%s: %s", e.Source, e.Detail)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Hint asks for the platform, without naming a flag.
func (e *PlatformNeededError) Hint() string {
	if e.Given != "" {
		return fmt.Sprintf("name a platform of the source's own architecture (%s)", e.Stated)
	}
	return fmt.Sprintf("say which %s variant the image is built for (the oldest CPU its binaries run on); it is never guessed", e.Stated)
}

func (e *PlatformNeededError) Unwrap() error { return e.Err }

// Is makes a PlatformNeededError match ErrPlatform.
func (e *PlatformNeededError) Is(target error) bool { return target == ErrPlatform }

// inventsVariant reports whether normalising p adds a variant p does not
// state (containerd reads "arm" as arm/v7).
func inventsVariant(p *v1.Platform) bool {
	return p != nil && p.Variant == "" && normalise(p).Variant != ""
}

// settle gives every child its platform: the caller's for its source, or
// the variant read from its binaries for a child that states none, or an
// error; the index never holds a variant no one stated or read.
func settle(ctx context.Context, children []child, opts CreateOptions) error {
	matched := map[string]bool{}
	other := map[string]string{} // source → a platform of it that p does not fit
	for i := range children {
		c := &children[i]
		if c.attestation || c.image == nil || c.desc.Platform == nil {
			continue
		}
		given, ok := opts.Platforms[c.source]
		n := normalise(c.desc.Platform)
		switch {
		case ok && (n.OS != given.OS || n.Architecture != given.Arch):
			other[c.source] = n.OS + "/" + n.Architecture
		case ok:
			if err := c.give(given); err != nil {
				return err
			}
			matched[c.source] = true
		case inventsVariant(c.desc.Platform):
			if err := c.readVariant(ctx, opts.Variant); err != nil {
				return err
			}
		}
	}
	for src, p := range opts.Platforms {
		if !matched[src] {
			stated := other[src]
			return &PlatformNeededError{Source: src, Given: p.String(), Stated: stated,
				Detail: fmt.Sprintf("the image is %s, not of the architecture of %s", stated, p)}
		}
	}
	return nil
}

// give sets the caller's platform p, of the child's os and architecture:
// it may add a variant but not change a stated one.
func (c *child) give(p platform.Platform) error {
	stated := *c.desc.Platform
	n := normalise(&stated)
	statedName := n.OS + "/" + n.Architecture
	if stated.Variant != "" {
		statedName += "/" + n.Variant
	}
	refuse := func(detail string) error {
		return &PlatformNeededError{Source: c.source, Stated: statedName, Given: p.String(), Detail: detail}
	}
	if stated.Variant != "" && n.Variant != p.Variant {
		return refuse(fmt.Sprintf("the image states %s; a given platform cannot replace a stated variant (%s)", statedName, p))
	}
	c.setVariant(p.Variant)
	return nil
}

// readVariant asks read for the variant of a child that states none.
func (c *child) readVariant(ctx context.Context, read VariantFunc) error {
	stated := c.desc.Platform.OS + "/" + normalise(c.desc.Platform).Architecture
	if read == nil {
		return &PlatformNeededError{Source: c.source, Stated: stated,
			Detail: fmt.Sprintf("its config says %s with no variant, and no variant is guessed", stated)}
	}
	p, err := read(ctx, ImageOf(c.image), normalise(c.desc.Platform).Architecture)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &PlatformNeededError{Source: c.source, Stated: stated, Err: err,
			Detail: fmt.Sprintf("its config says %s with no variant, and its binaries do not settle one", stated)}
	}
	c.setVariant(p.Variant)
	return nil
}

// setVariant labels the child with variant, on a copy of its platform
// (the descriptor's may be shared with the source index).
func (c *child) setVariant(variant string) {
	p := *normalise(c.desc.Platform)
	p.Variant = variant
	c.desc.Platform = &p
	c.platform = formatPlatform(&p)
}
