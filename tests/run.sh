#!/bin/bash
# Tests of the harness itself, without a kernel: shellcheck of every script,
# the reproducers built with -Wall -Werror, and the Python tests of the
# judge, the summary, the knobs and the flow of verify.sh.  Hermetic: it
# reads no cache of the user's.  KUNIT_TREE=a kernel tree adds the tests
# that parse with that tree's kunit.py (KUnit consoles, results.ktap).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

t0=$SECONDS
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check WHAT CMD...: run CMD; its output only when it fails.
check() {
	local what=$1
	shift
	if ! "$@" >"$tmp/out" 2>&1; then
		cat "$tmp/out" >&2
		echo "FAILED: $what" >&2
		failed=$((failed + 1))
		return 1
	fi
}

scripts=(harness/*.sh tests/*.sh tests/fake/qemu-* tests/fake/harness/* .ci/run)
guest=(guest/init guest/tests/*)
check shellcheck shellcheck -x "${scripts[@]}" &&
	check "shellcheck -s dash" shellcheck -s dash "${guest[@]}" &&
	echo "shellcheck: $((${#scripts[@]} + ${#guest[@]})) scripts clean"
n=0
for c in repro/*.c; do
	check "gcc $c" gcc -fsyntax-only -Wall -Werror "$c" && n=$((n + 1))
done
echo "gcc -Wall -Werror: $n of $(echo repro/*.c | wc -w) reproducers clean"

t1=$SECONDS
python3 -m unittest discover -v -s tests -p 'test_*.py' >"$tmp/unittest" 2>&1
rc=$?
# The totals unittest prints: "Ran 87 tests in 99.1s", then "OK" or
# "FAILED (failures=1, errors=2, skipped=3)".
ran=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$tmp/unittest")
verdict=$(grep -E '^(OK|FAILED)' "$tmp/unittest" | tail -n 1)
count() { sed -n "s/.*[( ]$1=\([0-9]*\).*/\1/p" <<<"$verdict"; }
skipped=$(count skipped) failures=$(count failures) errors=$(count errors)
bad=$((${failures:-0} + ${errors:-0}))
if [ "$rc" != 0 ] || [ -z "$ran" ]; then
	cat "$tmp/unittest" >&2
	failed=$((failed + 1))
fi
echo "unittest: ${ran:-?} tests, ${skipped:-0} skipped, $bad failed ($((SECONDS - t1)) s)"
sed -n "s/^\(test_[a-z0-9_]*\) (\([^)]*\)) \.\.\. skipped '\(.*\)'$/  skipped \2: \3/p" \
	"$tmp/unittest" | sed 's/test_harness\.//'

if [ "$failed" = 0 ]; then
	echo "make check: passed ($((SECONDS - t0)) s)"
else
	echo "make check: $failed FAILED ($((SECONDS - t0)) s)"
	exit 1
fi
