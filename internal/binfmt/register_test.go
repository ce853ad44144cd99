package binfmt

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestLineMatchesDebian: for Debian's flags and interpreter, our register
// line and persisted file equal Debian's /usr/lib/binfmt.d files byte for
// byte.
func TestLineMatchesDebian(t *testing.T) {
	for _, tt := range []struct{ platform, file string }{
		{"linux/arm64", "qemu-aarch64.conf"},
		{"linux/arm/v7", "qemu-arm.conf"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata/debian", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			p := testenv.Platforms(t, tt.platform)[0]
			flags, _ := ParseFlags("POF")
			r := Registration{Name: p.BinfmtName(), Magic: p.Magic, Mask: p.Mask, Flags: flags,
				Interpreter: "/usr/libexec/qemu-binfmt/" + p.QEMUArch + "-binfmt-P"}
			line, err := r.Line()
			if err != nil {
				t.Fatal(err)
			}
			if line+"\n" != string(want) {
				t.Errorf("line\n%s\nwant\n%s", line, want)
			}
			m := &Manager{PersistDir: t.TempDir()}
			path, err := m.Persist(r)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if path != filepath.Join(m.PersistDir, tt.file) || !bytes.Equal(got, want) {
				t.Errorf("persisted %s:\n%s\nwant %s:\n%s", path, got, tt.file, want)
			}
			back, err := ParseLine(string(want))
			if err != nil || !reflect.DeepEqual(back, r) {
				t.Errorf("ParseLine(Debian's file) = %+v, %v; want %+v", back, err, r)
			}
		})
	}
}

func TestParseLineRawMagic(t *testing.T) {
	// Debian's own files leave printable magic bytes unescaped.
	for file, magic := range map[string]string{"python3.11.conf": "\xa7\r\r\n", "llvm-14-runtime.binfmt.conf": "BC"} {
		raw, err := os.ReadFile(filepath.Join("testdata/debian", file))
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseLine(string(raw))
		if err != nil || string(r.Magic) != magic || r.Mask != nil || r.Flags != 0 {
			t.Errorf("%s: %+v, %v; want magic %q, no mask, no flags", file, r, err, magic)
		}
	}
}

func TestParseLineExtension(t *testing.T) {
	r, err := ParseLine(":jar:E::jar::/usr/bin/jexec:\n")
	if err != nil || r.Extension != "jar" || r.Type() != 'E' {
		t.Fatalf("got %+v, %v", r, err)
	}
	if line, _ := r.Line(); line != ":jar:E::jar::/usr/bin/jexec:" {
		t.Errorf("Line = %q", line)
	}
}

func TestValidate(t *testing.T) {
	ok := Registration{Name: "qemu-x", Magic: []byte("\x7fELF"), Mask: []byte("\xff\xff\xff\xff"), Interpreter: "/usr/bin/q", Flags: DefaultFlags}
	tests := []struct {
		name   string
		change func(r *Registration)
	}{
		{"empty name", func(r *Registration) { r.Name = "" }},
		{"dot", func(r *Registration) { r.Name = "." }},
		{"dotdot", func(r *Registration) { r.Name = ".." }},
		{"slash", func(r *Registration) { r.Name = "a/b" }},
		{"colon", func(r *Registration) { r.Name = "a:b" }},
		{"newline", func(r *Registration) { r.Name = "a\nb" }},
		{"register", func(r *Registration) { r.Name = "register" }},
		{"relative interpreter", func(r *Registration) { r.Interpreter = "qemu-arm-static" }},
		{"empty interpreter", func(r *Registration) { r.Interpreter = "" }},
		{"colon in interpreter", func(r *Registration) { r.Interpreter = "/a:b" }},
		{"bad flag bits", func(r *Registration) { r.Flags = 0x40 }},
		{"empty magic", func(r *Registration) { r.Magic, r.Mask = nil, nil }},
		{"mask length", func(r *Registration) { r.Mask = []byte{0xff} }},
		{"magic too long", func(r *Registration) { r.Magic, r.Mask = make([]byte, 129), nil }},
		{"offset too far", func(r *Registration) { r.Offset = 125 }},
		{"negative offset", func(r *Registration) { r.Offset = -1 }},
		{"extension with magic", func(r *Registration) { r.Extension = "x" }},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("base case: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.change(&r)
			if _, err := r.Line(); !errors.Is(err, ErrInvalid) {
				t.Errorf("Line() err = %v, want ErrInvalid", err)
			}
		})
	}
	edge := ok
	edge.Offset, edge.Magic, edge.Mask = 124, []byte("\x7fELF"), nil
	if err := edge.Validate(); err != nil {
		t.Errorf("offset+magic = 128 must be accepted: %v", err)
	}
}

func TestParseFlags(t *testing.T) {
	for in, want := range map[string]string{"": "", "CF": "CF", "fc": "CF", "POCF": "POCF", "FOP": "POF"} {
		f, err := ParseFlags(in)
		if err != nil || f.String() != want {
			t.Errorf("ParseFlags(%q) = %q, %v; want %q", in, f, err, want)
		}
	}
	for _, in := range []string{"X", "CFF", "C F", "CFx"} {
		if _, err := ParseFlags(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseFlags(%q) err = %v, want ErrInvalid", in, err)
		}
	}
	if cf, _ := ParseFlags("CF"); cf.Effective().String() != "OCF" || !cf.Has(FlagOpenBinary) {
		t.Errorf("C must imply O: %q", cf.Effective())
	}
}

func TestEscapedLineHasNoRawDelimiter(t *testing.T) {
	r := Registration{Name: "x", Magic: []byte("::\\x"), Mask: []byte("::::"), Interpreter: "/q"}
	line, err := r.Line()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(line, ":"); n != 7 {
		t.Errorf("%q has %d colons, want exactly the 7 delimiters", line, n)
	}
}

func FuzzRegisterLine(f *testing.F) {
	f.Add("qemu-aarch64", uint8(0), []byte("\x7fELF\x02"), []byte("\xff\xff\xff\xff\xfe"), "", "/usr/bin/qemu-aarch64-static", "CF")
	f.Add("jar", uint8(0), []byte(nil), []byte(nil), "jar", "/usr/bin/jexec", "")
	f.Add("x", uint8(3), []byte(":\\x"), []byte(nil), "", "/a b", "POCF")
	f.Fuzz(func(t *testing.T, name string, offset uint8, magic, mask []byte, ext, interp, flagStr string) {
		flags, err := ParseFlags(flagStr)
		if err != nil {
			return
		}
		if len(mask) == 0 {
			mask = nil
		}
		if len(magic) == 0 {
			magic = nil
		}
		r := Registration{Name: name, Offset: int(offset), Magic: magic, Mask: mask, Extension: ext, Interpreter: interp, Flags: flags}
		line, err := r.Line()
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		back, err := ParseLine(line)
		if err != nil {
			t.Fatalf("ParseLine(%q): %v", line, err)
		}
		if back.Flags.Effective() != r.Flags.Effective() {
			t.Fatalf("flags %q -> %q", r.Flags, back.Flags)
		}
		back.Flags = r.Flags
		if !reflect.DeepEqual(back, r) {
			t.Fatalf("round trip of %q:\n%+v\n%+v", line, r, back)
		}
	})
}
