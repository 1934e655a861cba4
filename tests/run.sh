#!/bin/bash
# Tests of the harness itself, without a kernel: shellcheck of every script
# and the Python tests of the judge, the summary and the patch application.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

passed=0
failed=0
check() {
	if "$@"; then
		passed=$((passed + 1))
	else
		echo "FAILED: $*" >&2
		failed=$((failed + 1))
	fi
}

check shellcheck -x harness/*.sh tests/*.sh tests/fake/* .ci/run
check shellcheck -s dash guest/init guest/tests/*
for c in repro/*.c; do
	check gcc -fsyntax-only -Wall -Werror "$c"
done
# The KUnit case needs a kernel tree for kunit.py; the cached Debian one
# does when verify has run.
tree=${PFNMAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pfnmap-series}/src/7.3
[ -f "$tree/tools/testing/kunit/kunit.py" ] && export KUNIT_TREE=${KUNIT_TREE:-$tree}
check python3 -m unittest discover -s tests -p 'test_*.py' >/dev/null

echo "harness: $passed passed, $failed failed"
[ "$failed" = 0 ]
