package verify

import (
	"path"
	"slices"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// loader is one known dynamic loader (PT_INTERP path) and the platforms
// whose binaries may ask for it, by normalised "arch[/variant]" ("amd64"
// matches every amd64 variant).
type loader struct {
	path  string
	archs []string
}

// loaders is the table of known dynamic loaders: glibc's (with the Debian
// multiarch spelling) and musl's /lib/ld-musl-<arch>.so.1.
//
// 32-bit ARM is by float ABI, not by level: the soft-float loaders (armel,
// musl "arm") serve v5 and v6; the hard-float ones serve v7 and also v6,
// because Raspberry Pi OS and Alpine's armhf are ARMv6 hard-float. The ARM
// level check, not the loader, is what catches v7 code in a v6 image.
var loaders = []loader{
	{"/lib64/ld-linux-x86-64.so.2", []string{"amd64"}},
	{"/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", []string{"amd64"}},
	{"/lib/ld-musl-x86_64.so.1", []string{"amd64"}},
	{"/lib/ld-linux.so.2", []string{"386"}},
	{"/lib/i386-linux-gnu/ld-linux.so.2", []string{"386"}},
	{"/lib/ld-musl-i386.so.1", []string{"386"}},
	{"/lib/ld-linux-aarch64.so.1", []string{"arm64"}},
	{"/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", []string{"arm64"}},
	{"/lib/ld-musl-aarch64.so.1", []string{"arm64"}},
	{"/lib/ld-linux.so.3", []string{"arm/v5", "arm/v6"}},
	{"/lib/arm-linux-gnueabi/ld-linux.so.3", []string{"arm/v5", "arm/v6"}},
	{"/lib/ld-musl-arm.so.1", []string{"arm/v5", "arm/v6"}},
	{"/lib/ld-linux-armhf.so.3", []string{"arm/v6", "arm/v7"}},
	{"/lib/arm-linux-gnueabihf/ld-linux-armhf.so.3", []string{"arm/v6", "arm/v7"}},
	{"/lib/ld-musl-armhf.so.1", []string{"arm/v6", "arm/v7"}},
	{"/lib64/ld64.so.2", []string{"ppc64le"}},
	{"/lib/powerpc64le-linux-gnu/ld64.so.2", []string{"ppc64le"}},
	{"/lib/ld-musl-powerpc64le.so.1", []string{"ppc64le"}},
	{"/lib/ld64.so.1", []string{"s390x"}},
	{"/lib/s390x-linux-gnu/ld64.so.1", []string{"s390x"}},
	{"/lib/ld-musl-s390x.so.1", []string{"s390x"}},
	{"/lib/ld-linux-riscv64-lp64d.so.1", []string{"riscv64"}},
	{"/lib/riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1", []string{"riscv64"}},
	{"/lib/ld-musl-riscv64.so.1", []string{"riscv64"}},
	{"/lib64/ld.so.1", []string{"mips64le"}},
	{"/lib/mips64el-linux-gnuabi64/ld.so.1", []string{"mips64le"}},
	{"/lib/ld-musl-mips64el.so.1", []string{"mips64le"}},
	{"/lib64/ld-linux-loongarch-lp64d.so.1", []string{"loong64"}},
	{"/lib/loongarch64-linux-gnu/ld-linux-loongarch-lp64d.so.1", []string{"loong64"}},
	{"/lib/ld-musl-loongarch64.so.1", []string{"loong64"}},
}

// loaderFit says whether interp is a loader of p (ok), of other platforms
// only (owners names them, "linux/arm/v7"), or unknown (both empty).
func loaderFit(interp string, p platform.Platform) (ok bool, owners []string) {
	clean := path.Clean(interp)
	for _, l := range loaders {
		if l.path != clean {
			continue
		}
		if slices.Contains(l.archs, p.Arch) || slices.Contains(l.archs, p.Arch+"/"+p.Variant) {
			return true, nil
		}
		for _, a := range l.archs {
			if o := "linux/" + a; !slices.Contains(owners, o) {
				owners = append(owners, o)
			}
		}
	}
	return false, owners
}
