"""Loyalty, service and survey-management KPIs.

Survey KPIs (:func:`nps`, :func:`recommendation_rate`, :func:`repurchase_rate`,
:func:`loyalty_matrix`) take respondent-level values, honour sampling weights and
report confidence intervals. Service KPIs (:func:`ticket_kpis`) summarise a ticket
table per period and per channel. Survey management (:func:`return_rate`,
:func:`followup_compliance`) checks the textbook rules: a questionnaire return rate of
at least 70 % and follow-up contacts 1 month, 3 months and 1 year after delivery.
:func:`compare_indices` tests the difference between two groups' 0-100 scores or NPS
by bootstrap or permutation.

Definitions follow METHODS.md §7.3-§7.5. Every function returns a frozen result with a
``summary()``; tables are tidy DataFrames with fixed snake_case columns.

Weights and confidence intervals
--------------------------------
With sampling weights ``w`` a share is the weighted share ``sum(w * x) / sum(w)``, and
its normal-approximation variance uses Kish's effective sample size
``n_eff = (sum w)**2 / sum(w**2)`` in place of ``n`` (``n_eff = n`` without weights).

Examples
--------
>>> import csindex
>>> res = csindex.nps([10, 9, 9, 8, 7, 3, 10, 6])
>>> res.score
25.0
>>> res.promoters, res.passives, res.detractors
(0.5, 0.25, 0.25)
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._summary import Summary, SummaryMixin
from ._validation import check_option, quote_list
from .exceptions import MissingDataWarning, SurveyDataError

__all__ = [
    "NPSResult",
    "RateResult",
    "LoyaltyMatrixResult",
    "TicketKPIResult",
    "ReturnRateResult",
    "FollowupResult",
    "IndexComparisonResult",
    "nps",
    "recommendation_rate",
    "repurchase_rate",
    "loyalty_matrix",
    "ticket_kpis",
    "return_rate",
    "followup_compliance",
    "compare_indices",
]

NPSScale = Literal["0-10", "1-10"]
NPSMapping = Literal["cutoffs", "linear"]
LOYALTY_CATEGORIES = ("loyalty", "latent_loyalty", "spurious_loyalty", "no_loyalty")
_CHUNK_CELLS = 2_000_000  # max cells of one resampling index array (16 MB of int64)


# --------------------------------------------------------------------------- helpers


def _z(confidence: float, where: str) -> float:
    if not (isinstance(confidence, (int, float)) and 0.0 < float(confidence) < 1.0):
        raise ValueError(
            f"The 'confidence' parameter of {where} must be a number strictly between 0 and 1. "
            f"Got {confidence!r} instead."
        )
    from scipy.special import ndtri  # the normal quantile; scipy.stats takes long to import

    return float(ndtri(0.5 + float(confidence) / 2.0))


def _label(values: Any, default: str) -> str:
    name = getattr(values, "name", None)
    return repr(str(name)) if name is not None else default


def _mid(what: str) -> str:
    """``what`` for use mid-sentence: 'The values' -> 'the values', 'NPS item' unchanged."""
    return what[0].lower() + what[1:] if what.startswith(("The ", "Group ", "Column ")) else what


def _to_float(values: Any, what: str, where: str) -> tuple[np.ndarray, pd.Index]:
    """Respondent values as float64 (NaN = missing) and their index; text -> SurveyDataError."""
    if isinstance(values, pd.DataFrame):
        raise SurveyDataError(
            f"{where} takes one column of values, got a DataFrame with columns "
            f"{quote_list(values.columns)}. Pass one column, e.g. df['NPS']."
        )
    if isinstance(values, pd.Series):
        series = values
    else:
        arr = np.asarray(values)
        if arr.dtype.kind in "biuf":  # fast path: already numeric
            arr = arr.astype(float).ravel()
            if np.isinf(arr).any():
                raise SurveyDataError(f"{what} has infinite values in {int(np.isinf(arr).sum())} rows. Recode them.")
            return arr, pd.RangeIndex(len(arr))
        series = pd.Series(np.asarray(values, dtype=object).ravel())
    if series.dtype == bool:
        series = series.astype(float)
    numeric = pd.to_numeric(series, errors="coerce")
    bad = series[numeric.isna() & series.notna()]
    if len(bad):
        counts = bad.astype(str).value_counts()
        listed = _counted(list(counts.index), list(counts.to_numpy()))
        raise SurveyDataError(
            f"{what} has non-numeric values: {listed}. Recode them to numbers or to missing (NaN)."
        )
    arr = numeric.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(arr).any():
        raise SurveyDataError(f"{what} has infinite values in {int(np.isinf(arr).sum())} rows. Recode them.")
    return arr, series.index


def _to_weights(weights: Any, n: int, where: str) -> np.ndarray | None:
    if weights is None:
        return None
    w = pd.to_numeric(pd.Series(np.asarray(weights, dtype=object).ravel()), errors="coerce").to_numpy(float)
    if len(w) != n:
        raise SurveyDataError(
            f"The weights passed to {where} have {len(w)} entries but there are {n} values. "
            "Pass one weight per respondent, in the same order."
        )
    if not np.isfinite(w).all():
        raise SurveyDataError(
            f"The weights passed to {where} have {int((~np.isfinite(w)).sum())} missing or non-numeric "
            "entries. Give every respondent a weight (or drop the respondent)."
        )
    if (w < 0).any():
        raise SurveyDataError(
            f"The weights passed to {where} have {int((w < 0).sum())} negative entries. Weights must be >= 0."
        )
    return w


def _drop_missing(
    x: np.ndarray, w: np.ndarray | None, what: str, where: str
) -> tuple[np.ndarray, np.ndarray, int]:
    """Drop NaN values (warning with the count); return values, weights (ones if None), n dropped."""
    keep = ~np.isnan(x)
    n_missing = int((~keep).sum())
    if not keep.any():
        raise SurveyDataError(
            f"{what} has no valid values ({len(x)} rows, all missing). {where} needs at least one answer."
        )
    if n_missing:
        warnings.warn(
            f"{where}: dropped {n_missing} of {len(x)} rows with a missing value in {_mid(what)}.",
            MissingDataWarning,
            stacklevel=3,
        )
    w_used = np.ones(int(keep.sum())) if w is None else w[keep]
    if w_used.sum() <= 0:
        raise SurveyDataError(f"The weights of the {int(keep.sum())} valid answers passed to {where} sum to 0.")
    return x[keep], w_used, n_missing


def _kish(w: np.ndarray) -> float:
    return float(w.sum() ** 2 / (w**2).sum())


def _wilson(p: np.ndarray | float, n: np.ndarray | float, z: float) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1.0 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def _wald(p: np.ndarray | float, n: np.ndarray | float, z: float) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(p * (1 - p) / np.asarray(n, dtype=float))
    return np.clip(p - half, 0.0, 1.0), np.clip(p + half, 0.0, 1.0)


def _resolve_seed(seed: int | np.random.Generator | None) -> tuple[np.random.Generator, Any]:
    if isinstance(seed, np.random.Generator):
        return seed, "Generator"
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, a numpy Generator or None. Got {seed!r} instead.")
    return np.random.default_rng(int(seed)), int(seed)


def _check_resamples(n_resamples: int, where: str) -> int:
    if not isinstance(n_resamples, (int, np.integer)) or isinstance(n_resamples, bool) or n_resamples < 10:
        raise ValueError(f"The 'n_resamples' parameter of {where} must be an int >= 10. Got {n_resamples!r} instead.")
    return int(n_resamples)


def _bootstrap_means(x: np.ndarray, w: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Weighted means of ``n_resamples`` bootstrap resamples (rows drawn with replacement), batched."""
    n = len(x)
    out = np.empty(n_resamples)
    chunk = max(1, min(n_resamples, _CHUNK_CELLS // max(n, 1)))
    for start in range(0, n_resamples, chunk):  # loop over batches of resamples, not over resamples
        stop = min(start + chunk, n_resamples)
        idx = rng.integers(0, n, size=(stop - start, n))
        wi = w[idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:stop] = (wi * x[idx]).sum(axis=1) / wi.sum(axis=1)
    return out


def _percentile_ci(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    draws = draws[np.isfinite(draws)]
    a = (1 - confidence) / 2
    lo, hi = np.quantile(draws, [a, 1 - a])
    return float(lo), float(hi)


def _counted(values: Sequence[Any], counts: Sequence[int], limit: int = 5) -> str:
    """``'ten' (1 row), 11 (2 rows)``: values with their row counts, stopping after ``limit``."""
    parts = [
        f"{v!r} ({c} row{'s' if c != 1 else ''})" if isinstance(v, str) else f"{v:g} ({c} row{'s' if c != 1 else ''})"
        for v, c in zip(values, counts)
    ]
    if len(parts) > limit:
        return ", ".join(parts[:limit]) + f", and {len(parts) - limit} more"
    return ", ".join(parts)


# --------------------------------------------------------------------------- NPS


def _nps_categories(
    x: np.ndarray, scale: NPSScale, mapping: NPSMapping, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Promoter and detractor masks; values off the scale -> SurveyDataError naming them."""
    lo = 0 if scale == "0-10" else 1
    off = ~np.isin(x, np.arange(lo, 11))
    if off.any():
        vals, counts = np.unique(x[off], return_counts=True)
        listed = _counted([float(v) for v in vals], [int(c) for c in counts])
        raise SurveyDataError(
            f"{what} has values outside the NPS scale {scale} (whole numbers {lo}..10): {listed}. "
            f"Recode them, set them to missing (NaN), or pass scale={'1-10' if lo == 0 else '0-10'!r} "
            "if the item uses the other scale."
        )
    if scale == "1-10" and mapping == "linear":
        promoters = x >= 10
    else:
        promoters = x >= 9
    detractors = x <= 6
    return promoters, detractors


def _nps_points(
    x: np.ndarray, scale: NPSScale, mapping: NPSMapping, what: str
) -> np.ndarray:
    """Per-respondent NPS points: +100 promoter, 0 passive, -100 detractor (mean = NPS)."""
    p, d = _nps_categories(x, scale, mapping, what)
    return 100.0 * (p.astype(float) - d.astype(float))


@dataclass(frozen=True, repr=False)
class NPSResult(SummaryMixin):
    """Net Promoter Score with its confidence interval.

    Attributes
    ----------
    score : float
        NPS in -100..100.
    ci_lower, ci_upper : float
        Confidence limits (see ``settings['confidence']`` and ``settings['method']``).
    std_error : float
        Standard error of the score (NPS points).
    promoters, passives, detractors : float
        (Weighted) shares in 0..1; they sum to 1.
    n : int
        Valid answers used.
    n_missing : int
        Answers dropped as missing.
    n_effective : float
        Kish effective sample size (``n`` without weights).
    table : pandas.DataFrame
        One row per category: ``category, count, weighted_count, share, ci_lower, ci_upper``.
    settings : dict
        ``scale, mapping, confidence, method, weighted, n_resamples, seed``.
    """

    score: float
    ci_lower: float
    ci_upper: float
    std_error: float
    promoters: float
    passives: float
    detractors: float
    n: int
    n_missing: int
    n_effective: float
    table: pd.DataFrame
    settings: dict = field(default_factory=dict)

    @property
    def ci(self) -> tuple[float, float]:
        """``(ci_lower, ci_upper)``."""
        return (self.ci_lower, self.ci_upper)

    def summary(self) -> Summary:
        level = f"{100 * self.settings.get('confidence', 0.95):g}%"
        return Summary(
            "Net Promoter Score",
            facts={
                "NPS": self.score,
                f"{level} CI": f"[{self.ci_lower:.2f}, {self.ci_upper:.2f}]",
                "std_error": self.std_error,
                "n": self.n,
                "n_missing": self.n_missing,
                "n_effective": self.n_effective,
                "scale": self.settings.get("scale"),
                "ci_method": self.settings.get("method"),
            },
            tables={"Categories": self.table},
        )


def nps(
    values: Any,
    *,
    weights: Any = None,
    scale: NPSScale = "0-10",
    mapping: NPSMapping = "cutoffs",
    confidence: float = 0.95,
    method: Literal["wald", "bootstrap"] = "wald",
    n_resamples: int = 2000,
    seed: int | np.random.Generator | None = None,
) -> NPSResult:
    """Net Promoter Score from a likelihood-to-recommend item, with a confidence interval.

    Parameters
    ----------
    values : array-like or pandas.Series
        One answer per respondent; NaN (or None) is missing and is dropped with a
        :class:`~csindex.exceptions.MissingDataWarning` giving the count.
    weights : array-like, optional
        Sampling weights, one per respondent (same order as ``values``), >= 0.
    scale : {"0-10", "1-10"}
        The item's scale. Values must be whole numbers on it.
    mapping : {"cutoffs", "linear"}
        How a 1-10 item is classified (ignored for 0-10). ``"cutoffs"`` (default) keeps
        the standard cut-offs: promoters 9-10, passives 7-8, detractors 1-6; this is also
        what the linear rescale ``(x - 1) * 10 / 9`` to 0-10 followed by rounding to the
        nearest scale point gives. ``"linear"`` applies the rescale without rounding and
        the 0-10 cut-offs (promoter >= 9, detractor <= 6): promoters 10, passives 7-9,
        detractors 1-6.
    confidence : float
        Confidence level of the interval.
    method : {"wald", "bootstrap"}
        ``"wald"``: normal interval from the multinomial variance
        ``Var(P - D) = [P + D - (P - D)**2] / n_eff``; ``"bootstrap"``: percentile interval
        from ``n_resamples`` resamples of respondents (weights travel with them).
    n_resamples : int
        Bootstrap resamples (``method="bootstrap"`` only).
    seed : int, numpy.random.Generator or None
        Bootstrap seed; the resolved seed is stored in ``settings["seed"]``.

    Returns
    -------
    NPSResult

    Raises
    ------
    SurveyDataError
        Values off the scale (named, with counts), text, all values missing, bad weights.

    Notes
    -----
    ``NPS = 100 * (P - D)`` with P, D the (weighted) shares of promoters (9-10) and
    detractors (0-6) among valid answers; passives count in the denominator
    (Reichheld 2003; METHODS.md §7.3). The Wald interval is clipped to [-100, 100]; when
    every answer falls in one category its width is 0 -- prefer the bootstrap, or report
    the count, for very small or one-sided samples.

    Examples
    --------
    >>> res = nps([10, 9, 9, 8, 7, 3, 10, 6])
    >>> res.score, res.n
    (25.0, 8)
    >>> round(res.ci_lower, 2), round(res.ci_upper, 2)
    (-32.46, 82.46)
    >>> nps([10, 9, 7, 3], weights=[1, 1, 2, 4]).score
    -25.0
    """
    where = "nps()"
    check_option("scale", scale, ("0-10", "1-10"), where)
    check_option("mapping", mapping, ("cutoffs", "linear"), where)
    check_option("method", method, ("wald", "bootstrap"), where)
    z = _z(confidence, where)
    what = f"NPS item {_label(values, '')}" if getattr(values, "name", None) is not None else "The NPS item"
    x_all, _ = _to_float(values, what, where)
    w_all = _to_weights(weights, len(x_all), where)
    x, w, n_missing = _drop_missing(x_all, w_all, what, where)
    prom, det = _nps_categories(x, scale, mapping, what)
    total = w.sum()
    p = float(w[prom].sum() / total)
    d = float(w[det].sum() / total)
    passive = ~(prom | det)
    q = float(max(0.0, 1.0 - p - d))
    score = 100.0 * (p - d)
    n_eff = _kish(w)
    se = 100.0 * float(np.sqrt(max(p + d - (p - d) ** 2, 0.0) / n_eff))
    settings: dict[str, Any] = {
        "scale": scale,
        "mapping": mapping if scale == "1-10" else "standard",
        "confidence": float(confidence),
        "method": method,
        "weighted": weights is not None,
        "n_resamples": None,
        "seed": None,
    }
    if method == "wald":
        lo, hi = max(-100.0, score - z * se), min(100.0, score + z * se)
    else:
        n_resamples = _check_resamples(n_resamples, where)
        rng, settings["seed"] = _resolve_seed(seed)
        settings["n_resamples"] = n_resamples
        points = 100.0 * (prom.astype(float) - det.astype(float))
        draws = _bootstrap_means(points, w, n_resamples, rng)
        lo, hi = _percentile_ci(draws, confidence)
        se = float(draws.std(ddof=1))
    counts = np.array([prom.sum(), passive.sum(), det.sum()])
    wcounts = np.array([w[prom].sum(), w[passive].sum(), w[det].sum()])
    shares = np.array([p, q, d])
    c_lo, c_hi = _wilson(shares, n_eff, z)
    table = pd.DataFrame(
        {
            "category": ["promoter", "passive", "detractor"],
            "count": counts.astype("int64"),
            "weighted_count": wcounts.astype(float),
            "share": shares,
            "ci_lower": c_lo,
            "ci_upper": c_hi,
        }
    )
    return NPSResult(
        score=float(score),
        ci_lower=float(lo),
        ci_upper=float(hi),
        std_error=float(se),
        promoters=p,
        passives=q,
        detractors=d,
        n=int(len(x)),
        n_missing=n_missing,
        n_effective=n_eff,
        table=table,
        settings=settings,
    )


# --------------------------------------------------------------------------- rates


@dataclass(frozen=True, repr=False)
class RateResult(SummaryMixin):
    """A (weighted) share with its confidence interval.

    Attributes
    ----------
    kpi : str
        ``"recommendation_rate"`` or ``"repurchase_rate"``.
    rate : float
        The share in 0..1.
    ci_lower, ci_upper : float
        Confidence limits in 0..1.
    std_error : float
        ``sqrt(rate * (1 - rate) / n_effective)``.
    n : int
        Answers in the denominator.
    n_missing : int
        Answers dropped as missing.
    n_excluded : int
        Valid answers left out of the denominator (``base_min``), e.g. non-customers.
    n_effective : float
        Kish effective sample size of the denominator.
    count : float
        (Weighted) numerator.
    settings : dict
        ``threshold, base_min, confidence, method, weighted``.
    """

    kpi: str
    rate: float
    ci_lower: float
    ci_upper: float
    std_error: float
    n: int
    n_missing: int
    n_excluded: int
    n_effective: float
    count: float
    settings: dict = field(default_factory=dict)

    @property
    def ci(self) -> tuple[float, float]:
        """``(ci_lower, ci_upper)``."""
        return (self.ci_lower, self.ci_upper)

    def summary(self) -> Summary:
        level = f"{100 * self.settings.get('confidence', 0.95):g}%"
        return Summary(
            self.kpi.replace("_", " ").capitalize(),
            facts={
                "rate": self.rate,
                f"{level} CI": f"[{self.ci_lower:.4f}, {self.ci_upper:.4f}]",
                "threshold": self.settings.get("threshold"),
                "n": self.n,
                "n_missing": self.n_missing,
                "n_excluded": self.n_excluded,
                "n_effective": self.n_effective,
            },
        )


def _rate(
    kpi: str,
    values: Any,
    threshold: float,
    base_min: float | None,
    weights: Any,
    confidence: float,
    method: str,
    where: str,
) -> RateResult:
    check_option("method", method, ("wilson", "wald"), where)
    z = _z(confidence, where)
    if not isinstance(threshold, (int, float, np.number)) or isinstance(threshold, bool):
        raise ValueError(f"The 'threshold' parameter of {where} must be a number. Got {threshold!r} instead.")
    what = f"Column {_label(values, '')}" if getattr(values, "name", None) is not None else "The values"
    x_all, _ = _to_float(values, what, where)
    w_all = _to_weights(weights, len(x_all), where)
    x, w, n_missing = _drop_missing(x_all, w_all, what, where)
    n_excluded = 0
    if base_min is not None:
        base = x >= base_min
        n_excluded = int((~base).sum())
        if not base.any():
            raise SurveyDataError(
                f"{what}: no value reaches base_min={base_min!r}, so the rate has an empty denominator. "
                "Lower base_min or pass base_min=None to use every valid answer."
            )
        x, w = x[base], w[base]
        if w.sum() <= 0:
            raise SurveyDataError(f"{where}: the weights of the answers in the denominator sum to 0.")
    hit = x >= threshold
    count = float(w[hit].sum())
    rate = count / float(w.sum())
    n_eff = _kish(w)
    lo, hi = (_wilson if method == "wilson" else _wald)(rate, n_eff, z)
    return RateResult(
        kpi=kpi,
        rate=float(rate),
        ci_lower=float(lo),
        ci_upper=float(hi),
        std_error=float(np.sqrt(rate * (1 - rate) / n_eff)),
        n=int(len(x)),
        n_missing=n_missing,
        n_excluded=n_excluded,
        n_effective=n_eff,
        count=count,
        settings={
            "threshold": threshold,
            "base_min": base_min,
            "confidence": float(confidence),
            "method": method,
            "weighted": weights is not None,
        },
    )


def recommendation_rate(
    values: Any,
    *,
    threshold: float = 9,
    weights: Any = None,
    confidence: float = 0.95,
    method: Literal["wilson", "wald"] = "wilson",
) -> RateResult:
    """Share of respondents who would recommend: answers at or above ``threshold``.

    Parameters
    ----------
    values : array-like or pandas.Series
        Recommend item, one answer per respondent; NaN is missing (dropped, with a warning).
    threshold : float
        Smallest answer that counts as "would recommend". The default 9 is the top-2 box
        of a 0-10 or 1-10 item (the NPS promoters); use 4 for the top-2 box of a 1-5 item.
    weights : array-like, optional
        Sampling weights (Kish effective sample size for the CI).
    confidence : float
        Confidence level.
    method : {"wilson", "wald"}
        Interval for a proportion: Wilson score (default; stays inside 0..1 and behaves
        at 0 % and 100 %) or Wald, both with ``n_eff``.

    Returns
    -------
    RateResult

    Notes
    -----
    recommendation rate = respondents who would recommend / valid respondents
    (METHODS.md §7.5).

    Examples
    --------
    >>> res = recommendation_rate([10, 9, 8, 4, 9])
    >>> res.rate
    0.6
    >>> round(res.ci_lower, 4), round(res.ci_upper, 4)
    (0.2307, 0.8824)
    """
    return _rate("recommendation_rate", values, threshold, None, weights, confidence, method, "recommendation_rate()")


def repurchase_rate(
    values: Any,
    *,
    threshold: float = 2,
    base_min: float | None = 1,
    weights: Any = None,
    confidence: float = 0.95,
    method: Literal["wilson", "wald"] = "wilson",
) -> RateResult:
    """Repurchase rate: share of customers at or above ``threshold`` among those at or above ``base_min``.

    Parameters
    ----------
    values : array-like or pandas.Series
        By default, purchases per customer in the period. For a stated repurchase
        intention (e.g. a 1-10 item) pass ``threshold=9, base_min=None``.
    threshold : float
        Smallest value that counts as a repurchase (default 2: at least two purchases).
    base_min : float or None
        Only values >= ``base_min`` enter the denominator (default 1: customers with at
        least one purchase); ``None`` uses every valid value.
    weights, confidence, method
        As in :func:`recommendation_rate`.

    Returns
    -------
    RateResult
        ``n_excluded`` counts the valid values below ``base_min``.

    Notes
    -----
    repurchase rate = customers with >= 2 purchases in the period / customers with >= 1
    purchase (METHODS.md §7.5).

    Examples
    --------
    >>> res = repurchase_rate([0, 1, 2, 3, 1, 0])
    >>> res.rate, res.n, res.n_excluded
    (0.5, 4, 2)
    >>> repurchase_rate([10, 7, 9, 3], threshold=9, base_min=None).rate
    0.5
    """
    return _rate("repurchase_rate", values, threshold, base_min, weights, confidence, method, "repurchase_rate()")


# --------------------------------------------------------------------------- Dick & Basu


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """Weighted median; with equal weights it equals ``numpy.median``."""
    order = np.argsort(x, kind="stable")
    xs, cw = x[order], np.cumsum(w[order]) / w.sum()
    i = int(np.searchsorted(cw, 0.5 - 1e-12))
    if np.isclose(cw[i], 0.5) and i + 1 < len(xs):
        return float((xs[i] + xs[i + 1]) / 2)
    return float(xs[i])


@dataclass(frozen=True, repr=False)
class LoyaltyMatrixResult(SummaryMixin):
    """Dick & Basu (1994) loyalty matrix.

    Attributes
    ----------
    categories : pandas.Series
        Category per respondent (index of the input), a pandas Categorical with
        categories ``loyalty, latent_loyalty, spurious_loyalty, no_loyalty``; respondents
        with a missing measure are missing here (counted in ``n_missing``).
    shares : pandas.DataFrame
        One row per category: ``category, high_attitude, high_patronage, count,
        weighted_count, share, ci_lower, ci_upper`` (Wilson, with ``n_eff``).
    attitude_threshold, patronage_threshold : float
        The thresholds used (resolved when "median").
    n, n_missing : int
        Respondents classified / dropped.
    n_effective : float
        Kish effective sample size.
    settings : dict
    """

    categories: pd.Series
    shares: pd.DataFrame
    attitude_threshold: float
    patronage_threshold: float
    n: int
    n_missing: int
    n_effective: float
    settings: dict = field(default_factory=dict)

    def summary(self) -> Summary:
        return Summary(
            "Dick & Basu loyalty matrix",
            facts={
                "attitude_threshold": self.attitude_threshold,
                "patronage_threshold": self.patronage_threshold,
                "n": self.n,
                "n_missing": self.n_missing,
            },
            tables={"Shares": self.shares},
            notes=("High = at or above the threshold.",),
        )


def loyalty_matrix(
    relative_attitude: Any,
    repeat_patronage: Any,
    *,
    attitude_threshold: float | Literal["median"] = "median",
    patronage_threshold: float | Literal["median"] = "median",
    weights: Any = None,
    confidence: float = 0.95,
) -> LoyaltyMatrixResult:
    """Classify respondents in the Dick & Basu (1994) loyalty matrix.

    High relative attitude and high repeat patronage -> ``loyalty``; high attitude, low
    patronage -> ``latent_loyalty``; low attitude, high patronage -> ``spurious_loyalty``;
    both low -> ``no_loyalty``.

    Parameters
    ----------
    relative_attitude : array-like or pandas.Series
        Relative-attitude measure per respondent (e.g. a 0-100 composite of recommend,
        prefer and feel-loyal items).
    repeat_patronage : array-like or pandas.Series
        Repeat-patronage measure (purchase share or frequency, or stated repurchase),
        same length and order.
    attitude_threshold, patronage_threshold : float or "median"
        A value counts as high when it is **at or above** the threshold. The default
        ``"median"`` uses the (weighted) sample median of the measure; pass a number for
        a scale midpoint or a business rule (METHODS.md §7.4).
    weights : array-like, optional
        Sampling weights.
    confidence : float
        Confidence level of the share intervals.

    Returns
    -------
    LoyaltyMatrixResult

    Raises
    ------
    SurveyDataError
        Lengths differ, non-numeric values, or no respondent has both measures.

    Examples
    --------
    >>> res = loyalty_matrix([80, 90, 20, 30], [5, 1, 6, 0], attitude_threshold=50, patronage_threshold=3)
    >>> list(res.categories)
    ['loyalty', 'latent_loyalty', 'spurious_loyalty', 'no_loyalty']
    >>> res.shares["share"].tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    where = "loyalty_matrix()"
    z = _z(confidence, where)
    ra, index = _to_float(relative_attitude, "The relative-attitude measure", where)
    rp, _ = _to_float(repeat_patronage, "The repeat-patronage measure", where)
    if len(ra) != len(rp):
        raise SurveyDataError(
            f"relative_attitude has {len(ra)} values but repeat_patronage has {len(rp)}. "
            "Pass one value of each per respondent, in the same order."
        )
    w_all = _to_weights(weights, len(ra), where)
    keep = ~(np.isnan(ra) | np.isnan(rp))
    n_missing = int((~keep).sum())
    if not keep.any():
        raise SurveyDataError(
            f"No respondent has both a relative-attitude and a repeat-patronage value ({len(ra)} rows). "
            "loyalty_matrix() needs at least one complete pair."
        )
    if n_missing:
        warnings.warn(
            f"loyalty_matrix(): dropped {n_missing} of {len(ra)} respondents with a missing measure.",
            MissingDataWarning,
            stacklevel=2,
        )
    a, p = ra[keep], rp[keep]
    w = np.ones(len(a)) if w_all is None else w_all[keep]
    if w.sum() <= 0:
        raise SurveyDataError("The weights of the classified respondents sum to 0.")

    def _threshold(value: Any, x: np.ndarray, name: str) -> float:
        if isinstance(value, str):
            check_option(name, value, ("median",), where)
            return _weighted_median(x, w)
        if not isinstance(value, (int, float, np.number)) or isinstance(value, bool) or not np.isfinite(value):
            raise ValueError(f"The {name!r} parameter of {where} must be a number or 'median'. Got {value!r} instead.")
        return float(value)

    t_a = _threshold(attitude_threshold, a, "attitude_threshold")
    t_p = _threshold(patronage_threshold, p, "patronage_threshold")
    hi_a, hi_p = a >= t_a, p >= t_p
    code = np.where(hi_a & hi_p, 0, np.where(hi_a, 1, np.where(hi_p, 2, 3)))
    full = np.full(len(ra), -1)
    full[keep] = code
    cats = pd.Series(
        pd.Categorical.from_codes(full, categories=list(LOYALTY_CATEGORIES)), index=index, name="loyalty_category"
    )
    counts = np.bincount(code, minlength=4)
    wcounts = np.bincount(code, weights=w, minlength=4)
    shares = wcounts / w.sum()
    n_eff = _kish(w)
    lo, hi = _wilson(shares, n_eff, z)
    table = pd.DataFrame(
        {
            "category": list(LOYALTY_CATEGORIES),
            "high_attitude": [True, True, False, False],
            "high_patronage": [True, False, True, False],
            "count": counts.astype("int64"),
            "weighted_count": wcounts.astype(float),
            "share": shares,
            "ci_lower": lo,
            "ci_upper": hi,
        }
    )
    return LoyaltyMatrixResult(
        categories=cats,
        shares=table,
        attitude_threshold=t_a,
        patronage_threshold=t_p,
        n=int(keep.sum()),
        n_missing=n_missing,
        n_effective=n_eff,
        settings={
            "attitude_threshold": attitude_threshold,
            "patronage_threshold": patronage_threshold,
            "confidence": float(confidence),
            "weighted": weights is not None,
        },
    )


# --------------------------------------------------------------------------- service tickets

_TICKET_COLUMNS = (
    "n_tickets",
    "n_complaints",
    "complaint_rate",
    "complaint_rate_ci_lower",
    "complaint_rate_ci_upper",
    "n_responded",
    "response_time_median_h",
    "response_time_median_ci_lower_h",
    "response_time_median_ci_upper_h",
    "response_time_p90_h",
    "n_resolved",
    "resolution_rate",
    "resolution_rate_ci_lower",
    "resolution_rate_ci_upper",
    "n_first_contact_resolved",
    "fcr_rate",
    "fcr_rate_ci_lower",
    "fcr_rate_ci_upper",
    "resolution_time_median_h",
    "resolution_time_median_ci_lower_h",
    "resolution_time_median_ci_upper_h",
    "resolution_time_mean_h",
    "resolution_time_p90_h",
)


@dataclass(frozen=True, repr=False)
class TicketKPIResult(SummaryMixin):
    """Service-ticket KPIs, overall, per period, per channel and per period and channel.

    Every table has the grouping columns (``by`` columns, then ``period`` and/or
    ``channel``) followed by these columns:

    - ``n_tickets``; ``n_complaints``, ``complaint_rate`` (complaints / tickets) with
      ``complaint_rate_ci_lower``/``_ci_upper``;
    - ``n_responded`` (tickets with a first response), ``response_time_median_h`` with
      ``response_time_median_ci_lower_h``/``_ci_upper_h``, ``response_time_p90_h`` (hours
      from opened to first response, among responded tickets);
    - ``n_resolved``, ``resolution_rate`` (resolved / tickets; a ticket never resolved
      counts as unresolved) with its CI;
    - ``n_first_contact_resolved``, ``fcr_rate`` (tickets resolved with one contact /
      tickets) with its CI;
    - ``resolution_time_median_h`` with its CI columns, ``resolution_time_mean_h``,
      ``resolution_time_p90_h`` (hours from opened to resolved, among resolved tickets).

    Percentiles (median, p90) interpolate linearly between order statistics (numpy's
    default, R's type 7). Rates have Wilson intervals; medians have distribution-free order-statistic
    intervals (ranks from Binomial(n, 1/2); ``[min, max]`` when n is too small to reach
    the level, e.g. n < 6 at 95 %), both at ``settings['confidence']``. Time KPIs of a group
    with no responded/resolved ticket are NaN (undefined), with ``n_responded`` /
    ``n_resolved`` = 0 beside them. Columns for a KPI whose input column was not given
    (``complaint=None``, ``contacts=None``) are left out; ``by_channel`` and
    ``by_period_channel`` are ``None`` when ``channel=None``.
    """

    overall: pd.DataFrame
    by_period: pd.DataFrame
    by_channel: pd.DataFrame | None
    by_period_channel: pd.DataFrame | None
    n_tickets: int
    settings: dict = field(default_factory=dict)

    def summary(self) -> Summary:
        tables = {"Overall": self.overall, "By period": self.by_period}
        if self.by_channel is not None:
            tables["By channel"] = self.by_channel
        return Summary(
            "Service-ticket KPIs",
            facts={"n_tickets": self.n_tickets, "period": self.settings.get("period")},
            tables=tables,
            notes=("Times in hours; resolution times among resolved tickets only.",),
        )


def _ticket_ids(frame: pd.DataFrame, ticket_id: str | None) -> pd.Series:
    if ticket_id is None:
        return pd.Series(frame.index, index=frame.index)
    return frame[ticket_id]


def _as_timestamps(col: pd.Series, name: str, ids: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(col):
        return col
    parsed = pd.to_datetime(col, errors="coerce")
    bad = parsed.isna() & col.notna()
    if bad.any():
        raise SurveyDataError(
            f"Column {name!r} has values that are not timestamps for tickets {quote_list(ids[bad].tolist())}: "
            f"{quote_list(col[bad].astype(str).unique().tolist())}. Fix them or set them to missing."
        )
    return parsed


def _median_ci(x: np.ndarray, confidence: float) -> tuple[float, float]:
    """Distribution-free CI of a median from order statistics (binomial(n, 1/2) ranks).

    ``[x_(j), x_(n-j+1)]`` with the largest j such that ``P(B <= j - 1) <= (1 - confidence) / 2``,
    so coverage is at least ``confidence``; when no such j >= 1 exists (n < 6 at 95 %) the
    interval is ``[min, max]``, whose coverage ``1 - 2**(1-n)`` is lower. NaN for n = 0.
    """
    n = len(x)
    if n == 0:
        return float("nan"), float("nan")
    from scipy.stats import binom

    xs = np.sort(x)
    cdf = binom.cdf(np.arange(n), n, 0.5)  # P(B <= k), k = 0..n-1
    ok = np.nonzero(cdf <= (1 - confidence) / 2)[0]
    j = int(ok[-1]) + 1 if len(ok) else 1  # 1-based rank of the lower limit
    j = min(j, (n + 1) // 2)
    return float(xs[j - 1]), float(xs[n - j])


def _ticket_stats(
    g: pd.DataFrame, has_complaint: bool, has_contacts: bool, z: float, confidence: float
) -> dict[str, float]:
    n = len(g)
    out: dict[str, float] = {"n_tickets": n}
    if has_complaint:
        k = int(g["_complaint"].sum())
        lo, hi = _wilson(k / n, n, z)
        out.update(n_complaints=k, complaint_rate=k / n, complaint_rate_ci_lower=float(lo), complaint_rate_ci_upper=float(hi))
    rt = g["_response_h"].dropna().to_numpy()
    rt_lo, rt_hi = _median_ci(rt, confidence)
    out.update(
        n_responded=len(rt),
        response_time_median_h=float(np.median(rt)) if len(rt) else np.nan,
        response_time_median_ci_lower_h=rt_lo,
        response_time_median_ci_upper_h=rt_hi,
        response_time_p90_h=float(np.quantile(rt, 0.9)) if len(rt) else np.nan,
    )
    res = g["_resolution_h"].notna()
    k = int(res.sum())
    lo, hi = _wilson(k / n, n, z)
    out.update(n_resolved=k, resolution_rate=k / n, resolution_rate_ci_lower=float(lo), resolution_rate_ci_upper=float(hi))
    if has_contacts:
        f = int((res & (g["_contacts"] == 1)).sum())
        lo, hi = _wilson(f / n, n, z)
        out.update(n_first_contact_resolved=f, fcr_rate=f / n, fcr_rate_ci_lower=float(lo), fcr_rate_ci_upper=float(hi))
    tt = g["_resolution_h"].dropna().to_numpy()
    tt_lo, tt_hi = _median_ci(tt, confidence)
    out.update(
        resolution_time_median_h=float(np.median(tt)) if len(tt) else np.nan,
        resolution_time_median_ci_lower_h=tt_lo,
        resolution_time_median_ci_upper_h=tt_hi,
        resolution_time_mean_h=float(np.mean(tt)) if len(tt) else np.nan,
        resolution_time_p90_h=float(np.quantile(tt, 0.9)) if len(tt) else np.nan,
    )
    return out


def _ticket_table(
    work: pd.DataFrame, keys: list[str], has_complaint: bool, has_contacts: bool, z: float, confidence: float
) -> pd.DataFrame:
    columns = [
        c
        for c in _TICKET_COLUMNS
        if (has_complaint or "complaint" not in c) and (has_contacts or not c.startswith(("fcr", "n_first_contact")))
    ]
    if keys:
        rows = [
            {**dict(zip(keys, key if isinstance(key, tuple) else (key,))), **_ticket_stats(g, has_complaint, has_contacts, z, confidence)}
            for key, g in work.groupby(keys, sort=True, observed=True, dropna=False)  # one row per group, not per ticket
        ]
    else:
        rows = [_ticket_stats(work, has_complaint, has_contacts, z, confidence)]
    table = pd.DataFrame(rows, columns=[*keys, *columns])
    for c in columns:
        table[c] = table[c].astype("int64" if c.startswith("n_") else float)
    return table


def ticket_kpis(
    tickets: pd.DataFrame,
    *,
    ticket_id: str | None = "ticket_id",
    opened: str = "opened",
    first_response: str = "first_response",
    resolved: str = "resolved",
    channel: str | None = "channel",
    complaint: str | None = "complaint",
    contacts: str | None = "contacts",
    period: str = "M",
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
) -> TicketKPIResult:
    """Service KPIs from a ticket table, per period and per channel.

    Parameters
    ----------
    tickets : pandas.DataFrame
        One row per ticket (customer contact case). Not modified.
    ticket_id : str or None
        Column with the ticket id used in error messages; ``None`` uses the index.
    opened, first_response, resolved : str
        Timestamp columns (datetime, or text that :func:`pandas.to_datetime` parses).
        ``opened`` is required for every ticket; a missing ``first_response`` means not yet
        answered and a missing ``resolved`` means never resolved (counted as unresolved).
    channel : str or None
        Channel column (phone, e-mail, ...); ``None`` skips the per-channel tables.
    complaint : str or None
        Complaint flag (bool or 0/1); ``None`` skips the complaint KPIs.
    contacts : str or None
        Number of contacts the ticket needed (>= 1); a resolved ticket with 1 contact is
        a first-contact resolution. ``None`` skips FCR.
    period : str
        Pandas period alias for the period of the ``opened`` time: "M" month, "Q",
        "W", "D", "Y".
    by : str or list of str, optional
        Extra grouping columns (region, product line) added before period/channel.
    confidence : float
        Confidence level of the Wilson intervals of the rates.

    Returns
    -------
    TicketKPIResult

    Raises
    ------
    SurveyDataError
        A missing column; a ticket without an opened time; timestamps out of order (first
        response or resolution before opened; the message names the tickets); an invalid
        complaint flag or contact count.

    Notes
    -----
    METHODS.md §7.5: complaint rate = complaints / tickets; response time = first
    response - opened; resolution rate = resolved / tickets; FCR = resolved at the first
    contact / tickets; time to resolution = resolved - opened. Per-transaction complaint
    rates need transaction counts: divide ``n_complaints`` by them. Resolution times are
    among resolved tickets only, so they are biased low for recent periods with many
    open tickets.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({
    ...     "ticket_id": ["T1", "T2", "T3"],
    ...     "opened": pd.to_datetime(["2024-01-02 09:00", "2024-01-05 10:00", "2024-02-01 08:00"]),
    ...     "first_response": pd.to_datetime(["2024-01-02 10:00", "2024-01-05 13:00", None]),
    ...     "resolved": pd.to_datetime(["2024-01-02 12:00", None, None]),
    ...     "channel": ["phone", "email", "phone"],
    ...     "complaint": [True, False, True],
    ...     "contacts": [1, 2, 1],
    ... })
    >>> res = ticket_kpis(t)
    >>> res.by_period[["period", "n_tickets", "complaint_rate", "response_time_median_h", "resolution_rate"]]
        period  n_tickets  complaint_rate  response_time_median_h  resolution_rate
    0  2024-01          2             0.5                     2.0              0.5
    1  2024-02          1             1.0                     NaN              0.0
    """
    where = "ticket_kpis()"
    if not isinstance(tickets, pd.DataFrame):
        raise SurveyDataError(f"{where} needs a DataFrame of tickets, got {type(tickets).__name__}.")
    z = _z(confidence, where)
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    needed = {
        "ticket_id": ticket_id,
        "opened": opened,
        "first_response": first_response,
        "resolved": resolved,
        "channel": channel,
        "complaint": complaint,
        "contacts": contacts,
    }
    missing = [f"{v!r} ({k}=)" for k, v in needed.items() if v is not None and v not in tickets.columns]
    missing += [repr(c) + " (by=)" for c in by_cols if c not in tickets.columns]
    if missing:
        raise SurveyDataError(
            f"The ticket table has no column {', '.join(missing)}. Columns: {quote_list(tickets.columns, limit=10)}. "
            "Pass the right column names as keywords."
        )
    if tickets.empty:
        raise SurveyDataError("The ticket table is empty; ticket_kpis() needs at least one ticket.")
    ids = _ticket_ids(tickets, ticket_id)
    t_open = _as_timestamps(tickets[opened], opened, ids)
    t_first = _as_timestamps(tickets[first_response], first_response, ids)
    t_res = _as_timestamps(tickets[resolved], resolved, ids)
    if t_open.isna().any():
        raise SurveyDataError(
            f"Tickets {quote_list(ids[t_open.isna()].tolist())} have no {opened!r} time. "
            "Every ticket needs its opening time; fix or drop them."
        )
    bad_first = (t_first < t_open).fillna(False).astype(bool)
    bad_res = (t_res < t_open).fillna(False).astype(bool)
    if bad_first.any() or bad_res.any():
        problems = [
            f"{i!r} ({'; '.join(p for p, flag in ((f'{first_response} before {opened}', bf), (f'{resolved} before {opened}', br)) if flag)})"
            for i, bf, br in zip(ids[bad_first | bad_res], bad_first[bad_first | bad_res], bad_res[bad_first | bad_res])
        ]
        n_bad = len(problems)
        shown = ", ".join(problems[:5]) + (f", and {n_bad - 5} more" if n_bad > 5 else "")
        raise SurveyDataError(
            f"{n_bad} ticket{'s have' if n_bad > 1 else ' has'} timestamps out of order: {shown}. "
            "Fix the timestamps or drop the ticket."
        )
    work = pd.DataFrame(index=tickets.index)
    for c in by_cols:
        work[c] = tickets[c]
    hours = pd.Timedelta(hours=1)
    work["_response_h"] = (t_first - t_open) / hours
    work["_resolution_h"] = (t_res - t_open) / hours
    try:
        work["period"] = t_open.dt.to_period(period)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"The 'period' parameter of {where} must be a pandas period alias such as 'M', 'Q', 'W', 'D' or 'Y'. "
            f"Got {period!r} instead."
        ) from exc
    if channel is not None:
        ch = tickets[channel]
        if ch.isna().any():
            raise SurveyDataError(
                f"Tickets {quote_list(ids[ch.isna()].tolist())} have no {channel!r}. Fill it (e.g. 'unknown') or pass channel=None."
            )
        work["channel"] = ch.astype(str)
    if complaint is not None:
        raw = tickets[complaint]
        flag = pd.to_numeric(raw.astype(object).replace({True: 1, False: 0}), errors="coerce")
        bad = ~flag.isin([0, 1])
        if bad.any():
            raise SurveyDataError(
                f"Column {complaint!r} must be True/False or 1/0; tickets {quote_list(ids[bad].tolist())} have "
                f"{quote_list(raw[bad].astype(str).unique().tolist())}. Recode them."
            )
        work["_complaint"] = flag.astype(int)
    if contacts is not None:
        cnt = pd.to_numeric(tickets[contacts], errors="coerce")
        resolved_mask = t_res.notna()
        bad = (cnt.isna() & resolved_mask) | (cnt.notna() & ((cnt < 1) | (cnt % 1 != 0)))
        if bad.any():
            raise SurveyDataError(
                f"Column {contacts!r} must be a whole number >= 1 for every resolved ticket; tickets "
                f"{quote_list(ids[bad].tolist())} have {quote_list(tickets[contacts][bad].astype(str).unique().tolist())}."
            )
        work["_contacts"] = cnt
    has_c, has_k = complaint is not None, contacts is not None
    overall = _ticket_table(work, by_cols, has_c, has_k, z, confidence)
    by_period = _ticket_table(work, [*by_cols, "period"], has_c, has_k, z, confidence)
    by_channel = by_pc = None
    if channel is not None:
        by_channel = _ticket_table(work, [*by_cols, "channel"], has_c, has_k, z, confidence)
        by_pc = _ticket_table(work, [*by_cols, "period", "channel"], has_c, has_k, z, confidence)
    return TicketKPIResult(
        overall=overall,
        by_period=by_period,
        by_channel=by_channel,
        by_period_channel=by_pc,
        n_tickets=len(tickets),
        settings={"period": period, "by": by_cols, "confidence": float(confidence)},
    )


# --------------------------------------------------------------------------- survey management


@dataclass(frozen=True, repr=False)
class ReturnRateResult(SummaryMixin):
    """Questionnaire return rate against a target.

    Attributes
    ----------
    rate, ci_lower, ci_upper : float
        returned / invited and its Wilson interval.
    returned, invited : int
    target : float
    target_met : bool
        ``rate >= target`` (the point estimate).
    p_value_below_target : float
        Exact one-sided binomial p-value of H0 "the true rate is >= target"; small values
        mean the rate is significantly below the target.
    settings : dict
    """

    rate: float
    ci_lower: float
    ci_upper: float
    returned: int
    invited: int
    target: float
    target_met: bool
    p_value_below_target: float
    settings: dict = field(default_factory=dict)

    @property
    def ci(self) -> tuple[float, float]:
        """``(ci_lower, ci_upper)``."""
        return (self.ci_lower, self.ci_upper)

    def summary(self) -> Summary:
        return Summary(
            "Questionnaire return rate",
            facts={
                "rate": self.rate,
                "CI": f"[{self.ci_lower:.4f}, {self.ci_upper:.4f}]",
                "returned": self.returned,
                "invited": self.invited,
                "target": self.target,
                "target_met": self.target_met,
                "p_value_below_target": self.p_value_below_target,
            },
        )


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)) or value != int(value) or value < 0:
        raise SurveyDataError(f"{name} must be a whole number >= 0. Got {value!r} instead.")
    return int(value)


def return_rate(
    returned: int,
    invited: int,
    *,
    target: float = 0.70,
    confidence: float = 0.95,
) -> ReturnRateResult:
    """Questionnaire return rate (valid returned / distributed) against the 70 % target.

    Parameters
    ----------
    returned : int
        Valid questionnaires returned.
    invited : int
        Questionnaires distributed (invitations sent).
    target : float
        Target rate in 0..1; the textbook rule is at least 70 % (METHODS.md §7.5).
    confidence : float
        Level of the Wilson interval.

    Returns
    -------
    ReturnRateResult

    Raises
    ------
    SurveyDataError
        Counts not whole numbers, ``invited == 0``, or ``returned > invited``.

    Examples
    --------
    >>> res = return_rate(63, 100)
    >>> res.rate, res.target_met
    (0.63, False)
    >>> round(res.p_value_below_target, 4)
    0.0799
    """
    where = "return_rate()"
    z = _z(confidence, where)
    k, n = _count(returned, "returned"), _count(invited, "invited")
    if n == 0:
        raise SurveyDataError("invited is 0: no questionnaire was distributed, so the return rate is undefined.")
    if k > n:
        raise SurveyDataError(f"returned ({k}) is larger than invited ({n}). Check the counts.")
    if not isinstance(target, (int, float)) or not 0.0 <= float(target) <= 1.0:
        raise ValueError(f"The 'target' parameter of {where} must be a share in 0..1 (0.70 for 70 %). Got {target!r} instead.")
    from scipy.stats import binom

    rate = k / n
    lo, hi = _wilson(rate, n, z)
    return ReturnRateResult(
        rate=float(rate),
        ci_lower=float(lo),
        ci_upper=float(hi),
        returned=k,
        invited=n,
        target=float(target),
        target_met=bool(rate >= target),
        p_value_below_target=float(binom.cdf(k, n, target)),
        settings={"confidence": float(confidence)},
    )


_OFFSET_RE = re.compile(r"^\s*(\d+)\s*([DWMY])\s*$", re.IGNORECASE)


def _offset(spec: Any, name: str) -> pd.DateOffset:
    if isinstance(spec, pd.DateOffset):
        return spec
    m = _OFFSET_RE.match(str(spec))
    if not m:
        raise ValueError(
            f"{name} entries must look like '30D', '2W', '1M', '3M' or '1Y' (number + D/W/M/Y). Got {spec!r} instead."
        )
    k, unit = int(m.group(1)), m.group(2).upper()
    return {"D": pd.DateOffset(days=k), "W": pd.DateOffset(weeks=k), "M": pd.DateOffset(months=k), "Y": pd.DateOffset(years=k)}[unit]


@dataclass(frozen=True, repr=False)
class FollowupResult(SummaryMixin):
    """Follow-up schedule compliance.

    Attributes
    ----------
    milestones : pandas.DataFrame
        One row per milestone: ``milestone, n_due, n_on_time, n_late, n_overdue,
        n_pending, on_time_rate, ci_lower, ci_upper``. ``n_due`` counts deliveries whose
        window has closed by ``as_of`` (on time + late + overdue); ``on_time_rate`` =
        ``n_on_time / n_due`` with a Wilson interval (NaN when ``n_due`` is 0).
    detail : pandas.DataFrame
        One row per delivery and milestone: ``delivery, customer, delivery_date,
        milestone, due_date, window_start, window_end, contact_date, status`` with status
        ``on_time`` (a contact inside the window), ``late`` (the first contact after the
        window, before the next milestone's window), ``overdue`` (window closed, no such
        contact) or ``pending`` (window not closed by ``as_of``, no contact yet).
    overdue : pandas.DataFrame
        The ``overdue`` rows of ``detail`` with ``days_overdue`` (``as_of - window_end``).
    as_of : pandas.Timestamp
    settings : dict
    """

    milestones: pd.DataFrame
    detail: pd.DataFrame
    overdue: pd.DataFrame
    as_of: pd.Timestamp
    settings: dict = field(default_factory=dict)

    def summary(self) -> Summary:
        return Summary(
            "Follow-up schedule compliance",
            facts={"as_of": str(self.as_of.date()), "n_overdue": len(self.overdue), "window": self.settings.get("window")},
            tables={"Milestones": self.milestones},
        )


def followup_compliance(
    deliveries: pd.DataFrame,
    contacts: pd.DataFrame,
    *,
    customer: str = "customer_id",
    delivery_date: str = "delivery_date",
    contact_date: str = "contact_date",
    delivery_id: str | None = None,
    schedule: Sequence[str] = ("1M", "3M", "1Y"),
    window: str | pd.Timedelta = "14D",
    as_of: Any = None,
    confidence: float = 0.95,
) -> FollowupResult:
    """Compliance with the follow-up schedule: contacts due 1 month, 3 months, 1 year after delivery.

    Parameters
    ----------
    deliveries : pandas.DataFrame
        One row per delivery, with ``customer`` and ``delivery_date`` columns.
    contacts : pandas.DataFrame
        One row per follow-up contact, with ``customer`` and ``contact_date`` columns.
    customer, delivery_date, contact_date : str
        Column names.
    delivery_id : str or None
        Column identifying a delivery (used in ``detail``/``overdue``); ``None`` uses the index.
    schedule : sequence of str
        Milestones after delivery, as number + unit (D, W, M, Y). Default: the textbook
        rule of 1 month, 3 months and 1 year (METHODS.md §7.5).
    window : str or pandas.Timedelta
        Tolerance either side of a due date: a contact within ``due ± window`` is on time
        (default 14 days).
    as_of : date-like, optional
        Evaluation date: windows ending after it are ``pending``, and contacts after it
        are ignored. Default: the latest delivery or contact date in the data.
    confidence : float
        Level of the Wilson intervals.

    Returns
    -------
    FollowupResult

    Raises
    ------
    SurveyDataError
        Missing columns, or dates that are missing or not dates (naming the rows).

    Notes
    -----
    Contacts are matched to deliveries by customer. A customer with several deliveries
    whose windows overlap can have one contact count for more than one delivery.

    Examples
    --------
    >>> import pandas as pd
    >>> deliveries = pd.DataFrame({"customer_id": ["A", "B"],
    ...                            "delivery_date": pd.to_datetime(["2024-01-10", "2024-01-20"])})
    >>> contacts = pd.DataFrame({"customer_id": ["A", "A", "B"],
    ...                          "contact_date": pd.to_datetime(["2024-02-12", "2024-04-10", "2024-03-15"])})
    >>> res = followup_compliance(deliveries, contacts, schedule=("1M", "3M"), as_of="2024-06-01")
    >>> res.milestones[["milestone", "n_due", "n_on_time", "n_late", "n_overdue", "on_time_rate"]]
      milestone  n_due  n_on_time  n_late  n_overdue  on_time_rate
    0        1M      2          1       1          0           0.5
    1        3M      2          1       0          1           0.5
    """
    where = "followup_compliance()"
    z = _z(confidence, where)
    for frame, name, cols in (
        (deliveries, "deliveries", (customer, delivery_date) + ((delivery_id,) if delivery_id else ())),
        (contacts, "contacts", (customer, contact_date)),
    ):
        if not isinstance(frame, pd.DataFrame):
            raise SurveyDataError(f"{name} must be a DataFrame, got {type(frame).__name__}.")
        absent = [c for c in cols if c not in frame.columns]
        if absent:
            raise SurveyDataError(
                f"The {name} table has no column {quote_list(absent)}. Columns: {quote_list(frame.columns, limit=10)}. "
                "Pass the right names with customer=, delivery_date=, contact_date=."
            )
    if deliveries.empty:
        raise SurveyDataError("The deliveries table is empty; nothing is due.")
    offsets = [_offset(s, "schedule") for s in schedule]
    if not offsets:
        raise ValueError("schedule is empty; give at least one milestone such as '1M'.")
    win = pd.Timedelta(window) if not isinstance(window, pd.Timedelta) else window
    if win < pd.Timedelta(0):
        raise ValueError(f"window must be >= 0. Got {window!r} instead.")

    def _dates(frame: pd.DataFrame, col: str, name: str) -> pd.Series:
        raw = frame[col]
        parsed = raw if pd.api.types.is_datetime64_any_dtype(raw) else pd.to_datetime(raw, errors="coerce")
        if parsed.isna().any():
            rows = frame.index[parsed.isna()].tolist()
            raise SurveyDataError(
                f"Column {col!r} of the {name} table has missing or unreadable dates in rows {quote_list(rows)}. "
                "Fix or drop those rows."
            )
        return parsed.astype("datetime64[ns]")

    d_dates = _dates(deliveries, delivery_date, "deliveries")
    c_dates = _dates(contacts, contact_date, "contacts")
    dlv = pd.DataFrame(
        {
            "delivery": deliveries[delivery_id].to_numpy() if delivery_id else deliveries.index.to_numpy(),
            "customer": deliveries[customer].to_numpy(),
            "delivery_date": d_dates.to_numpy(),
        }
    )
    dlv["_row"] = np.arange(len(dlv))
    con = pd.DataFrame({"customer": contacts[customer].to_numpy(), "contact_date": c_dates.to_numpy()})
    as_of_ts = (
        pd.Timestamp(max(d_dates.max(), c_dates.max() if len(c_dates) else d_dates.max()))
        if as_of is None
        else pd.Timestamp(as_of)
    )
    names = [str(s) for s in schedule]
    parts = []
    for k, (name, off) in enumerate(zip(names, offsets)):  # loop over milestones (a handful), not deliveries
        part = dlv.copy()
        part["milestone"] = name
        part["_m"] = k
        part["due_date"] = part["delivery_date"] + off
        parts.append(part)
    det = pd.concat(parts, ignore_index=True)
    det["window_start"] = det["due_date"] - win
    det["window_end"] = det["due_date"] + win
    # the late period of a milestone ends where the next milestone's window starts
    nxt = det[["_row", "_m", "window_start"]].copy()
    nxt["_m"] -= 1
    det = det.merge(nxt.rename(columns={"window_start": "_late_end"}), on=["_row", "_m"], how="left")
    det["_late_end"] = det["_late_end"].fillna(pd.Timestamp.max)
    pairs = det[["_row", "_m", "customer", "window_start", "window_end", "_late_end"]].merge(con, on="customer", how="inner")
    in_win = pairs[(pairs["contact_date"] >= pairs["window_start"]) & (pairs["contact_date"] <= pairs["window_end"])]
    late = pairs[(pairs["contact_date"] > pairs["window_end"]) & (pairs["contact_date"] < pairs["_late_end"])
                 & (pairs["contact_date"] <= as_of_ts)]
    first_in = in_win.groupby(["_row", "_m"])["contact_date"].min().rename("_on_time_contact")
    first_late = late.groupby(["_row", "_m"])["contact_date"].min().rename("_late_contact")
    det = det.join(first_in, on=["_row", "_m"]).join(first_late, on=["_row", "_m"])
    on_time = det["_on_time_contact"].notna() & (det["_on_time_contact"] <= as_of_ts)
    closed = det["window_end"] < as_of_ts
    status = np.select(
        [on_time, ~closed, det["_late_contact"].notna()], ["on_time", "pending", "late"], default="overdue"
    )
    det["status"] = pd.Categorical(status, categories=["on_time", "late", "overdue", "pending"])
    det["contact_date"] = det["_on_time_contact"].where(on_time, det["_late_contact"].where(status == "late"))
    det = det.sort_values(["_row", "_m"], kind="stable").reset_index(drop=True)
    counts = pd.crosstab(det["_m"], det["status"], dropna=False).reindex(index=range(len(names)), fill_value=0)
    n_on, n_late, n_over, n_pend = (counts[c].to_numpy() for c in ("on_time", "late", "overdue", "pending"))
    n_due = n_on + n_late + n_over
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n_due > 0, n_on / np.maximum(n_due, 1), np.nan)
    lo, hi = _wilson(rate, np.where(n_due > 0, n_due, np.nan), z)
    milestones = pd.DataFrame(
        {
            "milestone": names,
            "n_due": n_due.astype("int64"),
            "n_on_time": n_on.astype("int64"),
            "n_late": n_late.astype("int64"),
            "n_overdue": n_over.astype("int64"),
            "n_pending": n_pend.astype("int64"),
            "on_time_rate": rate.astype(float),
            "ci_lower": np.where(n_due > 0, lo, np.nan),
            "ci_upper": np.where(n_due > 0, hi, np.nan),
        }
    )
    detail = det[["delivery", "customer", "delivery_date", "milestone", "due_date", "window_start", "window_end",
                  "contact_date", "status"]].copy()
    overdue = detail[detail["status"] == "overdue"].drop(columns=["contact_date", "status"]).reset_index(drop=True)
    overdue["days_overdue"] = ((as_of_ts - overdue["window_end"]) / pd.Timedelta(days=1)).astype(float)
    return FollowupResult(
        milestones=milestones,
        detail=detail,
        overdue=overdue,
        as_of=as_of_ts,
        settings={"schedule": tuple(names), "window": str(win), "confidence": float(confidence)},
    )


# --------------------------------------------------------------------------- index comparison


@dataclass(frozen=True, repr=False)
class IndexComparisonResult(SummaryMixin):
    """Difference between two groups' indices (``a - b``) with CI and p-value.

    Attributes
    ----------
    estimate_a, estimate_b : float
        The two groups' (weighted) mean 0-100 scores, or NPS.
    difference : float
        ``estimate_a - estimate_b``.
    ci_lower, ci_upper : float
        Confidence interval of the difference: bootstrap percentile for
        ``method="bootstrap"``, normal (linearised weighted SEs) for ``"permutation"``.
    std_error : float
    p_value : float
        Two-sided p-value of H0 "no difference".
    n_a, n_b : int
    settings : dict
        ``statistic, method, n_resamples, seed, confidence``.
    """

    estimate_a: float
    estimate_b: float
    difference: float
    ci_lower: float
    ci_upper: float
    std_error: float
    p_value: float
    n_a: int
    n_b: int
    settings: dict = field(default_factory=dict)

    @property
    def ci(self) -> tuple[float, float]:
        """``(ci_lower, ci_upper)``."""
        return (self.ci_lower, self.ci_upper)

    def summary(self) -> Summary:
        table = pd.DataFrame(
            {
                "estimate_a": [self.estimate_a],
                "estimate_b": [self.estimate_b],
                "difference": [self.difference],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
                "p_value": [self.p_value],
            }
        )
        return Summary(
            f"Index comparison ({self.settings.get('statistic')}, {self.settings.get('method')})",
            facts={"n_a": self.n_a, "n_b": self.n_b, "n_resamples": self.settings.get("n_resamples")},
            tables={"Difference": table},
        )


def _weighted_mean_se(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    total = w.sum()
    mean = float((w * x).sum() / total)
    n = len(x)
    if n < 2:
        return mean, float("nan")
    var = n / (n - 1) * float((w**2 * (x - mean) ** 2).sum()) / total**2
    return mean, float(np.sqrt(var))


def compare_indices(
    a: Any,
    b: Any,
    *,
    weights_a: Any = None,
    weights_b: Any = None,
    statistic: Literal["mean", "nps"] = "mean",
    scale: NPSScale = "0-10",
    mapping: NPSMapping = "cutoffs",
    method: Literal["bootstrap", "permutation"] = "bootstrap",
    n_resamples: int = 9999,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = None,
) -> IndexComparisonResult:
    """Compare two groups' indices (segments or waves): difference, CI and p-value.

    Parameters
    ----------
    a, b : array-like
        Respondent-level values of the two groups: 0-100 index scores for
        ``statistic="mean"``, likelihood-to-recommend answers for ``statistic="nps"``.
        NaN is missing (dropped, with a warning).
    weights_a, weights_b : array-like, optional
        Sampling weights of each group (weights travel with their respondents when
        resampling).
    statistic : {"mean", "nps"}
        ``"mean"``: the (weighted) mean score; ``"nps"``: the NPS (:func:`nps`).
    scale, mapping
        NPS scale and 1-10 mapping, as in :func:`nps` (``statistic="nps"`` only).
    method : {"bootstrap", "permutation"}
        ``"bootstrap"``: resample each group with replacement; CI = percentile interval
        of the resampled differences, p-value from the bootstrap distribution centred at
        0: ``(1 + #{|d* - d| >= |d|}) / (R + 1)``. ``"permutation"``: reshuffle the group
        labels of the pooled respondents; p-value ``(1 + #{|d*| >= |d|}) / (R + 1)`` (exact
        under exchangeability); the CI is then the normal interval from the linearised
        (weighted) standard errors.
    n_resamples : int
        Resamples R (>= 10).
    confidence : float
        CI level.
    seed : int, numpy.random.Generator or None
        Random seed; the resolved seed is stored in ``settings["seed"]``.

    Returns
    -------
    IndexComparisonResult

    Notes
    -----
    Resamples are drawn as batched index arrays (no Python loop per resample). The NPS
    of a group is the weighted mean of per-respondent points (+100 promoter, 0 passive,
    -100 detractor), so both statistics share one implementation.

    Examples
    --------
    >>> res = compare_indices([80, 75, 90, 85, 70], [60, 65, 70, 55, 62], method="permutation",
    ...                       n_resamples=999, seed=1)
    >>> res.difference
    17.6
    >>> res.p_value < 0.05
    True
    """
    where = "compare_indices()"
    check_option("statistic", statistic, ("mean", "nps"), where)
    check_option("method", method, ("bootstrap", "permutation"), where)
    check_option("scale", scale, ("0-10", "1-10"), where)
    check_option("mapping", mapping, ("cutoffs", "linear"), where)
    z = _z(confidence, where)
    n_resamples = _check_resamples(n_resamples, where)
    groups = []
    for vals, wts, label in ((a, weights_a, "a"), (b, weights_b, "b")):
        what = f"Group {label!r}"
        x, _ = _to_float(vals, what, where)
        w = _to_weights(wts, len(x), where)
        x, w, _ = _drop_missing(x, w, what, where)
        if statistic == "nps":
            x = _nps_points(x, scale, mapping, what)
        groups.append((x, w))
    (xa, wa), (xb, wb) = groups
    rng, seed_used = _resolve_seed(seed)
    ma, sea = _weighted_mean_se(xa, wa)
    mb, seb = _weighted_mean_se(xb, wb)
    diff = ma - mb
    if method == "bootstrap":
        draws = _bootstrap_means(xa, wa, n_resamples, rng) - _bootstrap_means(xb, wb, n_resamples, rng)
        lo, hi = _percentile_ci(draws, confidence)
        se = float(draws.std(ddof=1))
        p = (1 + int((np.abs(draws - diff) >= abs(diff) - 1e-12).sum())) / (n_resamples + 1)
    else:
        x = np.concatenate([xa, xb])
        w = np.concatenate([wa, wb])
        n, na = len(x), len(xa)
        draws = np.empty(n_resamples)
        chunk = max(1, min(n_resamples, _CHUNK_CELLS // n))
        for start in range(0, n_resamples, chunk):  # batches of permutations
            stop = min(start + chunk, n_resamples)
            perm = rng.permuted(np.tile(np.arange(n), (stop - start, 1)), axis=1)
            wp, xp = w[perm], x[perm]
            wx = wp * xp
            with np.errstate(invalid="ignore", divide="ignore"):
                draws[start:stop] = wx[:, :na].sum(1) / wp[:, :na].sum(1) - wx[:, na:].sum(1) / wp[:, na:].sum(1)
        p = (1 + int((np.abs(draws) >= abs(diff) - 1e-12).sum())) / (n_resamples + 1)
        se = float(np.sqrt(sea**2 + seb**2))
        lo, hi = diff - z * se, diff + z * se
    return IndexComparisonResult(
        estimate_a=ma,
        estimate_b=mb,
        difference=float(diff),
        ci_lower=float(lo),
        ci_upper=float(hi),
        std_error=float(se),
        p_value=float(p),
        n_a=len(xa),
        n_b=len(xb),
        settings={
            "statistic": statistic,
            "method": method,
            "n_resamples": n_resamples,
            "seed": seed_used,
            "confidence": float(confidence),
            "weighted": weights_a is not None or weights_b is not None,
        },
    )
