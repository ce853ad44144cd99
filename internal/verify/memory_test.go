package verify

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"runtime"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// bombLayer is a gzip layer of a 1 GiB zero file and a 300 MiB file that
// starts with an ELF header (above DefaultMaxFileSize): about 1.3 MiB
// compressed, 1.3 GiB uncompressed.
func bombLayer(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	head := armELF(ARMArchV7)
	for _, f := range []struct {
		name string
		size int64
		head []byte
	}{{"zero", 1 << 30, nil}, {"big-elf", 300 << 20, head}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: f.size}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.head)
		if _, err := io.CopyN(tw, zeros{}, f.size-int64(len(f.head))); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

// Scanning 1.3 GiB of decompressed tar must not allocate in proportion to
// it. TotalAlloc counts every allocation, whatever the GC did meanwhile,
// so the bound is robust: 16 MiB is far above the scanner's needs (a 1
// MiB prefix buffer, decoder state) and far below the data size.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses 1.3 GiB")
	}
	v7 := mustPlatform(t, "linux/arm/v7")
	blob := bombLayer(t)
	img := image(t, v7, static.NewLayer(blob, types.OCILayer))
	if _, err := img.Manifest(); err != nil { // compute digests before measuring
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep, err := Image(context.Background(), registry.ImageOf(img), &v7, Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("compressed %d bytes, allocated %d bytes", len(blob), alloc)
	if alloc > 16<<20 {
		t.Errorf("allocated %d MiB scanning a 1.3 GiB layer", alloc>>20)
	}
	files := rep.Entries[0].Files
	if len(files) != 1 || files[0].Path != "/big-elf" || !files[0].ELF.Partial || files[0].ELF.Machine != v7.Machine {
		t.Fatalf("files: %+v", files)
	}
	if p := files[0].Problems; len(p) != 1 || p[0].Severity != SeverityNote || p[0].Kind != KindARMLevel {
		t.Errorf("problems: %+v", p)
	}
}
