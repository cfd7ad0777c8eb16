"""Background CPU load for the ``--busy`` mode of the benchmarks (issue 15, section 4).

``background_load()`` starts a second process that spins on one core (``while True: pass``)
and stops it on exit; ``busy_table()`` times each task quietly, then again under that load,
and prints the slowdown ratio against the 2.5x target. The machine may already be shared
with other jobs: the ratio compares two runs of this script a few seconds apart, the second
with one more core kept busy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

TARGET_RATIO = 2.5


@contextmanager
def background_load(cores: int = 1) -> Iterator[None]:
    """Keep ``cores`` cores busy with spinning child processes for the duration."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
    try:
        time.sleep(0.5)  # let the spinners get scheduled
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Median wall seconds of ``repeat`` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def busy_table(tasks: dict[str, Callable[[], float]], rounds: int = 3) -> dict[str, tuple[float, float]]:
    """Run every task (a callable returning seconds) quietly and under a one-core load, in
    ``rounds`` alternating rounds (the other jobs' load drifts; alternating keeps it out of
    the ratio); print the medians and the ratio; return ``{task: (quiet, busy)}``."""
    quiet: dict[str, list[float]] = {k: [] for k in tasks}
    busy: dict[str, list[float]] = {k: [] for k in tasks}
    for _ in range(rounds):
        for k, f in tasks.items():
            quiet[k].append(f())
        with background_load():
            for k, f in tasks.items():
                busy[k].append(f())
    print(f"\n--busy: one extra core spinning, {rounds} alternating rounds (load average now "
          f"{os.getloadavg()[0]:.1f}); target ratio < {TARGET_RATIO}")
    print(f"{'task':44s} {'quiet s':>9s} {'busy s':>9s} {'ratio':>7s}")
    out = {}
    for k in tasks:
        q, b = sorted(quiet[k])[rounds // 2], sorted(busy[k])[rounds // 2]
        out[k] = (q, b)
        print(f"{k:44s} {q:9.3f} {b:9.3f} {b / q:7.2f}  {'ok' if b / q < TARGET_RATIO else 'MISSED'}", flush=True)
    return out
