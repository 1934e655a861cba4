#!/bin/bash
# clean.sh (make clean): remove what any run makes again, and say what it
# removes and keeps, with their sizes.  Removes each base's results in
# OUT_DIR (BASE, BASE-arm64, their .new and -one, the mails) and the
# kernel build directories ($PFNMAP_CACHE/build).  Keeps what makes the
# next run fast or is yours: the Debian sources (a download), ccache, the
# results cache, the worktrees of a KDIR and of make mail.  Fails while
# another run holds a base's lock.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

# shown PATH: PATH as the user would type it, and its size.
shown() {
	local path=${1/#"$HOME"\//\~/}
	path=${path#"$PWD"/}
	echo "$path ($(du -sh "$1" 2>/dev/null | cut -f 1))"
}

for base in $(known_bases | tr -d ,); do
	lock_base "$base" clean
done

gone=()
for entry in "$OUT_DIR"/* "$CACHE_DIR/build"; do
	[ -e "$entry" ] || continue
	case ${entry#"$OUT_DIR"/} in
	mail | mail-preview | "$CACHE_DIR/build") ;;
	*)
		base=${entry##*/}
		base=${base%.new}
		base=${base%-one}
		base=${base%-arm64}
		[ -f "$HARNESS_DIR/stacks/$base" ] || continue
		;;
	esac
	gone+=("$entry")
done
if [ ${#gone[@]} = 0 ]; then
	log "make clean: nothing to remove in $OUT_DIR or $CACHE_DIR/build"
else
	for entry in "${gone[@]}"; do
		log "make clean: removing $(shown "$entry")"
	done
	rm -rf "${gone[@]}"
	rmdir "$OUT_DIR" 2>/dev/null || true
fi
for entry in "$CACHE_DIR"/*; do
	[ -e "$entry" ] || continue
	case ${entry##*/} in lock-* | build) continue ;; esac
	log "make clean: keeping $(shown "$entry")"
done
[ ! -d "$CACHE_DIR" ] || log "make clean: to free it all, remove $CACHE_DIR ($(du -sh "$CACHE_DIR" | cut -f 1))"
