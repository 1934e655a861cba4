#!/bin/bash
# apply-series.sh SRC BASEREF REF FILTER: check BASEREF out in work tree
# SRC (detached), `git am` onto it the patches that the stack of
# $BASE (harness/stacks/$BASE, or $STACK_FILE) lists: every "base" and "fix" directory in
# full and, of the "series" directories, what FILTER keeps:
#   all             every patch: the patched kernel
#   tests           only the test patches (subject "vfio: selftests:",
#                   "selftests..." or mentioning KUnit), but those of
#                   code the series adds (the stack's "series-test"
#                   subject prefixes): the baseline, the unpatched
#                   kernel carrying the new tests
#   without:PREFIX[|PREFIX...]
#                   all but the patches whose subject starts with a PREFIX
#   none            none: what the series applies to
# and FILTER+probe or FILTER+undo: the same, plus the stack's "probe"
# directories (test-only instrumentation) or "undo" directories (test-only
# reverts of one fix, where leaving the fix out would not apply), applied
# after the series and left out otherwise.
# REF (refs/pfnmap/BASE/NAME, not a branch: SRC may be a worktree of your
# repository) is then set to the result.
#
# A patch that does not apply is named with the file that failed, the
# half-applied state is thrown away, and the script fails.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

src=$1
baseref=$2
ref=$3
filter=$4
[[ $ref == refs/pfnmap/* ]] || die "apply-series.sh: give a ref under refs/pfnmap/, not '$ref'"

need git git

git_src() {
	git -C "$src" -c user.name=harness -c user.email=harness@localhost "$@"
}

# Start from a clean BASEREF; keep only the harness's own marker files.
git_src am --abort >/dev/null 2>&1 || true
git_src checkout -q -f --detach "$baseref"
git_src clean -q -fdx -e '/.pfnmap-*'

# Test patches of code the series adds cannot build without it.
series_tests=$(awk '$1 == "series-test" { sub(/^[^ \t]+[ \t]+/, ""); print }' \
	"${STACK_FILE:-$HARNESS_DIR/stacks/$BASE}" | paste -sd '|')
is_test_patch() {
	local subject
	subject=$(subject_of "$1")
	case $subject in
	"vfio: selftests:"* | selftests* | *KUnit*) ;;
	*) return 1 ;;
	esac
	[ -z "$series_tests" ] || ! subject_has_prefix "$subject" "$series_tests"
}

extra=''
case $filter in
*+probe | *+undo)
	extra=${filter##*+}
	filter=${filter%+*} ;;
esac

# keep KIND PATCH: does FILTER keep PATCH of a directory of KIND?
keep() {
	case $1 in probe | undo) [ "$1" = "$extra" ]; return ;; esac
	[ "$1" = series ] || return 0
	case $filter in
	all) return 0 ;;
	none) return 1 ;;
	tests) is_test_patch "$2" ;;
	without:*) ! subject_has_prefix "$(subject_of "$2")" "${filter#without:}" ;;
	*) die "unknown filter '$filter'" ;;
	esac
}

n=0
while read -r kind dir; do
	[[ $dir == /* ]] || dir=$REPO_DIR/$dir
	[ -f "$dir/series" ] || die "$dir/series not found"
	while read -r patch; do
		case $patch in '' | '#'*) continue ;; esac
		file=$dir/$patch
		[ -f "$file" ] || die "$dir/series lists $patch, which does not exist"
		keep "$kind" "$file" || continue
		if ! out=$(git_src am -q --committer-date-is-author-date "$file" 2>&1); then
			files=$(printf '%s\n' "$out" | sed -n 's/^error: \(patch failed: \)\{0,1\}\([^:]*\):.*/\2/p' | sort -u | tr '\n' ' ')
			git_src am --abort >/dev/null 2>&1 || true
			git_src checkout -q -f "$baseref"
			git_src clean -q -fdx -e '/.pfnmap-*'
			printf '%s\n' "$out" | tail -n 5 >&2
			die "${dir#"$REPO_DIR"/}/$patch does not apply to $baseref (failed: ${files:-see above})"
		fi
		n=$((n + 1))
	done <"$dir/series"
done < <(stack_of "$BASE")
git_src update-ref "$ref" HEAD
log "${ref#refs/pfnmap/}: $n patches applied on $baseref ($filter)"
