#!/bin/bash
# install-deps.sh: install the Debian packages the harness needs (as root).
set -euo pipefail

pkgs=(
	# kernel builds
	gcc make flex bison bc libelf-dev libssl-dev dwarves ccache perl
	# sources, patches, checks
	git xz-utils python3 python3-ply python3-git sparse shellcheck file
	# the guest
	qemu-system-x86 busybox-static cpio libc6-dev
)
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || { echo "error: apt-get update failed (network?)" >&2; exit 1; }
apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null ||
	{ echo "error: apt-get install failed for: ${pkgs[*]}" >&2; exit 1; }
echo "installed: ${pkgs[*]}"
