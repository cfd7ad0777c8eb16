"""Satisfaction as a ratio C = b/a, subtractive disconfirmation b − a, value-percept disparity.

Formulas (METHODS.md §0.1 and §7.1):

* per respondent n and attribute i: ``C_ni = b_ni / a_ni`` (``b`` perceived, ``a`` expected or
  desired), defined only when both are answered and ``a > 0``; otherwise the cell is NaN and
  counted in ``n_missing`` / ``n_nonpositive`` (no division warning is ever emitted);
* difference ``D_ni = b_ni − a_ni`` on the same valid cells (Oliver 1980 subtractive
  disconfirmation with ``reference="expected"``; Westbrook & Reilly 1983 value-percept
  disparity with ``reference="desired"``: the same code path, another reference point);
* two aggregations, both always reported:

  - ``mean_ratio`` = weighted mean over respondents of ``C_ni`` (t interval);
  - ``ratio_of_means`` = ``Σ w b / Σ w a`` over the valid pairs (delta-method interval);

  ``aggregation`` picks which one fills the ``ratio`` column and :attr:`RatioIndexResult.overall`;
  the default is ``"ratio_of_means"`` (the textbook writes C = b/a for aggregated perceived and
  expected values; it is also robust to small expectations). **The textbook does not say
  which one it means [U].**
* construct and overall rows: per respondent the mean of that respondent's valid ``C`` over the
  construct's items (``mean_ratio``) and, for ``ratio_of_means``, the ratio of the weighted
  means of the respondents' average ``b`` and average ``a`` over the same valid pairs;
* bands (textbook; tolerance ``tol`` default 0.05 [U]): ``C == 0`` unmet, ``C < 1 − tol``
  dissatisfied, ``|C − 1| ≤ tol`` fairly satisfied, ``C > 1 + tol`` very satisfied; share of
  respondents per band with Wilson intervals (Kish effective n under sampling weights);
* disconfirmation bands on ``D`` with tolerance ``diff_tol`` (default 0 [U]):
  ``D < −diff_tol`` negative, ``|D| ≤ diff_tol`` confirmation, ``D > diff_tol`` positive.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"CREW1": [4, 5, 3], "EXP_CREW1": [5, 5, 3]})
>>> res = ratio_index(df, perceived=["CREW1"], expected=["EXP_CREW1"], scale=(1, 5))
>>> res.items.set_index("item").loc["CREW1", ["mean_ratio", "ratio_of_means"]].round(4).tolist()
[0.9333, 0.9231]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._bands import DIFFERENCE_BANDS, RATIO_BANDS, classify_difference, classify_ratio
from .._params import Interval, Options, check_param
from .._results import ResultMixin, deprecated_aliases
from .._segmenting import segmentable
from .._summary import Summary
from .._validation import quote_list
from ..exceptions import InferenceWarning, MissingDataWarning, ParameterError, SurveyDataError
from ._common import (
    BandCounter,
    Moments,
    RatioMoments,
    as_names,
    as_survey,
    check_items,
    group_means,
    matrix,
    row_chunks,
    row_mean,
    sampling_weights,
    wilson_interval,
)

__all__ = ["RatioIndexResult", "ratio_index", "disconfirmation", "classify_ratio", "RATIO_BANDS", "DIFFERENCE_BANDS"]

_AGGREGATIONS = ("ratio_of_means", "mean_ratio")


@dataclass(frozen=True, repr=False)
class RatioIndexResult(ResultMixin):
    """Result of :func:`ratio_index`.

    Attributes
    ----------
    items : pandas.DataFrame
        One row per perceived item. Columns: ``item, reference_item, construct, n,
        n_missing, n_nonpositive, mean_perceived, mean_reference, mean_ratio,
        mean_ratio_std_error, mean_ratio_ci_lower, mean_ratio_ci_upper, ratio_of_means,
        ratio_of_means_std_error, ratio_of_means_ci_lower, ratio_of_means_ci_upper, ratio,
        band, mean_difference, difference_ci_lower, difference_ci_upper, disconfirmation``.
        ``ratio`` is the aggregation chosen with ``aggregation=``; ``band`` classifies it;
        ``disconfirmation`` classifies ``mean_difference``.
    constructs : pandas.DataFrame
        One row per construct (column ``construct``), with a final ``overall`` row; same statistics as ``items``
        (``n_items`` instead of the item columns).
    bands : pandas.DataFrame
        Tidy shares of respondents per band: ``level`` ("item", "construct", "overall"),
        ``name``, ``measure`` ("ratio" or "difference"), ``band``, ``n`` (respondents with a
        value), ``share``, ``ci_lower``, ``ci_upper`` (Wilson).
    ratios : pandas.DataFrame
        ``C`` per respondent (rows, aligned to the survey) and perceived item (columns); NaN
        where ``a`` is missing or ``a <= 0`` or ``b`` is missing.
    differences : pandas.DataFrame
        ``b − a`` on the same cells.
    overall : float
        The overall ratio C under the chosen aggregation. (It was called ``index`` before;
        ``index`` still returns it for one release with a ``FutureWarning``: C is a ratio, not
        a 0–100 index.)
    settings : dict
        ``aggregation, tol, diff_tol, reference, confidence, weighted, n_invalid,
        n_nonpositive, n_used, n_dropped, seed``.
    """

    items: pd.DataFrame
    constructs: pd.DataFrame
    bands: pd.DataFrame
    overall: float
    settings: Mapping[str, Any] = field(default_factory=dict)
    _pairs: Any = field(default=None, compare=False)

    _tables: ClassVar[Mapping[str, str]] = {"items": "item", "constructs": "construct", "bands": "band"}

    @property
    def index(self) -> float:
        """Deprecated: the overall ratio C, now :attr:`overall` (C is not a 0–100 index)."""
        warnings.warn("RatioIndexResult.index is the overall ratio C and is renamed 'overall'; "
                      "'index' will stop working in the next release.", FutureWarning, stacklevel=2)
        return self.overall

    @property
    def ratios(self) -> pd.DataFrame:
        """``C = b/a`` per respondent (rows, aligned to the survey) and perceived item (columns);
        NaN where ``a`` is missing or ``<= 0`` or ``b`` is missing. Computed on access."""
        b, a, index, names = self._pairs
        valid = ~(np.isnan(b) | np.isnan(a))
        with np.errstate(invalid="ignore"):
            valid &= a > 0
        c = np.divide(b, a, out=np.full(b.shape, np.nan), where=valid)
        return pd.DataFrame(c, index=index, columns=names)

    @property
    def differences(self) -> pd.DataFrame:
        """``b − a`` on the cells where ``C`` is defined. Computed on access."""
        b, a, index, names = self._pairs
        with np.errstate(invalid="ignore"):
            d = np.where(a > 0, b - a, np.nan)
        return pd.DataFrame(d, index=index, columns=names)

    def summary(self) -> Summary:
        """Construct and item tables with the overall band shares."""
        cols = ["mean_ratio", "ratio_of_means", "ratio", "band", "mean_difference", "disconfirmation"]
        overall = self.bands[self.bands["level"] == "overall"].drop(columns=["level", "name"])
        facts = {"overall C": self.overall, **{k: self.settings.get(k) for k in
                                            ("aggregation", "tol", "reference", "weighted", "n_invalid")}}
        notes = ()
        if self.settings.get("n_invalid"):
            notes = (f"{self.settings['n_invalid']} respondent-item cells have no ratio "
                     f"({self.settings.get('n_nonpositive', 0)} with a reference rating <= 0).",)
        return Summary("Satisfaction ratio C = b/a", facts=facts,
                       tables={"Constructs": self.constructs[["construct", "n"] + cols],
                               "Items": self.items[["item", "reference_item", "n"] + cols],
                               "Overall bands": overall.reset_index(drop=True)},
                       notes=notes)

    def plot(self, name: str = "overall", *, ax: Any = None, texts: Any = None):
        """Histogram of the respondents' ratios with the band shares of :attr:`bands`
        (:func:`csindex.plots.ratio_distribution`; the plot draws this result's shares, it does
        not classify again).

        Parameters
        ----------
        name : str
            ``"overall"``, a construct or a perceived item.
        ax : matplotlib Axes, optional
        texts : dict, optional
            Message id -> text the chart draws (see :func:`csindex.plots.ratio_distribution`).
        """
        from ..plots import ratio_distribution

        if name in self.ratios.columns:
            values = self.ratios[name].to_numpy()
        else:
            groups = _groups(self.items)
            if name == "overall":
                cols = list(self.ratios.columns)
            elif name in groups:
                cols = groups[name]
            else:
                raise SurveyDataError(f"{name!r} is neither 'overall', a construct nor an item of this result.")
            values = row_mean(self.ratios[cols].to_numpy())
        values = values[np.isfinite(values)]
        level = "overall" if name == "overall" else ("item" if name in self.ratios.columns else "construct")
        rows = self.bands[(self.bands["level"] == level) & (self.bands["name"] == name)
                          & (self.bands["measure"] == "ratio")]
        if not (rows["band"] == "unmet").any() or float(rows.loc[rows["band"] == "unmet", "share"].sum()) == 0.0:
            rows = rows[rows["band"] != "unmet"]
        return ratio_distribution(values, rows[["band", "share"]], tol=float(self.settings["tol"]), ax=ax, texts=texts)


def _groups(items: pd.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item, c in zip(items["item"], items["construct"]):
        out.setdefault(str(c), []).append(str(item))
    return out


def _resolve_pairs(survey: Any, perceived: list[str] | None, reference_items: list[str] | None,
                   where: str) -> tuple[list[str], list[str]]:
    if reference_items is not None and perceived is None:
        raise SurveyDataError(f"{where} got reference items but no perceived=; give both lists, pairwise.")
    if perceived is not None and reference_items is not None:
        if len(perceived) != len(reference_items):
            raise SurveyDataError(
                f"{where} needs one reference item per perceived item; got {len(perceived)} perceived and "
                f"{len(reference_items)} reference items (expected=)."
            )
        return perceived, reference_items
    pairs = dict(survey.pairs("expectation"))
    if perceived is None:
        if not pairs:
            raise SurveyDataError(
                f"{where} found no (perceived, expected) pairs in the codebook (expectation items with an "
                "'attribute'). Pass perceived= and expected= lists."
            )
        return list(pairs), list(pairs.values())
    missing = [p for p in perceived if p not in pairs]
    if missing:
        raise SurveyDataError(
            f"The codebook links no expectation item to {quote_list(missing)}. Pass expected= with one item per "
            "perceived item."
        )
    return perceived, [pairs[p] for p in perceived]


def _level_stats(accumulators: tuple[Any, Any, Any], confidence: float, aggregation: str) -> dict[str, Any]:
    """Columns of the items or constructs table from the accumulated moments."""
    mc, md, mr = accumulators
    ms, ds, rs = mc.stats(confidence), md.stats(confidence), mr.stats(confidence)
    return {
        "n": ms["n"].astype(np.int64),
        "mean_perceived": rs["mean_num"],
        "mean_reference": rs["mean_den"],
        "mean_ratio": ms["mean"],
        "mean_ratio_std_error": ms["se"],
        "mean_ratio_ci_lower": ms["mean"] - ms["t"] * ms["se"],
        "mean_ratio_ci_upper": ms["mean"] + ms["t"] * ms["se"],
        "ratio_of_means": rs["ratio"],
        "ratio_of_means_std_error": rs["se"],
        "ratio_of_means_ci_lower": rs["ratio"] - rs["t"] * rs["se"],
        "ratio_of_means_ci_upper": rs["ratio"] + rs["t"] * rs["se"],
        "ratio": ms["mean"] if aggregation == "mean_ratio" else rs["ratio"],
        "mean_difference": ds["mean"],
        "difference_ci_lower": ds["mean"] - ds["t"] * ds["se"],
        "difference_ci_upper": ds["mean"] + ds["t"] * ds["se"],
    }


def _band_table(bands_acc: dict[str, Any], b_names: list[str], names: list[str], confidence: float) -> pd.DataFrame:
    """Band shares with Wilson intervals per item, construct and overall (the ``bands`` table)."""
    g = len(names)
    frames = []
    for level, key, sel, labels in (("item", "item", slice(None), b_names),
                                    ("construct", "construct", slice(0, g - 1), names[:-1]),
                                    ("overall", "construct", slice(g - 1, g), ["overall"])):
        for measure, counter, band_names in (("ratio", bands_acc[key][0], RATIO_BANDS),
                                             ("difference", bands_acc[key][1], DIFFERENCE_BANDS)):
            k = len(band_names)
            share2, n_eff1, n_valid1 = counter.shares()
            share2, n_eff1, n_valid1 = share2[sel], n_eff1[sel], n_valid1[sel]
            share = share2.ravel()
            lo, hi = wilson_interval(share, np.repeat(n_eff1, k), confidence)
            frames.append(pd.DataFrame({
                "level": level, "name": np.repeat(labels, k), "measure": measure,
                "band": np.tile(band_names, len(labels)), "n": np.repeat(n_valid1, k).astype(np.int64),
                "share": share, "ci_lower": lo, "ci_upper": hi,
            }))
    return pd.concat(frames, ignore_index=True)


def _construct_groups(survey: Any, b_names: list[str], constructs: Any) -> tuple[dict[str, str], dict[str, list[int]]]:
    """-> (perceived item -> construct, construct -> item positions) from ``constructs=`` or the codebook."""
    table = survey.codebook.items
    if constructs is None:
        construct_of = {}
        for item in b_names:
            cons = table.at[item, "construct"] if item in table.index else ""
            construct_of[item] = str(cons) if isinstance(cons, str) and cons else item
    else:
        if not isinstance(constructs, Mapping):
            raise ParameterError(f"The 'constructs' parameter of ratio_index must be a dict construct -> items. "
                                 f"Got {constructs!r} instead.")
        construct_of = {str(i): str(cn) for cn, its in constructs.items() for i in as_names(its) or []}
        left = [i for i in b_names if i not in construct_of]
        if left:
            raise SurveyDataError(f"constructs= does not place the perceived items {quote_list(left)}.")
    groups: dict[str, list[int]] = {}
    for j, item in enumerate(b_names):
        groups.setdefault(construct_of[item], []).append(j)
    return construct_of, groups


def _accumulate(b: np.ndarray, a: np.ndarray, wv: np.ndarray, gmat: np.ndarray, tol: float,
                diff_tol: float) -> tuple[dict[str, Any], dict[str, Any], np.ndarray, np.ndarray, int]:
    """One pass over row blocks: moments of ratios, differences and ratings, and band counts.

    -> (moment accumulators per level, band counters per level, answered pairs, pairs with a <= 0,
    respondents with at least one valid pair)
    """
    n, m = b.shape
    g = gmat.shape[1]
    n_answered = np.zeros(m, dtype=np.int64)
    n_nonpos = np.zeros(m, dtype=np.int64)
    n_rows_used = 0
    acc = {key: (Moments(m), Moments(m), RatioMoments(m)) for key in ("item",)}
    acc["construct"] = (Moments(g), Moments(g), RatioMoments(g))
    bands_acc = {"item": (BandCounter(m, 4), BandCounter(m, 3)), "construct": (BandCounter(g, 4), BandCounter(g, 3))}
    for rows in row_chunks(n, m):
        bb, aa, ww = np.ascontiguousarray(b[rows]), np.ascontiguousarray(a[rows]), wv[rows]
        answered = ~(np.isnan(bb) | np.isnan(aa))
        with np.errstate(invalid="ignore"):
            nonpos = answered & (aa <= 0)
        valid = answered & ~nonpos
        n_answered += answered.sum(axis=0)
        n_nonpos += nonpos.sum(axis=0)
        n_rows_used += int(valid.any(axis=1).sum())
        cc = np.divide(bb, aa, out=np.full(bb.shape, np.nan), where=valid)
        dd = np.where(valid, bb - aa, np.nan)
        bv = np.where(valid, bb, np.nan)
        av = np.where(valid, aa, np.nan)
        counts = np.einsum("ij,jk->ik", valid.astype(np.float64), gmat)
        comp = [group_means(x, gmat, counts) for x in (cc, dd, bv, av)]
        for key, (xc, xd, xb, xa) in (("item", (cc, dd, bv, av)), ("construct", comp)):
            mc, md, mr = acc[key]
            mc.add(xc, ww)
            md.add(xd, ww)
            mr.add(xb, xa, ww)
            bc, bd = bands_acc[key]
            bc.add(classify_ratio(xc, tol), ww)
            bd.add(classify_difference(xd, diff_tol), ww)
    return acc, bands_acc, n_answered, n_nonpos, n_rows_used


def _label_bands(table: pd.DataFrame, tol: float, diff_tol: float) -> None:
    """Add the ``band`` (of ``ratio``) and ``disconfirmation`` (of ``mean_difference``) columns."""
    table["band"] = np.array(RATIO_BANDS + ("",), dtype=object)[classify_ratio(table["ratio"].to_numpy(), tol)]
    table["disconfirmation"] = np.array(DIFFERENCE_BANDS + ("",), dtype=object)[
        classify_difference(table["mean_difference"].to_numpy(), diff_tol)]


@segmentable
def ratio_index(data: Any, perceived: Sequence[str] | None = None, expected: Sequence[str] | None = None, *,
                aggregation: str = "ratio_of_means", tol: float = 0.05, diff_tol: float = 0.0,
                reference: str = "expected", constructs: Mapping[str, Sequence[str]] | None = None,
                weights: Any = None, confidence: float = 0.95,
                scale: tuple[float, float] | None = None, by: Any = None) -> RatioIndexResult:
    """Satisfaction ratio C = b/a (and difference b − a) per respondent, item, construct and overall.

    Parameters
    ----------
    data : Survey or DataFrame
        A DataFrame is loaded with :func:`csindex.load_survey` (``scale`` passed on).
    perceived : list of str, optional
        Perceived-performance items ``b``. Default: every perception item that the codebook
        pairs with an expectation item (:meth:`Survey.pairs`).
    expected : list of str, optional
        Reference items ``a``, one per perceived item, in the same order: expectations
        (``reference="expected"``) or desired levels (``reference="desired"``). Default: the
        codebook's expectation item of each perceived item.
    aggregation : {"ratio_of_means", "mean_ratio"}
        Which aggregate fills ``ratio`` and :attr:`RatioIndexResult.overall` (both are always
        reported). Default ``"ratio_of_means"`` [U: the textbook's choice is unknown].
    tol : float
        Half-width of the "fairly satisfied" band around C = 1 (default 0.05 [U]).
    diff_tol : float
        Half-width of the "confirmation" band of ``b − a`` on the rating scale (default 0).
    reference : {"expected", "desired"}
        Label of the reference point: Oliver's expectation disconfirmation or Westbrook &
        Reilly's value-percept disparity. Only the labels in ``settings`` differ.
    constructs : dict, optional
        construct -> perceived items; default: the codebook construct of each perceived item.
    weights : None, False, str or array
        Sampling weights: None uses the survey's weights, False ignores them, a column name or
        one weight per respondent overrides them.
    confidence : float
        Level of all intervals.
    scale : (min, max), optional
        Scale used when a DataFrame's codebook is inferred.
    by : str, list of str or Series, optional
        Analyse every segment separately (see :func:`csindex.segments.split_segments`);
        returns a :class:`~csindex.segments.SegmentResults` mapping segment -> RatioIndexResult,
        each equal to running on that segment alone (``n_jobs=`` runs segments in parallel).

    Returns
    -------
    RatioIndexResult

    Raises
    ------
    SurveyDataError
        Unknown or unpaired items, negative perceived ratings, or an item without any valid pair.

    Warns
    -----
    MissingDataWarning
        When some reference ratings are ``<= 0`` (those cells are left out and counted).
    InferenceWarning
        When an interval is undefined (fewer than two valid answers).

    Examples
    --------
    >>> import csindex
    >>> res = ratio_index(csindex.datasets.airline())
    >>> res.constructs["construct"].iloc[-1]
    'overall'
    >>> sorted(res.bands["band"].unique())[:2]
    ['confirmation', 'dissatisfied']
    """
    where = "ratio_index()"
    check_param("aggregation", aggregation, Options(*_AGGREGATIONS), where)
    check_param("reference", reference, Options("expected", "desired"), where)
    tol = check_param("tol", tol, Interval(0, 1, closed="left"), where)
    diff_tol = check_param("diff_tol", diff_tol, Interval(0, None), where)
    confidence = check_param("confidence", confidence, where=where)
    survey = as_survey(data, scale, where)
    b_names, a_names = _resolve_pairs(survey, as_names(perceived), as_names(expected), where)
    check_items(survey, b_names, "perceived items", where)
    check_items(survey, a_names, "reference items", where)
    w = sampling_weights(survey, weights, where)
    wv = np.ones(survey.n) if w is None else w

    b = matrix(survey, b_names)
    a = matrix(survey, a_names)
    with np.errstate(invalid="ignore"):
        neg = [n for n, bad in zip(b_names, (b < 0).any(axis=0)) if bad]
    if neg:
        raise SurveyDataError(
            f"Perceived items {quote_list(neg)} have negative ratings; C = b/a needs ratings on a non-negative "
            "scale. Recode the scale (e.g. -3..3 -> 1..7) first."
        )

    construct_of, groups = _construct_groups(survey, b_names, constructs)
    cols = [*groups.values(), list(range(len(b_names)))]
    names = [*groups, "overall"]

    # one pass over row blocks: ratios, differences, moments and band counts
    n, m, g = survey.n, len(b_names), len(cols)
    gmat = np.zeros((m, g))
    for j, js in enumerate(cols):
        gmat[js, j] = 1.0
    acc, bands_acc, n_answered, n_nonpos, n_rows_used = _accumulate(b, a, wv, gmat, tol, diff_tol)
    n_valid = n_answered - n_nonpos
    empty = [nm for nm, k in zip(b_names, n_valid) if k == 0]
    if empty:
        raise SurveyDataError(
            f"Items {quote_list(empty)} have no respondent with both ratings and a reference rating > 0; they "
            "cannot be scored. Leave them out with perceived= and expected=."
        )
    if n_nonpos.any():
        bad = [nm for nm, k in zip(a_names, n_nonpos) if k]
        warnings.warn(
            f"{int(n_nonpos.sum())} reference ratings are <= 0 (items {quote_list(bad)}); C = b/a is undefined "
            "there, so those cells are left out (counted in n_nonpositive).",
            MissingDataWarning, stacklevel=2,
        )

    st = _level_stats(acc["item"], confidence, aggregation)
    items = pd.DataFrame({
        "reference_item": a_names,
        "construct": [construct_of[i] for i in b_names],
        "n": st.pop("n"),
        "n_missing": (n - n_answered).astype(np.int64),
        "n_nonpositive": n_nonpos.astype(np.int64),
        **st,
    }, index=pd.Index(b_names, name="item"))
    _label_bands(items, tol, diff_tol)
    cst = _level_stats(acc["construct"], confidence, aggregation)
    cons = pd.DataFrame({"n_items": [len(js) for js in cols], "n": cst.pop("n"), **cst},
                        index=pd.Index(names, name="construct"))
    _label_bands(cons, tol, diff_tol)
    bands = _band_table(bands_acc, b_names, names, confidence)

    undefined = list(items.index[items["mean_ratio_ci_lower"].isna()])
    if undefined:
        warnings.warn(
            f"The confidence intervals of {quote_list(undefined)} are undefined (NaN) because fewer than two "
            "valid pairs (or effective pairs after weighting) are available.",
            InferenceWarning, stacklevel=2,
        )
    settings = {"aggregation": aggregation, "tol": float(tol), "diff_tol": float(diff_tol), "reference": reference,
                "confidence": confidence, "weighted": w is not None,
                "n_invalid": int(n * m - n_valid.sum()), "n_nonpositive": int(n_nonpos.sum()),
                "n_used": n_rows_used, "n_dropped": n - n_rows_used, "seed": None}
    return RatioIndexResult(items=items, constructs=cons, bands=bands, overall=float(cons.at["overall", "ratio"]),
                            settings=settings, _pairs=(b, a, survey.responses.index, list(b_names)))


def disconfirmation(data: Any, perceived: Sequence[str] | None = None, reference_items: Sequence[str] | None = None,
                    *, reference: str = "expected", diff_tol: float = 0.0, **kwargs: Any) -> RatioIndexResult:
    """Subtractive disconfirmation ``b − a`` (Oliver 1980) or value-percept disparity (Westbrook & Reilly 1983).

    The same computation as :func:`ratio_index` (read ``mean_difference`` and the
    ``disconfirmation`` column, and the ``measure == "difference"`` rows of ``bands``);
    ``reference="desired"`` states that ``reference_items`` hold desired levels.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"Q1": [4, 5, 2], "WANT_Q1": [5, 5, 4]})
    >>> res = disconfirmation(df, ["Q1"], ["WANT_Q1"], reference="desired", scale=(1, 5))
    >>> row = res.items.set_index("item").loc["Q1"]
    >>> float(row["mean_difference"]), row["disconfirmation"]
    (-1.0, 'negative disconfirmation')
    """
    return ratio_index(data, perceived, reference_items, reference=reference, diff_tol=diff_tol, **kwargs)


__getattr__ = deprecated_aliases(__name__, {"RatioIndex": RatioIndexResult})
