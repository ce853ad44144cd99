package binfmt

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func TestParseEntryTestdata(t *testing.T) {
	tests := []struct {
		file, flags, interpreter, magic, mask, ext, platform string
		enabled                                              bool
		platforms                                            int
	}{
		{file: "qemu-arm", enabled: true, flags: "POF", interpreter: "/usr/libexec/qemu-binfmt/arm-binfmt-P",
			magic: "7f454c4601010100000000000000000002002800", mask: "ffffffffffffff00fffffffffffffffffeffffff",
			platform: "linux/arm/v5", platforms: 3},
		{file: "qemu-aarch64", enabled: true, flags: "POF", interpreter: "/usr/libexec/qemu-binfmt/aarch64-binfmt-P",
			magic: "7f454c460201010000000000000000000200b700", mask: "ffffffffffffff00fffffffffffffffffeffffff",
			platform: "linux/arm64", platforms: 1},
		{file: "qemu-s390x", enabled: true, flags: "PF", interpreter: "/usr/libexec/qemu-binfmt/s390x-binfmt-P",
			magic: "7f454c4602020100000000000000000000020016", mask: "fffffffffffffffcfffffffffffffffffffeffff",
			platform: "linux/s390x", platforms: 1},
		{file: "qemu-ppc64le", enabled: false, flags: "OCF", interpreter: "/usr/bin/qemu-ppc64le-static",
			magic: "7f454c4602010100000000000000000002001500", mask: "fffffffffffffffcfffffffffffffffffeffff00",
			platform: "linux/ppc64le", platforms: 1},
		{file: "qemu-sparc64", enabled: true, flags: "POF", interpreter: "/usr/libexec/qemu-binfmt/sparc64-binfmt-P",
			magic: "7f454c460202010000000000000000000002002b", mask: "fffffffffffffffcfffffffffffffffffffeffff"},
		{file: "jar", enabled: true, flags: "", interpreter: "/usr/bin/jexec", ext: "jar"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata/root", tt.file)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			e, err := ParseEntry(path, raw)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{e.Name, e.Flags.String(), e.Interpreter, hex.EncodeToString(e.Magic), hex.EncodeToString(e.Mask), e.Extension}
			want := []string{tt.file, tt.flags, tt.interpreter, tt.magic, tt.mask, tt.ext}
			if !reflect.DeepEqual(got, want) || e.Enabled != tt.enabled {
				t.Errorf("got %q enabled=%v, want %q enabled=%v", got, e.Enabled, want, tt.enabled)
			}
			p, ok := e.Platform()
			if ok != (tt.platform != "") || ok && p.String() != tt.platform || len(e.Platforms) != tt.platforms {
				t.Errorf("platform %v (%v, %d rows), want %q (%d rows)", p, ok, len(e.Platforms), tt.platform, tt.platforms)
			}
			if back := formatEntry(e); string(back) != string(raw) {
				t.Errorf("formatEntry does not print what the kernel printed:\n%s\nwant\n%s", back, raw)
			}
		})
	}
}

func TestParseEntryMalformed(t *testing.T) {
	const ok = "enabled\ninterpreter /q\nflags: F\noffset 0\nmagic 7f45\nmask ffff\n"
	tests := []struct {
		name, content string
		line          int
	}{
		{"empty", "", 1},
		{"status not first", "interpreter /q\nenabled\nmagic 7f\n", 2},
		{"status with text", "enabled yes\ninterpreter /q\nmagic 7f\n", 1},
		{"unknown line", strings.Replace(ok, "offset 0", "offsett 0", 1), 4},
		{"bad flag", strings.Replace(ok, "flags: F", "flags: FX", 1), 3},
		{"duplicate flags", strings.Replace(ok, "flags: F", "flags: FF", 1), 3},
		{"negative offset", strings.Replace(ok, "offset 0", "offset -1", 1), 4},
		{"odd hex", strings.Replace(ok, "magic 7f45", "magic 7f4", 1), 5},
		{"not hex", strings.Replace(ok, "mask ffff", "mask zz", 1), 6},
		{"twice", ok + "magic 7f45\n", 7},
		{"blank line", "enabled\n\ninterpreter /q\nmagic 7f\n", 2},
		{"extension without dot", "enabled\ninterpreter /q\nflags: \nextension jar\n", 4},
		{"no interpreter", "enabled\nflags: F\nmagic 7f\n", 0},
		{"no status", "\ninterpreter /q\n", 1},
		{"no magic", "enabled\ninterpreter /q\nflags: F\n", 0},
		{"mask length", strings.Replace(ok, "mask ffff", "mask ff", 1), 0},
		{"extension and magic", "enabled\ninterpreter /q\nextension .x\nmagic 7f\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEntry("/fake/qemu-test", []byte(tt.content))
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want a *ParseError wrapping ErrMalformed", err)
			}
			if pe.Line != tt.line || !strings.HasPrefix(err.Error(), "/fake/qemu-test:") {
				t.Errorf("err = %q (line %d), want file /fake/qemu-test and line %d", err, pe.Line, tt.line)
			}
		})
	}
	if _, err := ParseEntry("/fake/qemu-test", []byte(ok)); err != nil {
		t.Errorf("the valid base case fails: %v", err)
	}
}

func TestListSkipsControlFiles(t *testing.T) {
	m, _ := newFake(t, false)
	entries, err := m.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	want := []string{"jar", "qemu-aarch64", "qemu-arm", "qemu-ppc64le", "qemu-s390x", "qemu-sparc64"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("List = %q, want %q", names, want)
	}
}

func TestListMalformedNamesFile(t *testing.T) {
	m, _ := newFake(t, false)
	bad := filepath.Join(m.Root, "qemu-bad")
	if err := os.WriteFile(bad, []byte("enabled\ninterpreter /q\nbogus\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := m.List(context.Background())
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), bad+":3:") {
		t.Errorf("List err = %v, want ErrMalformed naming %s:3", err, bad)
	}
}

func TestNotMounted(t *testing.T) {
	m := &Manager{Root: t.TempDir()}
	_, err := m.List(context.Background())
	want := "mount -t binfmt_misc binfmt_misc " + m.Root
	if !errors.Is(err, ErrNotMounted) || !strings.Contains(err.Error(), want) {
		t.Errorf("List err = %v, want ErrNotMounted with %q", err, want)
	}
	// Not the real path: never mounted by us, even as root.
	err = m.Register(context.Background(), Registration{Name: "x", Magic: []byte{1}, Interpreter: "/q"})
	if !errors.Is(err, ErrNotMounted) {
		t.Errorf("Register err = %v, want ErrNotMounted", err)
	}
}

func TestSetStatus(t *testing.T) {
	m, k := newFake(t, true)
	ctx := context.Background()
	for _, on := range []bool{false, true} {
		if err := m.SetStatus(ctx, on); err != nil {
			t.Fatal(err)
		}
		if got, err := m.Enabled(ctx); err != nil || got != on {
			t.Errorf("after SetStatus(%v): Enabled = %v, %v", on, got, err)
		}
	}
	if want := []string{"disable binfmt_misc", "enable binfmt_misc"}; !reflect.DeepEqual(k.ops, want) {
		t.Errorf("kernel writes %q, want %q", k.ops, want)
	}
	k.fail["enable binfmt_misc"] = syscall.EPERM
	if err := m.SetStatus(ctx, true); !errors.Is(err, syscall.EPERM) || !strings.Contains(err.Error(), "run as root") {
		t.Errorf("EPERM: err = %v, want the errno and the advice to run as root", err)
	}
	if err := (&Manager{Root: t.TempDir()}).SetStatus(ctx, true); !errors.Is(err, ErrNotMounted) {
		t.Errorf("not mounted: err = %v, want ErrNotMounted", err)
	}
}

func TestHandler(t *testing.T) {
	m, _ := newFake(t, false)
	for _, tt := range []struct {
		platform, name string
	}{{"linux/arm/v7", "qemu-arm"}, {"linux/arm64", "qemu-aarch64"}, {"linux/riscv64", ""}} {
		p := testenv.Platforms(t, tt.platform)[0]
		e, ok, err := m.Handler(context.Background(), p)
		if err != nil || ok != (tt.name != "") || e.Name != tt.name {
			t.Errorf("Handler(%s) = %q, %v, %v; want %q", p, e.Name, ok, err, tt.name)
		}
	}
}

func FuzzParseEntry(f *testing.F) {
	files, _ := filepath.Glob("testdata/root/*")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Add([]byte("disabled\ninterpreter /a b\nflags: \noffset 3\nmagic 00\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEntry("/fuzz/entry", data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		// What parses prints back as the kernel would, and parses the same.
		again, err := ParseEntry("/fuzz/entry", formatEntry(e))
		if err != nil {
			t.Fatalf("re-parsing %q: %v", formatEntry(e), err)
		}
		if !reflect.DeepEqual(e, again) {
			t.Fatalf("round trip changed the entry:\n%+v\n%+v", e, again)
		}
	})
}
