package build

import (
	"context"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// buildAt builds opts on the one builder at address.
func buildAt(ctx context.Context, address string, opts Options) (*Result, error) {
	return BuildOn(ctx, []builder.Node{{Endpoint: address}}, opts)
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
