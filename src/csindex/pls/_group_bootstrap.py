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

A resample's sums are one matrix product, ``(B, G) @ (G, p*p)``, and the batched engine
(:func:`csindex.pls._stats.estimate_stack`) fits all resamples of a chunk at once; memory is
``G`` group states of a few ``p x p`` matrices. The standard error has about ``G - 1``
degrees of freedom: its relative error is about ``1 / sqrt(2 (G - 1))`` (5 % at ``G = 200``),
whatever ``B``.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from .._sufficient import CrossProducts, GroupedCrossProducts
from ._algorithm import Layout
from ._stats import Statistics
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


def _chunk(fields: dict[str, np.ndarray], total: CrossProducts, layout: Layout, opts: dict, seed_seq: Any,
           size: int) -> dict:
    G = fields["sw"].shape[0]
    counts = np.random.default_rng(seed_seq).multinomial(G - 1, np.full(G, 1.0 / G), size=size)
    mu, S = group_moments(fields, counts.astype(np.float64), total)
    return estimate_moments(S, mu, layout, opts)


def run_group_bootstrap(state: GroupedCrossProducts, total: CrossProducts, prep: Any, layout: Layout,
                        full: Statistics, S: np.ndarray, settings: dict, *, B: int, entropy: int, n_jobs: int,
                        progress: bool | None, chunk_size: int, ci: str, confidence: float,
                        spec: Any) -> BootstrapResult:
    """``B`` random-group bootstrap resamples (chunks of ``chunk_size``, random streams as the
    row bootstrap: chunk ``c`` draws from ``SeedSequence(seed).spawn(n_chunks)[c]``)."""
    import joblib

    fields = state.stacked()
    n_chunks = math.ceil(B / chunk_size)
    sizes = [min(chunk_size, B - c * chunk_size) for c in range(n_chunks)]
    children = np.random.SeedSequence(entropy).spawn(n_chunks)
    opts = bootstrap_options(prep, layout, full, S, settings, spec)
    tasks = (joblib.delayed(_chunk)(fields, total, layout, opts, children[c], sizes[c]) for c in range(n_chunks))
    show = progress if progress is not None else (B * layout.p ** 2 > 5e8 and sys.stderr.isatty())
    parts = run_chunks(tasks, n_chunks, n_jobs, show)
    jack = None
    if ci == "bca":  # Kott's delete-a-group jackknife over the same groups
        G = state.groups
        pieces = []
        for start in range(0, G, 500):
            K = 1.0 - np.eye(G)[start:start + 500]
            mu, Sj = group_moments(fields, K, total)
            pieces.append(estimate_moments(Sj, mu, layout, opts)["stats"])
        jack = {k: np.concatenate([p_[k] for p_ in pieces], axis=0) for k in pieces[0]}
    return collect(parts, B, settings, full, S, layout, spec, seed=entropy, ci=ci, confidence=confidence,
                   jackknife=jack, chunk_size=chunk_size)
