package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// ErrWrongCredentials is what a login the registry refused matches:
// registry.ErrUnauthorized, under the name login's callers look for.
var ErrWrongCredentials = registry.ErrUnauthorized

// LoginOptions are the credentials Login checks and where it stores them.
type LoginOptions struct {
	// Server is the registry, HOST[:PORT], with or without a scheme.
	Server string
	// Username and Password are checked against Server; both required.
	// The password never appears in an error or the result.
	Username, Password string
	// ConfigDir is the docker config directory config.json lives in (the
	// CLI's $DOCKER_CONFIG, else ~/.docker). Required: the app tier reads
	// no environment.
	ConfigDir string
	// Registry is how the registry is reached (insecure list, logger).
	Registry registry.Options
}

// LoginResult says what was stored where.
type LoginResult struct {
	// Registry is the registry's name as credentials for it are keyed
	// (Docker Hub's docker.io is index.docker.io).
	Registry string
	// Username is the user logged in as.
	Username string
	// StoredIn is where the credentials went: a credential helper's name
	// or config.json's path.
	StoredIn string
}

// Login checks the credentials against the registry and, only when the
// registry takes them, stores them as docker does in o.ConfigDir: through
// the credential helper config.json names when it is installed, else in
// config.json "auths". Wrong credentials store nothing and match
// ErrWrongCredentials.
func Login(ctx context.Context, o LoginOptions) (*LoginResult, error) {
	if o.Username == "" || o.Password == "" {
		return nil, errors.New("login needs a user and a password")
	}
	if o.ConfigDir == "" {
		return nil, errors.New("login needs the docker config directory to store the credentials in")
	}
	reg, err := registry.Login(ctx, o.Server, registry.Credentials{Username: o.Username, Password: o.Password}, o.Registry)
	if err != nil {
		return nil, fmt.Errorf("login to %s failed, nothing stored: %w", o.Server, err)
	}
	where, err := registry.StoreCredentials(ctx, o.ConfigDir, reg, o.Username, o.Password)
	if err != nil {
		return nil, err
	}
	return &LoginResult{Registry: reg, Username: o.Username, StoredIn: where}, nil
}
