#!/bin/bash
# install-deps.sh: install the Debian packages the harness needs (as root).
#
# Three need versions newer than Debian 12 has; they come through a private
# apt sources list (this machine's own mirrors, never its sources.list):
#  - QEMU 9.0 or newer: the guest runs its local APICs in x2APIC mode,
#    which TCG emulates since 9.0 (see harness/run-vm.sh for why); Debian
#    12 has 7.2, its backports suite 10.0.
#  - b4 0.14 or newer, for `b4 prep --check` (make mail); Debian 12 has
#    0.12.  trixie's b4 is "Architecture: all" and its dependencies are
#    in Debian 12, so its package is installed with apt from a download.
#  - sparse that knows __typeof_unqual__: the kernel's Makefile silently
#    skips C=1 with an older one (scripts/checker-valid.sh), as with
#    Debian 12's and 13's 0.6.4.  forky's 0.6.5~rc1 source is built and
#    installed as /usr/local/bin/sparse.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

pkgs=(
	# kernel builds
	gcc make flex bison bc libelf-dev libssl-dev dwarves ccache perl
	# sources, patches, checks
	git xz-utils python3 python3-ply python3-git sparse shellcheck file
	# cross builds of the series (harness/cross-checks.sh; i386 with gcc)
	gcc-s390x-linux-gnu gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu
	# the arm64 guest's programs (make verify ARCH=arm64)
	libc6-dev-arm64-cross
	# the guest
	qemu-system-x86 busybox-static cpio libc6-dev
	# make mail
	b4
)
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || die "apt-get update failed (network?)"
apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${pkgs[@]}" >/dev/null ||
	die "apt-get install failed for: ${pkgs[*]}"
echo "installed: ${pkgs[*]}"

version_ge() {
	dpkg --compare-versions "$(dpkg-query -W -f '${Version}' "$1")" ge "$2"
}
# Does sparse parse what the kernel's checker-valid.sh feeds it?
sparse_ok() {
	local f out
	f=$(mktemp --suffix=.c)
	printf 'static inline int u(const int *q)\n{\n\t__typeof_unqual__(*q) v = *q;\n\treturn v;\n}\n' >"$f"
	out=$(sparse "$f" 2>&1) || true
	rm -f "$f"
	[[ $out != *error* ]]
}
qemu_ok() {
	version_ge qemu-system-x86 1:9.0 && version_ge qemu-system-arm 1:9.0
}
qemu_ok && version_ge b4 0.14 && sparse_ok && exit 0

# shellcheck source=/dev/null
read -r distro codename < <(. /etc/os-release && echo "${ID:-} ${VERSION_CODENAME:-}")
if [ "$distro" != debian ] || [ -z "$codename" ]; then
	die "QEMU >= 9.0 and b4 >= 0.14 needed; this script knows Debian's suites only"
fi

apt_dir=$(mktemp -d)
trap 'rm -rf "$apt_dir"' EXIT
# private_apt NAME SUITE...: apt-get options for a private sources list of
# SUITEs (deb-src for "src:SUITE"), updated.  One list per purpose, so
# that installing from backports never resolves a dependency from a newer
# release.
private_apt() {
	local name=$1 dir suite
	shift
	dir=$apt_dir/$name
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	for suite in "$@"; do
		case $suite in
		src:*) apt_sources_list "${suite#src:}" | sed 's/^deb /deb-src /' ;;
		*) apt_sources_list "$suite" ;;
		esac
	done >"$dir/sources.list"
	apt_opts=(-o "Dir::Etc::SourceList=$dir/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::Cache=$dir/cache"
		-o "APT::Sandbox::User=root")
	apt-get "${apt_opts[@]}" update -q >/dev/null ||
		die "apt-get update failed for $* (network?)"
}
mkdir -p "$apt_dir/dl"

# qemu-system-arm (the arm64 guest) comes from the same suite: its
# qemu-system-common must be the same version.
if ! qemu_ok; then
	private_apt qemu "$codename" "$codename-updates" "$codename-security" "$codename-backports"
	apt-get "${apt_opts[@]}" install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends \
		-t "$codename-backports" qemu-system-x86 qemu-system-arm >/dev/null ||
		die "could not install qemu-system-x86 and qemu-system-arm from $codename-backports"
	qemu_ok || die "$codename-backports has no QEMU 9.0 or newer"
	echo "installed: qemu-system-x86 and qemu-system-arm $(dpkg-query -W -f '${Version}' qemu-system-x86) from $codename-backports"
fi

if ! version_ge b4 0.14; then
	private_apt b4 trixie
	(cd "$apt_dir/dl" && apt-get "${apt_opts[@]}" -q download b4/trixie) >/dev/null ||
		die "could not download b4 from trixie"
	# Its dependencies come from this machine's own sources.
	apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends \
		"$apt_dir"/dl/b4_*.deb >/dev/null || die "could not install trixie's b4"
	echo "installed: b4 $(dpkg-query -W -f '${Version}' b4) from trixie"
fi

if ! sparse_ok; then
	private_apt sparse src:forky
	(cd "$apt_dir/dl" && apt-get "${apt_opts[@]}" -q --download-only source sparse/forky) \
		>/dev/null 2>&1 || die "could not download sparse's source from forky"
	tar -xzf "$apt_dir"/dl/sparse_*.orig.tar.gz -C "$apt_dir/dl"
	make -s -C "$apt_dir"/dl/sparse-*/ -j"$(nproc)" sparse >"$apt_dir/sparse.log" 2>&1 ||
		{ tail -n 20 "$apt_dir/sparse.log" >&2; die "building sparse failed"; }
	dir=$(echo "$apt_dir"/dl/sparse-*/)
	install -m 755 "$dir/sparse" /usr/local/bin/sparse
	hash -r
	sparse_ok || die "forky's sparse does not know __typeof_unqual__ either"
	dir=${dir%/}
	echo "installed: ${dir##*/} from forky's source as /usr/local/bin/sparse"
fi
