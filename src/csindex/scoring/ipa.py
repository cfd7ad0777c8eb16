"""Importance-performance analysis (Martilla & James 1977) with the Ulwick opportunity score.

Each attribute i is placed at (importance Ī_i, performance P̄_i) (METHODS.md §6.1):

* high importance / low performance: "Concentrate here";
* high / high: "Keep up the good work";
* low / low: "Low priority";
* low importance / high performance: "Possible overkill".

A point exactly on a cross-hair counts as high (as in :func:`csindex.plots.priority_matrix`).
Cross-hairs: ``"scale_midpoint"`` (default; e.g. 3 on 1-5, the 四分图 convention),
``"mean"`` or ``"median"`` of the attributes' values, or fixed ``(x, y)``. Martilla & James
left the placement to judgement; the default is a documented choice [U].

Importance is stated (the mean importance rating) or derived (driver shares from
:func:`csindex.scoring.drivers.driver_weights`; the importance cross-hair is then the mean
share, ``1/p``, when ``"scale_midpoint"`` is asked for, since shares have no scale).

Ulwick opportunity score (gist ek/df25fd90, METHODS.md §1):
``IMP = 10 · share(importance in the top-2 box)``, ``SAT = 10 · share(performance in the top-2
box)``, ``opportunity = IMP + max(IMP − SAT, 0)``. The top box is the ``top_box`` highest scale
points (2: {4, 5} on 1-5, {9, 10} on 1-10). With derived importance there are no importance
ratings, so ``opportunity`` is NaN (stated in ``settings``).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"A1": [2, 1, 2], "B1": [5, 4, 4], "IMP_A1": [5, 5, 4], "IMP_B1": [1, 2, 2]})
>>> res = ipa(df, ["A1", "B1"], ["IMP_A1", "IMP_B1"], scale=(1, 5))
>>> res.items["quadrant"].tolist()
['Concentrate here', 'Possible overkill']
"""

from __future__ import annotations

import warnings

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._params import Count, check_param
from .._results import ResultMixin
from .._segmenting import segmentable
from .._summary import Summary
from .._validation import check_option, quote_list
from ..exceptions import InferenceWarning, SurveyDataError
from .drivers import driver_weights
from ._common import Moments, as_names, as_survey, check_items, matrix, row_chunks, sampling_weights

__all__ = ["IPAResult", "ipa", "QUADRANTS"]

QUADRANTS = {
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}


@dataclass(frozen=True, repr=False)
class IPAResult(ResultMixin):
    """Result of :func:`ipa`.

    Attributes
    ----------
    items : pandas.DataFrame
        One row per performance item: ``item, importance_item, n, importance, performance,
        performance_ci_lower, performance_ci_upper, quadrant, importance_top2,
        performance_top2, opportunity``.
    crosshair : tuple of float
        (importance, performance) where the quadrants split.
    settings : dict
        ``importance_method, crosshair, top_box, weighted, confidence`` and notes.
    """

    items: pd.DataFrame
    crosshair: tuple[float, float]
    settings: Mapping[str, Any] = field(default_factory=dict)

    _tables: ClassVar[Mapping[str, str]] = {"items": "item"}

    def summary(self) -> Summary:
        """The attribute table and quadrant counts."""
        counts = self.items["quadrant"].value_counts().reindex(list(QUADRANTS.values()), fill_value=0)
        facts = {"importance": self.settings.get("importance_method"), "crosshair":
                 f"({self.crosshair[0]:.3f}, {self.crosshair[1]:.3f}) [{self.settings.get('crosshair')}]",
                 **{f"{q}": int(c) for q, c in counts.items()}}
        notes = tuple(self.settings.get("notes", ()))
        return Summary("Importance-performance analysis", facts=facts, tables={"Attributes": self.items}, notes=notes)

    def plot(self, *, ax: Any = None, title: str | None = None):
        """Priority matrix with the quadrant names (:func:`csindex.plots.priority_matrix`)."""
        from ..plots import priority_matrix

        t = self.items.rename(columns={"item": "name"})
        return priority_matrix(t, crosshair=self.crosshair, ax=ax, title=title)


def _crosshair(crosshair: Any, p_scales: list[tuple[float, float]], i_scales: list[tuple[float, float]] | None,
               importance_values: np.ndarray, perf: np.ndarray, notes: list[str]) -> tuple[float, float, str]:
    """-> (x, y, label) where the quadrants split; ``i_scales`` is None for derived importance."""
    stated = i_scales is not None
    if isinstance(crosshair, str):
        if crosshair == "scale_midpoint":
            if len(set(p_scales)) != 1:
                raise SurveyDataError("crosshair='scale_midpoint' needs all performance items on one scale; use "
                                      "crosshair='mean' or give (x, y).")
            cy = (p_scales[0][0] + p_scales[0][1]) / 2.0
            if stated:
                if len(set(i_scales)) != 1:
                    raise SurveyDataError("crosshair='scale_midpoint' needs all importance items on one scale; use "
                                          "crosshair='mean' or give (x, y).")
                cx = (i_scales[0][0] + i_scales[0][1]) / 2.0
            else:
                cx = float(np.mean(importance_values))
                notes.append("Derived importance has no scale: its cross-hair is the mean share (1/p).")
        else:
            agg = np.mean if crosshair == "mean" else np.median
            cx, cy = float(agg(importance_values)), float(agg(perf))
        label = crosshair
    else:
        try:
            cx, cy = (float(v) for v in crosshair)
        except (TypeError, ValueError):
            raise SurveyDataError(
                f"crosshair must be 'scale_midpoint', 'mean', 'median' or (x, y); got {crosshair!r}."
            ) from None
        label = "fixed"
    return cx, cy, label


@segmentable
def ipa(data: Any, performance: Sequence[str] | None = None, importance: Sequence[str] | None = None, *,
        importance_method: str = "stated", crosshair: str | tuple[float, float] = "scale_midpoint",
        target: Any = None, derived_method: str = "shapley", top_box: int = 2,
        scale: tuple[float, float] | None = None, weights: Any = None, confidence: float = 0.95,
        by: Any = None) -> IPAResult:
    """Importance-performance analysis: quadrants, cross-hairs and the Ulwick opportunity score.

    Parameters
    ----------
    data : Survey or DataFrame
        A DataFrame is loaded with :func:`csindex.load_survey` (``scale`` passed on).
    performance : list of str, optional
        Performance (satisfaction) items. Default: the perception items the codebook pairs
        with importance items.
    importance : list of str, optional
        One importance item per performance item (stated importance); default: the
        codebook's pairs.
    importance_method : {"stated", "derived"}
        Stated ratings or driver shares (regression-derived importance).
    crosshair : {"scale_midpoint", "mean", "median"} or (x, y)
        Where the quadrants split.
    target : str or list, optional
        Outcome for derived importance (default: the overall-satisfaction items).
    derived_method : str
        Driver method for derived importance (default Shapley/LMG).
    top_box : int
        Scale points counted as the top box in the opportunity score.
    scale : (min, max), optional
        Scale used when a DataFrame's codebook is inferred.
    weights : None, False, str or array
        Sampling weights (None: the survey's, False: none).
    confidence : float
        Level of the performance intervals.
    by : str, list of str or Series, optional
        Analyse every segment separately (see :func:`csindex.segments.split_segments`);
        returns a :class:`~csindex.segments.SegmentResults` mapping segment -> IPAResult,
        each equal to running on that segment alone (``n_jobs=`` runs segments in parallel).

    Returns
    -------
    IPAResult

    Raises
    ------
    SurveyDataError
        Unknown or unpaired items, an item without answers, or ``"scale_midpoint"`` with items
        on different scales.

    Examples
    --------
    >>> import csindex
    >>> res = ipa(csindex.datasets.airline(), crosshair="mean")
    >>> sorted(res.items["quadrant"].unique())[0]
    'Concentrate here'
    """
    where = "ipa"
    check_option("importance_method", importance_method, ("stated", "derived"), where)
    if isinstance(crosshair, str):
        check_option("crosshair", crosshair, ("scale_midpoint", "mean", "median"), where)
    top_box = check_param("top_box", top_box, Count(1), where)
    confidence = check_param("confidence", confidence, where=where)
    survey = as_survey(data, scale, where)
    p_names = as_names(performance)
    i_names = as_names(importance)
    pairs = dict(survey.pairs("importance"))
    if p_names is None:
        if not pairs:
            raise SurveyDataError(f"{where} needs performance=: the codebook pairs no perception item with an "
                                  "importance item.")
        p_names = list(pairs)
    check_items(survey, p_names, "performance items", where)
    stated = importance_method == "stated"
    if stated:
        if i_names is None:
            missing = [n for n in p_names if n not in pairs]
            if missing:
                raise SurveyDataError(f"The codebook links no importance item to {quote_list(missing)}. Pass "
                                      "importance= or importance_method='derived'.")
            i_names = [pairs[n] for n in p_names]
        if len(i_names) != len(p_names):
            raise SurveyDataError(f"{where} needs one importance item per performance item.")
        check_items(survey, i_names, "importance items", where)
    w = sampling_weights(survey, weights, where)
    wv = np.ones(survey.n) if w is None else w
    x_all = matrix(survey, p_names)
    p_scales = [survey.scale(n) for n in p_names]
    p_hi = np.array([sc[1] for sc in p_scales])
    m = len(p_names)
    if stated:
        i_all = matrix(survey, i_names)
        i_scales = [survey.scale(n) for n in i_names]
        i_hi = np.array([sc[1] for sc in i_scales])
    mom_p, mom_pt, mom_i, mom_it = Moments(m), Moments(m), Moments(m), Moments(m)
    n_used = 0
    for rows in row_chunks(survey.n, 2 * m):
        ww = wv[rows]
        xx = np.ascontiguousarray(x_all[rows])
        n_used += int((~np.isnan(xx)).any(axis=1).sum())
        mom_p.add(xx, ww)
        with np.errstate(invalid="ignore"):
            mom_pt.add(np.where(np.isnan(xx), np.nan, (xx > p_hi - top_box).astype(np.float64)), ww)
        if stated:
            ii = np.ascontiguousarray(i_all[rows])
            mom_i.add(ii, ww)
            with np.errstate(invalid="ignore"):
                mom_it.add(np.where(np.isnan(ii), np.nan, (ii > i_hi - top_box).astype(np.float64)), ww)
    empty = [nm for nm, c in zip(p_names, mom_p.n) if c == 0]
    if empty:
        raise SurveyDataError(f"Performance items {quote_list(empty)} have no answers; leave them out.")
    pst = mom_p.stats(confidence)
    perf_top2 = mom_pt.stats(confidence)["mean"]
    notes: list[str] = []
    if stated:
        empty = [nm for nm, c in zip(i_names, mom_i.n) if c == 0]
        if empty:
            raise SurveyDataError(f"Importance items {quote_list(empty)} have no answers; leave them out.")
        importance_values = mom_i.stats(confidence)["mean"]
        imp_top2 = mom_it.stats(confidence)["mean"]
        big_i = 10.0 * imp_top2
        big_s = 10.0 * perf_top2
        opportunity = big_i + np.maximum(big_i - big_s, 0.0)
    else:
        dw = driver_weights(survey, target=target, drivers=p_names, method=derived_method, weights=weights)
        importance_values = dw.weights.set_index("driver")["share"].reindex(p_names).to_numpy()
        imp_top2 = np.full(len(p_names), np.nan)
        opportunity = np.full(len(p_names), np.nan)
        r2 = float(dw.r_squared["r_squared"].iloc[0])
        notes.append(f"Importance derived from {derived_method} driver shares for {dw.target!r} "
                     f"(R2 = {r2:.3f}); the opportunity score needs stated importance and is NaN.")

    perf = pst["mean"]
    cx, cy, label = _crosshair(crosshair, p_scales, i_scales if stated else None, importance_values, perf, notes)
    quadrant = [QUADRANTS[(bool(i >= cx), bool(pv >= cy))] for i, pv in zip(importance_values, perf)]
    items = pd.DataFrame({
        "importance_item": i_names if stated else [""] * len(p_names),
        "n": pst["n"].astype(np.int64),
        "importance": importance_values,
        "performance": perf,
        "performance_ci_lower": perf - pst["t"] * pst["se"],
        "performance_ci_upper": perf + pst["t"] * pst["se"],
        "quadrant": quadrant,
        "importance_top2": imp_top2,
        "performance_top2": perf_top2,
        "opportunity": opportunity,
    }, index=pd.Index(p_names, name="item"))
    undefined = list(items.index[items["performance_ci_lower"].isna()])
    items = items.reset_index()
    if undefined:
        warnings.warn(f"The performance intervals of {quote_list(undefined)} are undefined (NaN): fewer than two "
                      "answers (or effective answers after weighting).", InferenceWarning, stacklevel=2)
    settings = {"importance_method": importance_method, "crosshair": label, "top_box": int(top_box),
                "weighted": w is not None, "confidence": confidence, "notes": tuple(notes),
                "n_used": n_used, "n_dropped": survey.n - n_used, "seed": None}
    return IPAResult(items=items, crosshair=(float(cx), float(cy)), settings=settings)
