#!/bin/bash
# install-deps.sh: install the Debian packages the harness needs (as root).
#
# QEMU must be 9.0 or newer: the guest runs its local APICs in x2APIC
# mode, which TCG emulates since 9.0 (see harness/run-vm.sh for why).  On
# a release whose QEMU is older (Debian 12 has 7.2), QEMU comes from its
# backports suite, added through a private apt sources list.
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
apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${pkgs[@]}" >/dev/null ||
	{ echo "error: apt-get install failed for: ${pkgs[*]}" >&2; exit 1; }
echo "installed: ${pkgs[*]}"

qemu_ok() {
	dpkg --compare-versions "$(dpkg-query -W -f '${Version}' qemu-system-x86)" ge 1:9.0
}
qemu_ok && exit 0

# shellcheck source=/dev/null
read -r distro codename < <(. /etc/os-release && echo "${ID:-} ${VERSION_CODENAME:-}")
if [ "$distro" != debian ] || [ -z "$codename" ]; then
	echo "error: QEMU is older than 9.0; install QEMU 9.0 or newer (this script knows Debian's backports only)" >&2
	exit 1
fi
apt_dir=$(mktemp -d)
trap 'rm -rf "$apt_dir"' EXIT
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
for suite in "$codename" "$codename-updates" "$codename-backports"; do
	echo "deb [signed-by=$keyring] http://deb.debian.org/debian $suite main"
done >"$apt_dir/sources.list"
echo "deb [signed-by=$keyring] http://deb.debian.org/debian-security $codename-security main" \
	>>"$apt_dir/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o "APT::Sandbox::User=root")
apt-get "${apt_opts[@]}" update -q >/dev/null ||
	{ echo "error: apt-get update failed for $codename-backports (network?)" >&2; exit 1; }
apt-get "${apt_opts[@]}" install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends \
	-t "$codename-backports" qemu-system-x86 >/dev/null ||
	{ echo "error: could not install qemu-system-x86 from $codename-backports" >&2; exit 1; }
qemu_ok || { echo "error: $codename-backports has no QEMU 9.0 or newer" >&2; exit 1; }
echo "installed: qemu-system-x86 $(dpkg-query -W -f '${Version}' qemu-system-x86) from $codename-backports"
