"""Segment plumbing: split a survey by segment and run any analysis per segment.

The machinery lower layers use (the ``by=`` of every analysis function):

* :func:`split_segments` splits a DataFrame or a :class:`~csindex.survey.Survey` by one
  or more columns (or a Series aligned to the rows); a Survey keeps its codebook and
  sampling weights in every segment;
* :func:`map_segments` runs a function on every segment through :class:`joblib.Parallel`
  and returns a :class:`SegmentResults` mapping (segment value -> result);
* :func:`segmentable` gives an analysis function ``by=``; :func:`run_by` is the one
  implementation of ``by=`` behind it (``fit_pls(by=)`` uses it too).

Every segment is analysed with the caller's arguments unchanged -- the same ``seed`` in
particular -- so a segment's result is exactly the result of fitting that segment alone,
whatever ``n_jobs`` or joblib backend runs it (``with joblib.parallel_backend("dask"):``
runs the segments on a Dask cluster).

This module sits below the engines (scoring, kpi, pls, sem) and imports none of them;
:mod:`csindex.segments` is the public facade.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"region": ["N", "S", "N", "S"], "SAT1": [8, 6, 9, 5]})
>>> parts = split_segments(df, "region")
>>> list(parts), [len(p) for p in parts.values()]
(['N', 'S'], [2, 2])
>>> res = map_segments(lambda d: float(d["SAT1"].mean()), df, "region")
>>> dict(res)
{'N': 8.5, 'S': 5.5}
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import logging
import sys
import warnings
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
import pandas as pd

from ._params import Count, check_param
from ._summary import Summary, SummaryMixin
from ._validation import did_you_mean, quote_list
from .exceptions import CsindexError, MissingDataWarning, ParameterError, SurveyDataError
from .survey import Survey, Validation

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl is a declared dependency
    threadpool_limits = None

__all__ = [
    "MIN_SEGMENT_SIZE",
    "split_segments",
    "map_segments",
    "SegmentResults",
    "segmentable",
    "run_by",
    "segment_positions",
    "subset",
    "frame_of",
    "by_label",
    "key_label",
    "show_progress",
    "ReadOnlyDict",
    "check_missing_segments",
    "order_segments",
]

logger = logging.getLogger(__name__)

#: default smallest segment size accepted by :func:`split_segments`
MIN_SEGMENT_SIZE = 2


# --------------------------------------------------------------------------- splitting
def frame_of(data: Any) -> pd.DataFrame:
    """The responses of a Survey, or the DataFrame itself."""
    if isinstance(data, Survey):
        return data.responses
    if isinstance(data, pd.DataFrame):
        return data
    raise SurveyDataError(
        f"Segments need a Survey or a DataFrame; got {type(data).__name__}. "
        "Load the data with csindex.load_survey or pass a pandas DataFrame."
    )


def by_label(by: Any) -> str | list[str]:
    if isinstance(by, pd.Series):
        return str(by.name) if by.name is not None else "segment"
    if isinstance(by, (list, tuple)):
        return [str(b) for b in by]
    return str(by)


def _segment_codes(frame: pd.DataFrame, by: Any) -> tuple[pd.DataFrame, list[str]]:
    """-> (one column per key part, aligned to ``frame``; the names of the parts)."""
    if isinstance(by, pd.Series):
        if len(by) != len(frame) or not by.index.equals(frame.index):
            if len(by) == len(frame) and by.index.sort_values().equals(frame.index.sort_values()):
                by = by.reindex(frame.index)
            else:
                raise SurveyDataError(
                    f"The segment Series passed as by= has {len(by)} values whose index does not match the "
                    f"{len(frame)} rows of the data. Build it from the same DataFrame (e.g. df['col'].map(...)) "
                    "or pass a column name."
                )
        name = str(by.name) if by.name is not None else "segment"
        return pd.DataFrame({name: by.to_numpy()}, index=frame.index), [name]
    if isinstance(by, (np.ndarray, pd.Index)):
        if len(by) != len(frame):
            raise SurveyDataError(
                f"by= has {len(by)} values but the data has {len(frame)} rows; give one segment value per row."
            )
        return pd.DataFrame({"segment": np.asarray(by)}, index=frame.index), ["segment"]
    cols = list(by) if isinstance(by, (list, tuple)) else [by]
    if not cols:
        raise SurveyDataError("by= is empty; give a column name, a list of column names or a Series.")
    unhashable = [c for c in cols if not isinstance(c, Hashable)]
    if unhashable:
        raise ParameterError(f"The 'by' parameter must be a column name, a list of column names, a Series or an "
                             f"array. Got {by!r} instead.")
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SurveyDataError(
            f"Segment column {quote_list(missing)} is not in the data.{did_you_mean(str(missing[0]), frame.columns)} "
            f"Columns: {quote_list(list(frame.columns), limit=8)}."
        )
    return frame[cols], [str(c) for c in cols]


def _native(value: Any) -> Any:
    """numpy scalars -> Python scalars (nicer keys and reprs)."""
    return value.item() if isinstance(value, np.generic) else value


def _sort_keys(keys: list[Any], cats: Sequence[Any]) -> list[Any]:
    """Category order for (ordered or not) categoricals (``cats``: each key part's categories or
    None), else natural order, else by text."""

    def rank(key: Any) -> tuple:
        parts = key if isinstance(key, tuple) else (key,)
        return tuple(list(c).index(p) if c is not None else p for p, c in zip(parts, cats))

    try:
        return sorted(keys, key=rank)
    except TypeError:
        return sorted(keys, key=lambda k: str(rank(k)))


def subset(data: Any, rows: np.ndarray, label: str) -> Any:
    """Rows ``rows`` (positions) of a DataFrame or Survey; a Survey keeps codebook and weights."""
    if isinstance(data, pd.DataFrame):
        return data.iloc[rows].copy()
    assert isinstance(data, Survey)
    resp = data.responses.iloc[rows].copy()
    weights = None if data.weights is None else data.weights.iloc[rows].copy()
    v = data.validation
    items = v.items.copy()
    rated = [i for i in items.index if i in resp.columns]
    n = len(resp)
    n_missing = resp[rated].isna().sum().to_numpy(dtype=np.int64)
    items.loc[rated, "n_missing"] = n_missing
    items.loc[rated, "n_valid"] = n - n_missing
    items.loc[rated, "missing_share"] = n_missing / max(n, 1)
    for col in ("n_missing_code", "n_out_of_range", "n_non_numeric"):
        if col in items.columns:
            items[col] = 0
    id_col = data.codebook.id_column if hasattr(data.codebook, "id_column") else None
    dup = v.duplicated_ids
    if id_col is not None and id_col in resp.columns and len(dup):
        dup = dup[dup.isin(resp[id_col])]
    validation = Validation(
        n=n, items=items, straight_liners=v.straight_liners[v.straight_liners.isin(resp.index)],
        duplicated_ids=dup, n_invited=None, response_rate=None, response_rate_target=v.response_rate_target,
        notes=(*v.notes, f"Segment {label} of the survey; invalid-cell counts are in the whole survey's validation."),
    )
    return Survey(responses=resp, codebook=data.codebook, weights=weights, validation=validation,
                  source=f"{data.source} [{label}]")


def key_label(names: list[str], key: Any) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{n}={p!r}" for n, p in zip(names, parts))


def split_segments(data: Any, by: Any, *, min_size: int = MIN_SEGMENT_SIZE) -> dict[Any, Any]:
    """Split a DataFrame or Survey into segments.

    Parameters
    ----------
    data : Survey or DataFrame
        A Survey's segments are Surveys with the same codebook, the segment's sampling
        weights and a validation report recomputed for the segment's rows.
    by : str, list of str, Series or array
        A column name (keys are its values), a list of column names (keys are tuples), or
        a Series aligned to the rows (same index) or an array with one value per row.
    min_size : int
        Smallest number of respondents a segment may have (default 2).

    Returns
    -------
    dict
        Segment value -> DataFrame or Survey, in sorted segment order (category order for
        categorical columns). The rows keep their original index.

    Raises
    ------
    SurveyDataError
        An unknown column, a misaligned Series, or a segment with fewer than ``min_size``
        respondents (the message names the segment and the fix).

    Warns
    -----
    MissingDataWarning
        Rows with a missing segment value are left out (the message gives their number).

    Examples
    --------
    >>> import csindex
    >>> parts = split_segments(csindex.datasets.airline(), "gender")
    >>> {k: v.n for k, v in parts.items()}
    {'female': 464, 'male': 536}
    >>> sum(v.n for v in parts.values())
    1000
    """
    index, names = segment_positions(data, by, min_size)
    return {key: subset(data, rows, key_label(names, key)) for key, rows in index.items()}


def segment_positions(data: Any, by: Any, min_size: int) -> tuple[dict[Any, np.ndarray], list[str]]:
    """-> ({segment: row positions}, by names), segments in order, checked for size."""
    frame = frame_of(data)
    min_size = check_param("min_size", min_size, Count(1), where="split_segments()")
    codes, names = _segment_codes(frame, by)
    missing = codes.isna().any(axis=1).to_numpy()
    check_missing_segments(int(missing.sum()), len(missing), names, stacklevel=4)
    positions = np.arange(len(frame))[~missing]
    kept = codes.iloc[positions].reset_index(drop=True)
    index: dict[Any, np.ndarray] = {}
    for key, rows in kept.groupby(list(kept.columns), sort=False, observed=True, dropna=True).indices.items():
        parts = key if isinstance(key, tuple) else (key,)
        parts = tuple(_native(p) for p in parts)
        index[parts[0] if len(names) == 1 else parts] = positions[np.asarray(rows, dtype=np.int64)]
    if len(names) == 1 and isinstance(codes.iloc[:, 0].dtype, pd.CategoricalDtype):
        for cat in codes.iloc[:, 0].cat.categories:  # unused categories are empty segments
            index.setdefault(_native(cat), np.zeros(0, dtype=np.int64))
    cats = [codes[c].cat.categories if isinstance(codes[c].dtype, pd.CategoricalDtype) else None
            for c in codes.columns]
    order = order_segments({key: len(rows) for key, rows in index.items()}, names, min_size, cats)
    return {key: index[key] for key in order}, names


def check_missing_segments(n_missing: int, n_total: int, names: list[str], stacklevel: int = 3) -> None:
    """Raise when there are no rows or every row misses its segment value; warn (with the count)
    when some do."""
    if n_total == 0:
        raise SurveyDataError(f"The data has no rows, so no segment of {quote_list(names)} can be formed.")
    if n_missing == n_total:
        raise SurveyDataError(
            f"The segment column {quote_list(names)} is missing for every row; no segment can be formed."
        )
    if n_missing:
        k = n_missing
        warnings.warn(
            f"{k} row{'s' * (k != 1)} with a missing segment value ({quote_list(names)}) "
            f"{'are' if k != 1 else 'is'} left out of the segments.",
            MissingDataWarning, stacklevel=stacklevel,
        )


def order_segments(sizes: Mapping[Any, int], names: list[str], min_size: int, cats: Sequence[Any]) -> list[Any]:
    """The segment keys in order (:func:`_sort_keys`), each checked to have ``min_size`` rows."""
    order = _sort_keys(list(sizes), cats)
    for key in order:
        size = int(sizes[key])
        if size < min_size:
            what = "has no respondents" if size == 0 else f"has only {size} respondent{'s' * (size != 1)}"
            fix = (" (or drop unused categories: series.cat.remove_unused_categories())" if size == 0 else "")
            raise SurveyDataError(
                f"Segment {key_label(names, key)} {what}; at least {min_size} are needed. Merge it with another "
                f"segment (recode the column), drop its rows before splitting{fix}, or lower min_size=."
            )
    return order


# --------------------------------------------------------------------------- results
class ReadOnlyDict(Mapping):
    """A read-only, picklable view of a dict (``types.MappingProxyType`` cannot be pickled)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[Any, Any]) -> None:
        self._data = dict(data)

    def __getitem__(self, key: Any) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    def __getstate__(self) -> dict[Any, Any]:
        return self._data

    def __setstate__(self, state: dict[Any, Any]) -> None:
        self._data = state


def _as_frame(value: Any, attr: str) -> pd.DataFrame | None:
    if isinstance(value, pd.DataFrame):
        return value.reset_index() if not isinstance(value.index, pd.RangeIndex) else value
    if isinstance(value, pd.Series):
        return value.rename(value.name if value.name is not None else attr).reset_index()
    if isinstance(value, (int, float, bool, str, np.number, np.bool_)):
        return pd.DataFrame({attr: [value]})
    if isinstance(value, Mapping) and value and all(np.isscalar(v) for v in value.values()):
        return pd.DataFrame({"key": list(value), attr: list(value.values())})
    return None


@dataclass(frozen=True, repr=False)
class SegmentResults(SummaryMixin, Mapping):
    """Per-segment results: a read-only mapping segment value -> result, in segment order.

    Attributes
    ----------
    results : Mapping
        Segment value -> the function's result (read-only).
    by : str or list of str
        What the data was split by.
    sizes : pandas.DataFrame
        ``segment, n`` (respondents per segment).
    settings : dict
        ``function``, ``n_jobs`` and the keyword arguments passed to every segment.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"g": ["a", "b", "a", "b"], "x": [1.0, 2.0, 3.0, 5.0]})
    >>> res = map_segments(lambda d: d[["x"]].describe().T, df, "g")
    >>> res.frame()[["segment", "index", "mean"]]
      segment index  mean
    0       a     x   2.0
    1       b     x   3.5
    """

    results: Mapping[Any, Any]
    by: str | list[str]
    sizes: pd.DataFrame
    settings: Mapping[str, Any] = field(default_factory=dict)

    # Mapping protocol
    def __getitem__(self, key: Any) -> Any:
        try:
            return self.results[key]
        except KeyError:
            raise KeyError(
                f"No segment {key!r}. Segments: {quote_list(list(self.results), limit=10)}."
                f"{did_you_mean(str(key), [str(k) for k in self.results])}"
            ) from None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __contains__(self, key: object) -> bool:
        return key in self.results

    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return self is other

    @property
    def segments(self) -> list[Any]:
        """Segment values, in order."""
        return list(self.results)

    def _key_columns(self, key: Any) -> dict[str, Any]:
        cols: dict[str, Any] = {"segment": key}
        if isinstance(self.by, list) and len(self.by) > 1 and isinstance(key, tuple):
            cols.update({b: p for b, p in zip(self.by, key) if b != "segment"})
        return cols

    def frame(self, attr: str | None = None) -> pd.DataFrame:
        """Stack one attribute of every segment's result into one tidy table.

        Parameters
        ----------
        attr : str, optional
            Attribute name (``"paths"``, ``"constructs"``, ``"score"``, ...). A DataFrame
            attribute is stacked (a non-default index becomes columns first); a scalar
            gives one row per segment. Omitted: the results themselves, when they are
            DataFrames or scalars.

        Returns
        -------
        pandas.DataFrame
            ``segment`` first (plus one column per ``by`` column when split by several),
            then the attribute's columns, segments in order.
        """
        parts = []
        for key, res in self.results.items():
            value = res if attr is None else getattr(res, attr, _MISSING)
            if value is _MISSING:
                avail = [a for a in dir(res) if not a.startswith("_")]
                raise AttributeError(
                    f"The result of segment {key!r} ({type(res).__name__}) has no attribute {attr!r}."
                    f"{did_you_mean(str(attr), avail)}"
                )
            table = _as_frame(value, attr or "value")
            if table is None:
                raise TypeError(
                    f"Attribute {attr!r} of the segment results is a {type(value).__name__}, which cannot be "
                    "stacked into a table; give a DataFrame, Series or scalar attribute."
                )
            keys = self._key_columns(key)
            clash = [k for k in keys if k in table.columns]
            table = table.rename(columns={c: f"{c}_" for c in clash}) if clash else table
            front = pd.DataFrame({k: [v] * len(table) for k, v in keys.items()}, index=table.index)
            if isinstance(key, tuple):
                front["segment"] = pd.Series([key] * len(table), index=table.index, dtype=object)
            parts.append(pd.concat([front, table], axis=1))
        if not parts:
            return pd.DataFrame({"segment": []})
        return pd.concat(parts, ignore_index=True)

    def plot_index(self, constructs: Sequence[str] | None = None, *, ax: Any = None) -> Any:
        """Grouped bar chart of the 0-100 indices per segment (:func:`csindex.plots.index_chart`).

        Works for results with an ``index`` table (:func:`csindex.fit_pls`,
        :func:`csindex.fit_sem`) or a ``constructs`` table with a ``score`` column
        (:func:`csindex.simple_scores`).

        Parameters
        ----------
        constructs : list of str, optional
            Constructs to draw (default all).
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        csindex.plots.IndexChartDisplay
        """
        from .plots import index_chart

        first = next(iter(self.results.values()), None)
        source = None
        for attr, col in (("index", "index"), ("index", "estimate"), ("constructs", "score")):
            value = getattr(first, attr, None)
            if isinstance(value, pd.DataFrame) and col in value.columns and "construct" in value.columns:
                source = (attr, col)
                break
        if source is None:
            raise TypeError(f"The segment results ({type(first).__name__}) have no 0-100 index table to plot.")
        table = self.frame(source[0]).rename(columns={source[1]: "index"})
        table["segment"] = [", ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in table["segment"]]
        if constructs is not None:
            unknown = [c for c in constructs if c not in set(table["construct"])]
            if unknown:
                raise SurveyDataError(f"Construct {quote_list(unknown)} is not in the results; constructs: "
                                      f"{quote_list(list(dict.fromkeys(table['construct'])), limit=10)}.")
            table = table[table["construct"].isin(list(constructs))]
        has_ci = {"ci_lower", "ci_upper"} <= set(table.columns) and table[["ci_lower", "ci_upper"]].notna().all().all()
        return index_chart(table[[c for c in ("construct", "segment", "index", "ci_lower", "ci_upper")
                                  if c in table.columns]],
                           group="segment", ci_lower="ci_lower" if has_ci else None,
                           ci_upper="ci_upper" if has_ci else None, ax=ax)

    def map(self, func: Callable[[Any], Any]) -> dict[Any, Any]:
        """``{segment: func(result)}`` in segment order."""
        return {k: func(v) for k, v in self.results.items()}

    def summary(self) -> Summary:
        """Segment sizes and the result type."""
        kinds = sorted({type(v).__name__ for v in self.results.values()})
        facts = {"by": self.by if isinstance(self.by, str) else ", ".join(self.by),
                 "segments": len(self.results), "respondents": int(self.sizes["n"].sum()),
                 "result": ", ".join(kinds)}
        if self.settings.get("function"):
            facts["function"] = self.settings["function"]
        return Summary("Results per segment", facts=facts, tables={"Segments": self.sizes})


_MISSING = object()


# --------------------------------------------------------------------------- running
def _run_segment(func: Callable[..., Any], key: Any, label: str, part: Any, kwargs: dict[str, Any],
                 inner_sequential: bool = False) -> Any:
    """Run ``func`` on one segment; csindex errors are re-raised naming the segment.

    BLAS runs single-threaded (:func:`_single_threaded_blas`). With ``inner_sequential``
    (segments already run in parallel) any joblib call inside
    ``func`` -- e.g. a bootstrap's chunks -- runs sequentially in the segment's worker instead
    of submitting nested tasks (same numbers: the chunks' random streams do not depend on it).
    """
    try:
        with _single_threaded_blas():
            if inner_sequential:
                with joblib.parallel_config(backend="sequential"):
                    return func(part, **kwargs)
            return func(part, **kwargs)
    except CsindexError as err:
        try:
            new = type(err)(f"Segment {label}: {err}")
        except Exception:  # pragma: no cover - exotic constructor
            raise err from None
        raise new from err


def _single_threaded_blas() -> Any:
    """BLAS limited to one thread while a segment runs, in the caller's process and in workers alike.

    Worker processes (joblib's loky, Dask) run BLAS single-threaded; a multi-threaded BLAS
    sums large products in another order, so holding every segment to one thread keeps the
    results bit-identical for any ``n_jobs`` or backend (and segments are the parallelism).
    """
    if threadpool_limits is None:  # pragma: no cover - threadpoolctl is a declared dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _segment_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """A fresh copy of a Generator seed per segment: each segment starts from the caller's state."""
    return {k: copy.deepcopy(v) if isinstance(v, np.random.Generator) else v for k, v in kwargs.items()}


def show_progress(progress: bool | None, n: int) -> bool:
    if progress is None:
        return n >= 20 and bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


def map_segments(func: Callable[..., Any], data: Any, by: Any, *, n_jobs: int | None = None,
                 progress: bool | None = None, min_size: int = MIN_SEGMENT_SIZE, **kwargs: Any) -> SegmentResults:
    """Run ``func(segment, **kwargs)`` on every segment, in parallel through joblib.

    Parameters
    ----------
    func : callable
        Called as ``func(segment_data, **kwargs)``; must be picklable for process-based
        backends (a module-level function).
    data : Survey or DataFrame
    by : str, list of str, Series or array
        See :func:`split_segments`.
    n_jobs : int or None
        joblib workers (``-1`` = all cores). None (default) runs the segments one after
        another, unless a joblib context sets it: ``with joblib.parallel_backend("dask"):``
        runs them on a Dask cluster, unchanged code.
    progress : bool or None
        A tqdm bar over segments; None shows it only for 20+ segments when stderr is a
        terminal.
    min_size : int
        Smallest segment size (see :func:`split_segments`).
    **kwargs
        Passed unchanged to every call -- the same ``seed`` for every segment (a
        ``numpy.random.Generator`` is copied, so each segment starts from its state). A
        segment's result therefore equals ``func(segment, **kwargs)`` run alone, for any
        ``n_jobs`` or backend.

    Returns
    -------
    SegmentResults

    Raises
    ------
    SurveyDataError
        From :func:`split_segments`; an error inside ``func`` is re-raised with the same
        type, prefixed by the segment it happened in.

    Examples
    --------
    >>> import csindex
    >>> res = map_segments(csindex.simple_scores, csindex.datasets.airline(), "route")
    >>> list(res)
    ['domestic', 'international', 'regional']
    >>> res.frame("constructs").query("construct == 'overall'")[["segment", "n"]]
              segment    n
    12       domestic  552
    25  international  297
    38       regional  151
    """
    return _map_segments(func, data, by, n_jobs=n_jobs, progress=progress, min_size=min_size, kwargs=kwargs)


def _map_segments(func: Callable[..., Any], data: Any, by: Any, *, n_jobs: int | None, progress: bool | None,
                  min_size: int, kwargs: dict[str, Any], name: str | None = None) -> SegmentResults:
    if not callable(func):
        raise ParameterError(f"The 'func' parameter of map_segments must be a callable (e.g. csindex.fit_pls). "
                             f"Got {type(func).__name__} instead.")
    n_jobs = check_param("n_jobs", n_jobs, where=name or "map_segments()")
    parts = split_segments(data, by, min_size=min_size)
    names = by_label(by)
    name_list = names if isinstance(names, list) else [names]
    labels = {k: key_label(name_list, k) for k in parts}
    fname = name or getattr(func, "__qualname__", getattr(func, "__name__", repr(func)))
    logger.debug("Running %s on %d segments with n_jobs=%s", fname, len(parts), n_jobs)
    inner_sequential = len(parts) > 1 and joblib.effective_n_jobs(n_jobs) != 1
    tasks = (joblib.delayed(_run_segment)(func, k, labels[k], p, _segment_kwargs(kwargs), inner_sequential)
             for k, p in parts.items())
    show = show_progress(progress, len(parts))
    if show:
        from tqdm.auto import tqdm

        runner = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
        outputs = list(tqdm(runner(tasks), total=len(parts), desc=f"segments ({fname})", unit="segment"))
    else:
        outputs = joblib.Parallel(n_jobs=n_jobs)(tasks)
    results = dict(zip(parts, outputs))
    sizes = pd.DataFrame({"segment": pd.Series(list(parts), dtype=object),
                          "n": np.array([len(frame_of(p)) for p in parts.values()], dtype=np.int64)})
    settings = {"function": fname, "n_jobs": n_jobs, "min_size": min_size, **kwargs}
    return SegmentResults(results=ReadOnlyDict(results), by=names, sizes=sizes, settings=settings)


# --------------------------------------------------------------------------- by= for analysis functions
def segmentable(func: Callable[..., Any] | None = None, *, min_size: int = MIN_SEGMENT_SIZE,
                out_of_core: Callable[..., Any] | None = None) -> Any:
    """Decorator adding ``by=`` and ``n_jobs=`` handling to an analysis function.

    When the decorated function is called with ``by`` set (not None), it is run on every
    segment through :func:`map_segments` and a :class:`SegmentResults` is returned;
    otherwise it runs as usual. The function's first argument must be the data. With
    ``by``, ``n_jobs`` parallelises the segments (a function's own ``n_jobs``, e.g. of a
    bootstrap, is then set to 1 -- results do not depend on it) and
    ``min_segment_size=`` sets the smallest segment (default 2). See :func:`run_by`.

    ``out_of_core(data, by, args, kwargs)``, when given, is asked first whenever ``by`` is
    set: it computes the segments of data that are not in memory (a Parquet path, a DuckDB
    relation, a Dask DataFrame) in one streaming pass and returns their
    :class:`SegmentResults`, or ``NotImplemented`` for in-memory data.

    Examples
    --------
    >>> import pandas as pd
    >>> @segmentable
    ... def mean_sat(df, *, column="SAT1"):
    ...     return float(df[column].mean())
    >>> df = pd.DataFrame({"g": [1, 1, 2, 2], "SAT1": [7, 9, 4, 6]})
    >>> dict(mean_sat(df, by="g")), mean_sat(df)
    ({1: 8.0, 2: 5.0}, 6.5)
    """
    if func is None:
        return functools.partial(segmentable, min_size=min_size, out_of_core=out_of_core)
    if not callable(func):
        raise ParameterError(f"The 'func' parameter of segmentable must be a function to decorate. "
                             f"Got {type(func).__name__} instead.")

    @functools.wraps(func)
    def wrapper(data: Any, *args: Any, by: Any = None, **kwargs: Any) -> Any:
        if by is None:
            return _call_in_place(func, data, args, kwargs)
        if out_of_core is not None:
            res = out_of_core(data, by, args, kwargs)
            if res is not NotImplemented:
                return res
        # the wrapper (importable by name, so picklable by reference) runs each segment with by=None
        return run_by(wrapper, data, by, args, kwargs, min_size=min_size, name=func.__qualname__)

    wrapper.__signature__ = _with_by(inspect.signature(func))  # type: ignore[attr-defined]
    wrapper.__wrapped_segmentable__ = func  # type: ignore[attr-defined]
    return wrapper


def run_by(func: Callable[..., Any], data: Any, by: Any, args: tuple = (), kwargs: Mapping[str, Any] | None = None,
           *, min_size: int = MIN_SEGMENT_SIZE, name: str | None = None) -> SegmentResults:
    """The one implementation of ``by=``: ``func(segment, *args, **kwargs)`` on every segment.

    Used by :func:`segmentable` and by :func:`csindex.fit_pls`. ``func`` must run one
    segment when called without ``by`` (it is called as ``func(part, **kwargs)``, the
    positional ``args`` bound to their parameter names). ``n_jobs`` parallelises the
    segments: when ``func`` has its own ``n_jobs`` (e.g. for a bootstrap) it is set to 1
    inside each segment (same numbers either way: the resample streams do not depend on
    it), and its own ``progress`` bar is replaced by one bar over the segments.
    ``min_segment_size=`` sets the smallest segment (default ``min_size``).

    Examples
    --------
    >>> import pandas as pd
    >>> def mean_of(df, column, *, n_jobs=1):
    ...     return float(df[column].mean()), n_jobs
    >>> df = pd.DataFrame({"g": [1, 1, 2, 2], "x": [7, 9, 4, 6]})
    >>> dict(run_by(mean_of, df, "g", ("x",), {"n_jobs": 2}))
    {1: (8.0, 1), 2: (5.0, 1)}
    """
    kwargs = dict(kwargs or {})
    params = inspect.signature(func).parameters
    if args:
        positional = [n for n, p in params.items()
                      if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)][1:]
        label = name or getattr(func, "__name__", "function")
        if len(args) > len(positional):
            raise TypeError(f"{label}() takes {len(positional) + 1} positional arguments but "
                            f"{len(args) + 1} were given.")
        kwargs.update(dict(zip(positional, args)))
    jobs = kwargs.pop("n_jobs", None)
    if "n_jobs" in params:  # parallelise the segments, not inside each (same numbers either way)
        kwargs["n_jobs"] = 1
    progress = kwargs.pop("progress", None)
    if "progress" in params:  # one bar over the segments
        kwargs["progress"] = False
    seg_min = kwargs.pop("min_segment_size", min_size)
    return _map_segments(func, data, by, n_jobs=jobs, progress=progress, min_size=seg_min, kwargs=kwargs,
                         name=name)


def _call_in_place(func: Callable[..., Any], data: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    """Call ``func``; warnings it attributes to its caller (``stacklevel=2``), which would point at
    the decorator's wrapper, are re-issued at the wrapper's caller instead."""
    caller = sys._getframe(2)
    pending: list[Any] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return func(data, *args, **kwargs)
            finally:
                pending = list(caught)
    finally:  # after the with-block has restored the caller's warning filters
        _reissue(pending, caller)


def _reissue(pending: list[Any], caller: Any) -> None:
    for w in pending:
        if w.filename == __file__:
            registry = caller.f_globals.setdefault("__warningregistry__", {})
            warnings.warn_explicit(w.message, w.category, caller.f_code.co_filename, caller.f_lineno,
                                   module=caller.f_globals.get("__name__"), registry=registry)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _with_by(sig: inspect.Signature) -> inspect.Signature:
    if "by" in sig.parameters:
        return sig
    params = list(sig.parameters.values())
    new = inspect.Parameter("by", inspect.Parameter.KEYWORD_ONLY, default=None)
    var_kw = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
    rest = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
    return sig.replace(parameters=[*rest, new, *var_kw])
