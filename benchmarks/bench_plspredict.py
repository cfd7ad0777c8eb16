"""Benchmark of csindex.plspredict against seminr 2.3.4's ``predict_pls`` (time from the reference file).

Work (issue 14 §6; ECSI model on the satisfaction data, 250 x 27):

  (a) leave-one-out PLSpredict, DA and EA, default tolerance          target well under 1 s
  (b) the same with every training fold converged to 1e-14
  (c) 10-fold x 10-repetition PLSpredict (the default)
  (d) leave-one-out on 2,000 respondents (satisfaction rows resampled)

Printed per task: wall time (median of ``--repeats`` runs after a warm-up) and, for (a) and
(b), the ratio to seminr's elapsed time for the same LOOCV run as recorded in
``tests/reference/pls_satisfaction_seminr_predict_loocv.json`` (``elapsed_s``; seminr ran
on 2 cores, ``cores = 2``). The seminr time was measured on another machine, so the ratio is
indicative.

Usage::

    PYTHONPATH=src python benchmarks/bench_plspredict.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

import csindex

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "tests" / "reference"  # vendored copies of the shared reference set
ECSI = """
IMAG =~ imag1 + imag2 + imag3 + imag4 + imag5
EXPE =~ expe1 + expe2 + expe3 + expe4 + expe5
QUAL =~ qual1 + qual2 + qual3 + qual4 + qual5
VAL  =~ val1 + val2 + val3 + val4
SAT  =~ sat1 + sat2 + sat3 + sat4
LOY  =~ loy1 + loy2 + loy3 + loy4
EXPE ~ IMAG
QUAL ~ EXPE
VAL  ~ EXPE + QUAL
SAT  ~ IMAG + EXPE + QUAL + VAL
LOY  ~ IMAG + SAT
"""


def _time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _seminr_seconds() -> dict[str, dict[str, float]]:
    path = REFERENCE / "pls_satisfaction_seminr_predict_loocv.json"
    if not path.exists():
        return {}
    res = json.loads(path.read_text())["results"]
    return {run: {t: res[run][f"predict_{t}"].get("elapsed_s") for t in ("DA", "EA")} for run in res}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    data = pd.read_csv(REFERENCE / "satisfaction.csv")
    seminr = _seminr_seconds()
    print(f"PLSpredict on {len(data)} respondents x 27 items (median of {args.repeats})")
    for label, run, opts in [("(a) LOOCV, default tol", "default_tol", {}),
                             ("(b) LOOCV, tol 1e-14", "tight_tol", dict(tol=1e-14, max_iter=1000))]:
        for tech in ("DA", "EA"):
            t = _time(lambda tech=tech, opts=opts: csindex.plspredict(data, ECSI, folds="loo", technique=tech, **opts),
                      args.repeats)
            ref = seminr.get(run, {}).get(tech)
            ratio = f"; seminr {ref:.1f} s, {ref / t:,.0f}x faster" if ref else "; seminr time not recorded"
            print(f"{label:24s} {tech}: {t * 1e3:8.1f} ms{ratio}")
    t = _time(lambda: csindex.plspredict(data, ECSI, seed=1), args.repeats)
    print(f"{'(c) 10 folds x 10 reps':24s} DA: {t * 1e3:8.1f} ms")
    big = data.sample(2000, replace=True, random_state=np.random.RandomState(0)).reset_index(drop=True)
    t = _time(lambda: csindex.plspredict(big, ECSI, folds="loo"), max(1, args.repeats // 3))
    print(f"{'(d) LOOCV, n = 2,000':24s} DA: {t * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
