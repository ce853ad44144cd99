package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/multiarch-dev/multiarch/internal/build"
)

// attestFlags are buildx's attestation flags: --attest (repeatable) and
// its shorthands --provenance and --sbom.
type attestFlags struct {
	attest           []string
	provenance, sbom string
}

func addAttestFlags(fl *pflag.FlagSet, f *attestFlags) {
	fl.StringArrayVar(&f.attest, "attest", nil, "type=provenance|sbom[,KEY=VALUE...] attestation to add to the index; repeatable (as buildx)")
	fl.StringVar(&f.provenance, "provenance", "", "provenance attestation: true, false, or mode=min|max[,...] (default mode=min when pushing)")
	fl.StringVar(&f.sbom, "sbom", "", "SBOM attestation: true, false, or generator=IMAGE[,...] (the scanner image BuildKit runs; default docker/buildkit-syft-scanner)")
}

// apply reads the flags into o.Attests in buildx's order (--attest, then
// --provenance, then --sbom; the last of a type wins when built).
func (f *attestFlags) apply(o *build.Options) error {
	for _, s := range f.attest {
		a, err := build.ParseAttest(s)
		if err != nil {
			return fmt.Errorf("--attest: %w", err)
		}
		o.Attests = append(o.Attests, a)
	}
	for _, sh := range []struct{ typ, val string }{{build.AttestProvenance, f.provenance}, {build.AttestSBOM, f.sbom}} {
		if sh.val == "" {
			continue
		}
		a, err := build.ParseAttestShorthand(sh.typ, sh.val)
		if err != nil {
			return fmt.Errorf("--%s: %w", sh.typ, err)
		}
		o.Attests = append(o.Attests, a)
	}
	return nil
}

// withProvenance adds buildx's provenance keys to the metadata document b
// (r.Provenance): "buildx.build.provenance" for a one-platform build,
// "buildx.build.provenance/PLATFORM" per platform otherwise, as buildx
// names them. Without provenance b is returned as it is.
func withProvenance(b []byte, r *build.Result) ([]byte, error) {
	if len(r.Provenance) == 0 {
		return b, nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	for p, pred := range r.Provenance {
		key := "buildx.build.provenance"
		if len(r.Platforms) > 1 {
			key += "/" + p
		}
		doc[key] = pred
	}
	return json.MarshalIndent(doc, "", "  ")
}
