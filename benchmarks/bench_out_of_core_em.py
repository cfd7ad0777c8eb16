"""Benchmark: ``fit_pls(source, missing="em", bootstrap=B)`` out of core (issue 15, §3).

The single pass keeps the missing-data pattern sums of each of ``G`` random groups
(``GroupedPatternSums``: one ``p x p`` matrix per non-empty group x pattern cell); every
resample re-runs EM on its groups' combined pattern sums (batched ``_em.em_stack``).

Prints, for ``--rows`` respondents of the ECSI population model (27 int8 items, 1-10) with
``--missing`` of the answers of six items missing at random, written to one Parquet file
under ``--path`` (never the repository):

* the time of the EM fit without bootstrap and with ``--bootstrap`` resamples on
  ``--groups`` groups (each in this process, one after the other), the number of
  (group, pattern) cells and pseudo-respondents, and the peak RSS;
* with ``--predict K``, out-of-core k-fold PLSpredict (10 repetitions) on the same file;
* with ``--compare`` (rows <= 50,000), the in-memory row bootstrap under EM on the same rows
  and the ratio of the two standard errors of the paths and the index.

Usage::

    PYTHONPATH=src python benchmarks/bench_out_of_core_em.py --rows 1000000 --bootstrap 1000
    PYTHONPATH=src python benchmarks/bench_out_of_core_em.py --rows 5000 --bootstrap 2000 --groups 400 --compare
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings

import numpy as np
import pandas as pd

ECSI = """
IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
EXPE =~ EXPE1 + EXPE2 + EXPE3
QUAL =~ QUAL1 + QUAL2 + QUAL3 + QUAL4 + QUAL5 + QUAL6 + QUAL7
VAL =~ VAL1 + VAL2
SAT =~ SAT1 + SAT2 + SAT3
COMP =~ COMP1
LOY =~ LOY1 + LOY2 + LOY3
EXPE ~ IMAG
QUAL ~ EXPE
VAL ~ EXPE + QUAL
SAT ~ IMAG + EXPE + QUAL + VAL
COMP ~ SAT
LOY ~ IMAG + SAT + COMP
"""
BLOCKS = {"IMAG": 5, "EXPE": 3, "QUAL": 7, "VAL": 2, "SAT": 3, "COMP": 1, "LOY": 3}


def generate(n: int, missing: float, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    imag = rng.normal(size=n)
    expe = 0.5 * imag + 0.87 * rng.normal(size=n)
    qual = 0.6 * expe + 0.8 * rng.normal(size=n)
    val = 0.3 * expe + 0.5 * qual + 0.75 * rng.normal(size=n)
    sat = 0.2 * imag + 0.1 * expe + 0.4 * qual + 0.3 * val + 0.6 * rng.normal(size=n)
    comp = 0.5 * sat + 0.85 * rng.normal(size=n)
    loy = 0.3 * imag + 0.5 * sat + 0.1 * comp + 0.7 * rng.normal(size=n)
    eta = {"IMAG": imag, "EXPE": expe, "QUAL": qual, "VAL": val, "SAT": sat, "COMP": comp, "LOY": loy}
    cols = {}
    for c, k in BLOCKS.items():
        for i in range(1, k + 1):
            x = np.clip(np.round(6.5 + 1.6 * (0.8 * eta[c] + 0.6 * rng.normal(size=n))), 1, 10).astype(np.int8)
            s = pd.Series(x)
            if f"{c}{i}" in ("IMAG5", "QUAL6", "QUAL7", "VAL2", "SAT3", "LOY3"):
                s = s.astype("Int8")
                s[rng.random(n) < missing] = pd.NA
            cols[f"{c}{i}"] = s
    return pd.DataFrame(cols)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--missing", type=float, default=0.05)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--groups", type=int, default=200)
    ap.add_argument("--path", default="/tmp/csindex_ooc_em")
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("--predict", type=int, default=0, help="also time plspredict(file, folds=K, repetitions=10)")
    a = ap.parse_args()
    import csindex
    from csindex._sufficient import integer_shift, open_source
    from csindex.pls._group_bootstrap import group_key
    from csindex.pls._streaming_em import GroupedPatternSums

    warnings.simplefilter("ignore")
    os.makedirs(a.path, exist_ok=True)
    file = os.path.join(a.path, f"em_{a.rows}_{a.missing}.parquet")
    df = generate(a.rows, a.missing)
    if not os.path.exists(file):
        df.to_parquet(file, row_group_size=262_144)
    t = time.perf_counter()
    plain = csindex.fit_pls(file, ECSI, missing="em")
    t_plain = time.perf_counter() - t
    t = time.perf_counter()
    boot = csindex.fit_pls(file, ECSI, missing="em", bootstrap=a.bootstrap, bootstrap_groups=a.groups, seed=1)
    t_boot = time.perf_counter() - t
    src = open_source(file)
    items = list(plain._layout.items)
    t = time.perf_counter()
    state = src.reduce(items, None, lambda: GroupedPatternSums(integer_shift(src.first(items)), a.groups,
                                                               group_key(1)))
    t_pass = time.perf_counter() - t
    n_pseudo = state.pseudo_rows()[0].shape[0]
    print(f"rows {a.rows:,}  patterns {plain.missing['n_patterns']}  groups {a.groups}  cells {state.cells():,}"
          f"  pseudo-respondents {n_pseudo:,}")
    print(f"the pass with per group x pattern sums alone: {t_pass:.2f} s")
    print(f"EM fit {t_plain:.2f} s;  EM + random-group bootstrap B={a.bootstrap}: {t_boot:.2f} s"
          f"  (valid {boot.bootstrap.n_valid});  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if a.predict:
        t = time.perf_counter()
        pred = csindex.plspredict(file, ECSI, folds=a.predict, repetitions=10, seed=1)
        print(f"plspredict k={a.predict} x 10 repetitions (listwise, {pred.settings['n_used']:,} rows, two passes): "
              f"{time.perf_counter() - t:.2f} s")
    if a.compare:
        t = time.perf_counter()
        mem = csindex.fit_pls(df, ECSI, missing="em", bootstrap=a.bootstrap, seed=1)
        t_mem = time.perf_counter() - t
        for table in ("paths", "index"):
            r = getattr(boot, table)["std_error"].to_numpy() / getattr(mem, table)["std_error"].to_numpy()
            print(f"{table}: SE ratio random-group / row bootstrap mean {r.mean():.3f}, sd {r.std():.3f}, "
                  f"max |r - 1| {np.abs(r - 1).max():.3f}")
        print(f"in-memory EM row bootstrap {t_mem:.2f} s")


if __name__ == "__main__":
    main()
