"""Benchmark of csindex.fit_pls against the PyPI package ``plspm`` (the existing Python peer).

Work (the issue's targets, on this 2-core machine):

  (a) one fit of the ECSI model on the satisfaction data (250 x 27)      target < 1 ms
  (b) fit + 5,000-resample bootstrap on the same data                    target < 1 s
  (c) one fit on 1,000,000 respondents (ECSI rows resampled)             target < 1 s

Printed per task: wall time (median of repeats after a warm-up; first run separately for
(c)), peak traced memory (tracemalloc: Python and numpy allocations) and the ratio
peer / csindex.

The peer runs in a virtual environment of its own, because ``plspm`` needs pandas < 3
and csindex uses pandas 3. It is created on first use at ``--peer-venv`` (default
``/tmp/plspm-venv``) with ``python -m venv`` and ``pip install "plspm==0.5.7" "pandas<3"``;
if that fails (offline, no venv module) the peer is skipped with the reason printed.
The peer is slow, so by default it runs fewer resamples and rows and its times are
extrapolated linearly (printed as such): ``--peer-boot 200`` resamples (scaled to 5,000)
and ``--peer-rows 100000`` rows (scaled to 1,000,000). ``--peer-full`` runs the full work.

Same settings on both sides: path scheme, standardised items, tolerance 1e-7, at most
300 iterations (the peer's criterion is its own: sum of squared weight changes).

Usage::

    PYTHONPATH=src python benchmarks/bench_pls.py [--no-peer] [--quick]
    PYTHONPATH=src python benchmarks/bench_pls.py --busy      # slowdown under a background load
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "tests" / "reference"  # vendored public data sets, see SOURCES.md there

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


def load_data() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "satisfaction.csv")


def timed(fn, repeat: int) -> tuple[float, float, float]:
    """(median seconds, first-run seconds, peak MiB of one traced run)."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    return statistics.median(times), first, peak


PEER_SCRIPT = textwrap.dedent('''
    import json, sys, time, tracemalloc, statistics, warnings
    warnings.simplefilter("ignore")
    import numpy as np, pandas as pd
    import plspm.config as c
    from plspm.plspm import Plspm
    from plspm.scheme import Scheme
    from plspm.mode import Mode

    task, path, boot, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    df = pd.read_csv(path).drop(columns=["gender"])
    blocks = {"IMAG": 5, "EXPE": 5, "QUAL": 5, "VAL": 4, "SAT": 4, "LOY": 4}
    structure = c.Structure()
    structure.add_path(["IMAG"], ["EXPE"])
    structure.add_path(["EXPE"], ["QUAL"])
    structure.add_path(["EXPE", "QUAL"], ["VAL"])
    structure.add_path(["IMAG", "EXPE", "QUAL", "VAL"], ["SAT"])
    structure.add_path(["IMAG", "SAT"], ["LOY"])
    config = c.Config(structure.path(), scaled=True)
    for lv, k in blocks.items():
        config.add_lv(lv, Mode.A, *[c.MV(f"{lv.lower()}{i}") for i in range(1, k + 1)])

    def run(data, b):
        return Plspm(data, config, Scheme.PATH, iterations=300, tolerance=1e-7,
                     bootstrap=b > 0, bootstrap_iterations=max(b, 100), processes=2)

    if task == "fit":
        run(df, 0)
        times = []
        for _ in range(5):
            t0 = time.perf_counter(); run(df, 0); times.append(time.perf_counter() - t0)
        secs = statistics.median(times)
        data, b = df, 0
    elif task == "boot":
        data, b = df, boot
        t0 = time.perf_counter(); res = run(data, b); res.bootstrap(); secs = time.perf_counter() - t0
    else:
        rng = np.random.default_rng(0)
        data = df.iloc[rng.integers(0, len(df), rows)].reset_index(drop=True)
        b = 0
        t0 = time.perf_counter(); run(data, 0); secs = time.perf_counter() - t0
    tracemalloc.start()
    r = run(data, 0)
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    print(json.dumps({"seconds": secs, "peak_mib": peak,
                      "sat_paths": r.path_coefficients().loc["SAT"].round(6).tolist()}))
''')


def ensure_peer(venv: Path) -> tuple[Path | None, str]:
    python = venv / "bin" / "python"
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        probe = subprocess.run([str(python), "-c", "import plspm"], capture_output=True, timeout=120)
        if probe.returncode != 0:
            subprocess.run([str(python), "-m", "pip", "install", "-q", "plspm==0.5.7", "pandas<3"], check=True,
                           capture_output=True, timeout=900)
        return python, ""
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"{type(exc).__name__}: {str(exc)[:200]}"


def run_peer(python: Path, task: str, boot: int, rows: int) -> dict | None:
    script = Path("/tmp") / "csindex_bench_plspm_peer.py"
    script.write_text(PEER_SCRIPT)
    out = subprocess.run([str(python), str(script), task, str(REFERENCE / "satisfaction.csv"),
                          str(boot), str(rows)], capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        print(f"    peer failed on {task}: {out.stderr.strip().splitlines()[-1] if out.stderr else out.returncode}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def busy_mode(csindex, df: pd.DataFrame, big: pd.DataFrame, args) -> None:
    """Tasks (a)-(c) quiet and under a one-core background load (issue 15, section 4)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _load import best_of, busy_table

    rep = 3 if args.quick else 7
    busy_table({
        "(a) one fit, ECSI data (250 x 27)": lambda: best_of(lambda: csindex.fit_pls(df, ECSI), rep * 10),
        "(b) fit + 5,000 bootstrap resamples": lambda: best_of(
            lambda: csindex.fit_pls(df, ECSI, bootstrap=5000, seed=1, progress=False, n_jobs=args.n_jobs), 3),
        "(c) one fit, 1,000,000 respondents": lambda: best_of(lambda: csindex.fit_pls(big, ECSI), rep),
    })


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-peer", action="store_true", help="skip the PyPI plspm comparison")
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--peer-venv", default="/tmp/plspm-venv")
    ap.add_argument("--peer-boot", type=int, default=200, help="peer bootstrap resamples (extrapolated to 5,000)")
    ap.add_argument("--peer-rows", type=int, default=100_000, help="peer rows for (c) (extrapolated to 1e6)")
    ap.add_argument("--peer-full", action="store_true", help="run the peer on the full work (slow)")
    ap.add_argument("--n-jobs", type=int, default=1, help="csindex bootstrap workers")
    ap.add_argument("--busy", action="store_true",
                    help="run tasks (a)-(c) quietly and with a second process spinning on one core; print the ratio")
    args = ap.parse_args()

    sys.path.insert(0, str(REPO / "src"))
    import csindex

    warnings.simplefilter("ignore")
    df = load_data()
    rng = np.random.default_rng(0)
    big = df.iloc[rng.integers(0, len(df), 1_000_000)].reset_index(drop=True)
    if args.busy:
        busy_mode(csindex, df, big, args)
        return
    rep = 3 if args.quick else 20
    print(f"csindex {csindex.__version__}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"{os.cpu_count()} CPUs")
    ours = {}
    ours["a"] = timed(lambda: csindex.fit_pls(df, ECSI), repeat=rep * 10)
    items_only = df.drop(columns=["gender"])
    ours["a_items"] = timed(lambda: csindex.fit_pls(items_only, ECSI), repeat=rep * 10)
    ours["b"] = timed(lambda: csindex.fit_pls(df, ECSI, bootstrap=5000, seed=1, progress=False, n_jobs=args.n_jobs),
                      repeat=2 if args.quick else 3)
    ours["c"] = timed(lambda: csindex.fit_pls(big, ECSI), repeat=2 if args.quick else 3)
    res = csindex.fit_pls(df, ECSI)
    sat = res.paths.query("target == 'SAT'")["estimate"].round(6).tolist()

    peer: dict[str, dict | None] = {"a": None, "b": None, "c": None}
    scale = {"a": 1.0, "b": 1.0, "c": 1.0}
    note = ""
    if not args.no_peer:
        python, why = ensure_peer(Path(args.peer_venv))
        if python is None:
            note = f"peer skipped (could not install plspm in {args.peer_venv}: {why})"
        else:
            boot = 5000 if args.peer_full else args.peer_boot
            rows = 1_000_000 if args.peer_full else args.peer_rows
            peer["a"] = run_peer(python, "fit", 0, 0)
            peer["b"] = run_peer(python, "boot", boot, 0)
            peer["c"] = run_peer(python, "big", 0, rows)
            scale = {"a": 1.0, "b": 5000 / boot, "c": 1_000_000 / rows}
            if peer["a"]:
                raw = csindex.fit_pls(df, ECSI, standardize=False).paths.query("target == 'SAT'")
                raw = raw["estimate"].round(6).tolist()
                got = [v for v in peer["a"]["sat_paths"] if v != 0.0]
                which = ("standardize=True" if got == sat else "standardize=False (its scaled=True run did not "
                         "standardise this integer data)" if got == raw else "neither")
                note = f"peer SAT paths {got} equal csindex's with {which}"
    elif args.no_peer:
        note = "peer skipped (--no-peer)"

    tasks = [("a", "one fit, ECSI data (250 x 27)", 1e-3), ("a_items", "one fit, items-only frame", 1e-3),
             ("b", "fit + 5,000 bootstrap resamples", 1.0), ("c", "one fit, 1,000,000 respondents", 1.0)]
    print(f"{'task':40s} {'csindex':>11s} {'first':>9s} {'peak MiB':>9s} {'target':>8s} {'plspm (PyPI)':>14s} "
          f"{'ratio':>8s}")
    for key, label, target in tasks:
        med, first, peak = ours[key]
        p = peer.get(key)
        if p is not None:
            secs = p["seconds"] * scale[key]
            extra = " (extrap.)" if scale[key] != 1.0 else ""
            peer_txt = f"{secs:9.3f} s{extra}"
            ratio = f"{secs / med:7.0f}x"
        else:
            peer_txt, ratio = "-", "-"
        ok = "ok" if med < target else "MISSED"
        print(f"{label:40s} {med:9.4f} s {first:7.3f} s {peak:9.1f} {ok:>8s} {peer_txt:>14s} {ratio:>8s}")
    if note:
        print(note)
    for key in ("a", "b", "c"):
        if peer.get(key):
            print(f"peer {key}: measured {peer[key]['seconds']:.3f} s, peak {peer[key]['peak_mib']:.1f} MiB (one fit)")


if __name__ == "__main__":
    main()
