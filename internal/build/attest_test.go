package build

import (
	"errors"
	"strings"
	"testing"
)

// TestAttestAttrs: the frontend attributes buildx would send for each
// flag combination, the push default included.
func TestAttestAttrs(t *testing.T) {
	parse := func(s ...string) []Attest {
		var out []Attest
		for _, v := range s {
			typ, rest, _ := strings.Cut(v, ":")
			a, err := ParseAttestShorthand(typ, rest)
			if err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			out = append(out, a)
		}
		return out
	}
	cases := []struct {
		name    string
		push    bool
		attests []Attest
		want    map[string]string
	}{
		{"no push, nothing asked", false, nil, map[string]string{}},
		{"push default", true, nil, map[string]string{"attest:provenance": "type=provenance,mode=min"}},
		{"push, provenance off", true, parse("provenance:false"), map[string]string{}},
		{"push, max", true, parse("provenance:mode=max"), map[string]string{"attest:provenance": "type=provenance,mode=max"}},
		{"no push, true", false, parse("provenance:true"), map[string]string{"attest:provenance": "type=provenance"}},
		{"sbom with generator", true, parse("sbom:generator=reg.example/scan:1"), map[string]string{
			"attest:provenance": "type=provenance,mode=min", "attest:sbom": "type=sbom,generator=reg.example/scan:1"}},
		{"last wins", false, parse("sbom:true", "sbom:false"), map[string]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := map[string]string{}
			Options{Push: c.push, Attests: c.attests}.attestAttrs(got)
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// TestSBOMGeneratorErrorFromBuildKitText: BuildKit's resolve failure for
// the generator (default or named) becomes *SBOMGeneratorError; the same
// failure for another image (a FROM) stays as it is.
func TestSBOMGeneratorErrorFromBuildKitText(t *testing.T) {
	sbom := func(s string) []Attest {
		a, err := ParseAttestShorthand(AttestSBOM, s)
		if err != nil {
			t.Fatal(err)
		}
		return []Attest{a}
	}
	cases := []struct {
		name, msg string
		attests   []Attest
		want      string // generator in the typed error; "" none
	}{
		{"default generator", "failed to resolve source metadata for docker.io/docker/buildkit-syft-scanner:stable-1: dial tcp: lookup registry-1.docker.io: no such host",
			sbom("true"), DefaultSBOMGenerator},
		{"named generator", "failed to resolve source metadata for 127.0.0.1:5000/scan:1: not found", sbom("generator=127.0.0.1:5000/scan:1"), "127.0.0.1:5000/scan:1"},
		{"a FROM image", "failed to resolve source metadata for docker.io/library/alpine:latest: no such host", sbom("true"), ""},
		{"no sbom asked", "failed to resolve source metadata for docker.io/docker/buildkit-syft-scanner:stable-1: x", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := withGeneratorError(&NodeBuildError{Node: "n", Err: errors.New(c.msg)}, Options{Attests: c.attests})
			var ge *SBOMGeneratorError
			if got := errors.As(err, &ge); got != (c.want != "") {
				t.Fatalf("typed = %v, want %v: %v", got, c.want != "", err)
			}
			if ge != nil && (ge.Generator != c.want || ge.Default != (c.want == DefaultSBOMGenerator)) {
				t.Errorf("generator %q default %v", ge.Generator, ge.Default)
			}
		})
	}
}
