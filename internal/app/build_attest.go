package app

import (
	"context"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/build"
)

// addProvenance fills res.Provenance for the metadata file (buildx's
// buildx.build.provenance) from the exported index, when a metadata file
// is asked for and the index can be read back (pushed, or an OCI tarball
// file); an index without provenance leaves it empty.
func addProvenance(ctx context.Context, o BuildOptions, res *build.Result) error {
	ref := res.Ref
	if ref == "" && res.OCIDest != "" && !res.OCIStreamed {
		ref = "oci-archive:" + res.OCIDest
	}
	if o.MetadataFile == "" || ref == "" {
		return nil
	}
	p, err := build.MetadataProvenance(ctx, ref, o.Build.Registry)
	if err != nil {
		return fmt.Errorf("built and exported %s, but its provenance could not be read back for the metadata file: %w", res.Digest, err)
	}
	res.Provenance = p
	return nil
}
