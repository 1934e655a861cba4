#!/bin/bash
# get-busybox.sh ARCH: print the path of a statically linked busybox for
# the guest architecture ARCH (Debian's names: amd64, arm64).  amd64 is
# this machine's /bin/busybox (apt-get install busybox-static); another
# architecture's busybox-static package of this machine's Debian release
# is downloaded once, through a private apt configuration (its own
# sources list from this machine's mirror, lists and cache; the system's
# sources are not touched), and unpacked into
# $PFNMAP_CACHE/busybox-ARCH/.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

arch=$1
if [ "$arch" = "$(dpkg --print-architecture)" ]; then
	[ -x /bin/busybox ] || die "/bin/busybox not found: apt-get install busybox-static"
	file -L /bin/busybox 2>/dev/null | grep -q "statically linked" ||
		die "/bin/busybox is not static: apt-get install busybox-static"
	echo /bin/busybox
	exit 0
fi

dir=$CACHE_DIR/busybox-$arch
if [ -x "$dir/busybox" ]; then
	echo "$dir/busybox"
	exit 0
fi
need dpkg-deb dpkg
# shellcheck source=/dev/null
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release: not Debian?"
apt_dir=$(mktemp -d)
trap 'rm -rf "$apt_dir"' EXIT
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/dl"
apt_sources_list "$codename" "$codename-security" |
	sed "s/^deb \[/deb [arch=$arch /" >"$apt_dir/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o "APT::Architectures=$arch"
	-o "APT::Architecture=$arch"
	-o "APT::Sandbox::User=root")
apt-get "${apt_opts[@]}" update -q >/dev/null 2>&1 ||
	die "apt-get update failed for the $arch lists of $codename (network?)"
(cd "$apt_dir/dl" && apt-get "${apt_opts[@]}" -q download "busybox-static:$arch") >/dev/null 2>&1 ||
	die "could not download busybox-static:$arch from $codename"
dpkg-deb -x "$apt_dir"/dl/busybox-static_*.deb "$apt_dir/root"
file -L "$apt_dir/root/bin/busybox" | grep -q "statically linked" ||
	die "busybox-static:$arch has no static /bin/busybox"
mkdir -p "$dir"
cp "$apt_dir/root/bin/busybox" "$dir/busybox.tmp"
mv "$dir/busybox.tmp" "$dir/busybox"
log "busybox: busybox-static:$arch $(dpkg-deb -f "$apt_dir"/dl/busybox-static_*.deb Version) in $dir"
echo "$dir/busybox"
