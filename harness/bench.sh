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
# run, the series without the page-walk patch (nowalkfix, the commit the
# last make verify made it from), built here as the baseline and patched
# kernels are (verify builds nowalkfix with the debug options).  Patched
# against nowalkfix is what the page-walk patch changes, nowalkfix
# against baseline what the rest of the series changes.
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

# Bad input fails here, before any boot (BENCH_SIZES, BENCH_ROUNDS,
# BENCH_SECONDS and BENCH_CONTROL are knobs: harness/knobs).
need python3 python3
check_knobs
[ "$GUEST_ARCH" = x86_64 ] ||
	die "make bench boots x86_64 guests only (the KVM guest of repro/kvm.h is x86 code), not ARCH=$GUEST_ARCH"
read -r -a sizes <<<"${BENCH_SIZES-256M 1G 2G}"
rounds=${BENCH_ROUNDS:-3}
seconds=${BENCH_SECONDS:-5}
control=${BENCH_CONTROL:-1}
need cpio cpio
run=$OUT_DIR/$BASE
for state in baseline patched; do
	for f in bzImage initramfs.cpio; do
		[ -f "$run/$state/$f" ] || die "$run/$state/$f not found: run make verify BASE=$BASE first"
	done
	cpio -it --quiet <"$run/$state/initramfs.cpio" | grep -x 'tests/bin/bench_pfnmap' >/dev/null ||
		die "$run/$state/initramfs.cpio has no bench_pfnmap (built before make bench existed): run make verify BASE=$BASE again"
done
states=(baseline patched)
if [ "$control" = 1 ]; then
	# The control kernel comes from the tree and the commit the last
	# verify made nowalkfix of (out/BASE/branches), and must differ from
	# the patched kernel's in the files of the patches nowalkfix leaves
	# out (harness/stacks/BASE) and nothing else.
	branches=$run/branches
	src=$(sed -n 's/^src //p' "$branches" 2>/dev/null) || true
	nowalkfix=$(awk '$1 == "nowalkfix" { print $2 }' "$branches" 2>/dev/null) || true
	patched=$(awk '$1 == "patched" { print $2 }' "$branches" 2>/dev/null) || true
	{ [ -n "$src" ] && [ -n "$nowalkfix" ] && [ -n "$patched" ]; } ||
		die "$branches names no nowalkfix kernel: run make verify BASE=$BASE (all tests), or BENCH_CONTROL=0"
	git -C "$src" cat-file -e "$nowalkfix^{commit}" 2>/dev/null ||
		die "$src no longer has the commit $nowalkfix of the last verify: run make verify BASE=$BASE again"
	filter=$(base_facts "$BASE" partial | sed -n 's/^nowalkfix[[:space:]]\+//p')
	left_out=$("$HARNESS_DIR/patch-files.sh" "$BASE" "$filter")
	differ=$(git -C "$src" diff --name-only "$nowalkfix" "$patched" | sort -u)
	[ "$differ" = "$left_out" ] ||
		die "the nowalkfix kernel of the last verify differs from patched in $(echo "$differ" | paste -sd ' '), not only in the left-out patches' $(echo "$left_out" | paste -sd ' '): run make verify BASE=$BASE again"
	states=(baseline nowalkfix patched)
fi
lock_base "$BASE" bench
check_qemu

out=$run/bench.new
rm -rf "$out"
mkdir -p "$out"
cat >"$out/asked.json" <<EOF
{"sizes": [$(printf '"%s",' "${sizes[@]}" | sed 's/,$//')], "rounds": $rounds,
 "kernels": [$(printf '"%s",' "${states[@]}" | sed 's/,$//')], "seconds": $seconds}
EOF
{
	head -n 1 "$run/summary.txt"
	echo "make bench at $(git -C "$REPO_DIR" describe --always --dirty), $(date -u +%Y-%m-%dT%H:%MZ)," \
		"qemu $(qemu-system-x86_64 --version | head -n 1 | sed 's/.*version //'), TCG," \
		"$(nproc) host cores, load average $(cut -d ' ' -f 1-3 /proc/loadavg) at the start;" \
		"$rounds boots per kernel (${states[*]}), each round in another order;" \
		"KVM measurements ${seconds} s"
} >"$out/header.txt"

declare -A kernel=([baseline]=$run/baseline/bzImage [patched]=$run/patched/bzImage)
if [ "$control" = 1 ]; then
	git -C "$src" checkout -q -f --detach "$nowalkfix"
	kernel[nowalkfix]=$("$HARNESS_DIR/build-kernel.sh" "$src" "$(build_dir vm)" vm)
	log "bench: control kernel nowalkfix built"
fi

n=${#states[@]}
for size in "${sizes[@]}"; do
	for round in $(seq "$rounds"); do
		# Round r starts with the r-th kernel: none always boots last.
		for i in $(seq 0 $((n - 1))); do
			state=${states[$(((round - 1 + i) % n))]}
			log "bench: BAR $size, $state, boot $round (console: $out/$size-$state-$round.log)"
			# The patched kernel's initramfs serves the control.
			IVSHMEM_SIZE=$size "$HARNESS_DIR/run-vm.sh" "${kernel[$state]}" \
				"$run/${state/nowalkfix/patched}/initramfs.cpio" bench \
				"$out/$size-$state-$round.log" "BENCH_SECONDS=$seconds" || true
		done
	done
done
echo "load average $(cut -d ' ' -f 1-3 /proc/loadavg) at the end" >>"$out/header.txt"

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
