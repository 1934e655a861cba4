#!/bin/bash
# A stand-in for harness/build-kernel.sh SRC BUILD VARIANT [LABEL] in the
# flow test (tests/test_harness.py, FlowTest): the kernel it "builds" is a
# text file, the variant and then the source tree's file "behaviour"
# (which the fake series changes), which tests/fake/qemu-system-x86_64
# (FAKE_QEMU=kernel) boots.  Each build adds "VARIANT LABEL" to
# $FAKE_BUILDS; FAKE_BUILD_FAIL=VARIANT fails that variant's builds.
set -euo pipefail

src=$1 build=$2 variant=$3 label=${4:-$3 kernel}
echo "$variant $label" >>"$FAKE_BUILDS"
if [ "${FAKE_BUILD_FAIL:-}" = "$variant" ]; then
	echo "error: kernel build failed (fake)" >&2
	exit 1
fi
mkdir -p "$build"
{
	echo "fake-kernel $variant"
	cat "$src/behaviour"
} >"$build/bzImage"
echo "$build/bzImage"
