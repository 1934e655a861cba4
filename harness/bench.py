#!/usr/bin/env python3
"""The table of a make bench run: patched against baseline, with the noise.

    bench.py BENCH_DIR

BENCH_DIR holds the consoles harness/bench.sh wrote, SIZE-KERNEL-ROUND.log
(e.g. 1G-baseline-2.log), each with the "BENCH name key=value ..." lines
of repro/bench_pfnmap.c.  For each BAR size and measurement it prints the
baseline's and the patched kernel's value (the median of their boots'
medians), the ratio patched/baseline, and the noise: how far apart the
baseline's own boots land (max/min - 1), so that a ratio is read against
it; every boot's value is in summary.json.  A nowalkfix kernel
(the series without the page-walk patch), where bench.sh found one, gets
its column and ratio too: it has every patch the MAP_DMA and KVM fault
paths run, so patched/baseline against nowalkfix/baseline shows what a
different build of code those paths never run moves the timings.  Writes the table
to BENCH_DIR/summary.txt and the numbers to BENCH_DIR/summary.json.

Exit status 1 when a console lacks "BENCH done" or a measurement, a KVM
part was skipped, a kernel splat is on a console, or a kernel has fewer
than two boots of a size: a bench that measured less than it was asked
to fails.
"""

import json
import os
import re
import subprocess
import sys

LOG = re.compile(r"^(\d+[MG])-([a-z0-9]+)-(\d+)\.log$")
# The kernels, in the order of the table's columns; baseline and patched
# must be there.
KERNELS = ("baseline", "nowalkfix", "patched")
LINE = re.compile(r"BENCH (\w+)((?: [\w.:/-]+=\S+)*)")
HARNESS = os.path.dirname(os.path.abspath(__file__))

# (label, bench line, key, unit, other): the rows of the table, in order.
# With another key, the row is key divided by it ("reads"), or the sum of
# the two ("+pass_us").
ROWS = [
    ("MAP+UNMAP_DMA, whole BAR", "map_whole", "us", "us", None),
    ("MAP+UNMAP_DMA, 2 MiB chunks", "map_2M", "us", "us", None),
    ("MAP+UNMAP_DMA, 64 KiB chunks", "map_64K", "us", "us", None),
    ("pass over the BAR, no read before", "walk_none", "pass_us", "us", None),
    ("smaps read", "walk_smaps", "read_us", "us", None),
    ("pass over the BAR after it", "walk_smaps", "pass_us", "us", None),
    ("  read + pass after it", "walk_smaps", "read_us", "us", "+pass_us"),
    ("  refaults per read", "walk_smaps", "faults_per_read", "", None),
    ("  PUD zaps per read", "walk_smaps", "zaps_per_read", "", None),
    ("numa_maps read", "walk_numa_maps", "read_us", "us", None),
    ("pass over the BAR after it", "walk_numa_maps", "pass_us", "us", None),
    ("  read + pass after it", "walk_numa_maps", "read_us", "us", "+pass_us"),
    ("  refaults per read", "walk_numa_maps", "faults_per_read", "", None),
    ("  PUD zaps per read", "walk_numa_maps", "zaps_per_read", "", None),
    ("KVM guest passes/s, no monitor", "kvm_0ms", "passes_per_s", "/s", None),
    ("KVM guest passes/s, numa_maps every 100 ms", "kvm_100ms", "passes_per_s", "/s", None),
    ("  numa_maps reads", "kvm_100ms", "reads", "", None),
    ("  stage-2 faults per read", "kvm_100ms", "stage2_faults", "", "reads"),
    ("  stage-2 mappings rebuilt per read", "kvm_100ms", "stage2_fixed", "", "reads"),
    ("KVM guest passes/s, numa_maps every 10 ms", "kvm_10ms", "passes_per_s", "/s", None),
    ("  numa_maps reads", "kvm_10ms", "reads", "", None),
    ("  stage-2 faults per read", "kvm_10ms", "stage2_faults", "", "reads"),
    ("  stage-2 mappings rebuilt per read", "kvm_10ms", "stage2_fixed", "", "reads"),
    ("  PUD zaps per read", "kvm_10ms", "zaps", "", "reads"),
]


def parse(path):
    """{name: {key: value}} of a console's BENCH lines (numbers as floats)."""
    found = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.search(line.replace("\r", ""))
            if not m:
                continue
            fields = {}
            for kv in m.group(2).split():
                k, _, v = kv.partition("=")
                try:
                    fields[k] = float(v)
                except ValueError:
                    fields[k] = v
            found[m.group(1)] = fields
    return found


def has_splat(path):
    return subprocess.run([os.path.join(HARNESS, "judge.py"), "--has-splat", path],
                          check=False).returncode == 0


def value(bench, name, key, other):
    fields = bench.get(name, {})
    if other and other.startswith("+"):
        add = other[1:]
        return fields[key] + fields[add] if key in fields and add in fields else None
    if key not in fields or (other and other not in fields):
        return None
    if other:
        return fields[key] / fields[other] if fields[other] else None
    return fields[key]


def median(values):
    """The median of a kernel's boots (of two: their mean)."""
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def spread(values):
    """How far apart boots of one kernel are: max/min - 1."""
    lo, hi = min(values), max(values)
    return hi / lo - 1 if lo > 0 else (0.0 if hi == lo else None)


def fmt(v, unit=""):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"


def summarize(bdir):
    problems = []
    boots = {}
    for name in sorted(os.listdir(bdir)):
        m = LOG.match(name)
        if not m:
            continue
        path = os.path.join(bdir, name)
        bench = parse(path)
        if "done" not in bench:
            problems.append(f"{name}: no 'BENCH done' (the bench did not finish)")
        for line, fields in bench.items():
            if "skipped" in fields:
                problems.append(f"{name}: {line} skipped: {fields['skipped']}")
        if has_splat(path):
            problems.append(f"{name}: kernel splat on the console")
        boots.setdefault(m.group(1), {}).setdefault(m.group(2), []).append(bench)
    if not boots:
        problems.append(f"no SIZE-KERNEL-ROUND.log consoles in {bdir}")

    def size_key(s):
        return int(s[:-1]) * (1024 if s.endswith("G") else 1)

    table, data = [], {}
    for size in sorted(boots, key=size_key):
        kernels = boots[size]
        names = [k for k in KERNELS if k in kernels]
        for k in sorted(set(kernels) - set(KERNELS)):
            problems.append(f"{size}: unknown kernel '{k}' (known: {', '.join(KERNELS)})")
        for k in ("baseline", "patched"):
            if k not in names:
                names.append(k)
        for k in names:
            if len(kernels.get(k, [])) < 2:
                problems.append(f"{size}: {len(kernels.get(k, []))} boot(s) of {k}, "
                                "need two to measure the noise")
        others = [k for k in names if k != "baseline"]
        table += [f"BAR {size}" + (" (PMD-mapped: smaller than a PUD)"
                                   if size_key(size) < 1024 else ""),
                  "",
                  "| measurement | " + " | ".join(names) + " | " +
                  " | ".join(f"{k}/baseline" for k in others) + " | noise |",
                  "|---|" + "---:|" * (len(names) + len(others) + 1)]
        for label, name, key, unit, per in ROWS:
            vals = {k: [value(b, name, key, per) for b in kernels.get(k, [])]
                    for k in names}
            if any(v is None for vs in vals.values() for v in vs) or \
                    not all(vals.values()):
                if not any(name in b for bs in kernels.values() for b in bs):
                    problems.append(f"{size}: no '{name}' line")
                else:
                    problems.append(f"{size}: '{name}' lacks {key}")
                continue
            means = {k: median(v) for k, v in vals.items()}
            b = means["baseline"]
            ratios = {k: means[k] / b if b else None for k in others}
            noise = spread(vals["baseline"])
            row = {"means": means, "ratios": ratios, "noise": noise, "boots": vals}
            data.setdefault(size, {})[f"{name}.{key}" + (f"/{per}" if per and per[0] != "+" else per or "")] = row
            u = f" {unit}" if unit else ""
            table.append(f"| {label} | " +
                         " | ".join(f"{fmt(means[k])}{u}" for k in names) + " | " +
                         " | ".join(fmt(ratios[k]) for k in others) + " | " +
                         f"{'-' if noise is None else f'{noise * 100:.1f}%'} |")
        table.append("")
    return table, data, problems


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print("usage: bench.py BENCH_DIR (a make bench run's out/BASE/bench)",
              file=sys.stderr)
        return 2
    bdir = argv[1]
    table, data, problems = summarize(bdir)
    header = []
    hfile = os.path.join(bdir, "header.txt")
    if os.path.isfile(hfile):
        with open(hfile) as f:
            header = f.read().splitlines() + [""]
    text = "\n".join(header + table + [f"PROBLEM: {p}" for p in problems])
    print(text)
    with open(os.path.join(bdir, "summary.txt"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(bdir, "summary.json"), "w") as f:
        json.dump({"header": "\n".join(header), "sizes": data,
                   "problems": problems}, f, indent=1)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
