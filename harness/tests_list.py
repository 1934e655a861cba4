#!/usr/bin/env python3
"""Read a guest tests list (guest/tests.list, guest/tests-BASE.list).

    tests_list.py LIST check [KNOB]   fail, naming the known tests, when a
                                      word of $TESTS (or of $KNOB) is not a
                                      test of LIST
    tests_list.py LIST select STATE   "NAME EXPECT TIMEOUT" of each test
                                      to run on kernel STATE, in order
    tests_list.py LIST entry NAME     "NAME EXPECT TIMEOUT" of test NAME

A list has one test a line: name, baseline expectation (fail, pass,
race, peer), timeout in seconds and, optionally, the comma-separated
kernels it runs on (default: those harness/states marks so); a kernel written
STATE=fail is one with part of the series on which the test must fail
(nocontract=fail: the series without the fix the test checks); "#"
starts a comment line.  Environment: TESTS (the names to run, default all),
RACE_BASELINE=0 (no race test on the baseline).
"""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATES_FILE = os.path.join(os.path.dirname(os.path.realpath(__file__)), "states")


def read_states(path=STATES_FILE):
    """harness/states: [(state, is a default kernel)], in the table's order."""
    with open(path) as f:
        return [(w[0], w[1] == "default") for w in (line.split() for line in f)
                if w and not w[0].startswith("#")]


# The kernels, in order, and those a test without a kernels column runs on.
STATES = tuple(s for s, _ in read_states())
DEFAULT_KERNELS = tuple(s for s, default in read_states() if default)


class Test:
    def __init__(self, name, expect, timeout, kernels=None):
        self.name = name
        self.expect = expect
        self.timeout = int(timeout)
        words = kernels.split(",") if kernels else DEFAULT_KERNELS
        self.kernels = tuple(w.split("=", 1)[0] for w in words)
        # STATE=fail: the test must fail on that kernel, one with part of
        # the series ("xfail" in its rows); no other EXPECT is known.
        self.xfail = tuple(w.split("=", 1)[0] for w in words
                           if w.split("=", 1)[1:] == ["fail"])
        bad = [w for w in words if "=" in w and w.split("=", 1)[0] not in self.xfail]
        if bad:
            raise ValueError(f"{name}: {bad[0]}: only STATE=fail is known")

    def expect_for(self, state):
        """The expectation of its rows on kernel STATE: "xfail" where it
        must fail with part of the series, else the baseline's column."""
        return "xfail" if state in self.xfail and state != "baseline" else self.expect

    def __repr__(self):
        return f"Test({self.name!r}, {self.expect!r}, {self.timeout})"


def read(path):
    tests = []
    with open(path) as f:
        for line in f:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            tests.append(Test(*words[:4]))
    return tests


def unknown(tests, wanted):
    """The words of WANTED that name no test."""
    names = {t.name for t in tests}
    return [w for w in wanted if w not in names]


def select(tests, state, wanted=None, race_baseline=True):
    """The tests to run on kernel STATE: those that run there, of WANTED
    (all when empty), without the race tests on the baseline unless
    RACE_BASELINE."""
    return [t for t in tests
            if state in t.kernels
            and (not wanted or t.name in wanted)
            and not (state == "baseline" and t.expect == "race"
                     and not race_baseline)]


def main(argv):
    if len(argv) < 3 or argv[2] not in ("check", "select", "entry") or \
            (argv[2] != "check" and len(argv) != 4) or len(argv) > 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path = argv[1]
    try:
        tests = read(path)
    except (OSError, TypeError, ValueError) as e:
        print(f"error: cannot read the tests list {path}: {e}", file=sys.stderr)
        return 1
    wanted = os.environ.get("TESTS", "").split()
    if argv[2] == "check":
        knob = argv[3] if len(argv) == 4 else "TESTS"
        bad = unknown(tests, os.environ.get(knob, "").split())
        if bad:
            print(f"error: {knob}: no test {', '.join(repr(w) for w in bad)} in "
                  f"{os.path.relpath(path, REPO)}; known: "
                  f"{' '.join(t.name for t in tests)}", file=sys.stderr)
            return 1
        return 0
    if argv[2] == "entry":
        tests = [t for t in tests if t.name == argv[3]]
        if not tests:
            print(f"error: no test {argv[3]!r} in {os.path.relpath(path, REPO)}",
                  file=sys.stderr)
            return 1
        print(tests[0].name, tests[0].expect, tests[0].timeout)
        return 0
    race_baseline = os.environ.get("RACE_BASELINE", "1") != "0"
    for t in select(tests, argv[3], wanted, race_baseline):
        print(t.name, t.expect_for(argv[3]), t.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
