"""The affine prediction maps of PLSpredict (:mod:`csindex.pls.predict`), shared by the
in-memory folds and the out-of-core ones (:mod:`csindex.pls._streaming_predict`): every
training fold's PLS and linear-model predictions are ``ŷ = c + x A``, from the fold's
training means and covariance only."""

from __future__ import annotations

from typing import Any

import numpy as np

import warnings

from ..exceptions import ConvergenceWarning, EstimationError, SurveyDataError
from ._algorithm import Layout, finalize, wold

__all__ = ["pls_maps", "lm_maps", "fold_maps", "apply_maps", "in_sample"]


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


def fold_maps(mean: np.ndarray, S: np.ndarray, n_train_min: int, layout: Layout, target: np.ndarray,
              technique: str, benchmark: str, *, scheme: str, tol: float, max_iter: int, rule: str,
              stacklevel: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any]:
    """The PLS and LM prediction maps of every training fold (moments ``mean (F, p)``,
    ``S (F, p, p)``), after checking each training fold has 3 respondents and no constant item;
    warns (naming how many) when training fits did not converge. Returns the maps and the
    iteration record (``converged``, ``iterations``). Shared by the in-memory and the
    out-of-core PLSpredict."""
    if n_train_min < 3:
        raise SurveyDataError(f"A training fold has only {n_train_min} respondents; use fewer folds.")
    sd = np.sqrt(np.einsum("bii->bi", S))
    const = np.argwhere(~(sd > 1e-12 * np.maximum(1.0, np.abs(mean))))
    if const.size:
        raise SurveyDataError(f"Item {layout.items[const[0][1]]!r} is constant in the training rows of a fold "
                              f"({const.shape[0]} fold/item pairs); PLS cannot weight it. Use fewer folds or drop "
                              "the item.")
    A, c, it = pls_maps(mean, S, layout, target, technique, scheme=scheme, tol=tol, max_iter=max_iter, rule=rule)
    A_lm, c_lm = lm_maps(mean, S, layout, target, benchmark)
    not_conv = int((~it.converged).sum())
    if not_conv:
        warnings.warn(f"{not_conv} of {it.converged.size} training fits did not converge within max_iter={max_iter}; "
                      "their predictions use the last weights. Raise max_iter or loosen tol.",
                      ConvergenceWarning, stacklevel=stacklevel + 1)
    return A, c, A_lm, c_lm, it


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
