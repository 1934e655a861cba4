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
# a run that stops before leaves out/BASE as it was.
#
# Environment: BASE (7.3 or 6.12: harness/stacks/BASE), KDIR (own kernel
# git tree, see README), BISECT=0 (skip the per-patch builds), DEBUG=0 or
# 1 (skip or build the debug kernel; default: the base's),
# STATIC=0 (skip the warning comparison), QUICK=1 (all three), TESTS
# (names from the tests list to run, default all), ZAP_SECONDS (run time
# of each race test per type1 backend, default 15 s), VM_TIMEOUT (seconds
# per guest, instead of the tests list's), RACE_BASELINE=0 (no race
# measurement on the baseline: it never gates), MEASURE=0 (no kernel
# that harness/stacks/BASE lists as "measure"), CACHE=0 (build every kernel and
# run the static checks even when the results cache of lib.sh has them),
# CROSS_ARCHES (the architectures cross-checks.sh builds the series' files
# for, with W=1 and sparse, default lib.sh's; empty: none).
[ "${QUICK:-0}" = 1 ] && BISECT=0 DEBUG=0 STATIC=0
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

need python3 python3
# Bad input fails here, before anything is downloaded or built.
guest_arch_setup
tests_list=$(tests_list_for_base "$BASE") || exit 1
"$HARNESS_DIR/tests_list.py" "$tests_list" check || exit 1
for arch in $CROSS_ARCHES; do
	arch_setup "$arch"
	need "${CROSS_PREFIX}gcc" "$CROSS_PACKAGE"
done
# The debug kernel: the base's default (harness/stacks/BASE), or DEBUG=.
[ -n "${DEBUG:-}" ] || DEBUG=$(base_fact "$BASE" debug)
if [ -n "${KDIR:-}" ]; then
	[ -d "$KDIR/.git" ] || [ -f "$KDIR/.git" ] || die "KDIR=$KDIR is not a git tree"
	baseref=$(git -C "$KDIR" rev-parse -q --verify "${KDIR_REF:-HEAD}^{commit}") ||
		die "KDIR_REF=${KDIR_REF:-HEAD} is not a commit of KDIR=$KDIR"
	git -C "$KDIR" cat-file -e "$baseref:mm/memory.c" 2>/dev/null ||
		die "KDIR=$KDIR at ${KDIR_REF:-HEAD} is not a Linux kernel tree (no mm/memory.c)"
fi
lock_base "$BASE" verify
need perl perl
check_qemu

# arm64 (GUEST_ARCH=arm64): its own out and build directories; no
# per-patch builds and no x86_64 warning comparison (the x86_64 run has
# them; its cross checks build the series for arm64, which this run does
# too), the other kernels and tests as its tests list says.
if [ "$GUEST_ARCH" != x86_64 ]; then
	BISECT=0
	CROSS_ARCHES=$GUEST_ARCH
fi
out=$OUT_DIR/$BASE$ARCH_SUFFIX.new
rm -rf "$out"
mkdir -p "$out"
# A run that stops early says where what it did is (the next run removes it).
trap '[ ! -d "$out" ] || log "stopped: this run'"'"'s consoles and rows so far are in $out"' EXIT
results=$out/results.jsonl
: >"$results"
started=$SECONDS

# 1. Source tree and its base commit.
if [ -n "${KDIR:-}" ]; then
	src=$CACHE_DIR/kdir-$BASE
	kdir_worktree "$KDIR" "$src" "$baseref"
	origin="$KDIR at $(git -C "$KDIR" describe --always "$baseref")"
else
	src=$("$HARNESS_DIR/get-source.sh" "$BASE")
	baseref=base
	origin="Debian linux-source-$BASE $(cat "$src/.pfnmap-debian-version")"
fi
kver=$(make -s --no-print-directory -C "$src" kernelversion)
log "kernel: $kver, $origin"

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
while read -r dir; do
	while read -r patch; do
		case $patch in '' | '#'*) continue ;; esac
		npatches=$((npatches + 1))
		if ! (cd "$src" && PATH=/usr/bin:$PATH scripts/checkpatch.pl --strict -q \
			--ignore "$ignore" "$REPO_DIR/$dir/$patch") >"$out/checkpatch.log" 2>&1; then
			cat "$out/checkpatch.log" >&2
			echo "{\"test\": \"checkpatch:$patch\", \"state\": \"patched\", \"status\": \"FAIL\", \"detail\": \"see checkpatch output\"}" >>"$results"
			checkpatch_failed=1
		fi
	done <"$REPO_DIR/$dir/series"
done < <(series_dirs_of "$BASE")
[ "$checkpatch_failed" = 0 ] && log "checkpatch --strict: $npatches patches clean"


# cached_note KERNEL: says so when build-kernel.sh took KERNEL from the
# results cache (built before from the same tree, config and compiler).
cached_note() {
	case $1 in "$CACHE_DIR"/results/*) echo ", cached: same tree built before" ;; esac
}

# 4. Every patch builds on its own, on top of what the stack puts first.
"$HARNESS_DIR/apply-series.sh" "$src" "$baseref" pfnmap-prereqs none
"$HARNESS_DIR/apply-series.sh" "$src" "$baseref" pfnmap-patched all
if [ "${BISECT:-1}" != 0 ]; then
	mapfile -t commits < <(git -C "$src" rev-list --reverse pfnmap-prereqs..pfnmap-patched)
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
		kernel=$("$HARNESS_DIR/build-kernel.sh" "$src" "$(build_dir vm)" vm) ||
			die "the series does not build at: $subject"
		log "builds: $subject ($((SECONDS - t0)) s$(cached_note "$kernel"))"
	done
fi

# 5. and 6. Build a state's kernel and initramfs, then run the tests that
# the tests list runs on that state (its fourth column; by default the
# baseline, patched and debug kernels), of TESTS, without the baseline's
# race tests when RACE_BASELINE=0: tests_list.py selects them.
# run_state STATE VARIANT
run_state() {
	local state=$1 variant=$2 kernel selected name expect timeout t0
	local dir=$out/$state
	mkdir -p "$dir"
	t0=$SECONDS
	kernel=$("$HARNESS_DIR/build-kernel.sh" "$src" "$(build_dir "$variant")" "$variant")
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

"$HARNESS_DIR/apply-series.sh" "$src" "$baseref" pfnmap-baseline tests
run_state baseline vm
# Kernels with part of the series (harness/stacks/BASE, "partial"), for
# the tests that name them.  nowalkfix: does the retry alone hold when
# page walks zap?  Where the debug kernel is built, it is one too, so
# that lockdep and might_sleep() watch the retry loops while they run.
while read -r state filter <&3; do
	[ -n "$("$HARNESS_DIR/tests_list.py" "$tests_list" select "$state")" ] || continue
	"$HARNESS_DIR/apply-series.sh" "$src" "$baseref" "pfnmap-$state" "$filter"
	if [ "$state" = nowalkfix ] && [ "${DEBUG:-1}" != 0 ]; then
		run_state "$state" debug
	else
		run_state "$state" vm
	fi
done 3< <(base_facts "$BASE" partial
	[ "${MEASURE:-1}" = 0 ] || base_facts "$BASE" measure)
"$HARNESS_DIR/apply-series.sh" "$src" "$baseref" pfnmap-patched all
run_state patched vm
if [ "${STATIC:-1}" != 0 ]; then
	if [ "$GUEST_ARCH" = x86_64 ]; then
		"$HARNESS_DIR/static-checks.sh" "$src" "$(build_dir vm)" pfnmap-prereqs pfnmap-patched ||
			echo '{"test": "static-checks", "state": "patched", "status": "FAIL", "detail": "new W=1/sparse/kernel-doc warnings"}' >>"$results"
	fi
	# The same files built for the other architectures (lib.sh
	# CROSS_ARCHES; CROSS_ARCHES= for none): a row each.
	for arch in $CROSS_ARCHES; do
		t0=$SECONDS
		if "$HARNESS_DIR/cross-checks.sh" "$src" pfnmap-prereqs pfnmap-patched "$arch"; then
			status=PASS detail="no new W=1/sparse warnings"
		else
			status=FAIL detail="new W=1/sparse warnings, or the build failed: see the log"
		fi
		echo "{\"test\": \"static-checks:$arch\", \"state\": \"patched\", \"status\": \"$status\", \"detail\": \"$detail\", \"seconds\": $((SECONDS - t0))}" >>"$results"
	done
fi
if [ "${DEBUG:-1}" != 0 ]; then
	run_state debug debug
fi

# 7. The table and the verdict.  Which tree the kernels came from, and the
# commit of each kernel's branch, for make bench's control kernel.
{
	echo "src $src"
	git -C "$src" for-each-ref --format='%(refname:short) %(objectname)' 'refs/heads/pfnmap-*'
} >"$out/branches"
{
	echo "kernel $kver ($origin)"
	while read -r kind dir; do
		echo "  $kind $dir: $(grep -cv '^#\|^$' "$REPO_DIR/$dir/series") patches"
	done < <(stack_of "$BASE")
	echo "$GUEST_ARCH guest, qemu $("$QEMU" --version | head -n 1 | sed 's/.*version //'), accel ${ACCEL:-tcg}, $(date -u +%Y-%m-%dT%H:%MZ), $((SECONDS - started)) s"
} >"$out/header.txt"
rc=0
"$HARNESS_DIR/summarize.py" "$out/header.txt" "$results" "$out/summary.txt" || rc=$?
[ "$rc" -le 1 ] || die "summarize.py failed: the run's results stay in $out"
replace_dir "$out" "$OUT_DIR/$BASE$ARCH_SUFFIX"
exit "$rc"
