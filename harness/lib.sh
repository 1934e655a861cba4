# shellcheck shell=bash
# Common settings and helpers for the harness scripts.  Sourced, not run.
# shellcheck disable=SC2034 # the variables are for the sourcing scripts

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$HARNESS_DIR")
CACHE_DIR=${PFNMAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pfnmap-series}
OUT_DIR=${OUT_DIR:-$REPO_DIR/out}

# No Python of the harness, nor a kernel tree's kunit.py it runs, writes
# bytecode next to its sources: a kernel tree with __pycache__ in it
# would have no results-cache key.
export PYTHONDONTWRITEBYTECODE=1

# Every kernel make of the harness gets ARCH and CROSS_COMPILE from
# arch_setup: those of a shell set up for kernel cross work (export
# ARCH=arm64) would reach the makes that leave them out (the selftests').
unset ARCH CROSS_COMPILE

# The kernel base (harness/knobs has the default).
BASE=${BASE:-$(awk '$1 == "BASE" { print $3 }' "$HARNESS_DIR/knobs")}

die() {
	echo "error: $*" >&2
	exit 1
}

# No death by set -e is silent: the script, line and command that failed,
# and its status, once (not again from the subshells of a command
# substitution: the command that ran it is named).  A die() inside a
# command substitution has said why; this line then says where.
# shellcheck disable=SC2317 # run by the ERR trap
err_trap() {
	[[ $- == *e* ]] && [ "$BASH_SUBSHELL" = 0 ] || return 0
	echo "error: ${2#"$REPO_DIR"/}:$3: $4 exited $1" >&2
}
set -E
trap 'err_trap "$?" "${BASH_SOURCE[0]:-$0}" "$LINENO" "$BASH_COMMAND"' ERR

# log MESSAGE: a progress line, with the time of day, on stderr.
log() {
	echo "==> [$(date +%H:%M:%S)] $*" >&2
}

# run_logged LABEL LOG CMD...: run CMD with its output appended to LOG and
# a line every HEARTBEAT seconds (default 60) while it runs: LABEL, the
# time so far and LOG's last line.  V=1: LOG is streamed to the terminal
# as well, instead.  Returns CMD's status.
run_logged() {
	local label=$1 file=$2 beat=${HEARTBEAT:-60} rc=0 pid
	shift 2
	if [ "${V:-0}" = 1 ]; then
		"$@" 2>&1 | tee -a "$file" >&2 || rc=$?
		return "$rc"
	fi
	# The command runs in the foreground, where a signal reaches it; the
	# heartbeat ends with this script.
	(
		n=0
		while sleep 1 && kill -0 $$ 2>/dev/null; do
			n=$((n + 1))
			[ $((n % beat)) != 0 ] ||
				log "$label: $((n / 60)) min $((n % 60)) s so far: $(tail -n 1 "$file" 2>/dev/null | cut -c 1-100)"
		done
	) &
	pid=$!
	"$@" >>"$file" 2>&1 || rc=$?
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return "$rc"
}

# need CMD PACKAGE: fail with one line naming the Debian package.
need() {
	command -v "$1" >/dev/null 2>&1 ||
		die "'$1' not found: apt-get install $2"
}

# known_bases: the bases harness/stacks/ has a file for, newest first.
known_bases() {
	local f
	for f in "$HARNESS_DIR"/stacks/*; do
		echo "${f##*/}"
	done | sort -rV | paste -sd ' ' | sed 's/ /, /g'
}

# base_fact BASE KEY: the rest of the line of KEY in harness/stacks/BASE
# (suites, tests, debug, checkpatch-ignore, b4-check-ignore, stress);
# empty when the base has none.  Dies, naming the known bases, for an
# unknown BASE: call it in an assignment, which set -e checks.
base_fact() {
	local file=$HARNESS_DIR/stacks/$1
	[ -f "$file" ] || die "unknown base '$1' (known: $(known_bases))"
	awk -v key="$2" '$1 == key { sub(/^[^ \t]+[ \t]+/, ""); print; exit }' "$file"
}

# base_facts BASE KEY: the rest of every line of KEY, one a line.
base_facts() {
	local file=$HARNESS_DIR/stacks/$1
	[ -f "$file" ] || die "unknown base '$1' (known: $(known_bases))"
	awk -v key="$2" '$1 == key { sub(/^[^ \t]+[ \t]+/, ""); print }' "$file"
}

# The architectures the harness knows, the one list of them: the cross
# builds' (harness/cross-checks.sh, arch_setup) and, of those, the
# guests' (ARCH=, guest_arch_setup).
ARCHES=(x86_64 arm64 s390 riscv64 i386)
GUEST_ARCHES=(x86_64 arm64)
known_arches() {
	local arches=${ARCHES[*]}
	echo "${arches// /, }"
}
# The architectures cross-checks.sh builds the series for in make verify:
# all, unless CROSS_ARCHES is set (empty: none).
CROSS_ARCHES=${CROSS_ARCHES-${ARCHES[*]}}

# and_list WORD...: "WORD, WORD and WORD".
and_list() {
	printf '%s\n' "$@" | sed '$!s/$/,/' | paste -sd ' ' | sed 's/,\([^,]*\)$/ and\1/'
}

# known_states: the kernels verify.sh can build (harness/states), in order.
known_states() {
	awk '!/^#/ && NF { print $1 }' "$HARNESS_DIR/states" | paste -sd ' '
}

# arch_setup ARCH: the kernel's ARCH= (KERNEL_ARCH) and its arch/
# directory (SRCARCH), the compiler prefix (CROSS_PREFIX) and its Debian
# package, sparse's flags (SPARSE_FLAGS, as the kernel's Makefile passes
# them), the KVM directory that builds virt/kvm (KVM_DIR, empty without
# KVM) and whether drivers/vfio/Kconfig builds vfio_iommu_type1 there
# (HAS_TYPE1).  Dies, naming the known ones, for an unknown ARCH.
arch_setup() {
	KVM_DIR='' HAS_TYPE1=1 CROSS_PREFIX='' CROSS_PACKAGE=gcc
	case $1 in
	x86_64)
		KERNEL_ARCH=x86_64 SRCARCH=x86 KVM_DIR=arch/x86/kvm
		SPARSE_FLAGS="--arch=x86_64 -mlittle-endian -m64" ;;
	arm64)
		KERNEL_ARCH=arm64 SRCARCH=arm64 KVM_DIR=arch/arm64/kvm
		CROSS_PREFIX=aarch64-linux-gnu- CROSS_PACKAGE=gcc-aarch64-linux-gnu
		SPARSE_FLAGS="--arch=arm64 -mlittle-endian -m64" ;;
	s390)
		KERNEL_ARCH=s390 SRCARCH=s390 KVM_DIR=arch/s390/kvm
		CROSS_PREFIX=s390x-linux-gnu- CROSS_PACKAGE=gcc-s390x-linux-gnu
		SPARSE_FLAGS="--arch=s390 -mbig-endian -m64" ;;
	riscv64)
		KERNEL_ARCH=riscv SRCARCH=riscv KVM_DIR=arch/riscv/kvm HAS_TYPE1=0
		CROSS_PREFIX=riscv64-linux-gnu- CROSS_PACKAGE=gcc-riscv64-linux-gnu
		SPARSE_FLAGS="--arch=riscv -mlittle-endian -m64" ;;
	i386)
		KERNEL_ARCH=i386 SRCARCH=x86
		SPARSE_FLAGS="--arch=i386 -mlittle-endian -m32" ;;
	*) die "unknown ARCH '$1' (known: $(known_arches))" ;;
	esac
}

# The architecture of the guest kernels (make verify ARCH=): x86_64 (the
# default) or arm64.
GUEST_ARCH=${GUEST_ARCH:-x86_64}

# guest_arch_setup: arch_setup for GUEST_ARCH, plus the kernel image to
# build (IMAGE_NAME), the config fragment in place of vm.config
# (VM_CONFIG), the QEMU binary (QEMU, from QEMU_PACKAGE), the suffix of the out and build
# directories (ARCH_SUFFIX: empty for x86_64), Debian's name of the
# architecture (DEB_ARCH) and the static libc the guest's programs link
# (LIBC_A, from LIBC_PACKAGE).  Dies, naming the guest
# architectures, for any other.
guest_arch_setup() {
	case $GUEST_ARCH in
	x86_64)
		IMAGE_NAME=bzImage VM_CONFIG=vm.config QEMU=qemu-system-x86_64 ARCH_SUFFIX=''
		QEMU_PACKAGE=qemu-system-x86
		DEB_ARCH=amd64 LIBC_A=/usr/lib/x86_64-linux-gnu/libc.a LIBC_PACKAGE=libc6-dev ;;
	arm64)
		IMAGE_NAME=Image VM_CONFIG=vm-arm64.config QEMU=qemu-system-aarch64 ARCH_SUFFIX=-arm64
		QEMU_PACKAGE=qemu-system-arm
		DEB_ARCH=arm64 LIBC_A=/usr/aarch64-linux-gnu/lib/libc.a LIBC_PACKAGE=libc6-dev-arm64-cross ;;
	*)
		[[ " ${ARCHES[*]} " == *" $GUEST_ARCH "* ]] ||
			die "unknown ARCH '$GUEST_ARCH': the guests are $(and_list "${GUEST_ARCHES[@]}") (the cross builds': $(known_arches))"
		die "ARCH=$GUEST_ARCH has no guest: the guests are $(and_list "${GUEST_ARCHES[@]}") ($GUEST_ARCH is built by harness/cross-checks.sh)" ;;
	esac
	arch_setup "$GUEST_ARCH"
}

# Suites that carry linux-source-$1; get-source.sh takes the newest
# version any of them has.
suites_for_base() {
	base_fact "$1" suites
}

# debian_mirror main|security: the Debian mirror this machine's own apt
# configuration uses for its release's main archive or security updates
# (no host name is written into the repository).  Without a security
# entry, the main mirror's debian-security next to its debian.
debian_mirror() {
	local codename release uri
	# shellcheck source=/dev/null
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release: not Debian?"
	release=$codename
	[ "$1" = security ] && release=$codename-security
	# shellcheck disable=SC2016 # apt's own $(...) placeholders
	uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' |
		awk -v r="$release" '$2 == r { print $1; exit }')
	if [ -z "$uri" ] && [ "$1" = security ]; then
		uri=$(debian_mirror main)
		uri=${uri%/debian}/debian-security
	fi
	[ -n "$uri" ] || die "no $release mirror in this machine's apt configuration"
	echo "${uri%/}"
}

# apt_sources_list SUITE...: deb lines for SUITEs, each from the mirror
# this machine's apt configuration uses for it.
apt_sources_list() {
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg suite
	local main security
	main=$(debian_mirror main)
	security=$(debian_mirror security)
	for suite in "$@"; do
		case $suite in
		*-security) echo "deb [signed-by=$keyring] $security $suite main" ;;
		*) echo "deb [signed-by=$keyring] $main $suite main" ;;
		esac
	done
}

# The guest tests to run on a base, for GUEST_ARCH (guest_arch_setup
# first): the base's "tests" list, or "tests-arm64" for arm64.
tests_list_for_base() {
	local list
	list=$(base_fact "$1" "tests${ARCH_SUFFIX:-}") || return 1
	[ -n "$list" ] || die "BASE=$1 has no tests list for ARCH=$GUEST_ARCH (harness/stacks/$1)"
	echo "$REPO_DIR/$list"
}

# state_filter STATE: the apply-series.sh filter that makes BASE's kernel
# STATE; the kernels with part of the series have theirs in
# harness/stacks/BASE ("partial", "measure").  Dies when BASE builds no
# such kernel.
state_filter() {
	local filter
	case $1 in
	baseline) filter=tests ;;
	patched | debug) filter=all ;;
	*) filter=$({ base_facts "$BASE" partial; base_facts "$BASE" measure; } |
		awk -v s="$1" '$1 == s { sub(/^[^ \t]+[ \t]+/, ""); print }') ;;
	esac
	[ -n "$filter" ] || die "BASE=$BASE builds no $1 kernel (harness/stacks/$BASE)"
	echo "$filter"
}

# lock_base BASE WHAT: hold the lock of BASE (its source tree, its work
# trees, out/BASE) until this script ends; WHAT names the run.  A second
# verify, stress or mail of the same base fails at once.  A script may
# hold the locks of several bases (make clean).
lock_base() {
	local holder fd
	need flock util-linux
	mkdir -p "$CACHE_DIR" || die "cannot create PFNMAP_CACHE=$CACHE_DIR"
	exec {fd}>>"$CACHE_DIR/lock-$1"
	if ! flock -n "$fd"; then
		holder=$(cat "$CACHE_DIR/lock-$1" 2>/dev/null) || true
		die "BASE=$1 is in use by another run (${holder:-see $CACHE_DIR/lock-$1}): wait for it or stop it"
	fi
	echo "$2 $$ $(date -u +%FT%TZ)" >"$CACHE_DIR/lock-$1"
}

# replace_dir NEW DIR: NEW becomes DIR, in place of what DIR held.
replace_dir() {
	rm -rf "$2.old"
	if [ -e "$2" ]; then
		mv -T "$2" "$2.old"
	fi
	mv -T "$1" "$2"
	rm -rf "$2.old"
}

# kdir_worktree REPO WORK REF: WORK, a worktree of git repository REPO,
# made at REF unless it is one already (of REPO, not of another KDIR a
# run before used).
kdir_worktree() {
	local want have
	want="$(cd "$2" 2>/dev/null && pwd -P) $(git -C "$1" rev-parse --path-format=absolute --git-common-dir)"
	# Nothing there yet (the first run) is no worktree either.
	have=$(git -C "$2" rev-parse --path-format=absolute --show-toplevel --git-common-dir 2>/dev/null |
		paste -sd ' ') || have=''
	[ "$have" = "$want" ] && return 0
	rm -rf "$2"
	git -C "$1" worktree prune
	git -C "$1" worktree add -q -f --detach "$2" "$3" >&2
}

# stack_of BASE: the "KIND DIR" lines of harness/stacks/BASE (or of the
# file $STACK_FILE), the patch directories the harness applies to that
# base, in order.  DIR is relative to the repository unless absolute.
stack_of() {
	local file=${STACK_FILE:-$HARNESS_DIR/stacks/$1}
	[ -f "$file" ] || die "unknown base '$1' (known: $(known_bases))"
	awk '$1 == "base" || $1 == "fix" || $1 == "series" || $1 == "probe" || $1 == "undo"' "$file"
}

# series_dirs_of BASE [KIND...]: the directories of those kinds (default:
# ours, "fix" and "series").
series_dirs_of() {
	local base=$1 kind dir
	shift
	[ $# -gt 0 ] || set -- fix series
	while read -r kind dir; do
		[[ " $* " == *" $kind "* ]] && echo "$dir"
	done < <(stack_of "$base")
	return 0
}

# The guest needs x2APIC (see run-vm.sh), which QEMU's TCG emulates since
# 9.0; harness/install-deps.sh installs a new enough QEMU.
check_qemu() {
	local version
	guest_arch_setup
	need "$QEMU" "$QEMU_PACKAGE"
	[ "${ACCEL:-tcg}" = kvm ] && return 0
	version=$("$QEMU" --version 2>/dev/null |
		sed -n '1s/.*version \([0-9]*\.[0-9]*\).*/\1/p') || true
	printf '9.0\n%s\n' "$version" | sort -C -V ||
		die "QEMU ${version:-of unknown version} is too old: TCG emulates x2APIC since 9.0; run harness/install-deps.sh"
}

# Results cache.  A build or check whose inputs are all named in its key
# (the git tree id of the source, the contents of the config fragments and
# scripts that drive it, the tool versions) gives the same result each
# time: the harness keeps it under $CACHE_DIR/results/KEY and takes it
# from there instead of doing it again, and says so.  CACHE=0 turns this
# off.  A tree with changes git sees has no key and is never cached.

# src_tree SRC: the git tree id of what SRC has checked out; fails when
# the work tree differs from it or has files git does not track (ignored
# ones too: Debian's .gitignore ignores every top-level path), but for
# the harness's own markers, the mm selftests' probe of the system and
# Python bytecode (kunit.py run from the tree without -B writes some).
src_tree() {
	git -C "$1" diff --quiet HEAD -- 2>/dev/null || return 1
	[ -z "$(git -C "$1" status --porcelain --ignored --untracked-files=all -- . \
		':!/.pfnmap-*' ':!tools/testing/selftests/mm/local_config.*' \
		':!*/__pycache__/*' ':!*.pyc')" ] || return 1
	git -C "$1" rev-parse 'HEAD^{tree}'
}

# toolchain: the versions of the tools a build's result depends on, and
# the environment variables that kbuild and the selftests' makefiles read.
toolchain() {
	gcc --version | head -n 1
	ld --version | head -n 1
	pahole --version 2>/dev/null || true
	env | grep -E '^(KBUILD_[A-Z_]*|KCONFIG_[A-Z_]*|K(C|CPP|A|RUST)FLAGS|LLVM|LLVM_IAS|CROSS_COMPILE|LOCALVERSION|HOST(CC|CXX|CFLAGS|CXXFLAGS|LDFLAGS|LDLIBS)|(EXTRA_)?CFLAGS|CPPFLAGS|LDFLAGS|LDLIBS)=' |
		LC_ALL=C sort || true
}

# cache_dir_for WHAT WORD...: the result directory for WHAT with a key
# made of the WORDs (tree ids, file hashes, versions); fails, printing
# nothing, when CACHE=0.
cache_dir_for() {
	local what=$1
	shift
	[ "${CACHE:-1}" != 0 ] || return 1
	echo "$CACHE_DIR/results/$what-$(printf '%s\n' "$@" | sha256sum | cut -c1-24)"
}

# cache_put DIR FILE...: store FILEs in the result directory DIR, all or
# none (a temporary directory renamed into place); a cache that cannot be
# written is not an error.
cache_put() {
	local dir=$1 tmp
	shift
	[ -n "$dir" ] && [ ! -e "$dir" ] || return 0
	mkdir -p "$(dirname "$dir")" 2>/dev/null || return 0
	tmp=$(mktemp -d "$dir.tmp.XXXXXX" 2>/dev/null) || return 0
	if ! cp "$@" "$tmp/" 2>/dev/null || ! mv -T "$tmp" "$dir" 2>/dev/null; then
		rm -rf "$tmp"
	fi
	return 0
}

# files_hash FILE...: one hash of the files' names (without their
# directories, which differ between clones) and contents.
files_hash() {
	local f
	for f; do
		printf '%s\n' "${f##*/}"
		cat "$f"
	done | sha256sum | cut -c1-24
}

# warnings_before_after SRC BASEREF PATCHED DIR KIND KEY...: the
# warnings of the caller's function `warnings REF OUT` at BASEREF and at
# PATCHED, in DIR/base and DIR/patched, taken from the results cache
# when the two trees and KEY... (the files, tools and scripts that give
# them) gave them before, and put there otherwise.  Leaves SRC checked
# out at PATCHED.  WARNINGS_HOW says ", cached: ..." when cached.
warnings_before_after() {
	local src=$1 baseref=$2 patched=$3 dir=$4 kind=$5 cached='' base_tree patched_tree
	shift 5
	WARNINGS_HOW=''
	git -C "$src" checkout -q -f "$baseref"
	if base_tree=$(src_tree "$src"); then
		git -C "$src" checkout -q -f "$patched"
		if patched_tree=$(src_tree "$src"); then
			cached=$(cache_dir_for "$kind" "$base_tree" "$patched_tree" "$@") || true
		fi
	fi
	if [ -n "$cached" ] && [ -f "$cached/patched" ]; then
		cp "$cached/base" "$cached/patched" "$dir/"
		git -C "$src" checkout -q -f "$patched"
		WARNINGS_HOW=', cached: same trees checked before'
	else
		warnings "$baseref" "$dir/base"
		warnings "$patched" "$dir/patched"
		cache_put "$cached" "$dir/base" "$dir/patched"
	fi
}

# build_dir VARIANT: the build directory of BASE's kernels of VARIANT
# (vm, debug) for the guest architecture.
build_dir() {
	echo "$CACHE_DIR/build/$BASE${ARCH_SUFFIX:-}-$1"
}

# subject_of PATCH: the subject of a patch file, without its [PATCH] tag.
subject_of() {
	sed -n 's/^Subject: \(\[PATCH[^]]*\] \)\{0,1\}//p' "$1" | head -n 1
}

# subject_has_prefix SUBJECT PREFIX[|PREFIX...]: does SUBJECT start with
# one of the PREFIXes (a "without:" filter of apply-series.sh)?
subject_has_prefix() {
	local prefix prefixes
	IFS='|' read -r -a prefixes <<<"$2"
	for prefix in "${prefixes[@]}"; do
		[[ $1 != "$prefix"* ]] || return 0
	done
	return 1
}

# Knobs (harness/knobs: NAME KIND DEFAULT MEANING).

# knob_values KIND: what a knob of KIND takes, for make help and for
# check_knobs' messages.
knob_values() {
	case $1 in
	base) known_bases ;;
	guest-arch) and_list "${GUEST_ARCHES[@]}" ;;
	arches) echo "words of $(known_arches)" ;;
	tests) echo "names of the base's tests list" ;;
	test) echo "a name of the base's tests list" ;;
	state) known_states | sed 's/ /, /g' ;;
	bool) echo "0 or 1" ;;
	seconds) echo "whole seconds, 1 or more" ;;
	count) echo "a whole number, 1 or more" ;;
	rounds) echo "2 or more (two boots of a kernel measure the noise)" ;;
	accel) echo "tcg or kvm" ;;
	size) echo "the BAR's size as QEMU takes it, e.g. 1G or 256M" ;;
	sizes) echo "powers of two from 2M to 2G (the KVM guest maps the BAR below 4 GiB), e.g. '256M 1G 2G'" ;;
	kdir) echo "a Linux kernel git tree" ;;
	dir) echo "a directory" ;;
	file) echo "an existing file" ;;
	sender) echo "\"Your Name <you@example.org>\"" ;;
	trigger) echo "those of harness/stacks/BASE's stress line" ;;
	path | text) echo "text" ;;
	*) die "harness/knobs: unknown kind '$1'" ;;
	esac
}

# knobs: "NAME KIND DEFAULT MEANING" of harness/knobs, tab-separated
# (its columns are two or more spaces apart).
knobs() {
	awk -F '  +' -v OFS='\t' '/^[A-Z]/ { print $1, $2, $3, $4 }' "$HARNESS_DIR/knobs"
}

# knob_help: the knobs, for make help.
knob_help() {
	local name kind default meaning
	echo "Knobs: make TARGET NAME=value, or PFNMAP_NAME=value in the environment"
	echo "(a plain NAME in the environment is not read; harness/knobs):"
	while IFS=$'\t' read -r name kind default meaning; do
		printf '  %-18s %s [%s; default %s]\n' "$name" "$meaning" "$(knob_values "$kind")" "$default"
	done < <(knobs)
}

# check_knob NAME KIND VALUE: die, naming what NAME takes, unless VALUE
# is one; KIND as in harness/knobs.
check_knob() {
	local name=$1 kind=$2 value=$3 word ok=1
	case $kind in
	base)
		[ -f "$HARNESS_DIR/stacks/$value" ] || die "unknown base '$value' (known: $(known_bases))" ;;
	guest-arch) (GUEST_ARCH=$value guest_arch_setup) || exit 1 ;;
	arches)
		for word in $value; do
			[[ " ${ARCHES[*]} " == *" $word "* ]] || die "unknown ARCH '$word' (known: $(known_arches))"
		done ;;
	tests | test)
		# Names of the base's tests list for the guest (check_knobs).
		"$HARNESS_DIR/tests_list.py" "$KNOBS_TESTS_LIST" check "$name" || exit 1 ;;
	state) [[ " $(known_states) " == *" $value "* ]] || ok=0 ;;
	bool) [[ $value =~ ^[01]$ ]] || ok=0 ;;
	seconds | count) [[ $value =~ ^[1-9][0-9]*$ ]] || ok=0 ;;
	rounds) [[ $value =~ ^[0-9]+$ ]] && [ "$value" -ge 2 ] || ok=0 ;;
	accel) [[ $value =~ ^(tcg|kvm)$ ]] || ok=0 ;;
	size) [[ $value =~ ^[1-9][0-9]*[MG]$ ]] || ok=0 ;;
	sizes)
		[ -n "${value// /}" ] || die "$name is empty: give sizes, e.g. $name='256M 1G 2G'"
		for word in $value; do
			[[ $word =~ ^(2|4|8|16|32|64|128|256|512)M$|^[12]G$ ]] ||
				die "$name: '$word' is not a power of two from 2M to 2G (the KVM guest maps the BAR below 4 GiB), e.g. $name='256M 1G 2G'"
		done ;;
	kdir) check_kdir "$value" ;;
	dir) [ -d "$value" ] || ok=0 ;;
	file) [ -f "$value" ] || die "$name=$value: no such file" ;;
	sender) [[ $value =~ ^[^\<]*[^\<[:space:]][[:space:]]*\<[^\>@[:space:]]+@[^\>[:space:]]+\>$ ]] || ok=0 ;;
	trigger) check_trigger "$value" ;;
	path | text) ;;
	*) die "harness/knobs: unknown kind '$kind' of $name" ;;
	esac
	[ "$ok" = 1 ] || die "$name=$value: give $(knob_values "$kind")"
}

# check_kdir KDIR: KDIR (with KDIR_REF) is a kernel git tree; sets
# KDIR_BASEREF to the commit of KDIR_REF.
check_kdir() {
	[ -d "$1/.git" ] || [ -f "$1/.git" ] || die "KDIR=$1 is not a git tree"
	KDIR_BASEREF=$(git -C "$1" rev-parse -q --verify "${KDIR_REF:-HEAD}^{commit}") ||
		die "KDIR_REF=${KDIR_REF:-HEAD} is not a commit of KDIR=$1"
	git -C "$1" cat-file -e "$KDIR_BASEREF:mm/memory.c" 2>/dev/null ||
		die "KDIR=$1 at ${KDIR_REF:-HEAD} is not a Linux kernel tree (no mm/memory.c)"
}

# check_trigger TRIGGER: a trigger of BASE's stress line; sets
# STRESS_TEST to its race test.
check_trigger() {
	local races race
	races=$(base_fact "$BASE" stress)
	STRESS_TEST=''
	for race in $races; do
		[ "${race%%:*}" != "$1" ] || STRESS_TEST=${race#*:}
	done
	[ -n "$STRESS_TEST" ] ||
		die "unknown TRIGGER '$1' for BASE=$BASE (known: $(sed 's/:[^ ]*//g; s/ /, /g' <<<"$races"))"
}

# check_knobs: every knob of harness/knobs that is set must be one its
# kind takes; dies with one line naming what it takes.  BASE and ARCH
# first, and whether the base has a tests list for the guest: the tests
# and triggers are the base's.  Sets up the guest architecture
# (guest_arch_setup) and KNOBS_TESTS_LIST.  Entry scripts run it before
# they lock, download or build anything.
check_knobs() {
	local name kind value
	check_knob BASE base "$BASE"
	check_knob ARCH guest-arch "$GUEST_ARCH"
	guest_arch_setup
	KNOBS_TESTS_LIST=$(tests_list_for_base "$BASE") || exit 1
	while IFS=$'\t' read -r name kind _; do
		case $name in BASE | ARCH) continue ;; esac
		if [ "$name" = TESTS ] || [ "$name" = CROSS_ARCHES ] || [ "$kind" = sizes ]; then
			# Set, even to nothing, is given: no cross builds, no sizes.
			[ -n "${!name+set}" ] || continue
		elif [ -z "${!name-}" ]; then
			continue
		fi
		check_knob "$name" "$kind" "${!name}"
	done < <(knobs)
}
