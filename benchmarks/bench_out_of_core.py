"""Benchmark: fit the ECSI model by PLS, with the 0-100 index, on a Parquet dataset out of core.

CPU s is the fit process's user + system CPU time (all threads, import included): on a
shared machine it shows the work independent of the other processes' load.

Work (issue 15, section 3; targets on this 2-core machine: under 60 s, under 2 GiB peak RSS):

1. generate ``--rows`` respondents x 27 items (int8, 1-10) from the ECSI population model
   below in chunks of ``--chunk`` rows, one Parquet file per ``--file-rows`` rows, into
   ``--path`` (default ``/tmp/csindex_ooc``; never the repository). The files are written
   with LZ4 and plain encoding: Parquet stores int8 as INT32, and plain pages decode about
   1.5x faster than dictionary pages here; reading them is the largest cost of the fit;
2. fit ``csindex.fit_pls(folder, ECSI)`` in a fresh process for each size in ``--sizes``
   (the first k files, linked into a folder of their own) and print wall time (the whole
   fit: one streaming pass plus the PLS iteration, index included), rows per second and the
   process's peak RSS;
3. at ``--compare-rows`` (default 10,000,000; one file) fit the same rows in memory
   (``pd.read_parquet`` then ``fit_pls``) in another fresh process and print the largest
   difference of paths, weights and index, and both times and peak RSS.

4. with ``--bootstrap B`` (e.g. 1000), at ``--compare-rows`` also the random-group bootstrap
   (``fit_pls(folder, ECSI, bootstrap=B, bootstrap_groups=--groups)``: the same single pass
   keeping the sums of ``--groups`` random groups, then ``B`` resamples of the groups fit in
   batches), in a fresh process: time, CPU time and peak RSS next to the plain fit's.

A size not run (``--sizes``) is not extrapolated silently: the script prints a linear
extrapolation to ``--rows`` from the largest size run, labelled as such.

Usage::

    PYTHONPATH=src python benchmarks/bench_out_of_core.py                 # 100 M rows
    PYTHONPATH=src python benchmarks/bench_out_of_core.py --rows 30000000 --sizes 10000000,30000000
    PYTHONPATH=src python benchmarks/bench_out_of_core.py --rows 10000000 --bootstrap 1000 --no-compare
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
BLOCKS = {"IMAG": 5, "EXPE": 5, "QUAL": 5, "VAL": 4, "SAT": 4, "LOY": 4}  # 27 items, as the ECSI data
PATHS = {"EXPE": {"IMAG": 0.5}, "QUAL": {"EXPE": 0.6}, "VAL": {"EXPE": 0.2, "QUAL": 0.6},
         "SAT": {"IMAG": 0.2, "EXPE": 0.1, "QUAL": 0.4, "VAL": 0.3}, "LOY": {"IMAG": 0.3, "SAT": 0.5}}
ECSI = "\n".join([f"{c} =~ " + " + ".join(f"{c.lower()}{i}" for i in range(1, k + 1)) for c, k in BLOCKS.items()]
                 + [f"{t} ~ " + " + ".join(src) for t, src in PATHS.items()])


def _disturbances() -> dict[str, float]:
    """Disturbance SDs that give every construct unit variance (constructs in causal order)."""
    names = list(BLOCKS)
    cov = np.eye(len(names))
    sd = {}
    for t, c in enumerate(names):
        src = PATHS.get(c, {})
        b = np.zeros(len(names))
        for s, v in src.items():
            b[names.index(s)] = v
        explained = b @ cov @ b
        sd[c] = float(np.sqrt(1.0 - explained))
        cov[t, :] = cov[:, t] = cov @ b
        cov[t, t] = 1.0
    return sd


def generate(path: Path, rows: int, chunk: int, file_rows: int, seed: int = 2026) -> float:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sd = _disturbances()
    items = [(c, f"{c.lower()}{i}", 0.7 + 0.05 * (i % 4)) for c, k in BLOCKS.items() for i in range(1, k + 1)]
    schema = pa.schema([(name, pa.int8()) for _, name, _ in items])
    t0 = time.perf_counter()
    written, part, writer = 0, 0, None
    while written < rows:
        n = min(chunk, rows - written)
        eta: dict[str, np.ndarray] = {}
        for c in BLOCKS:
            e = rng.standard_normal(n, dtype=np.float32) * np.float32(sd[c])
            for s, v in PATHS.get(c, {}).items():
                e += np.float32(v) * eta[s]
            eta[c] = e
        cols = []
        for c, _, lam in items:
            v = rng.standard_normal(n, dtype=np.float32)
            v *= np.float32(np.sqrt(1 - lam * lam))
            v += np.float32(lam) * eta[c]
            v *= np.float32(1.8)
            v += np.float32(7.0)
            np.clip(np.rint(v, out=v), 1, 10, out=v)
            cols.append(pa.array(v.astype(np.int8)))
        if writer is None:
            writer = pq.ParquetWriter(path / f"part-{part:03d}.parquet", schema, compression="lz4",
                                      use_dictionary=False)
        writer.write_table(pa.Table.from_arrays(cols, schema=schema), row_group_size=chunk)
        written += n
        if written % file_rows == 0 or written == rows:
            writer.close()
            writer, part = None, part + 1
            print(f"  generated {written:,} rows ({time.perf_counter() - t0:.0f} s)", flush=True)
    return time.perf_counter() - t0


def subset(path: Path, rows: int, file_rows: int) -> Path:
    """A folder linking the first ``rows / file_rows`` files."""
    k = max(1, rows // file_rows)
    sub = path.parent / f"{path.name}_{k}files"
    sub.mkdir(exist_ok=True)
    for f in sorted(path.glob("part-*.parquet"))[:k]:
        link = sub / f.name
        if not link.exists():
            link.symlink_to(f)
    return sub


def _child(mode: str, source: str) -> None:
    """Run in a fresh process: one fit, then print JSON with time, peak RSS and the estimates."""
    import warnings

    warnings.simplefilter("ignore")
    t_imp = time.perf_counter()
    import pandas as pd

    import csindex

    t0 = time.perf_counter()
    if mode == "dask":  # the same fit as a Dask reduction on a LocalCluster of 2 worker processes
        import dask.dataframe as dd
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
                Client(cluster):
            t0 = time.perf_counter()
            res = csindex.fit_pls(dd.read_parquet(source), ECSI, scale=(1, 10))
            t_read, secs = 0.0, time.perf_counter() - t0
    elif mode == "duckdb":  # the same pass over Arrow batches that DuckDB's Parquet reader produces
        import duckdb

        con = duckdb.connect()
        rel = con.sql("SELECT * FROM read_parquet(?)", params=[str(Path(source) / "*.parquet")])
        res = csindex.fit_pls(rel, ECSI, scale=(1, 10))
        t_read = 0.0
    elif mode == "memory":
        data = pd.read_parquet(source)
        t_read = time.perf_counter() - t0
        res = csindex.fit_pls(data, ECSI, scale=(1, 10))
    elif mode.startswith("boot"):  # "boot:B:G": the random-group bootstrap in the same single pass
        _, B, G = mode.split(":")
        t_read = 0.0
        res = csindex.fit_pls(source, ECSI, scale=(1, 10), bootstrap=int(B), bootstrap_groups=int(G), seed=1)
    else:
        t_read = 0.0
        res = csindex.fit_pls(source, ECSI, scale=(1, 10))
    index = res.index["index"].tolist()
    se = res.index["std_error"].tolist() if mode.startswith("boot") else []
    secs = secs if mode == "dask" else time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": secs, "cpu_seconds": ru.ru_utime + ru.ru_stime, "read_seconds": t_read,
                      "import_seconds": t0 - t_imp, "n": res.n,
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "paths": res.paths["estimate"].tolist(), "weights": res.weights["estimate"].tolist(),
                      "index": index, "index_se": se, "constructs": res.index["construct"].tolist()}))


def run_child(mode: str, source: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(source)], capture_output=True, text=True,
                         env=env, check=False)
    if out.returncode != 0:
        raise SystemExit(f"child {mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--sizes", default="", help="comma-separated sizes to fit (default: 10 M and --rows)")
    ap.add_argument("--path", type=Path, default=Path("/tmp/csindex_ooc"))
    ap.add_argument("--chunk", type=int, default=1_000_000)
    ap.add_argument("--file-rows", type=int, default=10_000_000)
    ap.add_argument("--compare-rows", type=int, default=10_000_000)
    ap.add_argument("--no-compare", action="store_true")
    ap.add_argument("--dask", action="store_true", help="also time the fit as a Dask reduction at --compare-rows")
    ap.add_argument("--duckdb", action="store_true", help="also time the fit on a DuckDB relation at --compare-rows")
    ap.add_argument("--bootstrap", type=int, default=0, help="also time the random-group bootstrap with B resamples")
    ap.add_argument("--groups", type=int, default=200, help="random groups of the bootstrap (default 200)")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "SOURCE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (the machine is shared)")
    have = sum(1 for _ in args.path.glob("part-*.parquet")) * args.file_rows if args.path.exists() else 0
    if have < args.rows:
        print(f"generating {args.rows:,} x 27 int8 rows into {args.path} ...", flush=True)
        secs = generate(args.path, args.rows, args.chunk, args.file_rows)
        print(f"generated in {secs:.0f} s ({sum(f.stat().st_size for f in args.path.glob('*.parquet')) / 2**30:.2f} "
              "GiB on disk)")
    sizes = [int(s) for s in args.sizes.split(",") if s] or sorted({min(10_000_000, args.rows), args.rows})
    print(f"\n{'rows':>13} {'fit s':>8} {'CPU s':>8} {'Mrows/s':>8} {'peak RSS MiB':>13}  target < 60 s, < 2048 MiB")
    results = {}
    for n in sizes:
        r = run_child("stream", subset(args.path, n, args.file_rows))
        results[n] = r
        print(f"{r['n']:>13,} {r['seconds']:8.1f} {r['cpu_seconds']:8.1f} {r['n'] / r['seconds'] / 1e6:8.2f} "
              f"{r['peak_mib']:13.0f}   (load average {os.getloadavg()[0]:.1f})", flush=True)
    top = max(results)
    if top < args.rows:
        r = results[top]
        print(f"EXTRAPOLATED (linear from {top:,} rows, not run): {args.rows:,} rows "
              f"~ {r['seconds'] * args.rows / top:.0f} s; peak RSS does not grow with rows (~{r['peak_mib']:.0f} MiB)")
    r = results[top]
    print("index (0-100):", ", ".join(f"{c} {v:.2f}" for c, v in zip(r["constructs"], r["index"])))
    if args.dask:
        d = run_child("dask", subset(args.path, args.compare_rows, args.file_rows))
        print(f"\nDask LocalCluster (2 worker processes) at {d['n']:,} rows: {d['seconds']:.1f} s "
              f"(peak RSS of the client process {d['peak_mib']:.0f} MiB; workers not counted)")
    if args.duckdb:
        d = run_child("duckdb", subset(args.path, args.compare_rows, args.file_rows))
        print(f"\nDuckDB relation (read_parquet) at {d['n']:,} rows: {d['seconds']:.1f} s, CPU {d['cpu_seconds']:.1f} s, "
              f"peak RSS {d['peak_mib']:.0f} MiB")
    if args.bootstrap:
        n = args.compare_rows
        src = subset(args.path, n, args.file_rows)
        plain = results.get(n) or run_child("stream", src)
        b = run_child(f"boot:{args.bootstrap}:{args.groups}", src)
        print(f"\nrandom-group bootstrap at {b['n']:,} rows, B = {args.bootstrap}, {args.groups} groups:")
        print(f"  plain fit:          {plain['seconds']:6.1f} s, CPU {plain['cpu_seconds']:6.1f} s, "
              f"peak RSS {plain['peak_mib']:.0f} MiB")
        print(f"  fit with bootstrap: {b['seconds']:6.1f} s, CPU {b['cpu_seconds']:6.1f} s, "
              f"peak RSS {b['peak_mib']:.0f} MiB   (load average {os.getloadavg()[0]:.1f})")
        print("  index SE:", ", ".join(f"{c} {v:.4f}" for c, v in zip(b["constructs"], b["index_se"])))
    if args.no_compare:
        return
    n = args.compare_rows
    src = subset(args.path, n, args.file_rows)
    stream = results.get(n) or run_child("stream", src)
    mem = run_child("memory", src)
    diff = max(float(np.max(np.abs(np.subtract(stream[k], mem[k])))) for k in ("paths", "weights", "index"))
    print(f"\nin-memory comparison at {n:,} rows:")
    print(f"  out of core: {stream['seconds']:.1f} s, peak RSS {stream['peak_mib']:.0f} MiB")
    print(f"  in memory:   {mem['seconds']:.1f} s (read {mem['read_seconds']:.1f} s), peak RSS {mem['peak_mib']:.0f} MiB")
    print(f"  largest |difference| of paths, weights and index: {diff:.2e}")


if __name__ == "__main__":
    main()
