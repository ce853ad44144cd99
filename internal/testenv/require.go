package testenv

import (
	"os"
	"testing"
)

// InCI reports whether tests run under CI (CI=true), where every
// prerequisite must be present.
func InCI() bool { return os.Getenv("CI") == "true" }

// Require fails the test in CI and skips it elsewhere when ok is false.
// reason says what is missing and how to get it.
func Require(t testing.TB, ok bool, reason string) {
	t.Helper()
	if ok {
		return
	}
	if InCI() {
		t.Fatalf("missing prerequisite (CI=true, so this fails): %s", reason)
	}
	t.Skipf("missing prerequisite: %s", reason)
}

// RequireRoot requires euid 0.
func RequireRoot(t testing.TB) {
	t.Helper()
	Require(t, os.Geteuid() == 0, "must run as root (sudo make test)")
}
