#!/bin/bash
# export-series.sh TREE BASEREF [DIR]: export the commits BASEREF..HEAD of
# kernel work tree TREE into DIR (default series/) as patch files named
# after their subjects, listed in order in DIR/series, as stable-queue does.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

tree=$1
baseref=$2
dir=${3:-$REPO_DIR/series}

need git git
[ -n "$(git -C "$tree" rev-list "$baseref..HEAD")" ] || die "no commits in $baseref..HEAD"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$tree" format-patch -q --zero-commit --no-signature --filename-max-length=120 -o "$tmp" "$baseref..HEAD"

mkdir -p "$dir"
rm -f "$dir"/*.patch
: >"$dir/series.tmp"
for p in "$tmp"/*.patch; do
	name=${p##*/}
	name=${name#[0-9][0-9][0-9][0-9]-}
	[ ! -e "$dir/$name" ] || die "two patches would be named $name"
	cp "$p" "$dir/$name"
	echo "$name" >>"$dir/series.tmp"
done
mv "$dir/series.tmp" "$dir/series"
log "exported $(wc -l <"$dir/series") patches to $dir"
