package embedded

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/cmd/buildkitd/config"
)

func loadConfig(t *testing.T, s Settings) config.Config {
	t.Helper()
	text, err := daemonConfig("/st/root", "unix:///st/s.sock", "/st/s.sock.otel", "/st/runc.sh", []string{"reg.example:5000"}, s)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(strings.NewReader(text))
	if err != nil {
		t.Fatalf("buildkitd rejects our config: %v\n%s", err, text)
	}
	t.Logf("config:\n%s", text)
	return cfg
}

func TestDaemonConfigMirrors(t *testing.T) {
	cfg := loadConfig(t, Settings{Mirrors: map[string][]string{"docker.io": {"127.0.0.1:5999", "mirror.example/hub"}, "ghcr.io": {"gh.example"}}})
	if got := cfg.Registries["docker.io"].Mirrors; !slices.Equal(got, []string{"127.0.0.1:5999", "mirror.example/hub"}) {
		t.Errorf("docker.io mirrors %v", got)
	}
	if got := cfg.Registries["ghcr.io"].Mirrors; !slices.Equal(got, []string{"gh.example"}) {
		t.Errorf("ghcr.io mirrors %v", got)
	}
	if r := cfg.Registries["127.0.0.1:5999"]; r.PlainHTTP == nil || !*r.PlainHTTP {
		t.Errorf("loopback mirror not plain HTTP: %+v", r)
	}
	if _, ok := cfg.Registries["mirror.example"]; ok {
		t.Errorf("a non-loopback mirror got an HTTP entry: %+v", cfg.Registries)
	}
	if r := cfg.Registries["reg.example:5000"]; r.Insecure == nil || !*r.Insecure {
		t.Errorf("insecure registry lost: %+v", r)
	}
}

func TestDaemonConfigUserMerge(t *testing.T) {
	user := "debug = true\nroot = \"/elsewhere\"\n[grpc]\n  address = [\"tcp://0.0.0.0:1234\"]\n  debugAddress = \"127.0.0.1:6060\"\n" +
		"[worker.oci]\n  enabled = false\n  gc = true\n  gckeepstorage = \"2GB\"\n  max-parallelism = 3\n" +
		"[registry.\"docker.io\"]\n  mirrors = [\"user.example\"]\n"
	cfg := loadConfig(t, Settings{UserConfig: user, UserConfigFile: "/u/bk.toml",
		Mirrors: map[string][]string{"docker.io": {"127.0.0.1:5999"}, "quay.io": {"q.example"}}})
	if !cfg.Debug || cfg.GRPC.DebugAddress != "127.0.0.1:6060" || cfg.Workers.OCI.MaxParallelism != 3 || cfg.Workers.OCI.GC == nil || !*cfg.Workers.OCI.GC {
		t.Errorf("user keys lost: %+v", cfg)
	}
	if cfg.Root != "/st/root" || !slices.Equal(cfg.GRPC.Address, []string{"unix:///st/s.sock"}) || cfg.Workers.OCI.Enabled == nil || !*cfg.Workers.OCI.Enabled || cfg.Workers.OCI.Binary != "/st/runc.sh" {
		t.Errorf("forced keys overridden: root %q address %v oci %v %q", cfg.Root, cfg.GRPC.Address, cfg.Workers.OCI.Enabled, cfg.Workers.OCI.Binary)
	}
	if got := cfg.Registries["docker.io"].Mirrors; !slices.Equal(got, []string{"user.example"}) {
		t.Errorf("user's docker.io mirrors should win: %v", got)
	}
	if got := cfg.Registries["quay.io"].Mirrors; !slices.Equal(got, []string{"q.example"}) {
		t.Errorf("--mirror of another registry lost: %v", got)
	}
}

func TestUserConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"bad TOML", "debug = true\n[worker.oci\n", "/u/bk.toml:2"},
		{"unknown top-level key", "debug = true\n\nfrobnicate = 1\n", "/u/bk.toml:3: frobnicate: buildkitd has no such setting"},
		{"unknown nested key", "[worker.oci]\n  gcc = true\n", "/u/bk.toml:2: worker.oci.gcc"},
		{"wrong type", "[worker.oci]\n  max-parallelism = \"x\"\n", "/u/bk.toml:2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(WithStateDir(t.TempDir()), WithSocket("/tmp/x.sock"), WithSettings(Settings{UserConfig: tc.text, UserConfigFile: "/u/bk.toml"}))
			var ce *ConfigFileError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a *ConfigFileError saying %q", err, tc.want)
			}
		})
	}
}

func TestSettingsKept(t *testing.T) {
	dir := t.TempDir()
	s := Settings{Mirrors: map[string][]string{"docker.io": {"127.0.0.1:5999"}}, Insecure: []string{"r.example"}}
	e, err := New(WithStateDir(dir), WithSocket(filepath.Join(dir, "s.sock")), WithSettings(s))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.saveSettings(); err != nil {
		t.Fatal(err)
	}
	e2, err := New(WithStateDir(dir), WithSocket(filepath.Join(dir, "s.sock")))
	if err != nil {
		t.Fatal(err)
	}
	if got := e2.Settings(); !slices.Equal(got.Mirrors["docker.io"], s.Mirrors["docker.io"]) || !slices.Equal(got.Insecure, s.Insecure) {
		t.Errorf("kept settings %+v, want %+v", got, s)
	}
	if err := os.WriteFile(filepath.Join(dir, "settings.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(WithStateDir(dir), WithSocket(filepath.Join(dir, "s.sock"))); err == nil || !strings.Contains(err.Error(), "settings.json") {
		t.Errorf("corrupt settings: %v", err)
	}
}

func TestParseMirror(t *testing.T) {
	for spec, want := range map[string]string{"docker.io=127.0.0.1:5000": "docker.io 127.0.0.1:5000", "m.example": "docker.io m.example", "ghcr.io=m.example/ghcr": "ghcr.io m.example/ghcr"} {
		r, m, err := ParseMirror(spec)
		if err != nil || r+" "+m != want {
			t.Errorf("%s: %s %s %v", spec, r, m, err)
		}
	}
	for _, bad := range []string{"docker.io=", "=m.example", "docker.io=https://m.example", "docker.io=m example"} {
		if _, _, err := ParseMirror(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
