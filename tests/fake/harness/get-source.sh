#!/bin/bash
# A stand-in for harness/get-source.sh BASE in the flow test: the tree the
# test left in $PFNMAP_CACHE/src/BASE, never a download.
set -euo pipefail
src=$PFNMAP_CACHE/src/$1
[ -f "$src/.pfnmap-base-ok" ] || { echo "error: no fake source tree in $src" >&2; exit 1; }
echo "$src"
