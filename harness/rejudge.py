#!/usr/bin/env python3
"""Judge the consoles of a finished verify run again with today's judge.py.

    rejudge.py OUT/BASE [--kunit-tree SRC]

For each boot of the run (OUT/BASE/STATE/TEST.log) prints the rows whose
status or race counts differ from the ones the run recorded in
OUT/BASE/results.jsonl, then how many boots were judged differently.
KUnit boots need a kernel tree with tools/testing/kunit (--kunit-tree);
without one they are left out and counted as such.  A first boot of a
retried test (TEST.try1.log), the stress boots and make retest's have
no recorded row and are left out too.  Exits 1 when any boot is judged
differently, 2 when there was nothing to judge.
"""

import json
import os
import sys

import judge
from summarize import STATES

COMPARED = ("status", "maps", "raced", "spurious", "efault")


def recorded_rows(out):
    path = os.path.join(out, "results.jsonl")
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    by = {}
    for row in rows:
        by.setdefault((row["state"], row["test"]), row)
    return by


def boots(out):
    """(state, test, log) of every judged boot of the run."""
    for state in STATES:
        sdir = os.path.join(out, state)
        if not os.path.isdir(sdir):
            continue
        for name in sorted(os.listdir(sdir)):
            if not name.endswith(".log"):
                continue
            test = name[:-len(".log")]
            if test.endswith(".try1") or test.startswith("stress-"):
                continue
            yield state, test, os.path.join(sdir, name)


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--kunit-tree"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = argv[1]
    tree = argv[3] if len(argv) == 4 else None
    if not os.path.isfile(os.path.join(out, "results.jsonl")):
        print(f"rejudge.py: {out}/results.jsonl not found: give the out/BASE "
              "directory of a finished verify run", file=sys.stderr)
        return 2
    recorded = recorded_rows(out)
    nboots = ndiffer = nskipped = 0
    for state, test, log in boots(out):
        if test == "kunit" and not tree:
            nskipped += 1
            continue
        nboots += 1
        differ = False
        for row in judge.judge(log, test, tree):
            old = recorded.get((state, row["test"]))
            old_view = {k: old.get(k) for k in COMPARED} if old else None
            new_view = {k: row.get(k) for k in COMPARED}
            if old_view != new_view:
                differ = True
                was = old["status"] if old else "no row"
                print(f"{state}/{row['test']}: {was} -> {row['status']}: "
                      f"{row['detail']}")
        ndiffer += differ
    if nboots == 0:
        print(f"rejudge.py: no boot to judge in {out}", file=sys.stderr)
        return 2
    print(f"rejudged {nboots} boots of {out}: {ndiffer} judged differently"
          + (f"; {nskipped} KUnit boots left out (no --kunit-tree)"
             if nskipped else ""))
    return 1 if ndiffer else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
