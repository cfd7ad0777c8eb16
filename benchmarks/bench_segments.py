"""Benchmark: many segments x PLS bootstrap -- one core, two cores, a 2-worker Dask cluster.

The workload of a national index: ``--segments`` companies (default 200) of ``--n``
respondents each (default 1,000), the CCSI model estimated by PLS with a ``--boot``-resample
bootstrap (default 1,000) in every segment. The data are drawn with the bundled airline
generator (``csindex.datasets._generate``; missing answers are mean-imputed so every segment
keeps its n).

Prints the wall time of

* ``fit_pls(by=..., n_jobs=1)`` -- sequential (the reference);
* ``fit_pls(by=..., n_jobs=2)`` -- segments in turn, each bootstrap's chunks on 2 workers
  (what ``fit_pls(by=)`` does);
* ``map_segments(fit_pls, n_jobs=2)`` -- segments on 2 workers, each bootstrap sequential;
* both under ``joblib.parallel_backend("dask")`` on a ``LocalCluster(n_workers=2)``;

with the speed-up against the sequential run, and checks that every run gives the same
numbers. BLAS is set to one thread per process (as joblib's loky workers and Dask workers
run it, and as map_segments holds it while a segment runs).
Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_segments.py [--segments 200] [--n 1000] [--boot 1000]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy is imported; inherited by the workers
os.environ.setdefault("PYTHONWARNINGS", "ignore")  # the workers' MissingDataWarnings (mean imputation)

import joblib  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def make_data(n_segments: int, n: int, seed: int = 7):
    import csindex
    from csindex.datasets import _generate as gen

    rng = np.random.default_rng(seed)
    raw = gen.generate(n_segments * n, rng, wave=1)
    raw["company"] = np.repeat([f"C{k:03d}" for k in range(n_segments)], n)
    survey = csindex.load_survey(raw, csindex.datasets.airline_codebook_path(), on_invalid="nan")
    return survey


def _fit_one(part, *, model, boot, seed):
    import csindex

    return csindex.fit_pls(part, model, bootstrap=boot, seed=seed, missing="mean", n_jobs=1, progress=False)


def run(label, fn, base=None):
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    ratio = "" if base is None else f"   speed-up vs n_jobs=1: {base / dt:4.2f}x"
    print(f"{label:<64s} {dt:8.1f} s{ratio}", flush=True)
    return out, dt


def same(a, b) -> tuple[bool, float]:
    """(bit-identical paths and indices in every segment, largest absolute difference)."""
    exact = all(a[k].paths.equals(b[k].paths) and a[k].index.equals(b[k].index) for k in a)
    diff = max(float(np.nanmax(np.abs(a[k].paths.select_dtypes("number").to_numpy()
                                      - b[k].paths.select_dtypes("number").to_numpy()))) for k in a)
    return exact, diff


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--segments", type=int, default=200)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()

    import csindex
    from csindex.segments import map_segments

    warnings.simplefilter("ignore")
    print(f"{args.segments} segments x {args.n} respondents x PLS (CCSI model) with a {args.boot}-resample "
          f"bootstrap; {os.cpu_count()} CPUs visible")
    t0 = time.perf_counter()
    survey = make_data(args.segments, args.n)
    model = csindex.models.ccsi(survey)
    print(f"data: {survey.n} rows, {len(model.items)} model items (generated and loaded in "
          f"{time.perf_counter() - t0:.1f} s)")
    opts = dict(bootstrap=args.boot, seed=1, missing="mean", progress=False)

    seq, t1 = run("fit_pls(by='company', n_jobs=1)",
                  lambda: csindex.fit_pls(survey, model, by="company", n_jobs=1, **opts))
    par, t2 = run("fit_pls(by='company', n_jobs=2)  [bootstrap chunks in parallel]",
                  lambda: csindex.fit_pls(survey, model, by="company", n_jobs=2, **opts), t1)
    seg, t3 = run("map_segments(fit_pls, n_jobs=2)  [segments in parallel]",
                  lambda: map_segments(_fit_one, survey, "company", n_jobs=2, model=model, boot=args.boot, seed=1),
                  t1)
    results = {"n_jobs=2 (bootstrap chunks)": same(seq, par), "n_jobs=2 (segments)": same(seq, seg)}
    if not args.no_dask:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            print("dask.distributed is not installed: skipping the LocalCluster runs (pip install 'csindex[dask]')")
        else:
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                              silence_logs=40) as cluster, Client(cluster):
                with joblib.parallel_backend("dask"):
                    dpar, _ = run("Dask LocalCluster(2): fit_pls(by='company', n_jobs=2)",
                                  lambda: csindex.fit_pls(survey, model, by="company", n_jobs=2, **opts), t1)
                    dseg, _ = run("Dask LocalCluster(2): map_segments(fit_pls)",
                                  lambda: map_segments(_fit_one, survey, "company", model=model, boot=args.boot,
                                                       seed=1), t1)
            results["Dask (bootstrap chunks)"] = same(seq, dpar)
            results["Dask (segments)"] = same(seq, dseg)
    for name, (ok, diff) in results.items():
        print(f"identical to n_jobs=1 -- {name}: {ok} (max abs difference {diff:.1e})")
    example = next(iter(seq))
    print(f"segment {example!r}, first paths:")
    print(pd.DataFrame(seq[example].paths).head(3).to_string())
    return 0 if all(ok for ok, _ in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
