package verify

import (
	"debug/elf"
	"path"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// role is what a file is to the system that runs it, as far as the level
// rule cares: what runs as soon as it is started, or a library that may
// choose its code at run time.
type role uint8

const (
	// roleStrict: executables, the dynamic loader and the C library. Their
	// level is what every process of the image needs, so a level above
	// the variant is a violation.
	roleStrict role = iota
	// roleLibrary: other shared libraries. Crypto and compression
	// libraries (libcrypto, libgcrypt, zlib, zstd ...) carry code for newer
	// CPUs and pick it at run time from the hwcaps the kernel reports; the
	// linker then raises the file's level (ARM Tag_CPU_arch, x86-64 ISA
	// note) to that newest code. The level proves nothing, so it is a note.
	roleLibrary
)

// fileRole tells libraries from the rest: an ELF shared object (ET_DYN)
// named like one (libz.so.1, pkcs11.so), that is neither the loader nor
// the C library. A PIE executable is ET_DYN too but is not named *.so.
func fileRole(p string, info ELFInfo) role {
	base := path.Base(p)
	if info.Type != elf.ET_DYN || !sharedObjectName(base) || loaderOrLibc(base) {
		return roleStrict
	}
	return roleLibrary
}

func sharedObjectName(base string) bool {
	return strings.HasSuffix(base, ".so") || strings.Contains(base, ".so.")
}

// loaderOrLibc matches glibc's loaders (ld-linux-x86-64.so.2,
// ld-linux-armhf.so.3, ld64.so.1, ld.so.1), musl's (ld-musl-arm.so.1,
// libc.musl-x86_64.so.1) and the C library (libc.so.6).
func loaderOrLibc(base string) bool {
	return strings.HasPrefix(base, "ld-") || strings.HasPrefix(base, "ld.so") ||
		strings.HasPrefix(base, "ld64.so") || strings.HasPrefix(base, "libc.so") ||
		strings.HasPrefix(base, "libc.musl-")
}

// hwcapsVariants maps glibc-hwcaps subdirectories to the amd64 variant
// they are for: the loader searches /usr/lib/<triplet>/glibc-hwcaps/<name>/
// only on CPUs of that level, so a file there is judged against it. The
// other architectures' names (power9, power10, z13 ... z16) need no entry:
// verify reads no level of those machines.
var hwcapsVariants = map[string]string{"x86-64-v2": "v2", "x86-64-v3": "v3", "x86-64-v4": "v4"}

// hwcapsPlatform returns the platform a file under glibc-hwcaps/<name>/ is
// judged against, or p itself elsewhere.
func hwcapsPlatform(p string, plat platform.Platform) platform.Platform {
	dir := path.Dir(p)
	for dir != "/" && dir != "." {
		parent, name := path.Split(dir)
		if path.Base(parent) == "glibc-hwcaps" {
			if v, ok := hwcapsVariants[name]; ok && plat.Arch == "amd64" {
				plat.Variant = v
			}
			return plat
		}
		dir = path.Clean(parent)
	}
	return plat
}

// CheckFile is Check with the file's path, which decides two things:
// a file under glibc-hwcaps/<level>/ is judged against that level, not
// the entry's variant; and for a shared library other than the loader
// and the C library, a level above the variant is a note ("may dispatch
// at run time"), not a violation. Executables, the loader and the C
// library keep every violation Check finds, as do M-profile ARM code and
// anything of another machine, class or byte order.
func CheckFile(p string, info ELFInfo, plat platform.Platform) []Problem {
	out := Check(info, hwcapsPlatform(p, plat))
	if fileRole(p, info) != roleLibrary {
		return out
	}
	for i, pr := range out {
		levelKind := pr.Kind == KindARMLevel || pr.Kind == KindX86Level
		if pr.Violation() && levelKind && info.ARM.Profile != 'M' {
			out[i].Severity = SeverityNote
			out[i].Message += "; a shared library, may dispatch at run time"
		}
	}
	return out
}
