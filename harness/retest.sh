#!/bin/bash
# retest.sh: boot the STATE kernel (harness/states) that the last verify
# of $BASE built, out/BASE/STATE (or make verify-one's, out/BASE-one/STATE),
# once with guest test TEST, judge the
# console and print the result: no download, no build.  The console goes
# to out/BASE/retest/STATE-TEST.log.  Exits 0 when every row is PASS or
# SKIP.  Environment: TEST, STATE, BASE, ARCH (as GUEST_ARCH), VM_TIMEOUT
# (instead of the tests list's), ZAP_SECONDS (as for verify.sh),
# KUNIT_TREE (a kernel tree whose kunit.py parses a KUnit console;
# default the source tree verify used).
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

need python3 python3
check_knobs
test_name=${TEST:-}
state=${STATE:-}
if [ -z "$test_name" ] || [ -z "$state" ]; then
	die "usage: make retest TEST=NAME STATE=$(known_states | tr ' ' '|') [BASE=$BASE]"
fi
state_filter "$state" >/dev/null
tests_list=$KNOBS_TESTS_LIST
read -r _ expect timeout < <("$HARNESS_DIR/tests_list.py" "$tests_list" entry "$test_name")
# The last make verify's kernel, or else the last make verify-one's.
dir=$OUT_DIR/$BASE$ARCH_SUFFIX/$state
[ -f "$dir/bzImage" ] || [ ! -f "$OUT_DIR/$BASE$ARCH_SUFFIX-one/$state/bzImage" ] ||
	dir=$OUT_DIR/$BASE$ARCH_SUFFIX-one/$state
for f in bzImage initramfs.cpio; do
	[ -f "$dir/$f" ] ||
		die "$dir/$f not found: no $state kernel of BASE=$BASE built; run make verify BASE=$BASE${ARCH_SUFFIX:+ ARCH=$GUEST_ARCH} (or make verify-one TEST=$test_name STATE=$state) first"
done
lock_base "$BASE" retest
check_qemu

tree=${KUNIT_TREE:-$CACHE_DIR/src/$BASE}
[ -n "${KUNIT_TREE:-}" ] || [ -d "$tree" ] || tree=$CACHE_DIR/kdir-$BASE
mkdir -p "$OUT_DIR/$BASE$ARCH_SUFFIX/retest"
log=$OUT_DIR/$BASE$ARCH_SUFFIX/retest/$state-$test_name.log
t0=$SECONDS
rc=0
log "$state: booting for $test_name (console: $log)"
VM_TIMEOUT=${VM_TIMEOUT:-$timeout} "$HARNESS_DIR/run-vm.sh" "$dir/bzImage" \
	"$dir/initramfs.cpio" "$test_name" "$log" \
	${ZAP_SECONDS:+VFIO_DMA_MAP_ZAP_SECONDS=$ZAP_SECONDS} >&2 || rc=$?
log "$state: $test_name: run-vm.sh exited $rc after $((SECONDS - t0)) s; console in $log"
"$HARNESS_DIR/judge.py" "$log" "$test_name" --kunit-tree "$tree" --brief \
	--state "$state" --expect "$expect" --seconds "$((SECONDS - t0))" >"$log.rows"
cat "$log.rows"
# A row: STATE TEST STATUS DETAIL.
awk '$3 != "PASS" && $3 != "SKIP" { bad = 1 } END { exit bad }' "$log.rows"
