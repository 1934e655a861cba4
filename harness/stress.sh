#!/bin/bash
# stress.sh [STATE...]: race VFIO_IOMMU_MAP_DMA against memory-decode
# toggling (TRIGGER=decode, the default) or numa_maps reads
# (TRIGGER=numa_maps; TRIGGER=kvm: a KVM guest instead) for a long time on kernels that verify.sh built
# (out/BASE/STATE, default baseline and patched), in $ROUNDS guest boots
# of $SECONDS per type1 backend each (default 4 x 75 s x 2 backends = 10
# minutes per kernel).  Several shorter boots instead of one long one: a TCG guest
# that spins for many minutes can lose its console.  Prints the summed
# counts per kernel; fails if the patched kernel returned any EINVAL or
# a guest did not finish cleanly.  ARCH=arm64 (GUEST_ARCH): the arm64
# kernels (out/BASE-arm64), whose tests list has the decode race only.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

need python3 python3
check_knobs
# The race test of TRIGGER on this base (harness/stacks/BASE), which the
# guest's tests list must have.
trigger=${TRIGGER:-decode}
check_trigger "$trigger"
test_name=$STRESS_TEST
"$HARNESS_DIR/tests_list.py" "$KNOBS_TESTS_LIST" entry "$test_name" >/dev/null 2>&1 ||
	die "TRIGGER=$trigger races with $test_name, which ${KNOBS_TESTS_LIST#"$REPO_DIR"/} (ARCH=$GUEST_ARCH) does not have"
rounds=${ROUNDS:-4}
seconds=${SECONDS_PER_ROUND:-75}
out=$OUT_DIR/$BASE$ARCH_SUFFIX
[ $# -gt 0 ] || set -- baseline patched
lock_base "$BASE" stress
for state in "$@"; do
	[ -f "$out/$state/bzImage" ] || die "$out/$state/bzImage not found: run make verify BASE=$BASE${ARCH_SUFFIX:+ ARCH=$GUEST_ARCH} first"
done
check_qemu

failed=0
for state in "$@"; do
	dir=$out/$state
	maps=0 raced=0 spurious=0 efault=0 bad=0
	for round in $(seq "$rounds"); do
		log="$dir/stress-$round.log"
		log "$state: round $round of $rounds: booting for $test_name (console: $log)"
		VM_TIMEOUT=$((4 * seconds + 120)) "$HARNESS_DIR/run-vm.sh" \
			"$dir/bzImage" "$dir/initramfs.cpio" "$test_name" "$log" \
			"VFIO_DMA_MAP_ZAP_SECONDS=$seconds" "KVM_ZAP_SECONDS=$seconds" || true
		read -r status m r e f < <("$HARNESS_DIR/judge.py" "$log" "$test_name" \
			--fields status,maps,raced,spurious,efault | head -n 1)
		maps=$((maps + m)) raced=$((raced + r)) spurious=$((spurious + e)) efault=$((efault + f))
		# The baseline may fail (it is what is measured); any other
		# kernel must pass every round.
		case $state/$status in */PASS | baseline/FAIL | baseline/INCONCLUSIVE) ;;
		*) bad=$((bad + 1)) ;;
		esac
		log "$state: round $round: $status"
	done
	echo "stress $state ($test_name): $rounds boots x 2 backends x $seconds s: $maps maps, $raced raced a zap, $spurious spurious errors, $efault EFAULT (decode off), $bad rounds that did not pass (or, on the baseline, end cleanly)"
	if [ "$state" != baseline ] && { [ "$spurious" != 0 ] || [ "$bad" != 0 ]; }; then
		failed=1
	fi
done
exit $failed
