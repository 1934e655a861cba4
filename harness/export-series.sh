#!/bin/bash
# export-series.sh TREE RANGE DIR: export the commits RANGE (e.g.
# base..my-branch) of kernel work tree TREE into DIR as patch files named
# after their subjects, listed in order in DIR/series, as stable-queue
# does.  Other files in DIR (the cover letter) are left alone.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

{ [ $# = 3 ] && [ -n "$1" ] && [ -n "$2" ] && [ -n "$3" ]; } ||
	die "usage: make export KTREE=TREE RANGE=base..work DIR=series/NAME (export-series.sh TREE RANGE DIR)"
tree=$1
range=$2
dir=$3

need git git
git -C "$tree" rev-parse -q --verify HEAD >/dev/null 2>&1 || die "KTREE=$tree is not a git tree"
commits=$(git -C "$tree" rev-list "$range" 2>/dev/null) || die "RANGE=$range is not a range of commits of $tree"
[ -n "$commits" ] || die "no commits in $range"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$tree" format-patch -q --zero-commit --no-signature \
	--filename-max-length=120 -o "$tmp" "$range"

mkdir -p "$dir"
rm -f "$dir"/*.patch
: >"$dir/series.tmp"
for p in "$tmp"/*.patch; do
	name=${p##*/}
	name=${name#[0-9][0-9][0-9][0-9]-}
	[ ! -e "$dir/$name" ] || die "two patches would be named $name"
	# The number of a patch in this series is for the mail, not the file.
	sed '1,/^Subject: /s/^Subject: \[PATCH [0-9]*\/[0-9]*\] /Subject: [PATCH] /' \
		"$p" >"$dir/$name"
	echo "$name" >>"$dir/series.tmp"
done
mv "$dir/series.tmp" "$dir/series"
log "exported $(wc -l <"$dir/series") patches to $dir"
