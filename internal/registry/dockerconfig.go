package registry

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/renameio/v2"
)

// dockerHubKey is the key docker uses for Docker Hub in config.json.
const dockerHubKey = "https://index.docker.io/v1/"

// StoreCredentials stores user and password for registry reg (as Login
// returns it) the way docker does, in the docker config directory
// configDir (the caller's $DOCKER_CONFIG, else ~/.docker: where docker and
// the default keychain look): through the credential helper config.json
// names for reg (credHelpers, else credsStore), else base64 in
// config.json "auths" (mode 0600, written atomically, every other key
// kept). It returns where they went: the helper's name or the file's path.
// A helper config.json names that is not installed is a
// *HelperMissingError and nothing is stored, as docker login refuses:
// every later pull would ask that helper and fail.
func StoreCredentials(ctx context.Context, configDir, reg, user, password string) (string, error) {
	path := filepath.Join(configDir, "config.json")
	cfg, err := readDockerConfig(path)
	if err != nil {
		return "", err
	}
	key := reg
	if key == name.DefaultRegistry {
		key = dockerHubKey
	}
	if helper := cfg.helperFor(key); helper != "" {
		bin, err := exec.LookPath("docker-credential-" + helper)
		if err != nil {
			return "", &HelperMissingError{Helper: "docker-credential-" + helper, Config: path, Registry: key, Err: err}
		}
		if err := helperStore(ctx, bin, key, user, password); err != nil {
			return "", err
		}
		return "credential helper docker-credential-" + helper, nil
	}
	if err := cfg.setAuth(key, user, password); err != nil {
		return "", err
	}
	if err := writeDockerConfig(path, cfg); err != nil {
		return "", err
	}
	return path, nil
}

// HelperMissingError says the docker config names a credential helper for
// Registry that is not installed; nothing was stored.
type HelperMissingError struct {
	Helper, Config, Registry string
	Err                      error
}

func (e *HelperMissingError) Error() string {
	return fmt.Sprintf("%s names the credential helper %s for %s, which is not installed: nothing was stored", e.Config, e.Helper, e.Registry)
}

func (e *HelperMissingError) Unwrap() error { return e.Err }

// Hint says the two ways out: the helper, or a config without it.
func (e *HelperMissingError) Hint() string {
	return fmt.Sprintf("install %s, or remove \"credsStore\" (or this registry's \"credHelpers\" entry) from %s", e.Helper, e.Config)
}

// dockerConfig is config.json as raw keys, so what multiarch does not
// know is written back unchanged.
type dockerConfig map[string]json.RawMessage

func readDockerConfig(path string) (dockerConfig, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return dockerConfig{}, nil
	}
	if err != nil {
		return nil, err
	}
	cfg := dockerConfig{}
	if len(bytes.TrimSpace(b)) == 0 {
		return cfg, nil
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON (fix or move it, then log in again): %w", path, err)
	}
	return cfg, nil
}

// helperFor is the credential helper config.json names for key:
// credHelpers[key], else credsStore.
func (c dockerConfig) helperFor(key string) string {
	var helpers map[string]string
	if raw, ok := c["credHelpers"]; ok && json.Unmarshal(raw, &helpers) == nil && helpers[key] != "" {
		return helpers[key]
	}
	var store string
	if raw, ok := c["credsStore"]; ok && json.Unmarshal(raw, &store) == nil {
		return store
	}
	return ""
}

// setAuth sets auths[key].auth, keeping the entry's other fields and the
// other registries.
func (c dockerConfig) setAuth(key, user, password string) error {
	auths := map[string]map[string]json.RawMessage{}
	if raw, ok := c["auths"]; ok {
		if err := json.Unmarshal(raw, &auths); err != nil {
			return fmt.Errorf("config.json \"auths\": %w", err)
		}
	}
	entry := auths[key]
	if entry == nil {
		entry = map[string]json.RawMessage{}
	}
	enc, _ := json.Marshal(base64.StdEncoding.EncodeToString([]byte(user + ":" + password)))
	entry["auth"] = enc
	// A stale identity token or plain fields would win over the new auth.
	for _, k := range []string{"identitytoken", "username", "password"} {
		delete(entry, k)
	}
	auths[key] = entry
	raw, err := json.Marshal(auths)
	if err != nil {
		return err
	}
	c["auths"] = raw
	return nil
}

func writeDockerConfig(path string, c dockerConfig) error {
	b, err := json.MarshalIndent(c, "", "\t")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	// An existing file keeps its mode, as docker keeps it. The temporary
	// file goes next to config.json: renameio's default is $TMPDIR when
	// it is on the same file system, where a crash would leave the
	// credentials behind.
	return renameio.WriteFile(path, append(b, '\n'), 0o600, renameio.WithTempDir(filepath.Dir(path)))
}

// helperStore runs `docker-credential-<helper> store` with the
// credentials on stdin, as docker does. The helper's output is not shown:
// it could echo what it was given.
func helperStore(ctx context.Context, bin, key, user, password string) error {
	in, err := json.Marshal(map[string]string{"ServerURL": key, "Username": user, "Secret": password})
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, "store")
	cmd.Stdin = bytes.NewReader(in)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("credential helper %s could not store the credentials for %s: %w", filepath.Base(bin), key, err)
	}
	return nil
}
