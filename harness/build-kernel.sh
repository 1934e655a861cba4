#!/bin/bash
# build-kernel.sh SRC BUILD VARIANT [LABEL]: configure and build the guest
# kernel of source tree SRC out of tree in BUILD.  VARIANT is "vm"
# (tinyconfig + config/vm.config + config/tests.config) or "debug" (the
# same plus config/debug.config).  Prints the path of the bzImage: a copy
# in the results cache (lib.sh) when this tree was built so before.
# Progress lines on stderr start with LABEL (the kernel: baseline,
# patched, ...): one before the build, naming its log, then one every
# HEARTBEAT seconds; V=1 streams the log.  With
# GUEST_ARCH=arm64 the kernel is cross-built for arm64 with
# config/vm-arm64.config instead of config/vm.config, and the image is
# arm64's Image.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

src=$1
build=$2
variant=${3:-vm}
label=${4:-$variant kernel}

need make make
need gcc gcc
need flex flex
need bison bison
need bc bc
need pahole dwarves
need ccache ccache
[ -f /usr/include/libelf.h ] || die "libelf.h not found: apt-get install libelf-dev"
[ -f /usr/include/openssl/ssl.h ] || die "openssl headers not found: apt-get install libssl-dev"

guest_arch_setup
need "${CROSS_PREFIX}gcc" "$CROSS_PACKAGE"
frags=("$REPO_DIR/config/$VM_CONFIG" "$REPO_DIR/config/tests.config")
case $variant in
vm) ;;
debug) frags+=("$REPO_DIR/config/debug.config") ;;
*) die "unknown variant '$variant' (vm, debug)" ;;
esac

# The same tree, fragments, script and compiler built this before.
# CONFIG_ONLY=1: configure BUILD (for static-checks.sh), build nothing.
cached=''
if [ "${CONFIG_ONLY:-0}" = 0 ] && tree=$(src_tree "$src") &&
	cached=$(cache_dir_for "$IMAGE_NAME-$variant" "$tree" "$(toolchain)" \
		"$(files_hash "${frags[@]}" "$0")") &&
	[ -f "$cached/$IMAGE_NAME" ]; then
	echo "$cached/$IMAGE_NAME"
	exit 0
fi

mkdir -p "$build"
log_file=$build/build.log
jobs=${JOBS:-$(nproc)}
export CCACHE_DIR=${CCACHE_DIR:-$CACHE_DIR/ccache}
export CCACHE_BASEDIR=$src
# Same timestamp for every build so that ccache hits across trees.
export KBUILD_BUILD_TIMESTAMP="${KBUILD_BUILD_TIMESTAMP:-Thu Jan  1 00:00:00 UTC 2026}"
export KBUILD_BUILD_USER=pfnmap KBUILD_BUILD_HOST=harness
mk=(make -C "$src" O="$build" ARCH="$KERNEL_ARCH" CROSS_COMPILE="$CROSS_PREFIX"
	CC="ccache ${CROSS_PREFIX}gcc" -j"$jobs")

fail() {
	echo "---- last 30 lines of $log_file ----" >&2
	tail -n 30 "$log_file" >&2
	die "$*"
}

if [ "${CONFIG_ONLY:-0}" = 0 ]; then
	log "$label: building the $variant kernel for $GUEST_ARCH (log: $log_file)"
fi
{
	"${mk[@]}" -s tinyconfig &&
		KCONFIG_CONFIG=$build/.config "$src/scripts/kconfig/merge_config.sh" \
			-m -O "$build" "$build/.config" "${frags[@]}" &&
		"${mk[@]}" -s olddefconfig
} >"$log_file" 2>&1 || fail "kernel configuration failed"

# Every option the fragments ask for must have survived olddefconfig.
# check_fragment FILE OPTIONAL: with OPTIONAL=1, options that the tree does
# not define (test options on the unpatched baseline) may be missing.
check_fragment() {
	local line opt ok=0
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		opt=${line%%=*}
		grep -qx "$line" "$build/.config" && continue
		if [ "$2" = 1 ] && ! grep -rqs "^config ${opt#CONFIG_}\$" \
			"$src/mm" "$src/lib" "$src/drivers/vfio"; then
			continue
		fi
		echo "config: $line requested, got: $(grep "^$opt=\|# $opt is" "$build/.config" || echo unset)" >&2
		ok=1
	done <"$1"
	return $ok
}
missing=0
for frag in "${frags[@]}"; do
	optional=0
	[ "${frag##*/}" = tests.config ] && optional=1
	check_fragment "$frag" "$optional" || missing=1
done
[ "$missing" = 0 ] || die "configuration does not provide what config/*.config asks for"
[ "${CONFIG_ONLY:-0}" = 0 ] || exit 0

# Not silent (no -s): the log, the heartbeat and V=1 show each CC and LD.
run_logged "$label" "$log_file" "${mk[@]}" "$IMAGE_NAME" || fail "kernel build failed"
cache_put "$cached" "$build/arch/$SRCARCH/boot/$IMAGE_NAME"
echo "$build/arch/$SRCARCH/boot/$IMAGE_NAME"
