#!/usr/bin/env python3
"""A verify run's rows as KTAP (the kernel's Documentation/dev-tools/ktap.rst),
for tools that read test results of the kernel: kunit.py parse, KernelCI.

One subtest per kernel (baseline, patched, ...), one test case per row of
the table, then one case "verdict", ok when the run passed; the run's
header, notes and problems are diagnostic lines.  A row is "ok" unless it
is a problem of the run; its directive says how it was ok or not:

    # SKIP      it could not run (a KUnit case without contiguous memory),
                or a race measured on the baseline raced too little
    # XFAIL     it failed where it must: on the baseline (the bug is there)
                or on a kernel without the fix it checks; or a suite that
                fails on the baseline too (the series is judged against it)
    # TIMEOUT   not ok: the guest stalled before the test ended
    # ERROR     not ok: the harness could not run it
kunit.py parse counts XFAIL as passed: it knows SKIP only, as KTAP allows.
"""

INDENT = "    "


def clean(text):
    """Diagnostic text on one line, never read as a directive of its own."""
    text = " ".join(str(text).split())
    return text if not text.upper().startswith(("SKIP", "TODO", "XFAIL")) else "- " + text


def result(number, name, ok, directive="", text=""):
    """One result line: "ok 3 name # XFAIL text"."""
    line = f"{'ok' if ok else 'not ok'} {number} {name}"
    tail = " ".join(w for w in (directive, clean(text) if text else "") if w)
    return line + (f" # {tail}" if tail else "")


def lines(header, kernels, notes, problems):
    """KTAP version 1 of a run.  KERNELS: [(state, [(name, ok, directive,
    text)])] in the table's order; NOTES and PROBLEMS: the summary's."""
    out = ["KTAP version 1"]
    out += [f"# {clean(h)}" for h in header.splitlines() if h.strip()]
    out.append(f"1..{len(kernels) + 1}")
    for number, (state, cases) in enumerate(kernels, 1):
        out += [INDENT + "KTAP version 1", f"{INDENT}# Subtest: {state}",
                f"{INDENT}1..{len(cases)}"]
        out += [INDENT + result(n, *case) for n, case in enumerate(cases, 1)]
        out.append(result(number, state, all(case[1] for case in cases)))
    out += [f"# note: {clean(n)}" for n in notes]
    out += [f"# PROBLEM: {clean(p)}" for p in problems]
    out.append(result(len(kernels) + 1, "verdict", not problems,
                      text=f"{len(problems)} problems" if problems else ""))
    return out
