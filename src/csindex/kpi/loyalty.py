"""Loyalty KPIs: Net Promoter Score, recommendation and repurchase rates, the Dick & Basu matrix.

Survey KPIs take respondent-level values, honour sampling weights and report confidence
intervals (METHODS.md §7.3-§7.4). With sampling weights ``w`` a share is the weighted share
``sum(w * x) / sum(w)``, and its normal-approximation variance uses Kish's effective sample
size ``n_eff = (sum w)**2 / sum(w**2)`` in place of ``n``.

Examples
--------
>>> res = nps([10, 9, 9, 8, 7, 3, 10, 6])
>>> res.score
25.0
>>> res.promoters, res.passives, res.detractors
(0.5, 0.25, 0.25)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._params import AnyOf, Count, Interval, Options, check_param, renamed
from .._random import resolve_seed
from .._resampling import bootstrap_means
from .._results import ResultMixin
from ..plots import bar_plot
from .._summary import Summary
from .._weighted import check_weights, kish_n, percentile_interval, wilson_interval, z_quantile
from ..exceptions import MissingDataWarning, ParameterError, SurveyDataError
from .inputs import counted, drop_missing, label, respondent_values

__all__ = [
    "NPSResult",
    "RateResult",
    "LoyaltyMatrixResult",
    "LOYALTY_CATEGORIES",
    "nps",
    "nps_points",
    "recommendation_rate",
    "repurchase_rate",
    "loyalty_matrix",
]

NPSScale = Literal["0-10", "1-10"]
NPSMapping = Literal["cutoffs", "linear"]
LOYALTY_CATEGORIES = ("loyalty", "latent_loyalty", "spurious_loyalty", "no_loyalty")


def _wald(p: np.ndarray | float, n: np.ndarray | float, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Normal (Wald) interval of a proportion, clipped to [0, 1]."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(p * (1 - p) / np.asarray(n, dtype=float))
    return np.clip(p - half, 0.0, 1.0), np.clip(p + half, 0.0, 1.0)


# --------------------------------------------------------------------------- NPS


def _nps_scale(scale: Any, mapping: str, x: np.ndarray, what: str) -> tuple[float, float, str]:
    """-> (scale min, scale max, label) of an NPS item; a scale other than 0-10/1-10 needs mapping="linear"."""
    if scale is None:  # not declared: 0-10, unless the answers cannot be on a 0-10 item
        if len(x) and float(np.min(x)) >= 1 and float(np.max(x)) <= 7:
            raise SurveyDataError(
                f"{what} has no answer above {float(np.max(x)):g}, so it looks like a shorter scale (e.g. 1-7), "
                "not the 0-10 likelihood-to-recommend item the NPS is defined on (read as 0-10, a 1-7 item's "
                "answers would be nearly all detractors). Pass the item's scale, e.g. scale=(1, 7), with mapping='linear' "
                "to rescale it onto 0-10, or scale='0-10' if it really is a 0-10 item."
            )
        return 0.0, 10.0, "0-10"
    if isinstance(scale, str):
        check_param("scale", scale, Options("0-10", "1-10"), "nps()")
        return (0.0 if scale == "0-10" else 1.0), 10.0, scale
    try:
        lo, hi = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise ParameterError(f"The 'scale' parameter of nps() must be '0-10', '1-10' or a (min, max) pair. "
                             f"Got {scale!r} instead.") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ParameterError(f"The 'scale' parameter of nps() must have min < max. Got {scale!r} instead.")
    if (lo, hi) in ((0.0, 10.0), (1.0, 10.0)):
        return lo, hi, f"{lo:g}-{hi:g}"
    if mapping != "linear":
        raise SurveyDataError(
            f"{what} is on a {lo:g}-{hi:g} scale, but the NPS is defined on a 0-10 item. Pass mapping='linear' "
            f"to rescale (x - {lo:g}) * 10 / {hi - lo:g} onto 0-10 before the cut-offs (promoter >= 9, "
            "detractor <= 6), or use a 0-10 item."
        )
    return lo, hi, f"{lo:g}-{hi:g}"


def _nps_categories(
    x: np.ndarray, scale: Any, mapping: NPSMapping, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Promoter and detractor masks; values off the scale -> SurveyDataError naming them."""
    lo, hi, name = _nps_scale(scale, mapping, x, what)
    off = ~np.isin(x, np.arange(lo, hi + 1))
    if off.any():
        vals, counts = np.unique(x[off], return_counts=True)
        listed = counted([float(v) for v in vals], [int(c) for c in counts])
        hint = (f"pass scale={'1-10' if lo == 0 else '0-10'!r} if the item uses the other scale"
                if (lo, hi) in ((0.0, 10.0), (1.0, 10.0)) else "pass the item's scale as scale=(min, max)")
        raise SurveyDataError(
            f"{what} has values outside the NPS scale {name} (whole numbers {lo:g}..{hi:g}): {listed}. "
            f"Recode them, set them to missing (NaN), or {hint}."
        )
    if (lo, hi) not in ((0.0, 10.0), (1.0, 10.0)):  # another scale, rescaled linearly onto 0-10
        y = (x - lo) * 10.0 / (hi - lo)
        return y >= 9, y <= 6
    if lo == 1 and mapping == "linear":
        promoters = x >= 10
    else:
        promoters = x >= 9
    detractors = x <= 6
    return promoters, detractors


def nps_points(
    x: np.ndarray, scale: NPSScale, mapping: NPSMapping, what: str
) -> np.ndarray:
    """Per-respondent NPS points: +100 promoter, 0 passive, -100 detractor (mean = NPS)."""
    p, d = _nps_categories(x, scale, mapping, what)
    return 100.0 * (p.astype(float) - d.astype(float))


@dataclass(frozen=True, repr=False)
class NPSResult(ResultMixin):
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
        ``scale, mapping, confidence, method, weighted, bootstrap, seed``.
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

    def _default_counts(self) -> dict[str, Any]:
        return {"n_used": self.n, "n_dropped": self.n_missing}

    def plot(self, *, ax: Any = None) -> Any:
        """Shares of promoters, passives and detractors with their Wilson intervals."""
        return bar_plot(self.table, "share", "category", ci=("ci_lower", "ci_upper"), ax=ax)


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


@renamed(n_resamples="bootstrap")
def nps(
    values: Any,
    *,
    weights: Any = None,
    scale: NPSScale | tuple[float, float] | None = None,
    mapping: NPSMapping = "cutoffs",
    confidence: float = 0.95,
    method: Literal["wald", "bootstrap"] = "wald",
    bootstrap: int = 2000,
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
    scale : {"0-10", "1-10"}, (min, max) or None
        The item's scale; values must be whole numbers on it. None (default): a 0-10
        item, but answers that all lie in 1..7 are refused as a shorter scale (a 1-7 item
        would otherwise score about -100); pass ``"0-10"`` to confirm a 0-10 item. Another
        scale, e.g. ``(1, 7)``, is refused unless ``mapping="linear"`` rescales it onto 0-10
        (``(x - min) * 10 / (max - min)``, then promoter >= 9, detractor <= 6).
    mapping : {"cutoffs", "linear"}
        How a 1-10 item (or another declared scale) is classified (ignored for 0-10). ``"cutoffs"`` (default) keeps
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
        from ``bootstrap`` resamples of respondents (weights travel with them).
    bootstrap : int
        Bootstrap resamples (``method="bootstrap"`` only; >= 10). The old name
        ``n_resamples`` is accepted with a ``FutureWarning``.
    seed : int, numpy.random.Generator or None
        Bootstrap seed; the resolved seed is stored in ``settings["seed"]``.

    Returns
    -------
    NPSResult

    Raises
    ------
    SurveyDataError
        Values off the scale (named, with counts), an item that is not on a 0-10 (or
        1-10) scale without ``mapping="linear"``, text, all values missing, bad weights.

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
    check_param("mapping", mapping, Options("cutoffs", "linear"), where)
    check_param("method", method, Options("wald", "bootstrap"), where)
    z = z_quantile(confidence, where)
    what = f"NPS item {label(values, '')}" if getattr(values, "name", None) is not None else "The NPS item"
    x_all, _ = respondent_values(values, what, where)
    w_all = check_weights(weights, len(x_all), where)
    x, w, n_missing = drop_missing(x_all, w_all, what, where)
    prom, det = _nps_categories(x, scale, mapping, what)
    total = w.sum()
    p = float(w[prom].sum() / total)
    d = float(w[det].sum() / total)
    passive = ~(prom | det)
    q = float(max(0.0, 1.0 - p - d))
    score = 100.0 * (p - d)
    n_eff = kish_n(w)
    se = 100.0 * float(np.sqrt(max(p + d - (p - d) ** 2, 0.0) / n_eff))
    settings: dict[str, Any] = {
        "scale": "0-10" if scale is None else scale,
        "mapping": mapping if scale not in (None, "0-10") else "standard",
        "confidence": float(confidence),
        "method": method,
        "weighted": weights is not None,
        "bootstrap": None,
        "seed": None,
    }
    if method == "wald":
        lo, hi = max(-100.0, score - z * se), min(100.0, score + z * se)
    else:
        bootstrap = check_param("bootstrap", bootstrap, Count(10), where)
        resolved = resolve_seed(seed, where)
        settings["seed"] = resolved.seed
        settings["bootstrap"] = bootstrap
        points = 100.0 * (prom.astype(float) - det.astype(float))
        draws = bootstrap_means(points, w, bootstrap, resolved.rng)[:, 0]
        lo, hi = percentile_interval(draws, confidence)
        se = float(draws.std(ddof=1))
    counts = np.array([prom.sum(), passive.sum(), det.sum()])
    wcounts = np.array([w[prom].sum(), w[passive].sum(), w[det].sum()])
    shares = np.array([p, q, d])
    c_lo, c_hi = wilson_interval(shares, n_eff, confidence)
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
class RateResult(ResultMixin):
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

    def _default_counts(self) -> dict[str, Any]:
        return {"n_used": self.n, "n_dropped": self.n_missing + self.n_excluded}

    def plot(self, *, ax: Any = None) -> Any:
        """The rate with its interval as one bar."""
        return bar_plot(pd.DataFrame({"kpi": [self.kpi], "rate": [self.rate], "ci_lower": [self.ci_lower], "ci_upper": [self.ci_upper]}), "rate", "kpi", ci=("ci_lower", "ci_upper"), ax=ax)


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
    check_param("method", method, Options("wilson", "wald"), where)
    z = z_quantile(confidence, where)
    if not isinstance(threshold, (int, float, np.number)) or isinstance(threshold, bool):
        raise ParameterError(f"The 'threshold' parameter of {where} must be a number. Got {threshold!r} instead.")
    base_min = check_param("base_min", base_min, AnyOf(Interval(), none_ok=True), where)
    what = f"Column {label(values, '')}" if getattr(values, "name", None) is not None else "The values"
    x_all, _ = respondent_values(values, what, where)
    w_all = check_weights(weights, len(x_all), where)
    x, w, n_missing = drop_missing(x_all, w_all, what, where)
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
    n_eff = kish_n(w)
    lo, hi = wilson_interval(rate, n_eff, confidence) if method == "wilson" else _wald(rate, n_eff, z)
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
class LoyaltyMatrixResult(ResultMixin):
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

    def _default_counts(self) -> dict[str, Any]:
        return {"n_used": self.n, "n_dropped": self.n_missing}

    def plot(self, *, ax: Any = None) -> Any:
        """Shares of the four loyalty categories (Dick & Basu) with their intervals."""
        return bar_plot(self.shares, "share", "category", ci=("ci_lower", "ci_upper") if "ci_lower" in self.shares else None, ax=ax)


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
    confidence = check_param("confidence", confidence, where=where)
    ra, index = respondent_values(relative_attitude, "The relative-attitude measure", where)
    rp, _ = respondent_values(repeat_patronage, "The repeat-patronage measure", where)
    if len(ra) != len(rp):
        raise SurveyDataError(
            f"relative_attitude has {len(ra)} values but repeat_patronage has {len(rp)}. "
            "Pass one value of each per respondent, in the same order."
        )
    w_all = check_weights(weights, len(ra), where)
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
            check_param(name, value, Options("median"), where)
            return _weighted_median(x, w)
        if not isinstance(value, (int, float, np.number)) or isinstance(value, bool) or not np.isfinite(value):
            raise ParameterError(f"The {name!r} parameter of {where} must be a number or 'median'. Got {value!r} instead.")
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
    n_eff = kish_n(w)
    lo, hi = wilson_interval(shares, n_eff, confidence)
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
