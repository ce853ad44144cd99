package cli

import (
	"os"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
)

// The builder libraries read no environment: the command line reads it
// here and passes values down ($BUILDKIT_HOST as an address, the rest as
// getenv to the defaults of the builder store and the embedded builder:
// $MULTIARCH_CONFIG_DIR, $MULTIARCH_STATE_DIR, $MULTIARCH_SOCKET,
// $MULTIARCH_BUILDKITD and the XDG_* directories).

// getenv is the environment the builder libraries are lent.
func getenv(key string) string { return os.Getenv(key) }

// buildkitHost is $BUILDKIT_HOST and whether it is set.
func buildkitHost() (string, bool) {
	a := getenv(builder.EnvBuildkitHost)
	return a, a != ""
}

// builderStore is the named-builder store of the default config dir
// ($MULTIARCH_CONFIG_DIR, else builder.DefaultConfigDir's).
func builderStore() *builder.Store {
	return builder.NewStore(builder.DefaultConfigDir(getenv))
}

// newEmbedded is the embedded builder with its defaults from the
// environment, then opts.
func newEmbedded(opts ...embedded.Option) (*embedded.Builder, error) {
	return embedded.New(append([]embedded.Option{embedded.WithEnv(getenv)}, opts...)...)
}
