"""Benchmark: every scoring method on 1,000,000 respondents x 30 attributes, and Shapley with
15 drivers on 1,000,000 respondents.

Prints, per method, the wall time, the peak memory allocated during the call (tracemalloc,
which tracks numpy buffers) and, where one exists, the ratio to a peer computation:

* ratio_index vs the bare pandas ``(df[b] / df[a]).mean()`` of the same cells;
* dual_evaluation / ipa vs the bare pandas item means they start from;
* Shapley (all 2^15 subset R² from the correlation matrix, batched solves) vs refitting OLS on
  the data for every subset (numpy ``lstsq``; timed on 20 subsets and extrapolated to 32,767).

Target (issue 3): each method under 5 s on this machine. Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_scoring.py [--rows 1000000] [--attributes 30]
"""

from __future__ import annotations

import argparse
import itertools
import resource
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd


def make_data(rows: int, k: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(rows, 1)).astype(np.float32)
    cols: dict[str, np.ndarray] = {}
    for j in range(k):
        name = f"{chr(65 + j // 5)}{j % 5 + 1}"
        perf = np.clip(np.rint(6 + 1.5 * (0.7 * latent[:, 0] + 0.7 * rng.normal(size=rows))), 1, 10).astype(np.int8)
        cols[name] = perf
        cols[f"EXP_{name}"] = rng.integers(4, 11, size=rows, dtype=np.int8)
        cols[f"IMP_{name}"] = rng.integers(1, 11, size=rows, dtype=np.int8)
    cols["SAT1"] = np.clip(np.rint(6 + 2 * latent[:, 0] + rng.normal(size=rows)), 1, 10).astype(np.int8)
    return pd.DataFrame(cols)


def timed(label: str, fn, peer: float | None = None) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    if peer:
        r = dt / peer
        ratio = (f"  {r:6.2f}x the peer's time (peer {peer:.3f} s)" if r >= 0.1
                 else f"  {1 / r:,.0f}x faster than the peer (peer {peer:,.1f} s)")
    else:
        ratio = ""
    flag = "ok" if dt < 5 else "SLOW"
    print(f"{label:<52s} {dt:7.3f} s  peak {peak:8.1f} MB  [{flag}]{ratio}")
    return dt


def peer_time(fn, repeat: int = 1) -> float:
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) / repeat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--attributes", type=int, default=30)
    ap.add_argument("--drivers", type=int, default=15)
    args = ap.parse_args()

    import csindex
    from csindex.scoring.drivers import driver_weights
    from csindex.scoring.dual import dual_evaluation
    from csindex.scoring.ipa import ipa
    from csindex.scoring.kano import kano
    from csindex.scoring.ratio import ratio_index
    from csindex.scoring.simple import simple_scores

    n, k = args.rows, args.attributes
    t0 = time.perf_counter()
    df = make_data(n, k)
    survey = csindex.load_survey(df, scale=(1, 10))
    print(f"data: {n:,} respondents x {k} attributes (perceived, expected, importance) "
          f"generated and loaded in {time.perf_counter() - t0:.1f} s")
    perc = [c for c in df.columns if not c.startswith(("EXP_", "IMP_", "SAT"))][:k]
    exp = [f"EXP_{c}" for c in perc]
    imp = [f"IMP_{c}" for c in perc]
    resp = survey.responses

    peer_ratio = peer_time(lambda: (resp[perc].to_numpy() / resp[exp].to_numpy()).mean(axis=0))
    peer_means = peer_time(lambda: (resp[perc].mean(), resp[imp].mean()))
    timed("simple_scores (30 items)", lambda: simple_scores(survey, perc))
    timed("ratio_index (30 pairs, bands, CIs)", lambda: ratio_index(survey, perc, exp), peer_ratio)
    timed("dual_evaluation classic, aggregate", lambda: dual_evaluation(survey, perc, imp), peer_means)
    timed("dual_evaluation classic, respondent", lambda: dual_evaluation(survey, perc, imp, aggregation="respondent"),
          peer_means)
    timed("dual_evaluation improved I1", lambda: dual_evaluation(survey, perc, imp, method="improved", expected=exp),
          peer_means)
    ahp = np.ones((k, k))
    timed("dual_evaluation AHP weights", lambda: dual_evaluation(survey, perc, importance_method="ahp", ahp_matrix=ahp))
    timed("ipa (stated importance, opportunity)", lambda: ipa(survey, perc, imp), peer_means)
    for method in ("relative_weights", "pratt", "ols"):
        timed(f"driver_weights {method} (30 drivers)",
              lambda m=method: driver_weights(survey, target="SAT1", drivers=perc, method=m))
    dp = args.drivers
    drivers = perc[:dp]
    z = np.column_stack([resp[drivers].to_numpy(), np.ones(n)])
    y = resp["SAT1"].to_numpy()
    subsets = [s for r in range(1, dp + 1) for s in itertools.combinations(range(dp), r)]
    sample = [subsets[i] for i in np.linspace(0, len(subsets) - 1, 20).astype(int)]
    per_fit = peer_time(lambda: [np.linalg.lstsq(z[:, [*s, dp]], y, rcond=None) for s in sample]) / len(sample)
    refit = per_fit * len(subsets)
    timed(f"driver_weights shapley ({dp} drivers, 2^{dp} subsets)",
          lambda: driver_weights(survey, target="SAT1", drivers=drivers, method="shapley"), refit)
    timed(f"driver_weights dominance ({dp} drivers)",
          lambda: driver_weights(survey, target="SAT1", drivers=drivers, method="dominance"), refit)
    del survey, resp, z
    rng = np.random.default_rng(2)
    kano_df = pd.DataFrame({f"{p}{j}": rng.integers(1, 6, size=n, dtype=np.int8) for j in range(k) for p in "FD"})
    ks = csindex.load_survey(kano_df)
    timed("kano (30 attributes)", lambda: kano(ks, [f"F{j}" for j in range(k)], [f"D{j}" for j in range(k)]))
    print(f"process peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"(Shapley peer = OLS refit on the data for each of the {len(subsets):,} subsets, extrapolated from "
          f"{len(sample)} fits at {per_fit * 1e3:.1f} ms each)")


if __name__ == "__main__":
    main()
