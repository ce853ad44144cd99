package doctor

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/status"
)

// The buildkitd check asks the caller's lookup (Builder.FindBuildkitd);
// doctor itself reads no environment.
func TestEmbeddedBuildkitdLookup(t *testing.T) {
	dir := t.TempDir()
	e, err := build.NewEmbedded(build.WithStateDir(dir), build.WithSocket(filepath.Join(dir, "none.sock")))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		find func() (string, error)
		want status.Status
		msg  string
	}{
		{"found", func() (string, error) { return "/opt/bk/buildkitd", nil }, status.Pass, "buildkitd: /opt/bk/buildkitd"},
		{"not found", func() (string, error) { return "", errors.New("MULTIARCH_BUILDKITD=/x: no such file") }, status.Fail, "no such file"},
		{"no lookup", nil, status.Fail, "no buildkitd lookup"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cs, _, _ := (&Builder{Embedded: e, FindBuildkitd: tt.find}).checks(t.Context(), nil, nil)
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
