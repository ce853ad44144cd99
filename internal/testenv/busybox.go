package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// BusyboxCacheEnv names the environment variable that overrides the
// busybox cache directory (default <repo>/.cache/busybox).
const BusyboxCacheEnv = "MULTIARCH_BUSYBOX_CACHE"

// BusyboxDebianArches are the architectures scripts/fetch-busybox.sh
// caches: every one bookworm has busybox-static for.
var BusyboxDebianArches = []string{"amd64", "arm64", "armhf", "armel", "i386", "ppc64el", "s390x"}

// BusyboxApplets are linked to /bin/busybox in busybox fixture images.
var BusyboxApplets = []string{
	"sh", "ash", "uname", "echo", "cat", "true", "false", "ls", "env",
	"test", "[", "sleep", "printf", "pwd", "id", "mkdir", "rm", "cp", "mv",
	"ln", "chmod", "touch", "head", "tail", "wc", "grep", "sed", "tr",
	"cut", "sort", "tee", "which", "find", "stat", "date", "hostname",
	"whoami", "od", "md5sum", "sha256sum",
}

// BusyboxPath is the PATH of busybox fixture images.
const BusyboxPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// BusyboxDir returns the busybox cache directory and requires that it
// holds a busybox for every architecture in BusyboxDebianArches.
func BusyboxDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(BusyboxCacheEnv)
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), ".cache", "busybox")
	}
	var missing []string
	for _, a := range BusyboxDebianArches {
		if _, err := os.Stat(filepath.Join(dir, a, "busybox")); err != nil {
			missing = append(missing, a)
		}
	}
	Require(t, len(missing) == 0, fmt.Sprintf("busybox cache %s lacks %s: run scripts/fetch-busybox.sh", dir, strings.Join(missing, ", ")))
	return dir
}

// BusyboxDebianArch returns the Debian architecture whose busybox-static
// is correct code for p: the armel build (ARMv5TE) serves arm/v5 and
// arm/v6, every amd64 variant takes the baseline amd64 build.
func BusyboxDebianArch(p platform.Platform) (string, bool) {
	switch {
	case p.Arch == "amd64":
		return "amd64", true
	case p.Arch == "arm" && (p.Variant == "v5" || p.Variant == "v6"):
		return "armel", true
	case p.Arch == "arm" && p.Variant == "v7":
		return "armhf", true
	}
	for _, a := range BusyboxDebianArches {
		if a == p.DebianArch {
			return a, true
		}
	}
	return "", false
}

// BusyboxPlatforms are the platforms BusyboxIndex builds by default, one
// per Debian architecture: linux/amd64, linux/386, linux/arm64,
// linux/arm/v6, linux/arm/v7, linux/ppc64le, linux/s390x.
func BusyboxPlatforms(t testing.TB) []platform.Platform {
	t.Helper()
	return Platforms(t, "linux/amd64", "linux/386", "linux/arm64", "linux/arm/v6", "linux/arm/v7", "linux/ppc64le", "linux/s390x")
}

// Platforms parses platform names (as platform.Parse), failing the test on
// an unknown one.
func Platforms(t testing.TB, names ...string) []platform.Platform {
	t.Helper()
	out := make([]platform.Platform, len(names))
	for i, n := range names {
		p, err := platform.Parse(n)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = p
	}
	return out
}

var busyboxCache sync.Map // path → []byte

// BusyboxBinary returns the static busybox built for a Debian
// architecture ("arm64", "armhf", ...).
func BusyboxBinary(t testing.TB, debArch string) []byte {
	t.Helper()
	p := filepath.Join(BusyboxDir(t), debArch, "busybox")
	if b, ok := busyboxCache.Load(p); ok {
		return b.([]byte)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("busybox for %s: %v", debArch, err)
	}
	busyboxCache.Store(p, b)
	return b
}

func busyboxBinaryFor(t testing.TB, p platform.Platform) []byte {
	t.Helper()
	a, ok := BusyboxDebianArch(p)
	if !ok {
		t.Fatalf("no Debian busybox-static for %s (bookworm has %s)", p, strings.Join(BusyboxDebianArches, ", "))
	}
	return BusyboxBinary(t, a)
}

// BusyboxFiles is the file system of a busybox image with the given
// binary: /bin/busybox, BusyboxApplets as symlinks to it, a minimal
// /etc/passwd and /etc/group, /root and /tmp.
func BusyboxFiles(binary []byte) []File {
	files := []File{{Path: "/bin/busybox", Body: binary}}
	for _, a := range BusyboxApplets {
		files = append(files, File{Path: "/bin/" + a, Link: "busybox"})
	}
	return append(files,
		File{Path: "/etc/passwd", Mode: 0o644, Body: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")},
		File{Path: "/etc/group", Mode: 0o644, Body: []byte("root:x:0:\nnogroup:x:65534:\n")},
		File{Path: "/root", Dir: true},
		File{Path: "/tmp", Dir: true},
	)
}

// BusyboxConfig is the run configuration of busybox images.
func BusyboxConfig() v1.Config {
	return v1.Config{Env: []string{BusyboxPath}, Cmd: []string{"sh"}}
}

// BusyboxEntry is the index entry of a busybox image for p.
func BusyboxEntry(t testing.TB, p platform.Platform) Entry {
	t.Helper()
	return Entry{Platform: p, Files: BusyboxFiles(busyboxBinaryFor(t, p)), Config: BusyboxConfig()}
}

func busyboxEntries(t testing.TB, ps []platform.Platform) []Entry {
	t.Helper()
	if len(ps) == 0 {
		ps = BusyboxPlatforms(t)
	}
	es := make([]Entry, len(ps))
	for i, p := range ps {
		es[i] = BusyboxEntry(t, p)
	}
	return es
}

// BusyboxImage is the OCI busybox image for p.
func BusyboxImage(t testing.TB, p platform.Platform) v1.Image {
	t.Helper()
	e := BusyboxEntry(t, p)
	return Image(t, OCI, p, e.Files, e.Config)
}

// BusyboxIndex is a multi-platform OCI busybox base image, one entry per
// platform (BusyboxPlatforms when none are given).
func BusyboxIndex(t testing.TB, platforms ...platform.Platform) v1.ImageIndex {
	t.Helper()
	return Index(t, OCI, busyboxEntries(t, platforms)...)
}

// DockerBusyboxIndex is BusyboxIndex with Docker media types: a manifest
// list of Docker v2 schema 2 manifests.
func DockerBusyboxIndex(t testing.TB, platforms ...platform.Platform) v1.ImageIndex {
	t.Helper()
	return Index(t, Docker, busyboxEntries(t, platforms)...)
}

// PushBusyboxIndex pushes BusyboxIndex(t, platforms...) to ref and returns
// the index digest.
func PushBusyboxIndex(t testing.TB, ref string, platforms ...platform.Platform) v1.Hash {
	t.Helper()
	return PushIndex(t, ref, BusyboxIndex(t, platforms...))
}

// PushDockerManifestList pushes DockerBusyboxIndex(t, platforms...) to ref
// and returns the manifest list digest.
func PushDockerManifestList(t testing.TB, ref string, platforms ...platform.Platform) v1.Hash {
	t.Helper()
	return PushIndex(t, ref, DockerBusyboxIndex(t, platforms...))
}
