#!/bin/bash
# apply-series.sh SRC BASEREF BRANCH SERIESDIR [tests]: reset work tree SRC
# to BASEREF and `git am` the patches listed in SERIESDIR/series onto it as
# branch BRANCH.  With "tests", apply only the test patches (subject
# "selftests/..." or mentioning KUnit): that is the baseline, the
# unpatched kernel carrying the new tests.
#
# A patch that does not apply is named with the file that failed, the
# half-applied state is thrown away, and the script fails.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

src=$1
baseref=$2
branch=$3
dir=$4
only=${5:-all}

need git git
[ -f "$dir/series" ] || die "$dir/series not found"

git_src() {
	git -C "$src" -c user.name=harness -c user.email=harness@localhost "$@"
}

# Start from a clean BASEREF; keep only the harness's own marker files.
git_src am --abort >/dev/null 2>&1 || true
git_src checkout -q -f -B "$branch" "$baseref"
git_src clean -q -fdx -e '/.pfnmap-*'

is_test_patch() {
	local subject
	subject=$(sed -n 's/^Subject: \(\[PATCH[^]]*\] \)\{0,1\}//p' "$1" | head -n 1)
	case $subject in
	selftests/* | *KUnit*) return 0 ;;
	esac
	return 1
}

n=0
while read -r patch; do
	case $patch in '' | '#'*) continue ;; esac
	[ -f "$dir/$patch" ] || die "$dir/series lists $patch, which does not exist"
	if [ "$only" = tests ] && ! is_test_patch "$dir/$patch"; then
		continue
	fi
	if ! out=$(git_src am -q --committer-date-is-author-date "$dir/$patch" 2>&1); then
		files=$(printf '%s\n' "$out" | sed -n 's/^error: \(patch failed: \)\{0,1\}\([^:]*\):.*/\2/p' | sort -u | tr '\n' ' ')
		git_src am --abort >/dev/null 2>&1 || true
		git_src checkout -q -f "$baseref"
		git_src clean -q -fdx -e '/.pfnmap-*'
		printf '%s\n' "$out" | tail -n 5 >&2
		die "$patch does not apply to $baseref (failed: ${files:-see above})"
	fi
	n=$((n + 1))
done <"$dir/series"
log "$branch: $n patches applied on $baseref"
