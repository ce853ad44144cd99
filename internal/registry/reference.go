package registry

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// LayoutScheme prefixes references to a local OCI image layout directory:
// oci-layout://PATH, oci-layout://PATH:TAG or oci-layout://PATH@DIGEST.
const LayoutScheme = "oci-layout://"

// refNameAnnotation names a manifest of a layout's index.json by tag.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// reference is a parsed user reference: either remote or a layout.
type reference struct {
	input string

	remote name.Reference // nil for a layout

	layoutPath   string
	layoutTag    string  // empty: by digest or the only manifest
	layoutDigest v1.Hash // zero unless @digest was given
	archive      bool    // layoutPath is a tar of a layout (oci-archive:)
}

func (r reference) registry() string {
	if r.remote == nil {
		return r.layoutPath
	}
	return r.remote.Context().RegistryStr()
}

// parseReference parses registry/repo:tag, repo@sha256:… and
// oci-layout://PATH[:tag|@digest], oci-archive:PATH[:tag|@digest] and a
// plain path to a layout directory or archive. Registries allowed plain HTTP (loopback,
// or listed in insecure) are marked insecure so go-containerregistry may
// fall back to HTTP for them; the transport guard refuses HTTP to all others.
func parseReference(s string, insecure []string) (reference, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, LayoutScheme); ok {
		return parseLayoutReference(s, rest)
	}
	if rest, ok := strings.CutPrefix(s, ArchiveScheme); ok {
		r, err := parseLayoutReference(s, rest)
		r.archive = true
		return r, err
	}
	if looksLikePath(s) {
		return parsePlainPath(s)
	}
	ref, err := name.ParseReference(s)
	if err != nil {
		return reference{}, badReference(s, err)
	}
	if plainHTTPAllowed(ref.Context().RegistryStr(), insecure) {
		if ref, err = name.ParseReference(s, name.Insecure); err != nil {
			return reference{}, badReference(s, err)
		}
	}
	return reference{input: s, remote: ref}, nil
}

func badReference(s string, err error) error {
	return &Error{Ref: s, Kind: ErrBadReference, Detail: err.Error(), Err: err,
		Advice: "write REGISTRY/REPOSITORY:TAG, REGISTRY/REPOSITORY@sha256:DIGEST oci-layout://PATH[:TAG] or oci-archive:FILE[:TAG]"}
}

func parseLayoutReference(s, rest string) (reference, error) {
	r := reference{input: s}
	if path, dgst, ok := strings.Cut(rest, "@"); ok {
		h, err := v1.NewHash(dgst)
		if err != nil {
			return reference{}, badReference(s, err)
		}
		r.layoutPath, r.layoutDigest = path, h
	} else if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i+1:], "/") {
		r.layoutPath, r.layoutTag = rest[:i], rest[i+1:]
		if r.layoutTag == "" {
			return reference{}, badReference(s, fmt.Errorf("empty tag after %q", r.layoutPath))
		}
	} else {
		r.layoutPath = rest
	}
	if r.layoutPath == "" {
		return reference{}, badReference(s, fmt.Errorf("no directory after %s", LayoutScheme))
	}
	return r, nil
}

// parseTarget parses a reference CreateIndex may write to: a registry tag.
func parseTarget(s string, insecure []string) (name.Tag, error) {
	r, err := parseReference(s, insecure)
	if err != nil {
		return name.Tag{}, err
	}
	tag, ok := r.remote.(name.Tag)
	if !ok {
		return name.Tag{}, &Error{Ref: s, Kind: ErrBadReference,
			Detail: "an index is written to a registry tag, not to a digest or a layout",
			Advice: "write the target as REGISTRY/REPOSITORY:TAG"}
	}
	return tag, nil
}

// CheckReference checks that s is a registry reference
// (REGISTRY/REPOSITORY[:TAG|@DIGEST], Docker Hub's short names allowed);
// the error is the parser's own, naming what is wrong.
func CheckReference(s string) error {
	_, err := name.ParseReference(s, name.WeakValidation)
	return err
}

// Host is the registry of reference s as credentials for it are keyed
// (HOST[:PORT]; index.docker.io for Docker Hub names), or "" when s is not
// a reference.
func Host(s string) string {
	r, err := name.ParseReference(s, name.WeakValidation)
	if err != nil {
		return ""
	}
	return r.Context().RegistryStr()
}
