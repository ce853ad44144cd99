package probe

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// These helpers read and change real binfmt_misc entries for the tests
// that need a handler without F, or none. They stay test-only and small on
// purpose: internal/binfmt owns registration for the product.

const binfmtDir = "/proc/sys/fs/binfmt_misc"

// binfmtEntry is what /proc/sys/fs/binfmt_misc/<name> shows of a magic
// entry: enough to register it again exactly.
type binfmtEntry struct {
	name, interpreter, flags string
	enabled                  bool
	offset                   string
	magic, mask              []byte
}

func readEntry(name string) (binfmtEntry, error) {
	data, err := os.ReadFile(filepath.Join(binfmtDir, name))
	if err != nil {
		return binfmtEntry{}, err
	}
	e := binfmtEntry{name: name, offset: "0"}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, val, _ := strings.Cut(sc.Text(), " ")
		switch key {
		case "enabled", "disabled":
			e.enabled = key == "enabled"
		case "interpreter":
			e.interpreter = val
		case "flags:":
			e.flags = val
		case "offset":
			e.offset = val
		case "magic":
			e.magic, err = hex.DecodeString(val)
		case "mask":
			e.mask, err = hex.DecodeString(val)
		case "extension":
			return binfmtEntry{}, fmt.Errorf("%s: extension entries are not supported here", name)
		}
		if err != nil {
			return binfmtEntry{}, fmt.Errorf("%s: %s: %w", name, key, err)
		}
	}
	if e.interpreter == "" || e.magic == nil {
		return binfmtEntry{}, fmt.Errorf("%s: unexpected entry format:\n%s", name, data)
	}
	return e, nil
}

// line is the register string for e, every magic and mask byte escaped.
func (e binfmtEntry) line(flags string) string {
	esc := func(b []byte) string {
		var s strings.Builder
		for _, c := range b {
			fmt.Fprintf(&s, `\x%02x`, c)
		}
		return s.String()
	}
	return fmt.Sprintf(":%s:M:%s:%s:%s:%s:%s", e.name, e.offset, esc(e.magic), esc(e.mask), e.interpreter, flags)
}

func (e binfmtEntry) equal(o binfmtEntry) bool {
	sorted := func(s string) string { b := []byte(s); slices.Sort(b); return string(b) }
	return e.name == o.name && e.interpreter == o.interpreter && sorted(e.flags) == sorted(o.flags) &&
		e.enabled == o.enabled && e.offset == o.offset && bytes.Equal(e.magic, o.magic) && bytes.Equal(e.mask, o.mask)
}

func writeBinfmt(file, s string) error {
	return os.WriteFile(filepath.Join(binfmtDir, file), []byte(s), 0)
}

func unregister(name string) error { return writeBinfmt(name, "-1") }

func register(e binfmtEntry, flags string) error {
	if err := writeBinfmt("register", e.line(flags)); err != nil {
		return err
	}
	if !e.enabled {
		return writeBinfmt(e.name, "0")
	}
	return nil
}

// handlerRegistered reports whether p runs here: natively, or through an
// enabled qemu-<arch> entry while binfmt_misc itself is enabled.
func handlerRegistered(p platform.Platform) bool {
	if slices.Contains(platform.NativeArches(), p.QEMUArch) {
		return true
	}
	status, err := os.ReadFile(filepath.Join(binfmtDir, "status"))
	if err != nil || strings.TrimSpace(string(status)) != "enabled" {
		return false
	}
	e, err := readEntry(p.BinfmtName())
	return err == nil && e.enabled
}

// removeHandler unregisters p's real entry for the rest of the test.
// Cleanup removes whatever the test registered under that name, restores
// the original entry and checks it reads back identical.
func removeHandler(t *testing.T, p platform.Platform) binfmtEntry {
	t.Helper()
	orig, err := readEntry(p.BinfmtName())
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s is not registered: install qemu-user-static", p.BinfmtName())
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := unregister(orig.name); err != nil {
		t.Fatalf("unregister %s: %v", orig.name, err)
	}
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(binfmtDir, orig.name)); err == nil {
			if err := unregister(orig.name); err != nil {
				t.Errorf("cleanup: unregister the test's %s: %v", orig.name, err)
			}
		}
		if err := register(orig, orig.flags); err != nil {
			t.Errorf("cleanup: RESTORE FAILED, re-register by hand: echo '%s' > %s/register: %v", orig.line(orig.flags), binfmtDir, err)
			return
		}
		got, err := readEntry(orig.name)
		if err != nil || !got.equal(orig) {
			t.Errorf("cleanup: restored %s differs: got %+v (%v), want %+v", orig.name, got, err, orig)
		}
	})
	return orig
}

// replaceHandler registers p's entry again with other flags for the rest
// of the test (restored as by removeHandler).
func replaceHandler(t *testing.T, p platform.Platform, flags string) {
	t.Helper()
	orig := removeHandler(t, p)
	e := orig
	e.enabled = true
	if err := register(e, flags); err != nil {
		t.Fatalf("register %s with flags %q: %v", e.name, flags, err)
	}
}
