package verify

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// update refreshes the golden files, as internal/cli's do:
// go test ./internal/verify -run Golden -update.
var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from this run")

// The JSON shape `verify --json` prints is a contract: a golden file of a
// report with every kind of content, built from synthetic files so its
// digests do not depend on the Go toolchain.
func TestReportJSONGolden(t *testing.T) {
	arm64, v6 := mustPlatform(t, "linux/arm64"), mustPlatform(t, "linux/arm/v6")
	x86 := buildELF(elfSpec{class: elf.ELFCLASS64, data: elf.ELFDATA2LSB, machine: elf.EM_X86_64,
		interp: "/lib64/ld-linux-x86-64.so.2", x86ISA: uint32(X86ISAV2)})
	a64 := buildELF(elfSpec{class: elf.ELFCLASS64, data: elf.ELFDATA2LSB, machine: elf.EM_AARCH64,
		interp: "/lib/ld-musl-aarch64.so.1"})
	att := image(t, v6, plainLayer(t, file("a", []byte("{}"))))
	idx := index(
		indexEntry{img: image(t, arm64, plainLayer(t, file("app/server", x86), file("bin/ok", a64))), plat: descPlat(arm64)},
		indexEntry{img: image(t, v6, plainLayer(t, file("bin/tool", armELF(ARMArchV7)), file("README", []byte("text")))), plat: descPlat(v6)},
		indexEntry{img: att, plat: descPlat(v6), annot: map[string]string{testenv.AnnotationReferenceType: testenv.AttestationManifestType}},
	)
	rep := verifyIndex(t, idx, Options{Platforms: []platform.Platform{arm64, mustPlatform(t, "linux/amd64")}})
	got, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "report.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (refresh with go test -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report JSON differs from %s (refresh with go test -run Golden -update if intended):\n%s", path, got)
	}
}
