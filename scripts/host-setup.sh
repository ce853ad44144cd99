#!/usr/bin/env bash
# Bring a fresh Debian machine to the state a booted Debian host with
# qemu-user-static is in: packages installed, binfmt_misc mounted, and the
# distro's QEMU handlers registered from /usr/lib/binfmt.d (what
# systemd-binfmt does at boot; containers and CI machines often run no
# systemd, so nothing registered them). Idempotent. Needs root.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
need=()
for p in qemu-user-static runc binutils file curl mmdebstrap openssh-client git; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
	# A foreign architecture's index may fail to download (exit 100) while
	# the native packages we need are still installable.
	apt-get update -qq || echo "host-setup: apt-get update reported errors; continuing" >&2
	apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The Docker CLI plugin test needs a docker client, never a daemon: take the
# client binary out of Debian's docker.io package instead of installing it
# (which would bring and start dockerd).
if ! command -v docker >/dev/null; then
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq docker.io >/dev/null && dpkg-deb -x docker.io_*.deb x)
	install -m 0755 "$tmp/x/usr/bin/docker" /usr/local/bin/docker
	rm -rf "$tmp"
fi

bm=/proc/sys/fs/binfmt_misc
if [[ ! -e $bm/register ]]; then
	mount -t binfmt_misc binfmt_misc "$bm"
fi

if ! ls "$bm"/qemu-* >/dev/null 2>&1; then
	if [[ -x /lib/systemd/systemd-binfmt ]]; then
		/lib/systemd/systemd-binfmt
	else
		for f in /usr/lib/binfmt.d/qemu-*.conf; do
			grep -v '^[#;]' "$f" | grep . >"$bm/register"
		done
	fi
fi
echo "host-setup: $(ls "$bm" | grep -c '^qemu-') qemu handlers registered"
