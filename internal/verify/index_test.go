package verify

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

var goodPlatforms = []string{"linux/amd64", "linux/386", "linux/arm64", "linux/arm/v6", "linux/arm/v7",
	"linux/ppc64le", "linux/s390x", "linux/riscv64"}

// goImage is a scratch image for p with its own Go binary at /app/server
// and a text file, plus any extra layers on top.
func goImage(t testing.TB, p platform.Platform, extra ...v1.Layer) v1.Image {
	t.Helper()
	base := layer(t, dir("app/"), file("app/server", testenv.GoBinary(t, p)), file("etc/motd", []byte("hi\n")))
	return image(t, p, append([]v1.Layer{base}, extra...)...)
}

func verifyIndex(t testing.TB, idx v1.ImageIndex, opts Options) *Report {
	t.Helper()
	rep, err := Index(context.Background(), registry.IndexOf(idx), opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func wantViolations(t testing.TB, rep *Report, want ...string) {
	t.Helper()
	var got []string
	for _, v := range rep.Violations {
		got = append(got, v.Message)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestIndexGood(t *testing.T) {
	var entries []indexEntry
	var ps []platform.Platform
	for _, n := range goodPlatforms {
		p := mustPlatform(t, n)
		ps = append(ps, p)
		entries = append(entries, indexEntry{img: goImage(t, p), plat: descPlat(p)})
	}
	rep := verifyIndex(t, index(entries...), Options{Platforms: ps})
	wantViolations(t, rep)
	if len(rep.Entries) != len(goodPlatforms) {
		t.Fatalf("%d entries", len(rep.Entries))
	}
	for i, e := range rep.Entries {
		if e.Platform != goodPlatforms[i] || e.ELFCount != 1 || e.FilesScanned != 2 || e.Files[0].Path != "/app/server" {
			t.Errorf("entry %d: %+v", i, e)
		}
	}
}

func TestIndexWrongArch(t *testing.T) {
	amd, arm := mustPlatform(t, "linux/amd64"), mustPlatform(t, "linux/arm64")
	bad := image(t, arm, layer(t, file("app/server", testenv.GoBinary(t, amd))))
	rep := verifyIndex(t, index(indexEntry{img: goImage(t, amd), plat: descPlat(amd)}, indexEntry{img: bad, plat: descPlat(arm)}), Options{})
	wantViolations(t, rep, "linux/arm64: /app/server is ELF x86-64")
	v := rep.Violations[0]
	if v.Kind != KindMachine || v.Path != "/app/server" || v.Platform != "linux/arm64" {
		t.Errorf("%+v", v)
	}
}

// The fixtures another engineer builds in testenv, from real Debian busybox.
func TestTestenvFixtures(t *testing.T) {
	rep := verifyIndex(t, testenv.ARMv7InV6Index(t), Options{})
	wantViolations(t, rep, "linux/arm/v6: /bin/busybox is ELF 32-bit ARM (ARMv7), newer than linux/arm/v6 allows")

	rep = verifyIndex(t, testenv.WrongArchIndex(t), Options{})
	wantViolations(t, rep, "linux/arm64: "+testenv.AppPath+" is ELF x86-64")

	rep = verifyIndex(t, testenv.MismatchedConfigIndex(t), Options{})
	if len(rep.Violations) != 1 || rep.Violations[0].Kind != KindConfig || !strings.Contains(rep.Violations[0].Message, "architecture") {
		t.Errorf("mismatched config: %+v", rep.Violations)
	}

	ps := testenv.BusyboxPlatforms(t)
	rep = verifyIndex(t, testenv.BusyboxIndex(t, ps...), Options{Platforms: ps})
	wantViolations(t, rep)
}

func TestIndexARMv7InV6(t *testing.T) {
	v6, v7 := mustPlatform(t, "linux/arm/v6"), mustPlatform(t, "linux/arm/v7")
	rep := verifyIndex(t, index(
		indexEntry{img: image(t, v6, layer(t, file("bin/tool", armELF(ARMArchV7)))), plat: descPlat(v6)},
		indexEntry{img: image(t, v7, layer(t, file("bin/tool", armELF(ARMArchV7)))), plat: descPlat(v7)},
	), Options{})
	wantViolations(t, rep, "linux/arm/v6: /bin/tool is ELF 32-bit ARM (ARMv7), newer than linux/arm/v6 allows")
}

func TestConfigMismatch(t *testing.T) {
	amd, arm := mustPlatform(t, "linux/amd64"), mustPlatform(t, "linux/arm64")
	v6, v7 := mustPlatform(t, "linux/arm/v6"), mustPlatform(t, "linux/arm/v7")
	liar := image(t, amd, layer(t, file("app/server", testenv.GoBinary(t, arm))))
	rep := verifyIndex(t, index(
		indexEntry{img: liar, plat: descPlat(arm)},
		indexEntry{img: image(t, v7, layer(t, file("x", []byte("x")))), plat: descPlat(v6)},
	), Options{})
	if len(rep.Violations) != 2 {
		t.Fatalf("%+v", rep.Violations)
	}
	for i, field := range []string{`architecture "arm64", config says "amd64"`, `variant "v6", config says "v7"`} {
		if v := rep.Violations[i]; v.Kind != KindConfig || !strings.Contains(v.Message, field) || v.Path != "" {
			t.Errorf("violation %d: %+v, want %s", i, v, field)
		}
	}
}

// Equivalent spellings agree: arm64 ≡ arm64/v8, a config without variant
// agrees with any, a descriptor without platform takes the config's.
func TestConfigNormalised(t *testing.T) {
	arm := mustPlatform(t, "linux/arm64")
	v6 := mustPlatform(t, "linux/arm/v6")
	noVariant := v6
	noVariant.Variant = ""
	rep := verifyIndex(t, index(
		indexEntry{img: goImage(t, arm), plat: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}},
		indexEntry{img: image(t, noVariant, layer(t, file("app/server", testenv.GoBinary(t, v6)))), plat: descPlat(v6)},
		indexEntry{img: goImage(t, mustPlatform(t, "linux/s390x"))},
	), Options{})
	wantViolations(t, rep)
	if got := rep.Entries[2].Platform; got != "linux/s390x" {
		t.Errorf("platform from config: %q", got)
	}
}

func TestWhiteoutsAndOverwrites(t *testing.T) {
	arm, amd := mustPlatform(t, "linux/arm64"), mustPlatform(t, "linux/amd64")
	bad, good := testenv.GoBinary(t, amd), testenv.GoBinary(t, arm)
	base := layer(t, dir("app/"), file("app/bad", bad), file("app/overwritten", bad),
		dir("opt/x/"), file("opt/x/bad", bad), file("gone/deep/bad", bad), file("typechange", bad))
	top := layer(t, file("app/.wh.bad", nil), file("app/overwritten", good),
		file("opt/x/.wh..wh..opq", nil), file("opt/x/good", good), file(".wh.gone", nil),
		dir("typechange/"), file("typechange/good", good))
	rep := verifyIndex(t, index(indexEntry{img: image(t, arm, base, top), plat: descPlat(arm)}), Options{})
	wantViolations(t, rep)
	var paths []string
	for _, f := range rep.Entries[0].Files {
		paths = append(paths, f.Path)
	}
	if got := strings.Join(paths, " "); got != "/app/overwritten /opt/x/good /typechange/good" {
		t.Errorf("files: %s", got)
	}
	topDigest, _ := top.Digest()
	if rep.Entries[0].Files[0].Layer != topDigest.String() {
		t.Errorf("overwritten file attributed to %s", rep.Entries[0].Files[0].Layer)
	}
	if rep.Entries[0].FilesScanned != 8 {
		t.Errorf("files scanned %d", rep.Entries[0].FilesScanned)
	}
	// The same bad file, not deleted, is found.
	rep = verifyIndex(t, index(indexEntry{img: image(t, arm, base), plat: descPlat(arm)}), Options{})
	if len(rep.Violations) != 5 {
		t.Errorf("without the top layer: %d violations", len(rep.Violations))
	}
}

// Within one layer whiteouts affect only lower layers; a later file
// replaces a lower directory with its whole subtree.
func TestWhiteoutSameLayer(t *testing.T) {
	arm, amd := mustPlatform(t, "linux/arm64"), mustPlatform(t, "linux/amd64")
	bad := testenv.GoBinary(t, amd)
	base := layer(t, file("d/sub/bad", bad))
	top := layer(t, file("d", []byte("now a file")), file("keep/.wh..wh..opq", nil), file("keep/bad", bad))
	rep := verifyIndex(t, index(indexEntry{img: image(t, arm, base, top), plat: descPlat(arm)}), Options{})
	wantViolations(t, rep, "linux/arm64: /keep/bad is ELF x86-64")
}

func TestAttestationsSkipped(t *testing.T) {
	amd := mustPlatform(t, "linux/amd64")
	var opens atomic.Int64
	att := image(t, platform.Platform{OS: "unknown", Arch: "unknown"},
		countingLayer{layer(t, file("x.json", []byte("{}"))), &opens})
	img := goImage(t, amd)
	d, _ := img.Digest()
	rep := verifyIndex(t, index(
		indexEntry{img: img, plat: descPlat(amd)},
		indexEntry{img: att, plat: &v1.Platform{OS: "unknown", Architecture: "unknown"},
			annot: map[string]string{testenv.AnnotationReferenceType: testenv.AttestationManifestType, testenv.AnnotationReferenceDigest: d.String()}},
	), Options{Platforms: []platform.Platform{amd}})
	wantViolations(t, rep)
	if len(rep.Entries) != 1 || len(rep.Attestations) != 1 || rep.Attestations[0].RefersTo != d.String() {
		t.Errorf("entries %+v attestations %+v", rep.Entries, rep.Attestations)
	}
	if opens.Load() != 0 {
		t.Error("attestation layer was read")
	}
}

func TestDuplicateAndMissing(t *testing.T) {
	amd, arm := mustPlatform(t, "linux/amd64"), mustPlatform(t, "linux/arm64")
	v6, v7, rv := mustPlatform(t, "linux/arm/v6"), mustPlatform(t, "linux/arm/v7"), mustPlatform(t, "linux/riscv64")
	a, b := goImage(t, arm), goImage(t, arm, layer(t, file("extra", []byte("x"))))
	da, _ := a.Digest()
	db, _ := b.Digest()
	rep := verifyIndex(t, index(
		indexEntry{img: a, plat: descPlat(arm)},
		indexEntry{img: b, plat: descPlat(arm)},
		indexEntry{img: goImage(t, v7), plat: descPlat(v7)},
		indexEntry{img: goImage(t, amd), plat: descPlat(amd)},
	), Options{Platforms: []platform.Platform{amd, arm, v6, rv}})
	wantViolations(t, rep,
		"linux/arm64: 2 entries ("+da.String()+", "+db.String()+")",
		"linux/arm/v6: expected, not in the index",
		"linux/riscv64: expected, not in the index")
	if strings.Join(rep.Notes, "") != "linux/arm/v7: present, not in the expected platforms" {
		t.Errorf("notes %q", rep.Notes)
	}
}

func TestNestedIndex(t *testing.T) {
	amd, arm := mustPlatform(t, "linux/amd64"), mustPlatform(t, "linux/arm64")
	inner := index(indexEntry{img: image(t, arm, layer(t, file("app/server", testenv.GoBinary(t, amd)))), plat: descPlat(arm)})
	outer := mutate.AppendManifests(index(indexEntry{img: goImage(t, amd), plat: descPlat(amd)}),
		mutate.IndexAddendum{Add: inner, Descriptor: v1.Descriptor{MediaType: types.OCIImageIndex}})
	rep := verifyIndex(t, outer, Options{Platforms: []platform.Platform{amd, arm}})
	wantViolations(t, rep, "linux/arm64: /app/server is ELF x86-64")
	innerDigest, _ := inner.Digest()
	if rep.Entries[1].Index != innerDigest.String() {
		t.Errorf("nested entry: %+v", rep.Entries[1])
	}
}

// Four platforms share one base layer: it is read once; with one Cache
// across two calls (two tags), still once.
func TestSharedBaseReadOnce(t *testing.T) {
	var opens atomic.Int64
	base := countingLayer{layer(t, dir("etc/"), file("etc/os-release", []byte("ID=test\n"))), &opens}
	cache := NewCache()
	for range 2 {
		var entries []indexEntry
		for _, n := range []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/s390x"} {
			p := mustPlatform(t, n)
			top := layer(t, file("app/server", testenv.GoBinary(t, p)))
			entries = append(entries, indexEntry{img: image(t, p, base, top), plat: descPlat(p)})
		}
		wantViolations(t, verifyIndex(t, index(entries...), Options{Cache: cache, Concurrency: 4}))
	}
	if opens.Load() != 1 {
		t.Errorf("base layer opened %d times", opens.Load())
	}
	if cache.Reads() != 5 {
		t.Errorf("cache read %d layers, want 5", cache.Reads())
	}
}

// badLayer serves blob with a wrong (or right) digest.
type badLayer struct {
	v1.Layer
	digest v1.Hash
}

func (l badLayer) Digest() (v1.Hash, error) { return l.digest, nil }

func TestLayerErrors(t *testing.T) {
	arm := mustPlatform(t, "linux/arm64")
	blob := gzipBytes(t, tarBytes(t, file("app/server", testenv.GoBinary(t, arm)), file("b", make([]byte, 100000))))
	bogus, _ := v1.NewHash("sha256:" + strings.Repeat("ab", 32))
	huge := hugeDeclared(t)
	for name, c := range map[string]struct {
		l    v1.Layer
		want error
	}{
		"truncated gzip": {static.NewLayer(blob[:len(blob)/2], types.OCILayer), io.ErrUnexpectedEOF},
		"truncated tar":  {static.NewLayer(tarBytes(t, file("a", make([]byte, 4096)))[:1024], types.OCIUncompressedLayer), io.ErrUnexpectedEOF},
		"huge declared":  {static.NewLayer(gzipBytes(t, huge), types.OCILayer), io.ErrUnexpectedEOF},
		"wrong digest":   {badLayer{static.NewLayer(blob, types.OCILayer), bogus}, ErrDigestMismatch},
	} {
		t.Run(name, func(t *testing.T) {
			rep, err := Index(context.Background(), registry.IndexOf(index(indexEntry{img: image(t, arm, c.l), plat: descPlat(arm)})), Options{})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			var le *LayerError
			var ee *EntryError
			if !errors.As(err, &le) || !errors.As(err, &ee) || ee.Platform != "linux/arm64" {
				t.Errorf("err %v: want *EntryError{linux/arm64} wrapping *LayerError", err)
			}
			if rep == nil || len(rep.Entries) != 1 || rep.Entries[0].Status != StatusError || rep.Entries[0].Error == "" || rep.OK {
				t.Errorf("report: %+v", rep)
			}
		})
	}
}

// hugeDeclared is a tar stream whose one entry declares 1 TiB and holds
// an ELF magic and a few bytes before the stream ends.
func hugeDeclared(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "x", Typeflag: tar.TypeReg, Mode: 0o755, Size: 1 << 40}); err != nil {
		t.Fatal(err)
	}
	tw.Write(armELF(ARMArchV7))
	tw.Flush() // fails (the entry is short); the header and bytes are in buf
	return buf.Bytes()
}

func TestCompressions(t *testing.T) {
	arm, amd := mustPlatform(t, "linux/arm64"), mustPlatform(t, "linux/amd64")
	tb := tarBytes(t, file("app/server", testenv.GoBinary(t, amd)))
	var zbuf bytes.Buffer
	zw, err := zstd.NewWriter(&zbuf)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(tb)
	zw.Close()
	for name, l := range map[string]v1.Layer{
		"zstd":         static.NewLayer(zbuf.Bytes(), types.OCILayerZStd),
		"uncompressed": static.NewLayer(tb, types.OCIUncompressedLayer),
	} {
		t.Run(name, func(t *testing.T) {
			rep := verifyIndex(t, index(indexEntry{img: image(t, arm, l), plat: descPlat(arm)}), Options{})
			wantViolations(t, rep, "linux/arm64: /app/server is ELF x86-64")
		})
	}
}

// A hard link to an ELF file is not classified again.
func TestHardLinks(t *testing.T) {
	arm := mustPlatform(t, "linux/arm64")
	l := layer(t, file("bin/busybox", armELF(ARMArchV7)), entry{name: "bin/sh", typ: '1', link: "bin/busybox"})
	rep := verifyIndex(t, index(indexEntry{img: image(t, arm, l), plat: descPlat(arm)}), Options{})
	if len(rep.Violations) != 1 || rep.Entries[0].ELFCount != 1 {
		t.Errorf("%+v", rep)
	}
}

func TestImage(t *testing.T) {
	v7, v6 := mustPlatform(t, "linux/arm/v7"), mustPlatform(t, "linux/arm/v6")
	img := image(t, v7, layer(t, file("bin/tool", armELF(ARMArchV7))))
	rep, err := Image(context.Background(), registry.ImageOf(img), &v6, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Violations) != 2 || rep.Violations[0].Kind != KindConfig || rep.Violations[1].Kind != KindARMLevel {
		t.Errorf("%+v", rep.Violations)
	}
	if rep.MediaType != string(types.OCIManifestSchema1) || len(rep.Entries) != 1 {
		t.Errorf("%+v", rep)
	}

	// Without a claim the config's platform is judged.
	rep, err = Image(context.Background(), registry.ImageOf(img), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantViolations(t, rep)
	if rep.Entries[0].Platform != "linux/arm/v7" || rep.Entries[0].ELFCount != 1 {
		t.Errorf("%+v", rep.Entries)
	}

	// A single image of a platform the table does not know, or whose
	// config names none, proves nothing: an error, not "verified".
	for _, c := range []struct {
		arch, want string
	}{{"sparc64", "names linux/sparc64, a platform not in multiarch's table"}, {"", "names no architecture"}} {
		odd := image(t, platform.Platform{OS: "linux", Arch: c.arch}, layer(t, file("bin/tool", armELF(ARMArchV7))))
		rep, err = Image(context.Background(), registry.ImageOf(odd), nil, Options{})
		var upe *UnknownPlatformError
		if !errors.As(err, &upe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want *UnknownPlatformError saying %q", c.arch, err, c.want)
		}
		if rep == nil || rep.OK || rep.Entries[0].Status != StatusError || !strings.Contains(rep.Entries[0].Error, c.want) {
			t.Errorf("%q: report %+v", c.arch, rep)
		}
	}
}

// In an index, a platform the table does not know is skipped (a note);
// the others are still checked and the report is ok.
func TestIndexUnknownPlatformSkipped(t *testing.T) {
	amd := mustPlatform(t, "linux/amd64")
	sparc := platform.Platform{OS: "linux", Arch: "sparc64"}
	rep := verifyIndex(t, index(
		indexEntry{img: goImage(t, amd), plat: descPlat(amd)},
		indexEntry{img: image(t, sparc, layer(t, file("x", []byte("x")))), plat: descPlat(sparc)},
	), Options{})
	wantViolations(t, rep)
	if !rep.OK || rep.Entries[0].Status != StatusOK || rep.Entries[1].Status != StatusSkipped ||
		!strings.Contains(strings.Join(rep.Entries[1].Notes, ""), "not in the platform table") {
		t.Errorf("%+v", rep)
	}
}

// With an expected set, a single image is checked like a one-entry index:
// every other expected platform is missing.
func TestImageExpectedSet(t *testing.T) {
	amd, arm := mustPlatform(t, "linux/amd64"), mustPlatform(t, "linux/arm64")
	rep, err := Image(context.Background(), registry.ImageOf(goImage(t, amd)), &amd, Options{Platforms: []platform.Platform{amd, arm}})
	if err != nil {
		t.Fatal(err)
	}
	wantViolations(t, rep, "linux/arm64: expected, not in the index")
	if rep.Violations[0].Kind != KindMissing {
		t.Errorf("%+v", rep.Violations[0])
	}
	rep, err = Image(context.Background(), registry.ImageOf(goImage(t, amd)), &amd, Options{Platforms: []platform.Platform{amd}})
	if err != nil {
		t.Fatal(err)
	}
	wantViolations(t, rep)
}

func TestCanceled(t *testing.T) {
	arm := mustPlatform(t, "linux/arm64")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Index(ctx, registry.IndexOf(index(indexEntry{img: goImage(t, arm), plat: descPlat(arm)})), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// An index whose every entry is skipped proves nothing: not ok.
func TestIndexAllSkippedNotOK(t *testing.T) {
	sparc := platform.Platform{OS: "linux", Arch: "sparc64"}
	rep := verifyIndex(t, index(indexEntry{img: image(t, sparc, layer(t, file("x", []byte("x")))), plat: descPlat(sparc)}), Options{})
	if rep.OK || rep.Entries[0].Status != StatusSkipped {
		t.Errorf("%+v", rep)
	}
}
