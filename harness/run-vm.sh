#!/bin/bash
# run-vm.sh KERNEL INITRD TEST LOG [CMDLINE...]: boot the verification
# guest (q35, 8 GiB or 12 for KUnit, emulated VT-d, an ivshmem BAR of
# $IVSHMEM_SIZE, default 1G)
# with kernel KERNEL and initramfs INITRD, run guest test TEST and write
# the serial console to LOG.  Extra kernel command line words may follow.
# GUEST_ARCH=arm64: QEMU's virt machine with an SMMUv3 instead, the same
# BAR, memory and command line, the console on its PL011.
#
# The guest powers itself off after the test.  It is killed when it runs
# longer than $VM_TIMEOUT seconds (default 300), or $GRACE seconds
# (default 15) after the console shows a kernel splat (a guest that oopsed
# while holding a lock often never finishes) or after the test ended
# without the guest powering off.  Exits 0 when QEMU ended by
# itself, 124 when the guest was killed, 125 when QEMU failed (its
# message is appended to LOG); the verdict is judge.py's.  A killed
# guest's vCPU registers and local APIC state are saved as LOG.monitor.
# QEMU is killed and reaped whenever this script ends: on a signal too.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

kernel=$1
initrd=$2
test_name=$3
log=$4
shift 4

guest_arch_setup
need "$QEMU" "$QEMU_PACKAGE"

[[ ${IVSHMEM_SIZE:-1G} =~ ^[1-9][0-9]*[MG]$ ]] ||
	die "IVSHMEM_SIZE=$IVSHMEM_SIZE: give the BAR's size as QEMU takes it, e.g. 1G or 256M"
timeout=${VM_TIMEOUT:-300}
grace=${GRACE:-15}
# The CPU model under TCG and under KVM.
case $GUEST_ARCH in
arm64)
	# Under TCG, QEMU's own pointer authentication algorithm instead of
	# the architected QARMA, which TCG emulates slowly.
	tcg_cpu=max,pauth-impdef=on kvm_cpu=host ;;
*)
	# la57=off: with 5-level paging, a KASAN kernel can report a false
	# "wild-memory-access" for an interrupt that arrives while
	# identify_cpu() has cleared the boot CPU's capabilities, LA57 among
	# them (upstream thread: EVIDENCE.md).  No test needs 5-level paging.
	tcg_cpu=max,la57=off kvm_cpu=host,la57=off ;;
esac
accel=(-accel "tcg,thread=${TCG_THREAD:-multi}" -cpu "$tcg_cpu")
if [ "${ACCEL:-tcg}" = kvm ]; then
	[ -w /dev/kvm ] || die "ACCEL=kvm but /dev/kvm is not usable"
	accel=(-accel kvm -cpu "$kvm_cpu")
fi

kunit=kunit.enable=0
mem=8G
# KUnit's PUD-level case and the test-only RAM device (opened by the
# ram_* and fault_error_* tests) need 1 GiB of
# contiguous memory that GFP_KERNEL may take, i.e. outside ZONE_MOVABLE:
# movablecore keeps 4 GiB free of unmovable allocations, and these boots
# get more memory: KUnit allocates while the kernel is young, and a
# KASAN kernel's shadow and quarantine leave 8 GiB too fragmented.
case $test_name in
kunit)
	kunit="kunit.enable=1 kunit.filter_glob=${KUNIT_FILTER:-follow_pfnmap*} movablecore=4G"
	mem=12G
	;;
ram_* | fault_error_*)
	kunit="$kunit movablecore=4G"
	mem=12G
	;;
esac

: >"$log"
rm -f "$log.monitor"
# The monitor socket lives in /tmp: a unix socket path has at most 107 bytes.
monitor_dir=$(mktemp -d /tmp/run-vm.XXXXXX)
monitor=$monitor_dir/monitor
qemu=
# stop_qemu: kill QEMU (if it still runs: SIGTERM, then SIGKILL after 10
# s) and reap it.
# shellcheck disable=SC2317 # run by the EXIT trap
stop_qemu() {
	local waited=0
	[ -n "$qemu" ] || return 0
	kill "$qemu" 2>/dev/null || true
	while kill -0 "$qemu" 2>/dev/null && [ "$waited" -lt 10 ]; do
		sleep 1
		waited=$((waited + 1))
	done
	kill -9 "$qemu" 2>/dev/null || true
	wait "$qemu" 2>/dev/null || true
	qemu=
}
trap 'stop_qemu; rm -rf "$monitor_dir"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
# eim=on lets the guest run its local APICs in x2APIC mode, where an EOI
# is an MSR write.  In xAPIC mode an EOI is an MMIO write, and under
# multi-threaded TCG QEMU loses one while the decode-toggling test
# changes the memory map (7.2: in 1 boot of 20, 10.0: in every boot): the
# vCPU keeps its timer vector in service and never takes a timer or
# device interrupt again, and the guest stalls.  TCG emulates x2APIC
# since QEMU 9.0.
# shellcheck disable=SC2206 # $kunit is meant to split into words
# arm64: the virt machine's SMMUv3 translates the PCI devices' DMA, as
# VT-d does on q35.
machine=(-machine "q35,kernel-irqchip=split" -device "intel-iommu,intremap=on,eim=on")
console="console=ttyS0 intel_iommu=on"
monitor_cmds=("info registers -a" "info lapic 0" "info lapic 1")
if [ "$GUEST_ARCH" = arm64 ]; then
	machine=(-machine "virt,iommu=smmuv3,gic-version=3")
	console=console=ttyAMA0
	monitor_cmds=("info registers -a")
fi
"$QEMU" "${machine[@]}" "${accel[@]}" -smp 2 -m "$mem" \
	-nodefaults -display none -monitor "unix:$monitor,server,nowait" -no-reboot \
	-object "memory-backend-ram,id=ivshmem,size=${IVSHMEM_SIZE:-1G},share=on" \
	-device ivshmem-plain,memdev=ivshmem \
	-kernel "$kernel" -initrd "$initrd" -serial "file:$log" \
	-append "$console panic=-1 $kunit harness.test=$test_name $*" \
	</dev/null >"$log.qemu" 2>&1 &
qemu=$!

killed=
start=$SECONDS
splat_at=
ended_at=
while kill -0 "$qemu" 2>/dev/null; do
	# A second, or less when QEMU ends before.
	timeout 1 tail -s 0.1 --pid="$qemu" -f /dev/null || true
	if [ -z "$splat_at" ] && "$HARNESS_DIR/judge.py" --has-splat "$log"; then
		splat_at=$SECONDS
	fi
	if [ -z "$ended_at" ] && grep -q "HARNESS-TEST-END " "$log"; then
		ended_at=$SECONDS
	fi
	if [ -n "$splat_at" ] && [ $((SECONDS - splat_at)) -ge "$grace" ]; then
		killed="kernel splat on the console, guest killed after ${grace}s"
	elif [ -n "$ended_at" ] && [ $((SECONDS - ended_at)) -ge "$grace" ]; then
		killed="guest did not power off within ${grace}s after the test ended (stall), killed"
	elif [ $((SECONDS - start)) -ge "$timeout" ]; then
		killed="guest still running after ${timeout}s, killed (stall)"
	fi
	if [ -n "$killed" ]; then
		# What the vCPUs and their local APICs were doing, for the record.
		timeout -k 5 30 "$HARNESS_DIR/monitor.py" "$monitor" "${monitor_cmds[@]}" \
			>"$log.monitor" 2>&1 || true
		kill "$qemu" 2>/dev/null || true
		break
	fi
done
qemu_rc=0
wait "$qemu" || qemu_rc=$?
qemu=
# run-vm's own line starts a line of its own, whatever the guest left.
[ -z "$(tail -c 1 "$log")" ] || echo >>"$log"
if [ -n "$killed" ]; then
	# Only now: QEMU writes the console file from its own offset, and
	# would overwrite a line added while it runs.
	echo "run-vm: $killed" >>"$log"
	exit 124
fi
if [ "$qemu_rc" != 0 ]; then
	echo "run-vm: QEMU exited with status $qemu_rc: $(tail -n 1 "$log.qemu")" >>"$log"
	exit 125
fi
exit 0
