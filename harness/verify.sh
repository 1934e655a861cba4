#!/bin/bash
# verify.sh: verify the series of one kernel base, baseline against patched.
#
#   1. get the Debian kernel source (or use $KDIR) and commit it as base;
#   2. checkpatch --strict every patch of ours (harness/stacks/$BASE);
#   3. apply the stack: "base" and "fix" directories to every kernel, of
#      the "series" directories all patches (patched), only the test
#      patches (baseline), or part of the series (nowalkfix, nocontract:
#      harness/stacks/BASE);
#   4. build every patch of the series in turn (bisectability);
#   5. build the kernels and compare W=1/sparse/kernel-doc warnings of the
#      touched files before and after the series;
#   6. boot each kernel with each test of the base's tests list (guest/)
#      that runs on it, and judge the console;
#   7. print the table, write it to out/BASE/summary.txt, and exit non-zero
#      when anything is wrong.
# The run writes to out/BASE.new, which replaces out/BASE (the last
# complete run: the kernels stress.sh boots) when the table is written;
# a run that stops before leaves out/BASE as it was.  The trees it
# applies the stack on are refs/pfnmap/BASE/STATE of the source tree
# (your repository's, with KDIR: no branch of yours is made or moved).
#
# VERIFY_ONE=1 (make verify-one TEST= STATE=): only test TEST on kernel
# STATE, which alone is built; no checkpatch, per-patch builds, warning
# comparison or cross builds.  The run writes out/BASE-one.
#
# Environment: the knobs of harness/knobs (make help): BASE, ARCH (as
# GUEST_ARCH), TESTS, KDIR, KDIR_REF, QUICK, BISECT, DEBUG, STATIC,
# MEASURE, RACE_BASELINE, CACHE, CROSS_ARCHES, ACCEL, VM_TIMEOUT,
# ZAP_SECONDS, JOBS, IVSHMEM_SIZE, V, HEARTBEAT, OUT_DIR, PFNMAP_CACHE.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

need python3 python3
# Bad input fails here, before anything is locked, downloaded or built.
check_knobs
tests_list=$KNOBS_TESTS_LIST
one=''
if [ "${VERIFY_ONE:-0}" = 1 ]; then
	{ [ -n "${TEST:-}" ] && [ -n "${STATE:-}" ]; } ||
		die "usage: make verify-one TEST=NAME STATE=$(known_states | tr ' ' '|') [BASE=$BASE]"
	state_filter "$STATE" >/dev/null
	[ -n "$(TESTS=$TEST "$HARNESS_DIR/tests_list.py" "$tests_list" select "$STATE")" ] ||
		die "TEST=$TEST does not run on the $STATE kernel (the kernels column of ${tests_list#"$REPO_DIR"/})"
	TESTS=$TEST BISECT=0 STATIC=0 CROSS_ARCHES='' one=-one
	export TESTS
elif [ -n "${TEST:-}${STATE:-}" ]; then
	die "TEST and STATE are make verify-one's and make retest's; make verify runs TESTS=\"NAME ...\""
fi
if [ "${QUICK:-0}" = 1 ]; then
	BISECT=0 DEBUG=0 STATIC=0
fi
# The compilers of the cross builds (arch_setup sets globals: a subshell).
(
	for arch in $CROSS_ARCHES; do
		arch_setup "$arch"
		need "${CROSS_PREFIX}gcc" "$CROSS_PACKAGE"
	done
) || exit 1
# The debug kernel: the base's default (harness/stacks/BASE), or DEBUG=.
[ -n "${DEBUG:-}" ] || DEBUG=$(base_fact "$BASE" debug)
lock_base "$BASE" verify
need perl perl
check_qemu

# arm64 (GUEST_ARCH=arm64): its own out and build directories; no
# per-patch builds and no x86_64 warning comparison (the x86_64 run has
# them; its cross checks build the series for arm64, which this run does
# too), the other kernels and tests as its tests list says.
if [ "$GUEST_ARCH" != x86_64 ]; then
	BISECT=0
	[ -n "$one" ] || CROSS_ARCHES=$GUEST_ARCH
fi
final=$OUT_DIR/$BASE$ARCH_SUFFIX$one
out=$final.new
rm -rf "$out"
mkdir -p "$out"
# A run that stops early says where what it did is (the next run removes it).
trap '[ ! -d "$out" ] || log "stopped: this run'"'"'s consoles and rows so far are in $out"' EXIT
results=$out/results.jsonl
: >"$results"
started=$SECONDS

# ref NAME: the ref of the tree NAME (a kernel, or prereqs: the stack
# without the series) in the source tree.
ref() {
	echo "refs/pfnmap/$BASE/$1"
}

# 1. Source tree and its base commit.
if [ -n "${KDIR:-}" ]; then
	src=$CACHE_DIR/kdir-$BASE
	baseref=$KDIR_BASEREF # check_knobs
	kdir_worktree "$KDIR" "$src" "$baseref"
	origin="$KDIR at $(git -C "$KDIR" describe --always "$baseref")"
else
	src=$("$HARNESS_DIR/get-source.sh" "$BASE")
	baseref=base
	origin="Debian linux-source-$BASE $(cat "$src/.pfnmap-debian-version")"
fi
kver=$(make -s --no-print-directory -C "$src" kernelversion)
log "kernel: $kver, $origin"

# row TEST STATUS DETAIL [SECONDS]: a result row of a check of the
# patched tree (checkpatch, the warnings), as judge.py writes a boot's.
row() {
	python3 -c 'import json, sys
row = {"test": sys.argv[1], "state": "patched", "status": sys.argv[2], "detail": sys.argv[3]}
if len(sys.argv) > 4:
    row["seconds"] = int(sys.argv[4])
print(json.dumps(row))' "$@" >>"$results"
}

# 2. checkpatch --strict on every patch of ours.  The Debian tree has no
# history, so checkpatch cannot look Fixes: ids up (UNKNOWN_COMMIT_ID);
# they were verified against upstream when the patches were written.  The
# patches carry no Signed-off-by (MISSING_SIGN_OFF): whoever sends them
# adds theirs (make mail checks the signed mails).  Its spdxcheck.py runs
# with Debian's python3, which has ply and git.
/usr/bin/python3 -c 'import ply, git' 2>/dev/null ||
	die "checkpatch's spdxcheck needs: apt-get install python3-ply python3-git"
# A base may name rules of its own (harness/stacks/BASE).
ignore=UNKNOWN_COMMIT_ID,MISSING_SIGN_OFF
base_ignore=$(base_fact "$BASE" checkpatch-ignore)
ignore=$ignore${base_ignore:+,$base_ignore}
checkpatch_failed=0
npatches=0
[ -n "$one" ] || while read -r dir; do
	while read -r patch; do
		case $patch in '' | '#'*) continue ;; esac
		npatches=$((npatches + 1))
		if ! (cd "$src" && PATH=/usr/bin:$PATH scripts/checkpatch.pl --strict -q \
			--ignore "$ignore" "$REPO_DIR/$dir/$patch") >"$out/checkpatch.log" 2>&1; then
			cat "$out/checkpatch.log" >&2
			row "checkpatch:$patch" FAIL "see checkpatch output"
			checkpatch_failed=1
		fi
	done <"$REPO_DIR/$dir/series"
done < <(series_dirs_of "$BASE")
[ -n "$one" ] || [ "$checkpatch_failed" = 1 ] || log "checkpatch --strict: $npatches patches clean"

# cached_note KERNEL: says so when build-kernel.sh took KERNEL from the
# results cache (built before from the same tree, config and compiler).
cached_note() {
	case $1 in "$CACHE_DIR"/results/*) echo ", cached: same tree built before" ;; esac
}

# 4. Every patch builds on its own, on top of what the stack puts first.
if [ "${BISECT:-1}" != 0 ] || [ "${STATIC:-1}" != 0 ]; then
	"$HARNESS_DIR/apply-series.sh" "$src" "$baseref" "$(ref prereqs)" none
	"$HARNESS_DIR/apply-series.sh" "$src" "$baseref" "$(ref patched)" all
fi
if [ "${BISECT:-1}" != 0 ]; then
	mapfile -t commits < <(git -C "$src" rev-list --reverse "$(ref prereqs)..$(ref patched)")
	for c in "${commits[@]}"; do
		subject=$(git -C "$src" log -1 --format=%s "$c")
		# Patches to the selftests and docs alone leave the kernel as it
		# was; the selftests are built with the initramfs.
		if [ -z "$(git -C "$src" diff --name-only "$c~" "$c" -- . \
			':!tools/testing' ':!Documentation')" ]; then
			log "builds: $subject (no kernel change)"
			continue
		fi
		git -C "$src" checkout -q -f "$c"
		t0=$SECONDS
		kernel=$("$HARNESS_DIR/build-kernel.sh" "$src" "$(build_dir vm)" vm "builds: $subject") ||
			die "the series does not build at: $subject"
		log "builds: $subject ($((SECONDS - t0)) s$(cached_note "$kernel"))"
	done
fi

# 5. and 6. Build a kernel and initramfs, then run the tests that the
# tests list runs on that kernel (its fourth column; by default the
# baseline, patched and debug kernels), of TESTS, without the baseline's
# race tests when RACE_BASELINE=0: tests_list.py selects them.
# run_state STATE VARIANT
run_state() {
	local state=$1 variant=$2 kernel selected name expect timeout t0
	local dir=$out/$state
	mkdir -p "$dir"
	t0=$SECONDS
	kernel=$("$HARNESS_DIR/build-kernel.sh" "$src" "$(build_dir "$variant")" "$variant" "$state")
	cp "$kernel" "$dir/bzImage" # the guest's kernel image, for any GUEST_ARCH
	log "$state: kernel built ($((SECONDS - t0)) s$(cached_note "$kernel"))"
	"$HARNESS_DIR/make-initramfs.sh" "$src" "$(build_dir "$variant")" "$dir/initramfs.cpio" >/dev/null
	selected=$("$HARNESS_DIR/tests_list.py" "$tests_list" select "$state")
	while read -r name expect timeout; do
		[ -n "$name" ] || continue
		"$HARNESS_DIR/run-test.sh" "$src" "$results" "$state" "$dir" "$name" \
			"$expect" "$timeout" </dev/null
	done <<<"$selected"
}

# run_kernel STATE: apply the stack as kernel STATE has it, then run_state.
# Kernels with part of the series (harness/stacks/BASE, "partial" and
# "measure") have their filters there.  nowalkfix: does the retry alone
# hold when page walks zap?  Where the debug kernel is built, the stack's
# "debug-partial" kernels are debug kernels too (lockdep and might_sleep()
# watch the retry loops while they run; page_table_check watches mremap).
run_kernel() {
	local state=$1 filter variant=vm
	filter=$(state_filter "$state")
	if [ "$state" = debug ] || { [[ " $(base_fact "$BASE" debug-partial) " == *" $state "* ]] &&
		[ "${DEBUG:-1}" != 0 ]; }; then
		variant=debug
	fi
	"$HARNESS_DIR/apply-series.sh" "$src" "$baseref" "$(ref "$state")" "$filter"
	run_state "$state" "$variant"
}

# The kernels with part of the series that a selected test runs on.
partial_states() {
	{
		base_facts "$BASE" partial
		[ "${MEASURE:-1}" = 0 ] || base_facts "$BASE" measure
	} | while read -r state _; do
		[ -n "$("$HARNESS_DIR/tests_list.py" "$tests_list" select "$state")" ] || continue
		# The stack's "debug-only" kernels mean nothing without the
		# debug variant.
		if [[ " $(base_fact "$BASE" debug-only) " == *" $state "* ]] && [ "${DEBUG:-1}" = 0 ]; then
			log "$state: left out (DEBUG=0: it tests what only the debug kernel checks)"
			continue
		fi
		echo "$state"
	done
}

if [ -n "$one" ]; then
	run_kernel "$STATE"
else
	run_kernel baseline
	for state in $(partial_states); do
		run_kernel "$state"
	done
	run_kernel patched
	# The debug kernel before the checks below: they check the base and
	# the patched trees out in turn, and every file they touch would be
	# built again for it.
	[ "${DEBUG:-1}" = 0 ] || run_kernel debug
fi
if [ "${STATIC:-1}" != 0 ]; then
	if [ "$GUEST_ARCH" = x86_64 ]; then
		"$HARNESS_DIR/static-checks.sh" "$src" "$(build_dir vm)" "$(ref prereqs)" "$(ref patched)" ||
			row static-checks FAIL "new W=1/sparse/kernel-doc warnings"
	fi
	# The same files built for the other architectures (lib.sh
	# CROSS_ARCHES; CROSS_ARCHES= for none): a row each.
	for arch in $CROSS_ARCHES; do
		t0=$SECONDS
		if "$HARNESS_DIR/cross-checks.sh" "$src" "$(ref prereqs)" "$(ref patched)" "$arch"; then
			row "static-checks:$arch" PASS "no new W=1/sparse warnings" "$((SECONDS - t0))"
		else
			row "static-checks:$arch" FAIL \
				"new W=1/sparse warnings, or the build failed: see the log" "$((SECONDS - t0))"
		fi
	done
fi

# 7. The table and the verdict.  Which tree the kernels came from, and the
# commit of each kernel's branch, for make bench's control kernel.
{
	echo "src $src"
	git -C "$src" for-each-ref --format='%(refname:lstrip=3) %(objectname)' "refs/pfnmap/$BASE/"
} >"$out/branches"
{
	echo "kernel $kver ($origin)"
	while read -r kind dir; do
		echo "  $kind $dir: $(grep -cv '^#\|^$' "$REPO_DIR/$dir/series") patches"
	done < <(stack_of "$BASE")
	echo "$GUEST_ARCH guest, qemu $("$QEMU" --version | head -n 1 | sed 's/.*version //'), accel ${ACCEL:-tcg}, $(date -u +%Y-%m-%dT%H:%MZ), $((SECONDS - started)) s"
} >"$out/header.txt"
rc=0
"$HARNESS_DIR/summarize.py" ${one:+--one "$STATE"} "$out/header.txt" "$results" \
	"$out/summary.txt" || rc=$?
[ "$rc" -le 1 ] || die "summarize.py failed: the run's results stay in $out"
# The run as KTAP, read back by the tree's own kunit.py: its totals are
# printed (not its verdict); KTAP it cannot read fails the run.
if [ -f "$src/tools/testing/kunit/kunit.py" ]; then
	parsed=$(python3 -B "$src/tools/testing/kunit/kunit.py" parse "$out/results.ktap" 2>&1 |
		sed -n 's/^\[[^]]*\] \(Testing complete\)/\1/p') || true
	if [ -n "$parsed" ]; then
		log "$final/results.ktap, as kunit.py parse reads it: $parsed"
	else
		echo "PROBLEM: $final/results.ktap: the tree's kunit.py parse does not read it" |
			tee -a "$out/summary.txt" >&2
		rc=1
	fi
fi
replace_dir "$out" "$final"
exit "$rc"
