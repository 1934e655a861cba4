#!/bin/bash
# A stand-in for harness/make-initramfs.sh SRC BUILD OUT in the flow test:
# an empty OUT (the fake QEMU needs no initramfs).
set -euo pipefail
: >"$3"
echo "$3"
