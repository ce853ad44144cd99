package cli

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadArchiveBadInputCLI: inspect and verify of a missing file, a file
// that is no tar and a tar without oci-layout fail with what it is, never
// a "registry error".
func TestReadArchiveBadInputCLI(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.tar")
	os.WriteFile(text, []byte("not a tar\n"), 0o644)
	plain := filepath.Join(dir, "plain.tar")
	f, err := os.Create(plain)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	tw.WriteHeader(&tar.Header{Name: "a.txt", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("a"))
	tw.Close()
	f.Close()
	for _, tc := range []struct{ ref, want string }{
		{filepath.Join(dir, "missing.tar"), "no such file"},
		{"oci-archive:" + filepath.Join(dir, "missing.tar"), "no file"},
		{text, "is not a tar archive"},
		{plain, "a tar archive without an oci-layout entry"},
	} {
		for _, verb := range []string{"inspect", "verify"} {
			r := runArgs(t, verb, tc.ref)
			msg := r.stderr
			if r.err != nil {
				msg += r.err.Error()
			}
			if r.ok() || !strings.Contains(msg, tc.want) || strings.Contains(msg, "registry error") {
				t.Errorf("%s %s: ok=%v, want %q in:\n%s", verb, tc.ref, r.ok(), tc.want, msg)
			}
		}
	}
}
