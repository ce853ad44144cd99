package probe

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// These helpers change real binfmt_misc entries, through internal/binfmt,
// for the tests that need a handler without F, or none.

// hostBinfmt is the host's real binfmt_misc.
var hostBinfmt = &binfmt.Manager{}

// handlerRegistered reports whether p runs here: natively, or through an
// enabled qemu-<arch> entry while binfmt_misc itself is enabled.
func handlerRegistered(p platform.Platform) bool {
	if slices.Contains(platform.NativeArches(), p.QEMUArch) {
		return true
	}
	ctx := context.Background()
	if on, err := hostBinfmt.Enabled(ctx); err != nil || !on {
		return false
	}
	e, err := hostBinfmt.Get(ctx, p.BinfmtName())
	return err == nil && e.Enabled
}

// removeHandler unregisters p's real entry for the rest of the test.
// Cleanup removes whatever the test registered under that name, restores
// the original entry and checks it reads back identical.
func removeHandler(t *testing.T, p platform.Platform) binfmt.Entry {
	t.Helper()
	ctx := context.Background()
	orig, err := hostBinfmt.Get(ctx, p.BinfmtName())
	if errors.Is(err, binfmt.ErrNotFound) {
		t.Fatalf("%s is not registered: install qemu-user-static", p.BinfmtName())
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := hostBinfmt.Unregister(ctx, orig.Name); err != nil {
		t.Fatalf("unregister %s: %v", orig.Name, err)
	}
	line, err := orig.Registration().Line()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := hostBinfmt.Get(ctx, orig.Name); err == nil {
			if err := hostBinfmt.Unregister(ctx, orig.Name); err != nil {
				t.Errorf("cleanup: unregister the test's %s: %v", orig.Name, err)
			}
		}
		err := hostBinfmt.Register(ctx, orig.Registration())
		if err == nil && !orig.Enabled {
			err = hostBinfmt.SetEnabled(ctx, orig.Name, false)
		}
		if err != nil {
			t.Errorf("cleanup: RESTORE FAILED, re-register by hand: echo '%s' > %s/register: %v", line, binfmt.DefaultRoot, err)
			return
		}
		got, err := hostBinfmt.Get(ctx, orig.Name)
		gotLine, _ := got.Registration().Line()
		if err != nil || got.Enabled != orig.Enabled || gotLine != line {
			t.Errorf("cleanup: restored %s differs: got %+v (%v), want %+v", orig.Name, got, err, orig)
		}
	})
	return orig
}

// replaceHandler registers p's entry again, enabled, with other flags for
// the rest of the test (restored as by removeHandler).
func replaceHandler(t *testing.T, p platform.Platform, flags string) {
	t.Helper()
	r := removeHandler(t, p).Registration()
	var err error
	if r.Flags, err = binfmt.ParseFlags(flags); err != nil {
		t.Fatal(err)
	}
	if err := hostBinfmt.Register(context.Background(), r); err != nil {
		t.Fatalf("register %s with flags %q: %v", r.Name, flags, err)
	}
}
