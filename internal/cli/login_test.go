package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

const (
	loginUser     = "alice"
	loginPassword = "s3cret-Pa55-never-shown"
)

// noSecret fails the test if the password shows anywhere a user could see.
func noSecret(t *testing.T, r cliResult) {
	t.Helper()
	for what, s := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
		if strings.Contains(s, loginPassword) {
			t.Errorf("the password appears in %s:\n%s", what, s)
		}
	}
	if strings.Contains(r.message(), loginPassword) {
		t.Errorf("the password appears in the error: %v", r.message())
	}
}

// dockerConfigDir points DOCKER_CONFIG at a temp dir holding config.json
// with content (none when empty).
func dockerConfigDir(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	if content != "" {
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "config.json")
}

const otherConfig = `{"auths":{"other.example":{"auth":"b3RoZXI6dXNlcg=="}},"psFormat":"table {{.ID}}"}`

func TestLoginWrongPasswordStoresNothing(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.WithBasicAuth(loginUser, "the-right-one"))
	cfg := dockerConfigDir(t, otherConfig)
	r := runCLI(t, cliRun{stdin: loginPassword + "\n", args: []string{"login", "-v", reg.Host, "-u", loginUser, "--password-stdin"}})
	noSecret(t, r)
	if !r.failed() || !errors.Is(r.err, ErrWrongCredentials) || !strings.Contains(r.message(), "wrong user or password for "+reg.Host) {
		t.Fatalf("want a clear wrong-credentials error, got exit %d, %v", r.code, r.err)
	}
	if b, _ := os.ReadFile(cfg); string(b) != otherConfig {
		t.Errorf("config.json changed:\n%s", b)
	}
}

func TestLoginStoresWhereKeychainsLook(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.WithBasicAuth(loginUser, loginPassword))
	ref := reg.Ref("busybox", "login")
	testenv.PushBusyboxIndex(t, ref, testenv.Platforms(t, "linux/amd64")...)
	cfg := dockerConfigDir(t, otherConfig)

	r := runCLI(t, cliRun{stdin: loginPassword + "\n", args: []string{"login", "-v", reg.Host, "-u", loginUser, "--password-stdin"}})
	noSecret(t, r)
	if !r.ok() {
		t.Fatalf("login: %v\n%s", r.err, r.stderr)
	}
	fi, err := os.Stat(cfg)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config.json: %v %v", fi, err)
	}
	var got map[string]any
	b, _ := os.ReadFile(cfg)
	if err := json.Unmarshal(b, &got); err != nil || got["psFormat"] != "table {{.ID}}" || got["auths"].(map[string]any)["other.example"] == nil {
		t.Errorf("other keys lost: %s", b)
	}

	// go-containerregistry's DefaultKeychain (docker's config loader) finds them...
	host, _ := name.NewRegistry(reg.Host)
	a, err := authn.DefaultKeychain.Resolve(host)
	if err != nil {
		t.Fatal(err)
	}
	ac, err := a.Authorization()
	if err != nil || ac.Username != loginUser || ac.Password != loginPassword {
		t.Fatalf("DefaultKeychain: %+v %v", ac, err)
	}
	// ...and the registry takes them.
	pr, _ := name.ParseReference(ref, name.Insecure)
	if _, err := remote.Get(pr, remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithContext(t.Context())); err != nil {
		t.Errorf("pull with the stored credentials: %v", err)
	}
}

func TestLoginUsesConfiguredCredentialHelper(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.WithBasicAuth(loginUser, loginPassword))
	bin := t.TempDir()
	stored := filepath.Join(t.TempDir(), "stored.json")
	helper := "#!/bin/sh\n[ \"$1\" = store ] || exit 2\ncat > " + stored + "\n"
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-fake"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	cfg := dockerConfigDir(t, `{"credsStore":"fake"}`)

	r := runCLI(t, cliRun{stdin: loginPassword, args: []string{"login", "-v", reg.Host, "-u", loginUser, "--password-stdin"}})
	noSecret(t, r)
	if !r.ok() {
		t.Fatal(r.err)
	}
	out := r.stdout
	var creds map[string]string
	b, _ := os.ReadFile(stored)
	if err := json.Unmarshal(b, &creds); err != nil || creds["ServerURL"] != reg.Host || creds["Username"] != loginUser || creds["Secret"] != loginPassword {
		t.Errorf("helper got %s (%v)", b, err)
	}
	if b, _ := os.ReadFile(cfg); string(b) != `{"credsStore":"fake"}` {
		t.Errorf("config.json must not change when a helper stores: %s", b)
	}
	if !strings.Contains(out, "docker-credential-fake") {
		t.Errorf("output should say where: %s", out)
	}
}

func TestLoginBadInput(t *testing.T) {
	dockerConfigDir(t, "")
	for _, tt := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"no user", "pw", []string{"127.0.0.1:1", "--password-stdin"}, "-u USER"},
		{"no password-stdin", "pw", []string{"127.0.0.1:1", "-u", "x"}, "--password-stdin"},
		{"empty password", "\n", []string{"127.0.0.1:1", "-u", "x", "--password-stdin"}, "no password"},
		{"nobody there", loginPassword, []string{"127.0.0.1:1", "-u", "x", "--password-stdin"}, "nothing stored"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, cliRun{stdin: tt.stdin, args: append([]string{"login", "-v"}, tt.args...)})
			noSecret(t, r)
			requireFailureSays(t, "login", r, tt.want)
		})
	}
}

// A credential helper that config.json names but that is not installed:
// login refuses, as docker login does, stores nothing and says both ways
// out; it used to say "Login succeeded" and write auths every pull then
// ignored.
func TestLoginCredentialHelperMissing(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.WithBasicAuth(loginUser, loginPassword))
	t.Setenv("PATH", t.TempDir()+string(os.PathListSeparator)+"/usr/bin:/bin")
	cfg := dockerConfigDir(t, `{"credsStore":"gone"}`)

	r := runCLI(t, cliRun{stdin: loginPassword, args: []string{"login", reg.Host, "-u", loginUser, "--password-stdin"}})
	noSecret(t, r)
	msg := r.message()
	if !r.failed() || !strings.Contains(msg, "docker-credential-gone") || !strings.Contains(msg, "not installed: nothing was stored") ||
		!strings.Contains(msg, "install docker-credential-gone, or remove \"credsStore\"") || r.stdout != "" {
		t.Errorf("exit %d, stdout %q, message:\n%s", r.code, r.stdout, msg)
	}
	if b, _ := os.ReadFile(cfg); string(b) != `{"credsStore":"gone"}` {
		t.Errorf("config.json changed: %s", b)
	}
}
