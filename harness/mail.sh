#!/bin/bash
# mail.sh: prepare the mails of our series for whoever runs it; never send.
#
# For each directory of ours in harness/stacks/$BASE ("fix" and "series"),
# in a worktree of the kernel tree that belongs to this script (kept in
# the cache, its checkout reset and cleaned at the start of every run,
# so that the kernel's files are not written out anew each time):
#   1. apply its patches on the base (on the base plus the stack's
#      upstream/ prerequisites if they do not apply without them);
#   2. make the sender their author and add the sender's Signed-off-by
#      (the patches in the repository carry none: only the person who
#      sends them can certify the DCO); for a stable backport, fill in the
#      "commit @UPSTREAM@ upstream." line from $UPSTREAM_COMMITS, and when
#      that commit is in the tree (KDIR), take its message, trailers and
#      author, keeping the backport's [ ... ] notes;
#   3. b4 prep: enroll, revision and prefixes from the directory's b4-prep
#      file, the cover letter from its cover-letter file, To/Cc from
#      scripts/get_maintainer.pl (--auto-to-cc), and --check;
#   4. b4 send --no-sign -o out/mail/NAME: the mails are written, never
#      sent (sendemail.smtpServer is /bin/false besides); without KDIR
#      they are a preview in out/mail-preview/NAME, without the private
#      base-commit: of the Debian tarball;
#   5. check the written patches with checkpatch --strict and `git am`
#      them back onto the base: the tree must come out the same.
# Fails on any b4 check error, any b4 or checkpatch warning but the
# unknown-commit-id ones a tree without history must give, and a round
# trip that differs.
#
# The sender: $MAIL_FROM ("Name <address>"), else git's global
# user.name and user.email.  An unset identity and the project's own
# placeholder identity are refused.
#
# Environment: BASE (7.3: the mainline series; 6.12: the stable
# backport), KDIR and KDIR_REF (your own kernel tree and the commit to
# base the mails on, instead of the Debian source: a public base-commit
# and a history for checkpatch and get_maintainer.pl), UPSTREAM_COMMITS
# (6.12 only: a file of "SHA SUBJECT" lines, the mainline commits of the
# backported patches), OUT_DIR.
set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

need python3 python3
check_knobs
# A backport names its mainline commit: without them, fail before anything
# is downloaded.
while read -r dir; do
	if grep -q '^commit @UPSTREAM@ upstream\.$' "$REPO_DIR/$dir"/*.patch &&
		[ ! -f "${UPSTREAM_COMMITS:-}" ]; then
		die "$dir backports mainline commits: set UPSTREAM_COMMITS=FILE, one \"SHA SUBJECT\" line per patch (make mail-stable UPSTREAM_COMMITS=FILE)"
	fi
done < <(series_dirs_of "$BASE")
lock_base "$BASE" mail

# checkpatch's spdxcheck.py needs Debian's python3 (ply).
export PATH=/usr/bin:$PATH
need b4 b4
need git git
version=$(b4 --version)
printf '0.14\n%s\n' "$version" | sort -C -V ||
	die "b4 $version has no 'prep --check': run harness/install-deps.sh"

# The sender.
placeholder='Seed 20b595e6|users\.noreply\.r-seed-'
from=${MAIL_FROM:-}
if [ -z "$from" ]; then
	name=$(git config --global user.name || true)
	email=$(git config --global user.email || true)
	[ -n "$name" ] && [ -n "$email" ] && from="$name <$email>"
fi
[[ $from =~ ^([^<]*[^<[:space:]])[[:space:]]*\<([^>@[:space:]]+@[^>[:space:]]+)\>$ ]] ||
	die "no sender identity: set MAIL_FROM=\"Your Name <you@example.org>\" or git config --global user.name/user.email"
name=${BASH_REMATCH[1]}
email=${BASH_REMATCH[2]}
grep -Eq "$placeholder" <<<"$from" &&
	die "'$from' is the project's placeholder identity, not a person who can sign off"

export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email
export GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email
# git and b4 read these instead of any configuration; the SMTP server
# that b4 would fall back to is /bin/false, and b4 edits the cover letter
# with our editor, whatever core.editor says.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_CONFIG_COUNT=5
export GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0=$name
export GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1=$email
export GIT_CONFIG_KEY_2=sendemail.smtpServer GIT_CONFIG_VALUE_2=/bin/false
export GIT_CONFIG_KEY_3=sendemail.from GIT_CONFIG_VALUE_3=$from
export GIT_CONFIG_KEY_4=core.editor GIT_CONFIG_VALUE_4=$tmp/editor
export EDITOR=$tmp/editor
# b4 caches its checks per commit: keep its cache to this run.
export XDG_CACHE_HOME=$tmp/cache

# The kernel tree and the commit the mails are based on.
if [ -n "${KDIR:-}" ]; then
	repo=$KDIR
	baseref=$KDIR_BASEREF # check_knobs
else
	repo=$(PFNMAP_CACHE=$CACHE_DIR "$HARNESS_DIR/get-source.sh" "$BASE")
	baseref=$(git -C "$repo" rev-parse base)
fi
work=$CACHE_DIR/mail-tree-$BASE
[ -n "${KDIR:-}" ] && work=$CACHE_DIR/kdir-mail-tree-$BASE
# reset_work: the worktree at the base, clean, nothing half done.
reset_work() {
	[ "$(git -C "$work" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)" = \
		"$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir)" ] || return 1
	git -C "$work" am --abort >/dev/null 2>&1 || true
	git -C "$work" rebase --abort >/dev/null 2>&1 || true
	git -C "$work" checkout -q -f --detach "$baseref" 2>/dev/null &&
		git -C "$work" clean -q -fdx
}
# A worktree that cannot be reset (not one of this repository's, or left
# locked by a killed git) is made anew.
if ! reset_work; then
	rm -rf "$work"
	git -C "$repo" worktree add -q -f --detach "$work" "$baseref"
	reset_work || die "cannot reset the mail worktree $work"
fi

# A base may name checkpatch rules and b4 warnings of its own
# (harness/stacks/BASE).
ignore=UNKNOWN_COMMIT_ID
base_ignore=$(base_fact "$BASE" checkpatch-ignore)
ignore=$ignore${base_ignore:+,$base_ignore}
b4_ignore=$(base_facts "$BASE" b4-check-ignore)

# am_dir DIR: git am the patches of DIR/series onto HEAD.
am_dir() {
	local patch
	while read -r patch; do
		case $patch in '' | '#'*) continue ;; esac
		git -C "$work" am -q "$1/$patch" || { git -C "$work" am --abort; return 1; }
	done <"$1/series"
}

# fill_upstream: replace "commit @UPSTREAM@ upstream." in the commits
# since pfnmap-mailbase with the mainline commit of the same subject.
fill_upstream() {
	[ -f "${UPSTREAM_COMMITS:-}" ] ||
		die "UPSTREAM_COMMITS: a file of \"SHA SUBJECT\" lines, the mainline commits of the backports"
	cat >"$tmp/fill-upstream" <<'PY'
#!/usr/bin/python3
import re, subprocess, sys
shas = {}
for line in open(sys.argv[1]):
    sha, _, subject = line.rstrip("\n").partition(" ")
    shas[subject] = sha
msg = subprocess.run(["git", "log", "-1", "--format=%B"], capture_output=True,
                     text=True, check=True).stdout
subject = msg.split("\n", 1)[0]
sha = shas.get(subject, "")
if not re.fullmatch(r"[0-9a-f]{40}", sha):
    sys.exit(f"no mainline commit for \"{subject}\" in {sys.argv[1]}")
if sha == "0" * 40 and sys.argv[2] != "1":
    sys.exit(f"{sys.argv[1]}: the all-zero id is mail-check's placeholder, not a mainline commit")
mainline = subprocess.run(["git", "log", "-1", "--format=%B", sha],
                          capture_output=True, text=True)
if mainline.returncode == 0:
    # The mainline commit is in the tree: its message, with its trailers
    # (the maintainers' Signed-off-by among them), and our notes.
    title, _, body = mainline.stdout.partition("\n")
    notes = msg[msg.find("\n[ 6."):] if "\n[ 6." in msg else ""
    msg = f"{title}\n\ncommit {sha} upstream.\n{body.rstrip()}\n{notes.lstrip()}"
    # A backport keeps the mainline commit's author.
    author = subprocess.run(["git", "log", "-1", "--format=%an <%ae>", sha],
                            capture_output=True, text=True,
                            check=True).stdout.strip()
    amend = ["--author", author]
else:
    msg = msg.replace("commit @UPSTREAM@ upstream.", f"commit {sha} upstream.", 1)
    amend = []
subprocess.run(["git", "commit", "-q", "--amend", *amend, "-F", "-"],
               input=msg, text=True, check=True)
PY
	chmod +x "$tmp/fill-upstream"
	git -C "$work" rebase -q pfnmap-mailbase \
		--exec "$tmp/fill-upstream '$(realpath "$UPSTREAM_COMMITS")' '${PFNMAP_MAIL_CHECK:-0}'" >/dev/null ||
		die "the backports cannot be sent before their mainline commits exist"
}

# Mails based on the harness's Debian tarball commit are a preview: that
# commit exists only here, so they carry no base-commit: and go to
# out/mail-preview/.  With KDIR they are based on your tree's KDIR_REF.
if [ -n "${KDIR:-}" ]; then
	out=$OUT_DIR/mail
else
	out=$OUT_DIR/mail-preview
fi
mkdir -p "$out"
failed=0
while read -r dir; do
	sname=${dir##*/}
	src=$REPO_DIR/$dir
	log "$sname: preparing"
	git -C "$work" checkout -q -f --detach "$baseref"
	# A series that needs another one (its "needs" file: directories,
	# one a line) is based on the base plus that one, as b4's
	# prerequisites have it; its cover letter says so.
	if [ -f "$src/needs" ]; then
		while read -r need_dir; do
			case $need_dir in '' | '#'*) continue ;; esac
			am_dir "$REPO_DIR/$need_dir" || die "$sname needs $need_dir, which does not apply"
		done <"$src/needs"
		log "$sname: based on the base plus $(grep -v '^#' "$src/needs" | paste -sd ' ')"
	fi
	git -C "$work" branch -q -f pfnmap-mailbase HEAD
	if ! am_dir "$src" 2>/dev/null; then
		# On the base plus the upstream fixes the stack carries.
		git -C "$work" checkout -q -f --detach pfnmap-mailbase
		while read -r kind pdir; do
			if [ "$kind" != base ] || [[ $pdir != upstream/* ]]; then
				continue
			fi
			am_dir "$REPO_DIR/$pdir" || die "$pdir does not apply"
		done < <(stack_of "$BASE")
		git -C "$work" branch -q -f pfnmap-mailbase HEAD
		am_dir "$src" || die "$dir does not apply to the base, with or without its upstream prerequisites"
		log "$sname: based on the base plus the stack's upstream/ prerequisites"
	fi
	git -C "$work" checkout -q -B "pfnmap-mail-$sname"
	grep -q '^commit @UPSTREAM@ upstream\.$' <(git -C "$work" log --format=%B pfnmap-mailbase..) &&
		fill_upstream
	# The sender signs off, and becomes the author of every patch but a
	# backport whose mainline commit is in the tree (it keeps that
	# commit's author).
	cat >"$tmp/sign" <<'SH'
#!/bin/sh
sha=$(git log -1 --format=%B | sed -n 's/^commit \([0-9a-f]\{40\}\) upstream\.$/\1/p' | head -n 1)
if [ -n "$sha" ] && git cat-file -e "$sha^{commit}" 2>/dev/null; then
	exec git commit -q --amend --no-edit -s
fi
exec git commit -q --amend --no-edit --reset-author -s
SH
	chmod +x "$tmp/sign"
	git -C "$work" rebase -q pfnmap-mailbase --exec "$tmp/sign" >/dev/null

	# b4: enroll, revision and prefixes, cover letter, recipients, checks.
	(
		cd "$work" || exit 1
		b4 prep --enroll pfnmap-mailbase </dev/null >"$tmp/b4.log" 2>&1 || exit 1
		if [ -f "$src/b4-prep" ]; then
			# shellcheck disable=SC2046 # its words are b4 prep options
			b4 prep $(grep -v '^#' "$src/b4-prep") </dev/null >>"$tmp/b4.log" 2>&1 || exit 1
		fi
		[ -f "$src/cover-letter" ] || [ "$(grep -cv '^#\|^$' "$src/series")" = 1 ] ||
			{ echo "$dir has no cover-letter" >&2; exit 1; }
		if [ -f "$src/cover-letter" ]; then
			# shellcheck disable=SC2016 # $1 is the editor script's
			printf '#!/bin/sh\ncat "%s" >"$1"\n' "$src/cover-letter" >"$tmp/editor"
			chmod +x "$tmp/editor"
			b4 prep --edit-cover </dev/null >>"$tmp/b4.log" 2>&1 || exit 1
		fi
		b4 prep --auto-to-cc </dev/null >>"$tmp/b4.log" 2>&1 || exit 1
		b4 prep --check </dev/null >"$tmp/check.log" 2>&1 || true
		rm -rf "${out:?}/$sname"
		b4 send --no-sign -o "$out/$sname" </dev/null >>"$tmp/b4.log" 2>&1 || exit 1
	) || { cat "$tmp/b4.log" >&2; die "$sname: b4 failed"; }
	if [ -z "${KDIR:-}" ]; then
		sed -i '/^base-commit: /d' "$out/$sname"/*.eml
		! grep -q '^base-commit: ' "$out/$sname"/*.eml ||
			die "$sname: a preview mail still names the private base commit"
	fi

	# b4's verdict: no error, and no warning but unknown commit ids.
	sed 's/\x1b\[[0-9;]*m//g' "$tmp/check.log" >"$out/$sname.b4-check.txt"
	summary=$(grep -E '^Success: [0-9]+, Warning: [0-9]+, Error: [0-9]+' "$out/$sname.b4-check.txt" || true)
	warnings=$(grep -E 'checkpatch\.pl: .*(WARNING|ERROR|CHECK)' "$out/$sname.b4-check.txt" |
		grep -v "Unknown commit id" |
		if [ -n "$b4_ignore" ]; then grep -vF "$b4_ignore"; else cat; fi || true)
	if [ -z "$summary" ] || ! [[ $summary == *"Error: 0" ]] || [ -n "$warnings" ]; then
		cat "$out/$sname.b4-check.txt" >&2
		echo "FAIL: $sname: b4 prep --check: ${summary:-no verdict}" >&2
		failed=1
	fi

	# checkpatch on the mails as they would be sent.
	mails=("$out/$sname"/*.eml)
	for eml in "${mails[@]}"; do
		[[ $eml == */0000-* ]] && [ ${#mails[@]} -gt 1 ] && continue
		(cd "$work" && scripts/checkpatch.pl --strict -q --ignore "$ignore" "$eml") >&2 ||
			{ echo "FAIL: $sname: checkpatch: ${eml##*/}" >&2; failed=1; }
	done

	# Round trip: the mails apply to the base and give the same tree.
	prepared=$(git -C "$work" rev-parse "pfnmap-mail-$sname")
	git -C "$work" checkout -q -f --detach pfnmap-mailbase
	for eml in "$out/$sname"/*.eml; do
		grep -q '^diff --git' "$eml" || continue
		git -C "$work" am -q "$eml" ||
			{ git -C "$work" am --abort; echo "FAIL: $sname: ${eml##*/} does not apply" >&2; failed=1; break; }
	done
	if ! git -C "$work" diff --quiet HEAD "$prepared"; then
		echo "FAIL: $sname: the mails do not give back the prepared tree" >&2
		failed=1
	fi
	# Every patch is signed off once, by the sender; the cover letter is
	# the one edited, not b4's template.
	npatch=0
	for eml in "${mails[@]}"; do
		grep -q '^diff --git' "$eml" || continue
		npatch=$((npatch + 1))
		if [ "$(grep -c '^Signed-off-by: ' "$eml")" != 1 ] ||
			! grep -qxF "Signed-off-by: $name <$email>" "$eml"; then
			echo "FAIL: $sname: ${eml##*/} is not signed off once, by $from" >&2
			failed=1
		fi
	done
	if grep -q 'EDITME' "${mails[@]}"; then
		echo "FAIL: $sname: b4's template cover letter was not replaced" >&2
		failed=1
	fi
	nsob=$npatch
	log "$sname: ${#mails[@]} mails in ${out#"$OUT_DIR"/}/$sname ($summary; $nsob signed off by $name)"
done < <(series_dirs_of "$BASE")

[ "$failed" = 0 ] || die "the mails are not ready"
if [ -n "${KDIR:-}" ]; then
	log "mails written to $out, nothing sent; see docs/sending.md"
else
	log "PREVIEW mails written to $out: based on the Debian tarball's private commit, without base-commit:; not for sending: make mail KDIR=your-tree KDIR_REF=... (docs/sending.md)"
fi
