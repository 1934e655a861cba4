#!/usr/bin/env python3
"""Turn the judged rows of one verify run into the table and the verdict.

    summarize.py [--one STATE] HEADER RESULTS.jsonl SUMMARY.txt

Prints the table (test, baseline, nowalkfix where it ran, patched, debug,
seconds), writes it with the verdict to SUMMARY.txt and SUMMARY.json and,
as KTAP (ktap.py), to results.ktap beside them, and exits 1 when the run
shows a problem:
 - any row of a kernel with our series (patched, debug, nowalkfix) that
   is not PASS: INCONCLUSIVE, a race test that raced too little to say,
   and SKIP, a test that could not run, are problems there too (but for
   a KUnit case, which may skip for want of contiguous memory: noted);
 - a test expected to fail on the baseline ("fail" in guest/tests.list),
   or on a kernel with part of the series ("xfail": STATE=fail in its
   kernels column), of which no row failed there, or failed only because
   it could not run (rc=127): it proves nothing;
 - an existing test ("pass") that does not pass on the baseline;
 - an existing suite ("peer") with a subtest that fails with the series
   but not on the baseline, or with a kernel splat;
 - no test that ran on a kernel with our series (a run that tested
   nothing passes nothing); with --one STATE (make verify-one, one
   kernel), no test that ran on STATE.
A "race" test is measured on the baseline, never gated there; its counts
(maps, maps that raced a zap, spurious errors) are noted for every kernel,
with the probability P(catch) that a run which raced that much catches a
kernel without the fix, at the pooled rate of harness/race-rates.
"""

import json
import os
import sys

import ktap
import rates
from tests_list import STATES, DEFAULT_KERNELS

# The kernels with (part of) the series: all but the baseline.
SERIES_STATES = tuple(s for s in STATES if s != "baseline")


def is_check(row):
    """A row of checkpatch or the static checks, not of a guest boot."""
    return (row["test"].startswith("checkpatch:") or
            row["test"] == "static-checks" or
            row["test"].startswith("static-checks:"))


def group_of(test):
    return test.split(":", 1)[0]


def expected_failure(row):
    """Did the row fail where its test must: a test of ours on the baseline
    ("fail", or a "race" that caught the bug), or on a kernel with part of
    the series, without the fix it checks ("xfail")?  Not when it could
    not run (rc=127): only a failure proves the bug."""
    if row["status"] != "FAIL" or "rc=127" in row.get("detail", ""):
        return False
    if row.get("expect") == "xfail":
        return True
    return row["state"] == "baseline" and row.get("expect") in ("fail", "race")


LEGEND = ("XFAIL: failed where it must (the baseline, or a kernel without the "
          "fix the test checks): the bug is there.  With the series every other "
          "row must be PASS (or a KUnit SKIP); -: not run on that kernel.")


def cell(row):
    if row is None:
        return "-"
    return "XFAIL" if expected_failure(row) else row["status"]


def ktap_case(row, base):
    """ROW as a KTAP test case: (name, ok, directive, text), ktap.py."""
    status, detail, name = row["status"], row.get("detail", ""), row["test"]
    if status == "PASS":
        return name, True, "", ""
    if expected_failure(row):
        return name, True, "XFAIL", detail
    if peer_as_before(row, base):
        return name, True, "XFAIL", "fails as on the baseline: " + detail
    if status == "SKIP" and (row["state"] == "baseline" or name.startswith("kunit:")):
        return name, True, "SKIP", detail
    if row["state"] == "baseline" and row.get("expect") in ("race", "peer"):
        # Measured or judged against, never gated on the baseline.
        if status == "FAIL":
            return name, True, "XFAIL", "fails on the baseline too: " + detail
        return name, True, "SKIP", f"{status}: {detail}"
    directive = {"STALL": "TIMEOUT", "ERROR": "ERROR"}.get(status, "")
    return name, False, directive, detail


def peer_as_before(row, base):
    """Does a "peer" suite fail with the series only where it failed on the
    baseline, without a splat?"""
    if row.get("expect") != "peer" or not base or row.get("splat"):
        return False
    if row["status"] != "FAIL" or "failed" not in row or "failed" not in base:
        return False
    # As many subtests passed as on the baseline: the suite did not stop
    # early, and what failed failed there too.
    if row.get("passed", 0) < base.get("passed", 0):
        return False
    return bool(row["failed"]) and set(row["failed"]) <= set(base["failed"])


def main(header_path, results_path, summary_path, one=None):
    with open(header_path) as f:
        header = f.read().rstrip("\n")
    with open(results_path) as f:
        rows = [json.loads(line) for line in f if line.strip()]

    tests = []
    by = {}
    for row in rows:
        if row["test"] not in tests:
            tests.append(row["test"])
        by[(row["test"], row["state"])] = row

    problems = []
    notes = []
    for test in tests:
        base = by.get((test, "baseline"))
        for state in SERIES_STATES:
            row = by.get((test, state))
            if not row or row["status"] == "PASS" or row.get("expect") == "xfail":
                continue
            if row["status"] == "SKIP" and test.startswith("kunit:"):
                notes.append(f"{test} skipped on {state}: {row['detail']}")
                continue
            if peer_as_before(row, base):
                notes.append(f"{test} on {state}: {row['status']} as on the "
                             f"baseline, not a regression: {row['detail']}")
                continue
            problems.append(f"{test} on {state}: {row['status']} {row['detail']}")
            if row and row["status"] == "SKIP":
                notes.append(f"{test} skipped on {state}: {row['detail']}")
    if one:
        if not any(r["state"] == one and not is_check(r) for r in rows):
            problems.append(f"no test ran on the {one} kernel")
    elif not any(r["state"] in SERIES_STATES and not is_check(r) for r in rows):
        problems.append("no test ran on a kernel with the series")
    for row in rows:
        if row.get("retried"):
            notes.append(f"{row['test']} on {row['state']} booted twice, "
                         f"{row['retried']}")

    nbase_bad = 0
    groups = {}
    xgroups = {}
    for row in rows:
        if row["state"] == "baseline":
            groups.setdefault(group_of(row["test"]), []).append(row)
        elif row.get("expect") == "xfail":
            xgroups.setdefault((group_of(row["test"]), row["state"]), []).append(row)
    for (group, state), grows in xgroups.items():
        if not any(r["status"] == "FAIL" and "rc=127" not in r["detail"]
                   for r in grows):
            problems.append(f"{group} does not fail on {state}: it proves nothing")
            nbase_bad += 1
    for group, grows in groups.items():
        expect = grows[0].get("expect", "pass")
        failed = [r for r in grows if r["status"] != "PASS" and r["status"] != "SKIP"]
        if expect == "fail" and not any(r["status"] == "FAIL" and
                                        "rc=127" not in r["detail"]
                                        for r in grows):
            # Only a failure proves the bug; a stall or an error does not.
            how = failed[0]["status"] if failed else "passes"
            problems.append(f"{group} {how} on the baseline: it proves nothing")
            nbase_bad += 1
        elif expect == "fail":
            passing = [r["test"] for r in grows if r["status"] == "PASS"]
            if passing:
                notes.append(f"pass on the baseline too (regression checks): {', '.join(passing)}")
        elif expect == "peer" and failed:
            notes.append(f"{group} fails on the baseline too (the series is "
                         f"judged against it): {failed[0]['detail']}")
        elif expect == "pass" and failed:
            problems.append(f"{group} fails on the baseline: {failed[0]['detail']}")
            nbase_bad += 1
        elif expect == "race":
            row = grows[0]
            if row.get("spurious"):
                caught = f"race caught ({row['spurious']} spurious errors)"
            elif row["status"] == "PASS":
                caught = "race not caught this run"
            elif row["status"] == "INCONCLUSIVE":
                caught = "inconclusive, it raced too little"
            else:
                caught = f"{row['status']} without spurious errors, race not measured"
            notes.append(f"{group} on the baseline: {caught}: {row['detail']}")
    race_of, runs = rates.read()
    for row in rows:
        if "raced" in row:
            race = race_of.get(row["test"])
            catch = ""
            if race:
                p = rates.detection(rates.pooled(runs[race]), row["raced"])
                low = rates.detection(rates.lowest(runs[race]), row["raced"])
                catch = f" (P(catch) {p:.0%}, {low:.0%} at the lowest run's rate)"
            notes.append(f"{row['test']} on {row['state']}: {row['maps']} maps, "
                         f"{row['raced']} raced a zap{catch}, "
                         f"{row.get('spurious', 0)} spurious errors")

    states = [s for s in STATES
              if s in DEFAULT_KERNELS or any(r["state"] == s for r in rows)]
    width = max([len(t) for t in tests] + [4])
    lines = [header, "",
             f"{'test':<{width}}  " +
             " ".join(f"{s:<12}" for s in states) + f" {'s':>5}",
             f"{'-' * width}  " + " ".join("-" * 12 for s in states) +
             f" {'-' * 5}"]
    for test in tests:
        secs = max((by.get((test, s), {}).get("seconds", 0) for s in states))
        lines.append(f"{test:<{width}}  " +
                     " ".join(f"{cell(by.get((test, s))):<12}" for s in states) +
                     f" {secs or '':>5}")
    lines.append("")
    lines.append(f"legend: {LEGEND}")
    lines += [f"note: {n}" for n in notes]
    lines += [f"PROBLEM: {p}" for p in problems]
    # Counted: the patched and debug rows, and the baseline expectations.
    counted = [r for r in rows if r["state"] in SERIES_STATES
               and r.get("expect") != "xfail"]
    npass = sum(1 for r in counted if r["status"] == "PASS" or
                (r["status"] == "SKIP" and r["test"].startswith("kunit:")) or
                peer_as_before(r, by.get((r["test"], "baseline"))))
    nfail = len(counted) - npass
    nbase = len([g for g in groups
                 if groups[g][0].get("expect") not in ("race", "peer")]) + len(xgroups)
    lines.append(f"verify: {npass + nbase - nbase_bad} passed, "
                 f"{nfail + nbase_bad} failed")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    with open(summary_path, "w") as f:
        f.write(text)
    with open(summary_path.rsplit(".", 1)[0] + ".json", "w") as f:
        json.dump({"header": header, "rows": rows, "notes": notes,
                   "problems": problems}, f, indent=1)
    kernels = [(s, [ktap_case(r, by.get((r["test"], "baseline")))
                    for r in rows if r["state"] == s])
               for s in STATES if any(r["state"] == s for r in rows)]
    with open(os.path.join(os.path.dirname(summary_path), "results.ktap"), "w") as f:
        f.write("\n".join(ktap.lines(header, kernels, notes, problems)) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    one = None
    if args[:1] == ["--one"] and len(args) > 1:
        one = args[1]
        args = args[2:]
    if len(args) != 3:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*args, one=one))
