"""Dual evaluation (双重评价法) and its improved form (双重评价改进法), with AHP weights.

**The source textbook's own definitions of both methods were not found** (METHODS.md §1-§2,
§9). csindex implements the standard importance × satisfaction family as named variants:

Classic (``method="classic"``), importance ``I`` and satisfaction ``S`` per attribute i:

* ``aggregation="aggregate"`` (variant D1, default):
  ``W_i = Ī_i / Σ_k Ī_k``, ``CSI_raw = Σ W_i S̄_i`` (rating scale),
  ``CSI = Σ W_i · 100 (S̄_i − min_i)/(max_i − min_i)`` (0-100);
* ``aggregation="respondent"`` (variant D2): per respondent over the attributes answered,
  ``CSI_n = Σ I_ni S_ni / Σ I_ni`` (and the same on the 0-100 rescaled ratings), then the
  weighted mean over respondents. D1 ≠ D2 in general: the mean of ratios is not the ratio of
  means (respondents who rate everything as important count the same as the others in D2, while
  D1 weights by average importance).

Improved (``method="improved"``): the textbook's exact change is **unconfirmed [U]**. The
default is variant **I1**, the importance-weighted ratio ``C_i = P̄_i / Ē_i`` of the perceived
to the expected rating (the textbook's own C = b/a): ``CSI_raw = Σ W_i C_i`` and
``index = 100 · CSI_raw`` (100 = expectations exactly met; it can exceed 100). Variant **I2**
uses the gap ``P̄_i − Ē_i``: ``CSI_raw = Σ W_i (P̄_i − Ē_i)``, ``index = 100 · CSI_raw /
(max − min)``. With ``aggregation="respondent"`` the same is done per respondent
(``C_ni = P_ni / E_ni``) and averaged.

Weight providers (``importance_method``, any method): ``"stated"`` importance ratings;
``"constant_sum"`` points each respondent spread over the attributes (normalised per respondent);
``"ahp"`` an AHP pairwise-comparison matrix → principal eigenvector, consistency ratio checked
(:func:`ahp_weights`); ``"derived"`` shares from :func:`csindex.scoring.drivers.driver_weights`
(variant I3); or explicit weights as a dict/Series.

Intervals: respondent aggregation uses a t interval over respondents; aggregate uses the
linearisation (delta method) of the index in the item means, including the uncertainty of the
stated-importance means (fixed for AHP, derived or explicit weights).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"Q1": [4, 5], "Q2": [2, 3], "IMP_Q1": [5, 5], "IMP_Q2": [3, 1]})
>>> res = dual_evaluation(df, satisfaction=["Q1", "Q2"], importance=["IMP_Q1", "IMP_Q2"], scale=(1, 5))
>>> res.weights["weight"].round(4).tolist()
[0.7143, 0.2857]
>>> round(res.index_raw, 4), round(res.overall, 2)
(3.9286, 73.21)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import ResultMixin, deprecated_aliases, index_table, scalar_table
from ..plots import bar_plot
from .._segmenting import segmentable
from .._summary import Summary
from .._validation import check_option, quote_list
from ..exceptions import InferenceWarning, MissingDataWarning, SurveyDataError
from .drivers import driver_weights
from ._common import Moments, as_names, as_survey, check_items, matrix, row_chunks, sampling_weights, z_quantile
from .simple import FrequencyTable

__all__ = ["DualEvaluationResult", "AHPWeightsResult", "dual_evaluation", "ahp_weights", "RANDOM_INDEX"]

# Saaty's random consistency index RI(n), n = 1..15
RANDOM_INDEX = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)
_PROVIDERS = ("stated", "constant_sum", "ahp", "derived")


# --------------------------------------------------------------------------- AHP
@dataclass(frozen=True, repr=False)
class AHPWeightsResult(ResultMixin):
    """Weights from an AHP pairwise-comparison matrix.

    Attributes
    ----------
    weights : pandas.DataFrame
        ``attribute, weight``: the principal right eigenvector normalised to sum to 1.
    lambda_max : float
        Principal eigenvalue.
    consistency_index : float
        ``CI = (λ_max − n) / (n − 1)``.
    consistency_ratio : float
        ``CR = CI / RI(n)`` (Saaty's random index; 0 for n ≤ 2).
    """

    weights: pd.DataFrame
    lambda_max: float
    consistency_index: float
    consistency_ratio: float
    settings: Mapping[str, Any] = field(default_factory=dict)

    _tables: ClassVar[Mapping[str, str]] = {"weights": "attribute"}

    def weight_of(self, names: Sequence[str]) -> np.ndarray:
        """The weights of ``names``, in that order (NaN for a name not in the matrix)."""
        return self.weights.set_index("attribute")["weight"].reindex(list(names)).to_numpy(dtype=np.float64)

    def summary(self) -> Summary:
        """Weights and consistency."""
        return Summary("AHP weights", facts={"lambda_max": self.lambda_max, "CI": self.consistency_index,
                                            "CR": self.consistency_ratio},
                       tables={"Weights": self.weights})

    def plot(self, *, ax: Any = None):
        """The weights as bars (:func:`csindex.plots.driver_chart`)."""
        return bar_plot(self.weights, "weight", "attribute", ax=ax)


def ahp_weights(matrix: Any, names: Sequence[str] | None = None, *, max_cr: float | None = 0.1) -> AHPWeightsResult:
    """AHP weights (Saaty): principal eigenvector of a positive reciprocal comparison matrix.

    Parameters
    ----------
    matrix : array or DataFrame (n x n)
        ``a_ij`` = how much more important i is than j (1-9 scale); ``a_ji = 1/a_ij``,
        ``a_ii = 1``. A DataFrame's index gives the names.
    names : list of str, optional
        Attribute names (default: the DataFrame index or ``0..n-1``).
    max_cr : float or None
        Raise when the consistency ratio exceeds it (Saaty's rule: 0.1); None disables the check.

    Returns
    -------
    AHPWeightsResult

    Raises
    ------
    SurveyDataError
        Non-square, non-positive or non-reciprocal matrices, and CR > ``max_cr``.

    Examples
    --------
    >>> a = [[1, 3, 5], [1/3, 1, 5/3], [1/5, 3/5, 1]]   # perfectly consistent
    >>> res = ahp_weights(a, ["crew", "food", "seat"])
    >>> res.weights["weight"].round(4).tolist(), round(res.consistency_ratio, 6)
    ([0.6522, 0.2174, 0.1304], 0.0)
    """
    if isinstance(matrix, pd.DataFrame):
        labels = [str(i) for i in matrix.index] if names is None else [str(n) for n in names]
        a = matrix.to_numpy(dtype=np.float64)
    else:
        a = np.asarray(matrix, dtype=np.float64)
        labels = [str(n) for n in names] if names is not None else [str(i) for i in range(len(a))]
    n = a.shape[0] if a.ndim == 2 else 0
    if a.ndim != 2 or a.shape != (n, n) or n == 0:
        raise SurveyDataError(f"The AHP matrix must be square (n x n); got shape {a.shape}.")
    if len(labels) != n:
        raise SurveyDataError(f"The AHP matrix has {n} rows but {len(labels)} names were given.")
    if not np.isfinite(a).all() or (a <= 0).any():
        raise SurveyDataError("The AHP matrix must hold positive numbers (1-9 judgements and their reciprocals).")
    bad = np.argwhere(~np.isclose(a * a.T, 1.0, rtol=1e-3))
    if len(bad):
        i, j = bad[0]
        raise SurveyDataError(
            f"The AHP matrix is not reciprocal: a[{labels[i]!r}, {labels[j]!r}] = {a[i, j]:g} but "
            f"a[{labels[j]!r}, {labels[i]!r}] = {a[j, i]:g}; they must multiply to 1."
        )
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    v = np.abs(vecs[:, k].real)
    wts = v / v.sum()
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    ri = RANDOM_INDEX[n - 1] if n <= len(RANDOM_INDEX) else RANDOM_INDEX[-1]
    cr = max(ci, 0.0) / ri if ri > 0 else 0.0
    if max_cr is not None and cr > max_cr:
        raise SurveyDataError(
            f"The AHP judgements are inconsistent: consistency ratio {cr:.3f} > {max_cr:g}. Revise the pairwise "
            "comparisons, or pass max_cr=None to accept them."
        )
    return AHPWeightsResult(weights=pd.DataFrame({"attribute": [str(x) for x in labels], "weight": wts}),
                            lambda_max=lam, consistency_index=float(ci), consistency_ratio=float(cr),
                            settings={"n_used": len(labels), "n_dropped": 0, "seed": None, "max_cr": max_cr})


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, repr=False)
class DualEvaluationResult(ResultMixin):
    """Result of :func:`dual_evaluation`.

    Attributes
    ----------
    weights : pandas.DataFrame
        One row per satisfaction item: ``item, weight`` (sums to 1), ``importance_item``,
        ``mean_importance`` (NaN when the weights are not from importance ratings).
    items : pandas.DataFrame
        One row per satisfaction item: ``item, n, mean_satisfaction, score, weight, contribution``
        (and ``expected_item, mean_expected`` for the improved method). ``score`` is the
        0-100 rescaled mean (classic), ``C = P̄/Ē`` (I1) or ``P̄ − Ē`` (I2);
        ``contribution = weight · score``.
    index : pandas.DataFrame
        The standard index table (``construct, index, std_error, ci_lower, ci_upper``), one row
        ``construct == "overall"``: the CSI on 0-100 (classic); ``100 · Σ W C`` (I1);
        ``100 · Σ W (P̄ − Ē)/(max − min)`` (I2). It was a float before; ``float(res.index)``
        still works for one release with a ``FutureWarning`` — use :attr:`overall`.
    overall : float
        The same CSI as a number.
    index_raw : float
        The CSI on the rating scale (classic; NaN when items mix scales), ``Σ W C`` (I1) or
        ``Σ W (P̄ − Ē)`` (I2).
    std_error, ci_lower, ci_upper : float
        Uncertainty of ``index``.
    ahp : AHPWeightsResult or None
    settings : dict
        ``method, variant, aggregation, importance_method, confidence, weighted, n_used,
        n_dropped, seed``.
    """

    weights: pd.DataFrame
    items: pd.DataFrame
    index: pd.DataFrame
    index_raw: float
    std_error: float
    ci_lower: float
    ci_upper: float
    ahp: AHPWeightsResult | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)

    _tables: ClassVar[Mapping[str, str]] = {"weights": "item", "items": "item"}

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.index, pd.DataFrame):  # built from the CSI number
            table = index_table(["overall"], float(self.index), self.std_error, self.ci_lower, self.ci_upper)
            object.__setattr__(self, "index", scalar_table(table, "index", "res.overall"))

    @property
    def overall(self) -> float:
        """The CSI (0–100) as a number."""
        return float(pd.DataFrame(self.index)["index"].iloc[0])

    def summary(self) -> Summary:
        """Index, weights and item contributions."""
        facts = {"index": self.overall, "index_raw": self.index_raw, "CI": f"[{self.ci_lower:.2f}, {self.ci_upper:.2f}]",
                 **{k: self.settings.get(k) for k in ("method", "variant", "aggregation", "importance_method",
                                                      "weighted")}}
        notes = ("The textbook's exact definition of (improved) dual evaluation is unconfirmed; see "
                 "docs/user/scoring.md for the variants.",)
        return Summary("Dual evaluation", facts=facts, tables={"Items": self.items}, notes=notes)

    def plot(self, *, crosshair: Any = "mean", ax: Any = None):
        """Weight against score per attribute as a priority matrix (:func:`csindex.plots.priority_matrix`)."""
        from ..plots import priority_matrix

        t = self.items.rename(columns={"item": "name", "weight": "importance", "score": "performance"})
        return priority_matrix(t, crosshair=crosshair, ax=ax)


# --------------------------------------------------------------------------- helpers
def _dual_from_frequencies(ft: Any, s_names: list[str] | None, i_names: list[str] | None,
                           e_names: list[str] | None, *, aggregation: str, method: str, variant: str, provider: str,
                           explicit: pd.Series | None, ahp_matrix: Any, max_cr: float | None, z: float,
                           confidence: float) -> DualEvaluationResult:
    """Variant D3: dual evaluation from aggregated frequency tables (item means from the counts)."""
    where = "dual_evaluation"
    if aggregation != "aggregate":
        raise SurveyDataError("A frequency table has no respondent-level answers; use aggregation='aggregate'.")
    if provider in ("constant_sum", "derived"):
        raise SurveyDataError(f"importance_method={provider!r} needs respondent-level data, not a frequency table.")
    counts = ft.counts
    if not s_names:
        raise SurveyDataError(f"{where} on a frequency table needs satisfaction= (rows of the table).")
    k = len(s_names)
    need = list(s_names)
    if provider == "stated":
        if not i_names or len(i_names) != k:
            raise SurveyDataError(f"{where} on a frequency table needs importance= with one row per satisfaction row.")
        need += i_names
    if method == "improved":
        if not e_names or len(e_names) != k:
            raise SurveyDataError("The improved method on a frequency table needs expected= (one row per item).")
        need += e_names
    unknown = [r for r in need if r not in counts.index]
    if unknown:
        raise SurveyDataError(f"The frequency table has no rows {quote_list(unknown)}.")
    points = counts.columns.to_numpy(dtype=np.float64)

    def moments(rows: list[str]) -> tuple[np.ndarray, np.ndarray]:
        c = counts.loc[rows].to_numpy(dtype=np.float64)
        nn = c.sum(axis=1)
        mean = c @ points / nn
        with np.errstate(invalid="ignore", divide="ignore"):
            var = (c * (points[None, :] - mean[:, None]) ** 2).sum(axis=1) / (nn - 1.0) / nn  # variance of the mean
        return mean, var

    lo, hi = ft.scale
    span = hi - lo
    ms, vs = moments(s_names)
    if method == "classic":
        scores, raw_scores = 100.0 * (ms - lo) / span, ms
        v_scores = vs * (100.0 / span) ** 2
    else:
        me, ve = moments(e_names)
        if variant == "I1":
            scores = ms / me
            v_scores = vs / me**2 + ve * ms**2 / me**4
        else:
            scores = ms - me
            v_scores = vs + ve
        raw_scores = scores
    ahp = None
    mi = np.full(k, np.nan)
    if provider == "stated":
        mi, vi = moments(i_names)
        wts = mi / mi.sum()
    elif provider == "ahp":
        if ahp_matrix is None:
            raise SurveyDataError("importance_method='ahp' needs ahp_matrix= (pairwise comparisons of the attributes).")
        ahp = ahp_weights(ahp_matrix, None if isinstance(ahp_matrix, pd.DataFrame) else s_names, max_cr=max_cr)
        wts = ahp.weight_of(s_names)
    else:
        wts = explicit.reindex(s_names).to_numpy()
        if not np.isfinite(wts).all() or (wts < 0).any() or wts.sum() <= 0:
            raise SurveyDataError("Explicit weights must be finite, non-negative and give every item a weight.")
        wts = wts / wts.sum()
    index_100 = float(wts @ scores)
    index_raw = float(wts @ raw_scores)
    var = float((wts**2 * v_scores).sum())
    if provider == "stated":
        var += float((((scores - index_100) / mi.sum()) ** 2 * vi).sum())
    se = float(np.sqrt(var))
    if method == "improved":
        factor = 100.0 if variant == "I1" else 100.0 / span
        index, se_index = factor * index_raw, factor * se
    else:
        index, se_index = index_100, se
    items = pd.DataFrame({"n": counts.loc[s_names].sum(axis=1).round().astype(np.int64).to_numpy(),
                          "mean_satisfaction": ms}, index=pd.Index(s_names, name="item"))
    if method == "improved":
        items.insert(0, "expected_item", e_names)
        items["mean_expected"] = me
    items["score"] = scores
    items["weight"] = wts
    items["contribution"] = wts * scores
    wtable = pd.DataFrame({"weight": wts, "importance_item": i_names if provider == "stated" else [""] * k,
                           "mean_importance": mi}, index=pd.Index(s_names, name="item"))
    settings = {"method": method, "variant": variant if method == "improved" else "D3", "aggregation": aggregation,
                "importance_method": provider, "confidence": confidence, "weighted": False,
                "n_used": int(items["n"].max()), "n_dropped": 0, "seed": None, "source": "frequencies",
                "note": "frequency tables carry no link between items: the interval treats the item means as "
                        "independent"}
    return DualEvaluationResult(weights=wtable, items=items, index=float(index), index_raw=float(index_raw),
                          std_error=se_index, ci_lower=float(index - z * se_index),
                          ci_upper=float(index + z * se_index), ahp=ahp, settings=settings)


def _dual_items(survey: Any, s_names: list[str] | None, i_names: list[str] | None, needs_ratings: bool,
               where: str) -> tuple[list[str], list[str] | None]:
    """Satisfaction items and (for stated/constant-sum importance) one importance item each."""
    pairs = dict(survey.pairs("importance"))
    if s_names is None:
        if pairs and (needs_ratings or i_names is None):
            s_names = list(pairs)
        else:
            raise SurveyDataError(f"{where} needs satisfaction=: the codebook pairs no perception item with an "
                                  "importance item.")
    check_items(survey, s_names, "satisfaction items", where)
    k = len(s_names)
    if needs_ratings:
        if i_names is None:
            missing = [s for s in s_names if s not in pairs]
            if missing:
                raise SurveyDataError(
                    f"The codebook links no importance item to {quote_list(missing)}. Pass importance= with one item "
                    "per satisfaction item, or another importance_method."
                )
            i_names = [pairs[s] for s in s_names]
        if len(i_names) != k:
            raise SurveyDataError(f"{where} needs one importance item per satisfaction item; got {k} satisfaction "
                                  f"and {len(i_names)} importance items.")
        check_items(survey, i_names, "importance items", where)
    return s_names, i_names


def _expected_items(survey: Any, expected: Any, s_names: list[str], where: str) -> list[str]:
    """One expectation item per satisfaction item (the improved method)."""
    e_names = as_names(expected)
    if e_names is None:
        epairs = dict(survey.pairs("expectation"))
        missing = [n for n in s_names if n not in epairs]
        if missing:
            raise SurveyDataError(
                f"The improved method needs expectation items; the codebook pairs none with {quote_list(missing)}. "
                "Pass expected=."
            )
        e_names = [epairs[n] for n in s_names]
    if len(e_names) != len(s_names):
        raise SurveyDataError(f"{where} needs one expected item per satisfaction item.")
    check_items(survey, e_names, "expected items", where)
    return e_names


def _fixed_weights(provider: str, survey: Any, s_names: list[str], *, ahp_matrix: Any, max_cr: float | None,
                   explicit: pd.Series | None, target: Any, derived_method: str,
                   weights: Any) -> tuple[np.ndarray | None, AHPWeightsResult | None]:
    """Weights that do not vary by respondent (AHP, derived, explicit), normalised; None for ratings."""
    ahp = None
    fixed = None
    if provider == "ahp":
        if ahp_matrix is None:
            raise SurveyDataError("importance_method='ahp' needs ahp_matrix= (pairwise comparisons of the attributes).")
        ahp = ahp_weights(ahp_matrix, None if isinstance(ahp_matrix, pd.DataFrame) else s_names, max_cr=max_cr)
        missing = [n for n in s_names if n not in set(ahp.weights["attribute"])]
        if missing:
            raise SurveyDataError(f"The AHP matrix has no row for {quote_list(missing)}.")
        fixed = ahp.weight_of(s_names)
    elif provider == "derived":
        dw = driver_weights(survey, target=target, drivers=s_names, method=derived_method, weights=weights)
        fixed = dw.weights.set_index("driver")["share"].reindex(s_names).to_numpy()
    elif provider == "explicit":
        missing = [n for n in s_names if n not in explicit.index]
        if missing:
            raise SurveyDataError(f"The explicit weights (importance_method=) give no weight for {quote_list(missing)}.")
        fixed = explicit.reindex(s_names).to_numpy()
        if (fixed < 0).any() or not np.isfinite(fixed).all():
            raise SurveyDataError("Explicit weights must be finite and non-negative.")
    if fixed is not None:
        if fixed.sum() <= 0:
            raise SurveyDataError("The weights sum to 0; at least one attribute must carry weight.")
        fixed = fixed / fixed.sum()
    return fixed, ahp


def _scaled_index(method: str, variant: str, aggregation: str, index_100: float, index_raw: float, se: float,
                  span: float, same_scale: bool) -> tuple[float, float, float]:
    """-> (0-100 index, raw index, its standard error) for the method and variant."""
    if method == "improved":
        if variant == "I1":
            index = 100.0 * index_raw if aggregation == "aggregate" else index_100 * 100.0
            se_index = se * 100.0
            index_raw = index_raw if aggregation == "aggregate" else index_100
        else:
            index = 100.0 * (index_raw if aggregation == "aggregate" else index_100) / span
            index_raw = index_raw if aggregation == "aggregate" else index_100
            se_index = se * 100.0 / span
    else:
        index, se_index = index_100, se
        if not same_scale:
            index_raw = float("nan")
    return index, index_raw, se_index


def _dual_tables(s_names: list[str], e_names: list[str] | None, i_names: list[str] | None, n_answers: np.ndarray,
                 ms: np.ndarray, me: np.ndarray | None, scores: np.ndarray, wts: np.ndarray, mi: np.ndarray,
                 method: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``items`` and ``weights`` tables of a DualEvaluation."""
    items = pd.DataFrame({"n": n_answers.astype(np.int64), "mean_satisfaction": ms},
                         index=pd.Index(s_names, name="item"))
    if method == "improved":
        items.insert(0, "expected_item", e_names)
        items["mean_expected"] = me
    items["score"] = scores
    items["weight"] = wts
    items["contribution"] = wts * scores
    wtable = pd.DataFrame({"weight": wts,
                           "importance_item": i_names if i_names is not None else [""] * len(s_names),
                           "mean_importance": mi}, index=pd.Index(s_names, name="item"))
    return items, wtable


@dataclass
class _Blocks:
    """Copies of row blocks of the answers, cleaned for the method; counts expectation ratings <= 0 (I1)."""

    s_all: np.ndarray
    e_all: np.ndarray | None
    i_all: np.ndarray | None
    i_names: list[str] | None
    improved: bool
    variant: str
    provider: str
    lo: np.ndarray
    span_i: np.ndarray
    n_nonpos: int = 0

    def __call__(self, rows: slice) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Satisfaction, expectation (masked to complete pairs) and importance of the rows."""
        ss = np.array(self.s_all[rows], dtype=np.float64, order="C", copy=True)
        ee = ii = None
        if self.improved:
            ee = np.array(self.e_all[rows], dtype=np.float64, order="C", copy=True)
            if self.variant == "I1":
                with np.errstate(invalid="ignore"):
                    bad = ee <= 0
                self.n_nonpos += int(bad.sum())
                ee[bad] = np.nan
            both = ~(np.isnan(ss) | np.isnan(ee))
            ss[~both] = np.nan
            ee[~both] = np.nan
        if self.i_all is not None:
            ii = np.array(self.i_all[rows], dtype=np.float64, order="C", copy=True)
            with np.errstate(invalid="ignore"):
                neg = (ii < 0).any(axis=0)
            if neg.any():
                bad_items = [nm for nm, f in zip(self.i_names, neg) if f]
                raise SurveyDataError(f"Importance items {quote_list(bad_items)} have negative values; importance "
                                      "must be >= 0.")
            if self.provider == "constant_sum":
                tot = np.nansum(ii, axis=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    ii = np.where(tot[:, None] > 0, ii / np.where(tot > 0, tot, 1.0)[:, None], np.nan)
        return ss, ee, ii

    def respondent_scores(self, ss: np.ndarray, ee: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(0-100 or ratio/gap score, raw score) per respondent and attribute."""
        if not self.improved:
            return 100.0 * (ss - self.lo) / self.span_i, ss
        with np.errstate(invalid="ignore", divide="ignore"):
            sc = ss / ee if self.variant == "I1" else ss - ee
        return sc, sc


def _first_pass(blocks: _Blocks, chunks: list[slice], wv: np.ndarray, k: int, aggregation: str,
                fixed: np.ndarray | None) -> tuple[Any, ...]:
    """Moments of the ratings and (aggregation="respondent") of the respondents' CSI, in row blocks."""
    mom_s, mom_e, mom_i = Moments(k), Moments(k), Moments(k)
    mom_csi, mom_share, mom_score = Moments(2), Moments(k), Moments(k)
    n_used = 0
    dropped = 0
    for rows in chunks:
        ss, ee, ii = blocks(rows)
        ww = wv[rows]
        mom_s.add(ss, ww)
        if ee is not None:
            mom_e.add(ee, ww)
        if ii is not None:
            mom_i.add(ii, ww)
        n_used += int((~np.isnan(ss)).any(axis=1).sum())
        if aggregation == "respondent":
            score_resp, raw_resp = blocks.respondent_scores(ss, ee)
            iw = np.where(np.isnan(score_resp), np.nan, ii if ii is not None else fixed[None, :])
            tot = np.nansum(iw, axis=1)
            ok = tot > 0
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(ok[:, None], iw / np.where(ok, tot, 1.0)[:, None], np.nan)
            csi100 = np.where(ok, np.nansum(share * score_resp, axis=1), np.nan)
            csiraw = np.where(ok, np.nansum(share * raw_resp, axis=1), np.nan)
            dropped += int((~ok).sum() - np.isnan(score_resp).all(axis=1).sum())
            mom_csi.add(np.column_stack([csi100, csiraw]), ww)
            mom_share.add(share, ww)
            if blocks.improved:
                mom_score.add(score_resp, ww)
    return mom_s, mom_e, mom_i, mom_csi, mom_share, mom_score, n_used, dropped


def _influence_sum_of_squares(blocks: _Blocks, chunks: list[slice], wv: np.ndarray, coef_s: np.ndarray,
                              coef_i: np.ndarray | None, scores: np.ndarray, ms: np.ndarray,
                              me: np.ndarray | None, mi: np.ndarray) -> float:
    """Second pass for aggregation="aggregate": sum of squared weighted influence values of the index."""
    u2 = 0.0
    for rows in chunks:
        ss, ee, ii = blocks(rows)
        if not blocks.improved:
            dev = 100.0 * (ss - ms) / blocks.span_i
        elif blocks.variant == "I1":
            dev = (ss - scores * ee) / me
        else:
            dev = (ss - ms) - (ee - me)
        u = np.nansum(dev * coef_s, axis=1)
        if ii is not None:
            u += np.nansum((ii - mi) * coef_i, axis=1)
        u2 += float(((wv[rows] * u) ** 2).sum())
    return u2


def _check_answered(s_names: list[str], i_names: list[str] | None, n_s: np.ndarray, n_i: np.ndarray,
                    improved: bool) -> None:
    """Refuse attributes without a usable answer (naming them)."""
    empty = [nm for nm, c in zip(s_names, n_s) if c == 0]
    if empty:
        if improved:
            raise SurveyDataError(f"Items {quote_list(empty)} have no respondent with both a perceived and a "
                                  "valid expected rating.")
        raise SurveyDataError(f"Satisfaction items {quote_list(empty)} have no answers; leave them out.")
    if i_names is not None:
        empty = [nm for nm, c in zip(i_names, n_i) if c == 0]
        if empty:
            raise SurveyDataError(f"Importance items {quote_list(empty)} have no answers; leave them out.")


def _aggregate_index(blocks: _Blocks, chunks: list[slice], wv: np.ndarray, sw_s: np.ndarray, sw_i: np.ndarray,
                     scores: np.ndarray, raw_scores: np.ndarray, ms: np.ndarray, me: np.ndarray | None,
                     mi: np.ndarray, fixed: np.ndarray | None) -> tuple[float, float, float, np.ndarray]:
    """Index from the attribute means (D1, I1/I2 aggregate) with its linearisation standard error.

    -> (0-100 index, raw index, standard error, attribute weights)
    """
    if blocks.i_all is not None:
        if mi.sum() <= 0:
            raise SurveyDataError("The mean importance of every attribute is 0; the weights are undefined.")
        wts = mi / mi.sum()
        sum_imp = float(mi.sum())
    else:
        wts, sum_imp = fixed, 1.0
    index_100 = float(wts @ scores)
    index_raw = float(wts @ raw_scores)
    # second pass: linearisation (influence) of the index, summed in blocks
    coef_s = wts / sw_s
    coef_i = (scores - index_100) / sum_imp / sw_i if blocks.i_all is not None else None
    u2 = _influence_sum_of_squares(blocks, chunks, wv, coef_s, coef_i, scores, ms, me, mi)
    n_pos = int((wv > 0).sum())
    se = float(np.sqrt(u2 * n_pos / (n_pos - 1))) if n_pos > 1 else float("nan")
    return index_100, index_raw, se, wts


def _respondent_index(mom_csi: Any, mom_share: Any, dropped: int,
                      confidence: float) -> tuple[float, float, float, float, int, np.ndarray]:
    """Index as the mean of the respondents' CSI (D2, I1/I2 respondent), with its t interval parts.

    -> (0-100 index, raw index, standard error, t quantile, respondents used, mean attribute shares)
    """
    if dropped > 0:
        warnings.warn(f"{dropped} respondents gave every answered attribute an importance of 0; their CSI is "
                      "undefined and they are left out.", MissingDataWarning, stacklevel=3)
    st = mom_csi.stats(confidence)
    index_100, index_raw = float(st["mean"][0]), float(st["mean"][1])
    se, tq = float(st["se"][0]), float(st["t"][0])
    n_used = int(st["n"][0])
    mw = mom_share.stats(confidence)["mean"]
    wts = np.nan_to_num(mw) / np.nansum(mw)
    return index_100, index_raw, se, tq, n_used, wts


def _attribute_scores(ms: np.ndarray, me: np.ndarray | None, lo: np.ndarray, span_i: np.ndarray, improved: bool,
                      aggregation: str, variant: str,
                      respondent_mean: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(score, raw score) per attribute: 0-100 mean (classic), P/E or P - E (improved)."""
    if not improved:
        scores, raw_scores = 100.0 * (ms - lo) / span_i, ms
    elif aggregation == "aggregate":
        scores = ms / me if variant == "I1" else ms - me
        raw_scores = scores
    else:
        scores = respondent_mean
        raw_scores = scores
    return scores, raw_scores


@segmentable
def dual_evaluation(data: Any, satisfaction: Sequence[str] | None = None, importance: Sequence[str] | None = None,
                    *, scale: tuple[float, float] | None = None, aggregation: str = "aggregate",
                    method: str = "classic", variant: str = "I1", importance_method: Any = "stated",
                    expected: Sequence[str] | None = None, ahp_matrix: Any = None, max_cr: float | None = 0.1,
                    target: Any = None, derived_method: str = "shapley", weights: Any = None,
                    confidence: float = 0.95, by: Any = None) -> DualEvaluationResult:
    """Importance-weighted satisfaction index (dual evaluation) and its improved form.

    The textbook's exact definitions are **unconfirmed**; the defaults are variant D1
    (aggregate weights ``W_i = Ī_i/ΣĪ``) for ``method="classic"`` and variant I1
    (importance-weighted C = P̄/Ē) for ``method="improved"``. See the module docstring and
    docs/user/scoring.md.

    Parameters
    ----------
    data : Survey, DataFrame or FrequencyTable
        A DataFrame is loaded with :func:`csindex.load_survey` (``scale`` passed on). A
        :class:`~csindex.scoring.simple.FrequencyTable` (counts per scale point, from
        :func:`~csindex.scoring.simple.from_frequencies`) gives variant D3: item means from the
        counts, aggregate weights only, intervals treating the items as independent.
    satisfaction : list of str, optional
        Satisfaction (perceived performance) items. Default: the perception items the codebook
        pairs with importance items (:meth:`Survey.pairs` ``("importance")``).
    importance : list of str, optional
        One importance item per satisfaction item (ratings for ``"stated"``, points for
        ``"constant_sum"``). Default: the codebook's pairs. Not needed for ``"ahp"``,
        ``"derived"`` or explicit weights.
    scale : (min, max), optional
        Satisfaction scale for the 0-100 rescaling (default: each item's codebook scale);
        also used when a DataFrame's codebook is inferred.
    aggregation : {"aggregate", "respondent"}
        Weights from mean importance (D1) or per respondent, then averaged (D2).
    method : {"classic", "improved"}
    variant : {"I1", "I2"}
        Improved-method variant: importance-weighted ratio P̄/Ē (I1, default) or gap P̄ − Ē (I2).
    importance_method : {"stated", "constant_sum", "ahp", "derived"} or dict/Series
        Where the weights come from; a dict or Series maps satisfaction items to weights
        (normalised to sum to 1).
    expected : list of str, optional
        Expectation items for the improved method (default: the codebook's expectation pairs).
    ahp_matrix : array or DataFrame, optional
        Pairwise-comparison matrix for ``"ahp"`` (rows in the order of ``satisfaction``, or a
        DataFrame labelled with the satisfaction items).
    max_cr : float or None
        Largest accepted AHP consistency ratio (0.1); None accepts any.
    target : str or list, optional
        Outcome for ``"derived"`` weights (default: the overall-satisfaction items).
    derived_method : str
        Driver method for ``"derived"`` weights (see :func:`~csindex.scoring.drivers.driver_weights`).
    weights : None, False, str or array
        Sampling weights (None: the survey's, False: none).
    confidence : float
        Interval level.
    by : str, list of str or Series, optional
        Analyse every segment separately (see :func:`csindex.segments.split_segments`);
        returns a :class:`~csindex.segments.SegmentResults` mapping segment -> DualEvaluationResult,
        each equal to running on that segment alone (``n_jobs=`` runs segments in parallel).

    Returns
    -------
    DualEvaluationResult

    Raises
    ------
    SurveyDataError
        Unknown/unpaired items, an item without answers, importance that sums to 0, negative
        constant-sum points, an inconsistent AHP matrix.

    Examples
    --------
    >>> import csindex
    >>> air = csindex.datasets.airline()
    >>> classic = dual_evaluation(air, satisfaction=["SAFE1", "CREW1", "ENT1"])
    >>> round(float(classic.weights["weight"].sum()), 6)
    1.0
    >>> improved = dual_evaluation(air, satisfaction=["SAFE1", "CREW1", "ENT1"], method="improved")
    >>> improved.settings["variant"]
    'I1'
    """
    where = "dual_evaluation"
    check_option("aggregation", aggregation, ("aggregate", "respondent"), where)
    check_option("method", method, ("classic", "improved"), where)
    check_option("variant", variant, ("I1", "I2"), where)
    explicit = None
    if isinstance(importance_method, (Mapping, pd.Series)):
        explicit = pd.Series(importance_method, dtype="float64")
        provider = "explicit"
    else:
        provider = check_option("importance_method", importance_method, _PROVIDERS, where)
    z = z_quantile(confidence, "dual_evaluation()")
    if isinstance(data, FrequencyTable):
        return _dual_from_frequencies(data, as_names(satisfaction), as_names(importance), as_names(expected),
                                      aggregation=aggregation, method=method, variant=variant, provider=provider,
                                      explicit=explicit, ahp_matrix=ahp_matrix, max_cr=max_cr, z=z,
                                      confidence=confidence)
    survey = as_survey(data, scale, where)
    needs_ratings = provider in ("stated", "constant_sum")
    s_names, i_names = _dual_items(survey, as_names(satisfaction), as_names(importance), needs_ratings, where)
    k = len(s_names)
    w = sampling_weights(survey, weights, where)
    wv = np.ones(survey.n) if w is None else w
    s_all = matrix(survey, s_names)
    lo, hi = np.array([scale if scale is not None else survey.scale(n) for n in s_names], dtype=np.float64).T
    span_i = hi - lo

    e_names = _expected_items(survey, expected, s_names, where) if method == "improved" else None
    e_all = matrix(survey, e_names) if e_names is not None else None
    # importance per respondent (stated / constant sum) or fixed weights
    i_all = matrix(survey, i_names) if needs_ratings else None
    fixed, ahp = _fixed_weights(provider, survey, s_names, ahp_matrix=ahp_matrix, max_cr=max_cr,
                                explicit=explicit, target=target, derived_method=derived_method,
                                weights=weights)
    improved = method == "improved"
    blocks = _Blocks(s_all, e_all, i_all, i_names, improved, variant, provider, lo, span_i)
    n = survey.n
    chunks = list(row_chunks(n, 3 * k))
    mom_s, mom_e, mom_i, mom_csi, mom_share, mom_score, n_used, dropped = _first_pass(
        blocks, chunks, wv, k, aggregation, fixed)
    if blocks.n_nonpos:
        warnings.warn(f"{blocks.n_nonpos} expectation ratings are <= 0; C = P/E is undefined there and those cells are "
                      "left out.", MissingDataWarning, stacklevel=2)
    _check_answered(s_names, i_names if i_all is not None else None, mom_s.n, mom_i.n, improved)
    ms = mom_s.stats(confidence)["mean"]
    me = mom_e.stats(confidence)["mean"] if improved else None
    mi = mom_i.stats(confidence)["mean"] if i_all is not None else np.full(k, np.nan)
    resp_mean = mom_score.stats(confidence)["mean"] if improved and aggregation == "respondent" else None
    scores, raw_scores = _attribute_scores(ms, me, lo, span_i, improved, aggregation, variant, resp_mean)

    if aggregation == "aggregate":
        index_100, index_raw, se, wts = _aggregate_index(blocks, chunks, wv, mom_s.sw, mom_i.sw, scores,
                                                         raw_scores, ms, me, mi, fixed)
        tq = z
    else:
        index_100, index_raw, se, tq, n_used, wts = _respondent_index(mom_csi, mom_share, dropped, confidence)

    index, index_raw, se_index = _scaled_index(method, variant, aggregation, index_100, index_raw, se,
                                               float(np.mean(hi - lo)), len(set(zip(lo, hi))) == 1)
    if not np.isfinite(se_index):
        warnings.warn("The interval of the index is undefined (fewer than two respondents).", InferenceWarning,
                      stacklevel=2)
    items, wtable = _dual_tables(s_names, e_names, i_names if needs_ratings else None, mom_s.n, ms, me,
                                 scores, wts, mi, method)
    settings = {"method": method, "variant": variant if method == "improved" else "D1" if aggregation == "aggregate"
                else "D2", "aggregation": aggregation, "importance_method": provider, "confidence": confidence,
                "weighted": w is not None, "n_used": n_used, "n_dropped": survey.n - n_used, "seed": None}
    return DualEvaluationResult(weights=wtable, items=items, index=float(index), index_raw=float(index_raw),
                          std_error=float(se_index), ci_lower=float(index - tq * se_index),
                          ci_upper=float(index + tq * se_index), ahp=ahp, settings=settings)


__getattr__ = deprecated_aliases(__name__, {"DualEvaluation": DualEvaluationResult, "AHPWeights": AHPWeightsResult})
