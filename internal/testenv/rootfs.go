package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// RootfsCacheEnv names the environment variable that overrides the
// directory of the real-distribution fixtures (default <repo>/.cache/rootfs),
// filled by scripts/make-rootfs.sh.
const RootfsCacheEnv = "MULTIARCH_ROOTFS_CACHE"

// RootfsFixture is one Debian bookworm root filesystem and the platform
// whose image it is.
type RootfsFixture struct {
	Platform   string // "linux/arm/v7"
	DebianArch string // "armhf": the layer is <cache>/<DebianArch>.tar.gz
}

// RootfsFixtures are the real distributions verify must pass: Debian
// bookworm (the files of minbase + libssl3, unpacked) for every architecture of the platform
// table that bookworm's main archive has. armel is ARMv5TE (Debian's
// baseline since buster), so it is the image of linux/arm/v5, and, like
// the busybox fixtures' armel build, of linux/arm/v6 too. linux/riscv64 is
// absent: riscv64 is a ports architecture in bookworm, not in main.
var RootfsFixtures = []RootfsFixture{
	{"linux/amd64", "amd64"},
	{"linux/386", "i386"},
	{"linux/arm64", "arm64"},
	{"linux/arm/v5", "armel"},
	{"linux/arm/v6", "armel"},
	{"linux/arm/v7", "armhf"},
	{"linux/ppc64le", "ppc64el"},
	{"linux/s390x", "s390x"},
}

// RootfsTarGz returns the path of the cached root filesystem (a gzip tar)
// of a Debian architecture, requiring that it exists.
func RootfsTarGz(t testing.TB, debArch string) string {
	t.Helper()
	dir := os.Getenv(RootfsCacheEnv)
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), ".cache", "rootfs")
	}
	p := filepath.Join(dir, debArch+".tar.gz")
	st, err := os.Stat(p)
	Require(t, err == nil && st.Size() > 0,
		fmt.Sprintf("no Debian root filesystem %s: run scripts/make-rootfs.sh (make fixtures)", p))
	return p
}

// RootfsLayer is the cached root filesystem of a Debian architecture as
// one gzip layer: the file's bytes are the layer's, read from disk each
// time the layer is (nothing is held in memory).
func RootfsLayer(t testing.TB, debArch string) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromFile(RootfsTarGz(t, debArch))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// RootfsImage is a single-layer OCI image of platform p holding layer l
// (a RootfsLayer), with Debian's PATH and bash as its command.
func RootfsImage(t testing.TB, p platform.Platform, l v1.Layer) v1.Image {
	t.Helper()
	cfg := v1.Config{Env: []string{BusyboxPath}, Cmd: []string{"bash"}}
	img, err := imageWithLayer(OCI, p.OS, p.Arch, p.Variant, l, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// PushRootfsIndex pushes an index with one RootfsImage per fixture (each
// Debian architecture's layer built once, shared by its platforms) and
// returns its digest.
func PushRootfsIndex(t testing.TB, ref string, fixtures ...RootfsFixture) v1.Hash {
	t.Helper()
	layers := map[string]v1.Layer{}
	var es []indexEntry
	for _, f := range fixtures {
		p := Platforms(t, f.Platform)[0]
		l, ok := layers[f.DebianArch]
		if !ok {
			l = RootfsLayer(t, f.DebianArch)
			layers[f.DebianArch] = l
		}
		es = append(es, indexEntry{img: RootfsImage(t, p, l), platform: descPlatform(p)})
	}
	return PushIndex(t, ref, newIndex(OCI, es))
}
