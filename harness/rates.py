#!/usr/bin/env python3
"""The races' pooled rates, floors and detection probabilities.

    rates.py floors        the guest's environment: PFNMAP_FLOOR_RACE=N for
                           each race (upper case), the maps or passes that
                           met a zap a run needs
    rates.py table         per race: runs, pooled rate, each line's rate,
                           floor, and P(catch) at the floor, pooled and at
                           the lowest line's rate
    rates.py p TEST RACED  the probability that a run of race test TEST
                           that met RACED zaps catches a kernel without
                           the fix, at the pooled rate and at the lowest
                           line's ("-" for a test with no measured rate)

Reads harness/race-rates.  A run that met n zaps, each failing with
probability p on a kernel without the fix, catches it (at least one
spurious error) with probability 1 - (1 - p)^n, about 1 - exp(-n p); the
floor is the smallest n, rounded up to a hundred, for which that is at
least 95%.  p is pooled: all spurious errors over all zaps met, of every
run of the race the file lists.  The lines do not all share one rate, so
the probability at the lowest line's rate is given beside it.
"""

import math
import os
import sys

RATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "race-rates")
CONFIDENCE = 0.95


def read(path=RATES):
    """({test: race}, {race: [(spurious, raced, rest)]})"""
    tests, runs = {}, {}
    with open(path) as f:
        for line in f:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if words[0] == "test" and len(words) == 3:
                tests[words[1]] = words[2]
            elif words[0] == "run" and len(words) >= 5:
                runs.setdefault(words[1], []).append(
                    (int(words[2]), int(words[3]), int(words[4]),
                     " ".join(words[5:])))
            else:
                raise ValueError(f"{path}: cannot read: {line.rstrip()}")
    for test, race in tests.items():
        if race not in runs:
            raise ValueError(f"{path}: test {test}: no run of race {race}")
    return tests, runs


def pooled(runs):
    return sum(r[0] for r in runs) / sum(r[1] for r in runs)


def lowest(runs):
    """The lowest rate of a single line."""
    return min(r[0] / r[1] for r in runs)


def detection(p, n):
    return 1 - (1 - p) ** n


def floor(p):
    n = math.log(1 - CONFIDENCE) / math.log(1 - p)
    return int(math.ceil(n / 100) * 100)


def main(argv):
    tests, runs = read()
    if argv[1:] == ["floors"]:
        print(" ".join(f"PFNMAP_FLOOR_{race.upper()}={floor(pooled(r))}"
                       for race, r in sorted(runs.items())))
    elif argv[1:] == ["table"]:
        for race, r in sorted(runs.items()):
            p, low = pooled(r), lowest(r)
            each = ", ".join(f"{x[0]}/{x[1]:,}" for x in r)
            print(f"{race}: {sum(x[0] for x in r)} in {sum(x[1] for x in r):,} "
                  f"over {sum(x[2] for x in r)} runs ({len(r)} lines: {each}), "
                  f"1 in {1 / p:,.0f}; floor {floor(p):,}: "
                  f"P(catch) {detection(p, floor(p)):.0%} pooled, "
                  f"{detection(low, floor(p)):.0%} at the lowest line's rate "
                  f"(1 in {1 / low:,.0f})")
    elif len(argv) == 4 and argv[1] == "p":
        race = tests.get(argv[2])
        if race is None:
            print("-")
        else:
            n = int(argv[3])
            print(f"{detection(pooled(runs[race]), n):.0%} "
                  f"({detection(lowest(runs[race]), n):.0%} at the lowest line's rate)")
    else:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
