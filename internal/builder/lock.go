package builder

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// LockFile takes an exclusive flock on path, creating the file; the
// returned func releases it. The builder store and the embedded builder's
// state dir are each guarded by one.
func LockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}
