"""PLSpredict (k-fold) on an out-of-core source: two streaming passes.

A training fold's PLS fit and linear-model benchmark need the data only through the
training rows' means and covariance (:mod:`csindex.pls.predict`), and those are the sums of
all rows minus the sums of the fold. So:

1. the first pass keeps the sums of each fold (:class:`FoldSums`: for every repetition a
   :class:`~csindex._sufficient.GroupedCrossProducts` whose groups are the folds; a row's
   fold is a seeded permutation of its position, :func:`~csindex._sufficient.random_groups`,
   so the ``k`` folds are equal in size up to the rows dropped listwise, and the same for
   any batch size, file layout or Dask partitioning); every fold's training moments are the
   total minus the fold, and all folds run through the batched PLS iteration as one stack
   (:func:`~csindex.pls._predict_core.fold_maps`, as in memory);
2. the second pass reads the rows again, predicts each held-out row by its folds' affine
   maps ``ŷ = c + x A`` (and in-sample by the other folds'), and adds the squared and
   absolute errors up per item; only those sums are kept.

The numbers equal the in-memory :func:`csindex.plspredict` given the same fold ids (an
array of them) to rounding. The per-respondent prediction frames are not returned (they
would be as large as the source): ``predictions`` and its kin are None.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from .._random import resolve_seed
from .._sufficient import (
    GroupedCrossProducts,
    columns_matrix,
    integer_shift,
    one_blas_thread,
    open_source,
    random_groups,
)
from ..exceptions import ParameterError, SurveyDataError
from ._algorithm import Layout
from ._predict_core import fold_maps
from ._streaming import _missing_report

__all__ = ["FoldSums", "fold_keys", "plspredict_source"]


def fold_keys(entropy: int, repetitions: int) -> list[int]:
    """The hash key of the row-to-fold assignment of each repetition (streams of the seed)."""
    keys = []
    for r in range(repetitions):
        words = np.random.SeedSequence(entropy, spawn_key=(1 << 30, r)).generate_state(2, dtype=np.uint32)
        keys.append(int(words[0]) << 32 | int(words[1]))
    return keys


class FoldSums:
    """For each repetition, the listwise cross-product sums of each of ``k`` folds (additive)."""

    def __init__(self, shift: np.ndarray, k: int, keys: list[int]) -> None:
        self.reps = [GroupedCrossProducts(shift, "listwise", k, key) for key in keys]

    def add_part(self, part: Any, Xt: np.ndarray, w: np.ndarray | None, pos: np.ndarray) -> None:
        for rep in self.reps:
            rep.add_part(part, Xt, None, pos)

    def merge(self, other: FoldSums) -> FoldSums:
        for mine, theirs in zip(self.reps, other.reps):
            mine.merge(theirs)
        return self


def training_moments(rep: GroupedCrossProducts) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Training means ``(k, p)``, covariances ``(k, p, p)`` (divisor ``n_k - 1``, as in memory)
    and held-out sizes ``(k,)`` of the folds: the total sums minus each fold's."""
    total = rep.total()
    f = rep.stacked()
    sw = total.sw - f["sw"]
    d = (total.sz[None] - f["sz"]) / sw[:, None]
    S = (total.zz[None] - f["zz"]) / sw[:, None, None] - d[:, :, None] * d[:, None, :]
    S = S * (sw / (sw - 1.0))[:, None, None]
    S = (S + np.swapaxes(S, 1, 2)) / 2.0
    return total.shift + d, S, np.array([p.n_used for p in rep.parts], dtype=np.int64), total


def plspredict_source(data: Any, spec: Any, layout: Layout, *, folds: Any, technique: str,
                      repetitions: int | None, seed: Any, benchmark: str, scheme: str, tol: float, max_iter: int,
                      convergence: str) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """:func:`csindex.plspredict` on a Parquet path, DuckDB relation or Dask DataFrame (k-fold):
    the out-of-sample and in-sample tables and the settings."""
    if isinstance(folds, (bool, np.bool_)) or not isinstance(folds, (int, np.integer)):
        raise ParameterError(
            f"plspredict: on an out-of-core source folds= must be a whole number of folds (k-fold; the folds are "
            f"random groups of the rows); got {folds!r}. Leave-one-out and explicit fold ids need the data in "
            "memory (e.g. pandas.read_parquet(path)).")
    k = int(folds)
    if k < 2:
        raise ParameterError(f"The 'folds' parameter of plspredict must be a number of folds from 2 to the number "
                             f"of rows used. Got {folds!r} instead.")
    R = 10 if repetitions is None else int(repetitions)
    src = open_source(data, "plspredict")
    items = list(layout.items)
    src.check_columns(items)
    resolved = resolve_seed(seed, "plspredict")
    keys = fold_keys(resolved.seed, R)
    shift = integer_shift(src.first(items))
    state = src.reduce(items, None, functools.partial(FoldSums, shift, k, keys))
    report, _ = _missing_report(state.reps[0].total(), items, "listwise", src.label, stacklevel=5)
    means, covs, sizes = [], [], []
    for rep in state.reps:
        m, S, counts, total = training_moments(rep)
        means.append(m)
        covs.append(S)
        sizes.append(counts)
    n = int(total.n_used)
    if k > n:
        raise ParameterError(f"The 'folds' parameter of plspredict must be a number of folds from 2 to the number "
                             f"of rows used ({n}). Got {folds!r} instead.")
    if n < 4:
        raise SurveyDataError(f"plspredict needs at least 4 complete respondents; got {n}.")
    if any((c == 0).any() for c in sizes):
        raise SurveyDataError(f"A fold of the {src.label} holds no complete respondent; use fewer folds.")
    mean, S = np.concatenate(means), np.concatenate(covs)
    target = np.flatnonzero(np.isin(layout.block, list(layout.endogenous)))
    A, c, A_lm, c_lm, it = fold_maps(mean, S, int(min((n - c).min() for c in sizes)), layout, target, technique,
                                 benchmark, scheme=scheme, tol=tol, max_iter=max_iter, rule=convergence,
                                 stacklevel=4)
    sums = _error_pass(src, items, target, keys, k, (A, c), (A_lm, c_lm), mean)
    names = [layout.items[j] for j in target]
    cons = [layout.constructs[layout.block[j]] for j in target]

    def metrics(e2: np.ndarray, e1: np.ndarray, f2: np.ndarray, f1: np.ndarray) -> dict[str, np.ndarray]:
        return {"pls_rmse": np.sqrt(e2 / n), "pls_mae": e1 / n, "lm_rmse": np.sqrt(f2 / n), "lm_mae": f1 / n}

    table = pd.DataFrame({"item": names, "construct": cons, **metrics(*sums[0:4]),
                          "q2_predict": 1.0 - sums[0] / sums[4]})
    ins = pd.DataFrame({"item": names, "construct": cons, **metrics(*sums[5:9])})
    settings = dict(n_used=n, n_dropped=int(report["rows_dropped"]), seed=resolved.seed, folds=k, n_folds=k,
                    repetitions=R, technique=technique, benchmark=benchmark, scheme=scheme, tol=float(tol),
                    max_iter=int(max_iter), convergence=convergence, n_fits=int(it.converged.size),
                    n_not_converged=int((~it.converged).sum()), max_iterations=int(it.iterations.max()), out_of_core=src.kind,
                    fold_method="random-group")
    return table, ins, settings


def _error_pass(src: Any, items: list[str], target: np.ndarray, keys: list[int], k: int, pls: tuple, lm: tuple,
                mean: np.ndarray) -> list[np.ndarray]:
    """Second pass: per target item, the sums of squared and absolute out-of-sample errors of
    PLS and LM, of squared errors of the training means, and the in-sample PLS and LM errors."""
    q = target.size
    out = [np.zeros(q) for _ in range(9)]
    AA = np.concatenate([pls[0], lm[0]], axis=2)  # (folds, p, 2q): PLS and LM maps in one product
    C = np.concatenate([pls[1], lm[1]], axis=1)
    reader = src._duckdb_scan() if src.kind == "parquet" else None  # the rows in the order of the first pass
    reader = reader or src
    start = 0
    with one_blas_thread():  # skinny products: one BLAS thread (see csindex._sufficient.one_blas_thread)
        for part in reader.batches(items):
            _add_errors(part, items, target, keys, k, AA, C, mean, start, out)
            start += len(part)
    return out


def _add_errors(part: Any, items: list[str], target: np.ndarray, keys: list[int], k: int, AA: np.ndarray,
                C: np.ndarray, mean: np.ndarray, start: int, out: list[np.ndarray]) -> None:
    """Add one batch's held-out and in-sample errors to ``out`` (see :func:`_error_pass`)."""
    q, R = target.size, len(keys)
    X = columns_matrix(part, items).T.astype(np.float64)
    pos = np.arange(start, start + X.shape[0], dtype=np.int64)
    keep = ~np.isnan(X).any(axis=1)
    X, pos = X[keep], pos[keep]
    if not X.shape[0]:
        return
    n = X.shape[0]
    own_sum, ins_sum, naive = np.zeros((n, 2 * q)), np.zeros((n, 2 * q)), np.zeros((n, q))
    mean_t = mean[:, target]
    for r, key in enumerate(keys):
        folds = slice(r * k, (r + 1) * k)
        codes = random_groups(pos, k, key)
        order = np.argsort(codes, kind="stable")  # the rows sorted by fold: one product per fold
        cuts = np.searchsorted(codes[order], np.arange(k + 1))
        Xs = X[order]
        own_s = np.empty((n, 2 * q))  # PLS and LM predictions side by side, rows sorted by fold
        for j in range(k):
            rows = slice(cuts[j], cuts[j + 1])
            own_s[rows] = Xs[rows] @ AA[r * k + j] + C[r * k + j]
        own = np.empty_like(own_s)
        own[order] = own_s
        own_sum += own
        ins_sum += (X @ AA[folds].sum(axis=0) + C[folds].sum(axis=0) - own) / (k - 1)  # in sample: other folds
        naive += mean_t[r * k + codes]
    preds = (own_sum[:, :q], own_sum[:, q:], naive, ins_sum[:, :q], ins_sum[:, q:])
    Y = X[:, target]
    oos, oos_lm, naive, ins, ins_lm = (Y - p_ / R for p_ in preds)
    for slot, e in zip((0, 2, 4, 5, 7), (oos, oos_lm, naive, ins, ins_lm)):
        out[slot] += (e ** 2).sum(axis=0)
    for slot, e in zip((1, 3, 6, 8), (oos, oos_lm, ins, ins_lm)):
        out[slot] += np.abs(e).sum(axis=0)
