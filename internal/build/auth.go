package build

import (
	"context"
	"fmt"

	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
)

// authSession lends the daemon registry credentials from kc (the docker
// config and credential helpers, by default), so the daemon never reads
// them from disk itself and multiarch and BuildKit agree on who we are.
func authSession(kc authn.Keychain) session.Attachable {
	return authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: keychainAuth(kc),
	})
}

func keychainAuth(kc authn.Keychain) authprovider.AuthConfigProvider {
	return func(ctx context.Context, host string, _ []string, _ authprovider.ExpireCachedAuthCheck) (types.AuthConfig, error) {
		reg := host
		if host == authprovider.DockerHubRegistryHost {
			reg = name.DefaultRegistry
		}
		r, err := name.NewRegistry(reg)
		if err != nil {
			return types.AuthConfig{}, fmt.Errorf("registry %q: %w", host, err)
		}
		a, err := authn.Resolve(ctx, kc, r)
		if err != nil {
			return types.AuthConfig{}, fmt.Errorf("credentials for %s: %w", host, err)
		}
		c, err := authn.Authorization(ctx, a)
		if err != nil {
			return types.AuthConfig{}, fmt.Errorf("credentials for %s: %w", host, err)
		}
		return types.AuthConfig{
			Username: c.Username, Password: c.Password, Auth: c.Auth,
			IdentityToken: c.IdentityToken, RegistryToken: c.RegistryToken,
			ServerAddress: host,
		}, nil
	}
}
