#!/bin/bash
# stress.sh [STATE...]: race VFIO_IOMMU_MAP_DMA against memory-decode
# toggling (TRIGGER=decode, the default) or numa_maps reads
# (TRIGGER=numa_maps; TRIGGER=kvm: a KVM guest instead) for a long time on kernels that verify.sh built
# (out/BASE/STATE, default baseline and patched), in $ROUNDS guest boots
# of $SECONDS per type1 backend each (default 4 x 75 s x 2 backends = 10
# minutes per kernel).  Several shorter boots instead of one long one: a TCG guest
# that spins for many minutes can lose its console.  Prints the summed
# counts per kernel; fails if the patched kernel returned any EINVAL or
# a guest did not finish cleanly.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"
# The race test of TRIGGER on this base (harness/stacks/BASE).
trigger=${TRIGGER:-decode}
races=$(base_fact "$BASE" stress)
test_name=
for race in $races; do
	[ "${race%%:*}" != "$trigger" ] || test_name=${race#*:}
done
[ -n "$test_name" ] ||
	die "unknown TRIGGER '$trigger' for BASE=$BASE (known: $(sed 's/:[^ ]*//g; s/ /, /g' <<<"$races"))"
lock_base "$BASE" stress
guest_arch_setup
check_qemu

rounds=${ROUNDS:-4}
seconds=${SECONDS_PER_ROUND:-75}
out=$OUT_DIR/$BASE
[ $# -gt 0 ] || set -- baseline patched

failed=0
for state in "$@"; do
	dir=$out/$state
	[ -f "$dir/bzImage" ] || die "$dir/bzImage not found: run make verify BASE=$BASE first"
	maps=0 raced=0 spurious=0 efault=0 bad=0
	for round in $(seq "$rounds"); do
		log="$dir/stress-$round.log"
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
