"""The affine prediction maps of PLSpredict (:mod:`csindex.pls.predict`), shared by the
in-memory folds and the out-of-core ones (:mod:`csindex.pls._streaming_predict`): every
training fold's PLS and linear-model predictions are ``ŷ = c + x A``, from the fold's
training means and covariance only."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import EstimationError
from ._algorithm import Layout, finalize, wold

__all__ = ["pls_maps", "lm_maps", "apply_maps", "in_sample"]


def pls_maps(mean: np.ndarray, S: np.ndarray, layout: Layout, target: np.ndarray, technique: str, *,
              scheme: str, tol: float, max_iter: int, rule: str) -> tuple[np.ndarray, np.ndarray, Any]:
    """PLS prediction of the ``target`` items as affine maps ``ŷ = c + x A``: ``A (B, p, q)``, ``c (B, q)``."""
    sd = np.sqrt(np.einsum("bii->bi", S))
    R = S / (sd[:, :, None] * sd[:, None, :])
    it = wold(R, layout, scheme=scheme, tol=tol, max_iter=max_iter, rule=rule)
    fe = finalize(it.weights, R, layout)
    J = layout.J
    exo = np.zeros(J)
    exo[[j for j in range(J) if j not in layout.endogenous]] = 1.0
    if technique == "DA":  # endogenous scores from their predecessors' scores; exogenous kept
        M = fe.paths + np.diag(exo)[None]
    else:  # EA: exogenous scores carried through the total effects, (I - B)^-1
        M = exo[None, :, None] * np.linalg.inv(np.eye(J)[None] - fe.paths)
    Wd = layout.dense(fe.weights)  # (B, p, J)
    lam = fe.loadings[:, target]  # (B, q)
    A_std = (Wd @ M)[:, :, layout.block[target]] * lam[:, None, :]  # standardised items -> standardised targets
    A = A_std * sd[:, None, target] / sd[:, :, None]
    c = mean[:, target] - np.einsum("bp,bpq->bq", mean, A)
    return A, c, it


def lm_maps(mean: np.ndarray, S: np.ndarray, layout: Layout, target: np.ndarray,
             benchmark: str) -> tuple[np.ndarray, np.ndarray]:
    """OLS benchmark as affine maps: each target item on its block's predictors."""
    B, p = mean.shape
    A = np.zeros((B, p, target.size))
    exo_items = np.flatnonzero(~np.isin(layout.block, list(layout.endogenous)))
    tblock = layout.block[target]
    for j in np.unique(tblock):
        cols = np.flatnonzero(tblock == j)
        if benchmark == "seminr":
            preds = np.flatnonzero(layout.block != j)
        else:
            preds = exo_items
        try:
            beta = np.linalg.solve(S[:, preds[:, None], preds[None, :]], S[:, preds[:, None], target[cols][None, :]])
        except np.linalg.LinAlgError:
            raise EstimationError(
                f"The linear-model benchmark for construct {layout.constructs[j]!r} has singular predictors in a "
                f"training fold ({preds.size} items); use fewer folds (larger training sets) or drop redundant items."
            ) from None
        A[:, preds[:, None], cols[None, :]] = beta
    c = mean[:, target] - np.einsum("bp,bpq->bq", mean, A)
    return A, c


def apply_maps(X: np.ndarray, A: np.ndarray, c: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """``c[fit[i]] + X[i] @ A[fit[i]]`` for every row, in row chunks."""
    out = np.empty((X.shape[0], A.shape[2]))
    step = max(1, 2_000_000 // max(1, A.shape[1] * A.shape[2]))
    for a in range(0, X.shape[0], step):
        f = fit[a:a + step]
        out[a:a + step] = c[f] + np.einsum("np,npq->nq", X[a:a + step], A[f])
    return out


def in_sample(X: np.ndarray, A: np.ndarray, c: np.ndarray, fit: np.ndarray, lo: int, K: int) -> np.ndarray:
    """Mean prediction of each row over the folds that trained on it (folds ``lo .. lo+K-1``)."""
    A_sum = A[lo:lo + K].sum(axis=0)
    c_sum = c[lo:lo + K].sum(axis=0)
    own = apply_maps(X, A, c, fit)
    return (c_sum + X @ A_sum - own) / (K - 1)
