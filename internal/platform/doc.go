// Package platform owns the platform table: the one declared list of
// architectures multiarch knows, with everything every other package needs
// about each (normalised name, ELF identity, QEMU binfmt registration values,
// the machine names `uname -m` prints natively and under emulation, and the
// oldest QEMU CPU model of the variant). Parsing accepts the aliases users
// type (aarch64, armhf, x86_64, arm64/v8, ...) and normalises through
// containerd/platforms, so comparisons are only ever between normalised names;
// Normalize and Format do the same for platforms read from images, which
// need not be in the table. It is the one package that imports
// containerd/platforms.
package platform
