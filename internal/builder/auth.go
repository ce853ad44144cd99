package builder

import (
	"context"

	"github.com/docker/cli/cli/config/types"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// AuthSession lends a node's session registry credentials from
// internal/registry (opts.Keychain: the docker config and credential
// helpers, by default), so the daemon never reads them from disk itself
// and multiarch and BuildKit agree on who we are.
func AuthSession(opts registry.Options) session.Attachable {
	return authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: registryAuth(opts),
	})
}

func registryAuth(opts registry.Options) authprovider.AuthConfigProvider {
	return func(ctx context.Context, host string, _ []string, _ authprovider.ExpireCachedAuthCheck) (types.AuthConfig, error) {
		reg := host
		if host == authprovider.DockerHubRegistryHost {
			reg = registry.DockerHub
		}
		c, err := registry.KeychainCredential(ctx, reg, opts)
		if err != nil {
			return types.AuthConfig{}, err
		}
		return types.AuthConfig{
			Username: c.Username, Password: c.Password, Auth: c.Auth,
			IdentityToken: c.IdentityToken, RegistryToken: c.RegistryToken,
			ServerAddress: host,
		}, nil
	}
}
