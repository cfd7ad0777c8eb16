"""Benchmark: load a 1,000,000 respondents x 60 items CSV with ``csindex.load_survey``.

Prints the load time, the peak memory of the loading process and its ratio to the
in-memory size of the loaded responses. Target (issue 2): under 10 s and under 3x.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_io.py [--rows 1000000] [--items 60]

The CSV is written to a temporary folder and deleted afterwards. The load runs in a fresh
subprocess so that its peak resident memory (``ru_maxrss``) is not inflated by the
generation step; the baseline is the resident memory after ``import csindex``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
import csindex
from csindex.io import load_survey

def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")

path, items = sys.argv[1], int(sys.argv[2])
codebook = {"scale": [1, 10], "missing_codes": [99],
            "items": {"resp_id": {"role": "id"},
                      **{f"Q{b}_{i}": {"construct": f"Q{b}"} for b in range(items // 5) for i in range(1, 6)}}}
base = rss_mb()
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
s = load_survey(path, codebook)
dt = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
data_mb = s.responses.memory_usage(deep=True).sum() / 2**20
print(json.dumps({"seconds": dt, "cpu_seconds": cpu, "baseline_mb": base, "peak_mb": peak, "data_mb": data_mb,
                  "shape": list(s.responses.shape), "missing_cells": int(s.validation.items["n_missing"].sum())}))
"""


def write_csv(path: Path, rows: int, items: int, seed: int = 1) -> None:
    """Write ``rows`` x (id + ``items``) CSV of 1-10 answers with about 2% 99 codes."""
    rng = np.random.default_rng(seed)
    names = ["resp_id"] + [f"Q{b}_{i}" for b in range(items // 5) for i in range(1, 6)]
    chunk = 100_000
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(names) + "\n")
        for start in range(0, rows, chunk):
            m = min(chunk, rows - start)
            vals = rng.integers(1, 11, size=(m, items))
            vals[rng.random((m, items)) < 0.02] = 99
            block = np.column_stack([np.arange(start + 1, start + m + 1), vals])
            np.savetxt(fh, block, fmt="%d", delimiter=",")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3, help="fresh-process loads to run (best and all are printed)")
    args = ap.parse_args(argv)
    src = Path(__file__).resolve().parents[1] / "src"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")]))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        t0 = time.perf_counter()
        write_csv(path, args.rows, args.items)
        print(f"wrote {path.stat().st_size / 2**20:.0f} MB CSV ({args.rows} x {args.items}) "
              f"in {time.perf_counter() - t0:.1f} s")
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(args.items)], env=env,
                                 capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    res = min(runs, key=lambda r: r["seconds"])
    used = max(r["peak_mb"] - r["baseline_mb"] for r in runs)
    times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    print(f"load_survey: best {res['seconds']:.2f} s of {len(runs)} fresh-process runs ({times}) (target < 10 s)")
    cpu = ", ".join(f"{r['cpu_seconds']:.2f}" for r in runs)
    print(f"CPU time of the load (all threads; steadier than wall time on a busy machine): {cpu} s")
    print(f"responses in memory: {res['data_mb']:.0f} MB, shape {tuple(res['shape'])}, "
          f"{res['missing_cells']} missing cells")
    print(f"peak RSS {max(r['peak_mb'] for r in runs):.0f} MB, baseline after import {res['baseline_mb']:.0f} MB, "
          f"load used at most {used:.0f} MB = {used / res['data_mb']:.2f}x the data (target < 3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
