package verify

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// zstdMaxWindow bounds the zstd decoder's window (memory) for hostile
// input; 64 MiB is far above what `--long` levels used for layers produce.
const zstdMaxWindow = 64 << 20

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// readLayer streams one layer blob once: it hashes the compressed bytes,
// decompresses by sniffing the magic (media types lie more often than
// magic numbers; plain tar otherwise) with klauspost/compress, which is
// markedly faster than compress/gzip, and scans the tar stream. The rest of the blob
// after the tar end marker is hashed without being decompressed.
func readLayer(ctx context.Context, l registry.Layer, maxFile int64) (*layerSummary, error) {
	want := l.Digest()
	sum, err := readBlob(ctx, l, want, maxFile)
	if err != nil {
		return nil, &LayerError{Digest: want, Err: err}
	}
	return sum, nil
}

func readBlob(ctx context.Context, l registry.Layer, want string, maxFile int64) (*layerSummary, error) {
	rc, err := l.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	defer rc.Close()
	var blob io.Reader = rc
	alg, _, _ := strings.Cut(want, ":")
	h := newHash(alg)
	if h != nil {
		blob = io.TeeReader(rc, h)
	}
	src := bufio.NewReaderSize(blob, 1<<16)
	tarStream, closeDec, err := decompressor(src)
	if err != nil {
		return nil, err
	}
	s := tarScanner{maxFile: maxFile}
	sum, err := s.scanTar(ctx, tarStream)
	closeDec()
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, src); err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	if h != nil {
		got := alg + ":" + hex.EncodeToString(h.Sum(nil))
		if got != want {
			return nil, &DigestMismatchError{Want: want, Got: got}
		}
	}
	return sum, nil
}

// newHash returns the hash for a digest algorithm, or nil for one this
// package cannot check (the registry client may still have).
func newHash(alg string) hash.Hash {
	switch alg {
	case "sha256":
		return sha256.New()
	case "sha512":
		return sha512.New()
	}
	return nil
}

func decompressor(src *bufio.Reader) (io.Reader, func(), error) {
	magic, _ := src.Peek(4)
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	case bytes.HasPrefix(magic, zstdMagic):
		zr, err := zstd.NewReader(src, zstd.WithDecoderMaxWindow(zstdMaxWindow), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, fmt.Errorf("zstd: %w", err)
		}
		return zr, zr.Close, nil
	}
	return src, func() {}, nil
}
