package verify

import (
	"errors"
	"fmt"
)

// ErrDigestMismatch is matched (errors.Is) by every DigestMismatchError.
var ErrDigestMismatch = errors.New("digest mismatch")

// DigestMismatchError says a blob's bytes do not hash to its digest
// (both "algorithm:hex").
type DigestMismatchError struct {
	Want, Got string
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("digest mismatch: content hashes to %s, want %s", e.Got, e.Want)
}

// Is makes errors.Is(err, ErrDigestMismatch) hold.
func (e *DigestMismatchError) Is(target error) bool { return target == ErrDigestMismatch }

// LayerError is a failure to read one layer blob: fetch, decompression,
// a truncated stream (wrapping io.ErrUnexpectedEOF), a broken tar, or a
// DigestMismatchError.
type LayerError struct {
	Digest string
	Err    error
}

func (e *LayerError) Error() string { return fmt.Sprintf("layer %s: %v", e.Digest, e.Err) }
func (e *LayerError) Unwrap() error { return e.Err }

// EntryError is a failure to verify one index entry; Index joins them
// (errors.Join) so every failed platform is reported, not just the first.
type EntryError struct {
	Platform string // normalised, or "" if not known yet
	Digest   string
	Err      error
}

func (e *EntryError) Error() string {
	name := e.Platform
	if name == "" {
		name = "entry"
	}
	return fmt.Sprintf("%s %s: %v", name, e.Digest, e.Err)
}
func (e *EntryError) Unwrap() error { return e.Err }

// Caps: the bounds verify keeps on any input, so that a small hostile
// image cannot make it use unbounded memory or time. README's verify
// section lists them.
const (
	// MaxEntries bounds the descriptors read across an index and its
	// nested indexes (each distinct nested index counted once).
	MaxEntries = 10000
	// MaxDepth bounds how deep indexes nest.
	MaxDepth = 8
	// MaxPathLength is PATH_MAX: no runtime can extract a layer path
	// longer than this.
	MaxPathLength = 4096
	// MaxNameBytes bounds the bytes of path names kept for one image
	// (every layer's entries, to apply whiteouts and overwrites).
	MaxNameBytes = 64 << 20
)

// Cap names one of the bounds above.
type Cap string

// The caps, as CapError names them.
const (
	CapEntries    Cap = "entries"
	CapDepth      Cap = "nesting depth"
	CapPathLength Cap = "path length"
	CapNameBytes  Cap = "bytes of path names"
)

// CapError says an input went past one of verify's caps: which, where,
// and (Hint) what to do. Nothing past the cap was read.
type CapError struct {
	Cap   Cap
	Limit int64
	// Got is how much was found when verify stopped (at least Limit+1).
	Got int64
	// Where names the index, layer or image concerned; empty when the
	// error is wrapped by what names it (a tar entry).
	Where string
}

func (e *CapError) Error() string {
	msg := fmt.Sprintf("%s %d is over verify's cap of %d", e.Cap, e.Got, e.Limit)
	if e.Where == "" {
		return msg
	}
	return e.Where + ": " + msg
}

// Hint says what to do about the cap.
func (e *CapError) Hint() string {
	switch e.Cap {
	case CapEntries:
		return "an index this large is not a multi-platform image; verify its nested indexes or images one by one, by digest"
	case CapDepth:
		return "indexes nest this deep only by mistake or malice; verify the nested index by digest"
	case CapPathLength:
		return "no container runtime can extract a path longer than PATH_MAX; rebuild the image without it"
	}
	return "the layers name more files than any real image; rebuild the image with fewer files or fewer layers"
}

// UnknownPlatformError says a single image's config names no architecture,
// or one not in the platform table: none of its files can be checked, so
// nothing is verified.
type UnknownPlatformError struct {
	Platform     string // as the config names it, normalised
	Architecture string // "" when the config names none
}

func (e *UnknownPlatformError) Error() string {
	if e.Architecture == "" {
		return "the image's config names no architecture: there is nothing to check its files against"
	}
	return fmt.Sprintf("the image's config names %s, a platform not in multiarch's table: its files cannot be checked", e.Platform)
}
