// Package verify proves that every platform entry of an image index holds
// binaries of its own architecture.
//
// It owns these layers of checking, each usable on its own:
//
//   - Classify reads one ELF file (bounded, panic-free on hostile input) into
//     an ELFInfo: machine, class, endianness, type, the PT_INTERP loader, the
//     32-bit ARM architecture level from .ARM.attributes, the x86-64 ISA
//     level from the GNU property note and, for Go binaries, the CPU level
//     setting of their build info (GOARM, GOAMD64, ...: golevel.go).
//   - Check judges one ELFInfo against a platform table row and returns the
//     Problems: violations (wrong machine, class, endianness, loader of
//     another platform, ARM, x86-64 or Go level above the variant) and notes
//     (level unknown, loader unknown). CheckFile adds what the file's path
//     says: a shared library other than the loader and the C library whose
//     ARM or x86-64 level is above the variant gets a note, not a violation
//     (it may choose its code at run time), and a file under
//     glibc-hwcaps/<level>/ is judged against that level.
//   - OldestVariant reads which variant an image's files need, for callers
//     labelling an image whose config names no variant (index create).
//   - Image and Index stream the layers of images read through
//     internal/registry (registry.Index, registry.Image, registry.Layer;
//     never touching disk), apply them in order with OCI whiteouts, classify
//     every ELF file of the resulting filesystem and compare descriptors with
//     configs and with the expected platform set.
//
// Findings are Violations in the Report; errors are reserved for operational
// failures (fetch failed, truncated or corrupt layer, digest mismatch). Each
// distinct layer digest is read once per Cache, however many platforms or
// tags share it. The package prints nothing; pass a *slog.Logger in Options
// for progress.
//
// It imports internal/platform (the table, and the one normalisation of
// platform names) and internal/registry (the images); never
// go-containerregistry or containerd/platforms directly.
package verify
