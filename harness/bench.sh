#!/bin/bash
# bench.sh: boot the baseline and the patched kernel of the last make
# verify of BASE in turn with repro/bench_pfnmap (guest test "bench") and
# print the table of ratios patched/baseline that harness/bench.py makes.
# Absolute times under QEMU TCG mean little; ratios between kernels booted
# one after the other in one run do, read against the noise: each kernel
# boots BENCH_ROUNDS times (default 3), alternating, the table takes the
# median boot and shows how far apart a kernel's own boots are.
#
# The control: a kernel with every patch the MAP_DMA and KVM fault paths
# run, the series without the page-walk patch (nowalkfix, the branch make
# verify made), built here as the baseline and patched kernels are (verify
# builds nowalkfix with the debug options).  Under TCG the same code at
# other addresses runs at another speed: how far patched lands from it on
# a path the page-walk patch is not on is the size of that effect.
#
# Environment: BASE (default 7.3), BENCH_CONTROL=0 (no control kernel),
# BENCH_SIZES (ivshmem BAR sizes, powers
# of two from 2M to 2G, default "256M 1G 2G": below 1G vfio-pci maps the
# BAR with PMDs, which page walks do not split), BENCH_ROUNDS (boots per
# kernel and size, at least 2), BENCH_SECONDS (length of each KVM
# measurement, default 5).  Writes out/BASE/bench/: a console per boot,
# summary.txt and summary.json.  Exits 1 when bench.py finds a boot that
# measured less than asked.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

sizes=${BENCH_SIZES:-256M 1G 2G}
rounds=${BENCH_ROUNDS:-3}
seconds=${BENCH_SECONDS:-5}

# Bad input fails here, before any boot.
base_fact "$BASE" suites >/dev/null
for s in $sizes; do
	case $s in
	2M | 4M | 8M | 16M | 32M | 64M | 128M | 256M | 512M | 1G | 2G) ;;
	*) die "BENCH_SIZES: '$s' is not a power of two from 2M to 2G (the KVM guest maps the BAR below 4 GiB), e.g. BENCH_SIZES='256M 1G 2G'" ;;
	esac
done
[ -n "$sizes" ] || die "BENCH_SIZES is empty: give sizes, e.g. BENCH_SIZES='256M 1G 2G'"
{ [[ $rounds =~ ^[0-9]+$ ]] && [ "$rounds" -ge 2 ]; } ||
	die "BENCH_ROUNDS=$rounds: give 2 or more (two boots of a kernel measure the noise)"
{ [[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ]; } ||
	die "BENCH_SECONDS=$seconds: give whole seconds, 1 or more"
need cpio cpio
run=$OUT_DIR/$BASE
for state in baseline patched; do
	for f in bzImage initramfs.cpio; do
		[ -f "$run/$state/$f" ] || die "$run/$state/$f not found: run make verify BASE=$BASE first"
	done
	cpio -it --quiet <"$run/$state/initramfs.cpio" | grep -qx 'tests/bin/bench_pfnmap' ||
		die "$run/$state/initramfs.cpio has no bench_pfnmap (built before make bench existed): run make verify BASE=$BASE again"
done
states="baseline patched"
if [ "${BENCH_CONTROL:-1}" != 0 ]; then
	src=$CACHE_DIR/src/$BASE
	[ -z "${KDIR:-}" ] || src=$CACHE_DIR/kdir-$BASE
	git -C "$src" rev-parse -q --verify pfnmap-nowalkfix >/dev/null 2>&1 ||
		die "$src has no branch pfnmap-nowalkfix for the control kernel: run make verify BASE=$BASE (all tests), or BENCH_CONTROL=0"
	states="baseline nowalkfix patched"
fi
lock_base "$BASE" bench
check_qemu

out=$run/bench.new
rm -rf "$out"
mkdir -p "$out"
{
	head -n 1 "$run/summary.txt"
	echo "make bench at $(git -C "$REPO_DIR" describe --always --dirty), $(date -u +%Y-%m-%dT%H:%MZ)," \
		"qemu $(qemu-system-x86_64 --version | head -n 1 | sed 's/.*version //'), TCG," \
		"$(nproc) host cores; $rounds boots per kernel ($states), alternating;" \
		"KVM measurements ${seconds} s"
} >"$out/header.txt"

declare -A kernel=([baseline]=$run/baseline/bzImage [patched]=$run/patched/bzImage)
if [ "${BENCH_CONTROL:-1}" != 0 ]; then
	git -C "$src" checkout -q -f pfnmap-nowalkfix
	kernel[nowalkfix]=$("$HARNESS_DIR/build-kernel.sh" "$src" "$CACHE_DIR/build/$BASE-vm" vm)
	log "bench: control kernel nowalkfix built"
fi

for size in $sizes; do
	for round in $(seq "$rounds"); do
		for state in $states; do
			log "bench: BAR $size, $state, boot $round"
			# The patched kernel's initramfs serves the control.
			IVSHMEM_SIZE=$size "$HARNESS_DIR/run-vm.sh" "${kernel[$state]}" \
				"$run/${state/nowalkfix/patched}/initramfs.cpio" bench \
				"$out/$size-$state-$round.log" "BENCH_SECONDS=$seconds" || true
		done
	done
done

rc=0
"$HARNESS_DIR/bench.py" "$out" || rc=$?
[ "$rc" -le 1 ] || die "bench.py failed: the consoles stay in $out"
# The third measurement of the issue, the retry depth under each race,
# comes from make verify's depth kernel; quote.py prints it.
if [ -f "$run/summary.json" ]; then
	depth=$("$HARNESS_DIR/quote.py" "$run" | grep '^retry depth' || true)
	{
		echo
		echo "Retry depth (make verify's depth kernel, $run):"
		echo "${depth:-none recorded: make verify with MEASURE=1 measures it}"
	} | tee -a "$out/summary.txt"
fi
replace_dir "$out" "$run/bench"
exit "$rc"
