package verify

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	kgzip "github.com/klauspost/compress/gzip"

	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// benchLayer is a realistic layer, built once per process: Go binaries of
// seven platforms (three copies each, as in a multi-stage image's
// /usr/bin), ~16 MiB of text (config, scripts, docs), 4 MiB of
// incompressible data (images, already-compressed assets); gzip default
// level, as BuildKit and docker write layers. It returns the compressed
// blob and the uncompressed tar size. A failed build fails tb and is
// retried by the next caller.
func benchLayer(tb testing.TB) ([]byte, int64) {
	tb.Helper()
	benchLayerMu.Lock()
	defer benchLayerMu.Unlock()
	if benchLayerBlob != nil {
		return benchLayerBlob, benchLayerSize
	}
	var entries []entry
	for _, n := range []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/ppc64le", "linux/s390x", "linux/riscv64"} {
		bin := testenv.GoBinary(tb, mustPlatform(tb, n))
		for i := range 3 {
			entries = append(entries, file(fmt.Sprintf("usr/bin/%s-%d", strings.ReplaceAll(n, "/", "_"), i), bin))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("the quick brown fox jumps over lazy dog config server port value enable true false " +
		"path usr lib share include version license copyright permission granted function return error nil")
	for i := range 64 {
		var sb strings.Builder
		for sb.Len() < 256<<10 {
			sb.WriteString(words[rng.IntN(len(words))])
			sb.WriteByte(" \n"[rng.IntN(8)/7])
		}
		entries = append(entries, file(fmt.Sprintf("usr/share/doc/f%d.txt", i), []byte(sb.String())))
	}
	noise := make([]byte, 4<<20)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	entries = append(entries, file("usr/share/assets.bin", noise))
	raw := tarBytes(tb, entries...)
	benchLayerBlob, benchLayerSize = gzipBytes(tb, raw), int64(len(raw))
	return benchLayerBlob, benchLayerSize
}

var (
	benchLayerMu   sync.Mutex
	benchLayerBlob []byte
	benchLayerSize int64
)

func benchImage(b *testing.B) (v1.Image, int64) {
	blob, size := benchLayer(b)
	img := image(b, mustPlatform(b, "linux/amd64"), static.NewLayer(blob, types.OCILayer))
	if _, err := img.Manifest(); err != nil {
		b.Fatal(err)
	}
	return img, size
}

// BenchmarkVerifyThroughput verifies one image holding benchLayer, with a
// fresh cache each time. MB/s is of uncompressed tar bytes, as for
// BenchmarkGunzipBaseline, so the two read side by side:
//
//	go test -run '^$' -bench 'Verify|Gunzip' ./internal/verify
func BenchmarkVerifyThroughput(b *testing.B) {
	img, size := benchImage(b)
	amd := mustPlatform(b, "linux/amd64")
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Image(context.Background(), registry.ImageOf(img), &amd, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGunzipBaseline decompresses the same bytes to nowhere: with
// `gzip -dc` (the target's reference), compress/gzip and klauspost gzip.
func BenchmarkGunzipBaseline(b *testing.B) {
	blob, size := benchLayer(b)
	b.Run("gzip-dc", benchGzipCommand)
	for _, d := range []struct {
		name      string
		newReader func(io.Reader) (io.Reader, error)
	}{
		{"stdlib", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
		{"klauspost", func(r io.Reader) (io.Reader, error) { return kgzip.NewReader(r) }},
	} {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				zr, err := d.newReader(bytes.NewReader(blob))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, zr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchGzipCommand runs `gzip -dc` on benchLayer, the reference of the
// throughput target.
func benchGzipCommand(b *testing.B) {
	_, err := exec.LookPath("gzip")
	testenv.Require(b, err == nil, "the gzip command is the throughput reference: install gzip")
	blob, size := benchLayer(b)
	b.SetBytes(size)
	for b.Loop() {
		cmd := exec.Command("gzip", "-dc")
		cmd.Stdin, cmd.Stdout = bytes.NewReader(blob), io.Discard
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSharedBase verifies an index of eight platforms sharing
// benchLayer as their base, each with its own small top layer: the base
// is read once per run (base-reads/op must be 1).
func BenchmarkSharedBase(b *testing.B) {
	all := []string{"linux/amd64", "linux/amd64/v2", "linux/386", "linux/arm64", "linux/arm/v6", "linux/arm/v7", "linux/ppc64le", "linux/s390x"}
	// One platform is the baseline: eight platforms on the same base must
	// cost about the same, because the base is read once.
	for _, n := range []int{1, len(all)} {
		b.Run(fmt.Sprintf("platforms=%d", n), func(b *testing.B) { benchSharedBase(b, all[:n]) })
	}
}

func benchSharedBase(b *testing.B, platforms []string) {
	blob, size := benchLayer(b)
	var opens atomic.Int64
	base := countingLayer{static.NewLayer(blob, types.OCILayer), &opens}
	var entries []indexEntry
	for _, n := range platforms {
		p := mustPlatform(b, n)
		top := layer(b, file("etc/platform", []byte(n)))
		entries = append(entries, indexEntry{img: image(b, p, base, top), plat: descPlat(p)})
	}
	idx := index(entries...)
	b.SetBytes(size)
	opens.Store(0)
	for b.Loop() {
		if _, err := Index(context.Background(), registry.IndexOf(idx), Options{}); err != nil {
			b.Fatal(err)
		}
	}
	perOp := float64(opens.Load()) / float64(b.N)
	b.ReportMetric(perOp, "base-reads/op")
	if perOp != 1 {
		b.Errorf("base layer read %.2f times per run, want 1", perOp)
	}
}
