package verify

import (
	"context"
	"errors"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// ErrLevelUnknown is wrapped by OldestVariant when the image's ELF files
// fit every variant but none of them states its level (no ARM attributes,
// no Go build info): any variant would be a guess.
var ErrLevelUnknown = errors.New("no ELF file says which CPU level it needs")

// OldestVariant returns the oldest table row of arch (linux, table order
// is oldest first) that every ELF file of img fits, as Image judges it,
// for an image whose config names the architecture but no variant. A row
// is only returned when at least one file states its level; the layers
// are read once whatever the number of rows tried (opts.Cache).
func OldestVariant(ctx context.Context, img *registry.Image, arch string, opts Options) (platform.Platform, error) {
	if opts.Cache == nil {
		opts.Cache = NewCache()
	}
	var last []Violation
	for _, row := range platform.All() {
		if row.OS != "linux" || row.Arch != arch {
			continue
		}
		rep, err := Image(ctx, img, &row, opts)
		if err != nil {
			return platform.Platform{}, err
		}
		if len(rep.Violations) > 0 {
			last = rep.Violations
			continue
		}
		if n := rep.Entries[0].ELFCount; n == 0 {
			return platform.Platform{}, fmt.Errorf("%w: it holds no ELF files", ErrLevelUnknown)
		}
		if !statesLevel(rep) {
			return platform.Platform{}, fmt.Errorf("%w: every %s variant would pass", ErrLevelUnknown, arch)
		}
		return row, nil
	}
	if len(last) == 0 {
		return platform.Platform{}, fmt.Errorf("linux/%s is not in the platform table", arch)
	}
	more := ""
	if len(last) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(last)-1)
	}
	return platform.Platform{}, fmt.Errorf("its ELF files fit no linux/%s variant: %s%s", arch, last[0].Message, more)
}

// statesLevel reports whether some ELF file of the report's entry says its
// CPU level: ARM attributes (A or R profile), an x86 ISA property, or a Go
// level setting.
func statesLevel(rep *Report) bool {
	for _, e := range rep.Entries {
		for _, f := range e.Files {
			if f.ELF.ARM.Present || f.ELF.X86ISANeeded.Level() > 0 || f.ELF.Go.Setting != "" {
				return true
			}
		}
	}
	return false
}
