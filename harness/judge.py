#!/usr/bin/env python3
"""Judge one guest run from its serial console log.

    judge.py LOG TEST [--kunit-tree SRC] [--state STATE --expect EXPECT
             --seconds N [--retried WHY]] [--results FILE]
             [--brief | --fields F,...]
                                 print one JSON result per line; --results:
                                 append them to FILE too; --brief: print
                                 "[STATE] TEST STATUS DETAIL" lines instead,
                                 --fields: the fields F (0 for a missing
                                 count) separated by spaces
    judge.py --has-splat LOG     exit 0 if the log shows a splat

A result is {"test", "status", "detail"}; status is PASS, FAIL, SKIP,
INCONCLUSIVE (a race test that raced too little to say: it says so with
"inconclusive:" in its output), STALL (the guest was killed before the
test ended) or ERROR (the harness could not run the test: QEMU failed, or
KUnit's output could not be parsed).  A race test's counts, summed over
its runs, are added to its result: maps (or guest passes), raced (those
that met a zap), spurious (EINVAL from MAP_DMA, or EFAULT from KVM_RUN
where every refault can succeed), efault.  A kernel splat anywhere in the log fails the test that was
running, even when the test itself passed; so does a guest that ended
by itself before its test started.  KUnit results are parsed with the
kernel tree's own tools/testing/kunit/kunit.py, one row per test case.
verify.sh's rows also carry the kernel (--state), the tests list's
baseline expectation (--expect), the seconds the boot took and, for a
test booted twice, why (--retried: "first boot: WHY").

The console interleaves two streams: the guest's tty (the init's and the
tests' output) and the kernel's printk records, which the serial driver
writes whole, at any point of a tty line.  read_log() takes them apart
again: a record that starts inside a line is a line of its own, and the
tty text around it is joined back into one line.  The markers come
twice, once from each stream, and are looked for anywhere in a line.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap

# Lines that mean the kernel is unwell, whatever the test printed.
SPLAT = re.compile(
    r"BUG: |Oops|WARNING: |general protection fault|Kernel panic"
    r"|possible circular locking dependency|possible recursive locking"
    r"|inconsistent lock state|sleeping function called from invalid context"
    r"|suspicious RCU usage|INFO: task .* blocked for more than"
    r"|rcu: INFO: .* detected stalls|watchdog: BUG: soft lockup"
    r"|UBSAN: |KASAN: |kernel BUG at|: bad (pgd|p4d|pud|pmd|pte) "
)
# A test name: what guest/tests.list and harness.test= can hold.  A name
# runs up to the first other character, such as the "[" of a printk
# record written right after it.
NAME = r"([A-Za-z0-9_.:-]+)"
START = re.compile(r"HARNESS-TEST-START " + NAME)
END = re.compile(r"HARNESS-TEST-END " + NAME + r" rc=(\d+)")
# run-vm.sh's own lines, appended after QEMU ended (an old log may have
# one at the end of a console line the guest left unfinished).
RUN_VM = "run-vm: "
KILLED = re.compile(r"run-vm: (?!QEMU exited)(.*)")
QEMU_FAILED = re.compile(r"run-vm: (QEMU exited .*)")
# A printk record's timestamp, at the start of the record.
TIMESTAMP = re.compile(r"\[\s*\d+\.\d+\]\s?")
TAP_RESULT = re.compile(r"^(not ok|ok) \d+ (.*?)(?: # (SKIP|XFAIL).*)?$")
# Selftest lines worth quoting in the table (the race tests' counts, the
# level bar_map_level measured).
NOTE = re.compile(r"^# (\d+ (?:maps|guest passes) .*"
                  r"|the 1 GiB BAR is mapped with .*"
                  r"|.*: (Invalid argument|Bad address).*)$")
# A race test's summary line, one per run: "# N maps of ..." (or "# N
# guest passes over ..." for KVM), with "N raced", "N EINVAL" or "N
# spurious EFAULT" (the spurious errors) and "N EFAULT" in it.
RACE_LINE = re.compile(r"^# (\d+) (?:maps of|guest passes over) ")
COUNTS = ("maps", "raced", "spurious", "efault")
RACE_FIELDS = {"raced": r"(\d+) (?:maps |passes )?raced",
               "spurious": r"(\d+) (?:EINVAL|spurious EFAULT)",
               "efault": r"(\d+) EFAULT"}
INCONCLUSIVE = re.compile(r"inconclusive: ")


def strip(line):
    """Drop the printk timestamp so that patterns see the message."""
    line = line.rstrip("\r\n")
    m = TIMESTAMP.match(line)
    return line[m.end():] if m else line


def console_lines(raw):
    """The console's lines, each printk record and each tty line whole:
    a record written in the middle of a tty line becomes a line of its
    own, before the tty line, whose two parts are joined.  Timestamps are
    dropped.  "\r", "\n" and "\r\n" all end a line."""
    lines = []
    pending = ""  # the start of a tty line cut by a record
    for line in raw:
        line = line.rstrip("\r\n")
        if TIMESTAMP.match(line):
            lines.append(strip(line))
            continue
        if line.startswith(RUN_VM):
            if pending:
                lines.append(pending)
            pending = ""
            lines.append(line)
            continue
        line = pending + line
        m = TIMESTAMP.search(line)
        if m:
            lines.append(strip(line[m.start():]))
            pending = line[:m.start()]
        else:
            lines.append(line)
            pending = ""
    if pending:
        lines.append(pending)
    return lines


def read_log(path):
    # Universal newlines: a lone "\r" ends a line too.
    with open(path, errors="replace") as f:
        return console_lines(f)


def first_splat(lines):
    for line in lines:
        if SPLAT.search(line) and not line.startswith("#"):
            return line.strip()
    return None


def result(test, status, detail=""):
    return {"test": test, "status": status, "detail": detail}


def kunit_results(log, tree):
    """One result per KUnit case, parsed by kunit.py from the tree."""
    kunit_py = os.path.join(tree, "tools/testing/kunit/kunit.py")
    if not os.path.exists(kunit_py):
        return [result("kunit", "ERROR", f"{kunit_py} not found")]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "kunit.json")
        # -B: no __pycache__ in the kernel tree, which would cost it its
        # results-cache key (lib.sh's src_tree).
        proc = subprocess.run(
            [sys.executable, "-B", kunit_py, "parse", f"--json={out}",
             os.path.abspath(log)],
            capture_output=True, text=True,
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
        if not os.path.exists(out):
            return [result("kunit", "ERROR",
                           "kunit.py parse: " + proc.stdout[-300:])]
        with open(out) as f:
            data = json.load(f)
    rows = []
    groups = [data]
    while groups:
        group = groups.pop(0)
        groups += group.get("sub_groups", [])
        for case in group.get("test_cases", []):
            status = {"PASS": "PASS", "SKIP": "SKIP"}.get(case["status"], "FAIL")
            rows.append(result(f"kunit:{case['name']}", status,
                               "" if status == "PASS" else case["status"]))
    if not rows:
        rows.append(result("kunit", "FAIL", "no KUnit results on the console"))
    return rows


def selftest_detail(lines):
    passed = sum(1 for l in lines if TAP_RESULT.match(l) and l.startswith("ok")
                 and "# SKIP" not in l)
    failed = [TAP_RESULT.match(l).group(2) for l in lines
              if TAP_RESULT.match(l) and l.startswith("not ok")]
    skipped = sum(1 for l in lines if TAP_RESULT.match(l) and "# SKIP" in l)
    notes = [NOTE.match(l).group(1) for l in lines if NOTE.match(l)]
    detail = f"{passed} ok, {len(failed)} not ok, {skipped} skip"
    if failed:
        detail += ": " + ", ".join(failed[:3])
    if notes:
        detail += "; " + notes[-1]
    return detail, failed


def first_match(pattern, lines):
    return next((m.group(1) for l in lines if (m := pattern.search(l))), None)


def race_counts(lines):
    """A race test's counts summed over its runs, or None without any."""
    counts = {}
    for line in lines:
        m = RACE_LINE.match(line)
        if not m:
            continue
        counts["maps"] = counts.get("maps", 0) + int(m.group(1))
        for key, pattern in RACE_FIELDS.items():
            f = re.search(pattern, line)
            if f:
                counts[key] = counts.get(key, 0) + int(f.group(1))
    return counts or None


def judge(log, test, tree=None):
    lines = read_log(log)
    started = ended = None
    for i, line in enumerate(lines):
        for m in START.finditer(line):
            if m.group(1) == test and started is None:
                started = i
        for m in END.finditer(line):
            if m.group(1) == test:
                ended = (i, int(m.group(2)))
    killed = first_match(KILLED, lines)
    qemu_failed = first_match(QEMU_FAILED, lines)
    splat = first_splat(lines)

    if qemu_failed and started is None and not splat:
        rows = [result(test, "ERROR", f"test never started; {qemu_failed}")]
    elif test == "kunit":
        rows = kunit_results(log, tree) if tree else [
            result("kunit", "ERROR", "no kernel tree to parse KUnit with")]
        if killed:
            # The cases ran at boot, but the guest did not end cleanly.
            for row in rows:
                if row["status"] in ("PASS", "SKIP"):
                    row.update(status="STALL", detail=killed)
    elif started is None:
        # A guest that hung, or ended by itself, before its test: the
        # kernel's failure, not the harness's.
        last = next((l.strip() for l in reversed(lines)
                     if l.strip() and RUN_VM not in l),
                    "empty console")
        if killed:
            status, why = "STALL", killed
        else:
            status, why = "FAIL", "guest ended; last console line: " + last
        rows = [result(test, status, f"test never started; {why}")]
    elif ended is None:
        status = ("FAIL" if splat else "STALL" if killed
                  else "ERROR" if qemu_failed else "FAIL")
        rows = [result(test, status,
                       (splat + "; " if splat else "") +
                       (killed or qemu_failed or "guest ended before the test did"))]
    else:
        test_lines = lines[started:ended[0]]
        detail, failed = selftest_detail(test_lines)
        rc = ended[1]
        if rc == 4:
            status = "SKIP"
        elif rc == 0 and not failed:
            status = "PASS"
        else:
            status = "FAIL"
            detail = f"rc={rc}; {detail}"
        if status in ("PASS", "SKIP") and any(
                INCONCLUSIVE.search(l) for l in test_lines):
            # It neither failed nor raced enough to pass.
            status = "INCONCLUSIVE"
            detail = next(l for l in test_lines if INCONCLUSIVE.search(l)
                          ).lstrip("# ") + "; " + detail
        if killed and status != "FAIL":
            # The test ended, but the guest did not: a stall, not a pass.
            status = "STALL"
            detail = f"{detail}; {killed}"
        elif qemu_failed and status != "FAIL":
            status = "ERROR"
            detail = f"{detail}; {qemu_failed}"
        rows = [result(test, status, detail)]
        rows[0]["failed"] = failed
        rows[0]["passed"] = sum(1 for l in test_lines if TAP_RESULT.match(l)
                                and l.startswith("ok") and "# SKIP" not in l)

    counts = race_counts(lines)
    if counts and test != "kunit":
        rows[0].update(counts)

    if splat:
        for row in rows:
            row["splat"] = splat
            if row["status"] in ("PASS", "SKIP", "INCONCLUSIVE", "STALL",
                                 "ERROR"):
                row["status"] = "FAIL"
            if splat not in row["detail"]:
                row["detail"] = f"{splat}; {row['detail']}".rstrip("; ")
    return rows


def finish(row, state=None, expect=None, seconds=None, retried=None):
    """ROW as verify.sh records it."""
    if state is not None:
        row.update(state=state, expect=expect, seconds=int(seconds or 0))
    if retried:
        row["retried"] = "first boot: " + retried
    return row


def brief(row):
    state = f"{row['state']:<10} " if "state" in row else ""
    return f"{state}{row['test']:<34} {row['status']:<12} {row['detail']}"


def fields(row, names):
    return " ".join(str(row.get(n, 0 if n in COUNTS else "")) for n in names)


def main(argv):
    parser = argparse.ArgumentParser(
        prog="judge.py",
        usage=textwrap.dedent(__doc__.split("\n\n")[1]).strip("\n"),
        add_help=False)
    parser.add_argument("--has-splat", action="store_true")
    parser.add_argument("--kunit-tree")
    parser.add_argument("--state")
    parser.add_argument("--expect")
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--retried")
    parser.add_argument("--results")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--brief", action="store_true")
    output.add_argument("--fields", type=lambda f: f.split(","))
    parser.add_argument("log")
    parser.add_argument("test", nargs="?")
    args = parser.parse_args(argv[1:])
    if (args.test is None) != args.has_splat or \
            (args.state is None) != (args.expect is None):
        parser.print_usage(sys.stderr)
        return 2
    if not os.path.isfile(args.log):
        print(f"judge.py: {args.log}: no such console log", file=sys.stderr)
        return 2
    if args.has_splat:
        return 0 if first_splat(read_log(args.log)) else 1
    rows = [finish(row, args.state, args.expect, args.seconds, args.retried)
            for row in judge(args.log, args.test, args.kunit_tree)]
    if args.results:
        with open(args.results, "a") as f:
            f.writelines(json.dumps(row) + "\n" for row in rows)
    for row in rows:
        print(brief(row) if args.brief else
              fields(row, args.fields) if args.fields else json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
