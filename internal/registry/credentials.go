package registry

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// DockerHub is the registry host go-containerregistry and docker's
// config.json know Docker Hub by.
const DockerHub = name.DefaultRegistry

// Credential is what the keychain holds for one registry: a user and
// password, or a token. The zero value is anonymous.
type Credential struct {
	Username, Password string
	// Auth is base64("user:password"), as docker's config.json stores it.
	Auth          string
	IdentityToken string
	RegistryToken string
}

// KeychainCredential returns what opts.Keychain (docker's config.json and its
// credential helpers, by default) holds for the registry host, so that a
// process other than this one (a BuildKit daemon) can be lent the same
// identity.
func KeychainCredential(ctx context.Context, host string, opts Options) (Credential, error) {
	r, err := name.NewRegistry(host)
	if err != nil {
		return Credential{}, fmt.Errorf("registry %q: %w", host, err)
	}
	a, err := authn.Resolve(ctx, opts.keychain(), r)
	if err != nil {
		return Credential{}, fmt.Errorf("credentials for %s: %w", host, err)
	}
	c, err := authn.Authorization(ctx, a)
	if err != nil {
		return Credential{}, fmt.Errorf("credentials for %s: %w", host, err)
	}
	return Credential{Username: c.Username, Password: c.Password, Auth: c.Auth,
		IdentityToken: c.IdentityToken, RegistryToken: c.RegistryToken}, nil
}
