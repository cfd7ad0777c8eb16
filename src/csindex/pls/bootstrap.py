"""Batched bootstrap of a PLS path model.

Resamples are drawn as multinomial counts over respondents. A resample's (weighted)
covariance is a count-weighted sum of per-respondent outer products, so a whole chunk of
resamples comes from one matrix product, and Wold's iteration then runs on the stacked
``(chunk, p, p)`` matrices (see ``_algorithm``). There is no Python loop over resamples.

Reproducibility: the resamples are split into chunks of ``chunk_size``; chunk ``c`` draws
its counts from ``np.random.default_rng(SeedSequence(seed).spawn(n_chunks)[c])``. The
chunks are independent of ``n_jobs``, so the draws (and the result) are identical for any
number of workers. Chunks run through ``joblib.Parallel`` (so ``joblib.parallel_config(
backend="dask")`` distributes them unchanged).

Under ``missing="em"`` a resample's means and covariance are the EM estimates of the
resampled respondents (``pls._missing.resample_moments``: the same per-pattern sufficient
statistics weighted by the counts, EM started from the full-sample estimates, all resamples
of a chunk in one stack), so the intervals include the uncertainty of the imputation model.
A resample whose EM does not converge is counted as not converged and excluded.

Intervals: percentile and BCa (Efron 1987; acceleration from a jackknife, delete-one up to
2,000 respondents, otherwise 1,000 delete-a-group blocks). Standard error: the standard
deviation (``n - 1``) of the valid resamples; ``t = estimate / std_error`` (HTMT:
``(1 - estimate) / std_error``, the test of HTMT < 1); two-sided p-values from Student's t
with ``B - 1`` degrees of freedom.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._random import resolve_seed
from ..exceptions import InferenceWarning
from ._algorithm import Layout
from ._stats import Statistics, estimate_stack, htmt_stack

__all__ = ["BootstrapResult", "run_bootstrap", "extract"]

logger = logging.getLogger(__name__)

_COLS = ["std_error", "t_value", "p_value", "ci_lower", "ci_upper"]
_OUTER_BUDGET = 40_000_000  # floats of precomputed outer products per worker
_COUNT_BUDGET = 20_000_000  # cells of a chunk's resampling count matrix


def path_pairs(spec, layout: Layout) -> list[tuple[int, int]]:
    pos = {c: k for k, c in enumerate(layout.constructs)}
    return [(pos[s], pos[t]) for s, t in spec.paths]


def effect_pairs(spec, layout: Layout) -> list[tuple[int, int]]:
    """(source, target) pairs joined by a directed path, in topological order."""
    reach = layout.path.astype(float)
    acc = reach.copy()
    for _ in range(layout.J):
        acc = np.minimum(1.0, acc + acc @ reach)
    order = [layout.constructs.index(c) for c in spec.topological_order]
    return [(s, t) for s in order for t in order if acc[s, t] > 0]


def htmt_pairs(layout: Layout) -> list[tuple[int, int]]:
    return [(a, b) for a in range(layout.J) for b in range(a)]


def extract(st: Statistics, spec, layout: Layout) -> dict[str, np.ndarray]:
    """The reported statistics of a stack, as ``(B, k)`` arrays in table order."""
    fe = st.final
    pp = path_pairs(spec, layout)
    ep = effect_pairs(spec, layout)
    hp = htmt_pairs(layout)
    out = {
        "paths": fe.paths[:, [s for s, _ in pp], [t for _, t in pp]],
        "weights": fe.weights,
        "loadings": fe.loadings,
        "total": fe.total[:, [s for s, _ in ep], [t for _, t in ep]],
        "index": st.index,
        "r_squared": fe.r_squared[:, list(layout.endogenous)],
    }
    if st.htmt.size:
        out["htmt"] = st.htmt[:, [a for a, _ in hp], [b for _, b in hp]]
    return out


@dataclass(frozen=True, repr=False, eq=False)
class BootstrapResult:
    """Bootstrap draws of a PLS fit.

    Attributes
    ----------
    n_requested, n_valid, n_failed : int
        Resamples asked for, used, and excluded (did not converge, or an item was
        constant / a Mode B block singular in the resample).
    n_nonconverged, n_degenerate, n_inadmissible : int
        The kinds of failure (inadmissible: PLSc with rho_A outside (0, 1] or a
        disattenuated correlation above 1).
    seed : int
        The resolved seed (entropy of the root ``SeedSequence``).
    draws : dict of str to ndarray
        ``(n_valid, k)`` draws of ``paths, weights, loadings, total, index, r_squared, htmt``,
        columns in the order of the result tables.
    estimates : dict of str to ndarray
        The full-sample values, same keys.
    """

    n_requested: int
    n_valid: int
    n_failed: int
    n_nonconverged: int
    n_degenerate: int
    seed: int
    ci: str
    confidence: float
    draws: dict[str, np.ndarray]
    estimates: dict[str, np.ndarray]
    jackknife: dict[str, np.ndarray] | None = field(default=None)
    chunk_size: int = 0
    n_inadmissible: int = 0

    def interval(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper interval ends (percentile or BCa) of the statistics ``key``."""
        d = self.draws[key]
        alpha = 1.0 - self.confidence
        if self.ci == "percentile" or self.jackknife is None:
            return _quantile(d, alpha / 2), _quantile(d, 1 - alpha / 2)
        from scipy.special import ndtr, ndtri  # the normal cdf and quantile; scipy.stats is slow to import

        theta = self.estimates[key]
        B = d.shape[0]
        below = (d < theta).sum(axis=0) + 0.5 * (d == theta).sum(axis=0)
        z0 = ndtri(np.clip(below / B, 1.0 / (2 * B), 1 - 1.0 / (2 * B)))
        jk = self.jackknife[key]
        dev = jk.mean(axis=0) - jk
        num = (dev ** 3).sum(axis=0)
        den = 6.0 * ((dev ** 2).sum(axis=0)) ** 1.5
        a = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
        out = []
        for q in (alpha / 2, 1 - alpha / 2):
            zq = ndtri(q)
            adj = ndtr(z0 + (z0 + zq) / (1 - a * (z0 + zq)))
            adj = np.where(np.isfinite(adj), adj, q)  # degenerate jackknife: percentile end
            out.append(np.array([_quantile(d[:, k:k + 1], adj[k])[0] for k in range(d.shape[1])]))
        return out[0], out[1]

    def table(self, key: str) -> pd.DataFrame | None:
        """``std_error, t_value, p_value, ci_lower, ci_upper`` for the rows of a result table."""
        if key not in self.draws:
            return None
        from scipy.special import stdtr  # Student t cdf

        d = self.draws[key]
        est = self.estimates[key]
        k = est.shape[0]
        if d.shape[0] < 2:
            nan = np.full(k, np.nan)
            return pd.DataFrame(dict(zip(_COLS, [nan] * 5)))
        se = d.std(axis=0, ddof=1)
        stat = (1.0 - est) if key == "htmt" else est
        with np.errstate(divide="ignore", invalid="ignore"):
            tv = np.where(se > 0, stat / se, np.nan)
        pv = 2.0 * stdtr(d.shape[0] - 1, -np.abs(tv))
        lo, hi = self.interval(key)
        return pd.DataFrame({"std_error": se, "t_value": tv, "p_value": pv, "ci_lower": lo, "ci_upper": hi})


def _quantile(d: np.ndarray, q) -> np.ndarray:
    return np.quantile(d, q, axis=0)


def _chunk_moments(Xc: np.ndarray, w: np.ndarray | None, counts: np.ndarray, outer: np.ndarray | None,
                   tri: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Means (about the full-sample mean) and population covariances of each resample."""
    K = counts.astype(float)
    if w is not None:
        K *= w
    tot = K.sum(axis=1)
    K /= tot[:, None]
    m = K @ Xc  # (B, p) mean deviation from the full-sample mean
    B, p = m.shape
    if outer is not None:
        tri_vals = K @ outer  # (B, q) second moments, upper triangle
        M = np.empty((B, p, p))
        M[:, tri[0], tri[1]] = tri_vals
        M[:, tri[1], tri[0]] = tri_vals
    else:  # large n: one BLAS product per resample (memory bound by n * p)
        M = np.stack([(Xc.T * K[b]) @ Xc for b in range(B)])
    S = M - m[:, :, None] * m[:, None, :]
    return m, S


def _single_threaded_blas():
    """Limit BLAS to one thread while a chunk runs: its products are skinny and threaded
    BLAS slows them down (parallelism comes from the chunks). A no-op context without
    threadpoolctl (installed with semopy's scikit-learn)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _run_chunk(Xc, w, mean, layout, opts, seed_seq, size, outer_ok, parent_pid) -> dict:
    rng = np.random.default_rng(seed_seq)
    n = Xc.shape[0]
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=size)
    if os.getpid() == parent_pid:  # in the caller's process (sequential or threads): limited there
        return _estimate_counts(Xc, w, mean, layout, opts, counts, outer_ok)
    with _single_threaded_blas():  # a worker process
        return _estimate_counts(Xc, w, mean, layout, opts, counts, outer_ok)


def _estimate_counts(Xc, w, mean, layout, opts, counts, outer_ok) -> dict:
    p = Xc.shape[1]
    em_ok = np.ones(counts.shape[0], dtype=bool)
    if opts.get("em") is not None:  # missing="em": EM again in every resample
        from ._missing import resample_moments

        mu, S, em_ok = resample_moments(opts["em"], w, counts)
        m = mu - mean
    else:
        tri = np.triu_indices(p)
        outer = Xc[:, tri[0]] * Xc[:, tri[1]] if outer_ok else None
        m, S = _chunk_moments(Xc, w, counts, outer, tri)
    return estimate_moments(S, m + mean, layout, opts, em_ok)


def estimate_moments(S: np.ndarray, mu: np.ndarray, layout: Layout, opts: dict, em_ok: np.ndarray | None = None) -> dict:
    """Fit a stack of resample covariances ``S`` (``(B, p, p)``) and means ``mu`` (``(B, p)``):
    the valid resamples' statistics and the failure counts (shared by the row bootstrap and
    the random-group bootstrap of an out-of-core source)."""
    if em_ok is None:
        em_ok = np.ones(S.shape[0], dtype=bool)
    var = np.einsum("bii->bi", S)
    ref_var = np.einsum("ii->i", opts["S"])
    degenerate = (var <= 1e-12 * ref_var).any(axis=1)
    sd = np.sqrt(np.where(var > 0, var, 1.0))
    for j, sl in enumerate(layout.slices):
        if layout.mode_b[j] and sl.stop - sl.start > 1:
            R = S[:, sl, sl] / (sd[:, sl, None] * sd[:, None, sl])
            eig = np.linalg.eigvalsh(R)
            degenerate |= eig[:, 0] < 1e-10 * eig[:, -1]
    if degenerate.any():
        S = S.copy()
        S[degenerate] = opts["S"]  # placeholder, excluded below
    st = estimate_stack(S, mu, layout, scheme=opts["scheme"], tol=opts["tol"], max_iter=opts["max_iter"],
                        rule=opts["rule"], standardized=opts["standardized"], lo=opts["lo"], hi=opts["hi"],
                        with_htmt=True, consistent=opts.get("consistent", False),
                        index_kind=opts.get("index_kind", "unstandardized"),
                        align_to=opts["loadings"] if opts.get("sign_change") == "construct" else None)
    ok = st.iteration.converged & em_ok & ~degenerate
    inadmissible = np.zeros_like(ok)
    if st.rho_a is not None:  # PLSc: drop inadmissible resamples (as cSEM's default)
        J = layout.J
        off = ~np.eye(J, dtype=bool)
        inadmissible = ((st.rho_a > 1) | (st.rho_a <= 0)).any(axis=1) | \
            (np.abs(st.final.construct_cor[:, off]) > 1).any(axis=1)
        inadmissible &= ok
        ok &= ~inadmissible
    stats = extract(st, opts["spec"], layout)
    if opts.get("sign_change") == "individual":  # each estimate takes the sign of the original
        for key in ("paths", "weights", "loadings", "total"):
            ref = opts["estimates"][key]
            stats[key] = np.where(np.sign(stats[key]) * np.sign(ref) < 0, -stats[key], stats[key])
    return {"stats": {k: v[ok] for k, v in stats.items()}, "degenerate": int(degenerate.sum()),
            "nonconverged": int(((~st.iteration.converged | ~em_ok) & ~degenerate).sum()),
            "inadmissible": int(inadmissible.sum())}


def run_bootstrap(prep, layout: Layout, full: Statistics, S: np.ndarray, mean: np.ndarray, settings: dict, *,
                  B: int, seed: Any, n_jobs: int, progress: bool | None, chunk_size: int, ci: str,
                  confidence: float, spec=None) -> BootstrapResult:
    import joblib

    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}.")
    spec = spec if spec is not None else settings["_spec"]
    n, p = prep.X.shape
    entropy = resolve_seed(seed, "fit_pls()").seed
    Xc = prep.X - mean
    w = prep.weights
    outer_ok = n * p * (p + 1) // 2 <= _OUTER_BUDGET
    # the count matrix of a chunk is (chunk, n): cap it at _COUNT_BUDGET cells for large n
    # (deterministic given n and chunk_size, so still independent of n_jobs)
    chunk_size = max(1, min(chunk_size, _COUNT_BUDGET // n))
    n_chunks = math.ceil(B / chunk_size)
    sizes = [min(chunk_size, B - c * chunk_size) for c in range(n_chunks)]
    children = np.random.SeedSequence(entropy).spawn(n_chunks)
    opts = bootstrap_options(prep, layout, full, S, settings, spec)
    tasks = (joblib.delayed(_run_chunk)(Xc, w, mean, layout, opts, children[c], sizes[c], outer_ok, os.getpid())
             for c in range(n_chunks))
    show = progress if progress is not None else (B * n * p * p > 5e9 and sys.stderr.isatty())
    parts = run_chunks(tasks, n_chunks, n_jobs, show)
    jack = _jackknife(Xc, w, mean, layout, opts, entropy) if ci == "bca" else None
    return collect(parts, B, settings, full, S, layout, spec, seed=entropy, ci=ci, confidence=confidence,
                   jackknife=jack, chunk_size=chunk_size)


def bootstrap_options(prep, layout: Layout, full: Statistics, S: np.ndarray, settings: dict, spec) -> dict:
    """The fit options every resample chunk needs (picklable, for joblib workers)."""
    return dict(scheme=settings["scheme"], tol=settings["tol"], max_iter=settings["max_iter"],
                rule=settings["convergence"], standardized=settings["standardize"], lo=prep.lo, hi=prep.hi,
                spec=spec, S=S, consistent=settings.get("consistent", False),
                index_kind=settings.get("index_weights", "unstandardized"),
                sign_change=settings.get("sign_change", "none"), loadings=full.final.loadings,
                em=getattr(prep, "em", None),
                estimates={k: v[0] for k, v in extract(full, spec, layout).items() if k != "htmt"})


def run_chunks(tasks, n_chunks: int, n_jobs: int, show: bool) -> list[dict]:
    """Run the chunk tasks through joblib (threads by default, numpy releases the GIL in the
    heavy parts; an explicit ``joblib.parallel_config(backend=...)`` -- loky, Dask -- wins)."""
    import joblib

    parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator", prefer="threads")
    with _single_threaded_blas():
        results = parallel(tasks)
        if show:
            from tqdm.auto import tqdm

            results = tqdm(results, total=n_chunks, desc="PLS bootstrap", unit="chunk")
        return list(results)


def collect(parts: list[dict], B: int, settings: dict, full: Statistics, S: np.ndarray, layout: Layout, spec, *,
            seed: int, ci: str, confidence: float, jackknife: dict | None, chunk_size: int) -> BootstrapResult:
    """Concatenate the chunks' draws, warn about excluded resamples, and build the result."""
    keys = parts[0]["stats"].keys()
    draws = {k: np.concatenate([r["stats"][k] for r in parts], axis=0) for k in keys}
    n_deg = sum(r["degenerate"] for r in parts)
    n_nc = sum(r["nonconverged"] for r in parts)
    n_inad = sum(r["inadmissible"] for r in parts)
    n_valid = next(iter(draws.values())).shape[0]
    if n_deg or n_nc or n_inad:
        inad = f", {n_inad} were inadmissible under PLSc (rho_A or a construct correlation above 1)" if n_inad else ""
        warnings.warn(
            f"{n_deg + n_nc + n_inad} of {B} bootstrap resamples were excluded ({n_nc} did not converge within "
            f"max_iter={settings['max_iter']}, {n_deg} had a constant item or a singular Mode B block{inad}); "
            f"the intervals use the remaining {n_valid}.", InferenceWarning, stacklevel=5)
    if not full.htmt.size:
        from dataclasses import replace

        full = replace(full, htmt=htmt_stack(S[None], layout))
    estimates = {k: v[0] for k, v in extract(full, spec, layout).items()}
    return BootstrapResult(n_requested=B, n_valid=n_valid, n_failed=n_deg + n_nc + n_inad, n_nonconverged=n_nc,
                           n_inadmissible=n_inad,
                           n_degenerate=n_deg, seed=seed, ci=ci, confidence=confidence, draws=draws,
                           estimates=estimates, jackknife=jackknife, chunk_size=chunk_size)


def _jackknife(Xc, w, mean, layout, opts, entropy) -> dict[str, np.ndarray]:
    """Jackknife values for the BCa acceleration: delete-one up to 2,000 respondents,
    else 1,000 random delete-a-group blocks (seeded from the bootstrap seed)."""
    n = Xc.shape[0]
    if n <= 2000:
        groups = np.arange(n)
        G = n
    else:
        G = 1000
        # a stream of its own (spawn key outside the chunks' range)
        rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(1 << 30,)))
        groups = rng.permutation(np.arange(n) % G)
    parts = []
    for start in range(0, G, 500):
        gs = np.arange(start, min(G, start + 500))
        counts = (groups[None, :] != gs[:, None]).astype(np.int64)
        with _single_threaded_blas():
            res = _estimate_counts(Xc, w, mean, layout, opts, counts, n * Xc.shape[1] ** 2 <= _OUTER_BUDGET)
        parts.append(res["stats"])
    return {k: np.concatenate([p_[k] for p_ in parts], axis=0) for k in parts[0]}
