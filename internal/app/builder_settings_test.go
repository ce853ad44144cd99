package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A settings.json that does not parse fails every start of the embedded
// builder, saying so, until `builder up --reset` (which does not read it).
func TestResetIgnoresBrokenSettings(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "settings.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := EmbeddedBuilderOptions{Env: testEnv(t), Embedded: EmbeddedOptions{StateDir: dir, Socket: filepath.Join(dir, "s.sock")}}
	if _, err := embeddedWithSettings(o); err == nil || !strings.Contains(err.Error(), "--reset") {
		t.Fatalf("broken settings: %v", err)
	}
	o.Settings = &UpSettings{Reset: true, Mirrors: []string{"docker.io=127.0.0.1:5000"}}
	e, err := embeddedWithSettings(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Settings().Mirrors["docker.io"]; len(got) != 1 || got[0] != "127.0.0.1:5000" {
		t.Errorf("mirrors after --reset --mirror: %v", got)
	}
}
