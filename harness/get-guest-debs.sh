#!/bin/bash
# get-guest-debs.sh ARCH: print the root of the Debian packages the guest's
# programs need for architecture ARCH (Debian's names: amd64, arm64):
# ROOT/bin/busybox, a static busybox, and the static libuuid the vfio
# selftests link (ROOT/usr/lib/TRIPLET, ROOT/usr/include).  For amd64,
# this machine's own: ROOT is /, with busybox-static and uuid-dev
# installed.  Another architecture's busybox-static and uuid-dev of this
# machine's Debian release are downloaded once, through a private apt
# configuration (its own sources list from this machine's mirror, lists
# and cache; the system's sources and architectures are not touched), and
# unpacked into $PFNMAP_CACHE/guest-debs-ARCH/.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

arch=$1
if [ "$arch" = "$(dpkg --print-architecture)" ]; then
	[ -x /bin/busybox ] || die "/bin/busybox not found: apt-get install busybox-static"
	file -L /bin/busybox 2>/dev/null | grep -q "statically linked" ||
		die "/bin/busybox is not static: apt-get install busybox-static"
	echo /
	exit 0
fi

pkgs=(busybox-static uuid-dev)
dir=$CACHE_DIR/guest-debs-$arch
if [ -f "$dir/.complete" ]; then
	echo "$dir"
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
(cd "$apt_dir/dl" && apt-get "${apt_opts[@]}" -q download "${pkgs[@]/%/:$arch}") >/dev/null 2>&1 ||
	die "could not download ${pkgs[*]} for $arch from $codename"
for deb in "$apt_dir"/dl/*.deb; do
	dpkg-deb -x "$deb" "$apt_dir/root"
done
file -L "$apt_dir/root/bin/busybox" | grep -q "statically linked" ||
	die "busybox-static:$arch has no static /bin/busybox"
rm -rf "$dir"
mv -T "$apt_dir/root" "$dir"
touch "$dir/.complete"
log "guest packages for $arch in $dir: $(for deb in "$apt_dir"/dl/*.deb; do dpkg-deb -f "$deb" Package Version | paste -sd ' '; done | sed 's/Package: //; s/ Version://' | paste -sd ',')"
echo "$dir"
