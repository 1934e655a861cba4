#!/bin/bash
# static-checks.sh SRC BUILD BASEREF PATCHED: compile the C files that the
# series touches with W=1 and sparse (C=1), once at BASEREF and once at
# PATCHED, in build dir BUILD (configured by build-kernel.sh), and fail
# when the patched tree has warnings in those files that the base has not.
# Also runs kernel-doc -Wall on them.  Leaves SRC checked out at PATCHED.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

src=$1
build=$2
baseref=$3
patched=$4

need sparse sparse
# The kernel's Makefile drops C=1 silently when sparse is too old for it.
if [ -x "$src/scripts/checker-valid.sh" ] &&
	[ "$("$src/scripts/checker-valid.sh" sparse --arch=x86_64 -mlittle-endian -m64)" != 1 ]; then
	die "sparse $(sparse --version) is too old for this kernel: run harness/install-deps.sh"
fi
export CCACHE_DIR=${CCACHE_DIR:-$CACHE_DIR/ccache}

mapfile -t files < <(git -C "$src" diff --name-only "$baseref" "$patched" -- '*.c' |
	grep -v '^tools/\|^arch/[^x]\|^drivers/virt/acrn/')

# Object to build for a source file; KVM's common code is built from
# arch/x86/kvm.
obj_of() {
	case $1 in
	virt/kvm/*) echo "arch/x86/kvm/" ;;
	*) echo "${1%.c}.o" ;;
	esac
}

# warnings REF OUT: configure BUILD for REF as build-kernel.sh does, build
# the objects at REF, keep their warnings in OUT without line numbers.  A
# make that fails without a compiler error is the harness's failure.
warnings() {
	local ref=$1 out=$2 f rc
	git -C "$src" checkout -q -f "$ref"
	CONFIG_ONLY=1 "$HARNESS_DIR/build-kernel.sh" "$src" "$build" vm >/dev/null
	: >"$out.raw"
	for f in "${files[@]}"; do
		[ -f "$src/$f" ] || continue
		touch "$src/$f"
		rc=0
		make -s -C "$src" O="$build" ARCH=x86_64 CC="ccache gcc" \
			-j"${JOBS:-$(nproc)}" W=1 C=1 "$(obj_of "$f")" >"$out.make" 2>&1 || rc=$?
		cat "$out.make" >>"$out.raw"
		if [ "$rc" != 0 ] && ! grep -q 'error:' "$out.make"; then
			tail -n 20 "$out.make" >&2
			die "make $(obj_of "$f") failed at $ref without a compiler error"
		fi
		"$src/scripts/kernel-doc" -none -Wall "$src/$f" >>"$out.raw" 2>&1 || true
	done
	grep -E "(warning|error|Warning):" "$out.raw" |
		grep -F -f <(printf '%s\n' "${files[@]}") |
		sed -E 's/:[0-9]+(:[0-9]+)?[: ]/: /; s|^.*/src/[^/]*/||; s|^\.\./\.\./||' |
		sort -u >"$out" || true
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log "static checks: building ${#files[@]} files before and after the series with W=1 and sparse in $build"
# The results cache (lib.sh): the same two trees, files, scripts, config
# and tools gave these warnings before.
warnings_before_after "$src" "$baseref" "$patched" "$tmp" static "${files[@]}" \
	"$(toolchain)" "$(sparse --version)" \
	"$(files_hash "$0" "$HARNESS_DIR/build-kernel.sh" "$REPO_DIR"/config/vm.config \
		"$REPO_DIR"/config/tests.config)"
new=$(comm -13 "$tmp/base" "$tmp/patched")
log "static checks (W=1, sparse, kernel-doc) on ${#files[@]} files: $(wc -l <"$tmp/base") warnings before, $(wc -l <"$tmp/patched") after$WARNINGS_HOW"
if [ -n "$new" ]; then
	printf '%s\n' "$new" >&2
	die "the series adds warnings"
fi
