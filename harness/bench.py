#!/usr/bin/env python3
"""The table of a make bench run: kernels side by side, ratios, spreads.

    bench.py BENCH_DIR

BENCH_DIR holds the consoles harness/bench.sh wrote, SIZE-KERNEL-ROUND.log
(e.g. 1G-baseline-2.log), each with the "BENCH name key=value ..." lines
of repro/bench_pfnmap.c, and asked.json (the sizes, kernels, boots and
seconds bench.sh asked for).  For each BAR size and measurement it prints
each kernel's value (the median of its boots), the ratios to the
baseline, patched/nowalkfix where the control kernel nowalkfix (the
series without the page-walk patch) ran, and each kernel's spread of
boots (max/min - 1), so that a ratio is read against it.  Every boot's
value is in BENCH_DIR/summary.json, the table in summary.txt.

Exit status 1 when a console lacks "BENCH done" or a measurement, a KVM
part was skipped or ran shorter than asked or its monitor read less
often, the guest's BAR is not the size asked for, a kernel splat is on a
console, or a size and kernel has fewer boots than asked (two at least):
a bench that measured less than it was asked to fails.
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


def size_key(s):
    return int(s[:-1]) * (1024 if s.endswith("G") else 1)


def check_boot(name, size, bench, asked, problems, notes):
    """What one boot measured against what bench.sh asked for."""
    mib = bench.get("bar", {}).get("size_mib")
    if mib is not None and mib != size_key(size):
        problems.append(f"{name}: the guest's BAR has {mib:.0f} MiB, not {size}")
    for ms in (0, 100, 10):
        fields = bench.get(f"kvm_{ms}ms")
        if not fields or "skipped" in fields:
            continue
        secs = fields.get("seconds", 0)
        if asked and secs < 0.9 * asked["seconds"]:
            problems.append(f"{name}: kvm_{ms}ms ran {secs} s, not {asked['seconds']}")
        if ms and secs and abs(fields.get("reads", 0) - secs * 1000 / ms) > 0.1 * secs * 1000 / ms:
            problems.append(f"{name}: kvm_{ms}ms read numa_maps {fields.get('reads', 0):.0f} "
                            f"times in {secs} s, not every {ms} ms")
        if fields.get("efault"):
            notes.append(f"{name}: kvm_{ms}ms: {fields['efault']:.0f} EFAULT from KVM_RUN "
                         "(the race; the guest went on)")


def summarize(bdir):
    problems, notes = [], []
    boots = {}
    asked = None
    if os.path.isfile(os.path.join(bdir, "asked.json")):
        with open(os.path.join(bdir, "asked.json")) as f:
            asked = json.load(f)
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
        check_boot(name, m.group(1), bench, asked, problems, notes)
        boots.setdefault(m.group(1), {}).setdefault(m.group(2), []).append(bench)
    if not boots:
        problems.append(f"no SIZE-KERNEL-ROUND.log consoles in {bdir}")
    if asked:
        for size in asked["sizes"]:
            for k in asked["kernels"]:
                n = len(boots.get(size, {}).get(k, []))
                if n != asked["rounds"]:
                    problems.append(f"{size}: {n} console(s) of {k}, asked for {asked['rounds']}")

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
        others = [(k, "baseline") for k in names if k != "baseline"]
        if "nowalkfix" in names:
            others.append(("patched", "nowalkfix"))
        table += [f"BAR {size}" + (" (PMD-mapped: smaller than a PUD)"
                                   if size_key(size) < 1024 else ""),
                  "",
                  "| measurement | " + " | ".join(names) + " | " +
                  " | ".join(f"{a}/{b}" for a, b in others) +
                  " | spread of boots: " + ", ".join(names) + " |",
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
            medians = {k: median(v) for k, v in vals.items()}
            ratios = {f"{a}/{b}": medians[a] / medians[b] if medians[b] else None
                      for a, b in others}
            spreads = {k: spread(v) for k, v in vals.items()}
            row = {"medians": medians, "ratios": ratios, "spreads": spreads,
                   "boots": vals}
            data.setdefault(size, {})[f"{name}.{key}" + (f"/{per}" if per and per[0] != "+" else per or "")] = row
            u = f" {unit}" if unit else ""
            table.append(f"| {label} | " +
                         " | ".join(f"{fmt(medians[k])}{u}" for k in names) + " | " +
                         " | ".join(fmt(r) for r in ratios.values()) + " | " +
                         ", ".join("-" if v is None else f"{v * 100:.1f}%"
                                   for v in spreads.values()) + " |")
        table.append("")
    table += [f"note: {n}" for n in notes]
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
