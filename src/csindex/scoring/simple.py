"""The simple method: mean, top-2-box share and 0-100 score per item and construct; satisfaction rate.

Formulas (METHODS.md §0.2):

* mean of item ``x`` with weights ``w``: ``m = Σ w x / Σ w``;
* 0-100 score: ``100 · (m − min) / (max − min)`` on the item's scale;
* top-2-box share: weighted share of answers in the two highest scale points;
* standard error: ``s / sqrt(n_eff)`` with ``n_eff = (Σ w)² / Σ w²`` (Kish) and ``s²`` the
  weighted variance ``Σ w (x − m)² / Σ w · n_eff / (n_eff − 1)``; without weights this is
  the usual ``s / sqrt(n)``; the CI is ``m ± t_{n_eff − 1} · se``;
* construct: per respondent the mean of the answered items' 0-100 values (the composite),
  then the same statistics over respondents; the ``overall`` row averages each respondent's
  construct composites;
* satisfaction rate (顾客满意率): weighted share of "satisfied" answers with a Wilson interval
  (using ``n_eff``); "satisfied" is the top-2 box ``{4, 5}`` on a 1-5 scale and must be given
  (``threshold=`` or ``satisfied=``) on any other scale.

Aggregated frequency tables (counts per scale point) are accepted through
:func:`from_frequencies`.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"SAT1": [1, 3, 5, 5], "SAT2": [2, 4, 4, 5]})
>>> res = simple_scores(df, scale=(1, 5))
>>> res.items[["item", "mean", "top2_share", "score"]]
   item  mean  top2_share  score
0  SAT1  3.50        0.50   62.5
1  SAT2  3.75        0.75   68.75
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from .._params import AnyOf, Interval, check_param
from .._results import ResultMixin, deprecated_aliases, index_table
from .._segmenting import MIN_SEGMENT_SIZE, segmentable
from .._streamed_segments import collect_segments, reduce_segments
from .._sufficient import is_source, open_source
from .._summary import Summary, SummaryMixin
from .._validation import did_you_mean, quote_list
from ..codebook import Codebook, role_from_name
from ..exceptions import InferenceWarning, ParameterError, SurveyDataError
from ..io import load_survey
from ..plots import bar_plot
from ..survey import Survey
from ._common import as_names, row_chunks, sampling_weights
from ._simple_sums import SimpleSums, construct_groups

__all__ = ["SimpleScoresResult", "SatisfactionRateResult", "FrequencyTable", "simple_scores", "satisfaction_rate",
           "from_frequencies"]

_DEFAULT_ROLES = ("perception", "overall_satisfaction", "loyalty")
_ITEM_COLUMNS = ["item", "construct", "n", "mean", "std", "top2_share", "score", "std_error", "ci_lower",
                 "ci_upper", "scale_min", "scale_max"]
_CONSTRUCT_COLUMNS = ["construct", "n_items", "n", "mean", "top2_share", "score", "std_error", "ci_lower",
                      "ci_upper", "scale_min", "scale_max"]


@dataclass(frozen=True, repr=False)
class SimpleScoresResult(ResultMixin):
    """Simple-method scores.

    Attributes
    ----------
    items : pandas.DataFrame
        One row per item: ``item, construct, n, mean, std, top2_share, score, std_error,
        ci_lower, ci_upper, scale_min, scale_max``. ``score``, ``std_error`` and the CI
        are on the 0-100 scale; ``mean`` and ``std`` on the item's scale.
    constructs : pandas.DataFrame
        One row per construct plus a final ``overall`` row: ``construct, n_items, n, mean,
        top2_share, score, std_error, ci_lower, ci_upper, scale_min, scale_max`` (``mean``
        and the scale are NaN when a construct mixes scales).
    index : pandas.DataFrame
        The constructs' 0–100 scores as the standard index table (``construct, index,
        std_error, ci_lower, ci_upper``), ``overall`` last.
    settings : dict
        ``confidence``, ``weighted``, ``source`` ("responses", "frequencies", or for an
        out-of-core source its kind: "parquet", "duckdb", "dask"), ``n_used``
        (respondents with at least one answer), ``n_dropped``, ``seed`` (None).
    """

    items: pd.DataFrame
    constructs: pd.DataFrame
    settings: Mapping[str, Any] = field(default_factory=dict)

    _tables: ClassVar[Mapping[str, str]] = {"items": "item", "constructs": "construct"}

    @property
    def index(self) -> pd.DataFrame:
        """The 0–100 construct scores as the standard index table."""
        c = self.constructs
        return index_table(c["construct"], c["score"], c["std_error"], c["ci_lower"], c["ci_upper"])

    def plot(self, *, ax: Any = None):
        """The construct scores with their intervals (:func:`csindex.plots.index_chart`)."""
        from ..plots import index_chart

        return index_chart(self.index, ax=ax)

    def summary(self) -> Summary:
        """Construct and item tables."""
        facts = {"confidence": self.settings.get("confidence"), "weighted": self.settings.get("weighted"),
                 "items": len(self.items)}
        return Summary("Simple-method scores (0-100)", facts=facts,
                       tables={"Constructs": self.constructs, "Items": self.items})


@dataclass(frozen=True, repr=False)
class SatisfactionRateResult(ResultMixin):
    """Satisfaction rate per item.

    Attributes
    ----------
    items : pandas.DataFrame
        ``item, construct, n, n_satisfied, rate, ci_lower, ci_upper`` (rate in [0, 1];
        ``n_satisfied`` counts respondents, unweighted).
    settings : dict
        ``satisfied`` (codes per item as text), ``confidence``, ``weighted``, ``n_used``,
        ``n_dropped``, ``seed`` (None).
    """

    items: pd.DataFrame
    settings: Mapping[str, Any] = field(default_factory=dict)

    _tables: ClassVar[Mapping[str, str]] = {"items": "item"}

    def summary(self) -> Summary:
        """The per-item table."""
        return Summary("Satisfaction rate", facts=dict(self.settings), tables={"Items": self.items})

    def plot(self, *, ax: Any = None):
        """Rates with their Wilson intervals as bars (:func:`csindex.plots.driver_chart`)."""
        return bar_plot(self.items, "rate", "item", ci=("ci_lower", "ci_upper"), ax=ax)


@dataclass(frozen=True, repr=False)
class FrequencyTable(SummaryMixin):
    """Counts per scale point (rows = items, columns = scale points), from :func:`from_frequencies`.

    Attributes
    ----------
    counts : pandas.DataFrame
        Non-negative counts, float64, columns sorted scale points.
    scale : tuple of float
        (min, max) of the scale.
    constructs : dict
        construct -> items (from item-name prefixes unless given).
    """

    counts: pd.DataFrame
    scale: tuple[float, float]
    constructs: Mapping[str, list[str]]

    def summary(self) -> Summary:
        """The counts."""
        return Summary("Frequency table", facts={"scale": f"{self.scale[0]:g}-{self.scale[1]:g}"},
                       tables={"Counts": self.counts})


def from_frequencies(table: pd.DataFrame | Mapping[str, Mapping[Any, float]], *,
                     scale: tuple[float, float] | None = None,
                     constructs: Mapping[str, Sequence[str]] | None = None) -> FrequencyTable:
    """Wrap an aggregated frequency table so :func:`simple_scores` and :func:`satisfaction_rate` accept it.

    Parameters
    ----------
    table : DataFrame or dict
        Rows are items, columns are scale points (numbers or numeric text), values are
        counts of respondents. A dict ``{item: {point: count}}`` works too.
    scale : (min, max), optional
        The response scale; defaults to the smallest and largest column.
    constructs : dict, optional
        construct -> items; defaults to item-name prefixes (``SAT1, SAT2 -> SAT``).

    Returns
    -------
    FrequencyTable

    Examples
    --------
    >>> ft = from_frequencies({"Q1": {1: 0, 2: 1, 3: 1, 4: 1, 5: 1}}, scale=(1, 5))
    >>> simple_scores(ft).items.loc[0, ["mean", "top2_share", "score"]].tolist()
    [3.5, 0.5, 62.5]
    """
    df = pd.DataFrame(table).T if isinstance(table, Mapping) else pd.DataFrame(table).copy()
    try:
        points = [float(c) for c in df.columns]
    except (TypeError, ValueError):
        raise SurveyDataError(
            f"Frequency-table columns must be scale points (numbers); got {quote_list(list(df.columns))}. "
            "Put one column per scale point and one row per item."
        ) from None
    df.columns = points
    df = df.reindex(sorted(points), axis=1)
    try:
        counts = df.apply(pd.to_numeric, errors="raise").astype("float64").fillna(0.0)
    except (TypeError, ValueError):
        raise SurveyDataError("Frequency-table cells must be counts (numbers >= 0). Check the table.") from None
    neg = counts.index[(counts < 0).any(axis=1)].tolist()
    if neg:
        raise SurveyDataError(f"Frequency table rows {quote_list(neg)} have negative counts; counts must be >= 0.")
    empty = counts.index[counts.sum(axis=1) <= 0].tolist()
    if empty:
        raise SurveyDataError(f"Frequency table rows {quote_list(empty)} have no counts; remove them.")
    lo, hi = (float(scale[0]), float(scale[1])) if scale is not None else (min(points), max(points))
    off = [p for p in points if (p < lo or p > hi) and counts[p].sum() > 0]
    if off:
        raise SurveyDataError(
            f"Frequency table has counts at points {quote_list(off)} outside the scale {lo:g}-{hi:g}. "
            "Drop those columns (e.g. 'cannot answer') or fix scale=."
        )
    counts.index = counts.index.astype(str)
    if constructs is None:
        groups: dict[str, list[str]] = {}
        for item in counts.index:
            groups.setdefault(role_from_name(item)["construct"], []).append(item)
    else:
        groups = {str(c): [str(i) for i in its] for c, its in constructs.items()}
        unknown = [i for its in groups.values() for i in its if i not in counts.index]
        if unknown:
            raise SurveyDataError(f"constructs names items that the frequency table lacks: {quote_list(unknown)}.")
    return FrequencyTable(counts=counts, scale=(lo, hi), constructs=groups)


# --------------------------------------------------------------------------- core statistics
def _weighted_stats(x: np.ndarray, w: np.ndarray, confidence: float, frequency: bool = False) -> dict[str, np.ndarray]:
    """Column-wise weighted mean, sd, se and t-interval of ``x`` (n x k, NaN = missing)."""
    valid = ~np.isnan(x)
    wm = np.where(valid, w[:, None], 0.0)
    n = valid.sum(axis=0)
    wsum = wm.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (np.where(valid, x, 0.0) * wm).sum(axis=0) / wsum
        dev2 = (np.where(valid, x - mean, 0.0) ** 2 * wm).sum(axis=0)
        if frequency:
            n_eff = wsum
            var = dev2 / (wsum - 1.0)
        else:
            n_eff = wsum**2 / (wm**2).sum(axis=0)
            var = dev2 / wsum * n_eff / (n_eff - 1.0)
        sd = np.sqrt(var)
        se = sd / np.sqrt(n_eff)
        tq = special.stdtrit(np.maximum(n_eff - 1.0, 1.0), 0.5 + confidence / 2.0)  # t quantile
    return {"n": n, "n_eff": n_eff, "mean": mean, "std": sd, "se": se, "t": tq}


def resolve_items(data: Any, items: Iterable[str] | None, weights: Any, scale: tuple[float, float] | None,
                  roles: Sequence[str] = _DEFAULT_ROLES, where: str = "simple_scores()"):
    """The items to score of a Survey or DataFrame, checked, with weights, constructs and scales.

    Used by :func:`simple_scores`, :func:`satisfaction_rate` and the index comparisons
    (:mod:`csindex.comparisons`). -> (X DataFrame, weights array or None, item->construct,
    item->(min, max)).
    """
    if isinstance(data, pd.DataFrame):
        data = load_survey(data, scale=scale)
    if not isinstance(data, Survey):
        raise SurveyDataError(
            f"Expected a Survey, a DataFrame or a FrequencyTable; got {type(data).__name__}. "
            "Load the data with csindex.load_survey first."
        )
    table = data.codebook.items
    if items is None:
        chosen = [i for i in data.items() if table.at[i, "role"] in roles]
        if not chosen:
            chosen = data.items()
    else:
        chosen = as_names(items) or []
        unknown = [i for i in chosen if i not in data.items()]
        if unknown:
            raise SurveyDataError(
                f"Items {quote_list(unknown)} are not rated items of the survey.{did_you_mean(unknown[0], data.items())}"
            )
    if not chosen:
        raise SurveyDataError("The survey has no rated items to score. Check the codebook roles.")
    scales = {i: data.scale(i) for i in chosen}
    wa = sampling_weights(data, weights, where)
    constructs = {i: (table.at[i, "construct"] or i) for i in chosen}
    return data.responses[chosen], wa, constructs, scales


_BY_OPTIONS = ("items", "by_construct", "weights", "confidence", "scale")


def _simple_by_source(data: Any, by: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    """``simple_scores(source, by=...)``: one streaming pass with one :class:`SimpleSums` per
    segment (:class:`~csindex._sufficient.SegmentedStates`), returning the in-memory ``by=``'s
    :class:`~csindex.segments.SegmentResults` (same order, size rule, warnings, settings).
    ``NotImplemented`` for in-memory data (the decorator then splits it as usual)."""
    if not is_source(data):
        return NotImplemented
    kwargs = dict(kwargs)
    if len(args) > 1:
        raise TypeError(f"simple_scores() takes 2 positional arguments but {len(args) + 1} were given.")
    if args:
        kwargs["items"] = args[0]
    jobs = check_param("n_jobs", kwargs.pop("n_jobs", None), where="simple_scores")
    kwargs.pop("progress", None)
    seg_min = kwargs.pop("min_segment_size", MIN_SEGMENT_SIZE)
    unknown = [k for k in kwargs if k not in _BY_OPTIONS]
    if unknown:
        raise TypeError(f"simple_scores() got an unexpected keyword argument {unknown[0]!r}")
    opts = {"items": None, "by_construct": True, "weights": None, "confidence": 0.95, "scale": None, **kwargs}
    confidence = check_param("confidence", opts["confidence"], where="simple_scores()")
    src, names, wcol, lo, hi, constructs_of = _source_plan(data, opts["items"], opts["by_construct"],
                                                           opts["weights"], opts["scale"])
    _, gmat = construct_groups(constructs_of)
    make = functools.partial(SimpleSums, lo, hi, gmat, names, src.label)
    cols, states, order, sizes = reduce_segments(src, by, names, wcol, make, lambda state: state.n_rows, seg_min,
                                                 "simple_scores", stacklevel=4)

    def finish(state: Any, _label: str) -> Any:
        return _finish(state, names, constructs_of, lo, hi, confidence, wcol is not None, src.kind, stacklevel=5)

    settings = {"function": "simple_scores", "n_jobs": jobs, "min_size": seg_min, **kwargs}
    return collect_segments(cols, by, states, order, sizes, finish, settings)


@segmentable(out_of_core=_simple_by_source)
def simple_scores(survey_or_df: Any, items: Iterable[str] | None = None, *, by_construct: bool = True,
                  weights: Any = None, confidence: float = 0.95,
                  scale: tuple[float, float] | None = None,
                  by: Any = None) -> SimpleScoresResult:
    """Simple-method scores per item and construct: weighted mean, top-2-box share, 0-100 score with CI.

    Parameters
    ----------
    survey_or_df : Survey, DataFrame, FrequencyTable or out-of-core source
        A DataFrame is loaded with :func:`csindex.load_survey` (constructs inferred from
        item-name prefixes, ``scale`` passed on). A Parquet file or folder, a DuckDB
        relation or a Dask DataFrame is scored in one streaming pass (every statistic is a
        sum over respondents; ``scale`` is then required and ``weights`` names a column);
        with ``by=`` (column names of the source) the same pass keeps the sums per segment
        and returns the in-memory ``by=``'s SegmentResults.
    items : list of str, optional
        Items to score; default: perception, overall-satisfaction and loyalty items
        (expectation and importance ratings are left out).
    by_construct : bool
        Score each construct; with False all items form one construct ``"all"``.
        The ``overall`` row is always added.
    weights : None, False, str or array
        None uses the survey's sampling weights if it has any; False ignores them; a column
        name or one weight per respondent overrides them.
    confidence : float
        Confidence level of the intervals.
    scale : (min, max), optional
        Scale used when a DataFrame's codebook is inferred.
    by : str, list of str or Series, optional
        Score every segment separately (see :func:`csindex.segments.split_segments`);
        returns a :class:`~csindex.segments.SegmentResults` of SimpleScoresResult (``n_jobs=``
        runs segments in parallel). On an out-of-core source ``by`` names its column(s):
        one streaming pass keeps every segment's sums, with the same segment order, size
        rule (``min_segment_size=``), warnings and errors as in memory.

    Returns
    -------
    SimpleScoresResult

    Examples
    --------
    >>> import csindex
    >>> res = simple_scores(csindex.datasets.airline())
    >>> res.constructs.iloc[-1]["construct"]
    'overall'
    >>> bool((res.constructs["ci_lower"] < res.constructs["score"]).all())
    True
    """
    confidence = check_param("confidence", confidence, where="simple_scores()")
    if isinstance(survey_or_df, FrequencyTable):
        return _simple_from_frequencies(survey_or_df, items, by_construct, confidence)
    if is_source(survey_or_df):
        return _simple_from_source(survey_or_df, items, by_construct, weights, confidence, scale)
    frame, w, construct_of, scales = resolve_items(survey_or_df, items, weights, scale)
    names = list(frame.columns)
    try:
        x_all = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        x_all = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    wv = np.ones(len(x_all)) if w is None else w
    lo = np.array([scales[i][0] for i in names])
    hi = np.array([scales[i][1] for i in names])
    constructs_of = [construct_of[i] if by_construct else "all" for i in names]
    blocks = ((np.ascontiguousarray(x_all[rows]), wv[rows]) for rows in row_chunks(len(x_all), len(names)))
    return _score_blocks(blocks, names, constructs_of, lo, hi, confidence, w is not None)


def _score_blocks(blocks: Iterable[tuple[np.ndarray, np.ndarray]], names: list[str], constructs_of: list[str],
                  lo: np.ndarray, hi: np.ndarray, confidence: float, weighted: bool,
                  source: str = "responses", stacklevel: int = 4) -> SimpleScoresResult:
    """The simple-method statistics from row blocks ``(x (n, m) with NaN, w (n,))``: every
    statistic is a sum over respondents, so the blocks can come from memory or a stream."""
    _, gmat = construct_groups(constructs_of)
    sums = SimpleSums(lo, hi, gmat)
    for xb, wb in blocks:
        sums.add_rows(xb, wb)
    return _finish(sums, names, constructs_of, lo, hi, confidence, weighted, source, stacklevel + 1)


def _finish(sums: SimpleSums, names: list[str], constructs_of: list[str], lo: np.ndarray, hi: np.ndarray,
            confidence: float, weighted: bool, source: str, stacklevel: int) -> SimpleScoresResult:
    """The result tables from the accumulated sums (with the in-memory checks and warnings)."""
    groups, _ = construct_groups(constructs_of)
    span = hi - lo
    mom_x, mom_t, mom_c, mom_ct, mom_cr = sums.mom_x, sums.mom_t, sums.mom_c, sums.mom_ct, sums.mom_cr
    n_used, n_rows = sums.n_used, sums.n_rows
    empty = [i for i, k in zip(names, mom_x.n) if k == 0]
    if empty:
        raise SurveyDataError(f"Items {quote_list(empty)} have no valid answers; they cannot be scored. "
                              "Leave them out with items=.")
    st = mom_x.stats(confidence)
    top2_share = mom_t.stats(confidence)["mean"]
    item_rows = pd.DataFrame({
        "item": names,
        "construct": constructs_of,
        "n": st["n"].astype(np.int64),
        "mean": st["mean"],
        "std": st["std"],
        "top2_share": top2_share,
        "score": 100.0 * (st["mean"] - lo) / span,
        "std_error": 100.0 * st["se"] / span,
        "ci_lower": 100.0 * (st["mean"] - st["t"] * st["se"] - lo) / span,
        "ci_upper": 100.0 * (st["mean"] + st["t"] * st["se"] - lo) / span,
        "scale_min": lo,
        "scale_max": hi,
    }, columns=_ITEM_COLUMNS)
    _warn_undefined(item_rows, "item", stacklevel=stacklevel)

    cst = mom_c.stats(confidence)
    mixed = []
    c_lo, c_hi = [], []
    for js in [*groups.values(), list(range(len(names)))]:
        same = len({(lo[j], hi[j]) for j in js}) == 1
        mixed.append(not same)
        c_lo.append(lo[js[0]] if same else np.nan)
        c_hi.append(hi[js[0]] if same else np.nan)
    raw_mean = mom_cr.stats(confidence)["mean"]
    construct_rows = pd.DataFrame({
        "construct": [*groups, "overall"],
        "n_items": [len(js) for js in groups.values()] + [len(names)],
        "n": cst["n"].astype(np.int64),
        "mean": np.where(mixed, np.nan, raw_mean),
        "top2_share": mom_ct.stats(confidence)["mean"],
        "score": cst["mean"],
        "std_error": cst["se"],
        "ci_lower": cst["mean"] - cst["t"] * cst["se"],
        "ci_upper": cst["mean"] + cst["t"] * cst["se"],
        "scale_min": c_lo,
        "scale_max": c_hi,
    }, columns=_CONSTRUCT_COLUMNS)
    _warn_undefined(construct_rows, "construct", stacklevel=stacklevel)
    settings = {"confidence": confidence, "weighted": weighted, "source": source,
                "n_used": n_used, "n_dropped": n_rows - n_used, "seed": None}
    return SimpleScoresResult(items=item_rows, constructs=construct_rows, settings=settings)


def _source_plan(data: Any, items: Iterable[str] | None, by_construct: bool, weights: Any,
                 scale: tuple[float, float] | None) -> tuple[Any, list[str], str | None, np.ndarray, np.ndarray,
                                                            list[str]]:
    """The source, items, weight column, scale bounds and constructs of :func:`simple_scores` on
    an out-of-core source (constructs from the item names as :meth:`Codebook.infer`; ``scale`` given)."""
    src = open_source(data, "simple_scores")
    if scale is None:
        raise SurveyDataError(
            f"simple_scores: give scale=(min, max) for the {src.label}; the scale cannot be inferred without "
            "reading every row first.")
    head = next(iter(src.batches(src.columns, 4096)), None)
    head = head.to_pandas() if hasattr(head, "to_pandas") else head
    book = Codebook.infer(head if head is not None else pd.DataFrame(columns=src.columns), scale=scale)
    table = book.items
    rated = [i for i in book.rated_items() if i in src.columns]
    if items is None:
        names = [i for i in rated if table.at[i, "role"] in _DEFAULT_ROLES] or rated
    else:
        names = [items] if isinstance(items, str) else [str(i) for i in items]
        src.check_columns(names, "item")
    if not names:
        raise SurveyDataError(f"The {src.label} has no rated items to score (columns named like IMAG1, SAT2).")
    wcol = None
    if isinstance(weights, str):
        src.check_columns([weights], "weight column")
        wcol = weights
    elif weights is not None and weights is not False:
        raise SurveyDataError("simple_scores: weights= must name a column of an out-of-core source.")
    elif weights is None and book.weight_column in src.columns:
        wcol = book.weight_column
    lo = np.full(len(names), float(scale[0]))
    hi = np.full(len(names), float(scale[1]))
    construct_of = {i: (table.at[i, "construct"] if i in table.index and table.at[i, "construct"] else i)
                    for i in names}
    return src, names, wcol, lo, hi, [construct_of[i] if by_construct else "all" for i in names]


def _simple_from_source(data: Any, items: Iterable[str] | None, by_construct: bool, weights: Any,
                        confidence: float, scale: tuple[float, float] | None) -> SimpleScoresResult:
    """:func:`simple_scores` on a Parquet file/folder, DuckDB relation or Dask DataFrame, in one
    streaming pass (:meth:`Source.reduce` of :class:`SimpleSums`)."""
    src, names, wcol, lo, hi, constructs_of = _source_plan(data, items, by_construct, weights, scale)
    _, gmat = construct_groups(constructs_of)
    sums = src.reduce(names, wcol, functools.partial(SimpleSums, lo, hi, gmat, names, src.label))
    return _finish(sums, names, constructs_of, lo, hi, confidence, wcol is not None, src.kind, stacklevel=5)


def _warn_undefined(table: pd.DataFrame, what: str, stacklevel: int = 3) -> None:
    bad = table.loc[table["ci_lower"].isna(), table.columns[0]].tolist()
    if bad:
        warnings.warn(
            f"The confidence interval of {what} {quote_list(bad)} is undefined (NaN) because fewer than two "
            "answers (or effective answers after weighting) are available.",
            InferenceWarning, stacklevel=stacklevel,
        )


def _simple_from_frequencies(ft: FrequencyTable, items: Iterable[str] | None, by_construct: bool,
                             confidence: float) -> SimpleScoresResult:
    counts = ft.counts if items is None else ft.counts.loc[[str(i) for i in items]]
    lo, hi = ft.scale
    span = hi - lo
    points = counts.columns.to_numpy(dtype=np.float64)
    construct_of = {i: c for c, its in ft.constructs.items() for i in its}

    def stats_for(c: np.ndarray) -> dict[str, float]:
        x = points[:, None]
        st = _weighted_stats(x, c, confidence, frequency=True)
        top2 = float(c[points >= hi - 1.0].sum() / c.sum())
        return {"n": int(round(c.sum())), "mean": float(st["mean"][0]), "std": float(st["std"][0]),
                "top2_share": top2, "score": 100.0 * (float(st["mean"][0]) - lo) / span,
                "std_error": 100.0 * float(st["se"][0]) / span,
                "ci_lower": 100.0 * (float(st["mean"][0] - st["t"][0] * st["se"][0]) - lo) / span,
                "ci_upper": 100.0 * (float(st["mean"][0] + st["t"][0] * st["se"][0]) - lo) / span}

    rows = []
    for item, c in counts.iterrows():
        rows.append({"item": item, "construct": construct_of.get(item, item) if by_construct else "all",
                     **stats_for(c.to_numpy()), "scale_min": lo, "scale_max": hi})
    item_rows = pd.DataFrame(rows, columns=_ITEM_COLUMNS)
    crow = []
    groups = item_rows.groupby("construct", sort=False)["item"].apply(list).to_dict()
    for cname, its in [*groups.items(), ("overall", list(item_rows["item"]))]:
        s = stats_for(counts.loc[its].sum(axis=0).to_numpy())
        crow.append({"construct": cname, "n_items": len(its), **{k: s[k] for k in s if k != "std"},
                     "scale_min": lo, "scale_max": hi})
    construct_rows = pd.DataFrame(crow, columns=_CONSTRUCT_COLUMNS)
    _warn_undefined(item_rows, "item")
    settings = {"confidence": confidence, "weighted": False, "source": "frequencies",
                "n_used": int(item_rows["n"].max()), "n_dropped": 0, "seed": None,
                "note": "construct rows pool the answer counts of their items (answers treated as independent)"}
    return SimpleScoresResult(items=item_rows, constructs=construct_rows, settings=settings)


# --------------------------------------------------------------------------- satisfaction rate
@segmentable
def satisfaction_rate(survey_or_df: Any, items: Iterable[str] | None = None, *,
                      satisfied: Iterable[float] | None = None, threshold: float | None = None,
                      weights: Any = None, confidence: float = 0.95,
                      scale: tuple[float, float] | None = None,
                      by: Any = None) -> SatisfactionRateResult:
    """Share of "satisfied" answers per item (顾客满意率), with Wilson confidence intervals.

    Parameters
    ----------
    survey_or_df : Survey, DataFrame or FrequencyTable
    items : list of str, optional
        Default: the overall-satisfaction items, else all perception/satisfaction/loyalty items.
    satisfied : iterable of codes, optional
        Codes that count as satisfied (e.g. ``{4, 5}``).
    threshold : float, optional
        Answers ``>= threshold`` count as satisfied (e.g. ``8`` on 1-10).
    weights, confidence, scale
        As in :func:`simple_scores`.
    by : str, list of str or Series, optional
        Rates per segment, as a :class:`~csindex.segments.SegmentResults` (see
        :func:`simple_scores`).

    Raises
    ------
    SurveyDataError
        When neither ``satisfied`` nor ``threshold`` is given and an item is not on a 1-5
        scale (the top-2 box ``{4, 5}`` is the default only there).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"SAT1": [1, 4, 5, 5, 3]})
    >>> satisfaction_rate(df, scale=(1, 5)).items[["item", "n", "n_satisfied", "rate"]]
       item  n  n_satisfied  rate
    0  SAT1  5            3   0.6
    """
    if satisfied is not None and threshold is not None:
        raise ParameterError("satisfaction_rate() got both satisfied= and threshold=; give only one of them.")
    confidence = check_param("confidence", confidence, where="satisfaction_rate()")
    threshold = check_param("threshold", threshold, AnyOf(Interval(), none_ok=True), "satisfaction_rate()")
    z = float(special.ndtri(0.5 + confidence / 2.0))
    codes = None if satisfied is None else np.array(sorted(float(c) for c in satisfied))

    def rule(item: str, lo: float, hi: float) -> np.ndarray | float:
        if codes is not None:
            return codes
        if threshold is not None:
            return float(threshold)
        if (lo, hi) == (1.0, 5.0):
            return np.array([4.0, 5.0])
        raise SurveyDataError(
            f"Item {item!r} is on a {lo:g}-{hi:g} scale; the default 'satisfied' codes (top-2 box 4 and 5) "
            "apply only to 1-5 scales. Pass threshold= (e.g. threshold=8 on 1-10) or satisfied= codes."
        )

    def is_sat(values: np.ndarray, r: np.ndarray | float) -> np.ndarray:
        return np.isin(values, r) if isinstance(r, np.ndarray) else values >= r

    rows = []
    if isinstance(survey_or_df, FrequencyTable):
        ft = survey_or_df
        counts = ft.counts if items is None else ft.counts.loc[[str(i) for i in items]]
        construct_of = {i: c for c, its in ft.constructs.items() for i in its}
        points = counts.columns.to_numpy(dtype=np.float64)
        for item, c in counts.iterrows():
            r = rule(str(item), *ft.scale)
            n = float(c.sum())
            k = float(c.to_numpy()[is_sat(points, r)].sum())
            rows.append(_rate_row(str(item), construct_of.get(item, item), int(round(n)), int(round(k)), k / n, n, z,
                                  r))
        weighted = False
        n_total = n_used = int(round(float(counts.sum(axis=1).max())))
    else:
        data = survey_or_df
        if items is None and isinstance(data, Survey) and data.items(role="overall_satisfaction"):
            items = data.items(role="overall_satisfaction")
        frame, w, construct_of, scales = resolve_items(data, items, weights, scale, where="satisfaction_rate()")
        wv = np.ones(len(frame)) if w is None else w
        for item in frame.columns:
            x = frame[item].to_numpy(dtype=np.float64, na_value=np.nan)
            valid = ~np.isnan(x)
            if not valid.any():
                raise SurveyDataError(f"Item {item!r} has no valid answers; leave it out with items=.")
            r = rule(item, *scales[item])
            sat = is_sat(x[valid], r)
            wi = wv[valid]
            n_eff = wi.sum() ** 2 / (wi**2).sum()
            rate = float((wi * sat).sum() / wi.sum())
            rows.append(_rate_row(item, construct_of[item], int(valid.sum()), int(sat.sum()), rate, n_eff, z, r))
        weighted = w is not None
        n_total = len(frame)
        n_used = int(frame.notna().any(axis=1).sum())
    table = pd.DataFrame(rows, columns=["item", "construct", "n", "n_satisfied", "rate", "ci_lower", "ci_upper",
                                       "satisfied"])
    settings = {"confidence": confidence, "weighted": weighted,
                "satisfied": dict(zip(table["item"], table.pop("satisfied"))),
                "n_used": n_used, "n_dropped": n_total - n_used, "seed": None}
    return SatisfactionRateResult(items=table, settings=settings)


def _rate_row(item: str, construct: str, n: int, k: int, p: float, n_eff: float, z: float,
              r: np.ndarray | float) -> dict[str, Any]:
    denom = 1.0 + z**2 / n_eff
    centre = (p + z**2 / (2.0 * n_eff)) / denom
    half = z * np.sqrt(p * (1.0 - p) / n_eff + z**2 / (4.0 * n_eff**2)) / denom
    label = ("{" + ", ".join(f"{c:g}" for c in r) + "}") if isinstance(r, np.ndarray) else f">= {r:g}"
    return {"item": item, "construct": construct, "n": n, "n_satisfied": k, "rate": p,
            "ci_lower": max(0.0, centre - half), "ci_upper": min(1.0, centre + half), "satisfied": label}


__getattr__ = deprecated_aliases(__name__, {"SimpleScores": SimpleScoresResult,
                                            "SatisfactionRate": SatisfactionRateResult})
