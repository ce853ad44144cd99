package build

import (
	"encoding/csv"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// Attestation types BuildKit makes (frontend attribute attest:TYPE).
const (
	AttestProvenance = "provenance"
	AttestSBOM       = "sbom"
)

// DefaultSBOMGenerator is the scanner image BuildKit runs for an SBOM when
// no generator is named (frontend/attestations: its default).
const DefaultSBOMGenerator = "docker/buildkit-syft-scanner:stable-1"

// Attest is one attestation request, as buildx's --attest spells it:
// type=provenance|sbom[,disabled=true][,KEY=VALUE...]. The attributes go
// to BuildKit as they are (mode, version, builder-id for provenance;
// generator and BuildKit's scan settings for an SBOM).
type Attest struct {
	Type     string
	Disabled bool
	Attrs    map[string]string
}

// ParseAttest reads one --attest value as buildx does (CSV fields, type
// required), and checks what BuildKit would otherwise refuse only after
// the build started, or ignore: the type, provenance's mode and version,
// the SBOM generator's reference.
func ParseAttest(s string) (Attest, error) {
	a := Attest{Attrs: map[string]string{}}
	fields, err := csv.NewReader(strings.NewReader(s)).Read()
	if err != nil {
		return a, fmt.Errorf("%w: attest %q: %v", ErrInvalidOptions, s, err)
	}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return a, fmt.Errorf("%w: attest %q: %q is not KEY=VALUE; want type=provenance|sbom[,KEY=VALUE...]", ErrInvalidOptions, s, f)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "type":
			a.Type = v
		case "disabled":
			if a.Disabled, err = strconv.ParseBool(v); err != nil {
				return a, fmt.Errorf("%w: attest %q: disabled=%s: want true or false", ErrInvalidOptions, s, v)
			}
		default:
			a.Attrs[k] = v
		}
	}
	if err := a.check(); err != nil {
		return a, fmt.Errorf("%w: attest %q: %v", ErrInvalidOptions, s, err)
	}
	return a, nil
}

// ParseAttestShorthand reads --provenance or --sbom (typ): true, false, or
// attributes of that type (mode=max, generator=IMAGE), as buildx's
// CanonicalizeAttest turns them into an --attest value.
func ParseAttestShorthand(typ, s string) (Attest, error) {
	if b, err := strconv.ParseBool(s); err == nil {
		return ParseAttest(fmt.Sprintf("type=%s,disabled=%t", typ, !b))
	}
	if strings.TrimSpace(s) == "" {
		return Attest{}, fmt.Errorf("%w: --%s needs a value: true, false or KEY=VALUE[,...]", ErrInvalidOptions, typ)
	}
	a, err := ParseAttest("type=" + typ + "," + s)
	if err != nil {
		return a, err
	}
	if a.Type != typ {
		return a, fmt.Errorf("%w: %s %q: give the attributes of a %s attestation, without type=", ErrInvalidOptions, typ, s, typ)
	}
	return a, nil
}

var (
	provenanceModes    = []string{"min", "max"}
	provenanceVersions = []string{"v0.2", "v1"}
)

func (a Attest) check() error {
	switch a.Type {
	case AttestProvenance:
		if m, ok := a.Attrs["mode"]; ok && !oneOf(m, provenanceModes) {
			return fmt.Errorf("mode=%s: want mode=min or mode=max", m)
		}
		if v, ok := a.Attrs["version"]; ok && !oneOf(v, provenanceVersions) {
			return fmt.Errorf("version=%s: want version=v0.2 or version=v1", v)
		}
	case AttestSBOM:
		if g, ok := a.Attrs["generator"]; ok {
			if err := registry.CheckReference(g); err != nil || g == "" {
				return fmt.Errorf("generator=%s is not an image reference (REGISTRY/REPOSITORY[:TAG|@DIGEST])", g)
			}
		}
	case "":
		return errors.New("no type: want type=provenance or type=sbom")
	default:
		return fmt.Errorf("unknown type %q: want type=provenance or type=sbom", a.Type)
	}
	return nil
}

func oneOf(s string, set []string) bool { return slices.Contains(set, s) }

// attestAttrs sets the frontend's attest:TYPE attributes as buildx does:
// later requests of a type replace earlier ones, a disabled type is not
// sent, and a push without any provenance request gets provenance
// mode=min (buildx's default; BuildKit adds it to the pushed index as an
// attestation manifest next to each platform image).
func (o Options) attestAttrs(attrs map[string]string) {
	byType := map[string]Attest{}
	for _, a := range o.Attests {
		byType[a.Type] = a
	}
	if _, ok := byType[AttestProvenance]; !ok && o.Push {
		byType[AttestProvenance] = Attest{Type: AttestProvenance, Attrs: map[string]string{"mode": "min"}}
	}
	for typ, a := range byType {
		if a.Disabled {
			continue
		}
		attrs["attest:"+typ] = a.value()
	}
}

// value is a's attributes in BuildKit's CSV form.
func (a Attest) value() string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	rec := []string{"type=" + a.Type}
	for _, k := range slices.Sorted(maps.Keys(a.Attrs)) {
		rec = append(rec, k+"="+a.Attrs[k])
	}
	_ = w.Write(rec) // a strings.Builder does not fail
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// sbomGenerator is the generator image the build's SBOM asks for, ""
// when no SBOM is made.
func (o Options) sbomGenerator() string {
	gen := ""
	for _, a := range o.Attests {
		if a.Type != AttestSBOM {
			continue
		}
		gen = ""
		if !a.Disabled {
			gen = DefaultSBOMGenerator
			if g := a.Attrs["generator"]; g != "" {
				gen = g
			}
		}
	}
	return gen
}

// SBOMGeneratorError says the builder could not fetch the SBOM generator
// image: BuildKit resolves it before anything is built, so nothing was
// built or exported. Err is BuildKit's failure, as text.
type SBOMGeneratorError struct {
	// Generator is the image as the build named it; Default: it is
	// BuildKit's default scanner (no generator was named).
	Generator string
	Default   bool
	Err       error
}

func (e *SBOMGeneratorError) Error() string {
	return fmt.Sprintf("the SBOM generator image %s cannot be fetched by the builder, so no SBOM can be made and nothing was built or pushed: %v", e.Generator, e.Err)
}

func (e *SBOMGeneratorError) Unwrap() error { return e.Err }

// withGeneratorError replaces the error of the node solve that failed in
// err by a *SBOMGeneratorError when the builder could not resolve the
// SBOM generator image (the same BuildKit text withFrontendError reads,
// naming the generator's reference).
func withGeneratorError(err error, o Options) error {
	var ne *NodeBuildError
	gen := o.sbomGenerator()
	if gen == "" || !errors.As(err, &ne) {
		return err
	}
	ref, cause, ok := unresolvedSource(ne.Err.Error())
	if !ok || ref != normalizedRef(gen) {
		return err
	}
	ne.Err = &SBOMGeneratorError{Generator: gen, Default: gen == DefaultSBOMGenerator, Err: errors.New(cause)}
	return err
}
