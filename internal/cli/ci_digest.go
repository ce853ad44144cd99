package cli

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
)

// ciDigestFlags are ci's fan-out flags: push by digest only, and where
// to write the digest files `ci merge` reads.
type ciDigestFlags struct {
	pushByDigest bool
	digestDir    string
}

func addCIDigestFlags(fl *pflag.FlagSet, f *ciDigestFlags) {
	fl.BoolVar(&f.pushByDigest, "push-by-digest", false,
		"fan-out runner: build, test, push by digest, verify and test the pushed image, and write no tag (`ci merge` does); the repository is --image's or the first tag's")
	fl.StringVar(&f.digestDir, "digest-dir", "", "with --push-by-digest, write one digest file per platform (PLATFORM.json, e.g. linux_arm64.json) into `DIR` for `ci merge`")
}

// errDigestDirAlone is --digest-dir without --push-by-digest.
var errDigestDirAlone = errors.New("--digest-dir is written by a run pushed by digest: add --push-by-digest")

// config lets a run pushed by digest name its repository by image alone:
// with no tag anywhere, the image is the push target (no tag is written).
func (f *ciDigestFlags) config(c pipeline.Config) pipeline.Config {
	if f.pushByDigest && len(c.Tags) == 0 && c.Image != "" {
		c.Tags = []string{c.Image}
	}
	return c
}

// set puts the fan-out flags into the run's options (RunCI creates the
// digest directory before any step runs).
func (f *ciDigestFlags) set(o *app.CIOptions) error {
	if f.digestDir != "" && !f.pushByDigest {
		return errDigestDirAlone
	}
	o.PushByDigest, o.DigestDir = f.pushByDigest, f.digestDir
	return nil
}
