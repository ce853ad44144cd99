// Package binfmt owns the kernel's binfmt_misc entries that run foreign
// binaries under QEMU: it reads them (as the kernel prints them), builds and
// validates register lines, registers, replaces, disables and removes
// entries, and persists them for systemd-binfmt.
//
// Every change goes through a Plan: planning only reads (so a dry run and
// error reporting see exactly what would happen), and Apply performs the
// plan all-or-nothing, undoing what it already did when a later step fails.
//
// The binfmt_misc directory and the persist directory are fields of Manager,
// so unit tests run against a temporary directory and only privileged tests
// touch /proc/sys/fs/binfmt_misc. The package never prints; it logs through
// an injected *slog.Logger.
//
// It imports only internal/platform (which platform an entry serves, its
// magic and mask), reads no environment and names no command or flag: its
// typed errors (EmulatorError, KernelError, ParseError) say which lookup
// or write failed, and the CLI words the fix.
package binfmt
