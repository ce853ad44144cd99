package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// EmptyBinfmtDir is a directory shaped like a mounted, enabled
// binfmt_misc with no entries: the host of a machine without
// qemu-user-static, for tests that point --binfmt-dir at it.
func EmptyBinfmtDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"register": "", "status": "enabled\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// FakeQEMUDir is a --qemu-dir holding an empty executable
// qemu-<arch>-static per QEMU target in arches: enough for what looks
// emulators up, not to run anything.
func FakeQEMUDir(t testing.TB, arches ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, a := range arches {
		if err := os.WriteFile(filepath.Join(dir, "qemu-"+a+"-static"), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// FixtureBinfmtDir is a copy of internal/binfmt's fixture tree: real
// entries of a Debian host, a PF one, a disabled one, an extension one.
func FixtureBinfmtDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(RepoRoot(t), "internal", "binfmt", "testdata", "root"))); err != nil {
		t.Fatal(err)
	}
	return dir
}
