#!/bin/bash
# cross-checks.sh SRC BASEREF PATCHED ARCH: compile the C files that the
# series touches for another architecture (lib.sh cross_arches) with W=1
# and, where sparse works for it, sparse (C=1), once at BASEREF and once
# at PATCHED, and fail when the patched tree has warnings in those files
# that the base has not: static-checks.sh's comparison, for page-table
# code that other architectures fold or define otherwise.  Every object
# must be built: one the configuration leaves out fails the check.  The
# kernel is configured with tinyconfig + config/cross.config +
# config/cross-ARCH.config in $PFNMAP_CACHE/build/BASE-cross-ARCH.
# Leaves SRC checked out at PATCHED.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

src=$1
baseref=$2
patched=$3
arch=$4
arch_setup "$arch"
cross=$CROSS_PREFIX
build=$CACHE_DIR/build/$BASE-cross-$arch
frags=("$REPO_DIR/config/cross.config" "$REPO_DIR/config/cross-$arch.config")

need sparse sparse
need "${cross}gcc" "$CROSS_PACKAGE"
export CCACHE_DIR=${CCACHE_DIR:-$CACHE_DIR/ccache}
export CCACHE_BASEDIR=$src
mk=(make -s -C "$src" O="$build" ARCH="$KERNEL_ARCH" CROSS_COMPILE="$cross"
	CC="ccache ${cross}gcc" -j"${JOBS:-$(nproc)}")

# The touched files this architecture builds: none of another
# architecture's, the ACRN driver on x86_64 only (ACRN_GUEST depends on
# X86_64), vfio_iommu_type1 where drivers/vfio/Kconfig selects it.
files=()
while read -r f; do
	case $f in
	tools/*) continue ;;
	arch/"$SRCARCH"/*) ;;
	arch/*) continue ;;
	drivers/virt/acrn/*) [ "$arch" = x86_64 ] || continue ;;
	drivers/vfio/vfio_iommu_type1.c) [ "$HAS_TYPE1" = 1 ] || continue ;;
	virt/kvm/*) [ -n "$KVM_DIR" ] || continue ;;
	esac
	files+=("$f")
done < <(git -C "$src" diff --name-only "$baseref" "$patched" -- '*.c')
[ ${#files[@]} -gt 0 ] || die "no C file of the series to build for $arch"

# Object to build for a source file; KVM's common code is built from the
# architecture's KVM directory, and checked for as virt/kvm/FILE.o.
obj_of() {
	case $1 in
	virt/kvm/*) echo "$KVM_DIR/" ;;
	*) echo "${1%.c}.o" ;;
	esac
}

# configure REF: the configuration of BUILD for REF; every option the
# fragments ask for must survive olddefconfig (the KUnit test's only
# where the tree defines it).
configure() {
	local line opt missing=0
	mkdir -p "$build"
	{
		"${mk[@]}" tinyconfig &&
			KCONFIG_CONFIG=$build/.config "$src/scripts/kconfig/merge_config.sh" \
				-m -O "$build" "$build/.config" "${frags[@]}" &&
			"${mk[@]}" olddefconfig
	} >"$build/config.log" 2>&1 || { tail -n 20 "$build/config.log" >&2; die "$arch: configuration failed"; }
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		opt=${line%%=*}
		grep -qx "$line" "$build/.config" && continue
		[ "$opt" = CONFIG_FOLLOW_PFNMAP_KUNIT_TEST ] &&
			! grep -qs "^config FOLLOW_PFNMAP_KUNIT_TEST\$" "$src/mm/Kconfig" && continue
		echo "config ($arch): $line requested, got: $(grep "^$opt=\|# $opt is" "$build/.config" || echo unset)" >&2
		missing=1
	done < <(cat "${frags[@]}")
	[ "$missing" = 0 ] || die "$arch: configuration does not provide what config/cross*.config asks for"
}

# warnings REF OUT: build the objects at REF, keep their warnings in OUT
# without line numbers.  A make that fails without a compiler error, or
# leaves an object unbuilt, is the harness's failure.
warnings() {
	local ref=$1 out=$2 f o rc
	git -C "$src" checkout -q -f "$ref"
	configure
	: >"$out.raw"
	for f in "${files[@]}"; do
		[ -f "$src/$f" ] || continue
		o=$build/${f%.c}.o
		rm -f "$o"
		touch "$src/$f"
		rc=0
		"${mk[@]}" W=1 C="$SPARSE" "$(obj_of "$f")" >"$out.make" 2>&1 || rc=$?
		cat "$out.make" >>"$out.raw"
		if [ "$rc" != 0 ] && ! grep -q 'error:' "$out.make"; then
			tail -n 20 "$out.make" >&2
			die "$arch: make $(obj_of "$f") failed at $ref without a compiler error"
		fi
		[ "$rc" != 0 ] || [ -f "$o" ] || die "$arch: $f was not compiled at $ref (configuration?)"
	done
	grep -E "(warning|error|Warning):" "$out.raw" |
		grep -F -f <(printf '%s\n' "${files[@]}") |
		sed -E 's/:[0-9]+(:[0-9]+)?[: ]/: /; s|^.*/src/[^/]*/||; s|^\.\./\.\./||; s#^[^ ]*/(arch|drivers|mm|virt)/#\1/#' |
		sort -u >"$out" || true
}

# Does sparse work for this architecture?  The kernel's Makefile drops
# C=1 silently when it does not (scripts/checker-valid.sh).
SPARSE=1
read -ra sparse_flags <<<"$SPARSE_FLAGS"
if [ -x "$src/scripts/checker-valid.sh" ] &&
	[ "$("$src/scripts/checker-valid.sh" sparse "${sparse_flags[@]}")" != 1 ]; then
	SPARSE=0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t0=$SECONDS
log "cross checks $arch: building ${#files[@]} files before and after the series in $build"
warnings_before_after "$src" "$baseref" "$patched" "$tmp" "cross-$arch" "${files[@]}" \
	"$(toolchain)" "$("${cross}gcc" --version | head -n 1)" "$(sparse --version)" \
	"$(files_hash "$0" "$HARNESS_DIR/lib.sh" "${frags[@]}")"
new=$(comm -13 "$tmp/base" "$tmp/patched")
what="W=1$([ "$SPARSE" = 1 ] && echo ", sparse")"
log "cross checks $arch ($what) on ${#files[@]} files: $(wc -l <"$tmp/base") warnings before, $(wc -l <"$tmp/patched") after ($((SECONDS - t0)) s$WARNINGS_HOW)"
if [ -n "$new" ]; then
	printf '%s\n' "$new" >&2
	die "the series adds warnings on $arch"
fi
