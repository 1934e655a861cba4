#!/usr/bin/env python3
"""Print the numbers a run measured, in the form docs/results.md quotes them.

    quote.py OUT/BASE...

For each finished run directory (out/7.3, out/6.12): its kernel line,
then one markdown row per race test, "spurious errors in maps (or guest
passes) that met a zap" on each kernel it ran on, and the retry-depth
counters that a kernel with test-only/7.3-probe printed after its races
("# pfnmap_retry_depth MODULE: N0,N1,..."; bucket N: lookups that took
N retries, the last: lookups that ran out of them).  docs/results.md's numbers
are this output for the run it names, so that they are copied from one
place: a run's summary.json and consoles.
"""

import json
import os
import re
import sys

DEPTH = re.compile(r"^# pfnmap_retry_depth (\S+): ([\d,]+)\s*$")


def races(summary):
    """{test: {state: (spurious, raced)}} of the race rows, in order."""
    out = {}
    for row in summary["rows"]:
        if "raced" in row:
            out.setdefault(row["test"], {})[row["state"]] = (
                row.get("spurious", 0), row["raced"])
    return out


def depths(rundir):
    """[(state, test, module, [counts])] of the consoles that print them."""
    found = []
    for state in sorted(os.listdir(rundir)):
        sdir = os.path.join(rundir, state)
        if not os.path.isdir(sdir):
            continue
        for name in sorted(os.listdir(sdir)):
            if not name.endswith(".log") or ".try" in name:
                continue
            with open(os.path.join(sdir, name), errors="replace") as f:
                for line in f:
                    m = DEPTH.match(line.replace("\r", ""))
                    if m and any(int(n) for n in m.group(2).split(",")):
                        found.append((state, name[:-4], m.group(1),
                                      [int(n) for n in m.group(2).split(",")]))
    return found


def quote(rundir):
    with open(os.path.join(rundir, "summary.json")) as f:
        summary = json.load(f)
    lines = [summary["header"].splitlines()[0], "",
             "| race | kernel: spurious errors in maps or passes that met a zap |",
             "|---|---|"]
    for test, states in races(summary).items():
        cells = "; ".join(f"{s} {n:,} in {m:,}" for s, (n, m) in states.items())
        lines.append(f"| {test} | {cells} |")
    for state, test, module, counts in depths(rundir):
        total = sum(counts)
        deeper = ", ".join(f"{n:,} took {i}" for i, n in enumerate(counts)
                           if i and n)
        lines.append(f"\nretry depth, {module}, {test} on {state}: "
                     f"{total:,} lookups; {deeper or 'none took a retry'}")
    return "\n".join(lines)


def main(argv):
    if len(argv) < 2:
        print("usage: quote.py OUT/BASE...", file=sys.stderr)
        return 2
    for rundir in argv[1:]:
        if not os.path.isfile(os.path.join(rundir, "summary.json")):
            print(f"quote.py: {rundir}/summary.json not found: give a "
                  "finished run's directory, e.g. out/7.3", file=sys.stderr)
            return 2
        print(quote(rundir))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
