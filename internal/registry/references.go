package registry

import (
	"errors"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// These helpers read references for packages that must not speak
// go-containerregistry themselves (the BuildKit tier): the same parser, so
// every package agrees on what a reference means.

// Repository is the repository of ref, without tag or digest
// ("reg:5000/app:v1" → "reg:5000/app"); ref itself when it does not parse.
func Repository(ref string) string {
	r, err := name.ParseReference(ref)
	if err != nil {
		return ref
	}
	return r.Context().String()
}

// WithTagSuffix turns REPO:TAG into REPO:TAG-suffix and REPO alone into
// REPO:latest-suffix; REPO@DIGEST (a digest names one manifest) and a
// reference that does not parse are returned as they are.
func WithTagSuffix(ref, suffix string) string {
	r, err := name.ParseReference(ref)
	if err != nil {
		return ref
	}
	t, ok := r.(name.Tag)
	if !ok {
		return ref
	}
	return t.Context().Tag(t.TagStr() + "-" + suffix).String()
}

// PullReference is repository@digest of ref, spelled as BuildKit
// normalises names (docker.io/…, not index.docker.io/…).
func PullReference(ref, digest string) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", err
	}
	repo := r.Context()
	if repo.RegistryStr() == name.DefaultRegistry {
		return "docker.io/" + repo.RepositoryStr() + "@" + digest, nil
	}
	return repo.Name() + "@" + digest, nil
}

// StatusCode is the HTTP status of the registry answer err carries, 0
// when it carries none.
func StatusCode(err error) int {
	var terr *transport.Error
	if errors.As(err, &terr) {
		return terr.StatusCode
	}
	return 0
}
