"""Batched statistics derived from converged weights: the numbers a fit and every bootstrap
resample report (weights, loadings, paths, R², total effects, 0-100 indices, HTMT).

One function computes them for a ``(B, p, p)`` stack so that a single fit (``B = 1``) and
the bootstrap share the same code path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._algorithm import FinalEstimates, IterationResult, Layout, finalize, wold
from ._algorithm import consistent as plsc

__all__ = ["Statistics", "estimate_stack", "index_weights", "htmt_stack"]


@dataclass(frozen=True)
class Statistics:
    iteration: IterationResult
    final: FinalEstimates
    index_weights: np.ndarray  # (B, p) weights of the 0-100 rescaled items, sum 1 per block
    index: np.ndarray  # (B, J) 0-100 index of each construct
    htmt: np.ndarray  # (B, J, J)
    rho_a: np.ndarray | None = None  # (B, J) under consistent PLS


def index_weights(w: np.ndarray, sd: np.ndarray, layout: Layout, standardized: bool,
                  lo: np.ndarray, hi: np.ndarray, kind: str = "unstandardized") -> np.ndarray:
    """Outer weights for the 0-100 index (Fornell et al. 1996; METHODS.md §4.2-4.3).

    Unstandardised weights ``w_u = w / sd`` (or the raw-scale weights when the model was
    fit on centred data) are applied to items rescaled to 0-100, so each item's weight is
    ``w_u·(max - min)``, normalised to sum 1 in its block.
    """
    if kind == "standardized":  # seminrExtras / R plspm rescale() on a scaled fit (METHODS §4.5.3)
        ws = w if standardized else w * sd
        return ws / np.add.reduceat(ws, layout.starts, axis=1)[:, layout.block]
    wu = w / sd if standardized else w
    wr = wu * (hi - lo)
    tot = np.add.reduceat(wr, layout.starts, axis=1)
    return wr / tot[:, layout.block]


def index_values(wstar: np.ndarray, mean: np.ndarray, layout: Layout, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``Σ w*_i (x̄_i - min_i)/(max_i - min_i)·100`` per block."""
    rel = (mean - lo) / (hi - lo) * 100.0
    return np.add.reduceat(wstar * rel, layout.starts, axis=1)


def htmt_stack(S: np.ndarray, layout: Layout) -> np.ndarray:
    """Heterotrait-monotrait ratio (Henseler, Ringle & Sarstedt 2015) from ``(B, p, p)``.

    Mean absolute heterotrait correlation over the geometric mean of the two mean
    absolute monotrait (off-diagonal) correlations; a single-item block has monotrait mean 1.
    """
    sd = np.sqrt(np.einsum("bii->bi", S))
    R = np.abs(S / (sd[:, :, None] * sd[:, None, :]))
    J = layout.J
    st = layout.starts
    sums = np.add.reduceat(np.add.reduceat(R, st, axis=1), st, axis=2)  # (B, J, J) sums of |r| over item pairs
    sizes = layout.onehot.sum(axis=0)
    counts = np.outer(sizes, sizes)
    mono_sum = np.einsum("bjj->bj", sums) - sizes  # drop the unit diagonal
    mono_cnt = sizes * (sizes - 1)
    mono = np.where(mono_cnt > 0, mono_sum / np.where(mono_cnt > 0, mono_cnt, 1), 1.0)
    hetero = sums / counts
    out = hetero / np.sqrt(mono[:, :, None] * mono[:, None, :])
    idx = np.arange(J)
    out[:, idx, idx] = np.nan
    return out


def estimate_stack(S: np.ndarray, mean: np.ndarray, layout: Layout, *, scheme: str, tol: float,
                   max_iter: int, rule: str, standardized: bool, lo: np.ndarray, hi: np.ndarray,
                   with_htmt: bool = True, consistent: bool = False,
                   index_kind: str = "unstandardized", align_to: np.ndarray | None = None) -> Statistics:
    """Run the iteration and every derived statistic on a stack of raw covariances ``S``
    (``(B, p, p)``, population divisor) with item means ``mean`` (``(B, p)``).

    ``align_to`` (the full-sample loadings) applies the construct-level sign change of
    Tenenhaus et al. (2005, p. 177) to bootstrap resamples: a block's weights are flipped
    when ``|Σ(λ̂ - λ*)| > |Σ(λ̂ + λ*)|``, and the estimates recomputed.
    """
    sd = np.sqrt(np.einsum("bii->bi", S))
    work = S / (sd[:, :, None] * sd[:, None, :]) if standardized else S
    it = wold(work, layout, scheme=scheme, tol=tol, max_iter=max_iter, rule=rule)
    fe = finalize(it.weights, work, layout)
    if align_to is not None:
        minus = np.abs(np.add.reduceat(align_to - fe.loadings, layout.starts, axis=1))
        plus = np.abs(np.add.reduceat(align_to + fe.loadings, layout.starts, axis=1))
        flip = np.where(minus > plus, -1.0, 1.0)
        if (flip < 0).any():
            fe = finalize(fe.weights * flip[:, layout.block], work, layout, sign_fix=False)
    rho_a = None
    if consistent:
        fe, rho_a = plsc(fe, work, layout)
    wstar = index_weights(fe.weights, sd, layout, standardized, lo, hi, index_kind)
    idx = index_values(wstar, mean, layout, lo, hi)
    ht = htmt_stack(S, layout) if with_htmt else np.empty((S.shape[0], 0, 0))
    return Statistics(it, fe, wstar, idx, ht, rho_a)
