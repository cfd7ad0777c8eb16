"""Weighted descriptive statistics and intervals shared by every module: one place, one definition.

statsmodels does the statistics where it fits (``DescrStatsW`` for weighted means and their
standard errors). It is imported inside the functions because importing statsmodels costs about
half a second and ``import csindex`` must stay light. The Wilson interval is the closed form
(tested equal to statsmodels' ``proportion_confint``): statsmodels' proportion module imports
``scipy.stats``, a sixth of the report's cold-start budget. The batched numpy kernels elsewhere (bootstrap, row-block scoring) stay numpy:
there a Python-level statsmodels call per resample would be the bottleneck.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._params import check_param
from .exceptions import SurveyDataError

__all__ = ["check_weights", "z_quantile", "wilson_interval", "weighted_mean_se", "kish_n", "percentile_interval"]


def check_weights(weights: Any, n: int, where: str, index: pd.Index | None = None) -> np.ndarray | None:
    """Sampling weights as a float array of length ``n``, or ``None``.

    A :class:`pandas.Series` is aligned on ``index`` (the responses' index) when one is given:
    weights are matched to respondents by label, never by position. A Series whose labels do
    not match is refused.

    Raises
    ------
    SurveyDataError
        Wrong length, unmatched labels, missing/non-numeric/infinite or negative weights, or a
        zero sum; the message says how many and how to fix it.

    Examples
    --------
    >>> import pandas as pd
    >>> check_weights(pd.Series([5.0, 1.0], index=[1, 0]), 2, "f", index=pd.RangeIndex(2)).tolist()
    [1.0, 5.0]
    """
    if weights is None:
        return None
    if isinstance(weights, pd.Series) and index is not None:
        if not weights.index.equals(index):
            missing = index.difference(weights.index)
            extra = weights.index.difference(index)
            if len(missing) or len(extra) or weights.index.has_duplicates:
                raise SurveyDataError(
                    f"The weights passed to {where} are a Series whose index does not match the responses' "
                    f"index ({len(missing)} respondents without a weight, {len(extra)} labels not among the "
                    "respondents). Pass a Series indexed like the responses, or a plain array in row order."
                )
            weights = weights.reindex(index)
    w = pd.to_numeric(pd.Series(np.asarray(weights, dtype=object).ravel()), errors="coerce").to_numpy(float)
    if len(w) != n:
        raise SurveyDataError(
            f"The weights passed to {where} have {len(w)} entries but there are {n} respondents. "
            "Pass one weight per respondent, in the same order."
        )
    bad = ~np.isfinite(w)
    if bad.any():
        raise SurveyDataError(
            f"The weights passed to {where} have {int(bad.sum())} missing, non-numeric or infinite entries "
            f"(first at row {int(np.flatnonzero(bad)[0])}). Give every respondent a finite weight."
        )
    if (w < 0).any():
        raise SurveyDataError(
            f"The weights passed to {where} have {int((w < 0).sum())} negative entries "
            f"(first at row {int(np.flatnonzero(w < 0)[0])}). Weights must be >= 0."
        )
    if w.sum() <= 0:
        raise SurveyDataError(f"The weights passed to {where} sum to 0. At least one weight must be positive.")
    return w


def z_quantile(confidence: float, where: str = "this function") -> float:
    """Two-sided standard-normal quantile for ``confidence`` (0.95 -> 1.95996...).

    Examples
    --------
    >>> round(z_quantile(0.95), 6)
    1.959964
    """
    from scipy.special import ndtri

    return float(ndtri(0.5 + check_param("confidence", confidence, where=where) / 2.0))


def wilson_interval(p: Any, n_eff: Any, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of proportions ``p`` with (effective) sample sizes ``n_eff``.

    The closed form (Wilson 1927): centre ``(p + z²/2n) / (1 + z²/n)``, half-width
    ``z / (1 + z²/n) · sqrt(p(1 − p)/n + z²/4n²)``. Hand-written rather than statsmodels'
    ``proportion_confint(method="wilson")`` because importing ``statsmodels.stats.proportion``
    pulls in ``scipy.stats`` (half a second of the report's three-second cold start); the tests
    check it equals statsmodels to 1e-12. A proportion of 0 (1) has its lower (upper) bound
    exactly 0 (1). Non-positive ``n_eff`` gives NaN bounds.

    Examples
    --------
    >>> lo, hi = wilson_interval(0.5, 100)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.4038, 0.5962)
    """
    z = z_quantile(confidence, "wilson_interval")
    p = np.asarray(p, dtype=np.float64)
    n = np.asarray(n_eff, dtype=np.float64)
    p_b, n_b = np.broadcast_arrays(p, n)
    ok = n_b > 0
    n_ok = np.where(ok, n_b, 1.0)
    z2n = z * z / n_ok
    centre = (p_b + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * np.sqrt(np.clip(p_b * (1.0 - p_b), 0.0, None) / n_ok + z2n / (4.0 * n_ok))
    lo = np.where(ok, np.clip(centre - half, 0.0, 1.0), np.nan)
    hi = np.where(ok, np.clip(centre + half, 0.0, 1.0), np.nan)
    lo = np.where(p_b <= 0.0, np.where(ok, 0.0, np.nan), lo)
    hi = np.where(p_b >= 1.0, np.where(ok, 1.0, np.nan), hi)
    return lo, hi


def weighted_mean_se(x: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float]:
    """Weighted mean and its standard error (``DescrStatsW``, effective-n correction).

    Sampling weights are rescaled to sum to the Kish effective sample size before
    ``DescrStatsW`` (``ddof=1``) computes ``std_mean``, so unit weights give the textbook
    s / sqrt(n).

    Examples
    --------
    >>> import numpy as np
    >>> m, se = weighted_mean_se(np.array([1.0, 2.0, 3.0, 4.0]))
    >>> m, round(se, 6)
    (2.5, 0.645497)
    """
    from statsmodels.stats.weightstats import DescrStatsW

    x = np.asarray(x, dtype=np.float64)
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=np.float64)
    w_eff = w * (kish_n(w) / w.sum())  # weights that sum to the effective sample size
    d = DescrStatsW(x, weights=w_eff, ddof=1)
    return float(d.mean), float(d.std_mean)


def kish_n(w: np.ndarray) -> float:
    """Kish effective sample size (sum w)^2 / sum w^2.

    Examples
    --------
    >>> kish_n(np.array([1.0, 1.0, 2.0]))
    2.6666666666666665
    """
    w = np.asarray(w, dtype=np.float64)
    return float(w.sum() ** 2 / (w**2).sum())


def percentile_interval(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of finite bootstrap draws.

    Examples
    --------
    >>> percentile_interval(np.arange(101.0), 0.9)
    (5.0, 95.0)
    """
    draws = np.asarray(draws, dtype=np.float64)
    draws = draws[np.isfinite(draws)]
    a = (1 - confidence) / 2
    lo, hi = np.quantile(draws, [a, 1 - a])
    return float(lo), float(hi)
