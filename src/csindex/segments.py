"""Segments and waves: split a survey by segment, run any analysis per segment, compare.

The generic machinery is two functions:

* :func:`split_segments` splits a DataFrame or a :class:`~csindex.survey.Survey` by one
  or more columns (or a Series aligned to the rows); a Survey keeps its codebook and
  sampling weights in every segment;
* :func:`map_segments` runs a function on every segment through :class:`joblib.Parallel`
  and returns a :class:`SegmentResults` mapping (segment value -> result).

Every segment is analysed with the caller's arguments unchanged -- the same ``seed`` in
particular -- so a segment's result is exactly the result of fitting that segment alone,
whatever ``n_jobs`` or joblib backend runs it (``with joblib.parallel_backend("dask"):``
runs the segments on a Dask cluster).

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

import copy
import functools
import inspect
import logging
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._summary import Summary, SummaryMixin
from ._validation import did_you_mean, quote_list
from .exceptions import CsindexError, MissingDataWarning, SpecError, SurveyDataError

__all__ = [
    "split_segments",
    "map_segments",
    "SegmentResults",
    "segmentable",
    "IndexComparison",
    "compare_segments",
    "compare_waves",
    "MICOMResult",
    "MGAResult",
    "micom",
    "pls_mga",
    "TrendResult",
    "trend",
]

logger = logging.getLogger(__name__)

#: default smallest segment size accepted by :func:`split_segments`
MIN_SEGMENT_SIZE = 2


# --------------------------------------------------------------------------- splitting
def _frame_of(data: Any) -> pd.DataFrame:
    from .survey import Survey

    if isinstance(data, Survey):
        return data.responses
    if isinstance(data, pd.DataFrame):
        return data
    raise SurveyDataError(
        f"Segments need a Survey or a DataFrame; got {type(data).__name__}. "
        "Load the data with csindex.load_survey or pass a pandas DataFrame."
    )


def _by_label(by: Any) -> str | list[str]:
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


def _sort_keys(keys: list[Any], codes: pd.DataFrame) -> list[Any]:
    """Category order for (ordered or not) categoricals, else natural order, else by text."""
    cats = [codes[c].cat.categories if isinstance(codes[c].dtype, pd.CategoricalDtype) else None
            for c in codes.columns]

    def rank(key: Any) -> tuple:
        parts = key if isinstance(key, tuple) else (key,)
        return tuple(list(c).index(p) if c is not None else p for p, c in zip(parts, cats))

    try:
        return sorted(keys, key=rank)
    except TypeError:
        return sorted(keys, key=lambda k: str(rank(k)))


def _subset(data: Any, rows: np.ndarray, label: str) -> Any:
    """Rows ``rows`` (positions) of a DataFrame or Survey; a Survey keeps codebook and weights."""
    from .survey import Survey, Validation

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


def _key_label(names: list[str], key: Any) -> str:
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
    index, names = _segment_positions(data, by, min_size)
    return {key: _subset(data, rows, _key_label(names, key)) for key, rows in index.items()}


def _segment_positions(data: Any, by: Any, min_size: int) -> tuple[dict[Any, np.ndarray], list[str]]:
    """-> ({segment: row positions}, by names), segments in order, checked for size."""
    frame = _frame_of(data)
    if not isinstance(min_size, (int, np.integer)) or min_size < 1:
        raise ValueError(f"min_size must be a whole number >= 1; got {min_size!r}.")
    codes, names = _segment_codes(frame, by)
    missing = codes.isna().any(axis=1).to_numpy()
    if missing.all():
        raise SurveyDataError(
            f"The segment column {quote_list(names)} is missing for every row; no segment can be formed."
        )
    if missing.any():
        k = int(missing.sum())
        warnings.warn(
            f"{k} row{'s' * (k != 1)} with a missing segment value ({quote_list(names)}) "
            f"{'are' if k != 1 else 'is'} left out of the segments.",
            MissingDataWarning, stacklevel=3,
        )
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
    order = _sort_keys(list(index), codes)
    for key in order:
        size = len(index[key])
        if size < min_size:
            what = "has no respondents" if size == 0 else f"has only {size} respondent{'s' * (size != 1)}"
            fix = (" (or drop unused categories: series.cat.remove_unused_categories())" if size == 0 else "")
            raise SurveyDataError(
                f"Segment {_key_label(names, key)} {what}; at least {min_size} are needed. Merge it with another "
                f"segment (recode the column), drop its rows before splitting{fix}, or lower min_size=."
            )
    return {key: index[key] for key in order}, names


# --------------------------------------------------------------------------- results
class _ReadOnlyDict(Mapping):
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
                import joblib

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
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a declared dependency
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _segment_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """A fresh copy of a Generator seed per segment: each segment starts from the caller's state."""
    return {k: copy.deepcopy(v) if isinstance(v, np.random.Generator) else v for k, v in kwargs.items()}


def _show_progress(progress: bool | None, n: int) -> bool:
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
    import joblib

    if not callable(func):
        raise TypeError(f"func must be callable; got {type(func).__name__}.")
    parts = split_segments(data, by, min_size=min_size)
    names = _by_label(by)
    name_list = names if isinstance(names, list) else [names]
    labels = {k: _key_label(name_list, k) for k in parts}
    fname = name or getattr(func, "__qualname__", getattr(func, "__name__", repr(func)))
    logger.debug("Running %s on %d segments with n_jobs=%s", fname, len(parts), n_jobs)
    inner_sequential = len(parts) > 1 and joblib.effective_n_jobs(n_jobs) != 1
    tasks = (joblib.delayed(_run_segment)(func, k, labels[k], p, _segment_kwargs(kwargs), inner_sequential)
             for k, p in parts.items())
    show = _show_progress(progress, len(parts))
    if show:
        from tqdm.auto import tqdm

        runner = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
        outputs = list(tqdm(runner(tasks), total=len(parts), desc=f"segments ({fname})", unit="segment"))
    else:
        outputs = joblib.Parallel(n_jobs=n_jobs)(tasks)
    results = dict(zip(parts, outputs))
    sizes = pd.DataFrame({"segment": pd.Series(list(parts), dtype=object),
                          "n": np.array([len(_frame_of(p)) for p in parts.values()], dtype=np.int64)})
    settings = {"function": fname, "n_jobs": n_jobs, "min_size": min_size, **kwargs}
    return SegmentResults(results=_ReadOnlyDict(results), by=names, sizes=sizes, settings=settings)


# --------------------------------------------------------------------------- by= for analysis functions
def segmentable(func: Callable[..., Any] | None = None, *, min_size: int = MIN_SEGMENT_SIZE) -> Any:
    """Decorator adding ``by=`` and ``n_jobs=`` handling to an analysis function.

    When the decorated function is called with ``by`` set (not None), it is run on every
    segment through :func:`map_segments` and a :class:`SegmentResults` is returned;
    otherwise it runs as usual. The function's first argument must be the data. With
    ``by``, ``n_jobs`` parallelises the segments (a function's own ``n_jobs``, e.g. of a
    bootstrap, is then set to 1 -- results do not depend on it) and
    ``min_segment_size=`` sets the smallest segment (default 2).

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
        return functools.partial(segmentable, min_size=min_size)
    params = inspect.signature(func).parameters
    own_jobs = "n_jobs" in params
    own_progress = "progress" in params

    @functools.wraps(func)
    def wrapper(data: Any, *args: Any, by: Any = None, **kwargs: Any) -> Any:
        if by is None:
            return _call_in_place(func, data, args, kwargs)
        if args:
            positional = [n for n, p in params.items()
                          if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)][1:]
            if len(args) > len(positional):
                raise TypeError(f"{func.__name__}() takes {len(positional) + 1} positional arguments but "
                                f"{len(args) + 1} were given.")
            kwargs.update(dict(zip(positional, args)))
        jobs = kwargs.pop("n_jobs", None)
        if own_jobs:  # parallelise the segments, not inside each (same numbers either way)
            kwargs["n_jobs"] = 1
        progress = kwargs.pop("progress", None)
        if own_progress:  # one bar over the segments
            kwargs["progress"] = False
        seg_min = kwargs.pop("min_segment_size", min_size)
        # the wrapper (importable by name, so picklable by reference) runs each segment with by=None
        return _map_segments(wrapper, data, by, n_jobs=jobs, progress=progress, min_size=seg_min, kwargs=kwargs,
                             name=func.__qualname__)

    wrapper.__signature__ = _with_by(inspect.signature(func))  # type: ignore[attr-defined]
    wrapper.__wrapped_segmentable__ = func  # type: ignore[attr-defined]
    return wrapper


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



# --------------------------------------------------------------------------- index comparisons
_CHUNK_CELLS = 2_000_000  # max cells of one batch of resampling weights (16 MB of float64)
_COMPARISON_COLUMNS = ["construct", "group_a", "group_b", "n_a", "n_b", "index_a", "index_b", "difference",
                       "std_error", "ci_lower", "ci_upper", "p_value", "p_value_holm"]


@dataclass(frozen=True, repr=False)
class IndexComparison(SummaryMixin):
    """Differences of 0-100 indices between two groups (segments or waves), with tests.

    Attributes
    ----------
    differences : pandas.DataFrame
        One row per construct (plus ``overall``) and pair of groups: ``construct, group_a,
        group_b, n_a, n_b, index_a, index_b, difference`` (``index_b - index_a``: the
        change from a to b), ``std_error`` (SD of the bootstrap differences),
        ``ci_lower, ci_upper`` (percentile bootstrap interval), ``p_value`` (two-sided
        permutation test) and ``p_value_holm`` (Holm-adjusted over the pairs of a
        construct; equal to ``p_value`` for one pair).
    settings : dict
        ``n_resamples, n_permutations, confidence, seed, weighted, by``.
    """

    differences: pd.DataFrame
    settings: Mapping[str, Any] = field(default_factory=dict)

    def significant(self, alpha: float = 0.05, *, adjusted: bool = True) -> pd.DataFrame:
        """Rows whose (Holm-adjusted) permutation p-value is below ``alpha``."""
        col = "p_value_holm" if adjusted else "p_value"
        return self.differences[self.differences[col] < alpha].reset_index(drop=True)

    def summary(self) -> Summary:
        """The differences table."""
        facts = {k: self.settings[k] for k in ("by", "n_resamples", "n_permutations", "confidence", "seed", "weighted")
                 if k in self.settings}
        return Summary("Index differences (0-100)", facts=facts, tables={"Differences": self.differences},
                       notes=("difference = index_b - index_a; CI: percentile bootstrap; p-value: permutation test.",))


def _composites(data: Any, items: Any, weights: Any, scale: Any,
                construct_of: Mapping[str, str] | None = None) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Respondent composites (0-100) per construct plus ``overall``, as in :func:`simple_scores`.

    -> (C n x k with NaN, weights n, construct names, items used)
    """
    from .scoring.simple import _resolve, _row_mean

    frame, w, own_constructs, scales = _resolve(data, items, weights, scale)
    names = list(frame.columns)
    cons = construct_of or own_constructs
    x = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    lo = np.array([scales[i][0] for i in names])
    hi = np.array([scales[i][1] for i in names])
    rescaled = 100.0 * (x - lo) / (hi - lo)
    groups: dict[str, list[int]] = {}
    for j, item in enumerate(names):
        groups.setdefault(cons[item], []).append(j)
    comp = np.column_stack([_row_mean(rescaled[:, js]) for js in groups.values()])
    comp = np.column_stack([comp, _row_mean(comp)])
    wv = np.ones(len(x)) if w is None else np.asarray(w, dtype=np.float64)
    return comp, wv, [*groups, "overall"], names


def _wmeans(weights: np.ndarray, cf: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Weighted column means for a batch: ``weights`` (R x n) per resample -> (R x k)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ cf) / (weights @ valid)


def _bootstrap_index_means(comp: np.ndarray, w: np.ndarray, n_resamples: int,
                           rng: np.random.Generator) -> np.ndarray:
    """Weighted means of bootstrap resamples (rows with replacement, weights travel along), batched.

    A resample is represented by its row counts (a multinomial draw), so a batch of
    resamples is one matrix product: ``(counts * w) @ composites``.
    """
    n, k = comp.shape
    valid = (~np.isnan(comp)).astype(np.float64)
    cf = np.where(np.isnan(comp), 0.0, comp)
    out = np.empty((n_resamples, k))
    chunk = max(1, min(n_resamples, _CHUNK_CELLS // max(n, 1)))
    p = np.full(n, 1.0 / n)
    for start in range(0, n_resamples, chunk):  # batches of resamples
        stop = min(start + chunk, n_resamples)
        counts = rng.multinomial(n, p, size=stop - start).astype(np.float64)
        out[start:stop] = _wmeans(counts * w, cf, valid)
    return out


def _permutation_diffs(comp_a: np.ndarray, w_a: np.ndarray, comp_b: np.ndarray, w_b: np.ndarray,
                       n_permutations: int, rng: np.random.Generator) -> np.ndarray:
    """Differences ``mean_b - mean_a`` after reshuffling the group labels of the pooled rows, batched."""
    comp = np.vstack([comp_a, comp_b])
    w = np.concatenate([w_a, w_b])
    n, k = comp.shape
    valid = (~np.isnan(comp)).astype(np.float64)
    cf = np.where(np.isnan(comp), 0.0, comp)
    base = np.concatenate([np.zeros(len(w_a)), np.ones(len(w_b))])
    out = np.empty((n_permutations, k))
    chunk = max(1, min(n_permutations, _CHUNK_CELLS // max(n, 1)))
    for start in range(0, n_permutations, chunk):  # batches of permutations
        stop = min(start + chunk, n_permutations)
        in_b = rng.permuted(np.broadcast_to(base, (stop - start, n)), axis=1)
        out[start:stop] = _wmeans(in_b * w, cf, valid) - _wmeans((1.0 - in_b) * w, cf, valid)
    return out


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values."""
    p = np.asarray(p, dtype=np.float64)
    m = len(p)
    order = np.argsort(p)
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def _check_count(value: Any, name: str, where: str, minimum: int = 10) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"The {name!r} parameter of {where} must be an int >= {minimum}. Got {value!r} instead.")
    return int(value)


def _compare_pairs(groups: Mapping[Any, tuple[np.ndarray, np.ndarray]], constructs: list[str],
                   pairs: list[tuple[Any, Any]], *, n_resamples: int, n_permutations: int, confidence: float,
                   rng: np.random.Generator) -> pd.DataFrame:
    alpha = (1.0 - confidence) / 2.0
    boot = {g: _bootstrap_index_means(c, w, n_resamples, rng) for g, (c, w) in groups.items()}
    est = {g: _wmeans(w[None, :], np.where(np.isnan(c), 0.0, c), (~np.isnan(c)).astype(np.float64))[0]
           for g, (c, w) in groups.items()}
    rows = []
    for a, b in pairs:
        (ca, wa), (cb, wb) = groups[a], groups[b]
        diff = est[b] - est[a]
        draws = boot[b] - boot[a]
        perm = _permutation_diffs(ca, wa, cb, wb, n_permutations, rng)
        with np.errstate(invalid="ignore"):
            extreme = (np.abs(perm) >= np.abs(diff)[None, :] - 1e-9).sum(axis=0)
        p = (1.0 + extreme) / (n_permutations + 1.0)
        finite = np.isfinite(draws)
        for j, c in enumerate(constructs):
            d = draws[finite[:, j], j]
            lo, hi = (np.quantile(d, [alpha, 1.0 - alpha]) if len(d) > 1 else (np.nan, np.nan))
            rows.append({"construct": c, "group_a": a, "group_b": b,
                         "n_a": int((~np.isnan(ca[:, j])).sum()), "n_b": int((~np.isnan(cb[:, j])).sum()),
                         "index_a": float(est[a][j]), "index_b": float(est[b][j]), "difference": float(diff[j]),
                         "std_error": float(d.std(ddof=1)) if len(d) > 1 else np.nan,
                         "ci_lower": float(lo), "ci_upper": float(hi), "p_value": float(p[j])})
    table = pd.DataFrame(rows)
    table["p_value_holm"] = table.groupby("construct", sort=False)["p_value"].transform(
        lambda s: _holm(s.to_numpy()))
    table["group_a"] = table["group_a"].astype(object)
    table["group_b"] = table["group_b"].astype(object)
    return table[_COMPARISON_COLUMNS]


def compare_segments(data: Any, by: Any, *, groups: Sequence[Any] | None = None, items: Any = None,
                     weights: Any = None, n_resamples: int = 2000, n_permutations: int = 2000,
                     confidence: float = 0.95, seed: int | np.random.Generator | None = None,
                     scale: tuple[float, float] | None = None, min_size: int = MIN_SEGMENT_SIZE) -> IndexComparison:
    """Differences of 0-100 indices between segments, with bootstrap CIs and permutation p-values.

    The index of a construct is the simple-method score (:func:`csindex.simple_scores`):
    the (weighted) mean over respondents of the mean 0-100 value of the construct's
    answered items; ``overall`` averages a respondent's construct composites.

    Parameters
    ----------
    data : Survey or DataFrame
    by : str, list of str or Series
        Segments (see :func:`split_segments`).
    groups : sequence of segment values, optional
        Segments to compare, in order (``difference = index_b - index_a`` for each pair).
        Default: all segments. Every pair is compared; with more than two, the
        ``p_value_holm`` column adjusts for the number of pairs.
    items : list of str, optional
        Items to score (default as in :func:`csindex.simple_scores`).
    weights : None, False, str or array
        Sampling weights, as in :func:`csindex.simple_scores` (a segment keeps its
        respondents' weights).
    n_resamples : int
        Bootstrap resamples per segment (default 2,000).
    n_permutations : int
        Permutations of the segment labels (default 2,000).
    confidence : float
        CI level (default 0.95).
    seed : int, numpy.random.Generator or None
        Random seed (the resolved seed is in ``settings["seed"]``).
    scale : (min, max), optional
        Scale when a DataFrame's codebook is inferred.
    min_size : int
        Smallest segment size.

    Returns
    -------
    IndexComparison

    Notes
    -----
    Bootstrap: the rows of each segment are resampled with replacement (their weights
    travel with them); the CI is the percentile interval of the resampled differences.
    Permutation test: the segment labels of the pooled respondents of a pair are
    reshuffled; two-sided p-value ``(1 + #{|d*| >= |d|}) / (R + 1)`` (Phipson & Smyth
    2010). Resamples and permutations are drawn in batches and evaluated as matrix
    products (no loop over resamples).

    Examples
    --------
    >>> import csindex
    >>> cmp = compare_segments(csindex.datasets.airline(), "gender", items=["SAT1", "SAT2", "SAT3"],
    ...                        n_resamples=500, n_permutations=500, seed=1)
    >>> cmp.differences[["construct", "group_a", "group_b"]]
      construct group_a group_b
    0       SAT  female    male
    1   overall  female    male
    >>> bool((cmp.differences["p_value"] > 0).all())
    True
    """
    where = "compare_segments()"
    n_resamples = _check_count(n_resamples, "n_resamples", where)
    n_permutations = _check_count(n_permutations, "n_permutations", where)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence!r}.")
    from .kpi import _resolve_seed

    rng, seed_used = _resolve_seed(seed)
    if isinstance(data, pd.DataFrame):  # one codebook (and scale) for every segment
        from .io import load_survey

        data = load_survey(data, scale=scale)
    parts = split_segments(data, by, min_size=min_size)
    if groups is not None:
        groups = list(groups)
        unknown = [g for g in groups if g not in parts]
        if unknown:
            raise SurveyDataError(
                f"Segment {quote_list(unknown)} is not in the data; segments: {quote_list(list(parts), limit=10)}."
                f"{did_you_mean(str(unknown[0]), [str(k) for k in parts])}"
            )
        if len(groups) < 2:
            raise ValueError("groups= must name at least two segments to compare.")
    else:
        groups = list(parts)
        if len(groups) < 2:
            raise SurveyDataError(f"The data has a single segment ({groups[0]!r}); there is nothing to compare.")
    comps: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
    constructs: list[str] = []
    used: Any = items
    for g in groups:
        c, w, constructs, used = _composites(parts[g], used, weights, scale)
        comps[g] = (c, w)
    pairs = [(groups[i], groups[j]) for i in range(len(groups)) for j in range(i + 1, len(groups))]
    table = _compare_pairs(comps, constructs, pairs, n_resamples=n_resamples, n_permutations=n_permutations,
                           confidence=confidence, rng=rng)
    settings = {"by": _by_label(by), "n_resamples": n_resamples, "n_permutations": n_permutations,
                "confidence": confidence, "seed": seed_used, "weighted": weights is not False and any(
                    not np.all(w == 1.0) for _, w in comps.values())}
    return IndexComparison(differences=table, settings=settings)


def compare_waves(wave_a: Any, wave_b: Any, *, labels: tuple[Any, Any] = ("wave 1", "wave 2"), items: Any = None,
                  weights: Any = None, n_resamples: int = 2000, n_permutations: int = 2000,
                  confidence: float = 0.95, seed: int | np.random.Generator | None = None,
                  scale: tuple[float, float] | None = None) -> IndexComparison:
    """Change of 0-100 indices between two survey waves, with bootstrap CI and permutation p-value.

    Parameters
    ----------
    wave_a, wave_b : Survey or DataFrame
        The earlier and the later wave; ``difference = index_b - index_a`` (the change).
        Items and their constructs are taken from ``wave_a``; ``wave_b`` must have them.
        Each wave's items are rescaled to 0-100 with its own codebook's scale.
    labels : (str, str)
        Names of the waves in the table.
    items, weights, n_resamples, n_permutations, confidence, seed, scale
        As in :func:`compare_segments`.

    Returns
    -------
    IndexComparison

    Examples
    --------
    >>> import csindex
    >>> cmp = compare_waves(csindex.datasets.airline(), csindex.datasets.airline_wave2(),
    ...                     items=["PUNC1", "PUNC2", "PUNC3"], n_resamples=500, n_permutations=500, seed=1)
    >>> row = cmp.differences.iloc[0]
    >>> row["construct"], bool(row["difference"] > 0), bool(row["p_value"] < 0.01)
    ('PUNC', True, True)
    """
    where = "compare_waves()"
    n_resamples = _check_count(n_resamples, "n_resamples", where)
    n_permutations = _check_count(n_permutations, "n_permutations", where)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence!r}.")
    if len(labels) != 2 or labels[0] == labels[1]:
        raise ValueError(f"labels must be two different names; got {labels!r}.")
    from .kpi import _resolve_seed

    rng, seed_used = _resolve_seed(seed)
    table, _, _ = _wave_composites({labels[0]: wave_a, labels[1]: wave_b}, items, weights, scale)
    comps, constructs = table
    out = _compare_pairs(comps, constructs, [(labels[0], labels[1])], n_resamples=n_resamples,
                         n_permutations=n_permutations, confidence=confidence, rng=rng)
    settings = {"by": "wave", "n_resamples": n_resamples, "n_permutations": n_permutations,
                "confidence": confidence, "seed": seed_used,
                "weighted": any(not np.all(w == 1.0) for _, w in comps.values())}
    return IndexComparison(differences=out, settings=settings)


def _wave_composites(waves: Mapping[Any, Any], items: Any, weights: Any,
                     scale: Any) -> tuple[Any, list[str], dict[Any, Any]]:
    """Composites of every wave on the items (and constructs) of the first wave.

    -> ((composites per wave, construct names), items used, the waves as Surveys)
    """
    from .io import load_survey
    from .scoring.simple import _resolve

    loaded = {label: load_survey(d, scale=scale) if isinstance(d, pd.DataFrame) else d for label, d in waves.items()}
    comps: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
    first = next(iter(loaded))
    _, _, construct_of, first_scales = _resolve(loaded[first], items, weights, scale)
    used = list(construct_of)
    constructs: list[str] = []
    for label, data in loaded.items():
        cols = _frame_of(data).columns
        lacking = [i for i in used if i not in cols]
        if lacking:
            raise SurveyDataError(
                f"Wave {label!r} lacks items {quote_list(lacking)} that wave {first!r} has; waves are compared on "
                "the same items. Pass items= with the items every wave has."
            )
        differ = [i for i in used if data.scale(i) != first_scales[i]]
        if differ:
            i = differ[0]
            raise SurveyDataError(
                f"Item {i!r} has the scale {data.scale(i)[0]:g}-{data.scale(i)[1]:g} in wave {label!r} but "
                f"{first_scales[i][0]:g}-{first_scales[i][1]:g} in wave {first!r} ({len(differ)} item(s) differ; "
                "a scale inferred from the answers depends on which values occur). Pass scale=(min, max) or load "
                "the waves with the same codebook."
            )
        c, w, constructs, _ = _composites(data, used, weights, scale, construct_of=construct_of)
        comps[label] = (c, w)
    return (comps, constructs), used, loaded


# --------------------------------------------------------------------------- PLS multi-group analysis
_MICOM_COLUMNS = ["construct", "c", "c_critical", "c_p_value", "compositional_invariance", "mean_difference",
                  "mean_ci_lower", "mean_ci_upper", "mean_p_value", "equal_means", "log_variance_ratio",
                  "variance_ci_lower", "variance_ci_upper", "variance_p_value", "equal_variances", "invariance"]
_MGA_COLUMNS = ["source", "target", "group_a", "group_b", "path_a", "path_b", "difference", "p_value"]


@dataclass(frozen=True, repr=False)
class MICOMResult(SummaryMixin):
    """Measurement invariance of composites (Henseler, Ringle & Sarstedt 2016), steps 2 and 3.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per construct: ``c`` (correlation of the composite scores computed on the
        pooled, standardised data with group a's and with group b's weights),
        ``c_critical`` (the ``alpha`` quantile of ``c`` under permutation), ``c_p_value``
        (share of permutations with a smaller ``c``), ``compositional_invariance``
        (``c >= c_critical``); step 3 on composite scores from the pooled-data weights:
        ``mean_difference`` (group b minus group a, in pooled SD units) and
        ``log_variance_ratio`` (``log var_b - log var_a``), each with the permutation
        interval ``[alpha/2, 1 - alpha/2]`` (``*_ci_lower``, ``*_ci_upper``), a two-sided
        permutation p-value and a verdict (``equal_means``, ``equal_variances``: the value
        lies inside its interval); ``invariance``: ``"full"`` (steps 2 and 3 hold),
        ``"partial"`` (step 2 holds: path coefficients may be compared) or ``"none"``.
        Step 1 (configural invariance: same model, items and data treatment in both
        groups) holds by construction.
    groups : tuple
        (group a, group b).
    settings : dict
        ``n_permutations, seed, alpha, n_a, n_b, scheme, standardize, n_failed``.
    """

    table: pd.DataFrame
    groups: tuple[Any, Any]
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def compositional_invariance(self) -> bool:
        """True when step 2 holds for every construct."""
        return bool(self.table["compositional_invariance"].all())

    def summary(self) -> Summary:
        """The MICOM table."""
        facts = {"groups": f"{self.groups[0]!r} vs {self.groups[1]!r}",
                 **{k: self.settings[k] for k in ("n_a", "n_b", "n_permutations", "alpha", "seed")
                    if k in self.settings}}
        return Summary("MICOM: measurement invariance of composites (steps 2-3)", facts=facts,
                       tables={"Invariance": self.table})


@dataclass(frozen=True, repr=False)
class MGAResult(SummaryMixin):
    """PLS multi-group analysis: permutation test of path differences (Chin & Dibbern 2010).

    Attributes
    ----------
    paths : pandas.DataFrame
        ``source, target, group_a, group_b, path_a, path_b, difference`` (``path_b -
        path_a``) and ``p_value`` (two-sided permutation p-value
        ``(1 + #{|d*| >= |d|}) / (R + 1)``).
    index : pandas.DataFrame
        ``construct, group_a, group_b, index_a, index_b, difference`` (``index_b -
        index_a``) and ``p_value``: the 0-100 PLS indices of both groups and the same
        permutation test of their difference.
    micom : MICOMResult
        Measurement invariance, steps 2-3 (checked first; a warning is issued when
        compositional invariance fails).
    results : dict
        Group -> :class:`~csindex.pls.PLSResult` of that group alone.
    settings : dict
        ``n_permutations, seed, alpha, scheme, standardize, n_failed`` (permutations whose
        estimation did not converge; they are left out of the reference distributions).
    """

    paths: pd.DataFrame
    index: pd.DataFrame
    micom: MICOMResult
    results: Mapping[Any, Any]
    settings: Mapping[str, Any] = field(default_factory=dict)

    def significant(self, alpha: float | None = None) -> pd.DataFrame:
        """Paths whose permutation p-value is below ``alpha`` (default: the analysis' alpha)."""
        a = self.settings.get("alpha", 0.05) if alpha is None else alpha
        return self.paths[self.paths["p_value"] < a].reset_index(drop=True)

    def summary(self) -> Summary:
        """Path differences and the MICOM table."""
        facts = {"groups": f"{self.micom.groups[0]!r} vs {self.micom.groups[1]!r}",
                 **{k: self.settings[k] for k in ("n_a", "n_b", "n_permutations", "alpha", "seed", "n_failed")
                    if k in self.settings}}
        notes = () if self.micom.compositional_invariance else (
            "Compositional invariance failed for some constructs; compare their paths with caution.",)
        return Summary("PLS multi-group analysis (permutation test)", facts=facts,
                       tables={"Path differences": self.paths, "Index differences (0-100)": self.index,
                               "MICOM": self.micom.table}, notes=notes)


def _resolve_int_seed(seed: int | np.random.Generator | None) -> int:
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, a numpy Generator or None. Got {seed!r} instead.")
    return int(seed)


@dataclass(frozen=True)
class _MGAData:
    X: np.ndarray  # (n, p) items of both groups, block order, centred on the pooled mean
    w: np.ndarray  # (n,) sampling weights (ones when unweighted)
    in_b: np.ndarray  # (n,) 1.0 for group b rows
    lo: np.ndarray
    hi: np.ndarray
    center: np.ndarray  # (p,) pooled mean removed from X (added back for the 0-100 index)


def _group_moments(Xc: np.ndarray, XX: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means (B, p) and population covariances (B, p, p) for a batch of row weightings ``W`` (B, n)."""
    p = Xc.shape[1]
    sw = W.sum(axis=1)
    mean = (W @ Xc) / sw[:, None]
    second = (W @ XX).reshape(-1, p, p) / sw[:, None, None]
    S = second - mean[:, :, None] * mean[:, None, :]
    return mean, (S + np.swapaxes(S, 1, 2)) / 2.0


def _std_weights(st: Any, S: np.ndarray, standardize: bool) -> np.ndarray:
    """Outer weights on the standardised-item scale, (B, p)."""
    w = st.final.weights
    return w if standardize else w * np.sqrt(np.einsum("bii->bi", S))


def _mga_batch(d: _MGAData, layout: Any, pairs: list[tuple[int, int]], labels: np.ndarray, options: Mapping[str, Any],
               R_pooled: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """Estimate both groups for a batch of label vectors ``labels`` (B, n); return the statistics."""
    from .pls._stats import estimate_stack

    XX = (d.X[:, :, None] * d.X[:, None, :]).reshape(len(d.X), -1)
    B = labels.shape[0]
    Wb = labels * d.w
    Wa = (1.0 - labels) * d.w
    mean_a, S_a = _group_moments(d.X, XX, Wa)
    mean_b, S_b = _group_moments(d.X, XX, Wb)
    S = np.concatenate([S_a, S_b])
    st = estimate_stack(S, np.concatenate([mean_a, mean_b]) + d.center, layout, with_htmt=False, lo=d.lo, hi=d.hi,
                        **options)
    ok = st.iteration.converged[:B] & st.iteration.converged[B:]
    paths = st.final.paths
    src = [s for s, _ in pairs]
    tgt = [t for _, t in pairs]
    diff = paths[B:, src, tgt] - paths[:B, src, tgt]
    # MICOM step 2: correlation of pooled-data composites built with each group's weights
    ws = _std_weights(st, S, options["standardized"])
    Da, Db = layout.dense(ws[:B]), layout.dense(ws[B:])
    RDb = R_pooled @ Db
    RDa = R_pooled @ Da
    num = np.einsum("bpj,bpj->bj", Da, RDb)
    den = np.sqrt(np.einsum("bpj,bpj->bj", Da, RDa) * np.einsum("bpj,bpj->bj", Db, RDb))
    c = num / den
    # MICOM step 3: means and log variances of the pooled-weight composites in each group
    sa, sb = Wa.sum(axis=1), Wb.sum(axis=1)
    ma, mb = (Wa @ Y) / sa[:, None], (Wb @ Y) / sb[:, None]
    va = (Wa @ (Y * Y)) / sa[:, None] - ma**2
    vb = (Wb @ (Y * Y)) / sb[:, None] - mb**2
    return {"diff": diff, "c": c, "mean": mb - ma, "logvar": np.log(vb) - np.log(va), "ok": ok,
            "index": st.index[B:] - st.index[:B], "index_a": st.index[:B], "index_b": st.index[B:],
            "path_a": paths[:B, src, tgt], "path_b": paths[B:, src, tgt]}


def _mga_chunk(d: _MGAData, layout: Any, pairs: list[tuple[int, int]], options: Mapping[str, Any],
               R_pooled: np.ndarray, Y: np.ndarray, size: int,
               seed_seq: np.random.SeedSequence) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed_seq)
    labels = rng.permuted(np.broadcast_to(d.in_b, (size, len(d.in_b))), axis=1)
    return _mga_batch(d, layout, pairs, labels, options, R_pooled, Y)


def _mga_setup(data: Any, model: Any, by: Any, groups: Sequence[Any] | None, *, scheme: str, standardize: bool,
               missing: str, weights: Any, tol: float, max_iter: int, convergence: str, min_size: int, where: str,
               scale: Any = None):
    from .pls.estimate import MISSING, RULES, SCHEMES, _resolve_model, prepare
    from .pls._algorithm import Layout, moments

    from ._validation import check_option

    check_option("scheme", scheme, SCHEMES, where)
    check_option("missing", missing, MISSING, where)
    check_option("convergence", convergence, RULES, where)
    spec = _resolve_model(model, data)
    index, names = _segment_positions(data, by, min_size)
    if groups is None:
        if len(index) != 2:
            raise SurveyDataError(
                f"{where} compares two groups, but {quote_list(names)} has {len(index)} segments "
                f"({quote_list(list(index), limit=8)}). Pass groups=(a, b) to choose two."
            )
        ga, gb = list(index)
    else:
        if len(groups) != 2 or groups[0] == groups[1]:
            raise ValueError(f"groups= must name two different segments; got {groups!r}.")
        unknown = [g for g in groups if g not in index]
        if unknown:
            raise SurveyDataError(
                f"Segment {quote_list(unknown)} is not in the data; segments: {quote_list(list(index), limit=10)}."
                f"{did_you_mean(str(unknown[0]), [str(k) for k in index])}"
            )
        ga, gb = groups
    rows = np.concatenate([index[ga], index[gb]])
    pooled = _subset(data, rows, f"{_key_label(names, ga)} and {_key_label(names, gb)}")
    frame = _frame_of(pooled)
    if not frame.index.is_unique:
        raise SurveyDataError("The data's row index has duplicated labels; reset it (df.reset_index(drop=True)).")
    if weights is not None and not isinstance(weights, str) and weights is not False:
        weights = np.asarray(weights, dtype=np.float64)[rows]
    is_b = pd.Series(np.r_[np.zeros(len(index[ga])), np.ones(len(index[gb]))], index=frame.index)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prep = prepare(pooled, spec, missing=missing, weights=None if weights is False else weights, scale=scale)
    for wmsg in caught:
        warnings.warn(str(wmsg.message), wmsg.category, stacklevel=4)
    if weights is False:
        w = np.ones(len(prep.X))
    else:
        w = np.ones(len(prep.X)) if prep.weights is None else prep.weights
    layout = Layout.from_spec(spec)
    in_b = is_b.loc[prep.rows].to_numpy()
    for g, k in ((ga, int((in_b == 0).sum())), (gb, int((in_b == 1).sum()))):
        if k < max(3, min_size):
            raise SurveyDataError(f"Segment {_key_label(names, g)} has only {k} complete respondents; "
                                  "too few for a PLS fit. Use missing='mean' or merge segments.")
    mean_p, S_p = moments(prep.X, w)
    d = _MGAData(X=prep.X - mean_p, w=w, in_b=in_b.astype(np.float64), lo=prep.lo, hi=prep.hi, center=mean_p)
    return spec, layout, d, (ga, gb), names, S_p, pooled, weights


def _micom_table(constructs: Sequence[str], obs: Mapping[str, np.ndarray], perm: Mapping[str, np.ndarray],
                 alpha: float, single: Sequence[bool]) -> pd.DataFrame:
    R = perm["c"].shape[0]
    c_obs = obs["c"][0]
    c_crit = np.quantile(perm["c"], alpha, axis=0)
    c_p = (1.0 + (perm["c"] <= c_obs[None, :] + 1e-12).sum(axis=0)) / (R + 1.0)
    single_arr = np.asarray(single, dtype=bool)
    comp = (c_obs >= c_crit - 1e-12) | single_arr
    c_p = np.where(single_arr, 1.0, c_p)
    rows: dict[str, Any] = {"construct": list(constructs), "c": c_obs, "c_critical": c_crit, "c_p_value": c_p,
                            "compositional_invariance": comp}
    verdicts = []
    for key, name, lo_col, hi_col, p_col, eq_col in (
            ("mean", "mean_difference", "mean_ci_lower", "mean_ci_upper", "mean_p_value", "equal_means"),
            ("logvar", "log_variance_ratio", "variance_ci_lower", "variance_ci_upper", "variance_p_value",
             "equal_variances")):
        val = obs[key][0]
        lo, hi = np.quantile(perm[key], [alpha / 2.0, 1.0 - alpha / 2.0], axis=0)
        p = (1.0 + (np.abs(perm[key]) >= np.abs(val)[None, :] - 1e-12).sum(axis=0)) / (R + 1.0)
        eq = (val >= lo) & (val <= hi)
        rows.update({name: val, lo_col: lo, hi_col: hi, p_col: p, eq_col: eq})
        verdicts.append(eq)
    rows["invariance"] = np.where(comp & verdicts[0] & verdicts[1], "full", np.where(comp, "partial", "none"))
    table = pd.DataFrame(rows, columns=_MICOM_COLUMNS)
    for col in ("compositional_invariance", "equal_means", "equal_variances"):
        table[col] = table[col].astype(bool)
    return table


def _run_mga(data: Any, model: Any, by: Any, *, groups: Any, n_permutations: int, seed: Any, n_jobs: int | None,
             progress: bool | None, alpha: float, scheme: str, standardize: bool, missing: str, weights: Any,
             tol: float, max_iter: int, convergence: str, chunk_size: int, min_size: int, where: str,
             scale: Any = None):
    import joblib

    from .pls._stats import estimate_stack

    n_permutations = _check_count(n_permutations, "n_permutations", where)
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be between 0 and 0.5; got {alpha!r}.")
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int; got {chunk_size!r}.")
    seed_used = _resolve_int_seed(seed)
    spec, layout, d, (ga, gb), names, S_p, pooled, weights = _mga_setup(
        data, model, by, groups, scheme=scheme, standardize=standardize, missing=missing, weights=weights, tol=tol,
        max_iter=max_iter, convergence=convergence, min_size=min_size, where=where, scale=scale)
    options = dict(scheme=scheme, tol=tol, max_iter=max_iter, rule=convergence, standardized=standardize)
    # pooled fit: weights for the MICOM step-3 composites; pooled correlation for step 2
    sd_p = np.sqrt(np.diag(S_p))
    R_p = S_p / np.outer(sd_p, sd_p)
    pooled_st = estimate_stack(S_p[None], np.zeros((1, layout.p)), layout, with_htmt=False, lo=d.lo, hi=d.hi,
                               **options)
    if not pooled_st.iteration.converged[0]:
        from .exceptions import ConvergenceWarning

        warnings.warn("The PLS weights of the pooled data did not converge; MICOM step 3 uses them anyway. "
                      "Raise max_iter.", ConvergenceWarning, stacklevel=3)
    w_pool = _std_weights(pooled_st, S_p[None], standardize)[0]
    Y = (d.X / sd_p) @ layout.dense(w_pool[None])[0]  # pooled composites, unit (weighted) variance
    pairs_idx = [(layout.constructs.index(s), layout.constructs.index(t)) for s, t in spec.paths]
    obs = _mga_batch(d, layout, pairs_idx, d.in_b[None, :], options, R_p, Y)
    if not obs["ok"][0]:
        from .exceptions import ConvergenceWarning

        warnings.warn(f"The PLS weights of segment {ga!r} or {gb!r} did not converge within max_iter={max_iter}.",
                      ConvergenceWarning, stacklevel=3)
    sizes = [min(chunk_size, n_permutations - s) for s in range(0, n_permutations, chunk_size)]
    seeds = np.random.SeedSequence(seed_used).spawn(len(sizes))
    tasks = (joblib.delayed(_mga_chunk)(d, layout, pairs_idx, options, R_p, Y, k, ss) for k, ss in zip(sizes, seeds))
    if _show_progress(progress, n_permutations // 50):
        from tqdm.auto import tqdm

        chunks = list(tqdm(joblib.Parallel(n_jobs=n_jobs, return_as="generator")(tasks), total=len(sizes),
                           desc="permutations", unit="chunk"))
    else:
        chunks = joblib.Parallel(n_jobs=n_jobs)(tasks)
    perm = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    ok = perm["ok"] & np.isfinite(perm["diff"]).all(axis=1) & np.isfinite(perm["c"]).all(axis=1)
    n_failed = int((~ok).sum())
    perm = {k: v[ok] for k, v in perm.items()}
    if n_failed:
        from .exceptions import InferenceWarning

        warnings.warn(f"{n_failed} of {n_permutations} permutations did not converge and were left out of the "
                      "reference distributions.", InferenceWarning, stacklevel=3)
    if len(perm["diff"]) < 10:
        from .exceptions import EstimationError

        raise EstimationError(f"Only {len(perm['diff'])} permutations converged; raise max_iter or check the model.")
    single = [sl.stop - sl.start == 1 for sl in layout.slices]
    micom_table = _micom_table(layout.constructs, obs, perm, alpha, single)
    settings = {"n_permutations": n_permutations, "seed": seed_used, "alpha": alpha, "scheme": scheme,
                "standardize": standardize, "missing": missing, "n_failed": n_failed,
                "n_a": int((d.in_b == 0).sum()), "n_b": int((d.in_b == 1).sum()), "by": _by_label(by)}
    micom = MICOMResult(table=micom_table, groups=(ga, gb), settings=settings)
    failed = micom_table.loc[~micom_table["compositional_invariance"], "construct"].tolist()
    return spec, layout, d, (ga, gb), obs, perm, micom, failed, settings, pairs_idx


def micom(data: Any, model: Any, by: Any, *, groups: Sequence[Any] | None = None, n_permutations: int = 1000,
          seed: int | np.random.Generator | None = None, n_jobs: int | None = None, progress: bool | None = None,
          alpha: float = 0.05, scheme: str = "path", standardize: bool = True, missing: str = "listwise",
          weights: Any = None, tol: float = 1e-7, max_iter: int = 300, convergence: str = "max_abs",
          chunk_size: int = 250, min_size: int = 10) -> MICOMResult:
    """Measurement invariance of composites between two segments (MICOM steps 2-3).

    Henseler, Ringle & Sarstedt (2016, International Marketing Review 33(3):405-431).
    Step 2 (compositional invariance): ``c = cor(Z w_a, Z w_b)``, the correlation of the
    composite scores computed on the pooled standardised data ``Z`` with the weights
    estimated in group a and in group b; invariance holds when ``c`` is not below the
    ``alpha`` quantile of its permutation distribution. Step 3: composite scores from the
    pooled-data weights; the group difference of their means and the log ratio of their
    variances must lie inside the central ``1 - alpha`` permutation interval.

    Parameters
    ----------
    data : Survey or DataFrame
    model : str or ModelSpec
        As in :func:`csindex.fit_pls`.
    by : str, list of str or Series
        Segments (see :func:`split_segments`); exactly two, or choose them with ``groups``.
    groups : (a, b), optional
        The two segments to compare.
    n_permutations : int
        Permutations of the group labels (default 1,000; Henseler et al. recommend 5,000).
    seed : int, numpy.random.Generator or None
        Random seed; results do not depend on ``n_jobs``.
    n_jobs : int or None
        joblib workers over chunks of permutations (None: one, or as set by a
        ``joblib.parallel_backend`` context, e.g. Dask).
    progress : bool or None
        tqdm bar over chunks.
    alpha : float
        Significance level (default 0.05).
    scheme, standardize, missing, weights, tol, max_iter, convergence
        As in :func:`csindex.fit_pls` (missing values are handled on the pooled data).
    chunk_size : int
        Permutations estimated together in one batched call (fixes the random streams).
    min_size : int
        Smallest segment size (default 10).

    Returns
    -------
    MICOMResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> q = rng.normal(size=300); s = 0.5 * q + rng.normal(size=300)
    >>> df = pd.DataFrame({"q1": q + rng.normal(size=300), "q2": q + rng.normal(size=300),
    ...                    "s1": s + rng.normal(size=300), "s2": s + rng.normal(size=300),
    ...                    "g": np.repeat(["a", "b"], 150)})
    >>> m = micom(df, "Q =~ q1 + q2\\nS =~ s1 + s2\\nS ~ Q", "g", n_permutations=200, seed=1)
    >>> m.table[["construct", "compositional_invariance"]]
      construct  compositional_invariance
    0         Q                      True
    1         S                      True
    """
    where = "micom()"
    *_, micom_res, failed, _, _ = _run_mga(
        data, model, by, groups=groups, n_permutations=n_permutations, seed=seed, n_jobs=n_jobs, progress=progress,
        alpha=alpha, scheme=scheme, standardize=standardize, missing=missing, weights=weights, tol=tol,
        max_iter=max_iter, convergence=convergence, chunk_size=chunk_size, min_size=min_size, where=where)
    if failed:
        _warn_invariance(failed, micom_res.groups)
    return micom_res


def _warn_invariance(failed: list[str], groups: tuple[Any, Any]) -> None:
    from .exceptions import InferenceWarning

    warnings.warn(
        f"Compositional invariance (MICOM step 2) is not established for construct {quote_list(failed)} between "
        f"{groups[0]!r} and {groups[1]!r}: the composites are formed differently in the two groups, so their path "
        "coefficients are not comparable. Check the items' weights per group (result.results[g].weights).",
        InferenceWarning, stacklevel=3,
    )


def pls_mga(data: Any, model: Any, by: Any, *, groups: Sequence[Any] | None = None, n_permutations: int = 1000,
            seed: int | np.random.Generator | None = None, n_jobs: int | None = None, progress: bool | None = None,
            alpha: float = 0.05, scheme: str = "path", standardize: bool = True, missing: str = "listwise",
            weights: Any = None, tol: float = 1e-7, max_iter: int = 300, convergence: str = "max_abs",
            chunk_size: int = 250, min_size: int = 10, scale: Any = None) -> MGAResult:
    """PLS multi-group analysis: permutation test of path-coefficient differences between two segments.

    Chin & Dibbern (2010, in Handbook of Partial Least Squares, pp. 171-193): the model is
    estimated in each group; the group labels of the pooled respondents are permuted
    (group sizes kept), both groups re-estimated, and the two-sided p-value of a path
    difference is ``(1 + #{|d*| >= |d|}) / (R + 1)``. Measurement invariance is checked
    first with MICOM steps 2-3 (:func:`micom`, Henseler, Ringle & Sarstedt 2016) on the
    same permutations; an :class:`~csindex.exceptions.InferenceWarning` is issued when
    compositional invariance fails.

    All permutations of a chunk are estimated in one batched call of the PLS engine
    (stacked covariance matrices); chunks run in parallel through joblib (``n_jobs``, any
    backend) with per-chunk random streams, so results do not depend on ``n_jobs``.

    Parameters
    ----------
    data, model, by, groups, n_permutations, seed, n_jobs, progress, alpha, scheme,
    standardize, missing, weights, tol, max_iter, convergence, chunk_size, min_size
        As in :func:`micom`.
    scale : (min, max) or dict, optional
        Item scales for the 0-100 indices (as in :func:`csindex.fit_pls`); default the
        Survey codebook, else the smallest and largest answer of the pooled data (one scale
        for both groups).

    Returns
    -------
    MGAResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(["a", "b"], 200)
    >>> q = rng.normal(size=400); s = np.where(g == "a", 0.2, 0.7) * q + 0.7 * rng.normal(size=400)
    >>> df = pd.DataFrame({"q1": q + 0.5 * rng.normal(size=400), "q2": q + 0.5 * rng.normal(size=400),
    ...                    "s1": s + 0.5 * rng.normal(size=400), "s2": s + 0.5 * rng.normal(size=400), "g": g})
    >>> res = pls_mga(df, "Q =~ q1 + q2\\nS =~ s1 + s2\\nS ~ Q", "g", n_permutations=200, seed=1)
    >>> row = res.paths.iloc[0]
    >>> bool(row["difference"] > 0.2), bool(row["p_value"] < 0.01)
    (True, True)
    """
    where = "pls_mga()"
    spec, layout, d, (ga, gb), obs, perm, micom_res, failed, settings, pairs_idx = _run_mga(
        data, model, by, groups=groups, n_permutations=n_permutations, seed=seed, n_jobs=n_jobs, progress=progress,
        alpha=alpha, scheme=scheme, standardize=standardize, missing=missing, weights=weights, tol=tol,
        max_iter=max_iter, convergence=convergence, chunk_size=chunk_size, min_size=min_size, where=where,
        scale=scale)
    if failed:
        _warn_invariance(failed, (ga, gb))
    R = perm["diff"].shape[0]
    diff = obs["diff"][0]
    p = (1.0 + (np.abs(perm["diff"]) >= np.abs(diff)[None, :] - 1e-12).sum(axis=0)) / (R + 1.0)
    paths = pd.DataFrame({"source": [s for s, _ in spec.paths], "target": [t for _, t in spec.paths],
                          "group_a": pd.Series([ga] * len(diff), dtype=object),
                          "group_b": pd.Series([gb] * len(diff), dtype=object),
                          "path_a": obs["path_a"][0], "path_b": obs["path_b"][0], "difference": diff, "p_value": p},
                         columns=_MGA_COLUMNS)
    d_idx = obs["index"][0]
    p_idx = (1.0 + (np.abs(perm["index"]) >= np.abs(d_idx)[None, :] - 1e-12).sum(axis=0)) / (R + 1.0)
    index = pd.DataFrame({"construct": list(layout.constructs),
                          "group_a": pd.Series([ga] * layout.J, dtype=object),
                          "group_b": pd.Series([gb] * layout.J, dtype=object),
                          "index_a": obs["index_a"][0], "index_b": obs["index_b"][0], "difference": d_idx,
                          "p_value": p_idx})
    from .pls import fit_pls

    parts = split_segments(data, by, min_size=min_size)
    fit_opts = dict(scheme=scheme, standardize=standardize, missing=missing, tol=tol, max_iter=max_iter,
                    convergence=convergence,
                    scale={i: (float(lo), float(hi)) for i, lo, hi in zip(layout.items, d.lo, d.hi)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # already reported by the pooled preparation
        results = {g: fit_pls(parts[g], spec, **fit_opts,
                              **({"weights": weights} if isinstance(weights, str) else {}))
                   for g in (ga, gb)} if weights is None or isinstance(weights, str) else {}
    return MGAResult(paths=paths, index=index, micom=micom_res, results=_ReadOnlyDict(results), settings=settings)


# --------------------------------------------------------------------------- trend across waves
_TREND_COLUMNS = ["wave", "construct", "n", "index", "ci_lower", "ci_upper", "change", "change_ci_lower",
                  "change_ci_upper", "p_value"]


@dataclass(frozen=True, repr=False)
class TrendResult(SummaryMixin):
    """0-100 indices across survey waves, with the change from each wave to the next.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per wave and construct: ``wave`` (ordered categorical, waves in the order
        given), ``construct, n, index, ci_lower, ci_upper``, ``change`` (index minus the
        previous wave's), ``change_ci_lower, change_ci_upper`` and ``p_value`` (permutation
        test of the change). The change columns are NaN in the first wave, which has no
        previous wave.
    results : Mapping
        Wave -> the per-wave result (:class:`~csindex.scoring.simple.SimpleScoresResult` or
        :class:`~csindex.pls.PLSResult`).
    settings : dict
        ``method, confidence, n_permutations, seed`` and the method's options.
    """

    table: pd.DataFrame
    results: Mapping[Any, Any]
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def waves(self) -> list[Any]:
        """Wave labels, in order."""
        return list(self.results)

    def changes(self, alpha: float | None = None) -> pd.DataFrame:
        """Rows with a change (every wave but the first); with ``alpha``, only significant ones."""
        out = self.table[self.table["change"].notna()]
        if alpha is not None:
            out = out[out["p_value"] < alpha]
        return out.reset_index(drop=True)

    def plot(self, constructs: Sequence[str] | None = None, *, ax: Any = None) -> Any:
        """Line chart of the indices with CI bands (:func:`csindex.plots.trend_chart`).

        Parameters
        ----------
        constructs : list of str, optional
            Constructs to draw (default all).
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        csindex.plots.TrendChartDisplay
        """
        from .plots import trend_chart

        table = self.table
        if constructs is not None:
            unknown = [c for c in constructs if c not in set(table["construct"])]
            if unknown:
                raise SurveyDataError(f"Construct {quote_list(unknown)} is not in the trend table; constructs: "
                                      f"{quote_list(list(dict.fromkeys(table['construct'])), limit=10)}.")
            table = table[table["construct"].isin(list(constructs))]
        return trend_chart(table, ci_lower="ci_lower", ci_upper="ci_upper", ax=ax)

    def summary(self) -> Summary:
        """The trend table."""
        facts = {"waves": ", ".join(str(w) for w in self.results), "method": self.settings.get("method"),
                 "confidence": self.settings.get("confidence")}
        return Summary("Index trend across waves (0-100)", facts=facts, tables={"Trend": self.table},
                       notes=("change = index - previous wave's index; p-value: permutation test.",))


def _wave_table(waves: Mapping[Any, Any], rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=_TREND_COLUMNS)
    labels = list(waves)
    table["wave"] = pd.Categorical(table["wave"], categories=labels, ordered=True)
    table["n"] = table["n"].astype(np.int64)
    return table


def _trend_simple(waves: Mapping[Any, Any], *, items: Any, weights: Any, confidence: float, n_resamples: int,
                  n_permutations: int, rng: np.random.Generator, scale: Any) -> tuple[pd.DataFrame, dict[Any, Any]]:
    from .scoring.simple import simple_scores

    (comps, constructs), used, loaded = _wave_composites(waves, items, weights, scale)
    results = {label: simple_scores(data, used, weights=weights, confidence=confidence, scale=scale)
               for label, data in loaded.items()}
    labels = list(waves)
    pairs = list(zip(labels[:-1], labels[1:]))
    diffs = (_compare_pairs(comps, constructs, pairs, n_resamples=n_resamples, n_permutations=n_permutations,
                            confidence=confidence, rng=rng).set_index(["group_b", "construct"])
             if pairs else None)
    rows = []
    for label in labels:
        cons = results[label].constructs.set_index("construct")
        for c in constructs:
            if c not in cons.index:
                raise SurveyDataError(f"Wave {label!r} groups the items differently: it has no construct {c!r}. "
                                      "Give every wave the same codebook.")
            row = {"wave": label, "construct": c, "n": int(cons.at[c, "n"]), "index": float(cons.at[c, "score"]),
                   "ci_lower": float(cons.at[c, "ci_lower"]), "ci_upper": float(cons.at[c, "ci_upper"]),
                   "change": np.nan, "change_ci_lower": np.nan, "change_ci_upper": np.nan, "p_value": np.nan}
            if label != labels[0]:
                d = diffs.loc[(label, c)]
                row.update(change=float(d["difference"]), change_ci_lower=float(d["ci_lower"]),
                           change_ci_upper=float(d["ci_upper"]), p_value=float(d["p_value"]))
            rows.append(row)
    return _wave_table(waves, rows), results


def _pooled_waves(a: Any, b: Any, items: list[str], weights: Any) -> pd.DataFrame:
    """Model items of two waves stacked, with ``__wave__`` (0/1) and ``__weight__`` columns."""
    from .survey import Survey

    frames = []
    for k, data in enumerate((a, b)):
        frame = _frame_of(data)
        part = frame[items].reset_index(drop=True).copy()
        part["__wave__"] = k
        if weights is False:
            w = np.ones(len(part))
        elif isinstance(weights, str):
            w = pd.to_numeric(frame[weights], errors="coerce").to_numpy(dtype=np.float64)
        elif isinstance(data, Survey) and data.weights is not None:
            w = data.weights.to_numpy(dtype=np.float64)
        else:
            w = np.ones(len(part))
        part["__weight__"] = w
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def _trend_pls(waves: Mapping[Any, Any], model: Any, *, weights: Any, confidence: float, bootstrap: int,
               n_permutations: int, seed: int, scale: Any, n_jobs: int | None, progress: bool | None,
               options: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[Any, Any]]:
    from scipy import stats as _st

    from .pls import fit_pls
    from .pls.estimate import _resolve_model
    from .survey import Survey

    labels = list(waves)
    first = waves[labels[0]]
    spec = _resolve_model(model, first)
    items = list(spec.items)
    for label, data in waves.items():
        lacking = [i for i in items if i not in _frame_of(data).columns]
        if lacking:
            raise SurveyDataError(f"Wave {label!r} lacks model items {quote_list(lacking)}; every wave needs them.")
    # one scale for every wave, so the 0-100 indices are comparable
    if scale is None:
        if isinstance(first, Survey):
            scale = {i: first.scale(i) for i in items}
        else:
            allx = np.concatenate([_frame_of(d)[items].to_numpy(dtype=np.float64, na_value=np.nan).ravel()
                                   for d in waves.values()])
            scale = (float(np.nanmin(allx)), float(np.nanmax(allx)))
    fit_opts = {k: v for k, v in options.items()}
    results = {}
    for label, data in waves.items():
        w_arg = weights if isinstance(weights, str) else None
        part = data
        if weights is False and isinstance(data, Survey):
            part = data.responses
        results[label] = fit_pls(part, spec, bootstrap=bootstrap, seed=seed, confidence=confidence, n_jobs=n_jobs,
                                 progress=progress, scale=scale, weights=w_arg, **fit_opts)
    z = float(_st.norm.ppf(0.5 + confidence / 2.0))
    mga_opts = {k: options[k] for k in ("scheme", "standardize", "missing", "tol", "max_iter", "convergence")
                if k in options}
    rows = []
    prev_tab = None
    for k, label in enumerate(labels):
        tab = results[label].index.set_index("construct")
        value_col = "index" if "index" in tab.columns else "estimate"
        change = {}
        if k:
            pooled = _pooled_waves(waves[labels[k - 1]], waves[label], items, weights)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # missing-data warnings were issued by the per-wave fits
                out = _run_mga(pooled, spec, "__wave__", groups=(0, 1), n_permutations=n_permutations, seed=seed,
                               n_jobs=n_jobs, progress=progress, alpha=0.05, weights="__weight__",
                               chunk_size=250, min_size=2, where="trend()", scale=scale,
                               **{"scheme": "path", "standardize": True, "missing": "listwise", "tol": 1e-7,
                                  "max_iter": 300, "convergence": "max_abs", **mga_opts})
            obs, perm = out[4], out[5]
            R = perm["index"].shape[0]
            d_obs = obs["index"][0]
            pv = (1.0 + (np.abs(perm["index"]) >= np.abs(d_obs)[None, :] - 1e-12).sum(axis=0)) / (R + 1.0)
            change = {c: (float(d_obs[j]), float(pv[j])) for j, c in enumerate(spec.constructs)}
        for c in spec.constructs:
            est = float(tab.at[c, value_col])
            row = {"wave": label, "construct": c, "n": results[label].n, "index": est,
                   "ci_lower": float(tab.at[c, "ci_lower"]) if "ci_lower" in tab.columns else np.nan,
                   "ci_upper": float(tab.at[c, "ci_upper"]) if "ci_upper" in tab.columns else np.nan,
                   "change": np.nan, "change_ci_lower": np.nan, "change_ci_upper": np.nan, "p_value": np.nan}
            if k:
                # the change is the difference of the two fits' indices; the permutation test's own
                # observed difference equals it with listwise deletion (pooled-mean imputation moves it)
                pv_c = change[c][1]
                d = est - float(prev_tab.at[c, value_col])
                se = float(np.hypot(tab.at[c, "std_error"], prev_tab.at[c, "std_error"]))
                row.update(change=d, change_ci_lower=d - z * se, change_ci_upper=d + z * se, p_value=pv_c)
            rows.append(row)
        prev_tab = tab
    return _wave_table(waves, rows), results


def trend(waves: Mapping[Any, Any], *, method: str = "simple", model: Any = None, items: Any = None,
          weights: Any = None, confidence: float = 0.95, n_resamples: int = 2000, n_permutations: int = 2000,
          bootstrap: int = 500, seed: int | np.random.Generator | None = None,
          scale: tuple[float, float] | None = None, n_jobs: int | None = None, progress: bool | None = None,
          **pls_options: Any) -> TrendResult:
    """0-100 indices across survey waves with the change from wave to wave and its significance.

    Parameters
    ----------
    waves : Mapping
        Wave label -> Survey or DataFrame, in chronological order (e.g.
        ``{"2024": wave1, "2025": wave2}``).
    method : {"simple", "pls"}
        ``"simple"``: simple-method construct scores (:func:`csindex.simple_scores`, t
        interval); the change has a percentile-bootstrap CI (``n_resamples``) and a
        permutation p-value, as in :func:`compare_waves`. ``"pls"``: the ACSI-style PLS
        index of every construct of ``model`` (:func:`csindex.fit_pls` with a
        ``bootstrap``-resample percentile CI); the change has a normal CI from the two
        waves' bootstrap standard errors and a permutation p-value from re-estimating the
        model on the two waves with shuffled wave labels (batched, as in :func:`pls_mga`).
    model : str or ModelSpec
        The PLS model (``method="pls"``), or a template name with Survey waves.
    items : list of str, optional
        Items to score (``method="simple"``; default as in :func:`csindex.simple_scores`).
        Items and constructs are taken from the first wave.
    weights : None, False or str
        Sampling weights (None: each Survey's own; False: none; a column name).
    confidence : float
        CI level (default 0.95).
    n_resamples : int
        Bootstrap resamples for the CI of a change (``method="simple"``).
    n_permutations : int
        Permutations for the p-value of a change (default 2,000).
    bootstrap : int
        Bootstrap resamples of each PLS fit (``method="pls"``, default 500).
    seed : int, numpy.random.Generator or None
        Random seed (resolved seed in ``settings["seed"]``).
    scale : (min, max), optional
        Item scale when it is not in a Survey codebook.
    n_jobs, progress
        Parallel workers and progress bars of the PLS bootstraps and permutations.
    **pls_options
        Passed to :func:`csindex.fit_pls` (``scheme``, ``standardize``, ``missing``, ...).

    Returns
    -------
    TrendResult

    Examples
    --------
    >>> import csindex
    >>> t = trend({"2024": csindex.datasets.airline(), "2025": csindex.datasets.airline_wave2()},
    ...           items=["PUNC1", "PUNC2", "PUNC3", "SAT1", "SAT2", "SAT3"], n_resamples=300,
    ...           n_permutations=300, seed=1)
    >>> t.table[["wave", "construct", "change"]].round(1)
       wave construct  change
    0  2024      PUNC     NaN
    1  2024       SAT     NaN
    2  2024   overall     NaN
    3  2025      PUNC     7.7
    4  2025       SAT     2.0
    5  2025   overall     4.9
    """
    from ._validation import check_option

    where = "trend()"
    check_option("method", method, ("simple", "pls"), where)
    if not isinstance(waves, Mapping) or not waves:
        raise SurveyDataError("trend() needs a mapping wave label -> Survey or DataFrame, e.g. "
                              "{'2024': wave1, '2025': wave2}, with at least one wave.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence!r}.")
    n_permutations = _check_count(n_permutations, "n_permutations", where)
    seed_used = _resolve_int_seed(seed)
    settings: dict[str, Any] = {"method": method, "confidence": confidence, "n_permutations": n_permutations,
                                "seed": seed_used}
    if method == "simple":
        if pls_options:
            raise TypeError(f"trend(method='simple') got unexpected options {quote_list(list(pls_options))}.")
        n_resamples = _check_count(n_resamples, "n_resamples", where)
        table, results = _trend_simple(waves, items=items, weights=weights, confidence=confidence,
                                       n_resamples=n_resamples, n_permutations=n_permutations,
                                       rng=np.random.default_rng(seed_used), scale=scale)
        settings["n_resamples"] = n_resamples
    else:
        if model is None:
            raise SpecError("trend(method='pls') needs model=: lavaan syntax, a ModelSpec or a template name.")
        bootstrap = _check_count(bootstrap, "bootstrap", where)
        table, results = _trend_pls(waves, model, weights=weights, confidence=confidence, bootstrap=bootstrap,
                                    n_permutations=n_permutations, seed=seed_used, scale=scale, n_jobs=n_jobs,
                                    progress=progress, options=pls_options)
        settings.update(bootstrap=bootstrap, **pls_options)
    return TrendResult(table=table, results=_ReadOnlyDict(results), settings=settings)
