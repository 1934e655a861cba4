#!/usr/bin/env python3
"""Tests for the harness's own logic, on recorded console logs and small
git repositories: no kernel build, no VM."""

import glob
import json
import re
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HARNESS = os.path.join(REPO, "harness")
FIXTURES = os.path.join(REPO, "tests", "fixtures")
sys.path.insert(0, HARNESS)

# A kernel tree whose tools/testing/kunit parses KUnit consoles and
# results.ktap: only when given (make check KUNIT_TREE=...), never looked
# for in the user's cache, so that make check is the same everywhere.
KUNIT_TREE = os.environ.get("KUNIT_TREE")
NO_KUNIT_TREE = ("no KUNIT_TREE: make check KUNIT_TREE=<a kernel tree, e.g. "
                 "~/.cache/pfnmap-series/src/7.3> parses with its kunit.py")


def knobs_file():
    """(name, kind) of each knob of harness/knobs, the one list of them."""
    with open(os.path.join(HARNESS, "knobs")) as f:
        return [tuple(line.split()[:2]) for line in f if line[:1].isupper()]


# The tests run the scripts with the knobs they give and nothing else: no
# knob, nor make's own variables, from the environment make check ran in.
for _var in list(os.environ):
    if _var in dict(knobs_file()) or _var.startswith("PFNMAP_") or _var in (
            "GUEST_ARCH", "VERIFY_ONE", "MAKEFLAGS", "MFLAGS", "MAKELEVEL",
            "CROSS_COMPILE"):
        del os.environ[_var]

import judge  # noqa: E402
import summarize  # noqa: E402
import tests_list  # noqa: E402


def lib_sh(script, *args, **kwargs):
    """Run SCRIPT (bash, with ARGS as $1...) after sourcing harness/lib.sh
    under the settings every harness script runs with: set -euo pipefail."""
    return subprocess.run(
        ["bash", "-c", f'set -euo pipefail; . "{HARNESS}/lib.sh"; {script}',
         "-", *args], **dict(dict(capture_output=True, text=True), **kwargs))


def default_signals():
    """In a child before it runs a script under test: the default action of
    SIGINT, SIGHUP and SIGTERM, which a make check started under nohup or
    as a background job of a non-interactive shell inherits as ignored.
    bash cannot trap a signal that was ignored when it started."""
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def fixture(name):
    return os.path.join(FIXTURES, name)


def judged(name, test):
    rows = judge.judge(fixture(name), test)
    assert len(rows) == 1, rows
    return rows[0]


def judged_text(text, test):
    """judge.judge() of a console log given as text."""
    with tempfile.NamedTemporaryFile("w", suffix=".log") as f:
        f.write(text)
        f.flush()
        return judge.judge(f.name, test)


NEW_RACE = """HARNESS-TEST-START race
# 10755 maps of 0x200000 bytes in 15 s, 9019 raced a decode toggle (9063 toggles): 5586 EFAULT (decode off), 7 EINVAL, 0 other errors
ok 1 a.vfio_type1_iommu.map_bar_while_toggling_decode
# 12 maps of 0x200000 bytes in 15 s, 3 reads of numa_maps, 2 maps raced a PUD split (thp_split_pud now 5): 0 EINVAL, 0 other errors
#      SKIP      inconclusive: 2 maps raced a zap, fewer than 500
ok 2 a.vfio_type1v2_iommu.map_bar_while_reading_numa_maps # SKIP inconclusive: 2 maps raced a zap, fewer than 500
HARNESS-TEST-END race rc=0
"""


class JudgeTest(unittest.TestCase):
    def test_race_counts_and_inconclusive(self):
        row = judged_text(NEW_RACE, "race")[0]
        self.assertEqual(row["status"], "INCONCLUSIVE")
        self.assertIn("inconclusive: 2 maps raced", row["detail"])
        self.assertEqual((row["maps"], row["raced"], row["spurious"],
                          row["efault"]), (10767, 9021, 7, 5586))

    def test_bar_map_level_is_quoted(self):
        row = judged_text("HARNESS-TEST-START bar_map_level\n# the 1 GiB BAR is mapped "
                          "with PMD entries: one fault made 512 of 262144 pages present\n"
                          "HARNESS-TEST-END bar_map_level rc=0\n", "bar_map_level")[0]
        self.assertEqual(row["status"], "PASS")
        self.assertIn("mapped with PMD entries", row["detail"])

    def test_kvm_race_counts(self):
        row = judged_text(
            "HARNESS-TEST-START kvm\n# 4000 guest passes over 0x40000000 "
            "bytes in 15 s (numa_maps), 900 raced a zap: 3 spurious EFAULT "
            "from KVM_RUN\nFAIL: x\nHARNESS-TEST-END kvm rc=1\n", "kvm")[0]
        self.assertEqual(row["status"], "FAIL")
        self.assertEqual((row["maps"], row["raced"], row["spurious"]),
                         (4000, 900, 3))

    def test_clean_pass(self):
        row = judged("clean-pass.log", "mmio")
        self.assertEqual(row["status"], "PASS")
        self.assertIn("15 ok, 0 not ok", row["detail"])

    def test_oops_fails_the_running_test(self):
        row = judged("oops-in-test.log", "split")
        self.assertEqual(row["status"], "FAIL")
        self.assertIn("BUG: unable to handle page fault", row["detail"])

    def test_bad_pud_fails_even_when_the_test_passed(self):
        row = judged("bad-pud.log", "split")
        self.assertEqual(row["status"], "FAIL")
        self.assertIn("bad pud", row["detail"])

    def test_race_caught(self):
        row = judged("race-einval.log", "race")
        self.assertEqual(row["status"], "FAIL")
        self.assertIn("EINVAL", row["detail"])
        self.assertEqual(row["spurious"], 2)
        self.assertEqual((row["maps"], row["efault"]), (7792 + 7354, 6514 + 5959))

    def test_stall_in_test(self):
        row = judged("stall-in-test.log", "race")
        self.assertEqual(row["status"], "STALL")

    def test_stall_after_test_is_no_pass(self):
        row = judged("stall-after-test.log", "mmio")
        self.assertEqual(row["status"], "STALL")

    def test_guest_that_ended_before_its_test_fails(self):
        row = judged("clean-pass.log", "something_else")
        self.assertEqual(row["status"], "FAIL")
        self.assertIn("guest ended; last console line: reboot: Power down", row["detail"])

    def test_guest_killed_before_its_test_stalls(self):
        [row] = judged_text("[    1.0] Linux version 7.3.4\n"
                                 "run-vm: guest still running after 300s, killed (stall)\n",
                                 "split")
        self.assertEqual(row["status"], "STALL")

    def test_splat_before_the_test_fails(self):
        [row] = judged_text("[    1.0] BUG: kernel NULL pointer dereference\n"
                                 "run-vm: kernel splat on the console, guest killed after 15s\n",
                                 "split")
        self.assertEqual(row["status"], "FAIL")

    def test_splat_turns_a_kunit_error_into_a_failure(self):
        [row] = judged_text("[    1.0] Oops: general protection fault\n", "kunit")
        self.assertEqual(row["status"], "FAIL")

    def test_start_marker_split_by_printk(self):
        # The tty copy of the marker is broken; the kmsg copy is whole.
        row = judged("marker-split.log", "mmio")
        self.assertEqual(row["status"], "PASS")
        self.assertIn("15 ok, 0 not ok", row["detail"])

    def test_first_start_marker_counts(self):
        # The kmsg copy of the marker came after the results.
        row = judged("marker-late-kmsg.log", "mmio")
        self.assertEqual(row["status"], "PASS")
        self.assertIn("15 ok, 0 not ok", row["detail"])

    def test_marker_echo_and_kmsg_on_one_line(self):
        # Issue 15: "HARNESS-TEST-START NAME[    2.531027] HARNESS-TEST-START
        # NAME", the init's echo and the kernel's copy of the marker.
        row = judged("marker-echo-kmsg.log", "vfio_pud_split_mremap_whole")
        self.assertEqual(row["status"], "PASS", row)

    def test_marker_names_cut_by_printk(self):
        # No kmsg copies: the tty lines, joined again, hold the markers.
        row = judged("marker-name-split.log", "vfio_pud_split_mremap_whole")
        self.assertEqual(row["status"], "PASS", row)

    def test_marker_line_ends(self):
        # "\r\r\n", a lone "\r", a record between "\r" and "\n".
        row = judged("marker-cr.log", "vfio_pud_split_mremap_whole")
        self.assertEqual(row["status"], "PASS", row)

    def test_tap_lines_cut_by_printk(self):
        row = judged("tap-split.log", "mm_mremap_test")
        self.assertEqual(row["status"], "FAIL")
        self.assertEqual(row["failed"], ["mremap move multiple invalid vmas",
                                         "mremap move within range"])
        self.assertEqual(row["passed"], 2)
        self.assertIn("2 ok, 2 not ok, 1 skip", row["detail"])

    def test_splat_inside_a_test_line_fails(self):
        row = judged("splat-in-test-line.log", "split")
        self.assertEqual(row["status"], "FAIL")
        self.assertIn("BUG: unable to handle page fault", row["detail"])

    def test_test_warning_cut_by_printk_is_no_splat(self):
        row = judged("test-warning-split.log", "split")
        self.assertEqual(row["status"], "PASS", row)

    def test_race_lines_cut_by_printk(self):
        row = judged("race-line-split.log", "race_numa_maps")
        self.assertEqual(row["status"], "INCONCLUSIVE")
        self.assertTrue(row["detail"].startswith("SKIP      inconclusive: 2 maps"),
                        row["detail"])
        self.assertEqual((row["maps"], row["raced"], row["spurious"]),
                         (7804, 452, 0))

    def test_killed_in_the_middle_of_a_line_stalls(self):
        row = judged("killed-mid-line.log", "mmio")
        self.assertEqual(row["status"], "STALL", row)
        self.assertIn("did not power off", row["detail"])

    def test_every_fixture_judged_alike_whatever_the_line_ends(self):
        """LF, CRLF and CR CR LF consoles of each fixture: the same rows."""
        cases = {"clean-pass.log": "mmio", "oops-in-test.log": "split",
                 "bad-pud.log": "split", "race-einval.log": "race",
                 "stall-in-test.log": "race", "stall-after-test.log": "mmio",
                 "marker-split.log": "mmio", "marker-late-kmsg.log": "mmio",
                 "qemu-failed.log": "split",
                 "marker-echo-kmsg.log": "vfio_pud_split_mremap_whole",
                 "marker-name-split.log": "vfio_pud_split_mremap_whole",
                 "marker-cr.log": "vfio_pud_split_mremap_whole",
                 "tap-split.log": "mm_mremap_test",
                 "splat-in-test-line.log": "split",
                 "test-warning-split.log": "split",
                 "race-line-split.log": "race_numa_maps",
                 "killed-mid-line.log": "mmio"}
        for name, test in cases.items():
            want = judged(name, test)
            with open(fixture(name), newline="") as f:
                text = f.read()
            lines = text.replace("\r\n", "\n").replace("\r", "\n").splitlines()
            for tty_end in ("\n", "\r\n", "\r\r\n"):
                # A kernel record ends in "\r\n" or "\n"; a tty line may
                # be "\r\r\n" too (a program's "\r\n" through onlcr);
                # run-vm.sh's own lines end in "\n".
                kernel_end = "\n" if tty_end == "\n" else "\r\n"
                variant = "".join(
                    line + ("\n" if line.startswith("run-vm: ") else
                            kernel_end if judge.TIMESTAMP.search(line) else
                            tty_end) for line in lines)
                with self.subTest(fixture=name, tty_end=repr(tty_end)):
                    with tempfile.NamedTemporaryFile("w", newline="") as f:
                        f.write(variant)
                        f.flush()
                        [row] = judge.judge(f.name, test)
                    self.assertEqual(row, want)

    def test_qemu_failure_is_an_error_with_its_message(self):
        row = judged("qemu-failed.log", "split")
        self.assertEqual(row["status"], "ERROR")
        self.assertIn("Cannot allocate memory", row["detail"])

    def test_qemu_failure_after_the_test_is_no_stall(self):
        with open(fixture("clean-pass.log")) as f:
            text = f.read() + "run-vm: QEMU exited with status 134: Aborted\n"
        [row] = judged_text(text, "mmio")
        self.assertEqual(row["status"], "ERROR")
        self.assertIn("QEMU exited with status 134", row["detail"])

    def test_finished_rows(self):
        cmd = [sys.executable, os.path.join(HARNESS, "judge.py"),
               fixture("clean-pass.log"), "mmio"]
        out = subprocess.run(cmd + ["--state", "patched", "--expect", "pass",
                                    "--seconds", "12", "--retried", "QEMU exited"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        row = json.loads(out.stdout)
        self.assertEqual((row["test"], row["status"], row["state"], row["expect"],
                          row["seconds"], row["retried"]),
                         ("mmio", "PASS", "patched", "pass", 12,
                          "first boot: QEMU exited"))
        self.assertEqual(list(row)[:3], ["test", "status", "detail"])
        out = subprocess.run(cmd + ["--state", "patched", "--expect", "pass",
                                    "--brief"], capture_output=True, text=True)
        self.assertEqual(out.stdout.split(), ["patched", "mmio", "PASS", "15", "ok,",
                                              "0", "not", "ok,", "0", "skip"])
        with tempfile.TemporaryDirectory() as tmp:
            results = os.path.join(tmp, "results.jsonl")
            for _ in range(2):
                out = subprocess.run(
                    [sys.executable, os.path.join(HARNESS, "judge.py"),
                     fixture("race-einval.log"), "race", "--results", results,
                     "--fields", "status,maps,spurious,raced,detail"],
                    capture_output=True, text=True)
                self.assertEqual(out.stdout.split()[:5], ["FAIL", "15146", "2", "0", "rc=1;"])
            with open(results) as f:
                self.assertEqual([json.loads(l)["spurious"] for l in f], [2, 2])

    def test_has_splat(self):
        cmd = [sys.executable, os.path.join(HARNESS, "judge.py"), "--has-splat"]
        self.assertEqual(subprocess.run(cmd + [fixture("oops-in-test.log")]).returncode, 0)
        self.assertEqual(subprocess.run(cmd + [fixture("clean-pass.log")]).returncode, 1)

    def test_splat_patterns(self):
        for line in ("[   1.0] WARNING: CPU: 0 PID: 1 at mm/memory.c:1 foo",
                     "[   1.0] BUG: sleeping function called from invalid context",
                     "[   1.0] WARNING: possible circular locking dependency detected",
                     "[   1.0] mm/pgtable-generic.c:44: bad pud 0(1)"):
            self.assertTrue(judge.first_splat([judge.strip(line)]), line)
        for line in ("# WARNING: a test's own message", "[   1.0] kunit: disabled"):
            self.assertFalse(judge.first_splat([judge.strip(line)]), line)

    @unittest.skipUnless(KUNIT_TREE, NO_KUNIT_TREE)
    def test_kunit_rows(self):
        rows = judge.judge(fixture("kunit-baseline.log"), "kunit", KUNIT_TREE)
        status = {r["test"]: r["status"] for r in rows}
        self.assertEqual(status["kunit:follow_pfnmap_outside_vma"], "PASS")
        self.assertEqual(status["kunit:follow_pfnmap_pte"], "FAIL")


class QuoteTest(unittest.TestCase):
    """quote.py: docs/results.md's numbers, printed from a run's directory."""

    def test_races_and_depths(self):
        with tempfile.TemporaryDirectory() as tmp:
            run = os.path.join(tmp, "7.3")
            os.makedirs(os.path.join(run, "depth"))
            rows = [{"test": "kunit", "state": "baseline", "status": "FAIL"},
                    {"test": "race_numa_maps", "state": "baseline",
                     "status": "FAIL", "maps": 40, "raced": 30,
                     "spurious": 2},
                    {"test": "race_numa_maps", "state": "depth",
                     "status": "PASS", "maps": 4000, "raced": 3000}]
            with open(os.path.join(run, "summary.json"), "w") as f:
                json.dump({"header": "kernel 7.3.4 (x)\nqemu", "rows": rows,
                           "notes": [], "problems": []}, f)
            with open(os.path.join(run, "depth", "race_numa_maps.log"), "w") as f:
                f.write("# pfnmap_retry_depth kvm: 0,0,0\r\n"
                        "# pfnmap_retry_depth vfio_iommu_type1: 1000,17,2\n")
            out = subprocess.run([os.path.join(HARNESS, "quote.py"), run],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("| race_numa_maps | baseline 2 in 30; depth 0 in 3,000 |",
                          out.stdout)
            self.assertIn("retry depth, vfio_iommu_type1, race_numa_maps on depth: "
                          "1,019 lookups; 17 took 1, 2 took 2", out.stdout)
            self.assertNotIn("kvm, race_numa_maps", out.stdout)
            self.assertNotIn("kunit", out.stdout)

    def test_not_a_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([os.path.join(HARNESS, "quote.py"), tmp],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 2)
            self.assertIn("summary.json not found", out.stderr)


class RejudgeTest(unittest.TestCase):
    """rejudge.py: a finished run's consoles against its recorded rows."""

    def run_rejudge(self, recorded):
        with tempfile.TemporaryDirectory() as out:
            os.makedirs(os.path.join(out, "baseline"))
            for test, fixture_name in (("vfio_pud_split_mremap_whole",
                                        "marker-echo-kmsg.log"),
                                       ("mmio", "clean-pass.log")):
                with open(fixture(fixture_name)) as src, open(
                        os.path.join(out, "baseline", test + ".log"), "w") as dst:
                    dst.write(src.read())
            with open(os.path.join(out, "results.jsonl"), "w") as f:
                for test, status in recorded:
                    f.write(json.dumps({"test": test, "state": "baseline",
                                        "status": status, "detail": ""}) + "\n")
            return subprocess.run([os.path.join(HARNESS, "rejudge.py"), out],
                                  capture_output=True, text=True)

    def test_old_misjudged_boot_is_counted(self):
        proc = self.run_rejudge([("vfio_pud_split_mremap_whole", "FAIL"),
                                 ("mmio", "PASS")])
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("baseline/vfio_pud_split_mremap_whole: FAIL -> PASS", proc.stdout)
        self.assertIn("rejudged 2 boots", proc.stdout)
        self.assertIn("1 judged differently", proc.stdout)

    def test_same_verdicts(self):
        proc = self.run_rejudge([("vfio_pud_split_mremap_whole", "PASS"),
                                 ("mmio", "PASS")])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("0 judged differently", proc.stdout)

    def test_nothing_to_judge(self):
        with tempfile.TemporaryDirectory() as out:
            proc = subprocess.run([os.path.join(HARNESS, "rejudge.py"), out],
                                  capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("results.jsonl not found", proc.stderr)


def rows(*specs):
    return [dict(zip(("test", "state", "status", "expect"), s), detail="", seconds=1)
            for s in specs]


class SummarizeTest(unittest.TestCase):
    def run_summary(self, results):
        with tempfile.TemporaryDirectory() as tmp:
            header = os.path.join(tmp, "header")
            data = os.path.join(tmp, "results.jsonl")
            with open(header, "w") as f:
                f.write("fixture\n")
            with open(data, "w") as f:
                f.write("".join(json.dumps(r) + "\n" for r in results))
            code = summarize.main(header, data, os.path.join(tmp, "summary.txt"))
            with open(os.path.join(tmp, "results.ktap")) as f:
                self.ktap = f.read()
            with open(os.path.join(tmp, "summary.txt")) as f:
                return code, f.read()

    def test_xfail_that_passes_proves_nothing(self):
        code, text = self.run_summary(rows(
            ("kunit:pte", "baseline", "FAIL", "fail"),
            ("kunit:pte", "nocontract", "PASS", "xfail"),
            ("kunit:pte", "patched", "PASS", "fail")))
        self.assertEqual(code, 1, text)
        self.assertIn("PROBLEM: kunit does not fail on nocontract: it proves nothing", text)

    def test_expected_failures_read_xfail(self):
        code, text = self.run_summary(rows(
            ("kunit:pte", "baseline", "FAIL", "fail"), ("kunit:pte", "nocontract", "FAIL", "xfail"),
            ("kunit:pte", "patched", "PASS", "fail"),
            ("kunit:vma", "baseline", "PASS", "fail"), ("kunit:vma", "nocontract", "PASS", "xfail"),
            ("kunit:vma", "patched", "PASS", "fail"),
            ("race", "baseline", "FAIL", "race"), ("race", "patched", "PASS", "race"),
            ("peer", "baseline", "FAIL", "peer"), ("peer", "patched", "PASS", "peer")))
        self.assertEqual(code, 0, text)
        table = {line.split()[0]: line.split()[1:] for line in text.splitlines()
                 if line.startswith(("kunit:", "race", "peer"))}
        self.assertEqual(table["kunit:pte"], ["XFAIL", "XFAIL", "PASS", "-", "1"])
        self.assertEqual(table["kunit:vma"], ["PASS", "PASS", "PASS", "-", "1"])
        self.assertEqual(table["race"], ["XFAIL", "-", "PASS", "-", "1"])
        self.assertEqual(table["peer"], ["FAIL", "-", "PASS", "-", "1"])
        self.assertIn("\nlegend: XFAIL: failed where it must", text)
        # A failure that could not run proves nothing: no XFAIL.
        code, text = self.run_summary([
            dict(test="split", state="baseline", status="FAIL", expect="fail",
                 detail="rc=127", seconds=1),
            dict(test="split", state="patched", status="PASS", expect="fail",
                 detail="", seconds=1)])
        self.assertEqual(code, 1)
        self.assertRegex(text, r"\nsplit +FAIL +PASS")

    def test_good_run(self):
        code, text = self.run_summary(rows(
            ("split", "baseline", "FAIL", "fail"), ("split", "patched", "PASS", "fail"),
            ("mmio", "baseline", "PASS", "pass"), ("mmio", "patched", "PASS", "pass"),
            ("race", "baseline", "PASS", "race"), ("race", "patched", "PASS", "race")))
        self.assertEqual(code, 0, text)
        self.assertIn("race not caught this run", text)
        self.assertIn("verify: 5 passed, 0 failed", text)

    def test_ours_passing_on_baseline_proves_nothing(self):
        code, text = self.run_summary(rows(
            ("split", "baseline", "PASS", "fail"), ("split", "patched", "PASS", "fail")))
        self.assertEqual(code, 1)
        self.assertIn("proves nothing", text)

    def test_patched_failure_or_stall(self):
        for status in ("FAIL", "STALL", "ERROR"):
            code, text = self.run_summary(rows(
                ("split", "baseline", "FAIL", "fail"), ("split", "debug", status, "fail")))
            self.assertEqual(code, 1, status)

    def test_race_caught_only_with_spurious_errors(self):
        results = rows(("race", "baseline", "FAIL", "race"), ("race", "patched", "PASS", "race"))
        code, text = self.run_summary(results)
        self.assertIn("FAIL without spurious errors, race not measured", text)
        results[0]["spurious"] = 3
        code, text = self.run_summary(results)
        self.assertIn("race caught (3 spurious errors)", text)

    def test_inconclusive_fails_with_the_series_only(self):
        code, text = self.run_summary(rows(
            ("race", "baseline", "INCONCLUSIVE", "race"),
            ("race", "patched", "PASS", "race")))
        self.assertEqual(code, 0, text)
        self.assertIn("inconclusive, it raced too little", text)
        for state in ("patched", "debug", "nowalkfix"):
            code, text = self.run_summary(rows(
                ("race", "baseline", "FAIL", "race"),
                ("race", state, "INCONCLUSIVE", "race")))
            self.assertEqual(code, 1, state)

    def test_skip_with_the_series_is_a_problem_but_for_kunit_cases(self):
        code, text = self.run_summary(rows(
            ("kvm", "baseline", "FAIL", "fail"), ("kvm", "patched", "SKIP", "fail")))
        self.assertEqual(code, 1, text)
        code, text = self.run_summary(rows(
            ("kunit:pud", "baseline", "FAIL", "fail"),
            ("kunit:pud", "debug", "SKIP", "fail")))
        self.assertEqual(code, 0, text)
        self.assertIn("kunit:pud skipped on debug", text)

    def test_baseline_that_could_not_run_proves_nothing(self):
        results = rows(("t", "baseline", "FAIL", "fail"), ("t", "patched", "PASS", "fail"))
        results[0]["detail"] = "rc=127; 0 ok, 0 not ok, 0 skip"
        code, text = self.run_summary(results)
        self.assertEqual(code, 1, text)
        self.assertIn("proves nothing", text)

    def test_peer_suite_judged_against_the_baseline(self):
        results = rows(("mm", "baseline", "FAIL", "peer"),
                       ("mm", "patched", "FAIL", "peer"))
        results[0]["failed"] = ["a", "b"]
        results[1]["failed"] = ["a"]
        code, text = self.run_summary(results)
        self.assertEqual(code, 0, text)
        self.assertIn("not a regression", text)
        results[1]["failed"] = ["c"]
        code, text = self.run_summary(results)
        self.assertEqual(code, 1, text)
        results[1]["failed"] = ["a"]
        results[0]["passed"], results[1]["passed"] = 20, 5
        code, text = self.run_summary(results)
        self.assertEqual(code, 1, text)
        results[1]["passed"] = 20
        results[1]["splat"] = "BUG: x"
        code, text = self.run_summary(results)
        self.assertEqual(code, 1, text)

    def test_baseline_error_proves_nothing(self):
        code, text = self.run_summary(rows(
            ("split", "baseline", "ERROR", "fail"), ("split", "patched", "PASS", "fail")))
        self.assertEqual(code, 1)
        self.assertIn("proves nothing", text)

    def test_race_stall_on_baseline_is_no_catch(self):
        code, text = self.run_summary(rows(
            ("race", "baseline", "STALL", "race"), ("race", "patched", "PASS", "race")))
        self.assertEqual(code, 0, text)
        self.assertIn("STALL without spurious errors, race not measured", text)
        self.assertNotIn("race caught", text)

    def test_second_boot_is_noted(self):
        results = rows(("split", "baseline", "FAIL", "fail"), ("split", "debug", "PASS", "fail"))
        results[1]["retried"] = "first boot: test never started; QEMU exited with status 1"
        code, text = self.run_summary(results)
        self.assertEqual(code, 0, text)
        self.assertIn("split on debug booted twice, first boot: test never started", text)

    def test_run_that_tested_nothing_fails(self):
        code, text = self.run_summary([])
        self.assertEqual(code, 1, text)
        self.assertIn("PROBLEM: no test ran", text)
        # Only the baseline, or only checkpatch and the static checks.
        code, text = self.run_summary(rows(("split", "baseline", "FAIL", "fail")) + [
            {"test": "static-checks", "state": "patched", "status": "PASS",
             "detail": ""}])
        self.assertEqual(code, 1, text)
        self.assertIn("PROBLEM: no test ran", text)

    def test_existing_test_broken_on_baseline(self):
        code, _ = self.run_summary(rows(
            ("mmio", "baseline", "FAIL", "pass"), ("mmio", "patched", "PASS", "pass")))
        self.assertEqual(code, 1)


class KtapTest(unittest.TestCase):
    """out/BASE/results.ktap: KTAP that the kernel's own kunit.py parses,
    with SKIP and XFAIL directives."""

    GOOD = [dict(r, detail=d) for r, d in zip(rows(
        ("kunit:pte", "baseline", "FAIL", "fail"), ("kunit:pte", "patched", "PASS", "fail"),
        ("kunit:pud", "baseline", "SKIP", "fail"), ("kunit:pud", "patched", "SKIP", "fail"),
        ("split", "baseline", "FAIL", "fail"), ("split", "patched", "PASS", "fail"),
        ("race", "baseline", "INCONCLUSIVE", "race"), ("race", "patched", "PASS", "race"),
        ("checkpatch:a.patch", "patched", "PASS", None)),
        ("", "", "no PUD # here", "no PUD # here", "split failed", "", "inconclusive: 2 maps",
         "", ""))]

    def ktap(self, results):
        test = SummarizeTest()
        code, _ = test.run_summary(results)
        return code, test.ktap

    def test_directives(self):
        code, text = self.ktap(self.GOOD)
        self.assertEqual(code, 0)
        self.assertEqual(text.splitlines()[:4], [
            "KTAP version 1", "# fixture", "1..3", "    KTAP version 1"])
        for line in ("    # Subtest: baseline", "    1..4",
                     "    ok 1 kunit:pte # XFAIL", "    ok 2 kunit:pud # SKIP no PUD # here",
                     "    ok 3 split # XFAIL split failed",
                     "    ok 4 race # SKIP INCONCLUSIVE: inconclusive: 2 maps", "ok 1 baseline",
                     "    ok 5 checkpatch:a.patch", "ok 2 patched", "ok 3 verdict"):
            self.assertIn(line + "\n", text)
        bad = [dict(r, status="STALL") if r["test"] == "split" and r["state"] == "patched"
               else r for r in self.GOOD]
        code, text = self.ktap(bad)
        self.assertEqual(code, 1)
        self.assertIn("    not ok 3 split # TIMEOUT\n", text)
        self.assertIn("not ok 2 patched\n", text)
        self.assertIn("# PROBLEM: split on patched: STALL\n", text)
        self.assertIn("not ok 3 verdict # 1 problems\n", text)

    @unittest.skipUnless(KUNIT_TREE, NO_KUNIT_TREE)
    def test_kunit_py_parses_it(self):
        kunit_py = os.path.join(KUNIT_TREE, "tools", "testing", "kunit", "kunit.py")
        for results, rc, statuses in (
                (self.GOOD, 0, {("baseline", "kunit:pte"): "PASS",
                                ("baseline", "kunit:pud"): "SKIP",
                                ("baseline", "race"): "SKIP", ("patched", "split"): "PASS",
                                ("", "verdict"): "PASS"}),
                ([dict(r, status="FAIL") if r["test"] == "split" and r["state"] == "patched"
                  else r for r in self.GOOD], 1,
                 {("patched", "split"): "FAIL", ("baseline", "split"): "PASS",
                  ("", "verdict"): "FAIL"})):
            _, text = self.ktap(results)
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "results.ktap")
                with open(path, "w") as f:
                    f.write(text)
                proc = subprocess.run(
                    [sys.executable, "-B", kunit_py, "parse", f"--json={tmp}/r.json", path],
                    capture_output=True, text=True, timeout=60)
                self.assertEqual(proc.returncode, rc, proc.stdout + proc.stderr)
                self.assertNotIn("[ERROR]", proc.stdout)
                with open(os.path.join(tmp, "r.json")) as f:
                    parsed = json.load(f)
            cases = {("", c["name"]): c["status"] for c in parsed.get("test_cases", [])}
            for suite in parsed["sub_groups"]:
                for case in suite.get("test_cases", []):
                    cases[(suite["name"], case["name"])] = case["status"]
            for name, status in statuses.items():
                self.assertEqual(cases.get(name), status, (name, cases))


class BadInputTest(unittest.TestCase):
    """Bad input fails at once, in one line naming the fix, before any
    download or build (a scratch cache and out dir stay empty)."""

    def run_harness(self, cmd, **given):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, PFNMAP_CACHE=os.path.join(tmp, "cache"),
                       OUT_DIR=os.path.join(tmp, "out"))
            for var in ("TESTS", "KDIR", "UPSTREAM_COMMITS", "BASE",
                        "CROSS_ARCHES", "ARCH", "GUEST_ARCH"):
                env.pop(var, None)
            env.update({k: v for k, v in given.items() if v is not None})
            t0 = time.monotonic()
            proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True,
                                  text=True, timeout=30, stdin=subprocess.DEVNULL)
            self.assertLess(time.monotonic() - t0, 10)
            self.assertEqual(os.listdir(tmp), [], proc.stderr)
        return proc

    def test_unknown_test_names_the_known_ones(self):
        proc = self.run_harness([os.path.join(HARNESS, "verify.sh")],
                                TESTS="kunit nonexistent", BASE=None)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("no test 'nonexistent' in guest/tests.list", proc.stderr)
        self.assertIn("known: kunit ", proc.stderr)
        self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
        proc = self.run_harness([os.path.join(HARNESS, "verify.sh")],
                                TESTS="kunit", BASE="6.12")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("no test 'kunit' in guest/tests-6.12.list", proc.stderr)

    def test_unknown_base(self):
        for cmd in (["get-source.sh", "9.9"], ["verify.sh"]):
            proc = self.run_harness([os.path.join(HARNESS, cmd[0]), *cmd[1:]],
                                    BASE="9.9")
            self.assertNotEqual(proc.returncode, 0, cmd)
            self.assertEqual(proc.stderr,
                             "error: unknown base '9.9' (known: 7.3, 6.12)\n", cmd)

    def test_unknown_cross_arch(self):
        proc = self.run_harness([os.path.join(HARNESS, "verify.sh")],
                                CROSS_ARCHES="arm64 sparc")
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(proc.stderr, "error: unknown ARCH 'sparc' (known: "
                         "x86_64, arm64, s390, riscv64, i386)\n")

    def test_unknown_guest_arch(self):
        for arch, err in (
                ("sparc", "error: unknown ARCH 'sparc': the guests are x86_64 and arm64 "
                 "(the cross builds': x86_64, arm64, s390, riscv64, i386)\n"),
                ("s390", "error: ARCH=s390 has no guest: the guests are x86_64 and "
                 "arm64 (s390 is built by harness/cross-checks.sh)\n")):
            for cmd in ("verify.sh", "retest.sh"):
                args = [] if cmd == "verify.sh" else ["kunit", "patched"]
                proc = self.run_harness([os.path.join(HARNESS, cmd), *args],
                                        GUEST_ARCH=arch)
                self.assertNotEqual(proc.returncode, 0)
                self.assertEqual(proc.stderr, err, cmd)
        proc = self.run_harness([os.path.join(HARNESS, "verify.sh")],
                                GUEST_ARCH="arm64", BASE="6.12")
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(proc.stderr, "error: BASE=6.12 has no tests list for "
                         "ARCH=arm64 (harness/stacks/6.12)\n")

    def test_kdir_that_is_no_tree_or_ref(self):
        with tempfile.TemporaryDirectory() as kdir:
            proc = self.run_harness([os.path.join(HARNESS, "verify.sh")], KDIR=kdir)
            self.assertNotEqual(proc.returncode, 0)
            self.assertEqual(proc.stderr, f"error: KDIR={kdir} is not a git tree\n")
            subprocess.run(["git", "init", "-q", kdir], check=True)
            proc = self.run_harness([os.path.join(HARNESS, "verify.sh")], KDIR=kdir,
                                    KDIR_REF="nope")
            self.assertNotEqual(proc.returncode, 0)
            self.assertEqual(proc.stderr,
                             f"error: KDIR_REF=nope is not a commit of KDIR={kdir}\n")
            # A git tree, but not a kernel's.
            subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C",
                            kdir, "commit", "-q", "--allow-empty", "-m", "x"], check=True)
            proc = self.run_harness([os.path.join(HARNESS, "verify.sh")], KDIR=kdir)
            self.assertNotEqual(proc.returncode, 0)
            self.assertEqual(proc.stderr, f"error: KDIR={kdir} at HEAD is not a Linux "
                             "kernel tree (no mm/memory.c)\n")

    def test_unknown_stress_trigger(self):
        proc = self.run_harness([os.path.join(HARNESS, "stress.sh")], BASE="6.12",
                                TRIGGER="decoder")
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(proc.stderr, "error: unknown TRIGGER 'decoder' for BASE=6.12 "
                         "(known: decode, numa_maps, kvm)\n")

    def test_backport_mails_need_the_mainline_commits(self):
        proc = self.run_harness([os.path.join(HARNESS, "mail.sh")], BASE="6.12",
                                UPSTREAM_COMMITS=None)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("set UPSTREAM_COMMITS=FILE", proc.stderr)
        self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)

    def test_judge_of_a_missing_log(self):
        for args in (["/nonexistent.log", "x"], ["--has-splat", "/nonexistent.log"]):
            proc = self.run_harness([os.path.join(HARNESS, "judge.py"), *args])
            self.assertEqual(proc.returncode, 2)
            self.assertEqual(proc.stderr,
                             "judge.py: /nonexistent.log: no such console log\n")

    def test_make_without_a_target_prints_help(self):
        proc = self.run_harness(["make", "-s", "--no-print-directory"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for target in ("help", "check", "verify", "stress", "mail", "ci"):
            self.assertIn(f"\n  make {target}\n", proc.stdout)
        self.assertIn("The harness's own tests", proc.stdout)


def bench_console(zaps, done=True, kvm=True):
    """A bench boot's console: repro/bench_pfnmap.c's lines; ZAPS the
    page-walk zaps per read (1 on the baseline, 0 with the series)."""
    lines = ["HARNESS-TEST-START bench", "BENCH bar size_mib=1024"]
    for name, us in (("whole", 86000), ("2M", 230), ("64K", 20)):
        lines.append(f"BENCH map_{name} chunks=1 us={us} us_q1={us} us_q3={us}")
    lines.append("BENCH walk_none rounds=25 faults_per_read=0.00 zaps_per_read=0.00 "
                 "pass_us=38.0 pass_us_q1=38.0 pass_us_q3=39.0")
    for name in ("smaps", "numa_maps"):
        lines.append(f"BENCH walk_{name} rounds=25 faults_per_read={zaps:.2f} "
                     f"zaps_per_read={zaps:.2f} read_us={150 + 40 * zaps} "
                     "read_us_q1=1 read_us_q3=2 "
                     f"pass_us={39 + 13 * zaps} pass_us_q1=1 pass_us_q3=2")
    if kvm:
        for ms, reads in ((0, 0), (100, 50), (10, 500)):
            lines.append(f"BENCH kvm_{ms}ms seconds=5.0 passes_per_s=8000 reads={reads} "
                         f"zaps={reads * zaps} stage2_faults={5 * reads * zaps} "
                         f"stage2_fixed={reads * zaps} efault=0")
    else:
        lines.append("BENCH kvm skipped=/dev/kvm:No")
    if done:
        lines.append("BENCH done")
    lines.append("HARNESS-TEST-END bench rc=0")
    return "\n".join(lines) + "\n"


class BenchTest(unittest.TestCase):
    """bench.py: the table of ratios, and a bench that measured less than
    asked fails; bench.sh: bad input fails before any boot."""

    def bench(self, consoles):
        with tempfile.TemporaryDirectory() as d:
            for name, text in consoles.items():
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
            proc = subprocess.run([os.path.join(HARNESS, "bench.py"), d],
                                  capture_output=True, text=True, timeout=30)
            with open(os.path.join(d, "summary.json")) as f:
                return proc, json.load(f)

    def boots(self, **changed):
        consoles = {f"1G-{k}-{r}.log": bench_console(1 if k == "baseline" else 0)
                    for k in ("baseline", "patched") for r in (1, 2)}
        consoles.update(changed)
        return consoles

    def test_ratios_and_noise(self):
        proc, data = self.bench(self.boots())
        self.assertEqual(proc.returncode, 0, proc.stdout)
        rows = data["sizes"]["1G"]
        self.assertEqual(rows["map_2M.us"]["ratios"], {"patched/baseline": 1.0})
        self.assertEqual(rows["map_2M.us"]["spreads"], {"baseline": 0.0, "patched": 0.0})
        walk = rows["walk_numa_maps.read_us+pass_us"]["medians"]
        self.assertEqual((walk["baseline"], walk["patched"]), (242, 189))
        self.assertEqual(rows["walk_numa_maps.zaps_per_read"]["medians"]["patched"], 0)
        self.assertEqual(rows["kvm_10ms.stage2_faults/reads"]["medians"]["baseline"], 5)
        self.assertIn("| MAP+UNMAP_DMA, 2 MiB chunks | 230.0 us | 230.0 us | 1.00 | 0.0%, 0.0% |",
                      proc.stdout)

    def test_median_and_spread_per_kernel(self):
        slow = bench_console(0).replace("us=230 ", "us=460 ")
        proc, data = self.bench(self.boots(**{"1G-patched-3.log": slow,
                                              "1G-baseline-3.log": bench_console(1)}))
        row = data["sizes"]["1G"]["map_2M.us"]
        self.assertEqual(row["medians"]["patched"], 230)
        self.assertEqual(row["spreads"], {"baseline": 0.0, "patched": 1.0})

    def test_nowalkfix_column(self):
        consoles = self.boots(**{f"1G-nowalkfix-{r}.log": bench_console(1) for r in (1, 2)})
        proc, data = self.bench(consoles)
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("| measurement | baseline | nowalkfix | patched | "
                      "nowalkfix/baseline | patched/baseline | patched/nowalkfix | "
                      "spread of boots: baseline, nowalkfix, patched |", proc.stdout)
        self.assertEqual(data["sizes"]["1G"]["walk_smaps.zaps_per_read"]["ratios"],
                         {"nowalkfix/baseline": 1.0, "patched/baseline": 0.0,
                          "patched/nowalkfix": 0.0})

    def test_less_than_asked_fails(self):
        for consoles, problem in (
                (self.boots(**{"1G-patched-2.log": bench_console(0, done=False)}),
                 "1G-patched-2.log: no 'BENCH done'"),
                (self.boots(**{"1G-baseline-1.log": bench_console(1, kvm=False)}),
                 "1G-baseline-1.log: kvm skipped"),
                ({k: v for k, v in self.boots().items() if k != "1G-patched-2.log"},
                 "1G: 1 boot(s) of patched, need two"),
                ({}, "no SIZE-KERNEL-ROUND.log consoles"),
                (self.boots(**{"asked.json": json.dumps(
                    {"sizes": ["1G", "2G"], "kernels": ["baseline", "patched"],
                     "rounds": 2, "seconds": 5})}),
                 "2G: 0 console(s) of baseline, asked for 2"),
                (self.boots(**{"1G-baseline-2.log": bench_console(1).replace(
                    "size_mib=1024", "size_mib=256")}),
                 "1G-baseline-2.log: the guest's BAR has 256 MiB, not 1G"),
                (self.boots(**{"1G-patched-1.log": bench_console(0).replace(
                    "reads=500", "reads=300")}),
                 "kvm_10ms read numa_maps 300 times in 5.0 s, not every 10 ms")):
            proc, data = self.bench(consoles)
            self.assertEqual(proc.returncode, 1, problem)
            self.assertTrue(any(problem in p for p in data["problems"]),
                            (problem, data["problems"]))

    def test_bad_input_before_any_boot(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, PFNMAP_CACHE=os.path.join(tmp, "cache"),
                       OUT_DIR=os.path.join(tmp, "out"), BASE="7.3")
            for given, message in (
                    ({"BENCH_SIZES": "1G 3G"}, "BENCH_SIZES: '3G' is not a power of two"),
                    ({"BENCH_SIZES": " "}, "BENCH_SIZES is empty"),
                    ({"BENCH_CONTROL": "yes"}, "BENCH_CONTROL=yes: give 0 or 1"),
                    ({"BENCH_ROUNDS": "1"}, "BENCH_ROUNDS=1: give 2 or more"),
                    ({"BENCH_SECONDS": "x"}, "BENCH_SECONDS=x: give whole seconds"),
                    ({}, f"{tmp}/out/7.3/baseline/bzImage not found: run make "
                         "verify BASE=7.3 first")):
                proc = subprocess.run([os.path.join(HARNESS, "bench.sh")],
                                      env=dict(env, **given), capture_output=True,
                                      text=True, timeout=30, stdin=subprocess.DEVNULL)
                self.assertEqual(proc.returncode, 1, given)
                self.assertIn(message, proc.stderr)
                self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
            self.assertEqual(os.listdir(tmp), [])

    def test_control_kernel_needs_the_last_verify(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = os.path.join(tmp, "root", "tests", "bin")
            os.makedirs(root)
            open(os.path.join(root, "bench_pfnmap"), "w").close()
            for state in ("baseline", "patched"):
                d = os.path.join(tmp, "out", "7.3", state)
                os.makedirs(d)
                open(os.path.join(d, "bzImage"), "w").close()
                subprocess.run(f"cd {tmp}/root && find . | cpio -o -H newc --quiet "
                               f"> {d}/initramfs.cpio", shell=True, check=True)
            env = dict(os.environ, PFNMAP_CACHE=os.path.join(tmp, "cache"),
                       OUT_DIR=os.path.join(tmp, "out"), BASE="7.3")
            proc = subprocess.run([os.path.join(HARNESS, "bench.sh")], env=env,
                                  capture_output=True, text=True, timeout=30,
                                  stdin=subprocess.DEVNULL)
            self.assertEqual(proc.returncode, 1)
            self.assertEqual(proc.stderr, f"error: {tmp}/out/7.3/branches names no "
                             "nowalkfix kernel: run make verify BASE=7.3 (all tests), "
                             "or BENCH_CONTROL=0\n")
            self.assertFalse(os.path.exists(os.path.join(tmp, "cache")))


# A value that check_knobs must refuse, for each kind of knob in
# harness/knobs (text and paths take anything), and what the one line
# of its refusal says.
BAD_KNOB = {
    "base": ("9.9", "unknown base '9.9' (known: 7.3, 6.12)"),
    "guest-arch": ("mips", "unknown ARCH 'mips': the guests are x86_64 and arm64"),
    "arches": ("arm64 mips", "unknown ARCH 'mips' (known: "),
    "tests": ("kunit nope", "no test 'nope' in guest/tests.list; known: kunit "),
    "test": ("nope", "TEST: no test 'nope' in guest/tests.list; known: kunit "),
    "state": ("bogus", "STATE=bogus: give baseline, nowalkfix, nocontract, noptc, depth, patched, debug"),
    "bool": ("yes", "=yes: give 0 or 1"),
    "seconds": ("abc", "=abc: give whole seconds, 1 or more"),
    "count": ("0", "=0: give a whole number, 1 or more"),
    "rounds": ("1", "=1: give 2 or more"),
    "accel": ("bogus", "ACCEL=bogus: give tcg or kvm"),
    "size": ("1T", "IVSHMEM_SIZE=1T: give the BAR's size as QEMU takes it"),
    "sizes": ("1G 3G", "'3G' is not a power of two from 2M to 2G"),
    "kdir": ("/nonexistent", "KDIR=/nonexistent is not a git tree"),
    "dir": ("/nonexistent", "KUNIT_TREE=/nonexistent: give a directory"),
    "file": ("/nonexistent", "UPSTREAM_COMMITS=/nonexistent: no such file"),
    "sender": ("me", "MAIL_FROM=me: give \"Your Name <you@example.org>\""),
    "trigger": ("decoder",
                "unknown TRIGGER 'decoder' for BASE=7.3 (known: decode, numa_maps, kvm)"),
}


class KnobsTest(unittest.TestCase):
    """The knobs: one list (harness/knobs), each checked before anything
    is locked or made, taken from make's command line or as PFNMAP_NAME,
    never from a plain NAME in the environment; targets of a fixed base
    refuse another."""

    def make(self, *args, **env):
        return subprocess.run(["make", "-s", "--no-print-directory", *args], cwd=REPO,
                              env=dict(os.environ, **env), capture_output=True,
                              text=True, timeout=30, stdin=subprocess.DEVNULL)

    def test_every_knob_is_checked_before_anything(self):
        kinds = {kind for _, kind in knobs_file()}
        self.assertLessEqual(kinds - set(BAD_KNOB), {"text", "path"})
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, PFNMAP_CACHE=os.path.join(tmp, "cache"),
                       OUT_DIR=os.path.join(tmp, "out"))
            for name, kind in knobs_file():
                if kind not in BAD_KNOB:
                    continue
                bad, message = BAD_KNOB[kind]
                var = "GUEST_ARCH" if name == "ARCH" else name
                with self.subTest(name=name):
                    proc = lib_sh("check_knobs", env=dict(env, **{var: bad}))
                    self.assertEqual(proc.returncode, 1, proc.stderr)
                    self.assertIn(message, proc.stderr)
                    self.assertTrue(proc.stderr.startswith("error: "), proc.stderr)
                    self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
            # Through make and each entry script, before the lock.
            for target, knob in (("verify", "QUICK=yes"), ("verify", "ACCEL=bogus"),
                                 ("verify", "JOBS=abc"), ("retest", "STATE=bogus"),
                                 ("stress", "ROUNDS=abc"), ("bench", "BENCH_ROUNDS=1"),
                                 ("mail-stable", "UPSTREAM_COMMITS=/nonexistent"),
                                 ("verify-one", "TEST=nope")):
                with self.subTest(target=target, knob=knob):
                    proc = self.make(target, knob, PFNMAP_CACHE=env["PFNMAP_CACHE"],
                                     PFNMAP_OUT_DIR=env["OUT_DIR"])
                    self.assertNotEqual(proc.returncode, 0)
                    self.assertIn(knob.split("=")[0], proc.stderr)
                    self.assertEqual(len(proc.stderr.splitlines()), 2, proc.stderr)
            self.assertEqual(os.listdir(tmp), [])

    def test_knobs_from_the_command_line_or_with_the_prefix(self):
        proc = self.make("-n", "verify", BASE="6.12", ARCH="arm64", TESTS="kunit",
                         QUICK="1", DEBUG="1", JOBS="9")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for word in ("BASE", "ARCH", "TESTS", "QUICK", "DEBUG", "JOBS"):
            self.assertNotIn(word + "=", proc.stdout)
        proc = self.make("-n", "verify", "TESTS=kunit race_numa_maps", "CROSS_ARCHES=",
                         PFNMAP_BASE="6.12", PFNMAP_ARCH="arm64")
        self.assertIn("BASE='6.12' GUEST_ARCH='arm64' TESTS='kunit race_numa_maps' "
                      "CROSS_ARCHES='' harness/verify.sh", proc.stdout)

    def test_fixed_targets_refuse_another_base_or_arch(self):
        for args, message in (
                (["verify-stable", "BASE=7.3"], "make verify-stable runs BASE=6.12, not BASE=7.3"),
                (["verify-stable", "ARCH=arm64"],
                 "make verify-stable runs ARCH=x86_64, not ARCH=arm64"),
                (["verify-arm64", "BASE=6.12"], "make verify-arm64 runs BASE=7.3, not BASE=6.12"),
                (["mail", "BASE=6.12"], "make mail runs BASE=7.3, not BASE=6.12"),
                (["mail-stable", "BASE=7.3"], "make mail-stable runs BASE=6.12, not BASE=7.3"),
                (["ci", "BASE=6.12"], "make ci sets BASE itself: BASE=6.12 given"),
                (["ci", "RACE_BASELINE=1"], "make ci sets RACE_BASELINE itself")):
            with self.subTest(args=args):
                proc = self.make("-n", *args)
                self.assertNotEqual(proc.returncode, 0)
                self.assertIn(message, proc.stderr)
        proc = self.make("-n", "verify-stable", "BASE=6.12", "ARCH=x86_64")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc = self.make("-n", "ci")
        self.assertIn("BASE=7.3 RACE_BASELINE=0 MEASURE=0 harness/verify.sh", proc.stdout)
        self.assertIn("BASE=6.12 RACE_BASELINE=0 MEASURE=0 harness/verify.sh", proc.stdout)
        self.assertNotIn("GUEST_ARCH=arm64", proc.stdout)

    def test_stress_honours_arch_and_bench_refuses_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            given = (f"OUT_DIR={tmp}/out", f"PFNMAP_CACHE={tmp}/cache")
            proc = self.make("stress", "ARCH=arm64", "TRIGGER=numa_maps", *given)
            self.assertIn("TRIGGER=numa_maps races with race_numa_maps, which "
                          "guest/tests-arm64.list (ARCH=arm64) does not have", proc.stderr)
            proc = self.make("stress", "ARCH=arm64", *given)
            self.assertIn(f"{tmp}/out/7.3-arm64/baseline/bzImage not found", proc.stderr)
            proc = self.make("bench", "ARCH=arm64", *given)
            self.assertIn("make bench boots x86_64 guests only", proc.stderr)

    def test_help_prints_every_knob(self):
        proc = self.make("help")
        for name, _ in knobs_file():
            self.assertRegex(proc.stdout, f"\n  {name} +[a-z1]")
        self.assertIn("[baseline, nowalkfix, nocontract, noptc, depth, patched, debug; default -]",
                      proc.stdout)

    def test_one_list_of_states_and_of_arches(self):
        self.assertEqual(summarize.STATES, tests_list.STATES)
        self.assertEqual(tests_list.STATES[0], "baseline")
        for base in os.listdir(os.path.join(HARNESS, "stacks")):
            with open(os.path.join(HARNESS, "stacks", base)) as f:
                built = {line.split()[1] for line in f
                         if line.startswith(("partial", "measure"))}
            self.assertLessEqual(built, set(tests_list.STATES), base)
        proc = lib_sh('for a in "${ARCHES[@]}"; do arch_setup "$a"; done; '
                      'for GUEST_ARCH in "${GUEST_ARCHES[@]}"; do guest_arch_setup; done')
        self.assertEqual(proc.returncode, 0, proc.stderr)


class LockTest(unittest.TestCase):
    """verify, stress and mail of a base fail at once while another run
    of that base holds its lock."""

    def test_second_run_of_a_base_fails(self):
        import fcntl
        with tempfile.TemporaryDirectory() as tmp:
            cache = os.path.join(tmp, "cache")
            os.makedirs(cache)
            with open(os.path.join(cache, "lock-7.3"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                lock.write("verify 1 2026-12-03T09:00:00Z\n")
                lock.flush()
                for script in ("verify.sh", "stress.sh", "mail.sh", "clean.sh"):
                    env = dict(os.environ, PFNMAP_CACHE=cache, BASE="7.3",
                               OUT_DIR=os.path.join(tmp, "out"))
                    env.pop("TESTS", None)
                    proc = subprocess.run([os.path.join(HARNESS, script)], env=env,
                                          capture_output=True, text=True, timeout=30,
                                          stdin=subprocess.DEVNULL)
                    self.assertEqual(proc.returncode, 1, script)
                    self.assertEqual(proc.stderr, "error: BASE=7.3 is in use by another "
                                     "run (verify 1 2026-12-03T09:00:00Z): wait for it "
                                     "or stop it\n", script)
            self.assertEqual(os.listdir(cache), ["lock-7.3"])
            self.assertFalse(os.path.exists(os.path.join(tmp, "out")))


class RunVmTest(unittest.TestCase):
    """run-vm.sh with tests/fake/qemu-system-x86_64 on PATH."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def start(self, mode, name="t", **env):
        """run-vm.sh of test NAME, console NAME.log, QEMU's PID in NAME.pid."""
        env = dict(os.environ, FAKE_QEMU=mode,
                   FAKE_QEMU_PID=os.path.join(self.tmp.name, name + ".pid"),
                   PATH=os.path.join(REPO, "tests", "fake") + ":" + os.environ["PATH"],
                   **env)
        return subprocess.Popen(
            [os.path.join(HARNESS, "run-vm.sh"), "bzImage", "initrd", name,
             os.path.join(self.tmp.name, name + ".log")],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=default_signals)

    def qemu_pid(self, name="t"):
        path = os.path.join(self.tmp.name, name + ".pid")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists(path):
                with open(path) as f:
                    text = f.read().strip()
                if text:
                    return int(text)
            time.sleep(0.1)
        self.fail("the fake QEMU did not start")

    def assertGone(self, pid):
        # Reaped, not a zombie nobody waits for.
        self.assertFalse(os.path.exists(f"/proc/{pid}"), f"QEMU {pid} still there")

    def console(self, name="t"):
        with open(os.path.join(self.tmp.name, name + ".log")) as f:
            return f.read()

    def test_guest_that_powers_off(self):
        proc = self.start("pass")
        proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0)
        [row] = judge.judge(os.path.join(self.tmp.name, "t.log"), "t")
        self.assertEqual(row["status"], "PASS", row)

    def test_x86_guest_has_no_5_level_paging(self):
        # A KASAN kernel with LA57 can report a false wild-memory-access at
        # boot (run-vm.sh): no guest gets LA57.
        args = os.path.join(self.tmp.name, "args")
        proc = self.start("pass", FAKE_QEMU_ARGS=args)
        proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0)
        with open(args) as f:
            argv = f.read().splitlines()
        self.assertEqual(argv[argv.index("-cpu") + 1], "max,la57=off", argv)

    def test_arm64_guest_cpu(self):
        # la57 is an x86 property: the arm64 guest keeps its own CPU model.
        args = os.path.join(self.tmp.name, "args")
        proc = self.start("pass", FAKE_QEMU_ARGS=args, GUEST_ARCH="arm64")
        proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0)
        with open(args) as f:
            argv = f.read().splitlines()
        self.assertEqual(argv[argv.index("-cpu") + 1], "max,pauth-impdef=on", argv)

    def test_qemu_that_fails(self):
        proc = self.start("fail")
        proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 125)
        self.assertIn("run-vm: QEMU exited with status 1: qemu-system-x86_64: "
                      "cannot set up guest memory", self.console())

    def test_stalled_guest_is_killed_on_its_own_line(self):
        proc = self.start("hang", VM_TIMEOUT="1")
        pid = self.qemu_pid()
        proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 124)
        self.assertGone(pid)
        self.assertTrue(self.console().endswith(
            "#  RUN  fake ...\nrun-vm: guest still running after 1s, killed (stall)\n"),
            self.console())

    def test_signals_kill_and_reap_qemu(self):
        sigs = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        procs = {sig: self.start("hang", name=sig.name) for sig in sigs}
        pids = {sig: self.qemu_pid(sig.name) for sig in sigs}
        for sig, proc in procs.items():
            proc.send_signal(sig)
        for sig, proc in procs.items():
            with self.subTest(signal=sig.name):
                proc.communicate(timeout=30)
                self.assertEqual(proc.returncode, 128 + sig)
                self.assertGone(pids[sig])

    def test_signal_test_passes_however_make_check_was_started(self):
        # The way a background job of a non-interactive shell starts (SIGINT
        # ignored) and the way nohup does (SIGHUP ignored).
        signal_test = "test_harness.RunVmTest.test_signals_kill_and_reap_qemu"
        for how, ignored in ((["bash", "-c", '"$@" & wait $!', "-"], "SIGINT"),
                             (["nohup"], "SIGHUP")):
            with self.subTest(how=how[0], ignored=ignored):
                probe = subprocess.run(
                    how + [sys.executable, "-c", "import signal; print(signal."
                           f"getsignal(signal.{ignored}) == signal.SIG_IGN)"],
                    capture_output=True, text=True, timeout=30,
                    stdin=subprocess.DEVNULL, preexec_fn=default_signals)
                self.assertEqual(probe.stdout, "True\n", probe.stderr)
                proc = subprocess.run(
                    how + [sys.executable, "-m", "unittest", signal_test],
                    cwd=os.path.join(REPO, "tests"), capture_output=True, text=True,
                    timeout=120, stdin=subprocess.DEVNULL, preexec_fn=default_signals)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn("Ran 1 test", proc.stderr)


LIST = """# name  baseline  timeout  kernels
kunit       fail      300
mmio        pass      300      baseline,patched
race        race      300
race_walk   race      300      baseline,nowalkfix
kvm_toggle  pass      300      patched,debug
"""


class TestsListTest(unittest.TestCase):
    """tests_list.py: which tests verify boots on which kernel."""

    def setUp(self):
        f = tempfile.NamedTemporaryFile("w", suffix=".list", delete=False)
        self.addCleanup(os.remove, f.name)
        f.write(LIST)
        f.close()
        self.path = f.name
        self.tests = tests_list.read(f.name)

    def names(self, state, wanted=None, race_baseline=True):
        return [t.name for t in tests_list.select(self.tests, state, wanted,
                                                  race_baseline)]

    def test_kernels_column(self):
        self.assertEqual(self.names("baseline"), ["kunit", "mmio", "race", "race_walk"])
        self.assertEqual(self.names("nowalkfix"), ["race_walk"])
        self.assertEqual(self.names("patched"), ["kunit", "mmio", "race", "kvm_toggle"])
        self.assertEqual(self.names("debug"), ["kunit", "race", "kvm_toggle"])

    def test_tests_and_race_baseline(self):
        self.assertEqual(self.names("baseline", ["race_walk", "kunit"]),
                         ["kunit", "race_walk"])
        self.assertEqual(self.names("baseline", race_baseline=False), ["kunit", "mmio"])
        self.assertEqual(self.names("nowalkfix", race_baseline=False), ["race_walk"])
        self.assertEqual(self.names("patched", ["race"], race_baseline=False), ["race"])
        self.assertEqual(tests_list.unknown(self.tests, ["kunit", "nope", "mm"]),
                         ["nope", "mm"])

    def test_state_fail(self):
        t = tests_list.Test("kunit", "fail", "300", "baseline,nocontract=fail,patched")
        self.assertEqual(t.kernels, ("baseline", "nocontract", "patched"))
        self.assertEqual(t.expect_for("nocontract"), "xfail")
        self.assertEqual(t.expect_for("baseline"), "fail")
        self.assertEqual(t.expect_for("patched"), "fail")
        with self.assertRaises(ValueError):
            tests_list.Test("kunit", "fail", "300", "baseline,nocontract=pass")

    def test_command_line(self):
        cmd = [os.path.join(HARNESS, "tests_list.py"), self.path]
        env = dict(os.environ, TESTS="race mmio", RACE_BASELINE="0")
        out = subprocess.run(cmd + ["select", "baseline"], env=env,
                             capture_output=True, text=True)
        self.assertEqual(out.stdout, "mmio pass 300\n")
        out = subprocess.run(cmd + ["entry", "race_walk"], capture_output=True, text=True)
        self.assertEqual(out.stdout, "race_walk race 300\n")
        out = subprocess.run(cmd + ["check"], env=dict(env, TESTS="race nope"),
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 1)
        self.assertIn("no test 'nope'", out.stderr)
        self.assertIn("known: kunit mmio race race_walk kvm_toggle", out.stderr)

    def test_the_guest_lists_read(self):
        # Each base's tests run on its whole kernels and on the partial
        # ones its stack file declares.
        for base, name in (("7.3", "tests.list"), ("6.12", "tests-6.12.list"),
                           ("7.3", "tests-arm64.list")):
            kernels = {"baseline", "patched", "debug"}
            with open(os.path.join(REPO, "harness", "stacks", base)) as f:
                kernels |= {line.split()[1] for line in f
                            if line.startswith(("partial", "measure"))}
            tests = tests_list.read(os.path.join(REPO, "guest", name))
            self.assertTrue(tests, name)
            for t in tests:
                self.assertIn(t.expect, ("fail", "pass", "race", "peer"), t)
                self.assertTrue(set(t.kernels) <= kernels, t)
                self.assertTrue(os.path.exists(os.path.join(REPO, "guest", "tests",
                                                            t.name)), t)

    def test_mm_peers_exec_their_selftest(self):
        # make-initramfs.sh builds the mm selftests the mm_* tests exec.
        proc = subprocess.run(
            ["bash", "-c", "sed -n 's/^exec \\([A-Za-z0-9_.-]*\\).*/\\1/p' guest/tests/mm_*"],
            cwd=REPO, capture_output=True, text=True)
        peers = sorted(n for n in os.listdir(os.path.join(REPO, "guest", "tests"))
                       if n.startswith("mm_"))
        self.assertEqual(len(proc.stdout.split()), len(peers), proc.stdout)
        self.assertIn("mlock2-tests", proc.stdout.split())


class RunTestTest(unittest.TestCase):
    """run-test.sh, verify's boot-judge-record step, with the real run-vm.sh
    and a fake QEMU: the second boot after a QEMU failure (exit 125)."""

    def run_test(self, qemu, name="t", **env):
        tmp_dir = tempfile.TemporaryDirectory()
        self.addCleanup(tmp_dir.cleanup)
        tmp = tmp_dir.name
        state_dir = os.path.join(tmp, "patched")
        os.makedirs(state_dir)
        for f in ("bzImage", "initramfs.cpio"):
            open(os.path.join(state_dir, f), "w").close()
        results = os.path.join(tmp, "results.jsonl")
        boots = os.path.join(tmp, "boots")
        proc = subprocess.run(
            [os.path.join(HARNESS, "run-test.sh"), tmp, results, "patched",
             state_dir, name, "fail", "120"],
            env=dict(os.environ, FAKE_QEMU=qemu, FAKE_QEMU_BOOTS=boots,
                     FAKE_QEMU_PID=os.path.join(tmp, "pid"),
                     PATH=os.path.join(REPO, "tests", "fake") + ":" + os.environ["PATH"],
                     **env),
            capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(results) as f:
            rows = [json.loads(line) for line in f]
        with open(boots) as f:
            nboots = len(f.readlines())
        return rows, nboots, sorted(os.listdir(state_dir)), proc.stderr

    def test_qemu_failure_boots_once_more(self):
        [row], nboots, files, err = self.run_test("fail pass")
        self.assertEqual(nboots, 2)
        self.assertEqual((row["test"], row["status"], row["state"], row["expect"]),
                         ("t", "PASS", "patched", "fail"))
        self.assertTrue(row["retried"].startswith(
            "first boot: test never started; QEMU exited with status 1"), row)
        self.assertIn("t.try1.log", files)
        self.assertIn("booting once more", err)

    def test_qemu_failing_twice_is_an_error(self):
        [row], nboots, _, _ = self.run_test("fail fail")
        self.assertEqual(nboots, 2)
        self.assertEqual(row["status"], "ERROR")
        self.assertIn("retried", row)

    def test_stall_is_not_booted_again(self):
        [row], nboots, files, err = self.run_test("hang pass", VM_TIMEOUT="1")
        self.assertEqual(nboots, 1)
        self.assertEqual(row["status"], "STALL")
        self.assertNotIn("retried", row)
        self.assertNotIn("t.try1.log", files)
        self.assertIn("last 50 console lines of patched/t.log", err)


class RetestTest(unittest.TestCase):
    """make retest: one boot of a kernel verify built (a fake QEMU)."""

    def retest(self, *args, built=True, **env):
        with tempfile.TemporaryDirectory() as tmp:
            if built:
                os.makedirs(os.path.join(tmp, "out", "7.3", "patched"))
                for f in ("bzImage", "initramfs.cpio"):
                    open(os.path.join(tmp, "out", "7.3", "patched", f), "w").close()
            env = dict(os.environ, PFNMAP_CACHE=os.path.join(tmp, "cache"),
                       PATH=os.path.join(REPO, "tests", "fake") + ":" + os.environ["PATH"],
                       **env)
            return subprocess.run(["make", "-s", "--no-print-directory", "retest",
                                   f"OUT_DIR={tmp}/out", *args],
                                  cwd=REPO, env=env, capture_output=True, text=True,
                                  timeout=60, stdin=subprocess.DEVNULL)

    def test_one_boot_one_row(self):
        proc = self.retest("TEST=pud_page_walk", "STATE=patched", FAKE_QEMU="pass")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.split()[:4], ["patched", "pud_page_walk", "PASS", "1"])
        proc = self.retest("TEST=pud_page_walk", "STATE=patched", FAKE_QEMU="fail")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertEqual(proc.stdout.split()[:3], ["patched", "pud_page_walk", "ERROR"])

    def test_bad_input(self):
        for args, built, message in (
                (["STATE=patched"], True, "usage: make retest TEST=NAME"),
                (["TEST=nonexistent", "STATE=patched"], True, "known: kunit "),
                (["TEST=kunit", "STATE=debug"], True,
                 "no debug kernel of BASE=7.3 built; run make verify BASE=7.3 (or make verify-one TEST=kunit STATE=debug) first"),
                (["TEST=kunit", "STATE=patched"], False, "run make verify")):
            proc = self.retest(*args, built=built)
            self.assertNotEqual(proc.returncode, 0, args)
            self.assertIn(message, proc.stderr, args)


class MonitorTest(unittest.TestCase):
    """monitor.py against a fake QEMU human monitor on a unix socket."""

    def test_commands_and_their_output(self):
        import socket
        import threading

        def fake_qemu(server):
            conn, _ = server.accept()
            with conn:
                conn.settimeout(10)
                conn.sendall(b"QEMU 10.0.2 monitor - type 'help' for more "
                             b"information\r\n(qemu) ")
                for reply in (b"ISR\t 236 \r\nIRR\t 34 236 \r\n",
                              b"* CPU #0: thread_id=1\r\n"):
                    command = b""
                    while not command.endswith(b"\n"):
                        byte = conn.recv(1)
                        if not byte:
                            return
                        command += byte
                    # The echo comes with line-editing escapes.
                    echo = b"i\x1b[K\x1b[D" + command.rstrip(b"\n") + b"\x1b[K"
                    conn.sendall(echo + b"\r\n" + reply + b"(qemu) ")

        # A unix socket path has at most 107 bytes: not under any $TMPDIR.
        with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
            path = os.path.join(tmp, "mon")
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.addCleanup(server.close)
            server.settimeout(10)
            server.bind(path)
            server.listen(1)
            thread = threading.Thread(target=fake_qemu, args=(server,),
                                      daemon=True)
            thread.start()
            out = subprocess.run(
                [os.path.join(HARNESS, "monitor.py"), path, "info lapic 1",
                 "info cpus"], capture_output=True, text=True, timeout=20)
            thread.join(10)
            self.assertFalse(thread.is_alive())
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, "(qemu) info lapic 1\nISR\t 236 \n"
                         "IRR\t 34 236 \n(qemu) info cpus\n"
                         "* CPU #0: thread_id=1\n")

    def test_no_monitor_is_an_error(self):
        out = subprocess.run([os.path.join(HARNESS, "monitor.py"),
                              "/nonexistent/mon", "info cpus"],
                             capture_output=True, text=True, timeout=20)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("monitor.py: /nonexistent/mon", out.stderr)


class ResultsCacheTest(unittest.TestCase):
    """lib.sh's results cache: keys only for clean trees, none with
    CACHE=0, the same key from two clones."""

    def lib(self, script, cwd, **env):
        return lib_sh(script, cwd=cwd, env=dict(os.environ, **env))

    def test_keys(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src")
            os.makedirs(src)
            with open(os.path.join(src, "a.c"), "w") as f:
                f.write("one\n")
            for args in (["init", "-q"], ["add", "a.c"], ["commit", "-q", "-m", "a"]):
                subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t",
                                *args], cwd=src, check=True, capture_output=True)
            tree = self.lib("src_tree .", src)
            self.assertEqual(tree.returncode, 0)
            self.assertEqual(len(tree.stdout.strip()), 40)
            with open(os.path.join(src, ".pfnmap-marker"), "w") as f:
                f.write("the harness's own\n")
            self.assertEqual(self.lib("src_tree .", src).stdout, tree.stdout)
            with open(os.path.join(src, ".gitignore"), "w") as f:
                f.write("/*\n")
            self.assertNotEqual(self.lib("src_tree .", src).returncode, 0)
            os.remove(os.path.join(src, ".gitignore"))
            with open(os.path.join(src, "a.c"), "a") as f:
                f.write("two\n")
            self.assertNotEqual(self.lib("src_tree .", src).returncode, 0)

            entry = os.path.join(tmp, "results", "x-key")
            self.assertEqual(self.lib(f"cache_put {entry} src/a.c src/.pfnmap-marker",
                                      tmp).returncode, 0)
            self.assertEqual(sorted(os.listdir(entry)), [".pfnmap-marker", "a.c"])
            self.assertEqual(self.lib(f"cache_put {entry} src/a.c", tmp).returncode, 0)
            self.assertEqual(sorted(os.listdir(os.path.dirname(entry))), ["x-key"])

            key = self.lib("cache_dir_for x tree-id version", tmp).stdout
            self.assertEqual(key, self.lib("cache_dir_for x tree-id version", tmp).stdout)
            self.assertNotEqual(key, self.lib("cache_dir_for x tree-id other", tmp).stdout)
            off = self.lib("cache_dir_for x tree-id version", tmp, CACHE="0")
            self.assertNotEqual(off.returncode, 0)
            self.assertEqual(off.stdout, "")

            # Python bytecode in the tree (kunit.py run without -B) has no
            # say in the key.
            os.remove(os.path.join(src, "a.c"))
            subprocess.run(["git", "checkout", "-q", "a.c"], cwd=src, check=True)
            self.assertEqual(self.lib("src_tree .", src).stdout, tree.stdout)
            for pyc in ("__pycache__/x.cpython-311.pyc",
                        "tools/testing/kunit/__pycache__/kunit_parser.cpython-311.pyc",
                        "y.pyc"):
                os.makedirs(os.path.join(src, os.path.dirname(pyc)), exist_ok=True)
                with open(os.path.join(src, pyc), "wb") as f:
                    f.write(b"\0")
            self.assertEqual(self.lib("src_tree .", src).stdout, tree.stdout)

            for d in ("one", "two"):
                os.makedirs(os.path.join(tmp, d))
                with open(os.path.join(tmp, d, "f.c"), "w") as f:
                    f.write("same\n")
            hashes = {self.lib(f"files_hash {d}/f.c", tmp).stdout for d in ("one", "two")}
            self.assertEqual(len(hashes), 1)
            os.rename(os.path.join(tmp, "two", "f.c"), os.path.join(tmp, "two", "g.c"))
            self.assertNotIn(self.lib("files_hash two/g.c", tmp).stdout, hashes)


class BaseFactsTest(unittest.TestCase):
    """harness/stacks/BASE: each base's stack and facts in one file."""

    def fact(self, base, key):
        proc = lib_sh('base_fact "$1" "$2"', base, key)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout.rstrip("\n")

    def test_state_filter_keeps_prefixes_with_spaces(self):
        # A subject prefix may hold spaces ("mm/memory: distinguish"):
        # the whole filter, not its first word.
        proc = lib_sh('BASE=7.3; state_filter nocontract')
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "without:" + "|".join((
            "mm/memory: distinguish", "vfio/type1:", "s390/pci:", "docs: mm:")))

    def test_every_base_is_complete(self):
        bases = os.listdir(os.path.join(HARNESS, "stacks"))
        self.assertIn("7.3", bases)
        for base in bases:
            with self.subTest(base=base):
                self.assertTrue(self.fact(base, "suites"))
                self.assertTrue(os.path.isfile(os.path.join(REPO, self.fact(base, "tests"))))
                self.assertIn(self.fact(base, "debug"), ("0", "1"))
                names = {t.name for t in tests_list.read(
                    os.path.join(REPO, self.fact(base, "tests")))}
                for race in self.fact(base, "stress").split():
                    trigger, _, test = race.partition(":")
                    self.assertIn(trigger, ("decode", "numa_maps", "kvm"))
                    self.assertIn(test, names)
                with open(os.path.join(HARNESS, "stacks", base)) as f:
                    kinds = [line.split() for line in f
                             if line.split() and line.split()[0] in ("base", "fix", "series")]
                self.assertTrue(kinds)
                for _, directory in kinds:
                    self.assertTrue(os.path.isfile(os.path.join(REPO, directory, "series")),
                                    directory)

    def test_facts(self):
        self.assertEqual(self.fact("7.3", "tests"), "guest/tests.list")
        self.assertEqual(self.fact("7.3", "tests-arm64"), "guest/tests-arm64.list")
        self.assertEqual(self.fact("6.12", "checkpatch-ignore"), "BAD_SIGN_OFF,MISSING_FIXES_TAG")
        self.assertEqual(self.fact("6.12", "b4-check-ignore"), "Assisted-by expects")
        self.assertEqual(self.fact("7.3", "checkpatch-ignore"),
                         "FILE_PATH_CHANGES,MISSING_FIXES_TAG")
        self.assertEqual(self.fact("6.12", "debug"), "0")


class ReplaceDirTest(unittest.TestCase):
    """lib.sh's replace_dir: how out/BASE.new becomes out/BASE."""

    def test_replace(self):
        with tempfile.TemporaryDirectory() as tmp:
            new, final = os.path.join(tmp, "7.3.new"), os.path.join(tmp, "7.3")
            for run in ("one", "two"):
                os.makedirs(os.path.join(new, "patched"))
                with open(os.path.join(new, "patched", "bzImage"), "w") as f:
                    f.write(run)
                lib_sh('replace_dir "$1" "$2"', new, final, check=True)
                self.assertEqual(sorted(os.listdir(tmp)), ["7.3"])
                with open(os.path.join(final, "patched", "bzImage")) as f:
                    self.assertEqual(f.read(), run)


class KdirWorktreeTest(unittest.TestCase):
    """lib.sh's kdir_worktree: a worktree of another KDIR is made anew."""

    def test_second_kdir_gets_its_own_worktree(self):
        with tempfile.TemporaryDirectory() as tmp:
            heads = {}
            for name in ("a", "b"):
                repo = os.path.join(tmp, name)
                os.makedirs(repo)
                with open(os.path.join(repo, "f"), "w") as f:
                    f.write(name + "\n")
                for args in (["init", "-q"], ["add", "f"], ["commit", "-q", "-m", name]):
                    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t",
                                    *args], cwd=repo, check=True, capture_output=True)
                heads[name] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo,
                                             capture_output=True, text=True).stdout.strip()
            # The first run has no worktree yet; the second finds it.
            work = os.path.join(tmp, "kdir-7.3")
            for name in ("a", "a", "b"):
                proc = lib_sh('kdir_worktree "$1" "$2" "$3"',
                              os.path.join(tmp, name), work, heads[name])
                self.assertEqual(proc.returncode, 0, proc.stderr)
                with open(os.path.join(work, "f")) as f:
                    self.assertEqual(f.read(), name + "\n")
                common = subprocess.run(
                    ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                    cwd=work, capture_output=True, text=True).stdout.strip()
                self.assertEqual(common, os.path.realpath(os.path.join(tmp, name, ".git")))


# The flow test's repository: its tests list and stack, and the stubs
# (tests/fake/harness/) that stand in for the builds.
FLOW_LIST = """# name     baseline  timeout  kernels
bug        fail      60
walk       fail      60       baseline,nowalkfix=fail,patched
race       race      60       baseline,nowalkfix
base_only  pass      60       baseline
"""
FLOW_STACK = """base      upstream/7.3
series    series/fake
suites    trixie-backports
tests     guest/tests.list
partial   nowalkfix without:mm/pagewalk:
debug-partial nowalkfix
debug     1
"""
STUBS = os.path.join(REPO, "tests", "fake", "harness")


class FlowTest(unittest.TestCase):
    """verify.sh end to end, as kunit_tool_test.py runs kunit.py's whole
    flow on a mocked kernel: a repository whose harness/ is the real one
    but for stubs of the builds and of the download (tests/fake/harness/:
    never a real one), a kernel tree whose file "behaviour" says
    how its tests end (the fake series changes it), and the fake QEMU,
    which boots that file."""

    def git(self, cwd, *args):
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                              cwd=cwd, check=True, capture_output=True, text=True).stdout

    def write(self, path, text, mode=0o644):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.repo = os.path.join(self.tmp, "repo")
        os.makedirs(os.path.join(self.repo, "harness", "stacks"))
        for name in os.listdir(HARNESS):
            if name not in ("stacks", "__pycache__"):
                stub = os.path.join(STUBS, name)
                os.symlink(stub if os.path.exists(stub) else os.path.join(HARNESS, name),
                           os.path.join(self.repo, "harness", name))
        self.write(os.path.join(self.repo, "harness", "stacks", "7.3"), FLOW_STACK)
        self.write(os.path.join(self.repo, "guest", "tests.list"), FLOW_LIST)
        # The cache's Debian source, as get-source.sh leaves it.
        self.cache = os.path.join(self.tmp, "cache")
        self.src = os.path.join(self.cache, "src", "7.3")
        self.write(os.path.join(self.src, "Makefile"), "kernelversion:\n\t@echo 7.3.4\n")
        self.write(os.path.join(self.src, "scripts", "checkpatch.pl"), "#!/bin/sh\n", 0o755)
        self.write(os.path.join(self.src, "mm", "memory.c"), "int x;\n")
        self.write(os.path.join(self.src, "behaviour"),
                   "bug test-fail\nwalk test-fail\nrace test-fail\n")
        self.git(self.src, "init", "-q", "-b", "base")
        self.git(self.src, "add", ".")
        self.git(self.src, "commit", "-q", "-m", "Linux 7.3.4")
        for marker, text in (("base-ok", ""), ("debian-version", "7.3.4-1\n")):
            self.write(os.path.join(self.src, ".pfnmap-" + marker), text)
        self.series()

    def series(self, bug="pass", race="pass"):
        """The stack: an upstream fix, and a series whose first patch makes
        bug and race end as BUG and RACE, whose second fixes walk, whose
        third is a test patch."""
        for d in ("upstream", "series"):
            shutil.rmtree(os.path.join(self.repo, d), ignore_errors=True)
        self.git(self.src, "checkout", "-q", "-b", "work", "base")
        commits = (("mm/x: an upstream fix", "mm/x.c", "int y;\n"),
                   ("mm/memory: fix the bug", "behaviour",
                    f"bug {bug}\nwalk test-fail\nrace {race}\n"),
                   ("mm/pagewalk: fix walks", "behaviour", f"bug {bug}\nwalk pass\nrace {race}\n"),
                   ("selftests/mm: test the bug", "tools/testing/selftests/mm/bug.c", "int z;\n"))
        for subject, path, text in commits:
            self.write(os.path.join(self.src, path), text)
            self.git(self.src, "add", path)
            self.git(self.src, "commit", "-q", "-m", subject)
        for d, commit_range in (("upstream/7.3", "base..work~3"), ("series/fake", "work~3..work")):
            out = os.path.join(self.repo, d)
            names = self.git(self.src, "format-patch", "-o", out, commit_range)
            self.write(os.path.join(out, "series"),
                       "".join(os.path.basename(n) + "\n" for n in names.split()))
        self.git(self.src, "checkout", "-q", "base")
        self.git(self.src, "branch", "-q", "-D", "work")

    def verify(self, **env):
        self.builds = os.path.join(self.tmp, "builds")
        if os.path.exists(self.builds):
            os.remove(self.builds)
        env = dict(os.environ, PFNMAP_CACHE=self.cache, OUT_DIR=os.path.join(self.tmp, "out"),
                   FAKE_QEMU="kernel", FAKE_BUILDS=self.builds, CROSS_ARCHES="x86_64",
                   PATH=os.path.join(REPO, "tests", "fake") + ":" + os.environ["PATH"], **env)
        return subprocess.run([os.path.join(self.repo, "harness", "verify.sh")], env=env,
                              capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL)

    def out(self, *path):
        return os.path.join(self.tmp, "out", *path)

    def read(self, *path):
        with open(self.out(*path)) as f:
            return f.read()

    def table(self, text):
        """{test: its cells} of a printed table, and its kernels."""
        lines = text.splitlines()
        head = next(i for i, line in enumerate(lines) if line.startswith("test "))
        rows = {}
        for line in lines[head + 2:]:
            if not line.strip():
                break
            rows[line.split()[0]] = line.split()[1:]
        return lines[head].split()[1:-1], rows

    def built(self):
        with open(self.builds) as f:
            return f.read().splitlines()

    def test_pass_then_a_run_that_stops(self):
        proc = self.verify(TESTS="bug walk race")
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
        kernels, rows = self.table(proc.stdout)
        self.assertEqual(kernels, ["baseline", "nowalkfix", "patched", "debug"])
        self.assertEqual(rows["bug"][:4], ["XFAIL", "-", "PASS", "PASS"])
        self.assertEqual(rows["walk"][:4], ["XFAIL", "XFAIL", "PASS", "-"])
        self.assertEqual(rows["race"][:4], ["XFAIL", "PASS", "-", "-"])
        self.assertEqual(rows["static-checks:x86_64"][:4], ["-", "-", "PASS", "-"])
        self.assertEqual(self.built(), [
            "vm builds: mm/memory: fix the bug", "vm builds: mm/pagewalk: fix walks",
            "vm baseline", "debug nowalkfix", "vm patched", "debug debug"])
        self.assertIn("builds: selftests/mm: test the bug (no kernel change)", proc.stderr)
        self.assertRegex(proc.stderr, r"==> \[[0-9:]{8}\] baseline: booting for bug \(console: ")
        # out/7.3.new became out/7.3; the table, KTAP and the trees' refs.
        self.assertEqual(os.listdir(self.out()), ["7.3"])
        self.assertEqual(self.read("7.3", "summary.txt"), proc.stdout)
        ktap = self.read("7.3", "results.ktap").splitlines()
        self.assertEqual((ktap[0], ktap[-1]), ("KTAP version 1", "ok 5 verdict"))
        self.assertIn("    ok 2 walk # XFAIL rc=1; 0 ok, 1 not ok, 0 skip: fake", ktap)
        states = {line.split()[0] for line in self.read("7.3", "branches").splitlines()}
        self.assertEqual(states, {"src", "prereqs", "baseline", "nowalkfix", "patched", "debug"})
        self.assertEqual(self.git(self.src, "for-each-ref", "--format=%(refname)", "refs/heads/"),
                         "refs/heads/base\n")

        # A run that stops (its first kernel does not build) leaves out/7.3
        # as it was, and says where its own results are.
        summary = self.read("7.3", "summary.txt")
        proc = self.verify(TESTS="bug", FAKE_BUILD_FAIL="vm", BISECT="0", STATIC="0")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("error: kernel build failed (fake)\n", proc.stderr)
        self.assertRegex(proc.stderr, r"error: harness/verify.sh:\d+: "
                         r"kernel=\$\(.*build-kernel.sh.* exited 1\n")
        self.assertIn(f"stopped: this run's consoles and rows so far are in {self.out('7.3.new')}",
                      proc.stderr)
        self.assertEqual(self.read("7.3", "summary.txt"), summary)
        self.assertEqual(sorted(os.listdir(self.out())), ["7.3", "7.3.new"])

    def test_failure_and_inconclusive_fail_the_run(self):
        # A series that does not fix the bug, and a race that raced too
        # little with it.
        self.series(bug="test-fail", race="inconclusive")
        proc = self.verify(TESTS="bug race", DEBUG="0", BISECT="0")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        _, rows = self.table(proc.stdout)
        self.assertEqual(rows["bug"][:3], ["XFAIL", "-", "FAIL"])
        self.assertEqual(rows["race"][:3], ["XFAIL", "INCONCLUSIVE", "-"])
        self.assertIn("PROBLEM: bug on patched: FAIL rc=1; 0 ok, 1 not ok, 0 skip: fake",
                      proc.stdout)
        self.assertIn("PROBLEM: race on nowalkfix: INCONCLUSIVE ", proc.stdout)
        self.assertIn("verify: 2 passed, 2 failed", proc.stdout)
        # A complete run replaces out/7.3, whatever its verdict.
        self.assertEqual(os.listdir(self.out()), ["7.3"])
        ktap = self.read("7.3", "results.ktap").splitlines()
        self.assertIn("    not ok 1 bug # rc=1; 0 ok, 1 not ok, 0 skip: fake", ktap)
        self.assertIn("not ok 4 verdict # 2 problems", ktap)

    def test_run_that_tested_nothing_fails(self):
        proc = self.verify(TESTS="base_only", BISECT="0", STATIC="0")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("PROBLEM: no test ran on a kernel with the series", proc.stdout)

    def test_verify_one_builds_one_kernel(self):
        proc = self.verify(VERIFY_ONE="1", TEST="walk", STATE="nowalkfix")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.built(), ["debug nowalkfix"])
        _, rows = self.table(proc.stdout)
        self.assertEqual(list(rows), ["walk"])
        self.assertEqual(rows["walk"][:4], ["-", "XFAIL", "-", "-"])
        self.assertEqual(os.listdir(self.out()), ["7.3-one"])
        for given, message in (
                ({"TEST": "race", "STATE": "patched"},
                 "TEST=race does not run on the patched kernel"),
                ({"TEST": "bug", "STATE": "nocontract"}, "BASE=7.3 builds no nocontract kernel"),
                ({"TEST": "bug"}, "usage: make verify-one TEST=NAME STATE=")):
            proc = self.verify(VERIFY_ONE="1", **given)
            self.assertEqual(proc.returncode, 1, given)
            self.assertIn(message, proc.stderr)
        proc = self.verify(STATE="patched")
        self.assertIn("TEST and STATE are make verify-one's and make retest's", proc.stderr)

    def test_own_kernel_tree_on_first_use(self):
        kdir = os.path.join(self.tmp, "linux")
        self.git(self.tmp, "clone", "-q", self.src, kdir)
        proc = self.verify(KDIR=kdir, VERIFY_ONE="1", TEST="bug", STATE="patched")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"kernel: 7.3.4, {kdir} at ", proc.stderr)
        self.assertTrue(os.path.isdir(os.path.join(self.cache, "kdir-7.3")))
        # Refs of the harness's own in the user's repository, no branch.
        self.assertEqual(self.git(kdir, "for-each-ref", "--format=%(refname)", "refs/heads/"),
                         "refs/heads/base\n")
        self.assertEqual(self.git(kdir, "for-each-ref", "--format=%(refname)", "refs/pfnmap/"),
                         "refs/pfnmap/7.3/patched\n")


class CleanTest(unittest.TestCase):
    """make clean: removes out/'s runs and the build directories, keeps the
    sources, ccache and the results cache, names each with its size."""

    def test_removes_and_keeps(self):
        with tempfile.TemporaryDirectory() as tmp:
            cache, out = os.path.join(tmp, "cache"), os.path.join(tmp, "out")
            made = {os.path.join(out, d) for d in (
                "7.3/patched", "7.3.new", "7.3-arm64/debug", "6.12-one", "mail-preview/x")}
            made |= {os.path.join(cache, d) for d in (
                "build/7.3-vm", "src/7.3", "ccache/0", "results/x", "kdir-7.3")}
            made.add(os.path.join(out, "mine"))
            for d in made:
                os.makedirs(d)
                with open(os.path.join(d, "f"), "w") as f:
                    f.write("x" * 5000)
            # Never the user's own cache: both directories are given.
            proc = subprocess.run(["make", "-s", "clean", f"PFNMAP_CACHE={cache}",
                                   f"OUT_DIR={out}"], cwd=REPO, capture_output=True,
                                  text=True, timeout=30)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(sorted(os.listdir(out)), ["mine"])
            self.assertEqual(sorted(os.listdir(cache)),
                             ["ccache", "kdir-7.3", "lock-6.12", "lock-7.3", "results", "src"])
            self.assertRegex(proc.stderr, r"removing .*/out/7.3 \(\d+K\)")
            self.assertRegex(proc.stderr, r"removing .*/cache/build \(\d+K\)")
            self.assertRegex(proc.stderr, r"keeping .*/cache/src \(\d+K\)")


class ExportSeriesTest(unittest.TestCase):
    """make export: a work tree's commits as a series directory, named
    after their subjects, in order; bad input named in one line."""

    def test_export(self):
        with tempfile.TemporaryDirectory() as tmp:
            tree = os.path.join(tmp, "linux")
            os.makedirs(tree)
            git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
            subprocess.run(git + ["init", "-q", "-b", "base", tree], check=True)
            for subject in ("base", "mm: one", "vfio/type1: two"):
                with open(os.path.join(tree, "f"), "a") as f:
                    f.write(subject + "\n")
                subprocess.run(git + ["-C", tree, "add", "f"], check=True)
                subprocess.run(git + ["-C", tree, "commit", "-q", "-m", subject], check=True)
            out = os.path.join(tmp, "series", "x")
            make = ["make", "-s", "--no-print-directory", "export", f"KTREE={tree}",
                    f"DIR={out}"]
            proc = subprocess.run(make + ["RANGE=HEAD~2..HEAD"], cwd=REPO,
                                  capture_output=True, text=True, timeout=30)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(os.path.join(out, "series")) as f:
                self.assertEqual(f.read(), "mm-one.patch\nvfio-type1-two.patch\n")
            with open(os.path.join(out, "mm-one.patch")) as f:
                self.assertIn("Subject: [PATCH] mm: one\n", f.read())
            for args, message in ((["RANGE=nope"], "RANGE=nope is not a range of commits"),
                                  ([], "usage: make export KTREE=TREE RANGE=base..work")):
                proc = subprocess.run(make + args, cwd=REPO, capture_output=True,
                                      text=True, timeout=30)
                self.assertNotEqual(proc.returncode, 0)
                self.assertIn(message, proc.stderr)
                self.assertEqual(len(proc.stderr.splitlines()), 2, proc.stderr)


class ProgressTest(unittest.TestCase):
    """lib.sh's log and run_logged: timestamped lines, a heartbeat while a
    long step runs, V=1 streams its log."""

    def test_heartbeat_and_streaming(self):
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "build.log")
            cmd = 'run_logged baseline "$1" sh -c "echo CC mm/memory.o; sleep 2.5; echo LD vmlinux"'
            proc = lib_sh(cmd, log, env=dict(os.environ, HEARTBEAT="1"))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stdout, "")
            beats = proc.stderr.splitlines()
            self.assertGreaterEqual(len(beats), 2, proc.stderr)
            self.assertRegex(beats[0], r"^==> \[\d\d:\d\d:\d\d\] baseline: 0 min 1 s so far: "
                             "CC mm/memory.o$")
            with open(log) as f:
                self.assertEqual(f.read(), "CC mm/memory.o\nLD vmlinux\n")
            proc = lib_sh('run_logged baseline "$1" sh -c "echo CC x; exit 3" || echo "rc=$?"',
                          log, env=dict(os.environ, V="1"))
            self.assertEqual(proc.stdout, "rc=3\n")
            self.assertEqual(proc.stderr, "CC x\n")


class ApplySeriesTest(unittest.TestCase):
    def git(self, *args, cwd):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=cwd, check=True, capture_output=True)

    def patch(self, directory, name, subject, old, new):
        with open(os.path.join(directory, name), "w") as f:
            f.write(f"From: t <t@t>\nSubject: [PATCH] {subject}\n\n---\n"
                    "diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n"
                    f"@@ -1,3 +1,3 @@\n{old}\n{new}\n")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        tmp = self.tmp.name
        self.src = os.path.join(tmp, "src")
        os.makedirs(self.src)
        with open(os.path.join(self.src, "a.c"), "w") as f:
            f.write("one\ntwo\nthree\n")
        self.git("init", "-q", "-b", "base", cwd=self.src)
        self.git("add", "a.c", cwd=self.src)
        self.git("commit", "-q", "-m", "base", cwd=self.src)
        self.stack = os.path.join(tmp, "stack")

    def tearDown(self):
        self.tmp.cleanup()

    def dir_of(self, name, patches):
        """A patch directory NAME with PATCHES: (file, subject, old, new)."""
        directory = os.path.join(self.tmp.name, name)
        os.makedirs(directory)
        for p in patches:
            self.patch(directory, *p)
        with open(os.path.join(directory, "series"), "w") as f:
            f.write("".join(p[0] + "\n" for p in patches))
        return directory

    def apply(self, filt, stack):
        with open(self.stack, "w") as f:
            f.write("# kind dir\n" + "".join(f"{k} {d}\n" for k, d in stack))
        return subprocess.run(
            [os.path.join(HARNESS, "apply-series.sh"), self.src, "base",
             "refs/pfnmap/t/b", filt],
            capture_output=True, text=True,
            env=dict(os.environ, STACK_FILE=self.stack))

    def subjects(self):
        return subprocess.run(["git", "log", "--format=%s", "base..refs/pfnmap/t/b"],
                              cwd=self.src, capture_output=True,
                              text=True).stdout.split("\n")[:-1]

    def test_failing_patch_is_named_and_tree_left_clean(self):
        series = self.dir_of("series", [
            ("good.patch", "good", " one\n-two", "+TWO\n three"),
            ("bad.patch", "bad", " one\n-zwei", "+TWO\n three")])
        proc = self.apply("all", [("series", series)])
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("bad.patch does not apply", proc.stderr)
        self.assertIn("a.c", proc.stderr)
        status = subprocess.run(["git", "status", "--porcelain"], cwd=self.src,
                                capture_output=True, text=True).stdout
        self.assertEqual(status, "")
        with open(os.path.join(self.src, "a.c")) as f:
            self.assertEqual(f.read(), "one\ntwo\nthree\n")

    def new_file_patch(self, directory, name, subject):
        """A patch that adds the file NAME.c."""
        with open(os.path.join(directory, name + ".patch"), "w") as f:
            f.write(f"From: t <t@t>\nSubject: [PATCH] {subject}\n\n---\n"
                    f"diff --git a/{name}.c b/{name}.c\nnew file mode 100644\n"
                    f"--- /dev/null\n+++ b/{name}.c\n@@ -0,0 +1 @@\n+{name}\n")
        with open(os.path.join(directory, "series"), "a") as f:
            f.write(name + ".patch\n")

    def test_filters(self):
        base = os.path.join(self.tmp.name, "upstream")
        series = os.path.join(self.tmp.name, "ours")
        os.makedirs(base)
        os.makedirs(series)
        self.new_file_patch(base, "u", "mm/x: upstream fix")
        self.new_file_patch(series, "f", "mm/pagewalk: fix")
        self.new_file_patch(series, "k", "mm/memory: add KUnit tests")
        self.new_file_patch(series, "t", "vfio: selftests: Add a test")
        probe = os.path.join(self.tmp.name, "probe")
        os.makedirs(probe)
        self.new_file_patch(probe, "p", "test-only: count")
        undo = os.path.join(self.tmp.name, "undo")
        os.makedirs(undo)
        self.new_file_patch(undo, "r", "test-only: undo a fix")
        self.new_file_patch(series, "g", "mm/gup: add KUnit tests of a helper")
        stack = [("base", base), ("series", series), ("probe", probe),
                 ("undo", undo), ("series-test", "mm/gup: add KUnit tests")]
        for filt, want in (
                ("all", ["mm/x: upstream fix", "mm/pagewalk: fix",
                         "mm/memory: add KUnit tests",
                         "vfio: selftests: Add a test",
                         "mm/gup: add KUnit tests of a helper"]),
                ("tests", ["mm/x: upstream fix", "mm/memory: add KUnit tests",
                           "vfio: selftests: Add a test"]),
                ("none", ["mm/x: upstream fix"]),
                ("without:mm/pagewalk:", ["mm/x: upstream fix",
                                          "mm/memory: add KUnit tests",
                                          "vfio: selftests: Add a test",
                                          "mm/gup: add KUnit tests of a helper"]),
                ("without:mm/pagewalk:|vfio: selftests:",
                 ["mm/x: upstream fix", "mm/memory: add KUnit tests",
                  "mm/gup: add KUnit tests of a helper"]),
                ("without:mm/pagewalk:+probe",
                 ["mm/x: upstream fix", "mm/memory: add KUnit tests",
                  "vfio: selftests: Add a test", "mm/gup: add KUnit tests of a helper",
                  "test-only: count"]),
                ("all+undo", ["mm/x: upstream fix", "mm/pagewalk: fix",
                              "mm/memory: add KUnit tests",
                              "vfio: selftests: Add a test",
                              "mm/gup: add KUnit tests of a helper",
                              "test-only: undo a fix"])):
            proc = self.apply(filt, stack)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(list(reversed(self.subjects())), want, filt)
        # A ref of the harness's own, no branch in the tree (a KDIR's).
        branches = subprocess.run(["git", "for-each-ref", "--format=%(refname)",
                                   "refs/heads/"],
                                  cwd=self.src, capture_output=True, text=True).stdout
        self.assertEqual(branches, "refs/heads/base\n")



class RatesTest(unittest.TestCase):
    """rates.py: pooled rates, floors and P(catch) from harness/race-rates."""

    def test_floor_and_detection(self):
        import rates
        # 1 in 100: 299 runs' worth of zaps give 95%, rounded up to 300.
        self.assertEqual(rates.floor(0.01), 300)
        self.assertAlmostEqual(rates.detection(0.01, 300), 0.951, places=3)
        self.assertEqual(rates.pooled([(1, 100, 1, ""), (3, 300, 1, "")]), 0.01)
        self.assertEqual(rates.lowest([(1, 100, 1, ""), (2, 400, 1, "")]), 0.005)

    def test_every_race_test_has_a_rate(self):
        import rates
        race_of, runs = rates.read()
        self.assertIn("race_decode_toggle", race_of)
        for race in race_of.values():
            self.assertIn(race, runs)
        out = subprocess.run([os.path.join(HARNESS, "rates.py"), "floors"],
                             capture_output=True, text=True, check=True).stdout
        self.assertRegex(out, r"^PFNMAP_FLOOR_DECODE=\d+ ")




class StableTest(unittest.TestCase):
    """A backport carries its mainline patch's changelog: the same text but
    for the "commit @UPSTREAM@ upstream." line and the [ 6.12: ] note."""

    @staticmethod
    def message(path):
        with open(path) as f:
            text = f.read()
        head, _, _ = text.partition("\n---\n")
        subject = re.search(r"^Subject: (?:\[PATCH\] )?(.*(?:\n .*)*)", head, re.M)
        body = head.split("\n\n", 1)[1]
        return " ".join(subject.group(1).split()), body

    def test_backports_carry_the_mainline_changelog(self):
        mainline = {}
        # The series the 7.3 stack tests (not a rebased copy of one).
        with open(os.path.join(HARNESS, "stacks", "7.3")) as f:
            dirs = [line.split()[1] for line in f if line.startswith("series ")]
        for d in dirs:
            for p in glob.glob(os.path.join(REPO, d, "*.patch")):
                subject, body = self.message(p)
                mainline[subject] = body
        checked = 0
        for p in sorted(glob.glob(os.path.join(REPO, "stable", "*", "*.patch"))):
            subject, body = self.message(p)
            self.assertIn(subject, mainline, p)
            self.assertTrue(body.startswith("commit @UPSTREAM@ upstream.\n\n"), p)
            body = body[len("commit @UPSTREAM@ upstream.\n\n"):]
            body = re.sub(r"\n\[ [0-9.]+: .*?\][ \t]*(?=\n|$)", "", body, flags=re.S)
            self.assertEqual(body.strip(), mainline[subject].strip(), p)
            checked += 1
        self.assertGreater(checked, 0)


class RebasedSeriesTest(unittest.TestCase):
    """series/pfnmap-enoent-linux-mm/ is series/pfnmap-enoent/ rebased onto
    the mm tree: the same patches in the same order, the same subjects and
    the same tags, each changelog opening with its "[ rebased onto ... ]"
    note.  The harness never builds it, so this is what keeps it in step."""

    TAG = re.compile(r"^[A-Z][A-Za-z-]+: .*$", re.M)

    def test_rebased_copy_keeps_subjects_tags_and_order(self):
        main = os.path.join(REPO, "series", "pfnmap-enoent")
        copy = os.path.join(REPO, "series", "pfnmap-enoent-linux-mm")
        with open(os.path.join(main, "series")) as f:
            names = f.read().split()
        with open(os.path.join(copy, "series")) as f:
            self.assertEqual(f.read().split(), names)
        for name in names:
            subject, body = StableTest.message(os.path.join(main, name))
            csubject, cbody = StableTest.message(os.path.join(copy, name))
            self.assertEqual(csubject, subject, name)
            self.assertTrue(cbody.startswith("[ rebased onto "), name)
            self.assertEqual(self.TAG.findall(cbody.split("\n\n")[-1]),
                             self.TAG.findall(body.split("\n\n")[-1]), name)


if __name__ == "__main__":
    unittest.main()
