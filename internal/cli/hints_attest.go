package cli

import (
	"errors"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/build"
)

// attestHints say how to get an SBOM when the builder cannot fetch its
// generator image (BuildKit's default scanner lives on Docker Hub).
func attestHints(err error) []string {
	var gen *build.SBOMGeneratorError
	if !errors.As(err, &gen) {
		return nil
	}
	out := []string{fmt.Sprintf("copy the generator image into a registry the builder reaches (a mirror or a local registry: `skopeo copy --all docker://%s docker://HOST/buildkit-syft-scanner`) and build with --sbom generator=HOST/buildkit-syft-scanner", gen.Generator)}
	if gen.Default {
		out[0] = "--sbom true runs BuildKit's default scanner " + build.DefaultSBOMGenerator + " from Docker Hub; " + out[0]
	}
	return append(out, "or build without an SBOM: drop --sbom (or --attest type=sbom), or give --sbom false")
}
