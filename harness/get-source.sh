#!/bin/bash
# get-source.sh BASE: download the newest linux-source-BASE that the
# Debian suites of harness/stacks/BASE carry, through a private apt sources
# list, extract it into the cache and commit it as the git base of a work
# tree.  Prints the path of the base tree.  A cached tree is used as it
# is: remove $CACHE_DIR/src/BASE to take a newer Debian upload.
#
# The cache is written to a temporary directory and renamed when complete,
# so an interrupted download never leaves a half tree behind.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

base=${1:-$BASE}
# Not in the here-string: die there would end only its subshell.
suites=$(suites_for_base "$base") || exit 1
read -r -a suites <<<"$suites"
src=$CACHE_DIR/src/$base

if [ -f "$src/.pfnmap-base-ok" ]; then
	echo "$src"
	exit 0
fi

need apt-get apt
need dpkg-deb dpkg
need git git
need xz xz-utils

mkdir -p "$CACHE_DIR/src"
tmp=$(mktemp -d "$CACHE_DIR/src/.tmp-$base.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

apt_dir=$tmp/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/dl"
apt_sources_list "${suites[@]}" >"$apt_dir/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o "APT::Sandbox::User=root")

log "apt-get update (${suites[*]}, private sources list)"
apt-get "${apt_opts[@]}" -q update >"$tmp/apt.log" 2>&1 ||
	{ tail -n 20 "$tmp/apt.log" >&2; die "apt-get update failed for ${suites[*]} (network?)"; }
log "apt-get download linux-source-$base"
(cd "$apt_dir/dl" && apt-get "${apt_opts[@]}" -q download "linux-source-$base") \
	>>"$tmp/apt.log" 2>&1 ||
	{ tail -n 20 "$tmp/apt.log" >&2; die "could not download linux-source-$base from ${suites[*]}"; }

deb=$(echo "$apt_dir"/dl/linux-source-"$base"_*.deb)
[ -f "$deb" ] || die "no linux-source-$base package downloaded"
pkgver=$(dpkg-deb -f "$deb" Version)

log "extracting linux-source-$base $pkgver"
dpkg-deb --fsys-tarfile "$deb" |
	tar -xO "./usr/src/linux-source-$base.tar.xz" | xz -dc | tar -x -C "$tmp"
tree=$tmp/linux-source-$base
[ -f "$tree/Makefile" ] || die "unexpected tarball layout in $deb"
kver=$(make -s --no-print-directory -C "$tree" kernelversion)

log "committing v$kver as the git base"
(
	cd "$tree"
	git init -q -b base
	# Debian's .gitignore ignores every top-level path: add with -f.
	git add -f -A .
	git -c user.name="linux-source" -c user.email="linux-source@localhost" \
		commit -q -m "Linux $kver (Debian linux-source-$base $pkgver)"
	git tag "v$kver"
)
printf '%s\n' "$pkgver" >"$tree/.pfnmap-debian-version"
printf '%s\n' "$kver" >"$tree/.pfnmap-kernelversion"
touch "$tree/.pfnmap-base-ok"

rm -rf "$src"
mv "$tree" "$src"
echo "$src"
