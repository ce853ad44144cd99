package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/status"
)

// The buildkitd check asks the embedded builder's own lookup, which reads
// the environment it was lent (embedded.WithEnv), never doctor's process.
func TestEmbeddedBuildkitdLookup(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "buildkitd")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, value string
		want        status.Status
		msg         string
	}{
		{"found", bin, status.Pass, "buildkitd: " + bin},
		{"not found", filepath.Join(dir, "missing"), status.Fail, embedded.EnvBuildkitd},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := func(k string) string {
				if k == embedded.EnvBuildkitd {
					return tt.value
				}
				return ""
			}
			e, err := embedded.New(embedded.WithEnv(env), embedded.WithStateDir(dir), embedded.WithSocket(filepath.Join(dir, "none.sock")))
			if err != nil {
				t.Fatal(err)
			}
			cs, _, _ := (&Builder{Embedded: e}).checks(t.Context(), nil, nil)
			var c *Check
			for i := range cs {
				if cs[i].Kind == KindBuildkitd {
					c = &cs[i]
				}
			}
			if c == nil || c.Status != tt.want || !strings.Contains(c.Message, tt.msg) || c.ID != "builder:buildkitd" {
				t.Errorf("buildkitd check %+v, want %s containing %q", c, tt.want, tt.msg)
			}
		})
	}
}
