package verify

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"io"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// entry is one tar entry of a test layer: a regular file unless typ says
// otherwise (tar.TypeDir, tar.TypeLink with link, ...).
type entry struct {
	name string
	body []byte
	typ  byte
	link string
}

func file(name string, body []byte) entry { return entry{name: name, body: body, typ: tar.TypeReg} }
func dir(name string) entry               { return entry{name: name, typ: tar.TypeDir} }

func tarBytes(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o755, Size: int64(len(e.body)), Linkname: e.link}
		if e.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(hdr2body(e)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hdr2body(e entry) []byte {
	if e.typ != tar.TypeReg {
		return nil
	}
	return e.body
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// layer is a gzip OCI layer holding entries.
func layer(t testing.TB, entries ...entry) v1.Layer {
	t.Helper()
	return static.NewLayer(gzipBytes(t, tarBytes(t, entries...)), types.OCILayer)
}

// plainLayer is an uncompressed OCI layer holding entries.
func plainLayer(t testing.TB, entries ...entry) v1.Layer {
	t.Helper()
	return static.NewLayer(tarBytes(t, entries...), types.OCIUncompressedLayer)
}

// countingLayer counts how often its blob is opened.
type countingLayer struct {
	v1.Layer
	opens *atomic.Int64
}

func (l countingLayer) Compressed() (io.ReadCloser, error) {
	l.opens.Add(1)
	return l.Layer.Compressed()
}

func (l countingLayer) Uncompressed() (io.ReadCloser, error) {
	l.opens.Add(1)
	return l.Layer.Uncompressed()
}

// image is an image for p (config os/architecture/variant from cfgPlat,
// which is p unless overridden) with the layers in order.
func image(t testing.TB, cfgPlat platform.Platform, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = cfgPlat.OS, cfgPlat.Arch, cfgPlat.Variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return mutate.MediaType(mutate.ConfigMediaType(img, types.OCIConfigJSON), types.OCIManifestSchema1)
}

// indexEntry is an image with the platform its descriptor claims (nil:
// none) and descriptor annotations.
type indexEntry struct {
	img   v1.Image
	plat  *v1.Platform
	annot map[string]string
}

func descPlat(p platform.Platform) *v1.Platform {
	return &v1.Platform{OS: p.OS, Architecture: p.Arch, Variant: p.Variant}
}

func index(entries ...indexEntry) v1.ImageIndex {
	var adds []mutate.IndexAddendum
	for _, e := range entries {
		adds = append(adds, mutate.IndexAddendum{Add: e.img,
			Descriptor: v1.Descriptor{MediaType: types.OCIManifestSchema1, Platform: e.plat, Annotations: e.annot}})
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
}

func mustPlatform(t testing.TB, name string) platform.Platform {
	t.Helper()
	p, err := platform.Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// elfSpec describes a synthetic ELF file. Tests use them where no real
// binary exists (ARM attributes of a given level; no Debian armel/armhf
// compiler here) or to probe one field; the real Debian busybox files
// are checked too, in TestClassifyDebianBusybox.
type elfSpec struct {
	class    elf.Class
	data     elf.Data
	machine  elf.Machine
	interp   string
	armAttrs []byte // .ARM.attributes contents; nil: no section
	x86ISA   uint32 // GNU_PROPERTY_X86_ISA_1_NEEDED; 0: no note
}

// buildELF lays out: ELF header, program headers (PT_INTERP, PT_NOTE),
// the interpreter, the note, the attribute section, .shstrtab, then the
// section header table, as linkers do.
func buildELF(s elfSpec) []byte {
	var bo binary.AppendByteOrder = binary.LittleEndian
	if s.data == elf.ELFDATA2MSB {
		bo = binary.BigEndian
	}
	is64 := s.class == elf.ELFCLASS64
	ehsize, phsize, shsize := 52, 32, 40
	if is64 {
		ehsize, phsize, shsize = 64, 56, 64
	}
	var note []byte
	if s.x86ISA != 0 {
		note = bo.AppendUint32(note, 4)
		note = bo.AppendUint32(note, 16)
		note = bo.AppendUint32(note, ntGNUPropertyType0)
		note = append(note, "GNU\x00"...)
		note = bo.AppendUint32(note, gnuPropertyX86ISA1N)
		note = bo.AppendUint32(note, 4)
		note = bo.AppendUint32(note, s.x86ISA)
		note = bo.AppendUint32(note, 0) // pad to 8
	}
	type seg struct {
		typ  elf.ProgType
		data []byte
	}
	var segs []seg
	if s.interp != "" {
		segs = append(segs, seg{elf.PT_INTERP, append([]byte(s.interp), 0)})
	}
	if note != nil {
		segs = append(segs, seg{elf.PT_GNU_PROPERTY, note})
	}
	shstr := []byte("\x00.shstrtab\x00.ARM.attributes\x00")
	off := ehsize + phsize*len(segs)
	body := make([]byte, 0, 4096)
	var phdrs []byte
	for _, sg := range segs {
		for (off+len(body))%8 != 0 {
			body = append(body, 0)
		}
		o := uint64(off + len(body))
		body = append(body, sg.data...)
		phdrs = appendPhdr(phdrs, bo, is64, sg.typ, o, uint64(len(sg.data)))
	}
	attrOff := off + len(body)
	body = append(body, s.armAttrs...)
	strOff := off + len(body)
	body = append(body, shstr...)
	for (off+len(body))%8 != 0 {
		body = append(body, 0)
	}
	shoff := off + len(body)
	var shdrs []byte
	shdrs = appendShdr(shdrs, bo, is64, 0, 0, 0, 0)
	shdrs = appendShdr(shdrs, bo, is64, 1, uint32(elf.SHT_STRTAB), uint64(strOff), uint64(len(shstr)))
	shnum := 2
	if s.armAttrs != nil {
		shdrs = appendShdr(shdrs, bo, is64, 11, uint32(shtARMAttributes), uint64(attrOff), uint64(len(s.armAttrs)))
		shnum++
	}
	h := []byte{0x7f, 'E', 'L', 'F', byte(s.class), byte(s.data), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	h = bo.AppendUint16(h, uint16(elf.ET_EXEC))
	h = bo.AppendUint16(h, uint16(s.machine))
	h = bo.AppendUint32(h, 1)
	if is64 {
		h = bo.AppendUint64(h, 0)
		h = bo.AppendUint64(h, uint64(ehsize))
		h = bo.AppendUint64(h, uint64(shoff))
	} else {
		h = bo.AppendUint32(h, 0)
		h = bo.AppendUint32(h, uint32(ehsize))
		h = bo.AppendUint32(h, uint32(shoff))
	}
	h = bo.AppendUint32(h, 0x05000400) // EABI5, hard float (read only for ARM)
	for _, v := range []int{ehsize, phsize, len(segs), shsize, shnum, 1} {
		h = bo.AppendUint16(h, uint16(v))
	}
	out := append(h, phdrs...)
	out = append(out, body...)
	return append(out, shdrs...)
}

func appendPhdr(b []byte, bo binary.AppendByteOrder, is64 bool, typ elf.ProgType, off, size uint64) []byte {
	b = bo.AppendUint32(b, uint32(typ))
	if is64 {
		b = bo.AppendUint32(b, 4) // flags
		for _, v := range []uint64{off, 0, 0, size, size, 8} {
			b = bo.AppendUint64(b, v)
		}
		return b
	}
	for _, v := range []uint32{uint32(off), 0, 0, uint32(size), uint32(size), 4, 4} {
		b = bo.AppendUint32(b, v)
	}
	return b
}

func appendShdr(b []byte, bo binary.AppendByteOrder, is64 bool, name, typ uint32, off, size uint64) []byte {
	b = bo.AppendUint32(b, name)
	b = bo.AppendUint32(b, typ)
	if is64 {
		for _, v := range []uint64{0, 0, off, size} {
			b = bo.AppendUint64(b, v)
		}
		b = bo.AppendUint32(b, 0)
		b = bo.AppendUint32(b, 0)
		b = bo.AppendUint64(b, 1)
		return bo.AppendUint64(b, 0)
	}
	for _, v := range []uint32{0, 0, uint32(off), uint32(size), 0, 0, 1, 0} {
		b = bo.AppendUint32(b, v)
	}
	return b
}

// armAttrs is an .ARM.attributes section as GCC writes it: a vendor
// subsection the parser must skip, then "aeabi" with file-scope
// Tag_CPU_name, Tag_CPU_arch, Tag_CPU_arch_profile, Tag_compatibility and
// a multi-byte ULEB128 tag.
func armAttrs(bo binary.AppendByteOrder, arch ARMArch, profile byte) []byte {
	attrs := []byte{tagCPUName}
	attrs = append(attrs, "7-A\x00"...)
	attrs = append(attrs, tagCPUArch, byte(arch), tagCPUArchProfile, profile)
	attrs = append(attrs, tagCompatibility, 1)
	attrs = append(attrs, "gnu\x00"...)
	attrs = append(attrs, 0x80, 0x01, 3) // tag 128 (even: ULEB128 value)
	file := []byte{tagFile}
	file = bo.AppendUint32(file, uint32(len(attrs)+5))
	file = append(file, attrs...)

	other := []byte("gnu\x00\x01\x00\x00\x00\x00")
	out := []byte{'A'}
	out = bo.AppendUint32(out, uint32(4+len(other)))
	out = append(out, other...)
	out = bo.AppendUint32(out, uint32(4+6+len(file)))
	out = append(out, "aeabi\x00"...)
	return append(out, file...)
}

// armELF is a 32-bit little-endian ARM executable of the given level.
func armELF(arch ARMArch) []byte {
	return buildELF(elfSpec{class: elf.ELFCLASS32, data: elf.ELFDATA2LSB, machine: elf.EM_ARM,
		armAttrs: armAttrs(binary.LittleEndian, arch, 'A')})
}
