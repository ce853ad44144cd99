package builder

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

func TestStoreCreateGetRemove(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir)
	b := Builder{Name: "farm", Nodes: []Node{
		{Endpoint: "unix:///run/bk.sock", Platforms: mustParse(t, "linux/aarch64")},
		{Endpoint: "tcp://10.0.0.2:1234"},
	}}
	if err := s.Create(b); err != nil {
		t.Fatal(err)
	}
	var dup *DuplicateBuilderError
	if err := s.Create(b); !errors.As(err, &dup) || dup.Name != "farm" {
		t.Fatalf("duplicate: %v", err)
	}
	if err := s.Create(Builder{Name: "alpha", Nodes: []Node{{Endpoint: "unix:///a.sock"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get("farm")
	if err != nil || len(got.Nodes) != 2 || got.Nodes[0].Platforms[0].String() != "linux/arm64" {
		t.Fatalf("get: %+v %v (platforms are stored normalised)", got, err)
	}
	list, err := s.List()
	if err != nil || len(list) != 2 || list[0].Name != "alpha" {
		t.Fatalf("list: %+v %v", list, err)
	}
	var unknown *UnknownBuilderError
	if _, err := s.Get("nope"); !errors.As(err, &unknown) || len(unknown.Known) != 2 {
		t.Fatalf("unknown: %v", err)
	}
	if err := s.Remove("farm"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("farm"); !errors.As(err, &unknown) {
		t.Fatalf("second remove: %v", err)
	}
	// Nothing but the store and its lock is left in the dir: no temp files.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "builders.json" && e.Name() != "builders.json.lock" {
			t.Errorf("stray file %s", e.Name())
		}
	}
}

func TestStoreDefaultDirEnv(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string { return map[string]string{EnvConfigDir: dir}[k] }
	if got := NewStore(DefaultConfigDir(getenv)).Path(); got != filepath.Join(dir, "builders.json") {
		t.Errorf("path %s", got)
	}
}

// mustParse parses declared platform names.
func mustParse(t *testing.T, names ...string) []platform.Platform {
	t.Helper()
	ps, err := ParsePlatforms(names)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestStoreKeepsPlatformNames: builders.json holds declared platforms by
// name, as stores written before nodes held parsed platforms do, and such
// a store loads (aliases normalised); an unknown platform is an error that
// names the node.
func TestStoreKeepsPlatformNames(t *testing.T) {
	dir := t.TempDir()
	old := `{"version":1,"builders":[{"name":"farm","nodes":[{"endpoint":"unix:///a.sock","platforms":["linux/aarch64","linux/arm/v7"]}]}]}`
	if err := os.WriteFile(filepath.Join(dir, "builders.json"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	s := NewStore(dir)
	b, err := s.Get("farm")
	if err != nil || len(b.Nodes[0].Platforms) != 2 || b.Nodes[0].Platforms[0].String() != "linux/arm64" {
		t.Fatalf("old store: %+v %v", b, err)
	}
	if err := s.Create(Builder{Name: "more", Nodes: []Node{{Endpoint: "unix:///b.sock", Platforms: mustParse(t, "armhf")}}}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(s.Path())
	if !strings.Contains(string(raw), `"platforms": [
            "linux/arm/v7"
          ]`) || !strings.Contains(string(raw), `"linux/arm64"`) {
		t.Errorf("builders.json does not hold platform names:\n%s", raw)
	}
	bad := strings.Replace(old, "linux/aarch64", "linux/sparc99", 1)
	if err := os.WriteFile(filepath.Join(dir, "builders.json"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(); err == nil || !strings.Contains(err.Error(), "node unix:///a.sock: platform \"linux/sparc99\"") {
		t.Errorf("unknown platform: %v", err)
	}
}

func TestBuilderValidate(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, []byte("x"), 0o644)
	for name, b := range map[string]Builder{
		"bad name":          {Name: "-x", Nodes: []Node{{Endpoint: "unix:///a"}}},
		"no node":           {Name: "x"},
		"bad scheme":        {Name: "x", Nodes: []Node{{Endpoint: "http://a:1"}}},
		"tcp without port":  {Name: "x", Nodes: []Node{{Endpoint: "tcp://a"}}},
		"unix with tls":     {Name: "x", Nodes: []Node{{Endpoint: "unix:///a", TLS: &TLSFiles{CA: ca}}}},
		"cert without key":  {Name: "x", Nodes: []Node{{Endpoint: "tcp://a:1", TLS: &TLSFiles{Cert: ca}}}},
		"missing ca":        {Name: "x", Nodes: []Node{{Endpoint: "tcp://a:1", TLS: &TLSFiles{CA: ca + ".missing"}}}},
		"same node twice":   {Name: "x", Nodes: []Node{{Endpoint: "unix:///a"}, {Endpoint: "unix:///a"}}},
		"unix without path": {Name: "x", Nodes: []Node{{Endpoint: "unix://"}}},
	} {
		if err := b.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParsePlatforms([]string{"linux/arm64", "linux/"}); err == nil {
		t.Error("bad platform: accepted")
	}
	ok := Builder{Name: "x", Nodes: []Node{{Endpoint: "tcp://a:1", TLS: &TLSFiles{CA: ca, ServerName: "a"}}}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid builder refused: %v", err)
	}
}
