"""Benchmark: the whole report on the bundled airline sample (target, issue 6: under 60 s).

Times ``csindex report --quiet`` in an empty folder as a user runs it (fresh interpreter,
default 1,000-resample bootstrap) for each ``--method``, plus the in-process
``csindex.report()`` with and without the bootstrap, and prints each time with its ratio to
the 60 s target.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_report.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 60.0
SRC = Path(__file__).resolve().parents[1] / "src"


def cli_time(args: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "csindex", "report", "--quiet", *args], cwd=tmp, env=env,
                       check=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    print(f"{'run':<44} {'best s':>8} {'x target':>9}")
    for label, args in [("csindex report (pls, B=1000)", []),
                        ("csindex report --method sem", ["--method", "sem"]),
                        ("csindex report --method both --lang zh", ["--method", "both", "--lang", "zh"])]:
        best = min(cli_time(args) for _ in range(opts.repeat))
        print(f"{label:<44} {best:8.2f} {best / TARGET:9.3f}")
    import csindex

    for boot in (0, 1000):
        times = []
        for _ in range(opts.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                csindex.report(out=tmp, bootstrap=boot, progress=False)
                times.append(time.perf_counter() - start)
        print(f"{f'csindex.report() in process, B={boot}':<44} {min(times):8.2f} {min(times) / TARGET:9.3f}")


if __name__ == "__main__":
    main()
