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

while read -r kind dir; do
	[ "$kind" = series ] || continue
	while read -r patch; do
		case $patch in '' | '#'*) continue ;; esac
		subject_has_prefix "$(subject_of "$REPO_DIR/$dir/$patch")" "${filter#without:}" ||
			continue
		sed -n 's|^diff --git a/\([^ ]*\) b/.*|\1|p' "$REPO_DIR/$dir/$patch"
	done <"$REPO_DIR/$dir/series"
done < <(stack_of "$base") | sort -u
