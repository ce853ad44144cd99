#!/bin/sh
# Regenerates the fixtures from a Debian 12 host with qemu-user-static
# installed and its entries registered (flags POF). Entries the host does
# not have in the needed shape (Debian's classic PF flags, a disabled one,
# an extension entry) are written in the kernel's own format by hand.
set -eu
cd "$(dirname "$0")"
src=/proc/sys/fs/binfmt_misc
for e in qemu-arm qemu-aarch64 qemu-sparc64; do cp "$src/$e" root/; done
: > root/register
echo enabled > root/status
for f in qemu-aarch64 qemu-arm python3.11 llvm-14-runtime.binfmt; do
	cp /usr/lib/binfmt.d/$f.conf debian/
done

# Debian's classic qemu-user-static registered PF (no O).
sed -e 's/flags: POF/flags: PF/' "$src/qemu-s390x" > root/qemu-s390x
# A disabled entry, registered as multiarch does (CF reads back OCF).
sed -e 's/^enabled/disabled/' -e 's/flags: POF/flags: OCF/' \
	-e 's|interpreter .*|interpreter /usr/bin/qemu-ppc64le-static|' "$src/qemu-ppc64le" > root/qemu-ppc64le
# An extension (E) entry, as the kernel prints one (no flags: "flags: ").
printf 'enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n' > root/jar
