"""Simulation study: ``fit_pls(missing="em")`` against ``"listwise"`` and ``"mean"``.

Population (a small CSI model with known latent paths):

    QUAL ~ N(0, 1)
    VAL  = 0.6 QUAL + e                    (R² = 0.36)
    SAT  = 0.5 QUAL + 0.3 VAL + e          (R² = 0.52)
    LOY  = 0.6 SAT + e                     (R² = 0.36)

three reflective items per construct (standardised loadings 0.85, 0.80, 0.75), each
``round(7 + 1.5 z)`` clipped to the 1-10 scale (so the items are discrete and skewed, as in
real CSI data: EM assumes normality it does not have). The target of every method is the
*population PLS* solution: PLS (path scheme, standardised items) on one complete sample of
400,000 respondents; the paths and the 0-100 satisfaction index of that fit are the truth.

Missing answers, as in surveys ("cannot answer"): ``rate`` (10, 20, 30%) is the share of
missing cells among the 12 items. SAT1 (overall satisfaction) and LOY1 (recommendation) are
answered by everybody; a share ``h = rate * 12 / 5`` of the respondents (24, 48, 72%) miss
5 of the other 10 items (chosen at random per respondent). Which respondents:

* MCAR: chosen at random;
* MAR: chosen with probability ``h + g·(0.5 - u)``, ``g = 2·min(h, 1 - h)``, ``u`` the
  percentile rank of SAT1 + LOY1 -- the less satisfied skip more questions (the
  probability depends only on answers everybody gives).

Per replication: a sample of ``--n`` (500) respondents, the three methods on the same data.
Printed per mechanism, rate and method: bias (mean over replications of estimate - truth;
for the four paths, the mean absolute bias over paths) and RMSE (paths: pooled over the four
paths) of the paths and of the 0-100 satisfaction index, the mean number of respondents
used, and the number of replications. Every fit's MissingDataWarning is recorded (not
silenced) and counted.

``--timing`` also times ``missing="em"`` against ``"listwise"`` on the bundled airline
sample (1,000 respondents, 282 with missing answers): one CCSI fit and a fit with a
1,000-resample bootstrap (EM re-run in every resample), median of 3 runs.

Usage::

    PYTHONPATH=src python benchmarks/bench_missing.py [--reps 200] [--n 500] [--seed 2026] [--timing]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import csindex
from csindex.exceptions import MissingDataWarning

MODEL = """
QUAL =~ QUAL1 + QUAL2 + QUAL3
VAL  =~ VAL1 + VAL2 + VAL3
SAT  =~ SAT1 + SAT2 + SAT3
LOY  =~ LOY1 + LOY2 + LOY3
VAL ~ QUAL
SAT ~ QUAL + VAL
LOY ~ SAT
"""
ITEMS = [f"{c}{k}" for c in ("QUAL", "VAL", "SAT", "LOY") for k in (1, 2, 3)]
ALWAYS = ["SAT1", "LOY1"]
N_MISS = 5  # items an incomplete respondent misses
LOADINGS = (0.85, 0.80, 0.75)
PATHS = [("QUAL", "VAL"), ("QUAL", "SAT"), ("VAL", "SAT"), ("SAT", "LOY")]
METHODS = ("listwise", "mean", "em")


def simulate(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Complete answers of ``n`` respondents on the 1-10 scale."""
    q = rng.standard_normal(n)
    v = 0.6 * q + np.sqrt(1 - 0.36) * rng.standard_normal(n)
    s = 0.5 * q + 0.3 * v + np.sqrt(1 - 0.52) * rng.standard_normal(n)
    lo = 0.6 * s + np.sqrt(1 - 0.36) * rng.standard_normal(n)
    cols = {}
    for name, eta in (("QUAL", q), ("VAL", v), ("SAT", s), ("LOY", lo)):
        for k, lam in enumerate(LOADINGS, 1):
            z = lam * eta + np.sqrt(1 - lam ** 2) * rng.standard_normal(n)
            cols[f"{name}{k}"] = np.clip(np.round(7 + 1.5 * z), 1, 10)
    return pd.DataFrame(cols)[ITEMS]


def make_missing(df: pd.DataFrame, mechanism: str, rate: float, rng: np.random.Generator) -> pd.DataFrame:
    """A copy of ``df`` with missing answers (see the module docstring)."""
    n = len(df)
    eligible = [c for c in ITEMS if c not in ALWAYS]
    h = rate * len(ITEMS) / N_MISS
    if mechanism == "MCAR":
        hit = rng.random(n) < h
    else:  # MAR on the always-answered SAT1 + LOY1
        key = df["SAT1"].to_numpy() + df["LOY1"].to_numpy() + 1e-6 * rng.random(n)
        u = (np.argsort(np.argsort(key)) + 0.5) / n
        hit = rng.random(n) < h + 2 * min(h, 1 - h) * (0.5 - u)
    order = np.argsort(rng.random((n, len(eligible))), axis=1)  # a random item order per respondent
    mask = np.zeros((n, len(eligible)), dtype=bool)
    np.put_along_axis(mask, order[:, :N_MISS], True, axis=1)
    mask &= hit[:, None]
    out = df.copy()
    vals = out[eligible].to_numpy(dtype=float, copy=True)
    vals[mask] = np.nan
    out[eligible] = vals
    return out


def estimates(df: pd.DataFrame, missing: str) -> tuple[np.ndarray, float, int]:
    res = csindex.fit_pls(df, MODEL, missing=missing, scale=(1, 10))
    paths = res.paths.set_index(["source", "target"])["estimate"]
    idx = float(res.index.set_index("construct").loc["SAT", "index"])
    return np.array([paths[p] for p in PATHS]), idx, res.n


def population(n: int = 400_000, seed: int = 1) -> tuple[np.ndarray, float]:
    paths, idx, _ = estimates(simulate(n, np.random.default_rng(seed)), "listwise")
    return paths, idx


def run(reps: int, n: int, seed: int, mechanisms=("MCAR", "MAR"), rates=(0.1, 0.2, 0.3),
        truth: tuple[np.ndarray, float] | None = None) -> tuple[pd.DataFrame, int, int]:
    """The study; returns the table and the number of fits and of MissingDataWarnings."""
    true_paths, true_idx = truth if truth is not None else population()
    rows = []
    n_fits = n_warned = 0
    streams = np.random.SeedSequence(seed).spawn(len(mechanisms) * len(rates))
    for c, (mech, rate) in enumerate((m, r) for m in mechanisms for r in rates):
        rng = np.random.default_rng(streams[c])
        est = {m: ([], [], []) for m in METHODS}
        for _ in range(reps):
            data = make_missing(simulate(n, rng), mech, rate, rng)
            for m in METHODS:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", MissingDataWarning)
                    p, i, used = estimates(data, m)
                n_fits += 1
                n_warned += any(issubclass(w.category, MissingDataWarning) for w in caught)
                est[m][0].append(p)
                est[m][1].append(i)
                est[m][2].append(used)
        for m in METHODS:
            P = np.array(est[m][0]) - true_paths
            d_idx = np.array(est[m][1]) - true_idx
            rows.append({"mechanism": mech, "rate": rate, "method": m,
                         "path_bias": float(np.abs(P.mean(axis=0)).mean()),
                         "path_rmse": float(np.sqrt((P ** 2).mean())),
                         "index_bias": float(d_idx.mean()), "index_rmse": float(np.sqrt((d_idx ** 2).mean())),
                         "n_used": float(np.mean(est[m][2])), "reps": reps})
    return pd.DataFrame(rows), n_fits, n_warned


def timing() -> None:
    survey = csindex.datasets.airline()
    for label, kw in (("fit", {}), ("fit + 1,000 bootstrap resamples", {"bootstrap": 1000, "seed": 1})):
        for m in ("listwise", "em"):
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                with warnings.catch_warnings(record=True):
                    warnings.simplefilter("always", MissingDataWarning)
                    csindex.fit_pls(survey, "ccsi", missing=m, progress=False, **kw)
                times.append(time.perf_counter() - t0)
            print(f"airline sample, {label}, missing={m!r}: {sorted(times)[1]:.3f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--timing", action="store_true", help="also time em against listwise on the sample")
    args = ap.parse_args()
    if args.timing:
        timing()
    t0 = time.perf_counter()
    true_paths, true_idx = population()
    print("Population PLS values (400,000 complete respondents): "
          + ", ".join(f"{s}->{t} {v:.3f}" for (s, t), v in zip(PATHS, true_paths))
          + f"; SAT index {true_idx:.2f}")
    table, n_fits, n_warned = run(args.reps, args.n, args.seed, truth=(true_paths, true_idx))
    fmt = {"rate": "{:.0%}".format, "path_bias": "{:.4f}".format, "path_rmse": "{:.4f}".format,
           "index_bias": "{:+.3f}".format, "index_rmse": "{:.3f}".format, "n_used": "{:.0f}".format}
    print(f"n = {args.n} respondents per replication, seed {args.seed}")
    print(table.to_string(index=False, formatters=fmt))
    print(f"MissingDataWarning issued in {n_warned} of {n_fits} fits; {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
