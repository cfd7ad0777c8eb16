"""Benchmark: the whole report on the bundled airline sample (target, issue 13: under 10 s).

Times ``csindex report --quiet`` in an empty folder as a user runs it (fresh interpreter,
default 1,000-resample bootstrap) for each ``--method`` and for the two-wave report
(``--previous``), plus the in-process ``csindex.report()`` with and without the bootstrap,
and prints each time with its ratio to the 10 s target. Other processes on the machine
inflate wall-clock times; compare runs on an idle machine.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_report.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 10.0
SRC = Path(__file__).resolve().parents[1] / "src"


def cli_time(args: list[str]) -> tuple[float, float]:
    """(wall-clock s, CPU s of the child process) of one ``csindex report`` run."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "csindex", "report", "--quiet", *args], cwd=tmp, env=env,
                       check=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    print(f"{'run':<44} {'best s':>8} {'x target':>9} {'cpu s':>7}")
    import csindex

    samples = csindex.datasets.samples_dir()
    waves = [str(samples / "airline_wave2.csv"), "--previous", str(samples / "airline.csv"),
             "--codebook", str(csindex.datasets.airline_codebook_path())]
    for label, args in [("csindex report (pls, B=1000)", []),
                        ("csindex report WAVE2 --previous WAVE1", waves),
                        ("csindex report --method sem", ["--method", "sem"]),
                        ("csindex report --method both --lang zh", ["--method", "both", "--lang", "zh"])]:
        best, cpu = min(cli_time(args) for _ in range(opts.repeat))
        print(f"{label:<44} {best:8.2f} {best / TARGET:9.3f} {cpu:7.2f}")

    for boot in (0, 1000):
        times = []
        for _ in range(opts.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                start, cpu0 = time.perf_counter(), time.process_time()
                csindex.report(out=tmp, bootstrap=boot, progress=False)
                times.append((time.perf_counter() - start, time.process_time() - cpu0))
        best, cpu = min(times)
        print(f"{f'csindex.report() in process, B={boot}':<44} {best:8.2f} {best / TARGET:9.3f} {cpu:7.2f}")


if __name__ == "__main__":
    main()
