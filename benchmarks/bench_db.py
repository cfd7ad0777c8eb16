"""Benchmark: load a survey table from PostgreSQL and from DuckDB with ``csindex.load_survey``.

Starts a throw-away PostgreSQL server (``tools/pg_server.py``: initdb + pg_ctl on a Unix
socket; Debian's ``postgresql`` package), fills a table ``responses`` with ``--rows``
respondents x ``--items`` 1-10 items (+ id, weight, a text column; about 2% NULLs) by COPY,
writes the same rows to a DuckDB file and a CSV, then loads each (PostgreSQL as ``table=``
and as a ``query=`` with a bound parameter) in a fresh process and
prints wall time, CPU time and peak RSS (``ru_maxrss``) next to the CSV load of the same rows,
and checks that the three ``Survey.responses`` are identical.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_db.py [--rows 1000000] [--items 27]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time, hashlib
import pandas as pd
from csindex.io import load_survey

source, items, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
codebook = {"scale": [1, 10], "items": {"resp_id": {"role": "id"}, "weight": {"role": "weight"},
            **{f"Q{b}_{i}": {"construct": f"Q{b}"} for b in range(items // 3) for i in range(1, 4)}}}
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
if kind == "csv":
    s = load_survey(source, codebook)
elif kind == "postgresql query":
    s = load_survey(source, codebook, query="SELECT * FROM responses WHERE resp_id >= :lo", params={"lo": 1})
else:
    s = load_survey(source, codebook, table="responses")
dt = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
def digest(frame):
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).values.tobytes()).hexdigest()
r = s.responses
by_id = r.sort_values("resp_id", kind="stable")
print(json.dumps({"seconds": dt, "cpu_seconds": cpu, "peak_mb": r1.ru_maxrss / 1024,
                  "shape": list(r.shape), "digest": digest(r), "digest_by_id": digest(by_id),
                  "moved": int((r["resp_id"].to_numpy() != by_id["resp_id"].to_numpy()).sum()),
                  "dtypes": sorted(set(map(str, s.responses.dtypes)))}))
"""


def _server():
    spec = importlib.util.spec_from_file_location("csindex_pg_server", ROOT / "tools" / "pg_server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_frame(rows: int, items: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    answers = rng.integers(1, 11, size=(rows, items)).astype("float64")
    answers[rng.random(answers.shape) < 0.02] = np.nan
    cols = {"resp_id": np.arange(1, rows + 1, dtype=np.int64)}
    cols.update({f"Q{b}_{i}": pd.array(answers[:, 3 * b + i - 1], dtype="Int64")
                 for b in range(items // 3) for i in range(1, 4)})
    cols["weight"] = np.round(rng.uniform(0.5, 2.0, rows), 3)
    cols["city"] = np.array(["Beijing", "Shanghai", "Chengdu", "成都"], dtype=object)[rng.integers(0, 4, rows)]
    return pd.DataFrame(cols)


def fill_postgres(url: str, df: pd.DataFrame) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    df.head(0).to_sql("responses", engine, index=False, if_exists="replace")
    buf = io.StringIO()
    df.to_csv(buf, index=False, header=False)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur, cur.copy("COPY responses FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buf.getvalue())
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def load(source: str, items: int, kind: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, source, str(items), kind], check=False, capture_output=True,
                         text=True, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    if out.returncode:
        sys.exit(f"loading from {kind} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=27)
    args = ap.parse_args()
    server = _server()
    bin_dir = server.pg_bin()
    if bin_dir is None:
        sys.exit("PostgreSQL server binaries (initdb, pg_ctl) are absent: apt-get install postgresql")
    import duckdb

    df = make_frame(args.rows, args.items)
    with tempfile.TemporaryDirectory() as tmp, server.temporary_postgres(bin_dir) as url:
        t0 = time.perf_counter()
        fill_postgres(url, df)
        csv_path, duck_path = Path(tmp) / "responses.csv", Path(tmp) / "survey.duckdb"
        df.to_csv(csv_path, index=False)
        con = duckdb.connect(str(duck_path))
        con.register("frame", df)
        con.execute("CREATE TABLE responses AS SELECT * FROM frame")
        con.close()
        print(f"{args.rows:,} rows x {args.items} items written to PostgreSQL, DuckDB and CSV in "
              f"{time.perf_counter() - t0:.1f} s\n")
        results = {kind: load(src, args.items, kind)
                   for kind, src in (("csv", str(csv_path)), ("postgresql", url), ("postgresql query", url),
                                             ("duckdb", str(duck_path)))}
    print(f"{'source':18s} {'wall s':>8s} {'CPU s':>8s} {'peak RSS MiB':>13s}  shape")
    for kind, r in results.items():
        print(f"{kind:18s} {r['seconds']:8.2f} {r['cpu_seconds']:8.2f} {r['peak_mb']:13.0f}  {r['shape']}")
    same = len({r["digest"] for r in results.values()}) == 1
    same_rows = len({r["digest_by_id"] for r in results.values()}) == 1
    print(f"\nidentical Survey.responses from CSV, PostgreSQL and DuckDB: {same}")
    print(f"identical once sorted by resp_id (a table has no row order of its own): {same_rows}")
    print("rows read out of resp_id order (the CSV is written in it): "
          + ", ".join(f"{k} {r['moved']:,}" for k, r in results.items()))
    if not same_rows:
        print({k: r["dtypes"] for k, r in results.items()})


if __name__ == "__main__":
    main()
