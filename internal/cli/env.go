package cli

import (
	"os"

	"github.com/multiarch-dev/multiarch/internal/app"
)

// The libraries read no environment: the command line reads it here and
// lends it to the application tier ($BUILDKIT_HOST, and the defaults of
// the builder store and the embedded builder: $MULTIARCH_CONFIG_DIR,
// $MULTIARCH_STATE_DIR, $MULTIARCH_SOCKET, $MULTIARCH_BUILDKITD and the
// XDG_* directories), and $MULTIARCH_REGISTRY_TIMEOUT for --registry-timeout.

// getenv is the environment the libraries are lent.
func getenv(key string) string { return os.Getenv(key) }

// appEnv is the environment the application tier is lent.
func appEnv() app.Env { return app.Env{Getenv: getenv} }

// envRegistryTimeout is --registry-timeout's fallback.
const envRegistryTimeout = "MULTIARCH_REGISTRY_TIMEOUT"

// registryTimeoutEnv is $MULTIARCH_REGISTRY_TIMEOUT, "" when unset.
func registryTimeoutEnv() string { return os.Getenv(envRegistryTimeout) }

// lookupEnv is getenv that tells an unset variable from an empty one
// (`--build-arg K` passes $K only when it is set, as docker does).
func lookupEnv(key string) (string, bool) { return os.LookupEnv(key) }
