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
