package imagetest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Entry is one platform entry of a tag's index, as the registry lists it
// (attestations already left out).
type Entry struct {
	Platform string // normalised os/arch[/variant]
	Digest   string
}

// MissingPlatformError says a requested platform has no entry in Tag.
type MissingPlatformError struct {
	Tag       string
	Platform  string
	Available []string
}

func (e *MissingPlatformError) Error() string {
	return fmt.Sprintf("%s has no %s entry (it has %s)", e.Tag, e.Platform, strings.Join(e.Available, ", "))
}

// UnknownPlatformError says an entry's platform is not in multiarch's
// platform table, so there is nothing to check it against.
type UnknownPlatformError struct {
	Tag, Platform string
	Err           error
}

func (e *UnknownPlatformError) Error() string {
	return fmt.Sprintf("%s: entry %s: %v", e.Tag, e.Platform, e.Err)
}

func (e *UnknownPlatformError) Unwrap() error { return e.Err }

// Targets turns the entries of tag into targets: every entry, or only the
// wanted platforms (each of which must be there). native says which
// platforms the builder runs without emulation.
func Targets(tag string, entries []Entry, want []platform.Platform, native func(platform.Platform) bool) ([]Target, error) {
	var out []Target
	var have []string
	for _, e := range entries {
		have = append(have, e.Platform)
		p, err := platform.Parse(e.Platform)
		if err != nil {
			if len(want) == 0 {
				return nil, &UnknownPlatformError{Tag: tag, Platform: e.Platform, Err: err}
			}
			continue
		}
		if len(want) > 0 && !slices.ContainsFunc(want, func(w platform.Platform) bool { return w.String() == p.String() }) {
			continue
		}
		out = append(out, Target{Tag: tag, Platform: p, Digest: e.Digest, Native: native(p)})
	}
	for _, w := range want {
		if !slices.ContainsFunc(out, func(t Target) bool { return t.Platform.String() == w.String() }) {
			return nil, &MissingPlatformError{Tag: tag, Platform: w.String(), Available: have}
		}
	}
	return out, nil
}
