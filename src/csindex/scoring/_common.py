"""Helpers shared by the scoring modules: survey/item resolution, sampling weights, weighted
statistics and confidence intervals.

Everything here is vectorised over respondents; nothing prints or warns except through the
public functions that call it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import did_you_mean, quote_list
from ..exceptions import SurveyDataError
from .simple import _row_mean, _weighted_stats

__all__ = ["as_survey", "as_names", "check_items", "sampling_weights", "matrix", "weighted_stats", "row_mean",
           "wilson", "weighted_share", "ratio_of_means_stats", "z_quantile", "composite"]

weighted_stats = _weighted_stats
row_mean = _row_mean


def as_survey(data: Any, scale: tuple[float, float] | None = None, where: str = "this function"):
    """A Survey from a Survey or a DataFrame (loaded with :func:`csindex.load_survey`)."""
    from ..io import load_survey
    from ..survey import Survey

    if isinstance(data, Survey):
        return data
    if isinstance(data, pd.DataFrame):
        if data.empty:
            raise SurveyDataError(f"The DataFrame passed to {where} is empty.")
        return load_survey(data, scale=scale)
    raise SurveyDataError(
        f"{where} expects a Survey or a pandas DataFrame; got {type(data).__name__}. "
        "Load the data with csindex.load_survey first."
    )


def as_names(items: str | Iterable[Any] | None) -> list[str] | None:
    """A list of column names (a single string becomes a one-element list)."""
    if items is None:
        return None
    if isinstance(items, str):
        return [items]
    return [str(i) for i in items]


def check_items(survey: Any, names: Sequence[str], what: str, where: str) -> None:
    """Raise naming the columns that are not in the survey's responses."""
    cols = list(survey.responses.columns)
    unknown = [n for n in names if n not in cols]
    if unknown:
        raise SurveyDataError(
            f"The {what} passed to {where} name columns that the data lacks: {quote_list(unknown)}."
            f"{did_you_mean(unknown[0], cols)}"
        )
    dup = sorted({n for n in names if list(names).count(n) > 1})
    if dup:
        raise SurveyDataError(f"The {what} passed to {where} repeat {quote_list(dup)}; give each item once.")


def sampling_weights(survey: Any, weights: Any, where: str = "this function") -> np.ndarray | None:
    """Sampling weights as a float array, or None.

    ``None`` uses the survey's weights if it has any, ``False`` ignores them, a string names
    a column, anything else is one weight per respondent.
    """
    if weights is None:
        w = survey.weights
    elif weights is False:
        w = None
    elif isinstance(weights, str):
        if weights not in survey.responses.columns:
            raise SurveyDataError(
                f"Weight column {weights!r} passed to {where} is not in the data."
                f"{did_you_mean(weights, survey.responses.columns)}"
            )
        w = pd.to_numeric(survey.responses[weights], errors="coerce")
    else:
        w = np.asarray(weights, dtype=np.float64)
    if w is None:
        return None
    wa = np.asarray(w, dtype=np.float64).ravel()
    if wa.shape != (survey.n,) or np.isnan(wa).any() or (wa < 0).any() or wa.sum() <= 0:
        raise SurveyDataError(
            f"The sampling weights passed to {where} must be {survey.n} non-negative numbers (one per "
            "respondent, no missing values) with a positive sum."
        )
    return wa


def matrix(survey: Any, names: Sequence[str]) -> np.ndarray:
    """Float64 n x k array of the named columns (non-numeric text -> NaN)."""
    frame = survey.responses[list(names)]
    try:
        return frame.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        return frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def composite(survey: Any, name: str) -> np.ndarray | None:
    """Respondent mean of a construct's items (NaN when none answered), or None when ``name``
    is not a construct of the survey."""
    items = survey.constructs.get(name)
    if not items:
        return None
    return row_mean(matrix(survey, items))


def z_quantile(confidence: float) -> float:
    """Two-sided normal quantile for ``confidence``."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence!r}.")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def weighted_share(flags: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise weighted share of True among non-NaN entries of ``flags`` (n x k float with NaN
    for missing), the Kish effective n and the unweighted count of valid answers."""
    valid = ~np.isnan(flags)
    wm = np.where(valid, w[:, None], 0.0)
    wsum = wm.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (np.where(valid, flags, 0.0) * wm).sum(axis=0) / wsum
        n_eff = wsum**2 / (wm**2).sum(axis=0)
    return share, n_eff, valid.sum(axis=0)


def wilson(p: np.ndarray, n_eff: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion with effective sample size ``n_eff`` (vectorised)."""
    p = np.asarray(p, dtype=np.float64)
    n = np.asarray(n_eff, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = 1.0 + z**2 / n
        centre = (p + z**2 / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z**2 / (4.0 * n**2)) / denom
    lo = np.where(p <= 0.0, 0.0, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(p >= 1.0, 1.0, np.clip(centre + half, 0.0, 1.0))
    return lo, hi


def ratio_of_means_stats(num: np.ndarray, den: np.ndarray, w: np.ndarray, confidence: float) -> dict[str, np.ndarray]:
    """Column-wise ratio estimator ``R = Σ w b / Σ w a`` over rows where both are present, with a
    linearisation (delta-method) standard error ``se = sd_w(z) / sqrt(n_eff)``,
    ``z = (b − R a) / ā``, and a t interval."""
    valid = ~(np.isnan(num) | np.isnan(den))
    wm = np.where(valid, w[:, None], 0.0)
    wsum = wm.sum(axis=0)
    b = np.where(valid, num, 0.0)
    a = np.where(valid, den, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mb = (b * wm).sum(axis=0) / wsum
        ma = (a * wm).sum(axis=0) / wsum
        r = mb / ma
        z = np.where(valid, (num - r * den) / ma, np.nan)
    zs = _weighted_stats(z, w, confidence)
    return {"ratio": r, "mean_num": mb, "mean_den": ma, "se": zs["se"], "t": zs["t"], "n": valid.sum(axis=0)}
