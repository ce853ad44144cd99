package doctor

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// minKernel is the first kernel with binfmt_misc's F (fix-binary) flag,
// without which emulation does not work inside containers and chroots.
var minKernel = [2]int{4, 8}

func kernelRelease() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", err
	}
	return unix.ByteSliceToString(u.Release[:]), nil
}

// parseKernel reads "major.minor" from a release string such as
// "6.1.0-18-amd64" or "4.19.0".
func parseKernel(release string) (major, minor int, err error) {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return 0, 0, fmt.Errorf("kernel release %q: want MAJOR.MINOR", release)
	}
	major, err = strconv.Atoi(parts[0])
	if err != nil {
		return 0, 0, fmt.Errorf("kernel release %q: %w", release, err)
	}
	digits := strings.IndexFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
	if digits == 0 {
		return 0, 0, fmt.Errorf("kernel release %q: no minor version", release)
	}
	if digits > 0 {
		parts[1] = parts[1][:digits]
	}
	minor, err = strconv.Atoi(parts[1])
	if err != nil {
		return 0, 0, fmt.Errorf("kernel release %q: %w", release, err)
	}
	return major, minor, nil
}

func checkKernel(release string) Check {
	id := about(KindKernel, "")
	major, minor, err := parseKernel(release)
	if err != nil {
		return warn(id, "cannot read the kernel version: "+err.Error(), "")
	}
	if major < minKernel[0] || major == minKernel[0] && minor < minKernel[1] {
		return fail(id, fmt.Sprintf("kernel %s is older than %d.%d: binfmt_misc has no F (fix-binary) flag, so emulation fails inside containers", release, minKernel[0], minKernel[1]),
			fmt.Sprintf("upgrade the kernel to %d.%d or newer", minKernel[0], minKernel[1]))
	}
	return ok(id, fmt.Sprintf("kernel %s supports the F (fix-binary) flag (needs %d.%d or newer)", release, minKernel[0], minKernel[1]))
}
