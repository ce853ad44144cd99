package build

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestStoreCreateGetRemove(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir)
	b := Builder{Name: "farm", Nodes: []Node{
		{Endpoint: "unix:///run/bk.sock", Platforms: []string{"linux/aarch64"}},
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
	if err != nil || len(got.Nodes) != 2 || got.Nodes[0].Platforms[0] != "linux/arm64" {
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
	t.Setenv(EnvConfigDir, dir)
	if got := NewStore("").Path(); got != filepath.Join(dir, "builders.json") {
		t.Errorf("path %s", got)
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
		"bad platform":      {Name: "x", Nodes: []Node{{Endpoint: "unix:///a", Platforms: []string{"linux/"}}}},
		"same node twice":   {Name: "x", Nodes: []Node{{Endpoint: "unix:///a"}, {Endpoint: "unix:///a"}}},
		"unix without path": {Name: "x", Nodes: []Node{{Endpoint: "unix://"}}},
	} {
		if err := b.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ok := Builder{Name: "x", Nodes: []Node{{Endpoint: "tcp://a:1", TLS: &TLSFiles{CA: ca, ServerName: "a"}}}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid builder refused: %v", err)
	}
}
