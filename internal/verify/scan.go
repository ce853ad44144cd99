package verify

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Defaults for Options.MaxFileSize and the prefix read of larger files.
const (
	// DefaultMaxFileSize is the largest ELF file read whole. Larger ones
	// are classified from their first partialPrefix bytes (ELF and program
	// headers: machine, class, byte order, loader, x86-64 level), with the
	// section-based ARM level left unknown. Memory per layer being scanned
	// is bounded by this size.
	DefaultMaxFileSize = 256 << 20
	partialPrefix      = 1 << 20
	// keepBuffer is the largest file buffer kept for reuse between files.
	keepBuffer = 32 << 20
)

// opKind says what a tar entry does to the layers below it.
type opKind uint8

const (
	opWhiteout opKind = iota // .wh.<name>: delete name (and its subtree) below
	opOpaque                 // .wh..wh..opq: hide everything below in the directory
	opDir                    // a directory: replaces a lower non-directory, merges otherwise
	opOther                  // any other entry: replaces the path and its subtree
	opELF                    // a regular ELF file, classified
)

type op struct {
	path string
	kind opKind
	elf  int32 // index into layerSummary.elfs for opELF
}

// elfRecord is one classified file; err is set when its ELF header could
// not be read (the file starts with the magic but is damaged).
type elfRecord struct {
	info ELFInfo
	err  string
}

// layerSummary is what one layer contributes to any filesystem it is part
// of, independent of the layers below: cached by digest and folded per image.
type layerSummary struct {
	ops   []op
	elfs  []elfRecord
	files int   // regular files examined
	bytes int64 // uncompressed tar bytes of regular files
	names int64 // bytes of the paths in ops
}

// add records one op, failing past MaxNameBytes.
func (s *layerSummary) add(o op) error {
	s.names += int64(len(o.path))
	if s.names > MaxNameBytes {
		return &CapError{Cap: CapNameBytes, Limit: MaxNameBytes, Got: s.names, Where: "layer"}
	}
	s.ops = append(s.ops, o)
	return nil
}

// tarScanner walks one tar stream, keeping one reusable file buffer.
type tarScanner struct {
	maxFile int64
	buf     []byte
}

// scanTar reads the tar stream r to its end-of-archive marker.
func (s *tarScanner) scanTar(ctx context.Context, r io.Reader) (*layerSummary, error) {
	tr := tar.NewReader(r)
	sum := &layerSummary{}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return sum, nil
		}
		if err != nil {
			return nil, fmt.Errorf("tar: %w", err)
		}
		if err := s.entry(tr, hdr, sum); err != nil {
			return nil, fmt.Errorf("tar entry %q: %w", shorten(hdr.Name), err)
		}
	}
}

// shorten keeps error messages short whatever a hostile name's length.
func shorten(name string) string {
	if len(name) <= 120 {
		return name
	}
	return name[:120] + "…"
}

func (s *tarScanner) entry(tr *tar.Reader, hdr *tar.Header, sum *layerSummary) error {
	if len(hdr.Name) > MaxPathLength+1 { // +1: path.Clean may add a leading "/"
		return &CapError{Cap: CapPathLength, Limit: MaxPathLength, Got: int64(len(hdr.Name)), Where: ""}
	}
	name := path.Clean("/" + hdr.Name)
	if len(name) > MaxPathLength {
		return &CapError{Cap: CapPathLength, Limit: MaxPathLength, Got: int64(len(name)), Where: ""}
	}
	dir, base := path.Split(name)
	if rest, ok := strings.CutPrefix(base, ".wh."); ok {
		if rest == ".wh..opq" {
			return sum.add(op{path: path.Clean(dir), kind: opOpaque})
		}
		return sum.add(op{path: path.Join(dir, rest), kind: opWhiteout})
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return sum.add(op{path: name, kind: opDir})
	case tar.TypeReg:
	default:
		// Hard links are not classified again: their target is, in this
		// layer or a lower one, and busybox images hold hundreds of them.
		return sum.add(op{path: name, kind: opOther})
	}
	sum.files++
	sum.bytes += hdr.Size
	rec, isELF, err := s.classifyEntry(tr, hdr.Size)
	if err != nil {
		return err
	}
	if !isELF {
		return sum.add(op{path: name, kind: opOther})
	}
	sum.elfs = append(sum.elfs, rec)
	return sum.add(op{path: name, kind: opELF, elf: int32(len(sum.elfs) - 1)})
}

// classifyEntry reads the current tar entry only as far as needed: 64
// bytes for non-ELF files (the tar reader skips the rest), the whole file
// up to maxFile, a bounded prefix beyond. Memory never depends on the size
// the tar header declares beyond those limits.
func (s *tarScanner) classifyEntry(r io.Reader, size int64) (elfRecord, bool, error) {
	var head [64]byte
	n, err := io.ReadFull(r, head[:min(size, int64(len(head)))])
	if err != nil && !errors.Is(err, io.EOF) {
		return elfRecord{}, false, err
	}
	if n < 4 || string(head[:4]) != "\x7fELF" {
		return elfRecord{}, false, nil
	}
	whole := size <= s.maxFile
	want := size
	if !whole {
		want = min(size, partialPrefix)
	}
	buf := s.buffer(want)
	copy(buf, head[:n])
	if _, err := io.ReadFull(r, buf[n:]); err != nil {
		return elfRecord{}, false, err
	}
	info, err := classify(memFile(buf), want, whole)
	if err != nil {
		return elfRecord{err: err.Error()}, true, nil
	}
	return elfRecord{info: info}, true, nil
}

// buffer returns a slice of length n, reusing the scanner's buffer when it
// is big enough and keeping new ones up to keepBuffer.
func (s *tarScanner) buffer(n int64) []byte {
	if int64(cap(s.buf)) >= n {
		return s.buf[:n]
	}
	b := make([]byte, n)
	if n <= keepBuffer {
		s.buf = b
	}
	return b
}
