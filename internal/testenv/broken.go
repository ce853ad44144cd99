package testenv

import (
	"encoding/json"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Deliberately broken indexes. Each is correct except for the one defect
// its comment names, so a checker that reports anything else is wrong too.

// WrongArchIndex is a scratch Go-program index (GoIndex) for linux/amd64
// and linux/arm64 whose arm64 entry holds the x86-64 binary at AppPath:
// the classic COPY of a host-built binary.
func WrongArchIndex(t testing.TB) v1.ImageIndex {
	t.Helper()
	ps := Platforms(t, "linux/amd64", "linux/arm64")
	amd64 := GoBinary(t, ps[0])
	return ScratchIndex(t, GoEntry(ps[0], amd64), GoEntry(ps[1], amd64))
}

// PushWrongArchIndex pushes WrongArchIndex to ref and returns its digest.
func PushWrongArchIndex(t testing.TB, ref string) v1.Hash {
	t.Helper()
	return PushIndex(t, ref, WrongArchIndex(t))
}

// ARMv7InV6Index is a busybox index for linux/amd64, linux/arm/v6 and
// linux/arm/v7 whose arm/v6 entry holds Debian armhf busybox (ARMv7 code,
// Tag_CPU_arch v7): it passes under QEMU's default CPU and dies with
// SIGILL on an ARMv6 CPU (QEMU_CPU=arm1176).
func ARMv7InV6Index(t testing.TB) v1.ImageIndex {
	t.Helper()
	ps := Platforms(t, "linux/amd64", "linux/arm/v6", "linux/arm/v7")
	v6 := BusyboxEntry(t, ps[1])
	v6.Files = BusyboxFiles(BusyboxBinary(t, "armhf"))
	return Index(t, OCI, BusyboxEntry(t, ps[0]), v6, BusyboxEntry(t, ps[2]))
}

// PushARMv7InV6Index pushes ARMv7InV6Index to ref and returns its digest.
func PushARMv7InV6Index(t testing.TB, ref string) v1.Hash {
	t.Helper()
	return PushIndex(t, ref, ARMv7InV6Index(t))
}

// MismatchedConfigIndex is a busybox index for linux/amd64 and
// linux/arm64 whose arm64 entry (descriptor linux/arm64, arm64 busybox
// inside) has a config saying os linux, architecture amd64.
func MismatchedConfigIndex(t testing.TB) v1.ImageIndex {
	t.Helper()
	ps := Platforms(t, "linux/amd64", "linux/arm64")
	good := Image(t, OCI, ps[0], BusyboxEntry(t, ps[0]).Files, BusyboxConfig())
	liar := Image(t, OCI, ps[0], BusyboxEntry(t, ps[1]).Files, BusyboxConfig())
	return newIndex(OCI, []indexEntry{
		{img: good, platform: descPlatform(ps[0])},
		{img: liar, platform: descPlatform(ps[1])},
	})
}

// PushMismatchedConfigIndex pushes MismatchedConfigIndex to ref and returns
// its digest.
func PushMismatchedConfigIndex(t testing.TB, ref string) v1.Hash {
	t.Helper()
	return PushIndex(t, ref, MismatchedConfigIndex(t))
}

// Annotations BuildKit puts on attestation manifest descriptors.
const (
	AnnotationReferenceType   = "vnd.docker.reference.type"
	AnnotationReferenceDigest = "vnd.docker.reference.digest"
	AttestationManifestType   = "attestation-manifest"
	InTotoMediaType           = "application/vnd.in-toto+json"
	inTotoPredicateAnnotation = "in-toto.io/predicate-type"
	slsaProvenanceV02         = "https://slsa.dev/provenance/v0.2"
)

// IndexWithAttestations is BusyboxIndex(t, platforms...) plus, after the
// images and as BuildKit lays it out, one attestation manifest per image:
// descriptor platform unknown/unknown, annotations
// vnd.docker.reference.type=attestation-manifest and
// vnd.docker.reference.digest=<image manifest digest>, one in-toto layer
// holding an SLSA provenance statement about the image. Nothing is broken:
// tools must skip these entries, not treat them as platforms.
func IndexWithAttestations(t testing.TB, platforms ...platform.Platform) v1.ImageIndex {
	t.Helper()
	var entries []indexEntry
	var atts []indexEntry
	for _, e := range busyboxEntries(t, platforms) {
		img := Image(t, OCI, e.Platform, e.Files, e.Config)
		entries = append(entries, indexEntry{img: img, platform: descPlatform(e.Platform)})
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		atts = append(atts, indexEntry{
			img:      attestation(t, d),
			platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
			annotations: map[string]string{
				AnnotationReferenceType:   AttestationManifestType,
				AnnotationReferenceDigest: d.String(),
			},
		})
	}
	return newIndex(OCI, append(entries, atts...))
}

// PushIndexWithAttestations pushes IndexWithAttestations to ref and returns
// its digest.
func PushIndexWithAttestations(t testing.TB, ref string, platforms ...platform.Platform) v1.Hash {
	t.Helper()
	return PushIndex(t, ref, IndexWithAttestations(t, platforms...))
}

func attestation(t testing.TB, subject v1.Hash) v1.Image {
	t.Helper()
	stmt, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v0.1",
		"predicateType": slsaProvenanceV02,
		"subject": []map[string]any{{
			"name":   "_",
			"digest": map[string]string{subject.Algorithm: subject.Hex},
		}},
		"predicate": map[string]any{
			"builder":   map[string]string{"id": ""},
			"buildType": "https://mobyproject.org/buildkit@v1",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.ConfigFile(base, &v1.ConfigFile{
		Created:      epoch,
		OS:           "unknown",
		Architecture: "unknown",
		RootFS:       v1.RootFS{Type: "layers"},
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:       static.NewLayer(stmt, InTotoMediaType),
		MediaType:   InTotoMediaType,
		Annotations: map[string]string{inTotoPredicateAnnotation: slsaProvenanceV02},
		History:     v1.History{Created: epoch, CreatedBy: "multiarch testenv fixture"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return img
}
