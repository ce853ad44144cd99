package registry

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestWriteDockerConfigTempNextToIt: the credentials are written through
// a temporary file next to config.json, never in $TMPDIR, where a
// crash would leave them (renameio's default when $TMPDIR is on the same
// file system).
func TestWriteDockerConfigTempNextToIt(t *testing.T) {
	tmp, dir := t.TempDir(), t.TempDir() // one file system
	t.Setenv("TMPDIR", tmp)
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if _, err := unix.InotifyAddWatch(fd, tmp, unix.IN_CREATE|unix.IN_MOVED_FROM); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.json")
	if err := writeDockerConfig(path, dockerConfig{"auths": json.RawMessage(`{"r.example":{"auth":"dTpw"}}`)}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	if n, err := unix.Read(fd, buf); !errors.Is(err, unix.EAGAIN) {
		t.Errorf("writing %s touched $TMPDIR (%d bytes of inotify events, err %v)", path, n, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("config.json: %v %v", fi, err)
	}
}

// StoreCredentials writes auths[key] in the directory it is given, keeps
// every other key, and keys Docker Hub as docker does.
func TestStoreCredentialsInConfigDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, []byte(`{"psFormat":"table","auths":{"other.example":{"auth":"eDp5"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, reg := range []string{"r.example:5000", "index.docker.io"} {
		where, err := StoreCredentials(t.Context(), dir, reg, "u", "p")
		if err != nil || where != path {
			t.Fatalf("StoreCredentials(%s) = %q, %v; want %q", reg, where, err, path)
		}
	}
	var got struct {
		PSFormat string                       `json:"psFormat"`
		Auths    map[string]map[string]string `json:"auths"`
	}
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.PSFormat != "table" || got.Auths["other.example"]["auth"] != "eDp5" ||
		got.Auths["r.example:5000"]["auth"] != "dTpw" || got.Auths[dockerHubKey]["auth"] != "dTpw" {
		t.Errorf("config.json: %s", b)
	}
}

// A credential helper that config.json names but that is not installed
// refuses the login and stores nothing (docker login does the same): every
// later pull would ask that helper and fail.
func TestStoreCredentialsHelperMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no docker-credential-* anywhere
	for _, cfg := range []string{
		`{"credsStore":"missing"}`,
		`{"credHelpers":{"reg.example:5000":"missing"}}`,
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "config.json")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := StoreCredentials(t.Context(), dir, "reg.example:5000", "u", "p")
		var hm *HelperMissingError
		if !errors.As(err, &hm) || hm.Helper != "docker-credential-missing" || hm.Config != path ||
			!strings.Contains(err.Error(), "not installed") || !strings.Contains(hm.Hint(), "install docker-credential-missing") {
			t.Errorf("%s: err = %v, want a HelperMissingError naming the helper and %s", cfg, err, path)
		}
		if b, _ := os.ReadFile(path); string(b) != cfg {
			t.Errorf("%s: config.json changed to %s", cfg, b)
		}
	}
}
