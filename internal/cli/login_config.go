package cli

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

	"github.com/google/renameio/v2"
)

// execLookPath finds credential helpers; a variable so tests can stub it.
var execLookPath = exec.LookPath

// dockerConfigPath is $DOCKER_CONFIG/config.json, else
// ~/.docker/config.json: where docker and go-containerregistry's
// DefaultKeychain look.
func dockerConfigPath() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".docker", "config.json")
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
