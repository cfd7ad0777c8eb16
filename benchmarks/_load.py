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


def busy_table(tasks: dict[str, Callable[[], float]]) -> dict[str, tuple[float, float]]:
    """Run every task (a callable returning seconds) quietly and under a one-core load; print
    quiet seconds, busy seconds and the ratio; return ``{task: (quiet, busy)}``."""
    quiet = {k: f() for k, f in tasks.items()}
    with background_load():
        busy = {k: f() for k, f in tasks.items()}
    print(f"\n--busy: one extra core spinning (load average now {os.getloadavg()[0]:.1f}); target ratio "
          f"< {TARGET_RATIO}")
    print(f"{'task':44s} {'quiet s':>9s} {'busy s':>9s} {'ratio':>7s}")
    for k in tasks:
        r = busy[k] / quiet[k]
        print(f"{k:44s} {quiet[k]:9.3f} {busy[k]:9.3f} {r:7.2f}  {'ok' if r < TARGET_RATIO else 'MISSED'}")
    return {k: (quiet[k], busy[k]) for k in tasks}
