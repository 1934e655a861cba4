#!/bin/bash
# patch-files.sh BASE without:PREFIX[|PREFIX...]: the files that the
# series patches of the stack of BASE (harness/stacks/BASE) whose subject
# starts with a PREFIX touch, sorted, one a line: what a kernel that
# apply-series.sh builds with that filter lacks against the patched one.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

base=$1
filter=$2
[[ $filter == without:* ]] || die "patch-files.sh: give a without: filter, not '$filter'"
IFS='|' read -r -a prefixes <<<"${filter#without:}"

while read -r kind dir; do
	[ "$kind" = series ] || continue
	while read -r patch; do
		case $patch in '' | '#'*) continue ;; esac
		subject=$(sed -n 's/^Subject: \(\[PATCH[^]]*\] \)\{0,1\}//p' "$REPO_DIR/$dir/$patch" | head -n 1)
		for prefix in "${prefixes[@]}"; do
			if [[ $subject == "$prefix"* ]]; then
				sed -n 's|^diff --git a/\([^ ]*\) b/.*|\1|p' "$REPO_DIR/$dir/$patch"
			fi
		done
	done <"$REPO_DIR/$dir/series"
done < <(stack_of "$base") | sort -u
