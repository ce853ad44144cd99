package embedded

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// mountInfo is /proc/self/mountinfo: the mounts of this mount namespace,
// the host's one, where buildkitd mounts its containers' root
// filesystems.
const mountInfo = "/proc/self/mountinfo"

// unmountUnder unmounts what a dead buildkitd left mounted of its root
// dir: every mount point below dir, and every overlay elsewhere (a temp
// dir) whose layers are in dir. Mounts are undone newest first; one that
// is busy is detached (MNT_DETACH) so it goes when its last user does.
func unmountUnder(dir string) (int, error) {
	real, err := filepath.EvalSymlinks(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	f, err := os.Open(mountInfo)
	if err != nil {
		return 0, err
	}
	points, err := mountsOf(f, real)
	f.Close()
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", mountInfo, err)
	}
	var errs []error
	n := 0
	for _, p := range points {
		err := unix.Unmount(p, 0)
		if errors.Is(err, unix.EBUSY) {
			err = unix.Unmount(p, unix.MNT_DETACH)
		}
		switch {
		case err == nil:
			n++
		case !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT):
			// EINVAL, ENOENT: gone already (a parent's detach took it).
			errs = append(errs, fmt.Errorf("umount %s: %w", p, err))
		}
	}
	return n, errors.Join(errs...)
}

// mountsOf returns the mount points of r (mountinfo) that belong to dir,
// newest first: below dir, or an overlay with a layer in dir.
func mountsOf(r io.Reader, dir string) ([]string, error) {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := slices.Index(fields, "-")
		if len(fields) < 5 || sep < 0 || sep+3 >= len(fields) {
			continue
		}
		point := unescapeMount(fields[4])
		fstype, super := fields[sep+1], unescapeMount(fields[sep+3])
		if strings.HasPrefix(point, prefix) || (fstype == "overlay" && overlayIn(super, prefix)) {
			out = append(out, point)
		}
	}
	slices.Reverse(out)
	return out, sc.Err()
}

// overlayIn reports whether an overlay's super options name a lower,
// upper or work dir below prefix.
func overlayIn(super, prefix string) bool {
	for _, opt := range strings.Split(super, ",") {
		k, v, ok := strings.Cut(opt, "=")
		if !ok || (k != "lowerdir" && k != "upperdir" && k != "workdir") {
			continue
		}
		for _, d := range strings.Split(v, ":") {
			if strings.HasPrefix(d, prefix) {
				return true
			}
		}
	}
	return false
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space, \011,
// \012, \134).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
