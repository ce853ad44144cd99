// Package doctor answers "is this host ready to build and test
// multi-architecture images?": the kernel, binfmt_misc, and for each
// requested platform its QEMU handler (registered, enabled, F and C flags,
// static interpreter, QEMU version, strict CPU model) and a functional probe
// that runs a foreign binary chrooted into an empty directory, the way a
// container runs it. Every check carries the exact fix for its failure;
// Fix applies the safe ones (mount, install, re-register, enable).
package doctor
