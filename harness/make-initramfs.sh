#!/bin/bash
# make-initramfs.sh SRC BUILD OUT: build the guest's initramfs OUT (a newc
# cpio) from busybox-static, guest/, the vfio selftests and some mm
# selftests of kernel tree SRC (statically linked against the uapi headers
# of build dir BUILD) and the reproducers in repro/.  GUEST_ARCH=arm64:
# all cross-built for arm64, with arm64's busybox-static
# (get-guest-debs.sh), without the reproducers that run an x86 KVM guest
# (those that include kvm.h).
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

src=$1
build=$2
out=$3

guest_arch_setup
cc=${CROSS_PREFIX}gcc
need cpio cpio
need "$cc" "$CROSS_PACKAGE"
[ -f "$LIBC_A" ] || die "$LIBC_A not found: apt-get install $LIBC_PACKAGE"
debs=$("$HARNESS_DIR/get-guest-debs.sh" "$DEB_ARCH")
busybox=${debs%/}/bin/busybox
[ -x "$busybox" ] || die "$busybox not found: apt-get install busybox-static"
file -L "$busybox" 2>/dev/null | grep -q "statically linked" ||
	die "$busybox is not static: apt-get install busybox-static"
# The selftests' makefiles, for another architecture than this one's,
# with that architecture's libuuid.
cross_make=()
static=-static
if [ "$GUEST_ARCH" != x86_64 ]; then
	cross_make=(ARCH="$KERNEL_ARCH" CROSS_COMPILE="$CROSS_PREFIX")
	static="-static -I$debs/usr/include -L$debs/usr/lib/${CROSS_PREFIX%-}"
fi

# The results cache (lib.sh): the same tree, guest files, reproducers,
# busybox and toolchain made this before.
cached=''
if tree=$(src_tree "$src") &&
	cached=$(cache_dir_for "initramfs$ARCH_SUFFIX" "$tree" "$(toolchain)" "$(ldd --version | head -n 1)" \
		"$("$cc" --version | head -n 1)" \
		"$(files_hash "$0" "$busybox" "$REPO_DIR"/guest/init "$REPO_DIR"/guest/tests/* \
			"$REPO_DIR"/repro/*)") &&
	[ -f "$cached/initramfs.cpio" ]; then
	cp "$cached/initramfs.cpio" "$out"
	echo "$out"
	exit 0
fi

log "initramfs: building the guest's programs for $GUEST_ARCH ($out)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,tests/bin}

make -s -C "$src" O="$build" ARCH="$KERNEL_ARCH" headers >"$work/headers.log" 2>&1 ||
	{ tail -n 30 "$work/headers.log" >&2; die "make headers failed"; }

# The vfio selftests, where the tree has them (not 6.12).
st=$src/tools/testing/selftests/vfio
if [ -d "$st" ]; then
	mkdir -p "$work/selftests"
	make -s -C "$st" OUTPUT="$work/selftests" "${cross_make[@]}" \
		KHDR_INCLUDES="-isystem $build/usr/include" EXTRA_CFLAGS="$static" \
		>"$work/selftests.log" 2>&1 ||
		{ tail -n 30 "$work/selftests.log" >&2; die "building $st failed"; }
	for prog in "$work"/selftests/vfio_*_test; do
		cp "$prog" "$root/tests/bin/"
	done
fi

# The mm selftests that exercise what the series touches (peers): the
# programs that the guest's mm_* tests exec, where the tree has them.
mm=$src/tools/testing/selftests/mm
mm_tests=()
while read -r t; do
	if [ -f "$mm/$t.c" ]; then
		mm_tests+=("$t")
	fi
done < <(sed -n 's/^exec \([A-Za-z0-9_.-]*\).*/\1/p' "$REPO_DIR"/guest/tests/mm_*)
if [ ${#mm_tests[@]} -gt 0 ]; then
	mkdir -p "$work/mm"
	make -s -C "$mm" OUTPUT="$work/mm" "${cross_make[@]}" \
		KHDR_INCLUDES="-isystem $build/usr/include" EXTRA_CFLAGS="$static" \
		"${mm_tests[@]/#/$work/mm/}" >"$work/mm.log" 2>&1 ||
		{ tail -n 30 "$work/mm.log" >&2; die "building the mm selftests failed"; }
	cp "${mm_tests[@]/#/$work/mm/}" "$root/tests/bin/"
fi

for c in "$REPO_DIR"/repro/*.c; do
	[ -e "$c" ] || continue
	if [ "$GUEST_ARCH" != x86_64 ] && grep -q '^#include "kvm.h"' "$c"; then
		continue
	fi
	"$cc" -static -O2 -Wall -Werror -pthread -isystem "$build/usr/include" \
		-o "$root/tests/bin/$(basename "$c" .c)" "$c" ||
		die "building $c failed"
done

cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$REPO_DIR/guest/init" "$root/init"
cp "$REPO_DIR"/guest/tests/* "$root/tests/"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
if [ -n "$cached" ]; then
	cp "$out" "$work/initramfs.cpio"
	cache_put "$cached" "$work/initramfs.cpio"
fi
echo "$out"
