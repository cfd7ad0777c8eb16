"""``missing="em"`` for PLS: every respondent with at least one answer is used.

1. The item means and covariance are estimated by EM under multivariate normality
   (:mod:`csindex._em`; weighted sufficient statistics under sampling weights).
2. The PLS iteration runs on that covariance, and the 0-100 index uses the EM means
   (the engine only needs ``(mean, S)``; see :mod:`csindex.pls._algorithm`).
3. Each respondent's missing answers are replaced by their conditional expectation given
   the observed ones, ``E[x_m | x_o]`` under the EM estimates, so construct scores (outer
   weights applied to the completed items) exist for every respondent. Their weighted mean
   equals the EM mean; their variance is smaller than the model's (a conditional
   expectation varies less than the answer it stands for).

The bootstrap re-runs EM in every resample (:func:`resample_moments`): the resampling counts
times the sampling weights weight the same per-pattern sufficient statistics, and EM starts
from the full-sample estimates, all resamples of a chunk in one stack.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _em
from .._em import Patterns, conditional_mean, em_stack, patterns
from .._validation import quote_list
from ..exceptions import (
    ConvergenceWarning,
    EstimationError,
    MissingDataWarning,
    SurveyDataError,
)

__all__ = ["EMFit", "prepare_em", "run_em", "report_em", "resample_moments"]


@dataclass(frozen=True)
class EMFit:
    """The EM estimates of a fit and what a bootstrap needs to re-run EM."""

    patterns: Patterns
    mean: np.ndarray  # (p,)
    cov: np.ndarray  # (p, p), divisor Σw
    iterations: int
    converged: bool
    change: float


def prepare_em(X: np.ndarray, w: np.ndarray | None, rows: Any, items: list[str], report: dict[str, Any],
               worst: list[str], stacklevel: int) -> tuple[np.ndarray, np.ndarray | None, Any, EMFit]:
    """Drop the respondents without any model answer, run EM on the others and complete
    their missing answers by conditional expectation. Updates ``report`` and warns
    (:class:`MissingDataWarning` with the counts; :class:`ConvergenceWarning` if EM stops at
    its iteration limit)."""
    nan = np.isnan(X)
    n_total = X.shape[0]
    keep = ~nan.all(axis=1)
    n_none = int(n_total - keep.sum())
    if not keep.any():
        raise SurveyDataError(f"All {n_total} respondents miss every model item; there is nothing to estimate.")
    if n_none:
        X, nan, rows = X[keep], nan[keep], rows[keep]
        w = None if w is None else w[keep]
    empty = [items[k] for k in np.flatnonzero(nan.all(axis=0))]
    if empty:
        raise SurveyDataError(f"Item(s) {quote_list(empty)} have no answers at all; drop them from the model.")
    if w is not None and not w.sum() > 0:
        raise SurveyDataError("The sampling weights of the respondents used sum to 0.")
    fit = run_em(X, w, items)
    filled = conditional_mean(fit.patterns, fit.mean, fit.cov)
    report_em(report, fit, n_total=n_total, n_used=X.shape[0], n_none=n_none, cells=int(nan.sum()), worst=worst,
              stacklevel=stacklevel + 1)
    return filled, w, rows, fit


def run_em(X: np.ndarray, w: np.ndarray | None, items: list[str]) -> EMFit:
    """EM on the rows of ``X`` (each with at least one answer; NaN = missing), weights ``w``.

    Out of core (:mod:`csindex.pls._streaming_em`) ``X`` holds a few pseudo-rows per
    missing-data pattern with the pattern's weighted count, sums and cross-products: EM
    sees the data only through those, so the estimates are the same."""
    P = patterns(X, w)
    K = (np.ones(X.shape[0]) if w is None else w)[None]
    res = em_stack(P, K, tol=_em.EM_TOL, max_iter=_em.EM_MAX_ITER)
    if res.singular[0]:
        vif = res.vif[0]
        bad = [items[k] for k in np.argsort(-vif) if vif[k] > 1e6][:4] or [items[int(np.argmax(vif))]]
        raise EstimationError(
            f"EM for the missing answers stopped: item(s) {quote_list(bad)} are (almost) perfectly collinear, "
            f"so their covariance matrix is singular (variance inflation {vif.max():.3g}). Drop the redundant "
            "item(s), or use missing='listwise'.")
    return EMFit(P, res.mean[0], res.cov[0], int(res.iterations[0]), bool(res.converged[0]), float(res.change[0]))


def report_em(report: dict[str, Any], fit: EMFit, *, n_total: int, n_used: int, n_none: int, cells: int,
              worst: list[str], stacklevel: int) -> None:
    """Record the EM counts in ``report`` and warn (:class:`MissingDataWarning` with the counts;
    :class:`ConvergenceWarning` if EM stopped at its iteration limit)."""
    G = int(fit.patterns.G)
    report.update(rows_dropped=n_none, cells_imputed=cells, n_patterns=G,
                  em_iterations=fit.iterations, em_converged=fit.converged)
    dropped = (f"; {n_none} respondents with no answer on any model item were dropped" if n_none else "")
    warnings.warn(
        f"{report['rows_affected']} of {n_total} respondents have missing answers on model items "
        f"({report['cells_missing']} cells; most missing: {', '.join(worst)}). EM estimated the item means and "
        f"covariance from all {n_used} respondents with at least one answer ({G} missing-data patterns) "
        f"and imputed {cells} cells by their conditional expectation{dropped}.",
        MissingDataWarning, stacklevel=stacklevel)
    if not fit.converged:
        warnings.warn(
            f"EM for the missing answers did not converge within {_em.EM_MAX_ITER} iterations (last change "
            f"{fit.change:.3g} >= {_em.EM_TOL:g}; {cells} missing cells of {n_used} respondents in {G} patterns). "
            "Check items with very few answers, or use missing='mean' or 'listwise'.",
            ConvergenceWarning, stacklevel=stacklevel)


def resample_moments(em: EMFit, w: np.ndarray | None, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EM means ``(B, p)``, covariances ``(B, p, p)`` and convergence ``(B,)`` of resamples
    given by resampling counts ``(B, n)`` (times the sampling weights), started from the
    full-sample estimates, to the tolerance ``EM_RESAMPLE_TOL`` (1e-7: the largest change of a
    mean in SDs or a covariance in SD products; far below the resampling variation)."""
    K = counts.astype(float)
    if w is not None:
        K *= w
    res = em_stack(em.patterns, K, start=(em.mean, em.cov), tol=_em.EM_RESAMPLE_TOL, max_iter=_em.EM_MAX_ITER)
    return res.mean, res.cov, res.converged
