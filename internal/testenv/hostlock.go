package testenv

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// hostBinfmtLock is the file every test that reads or changes the host's
// binfmt_misc state locks. `go test ./...` runs packages in parallel
// processes, so an in-process mutex would not do.
const hostBinfmtLock = "/tmp/multiarch-test-binfmt.lock"

// LockHostBinfmt takes the cross-process lock on host binfmt_misc state for
// the rest of the test. Exclusive: tests that change real entries, and tests
// whose outcome depends on them (probes, builds under emulation), take it.
func LockHostBinfmt(t testing.TB) {
	t.Helper()
	// Read-only: flock needs no write access, and the file is often
	// root's (0644) when another user runs the tests after root did.
	f, err := os.OpenFile(hostBinfmtLock, os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		t.Fatalf("open %s: %v", hostBinfmtLock, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("lock %s: %v", hostBinfmtLock, err)
	}
	t.Cleanup(func() {
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	})
}
