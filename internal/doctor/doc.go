// Package doctor answers "is this host ready to build and test
// multi-architecture images?": the kernel, binfmt_misc, and for each
// requested platform its QEMU handler (registered, enabled, F and C flags,
// static interpreter, QEMU version, strict CPU model), a functional probe
// that runs a foreign binary chrooted into an empty directory, the way a
// container runs it, and an argv[0] probe (does a program see the argv[0]
// it was started with, which busybox-style multi-call binaries need); with Options.Builder, the builder that build and test
// would use. Every check carries the fix for its failure: a typed Remedy
// (an Action and its data) when the fix is a command of this tool, which
// the CLI words (doctor names no CLI commands or flags), else plain text
// in Fix; Doctor's Fix option applies the safe ones (mount, install,
// re-register, enable), chosen by Kind, never by the fix's text.
//
// A Check is typed: its Kind (what it checks) and Platform (what it is
// about) drive --fix, ci's doctor step and the text report; its ID is
// derived from them and only names the check for people and scripts.
// Its Status is internal/status's (JSON "pass", "warn", "fail").
//
// Argv0Trial joins binfmt and probe for binfmt's install and reregister:
// it tries an emulator with the P flag through a temporary entry before
// an entry gets P.
//
// doctor imports platform, binfmt, probe, status, builder (nodes, probing,
// routing) and builder/embedded (the embedded builder's checks). It reads
// no environment: what depends on it (the buildkitd binary) comes in
// through Options.
package doctor
