#!/bin/bash
# run-test.sh SRC RESULTS STATE DIR NAME EXPECT TIMEOUT: boot DIR's kernel
# and initramfs (DIR/bzImage, DIR/initramfs.cpio) with guest test NAME,
# judge the console DIR/NAME.log (KUnit with SRC's kunit.py) and append
# its rows, for kernel STATE and baseline expectation EXPECT, to RESULTS.
# TIMEOUT: seconds before the guest is killed (VM_TIMEOUT overrides it).
#
# When QEMU itself failed before the test (run-vm.sh exits 125 and
# judge.py says ERROR), which says nothing about the kernel, the test is
# booted once more; the first console is kept as NAME.try1.log and the
# row names it.  A guest that hung or ended before its test is the
# kernel's failure and is not booted again.  Environment: VM_TIMEOUT,
# ZAP_SECONDS (as for verify.sh).
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# = 7 ] || die "usage: run-test.sh SRC RESULTS STATE DIR NAME EXPECT TIMEOUT"
src=$1 results=$2 state=$3 dir=$4 name=$5 expect=$6 timeout=$7
log=$dir/$name.log

# The race tests' floors (PFNMAP_FLOOR_RACE=N, from harness/race-rates),
# on the guest's command line: they reach the tests through init's
# environment.
read -r -a floors <<<"$("$HARNESS_DIR/rates.py" floors)"

# boot: one guest boot; prints run-vm's exit code.
boot() {
	local rc=0
	log "$state: booting for $name (console: $log; killed after ${VM_TIMEOUT:-$timeout} s)"
	VM_TIMEOUT=${VM_TIMEOUT:-$timeout} "$HARNESS_DIR/run-vm.sh" "$dir/bzImage" \
		"$dir/initramfs.cpio" "$name" "$log" "${floors[@]}" \
		${ZAP_SECONDS:+VFIO_DMA_MAP_ZAP_SECONDS=$ZAP_SECONDS} >&2 || rc=$?
	echo "$rc"
}

# show_console: the last 50 console lines and QEMU's own output.
show_console() {
	{
		echo "---- last 50 console lines of $state/$(basename "$log") ----"
		tail -n 50 "$log"
		if [ -s "$log.qemu" ]; then
			echo "---- QEMU's output ----"
			tail -n 10 "$log.qemu"
		fi
		if [ -s "$log.monitor" ]; then
			echo "---- vCPUs and local APICs when killed (all in $(basename "$log").monitor) ----"
			grep -E '^(CPU#|RIP=|dumping|ISR|IRR|APR)' "$log.monitor" || tail -n 5 "$log.monitor"
		fi
	} >&2
}

t0=$SECONDS
retried=()
rc=$(boot)
judged=$("$HARNESS_DIR/judge.py" "$log" "$name" --kunit-tree "$src" --fields status,detail)
read -r status detail <<<"$(tail -n 1 <<<"$judged")"
if [ "$rc" = 125 ] && [ "$status" = ERROR ]; then
	retried=(--retried "$detail")
	log "$state: $name: $detail; booting once more"
	show_console
	mv "$log" "$dir/$name.try1.log"
	mv "$log.qemu" "$dir/$name.try1.log.qemu"
	rc=$(boot)
fi
judged=$("$HARNESS_DIR/judge.py" "$log" "$name" --kunit-tree "$src" --state "$state" \
	--expect "$expect" --seconds "$((SECONDS - t0))" "${retried[@]}" \
	--results "$results" --fields status)
status=$(tail -n 1 <<<"$judged")
log "$state: $name: $status ($((SECONDS - t0)) s)"
# The console of anything that is not the expected outcome.
case $rc/$status/$state/$expect in
0/PASS/* | 0/SKIP/* | */FAIL/baseline/* | */FAIL/*/xfail) ;;
*) show_console ;;
esac
