"""Random-group bootstrap of a PLS fit on an out-of-core source.

The rows of a Parquet dataset, a DuckDB relation or a Dask DataFrame cannot be resampled
without holding them, but the statistics PLS needs are sums over rows. So the one streaming
pass keeps them separately for ``G`` random groups of rows
(:class:`csindex._sufficient.GroupedCrossProducts`; a row's group is a seeded permutation of
its position, the same for any batch size or partitioning), and a resample re-weights whole
groups: the method of random groups of survey sampling (Wolter 2007, *Introduction to
Variance Estimation*, ch. 2), resampled by the with-replacement bootstrap of the groups as
primary units with Rao & Wu's (1988) choice of ``G - 1`` draws (so that the variance of a
mean is unbiased), as in the "bag of little blocks"/Poisson bootstraps for data streams
(Chamandy et al. 2012). Kott's (2001) delete-a-group jackknife over the same groups gives
the BCa acceleration.

Under ``missing="em"`` the pass keeps the per-pattern sums of each group
(:class:`csindex.pls._streaming_em.GroupedPatternSums`); every (group, pattern) cell becomes a
few pseudo-respondents with exactly its count, sums and cross-products, a resample weights
them by their group's multiplier, and EM re-runs on the resulting pattern sums -- all
resamples of a chunk in one stack, started from the full-sample estimates, by the in-memory
EM bootstrap's own code (:func:`csindex.pls._missing.resample_moments` on
:func:`csindex._em.em_stack`).

A resample's sums are one matrix product, ``(B, G) @ (G, p*p)``, and the batched engine
(:func:`csindex.pls._stats.estimate_stack`) fits all resamples of a chunk at once; memory is
``G`` group states of a few ``p x p`` matrices. The standard error has about ``G - 1``
degrees of freedom: its relative error is about ``1 / sqrt(2 (G - 1))`` (5 % at ``G = 200``),
whatever ``B``.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._em import patterns
from .._sufficient import CrossProducts, GroupedCrossProducts
from ._algorithm import Layout
from ._missing import EMFit, resample_moments
from ._stats import Statistics
from ._streaming_em import GroupedPatternSums
from .bootstrap import (
    BootstrapResult,
    bootstrap_options,
    collect,
    estimate_moments,
    run_chunks,
)

__all__ = ["run_group_bootstrap", "group_key", "DEFAULT_GROUPS"]

#: default number of random groups (the SE then has about 199 degrees of freedom)
DEFAULT_GROUPS = 200
#: cells of a chunk's pseudo-respondent weight matrix under missing="em" (40 MB)
_EM_WEIGHT_BUDGET = 5_000_000


def group_key(entropy: int) -> int:
    """The hash key of the row-to-group assignment, a stream of its own of the bootstrap seed."""
    words = np.random.SeedSequence(entropy, spawn_key=(1 << 31,)).generate_state(2, dtype=np.uint32)
    return int(words[0]) << 32 | int(words[1])


def group_moments(fields: dict[str, np.ndarray], K: np.ndarray, total: CrossProducts) -> tuple[np.ndarray, np.ndarray]:
    """Means ``(B, p)`` and population covariances ``(B, p, p)`` of the resamples whose group
    multipliers are the rows of ``K`` (``(B, G)``): :meth:`CrossProducts.finish` batched.

    Under ``missing="mean"`` the fill-in values stay the full-sample means (as the row
    bootstrap resamples the filled-in rows)."""
    B, p = K.shape[0], total.p
    sw = K @ fields["sw"]
    sz = K @ fields["sz"]
    zz = (K @ fields["zz"].reshape(K.shape[1], p * p)).reshape(B, p, p)
    if total.policy == "mean" and total.rows_affected:
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = np.where(total.swo > 0, total.sz / total.swo, 0.0)
        sz = sz + delta * (K @ fields["swm"])
        zm = (K @ fields["zm"].reshape(K.shape[1], p * p)).reshape(B, p, p) * delta[None, None, :]
        mm = (K @ fields["mm"].reshape(K.shape[1], p * p)).reshape(B, p, p)
        zz = zz + zm + zm.transpose(0, 2, 1) + mm * np.outer(delta, delta)
    d = sz / sw[:, None]
    S = zz / sw[:, None, None] - d[:, :, None] * d[:, None, :]
    return total.shift + d, (S + S.transpose(0, 2, 1)) / 2.0


@dataclass(frozen=True)
class EMGroups:
    """What a resample needs to re-run EM: the pseudo-respondents of every (group, pattern)
    cell (their patterns, weights and groups) and the full-sample EM estimates (the start)."""

    fit: EMFit
    weights: np.ndarray  # (n_pseudo,)
    group: np.ndarray  # (n_pseudo,) the random group of each pseudo-respondent

    @classmethod
    def of(cls, state: GroupedPatternSums, mean: np.ndarray, cov: np.ndarray) -> EMGroups:
        X, w, group = state.pseudo_rows()
        P = patterns(X, w)
        return cls(EMFit(P, mean, cov, 0, True, 0.0), w, group)


def _moments(source: Any, K: np.ndarray, total: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Means, covariances and EM convergence (None: no EM) of the resamples with group
    multipliers ``K`` (``(B, G)``)."""
    if isinstance(source, EMGroups):
        return resample_moments(source.fit, source.weights, K[:, source.group])
    mu, S = group_moments(source, K, total)
    return mu, S, None


def _chunk(source: Any, total: Any, layout: Layout, opts: dict, seed_seq: Any, size: int, G: int) -> dict:
    counts = np.random.default_rng(seed_seq).multinomial(G - 1, np.full(G, 1.0 / G), size=size)
    mu, S, ok = _moments(source, counts.astype(np.float64), total)
    return estimate_moments(S, mu, layout, opts, ok)


def run_group_bootstrap(state: GroupedCrossProducts | GroupedPatternSums, total: Any, prep: Any, layout: Layout,
                        full: Statistics, S: np.ndarray, settings: dict, *, B: int, entropy: int, n_jobs: int,
                        progress: bool | None, chunk_size: int, ci: str, confidence: float,
                        spec: Any) -> BootstrapResult:
    """``B`` random-group bootstrap resamples (chunks of ``chunk_size``, random streams as the
    row bootstrap: chunk ``c`` draws from ``SeedSequence(seed).spawn(n_chunks)[c]``)."""
    import joblib

    G = state.groups
    if isinstance(state, GroupedPatternSums):  # missing="em": EM again in every resample
        source: Any = EMGroups.of(state, prep.mean, S)
        # a chunk's weights are (chunk, pseudo-respondents): bounded like the row bootstrap's counts, by
        # an upper bound of the pseudo-respondents (2 per observed item and cell) that is the same for
        # every source, so the chunks -- and the random streams -- are too
        chunk_size = max(1, min(chunk_size, _EM_WEIGHT_BUDGET // max(1, 2 * state.observed_cells())))
    else:
        source = state.stacked()
    n_chunks = math.ceil(B / chunk_size)
    sizes = [min(chunk_size, B - c * chunk_size) for c in range(n_chunks)]
    children = np.random.SeedSequence(entropy).spawn(n_chunks)
    opts = bootstrap_options(prep, layout, full, S, settings, spec)
    tasks = (joblib.delayed(_chunk)(source, total, layout, opts, children[c], sizes[c], G) for c in range(n_chunks))
    show = progress if progress is not None else (B * layout.p ** 2 > 5e8 and sys.stderr.isatty())
    parts = run_chunks(tasks, n_chunks, n_jobs, show)
    jack = None
    if ci == "bca":  # Kott's delete-a-group jackknife over the same groups
        pieces = []
        for start in range(0, G, 500):
            K = 1.0 - np.eye(G)[start:start + 500]
            mu, Sj, ok = _moments(source, K, total)
            pieces.append(estimate_moments(Sj, mu, layout, opts, ok)["stats"])
        jack = {k: np.concatenate([p_[k] for p_ in pieces], axis=0) for k in pieces[0]}
    return collect(parts, B, settings, full, S, layout, spec, seed=entropy, ci=ci, confidence=confidence,
                   jackknife=jack, chunk_size=chunk_size)
