package binfmt

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestMagicMatchesDistro checks the platform table against the registrations Debian's
// qemu-user-static ships (generated from QEMU's qemu-binfmt-conf.sh): the
// values must be identical, or our entries and the distro's would fight.
func TestMagicMatchesDistro(t *testing.T) {
	dir := "/usr/lib/binfmt.d"
	_, err := os.Stat(filepath.Join(dir, "qemu-aarch64.conf"))
	testenv.Require(t, err == nil, "qemu-user-static's /usr/lib/binfmt.d files (apt-get install qemu-user-static)")
	checked := 0
	for _, p := range platform.Foreign() {
		f, err := os.Open(filepath.Join(dir, p.BinfmtName()+".conf"))
		if errors.Is(err, os.ErrNotExist) {
			continue // e.g. no loongarch64 in older releases
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if line == "" || line[0] == '#' {
				continue
			}
			r, err := ParseLine(line)
			if err != nil {
				t.Fatalf("%s: %v", f.Name(), err)
			}
			if string(r.Magic) != string(p.Magic) {
				t.Errorf("%s magic = %x, distro has %x", p, p.Magic, r.Magic)
			}
			if string(r.Mask) != string(p.Mask) {
				t.Errorf("%s mask = %x, distro has %x", p, p.Mask, r.Mask)
			}
			checked++
		}
		f.Close()
	}
	if checked < 5 {
		t.Errorf("compared only %d distro entries", checked)
	}
}
