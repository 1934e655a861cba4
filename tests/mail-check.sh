#!/bin/bash
# mail-check.sh: run make mail and make mail-stable as a throw-away sender
# would, into a scratch OUT_DIR.  The backport's mainline commits do not
# exist yet: the test gives it placeholder ids (all zeros), which only
# this test ever writes.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export MAIL_FROM="Mail Check <mail-check@example.org>" OUT_DIR=$tmp/out

BASE=7.3 harness/mail.sh
# Without KDIR the mails are a preview, without the private base-commit.
[ -d "$OUT_DIR/mail-preview/pfnmap-enoent" ] || { echo "mail-check: no preview mails" >&2; exit 1; }
! grep -l '^base-commit: ' "$OUT_DIR"/mail-preview/*/*.eml || { echo "mail-check: a preview names the private base commit" >&2; exit 1; }

# Every mail of a series carries the revision its b4-prep asks for (v1
# when it asks for none, which b4 leaves out of the prefix).
for dir in "$OUT_DIR"/mail-preview/*/; do
	name=$(basename "$dir")
	rev=$(sed -n 's/^--force-revision //p' "series/$name/b4-prep" 2>/dev/null || true)
	want="[PATCH${rev:+ v$rev}"
	for eml in "$dir"*.eml; do
		subject=$(sed -n 's/^Subject: //p' "$eml" | head -n 1)
		case $subject in
		"$want "* | "$want]"*) ;;
		*) echo "mail-check: $name: '$subject' does not start with '$want'" >&2; exit 1 ;;
		esac
	done
done

# One placeholder id per backported subject.
grep -v '^#' stable/6.12/series | while read -r patch; do
	subject=$(sed -n 's/^Subject: \[PATCH\] //p' "stable/6.12/$patch")
	# A subject folded over two lines.
	cont=$(sed -n '/^Subject: /{n;/^ /p}' "stable/6.12/$patch")
	echo "0000000000000000000000000000000000000000 $subject${cont}"
done >"$tmp/upstream"
BASE=6.12 UPSTREAM_COMMITS=$tmp/upstream PFNMAP_MAIL_CHECK=1 harness/mail.sh
echo "mail-check: passed"
