package platform_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestMagicMatchesDistro checks the table against the registrations Debian's
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
			// :name:type:offset:magic:mask:interpreter:flags
			fields := strings.Split(line, ":")
			if len(fields) < 8 {
				t.Fatalf("%s: odd line %q", f.Name(), line)
			}
			if got := unescape(t, fields[4]); string(got) != string(p.Magic) {
				t.Errorf("%s magic = %x, distro has %x", p, p.Magic, got)
			}
			if got := unescape(t, fields[5]); string(got) != string(p.Mask) {
				t.Errorf("%s mask = %x, distro has %x", p, p.Mask, got)
			}
			checked++
		}
		f.Close()
	}
	if checked < 5 {
		t.Errorf("compared only %d distro entries", checked)
	}
}

// unescape decodes binfmt_misc's \xHH escapes (and literal bytes).
func unescape(t *testing.T, s string) []byte {
	t.Helper()
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			var b byte
			for _, c := range s[i+2 : i+4] {
				b <<= 4
				switch {
				case c >= '0' && c <= '9':
					b |= byte(c - '0')
				case c >= 'a' && c <= 'f':
					b |= byte(c-'a') + 10
				case c >= 'A' && c <= 'F':
					b |= byte(c-'A') + 10
				default:
					t.Fatalf("bad escape in %q", s)
				}
			}
			out = append(out, b)
			i += 3
			continue
		}
		out = append(out, s[i])
	}
	return out
}
