package build

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// shortSocket returns a socket path short enough for sun_path (t.TempDir
// paths of long test names are not).
func shortSocket(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mab")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "buildkitd.sock")
}

// newTestEmbedded returns an embedded builder in a temp state dir on a temp
// socket; it is stopped when the test ends.
func newTestEmbedded(t *testing.T) *Embedded {
	t.Helper()
	testenv.RequireRoot(t)
	e, err := NewEmbedded(WithStateDir(t.TempDir()), WithSocket(shortSocket(t)), WithBinary(testenv.BuildkitdBinary(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := e.Down(context.Background()); err != nil {
			t.Errorf("down: %v", err)
		}
		if t.Failed() {
			t.Logf("buildkitd log (%s):\n%s", e.LogFile(), testenv.LogTail(e.LogFile()))
		}
	})
	return e
}

// startTestBuilder starts a test embedded builder and returns it.
func startTestBuilder(t *testing.T) *Embedded {
	t.Helper()
	e := newTestEmbedded(t)
	if _, _, err := e.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	return e
}

// registryWithBase starts a registry and pushes a busybox index of ps to
// it; base is its reference, for the BASE build arg.
func registryWithBase(t *testing.T, ps []platform.Platform) (reg *testenv.Registry, base string) {
	t.Helper()
	reg = testenv.StartRegistry(t)
	base = reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, ps...)
	return reg, base
}
