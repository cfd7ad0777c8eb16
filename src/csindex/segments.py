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
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ._summary import Summary, SummaryMixin
from ._validation import did_you_mean, quote_list
from .exceptions import CsindexError, MissingDataWarning, SurveyDataError

__all__ = [
    "split_segments",
    "map_segments",
    "SegmentResults",
    "segmentable",
    "IndexComparison",
    "compare_segments",
    "compare_waves",
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
            MissingDataWarning, stacklevel=2,
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
    return {key: _subset(data, index[key], _key_label(names, key)) for key in order}


# --------------------------------------------------------------------------- results
def _as_frame(value: Any, attr: str) -> pd.DataFrame | None:
    if isinstance(value, pd.DataFrame):
        return value.reset_index() if not isinstance(value.index, pd.RangeIndex) else value
    if isinstance(value, pd.Series):
        return value.rename(value.name if value.name is not None else attr).reset_index()
    if isinstance(value, (int, float, np.number, bool, str)) and not isinstance(value, bool):
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
def _run_segment(func: Callable[..., Any], key: Any, label: str, part: Any, kwargs: dict[str, Any]) -> Any:
    """Run ``func`` on one segment; csindex errors are re-raised naming the segment."""
    try:
        return func(part, **kwargs)
    except CsindexError as err:
        try:
            new = type(err)(f"Segment {label}: {err}")
        except Exception:  # pragma: no cover - exotic constructor
            raise err from None
        raise new from err


def _segment_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """A fresh copy of a Generator seed per segment: each segment starts from the caller's state."""
    return {k: copy.deepcopy(v) if isinstance(v, np.random.Generator) else v for k, v in kwargs.items()}


def _show_progress(progress: bool | None, n: int) -> bool:
    if progress is None:
        return n >= 20 and bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


def map_segments(func: Callable[..., Any], data: Any, by: Any, *, n_jobs: int | None = 1,
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
        joblib workers (``-1`` = all cores). The active joblib backend is used, so
        ``with joblib.parallel_backend("dask"):`` runs the segments on a Dask cluster.
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
    tasks = (joblib.delayed(_run_segment)(func, k, labels[k], p, _segment_kwargs(kwargs)) for k, p in parts.items())
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
    return SegmentResults(results=MappingProxyType(results), by=names, sizes=sizes, settings=settings)


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
            return func(data, *args, **kwargs)
        if args:
            names = list(params)[1:1 + len(args)]
            kwargs.update(dict(zip(names, args)))
        jobs = kwargs.pop("n_jobs", 1)
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
    table, _ = _wave_composites({labels[0]: wave_a, labels[1]: wave_b}, items, weights, scale)
    comps, constructs = table
    out = _compare_pairs(comps, constructs, [(labels[0], labels[1])], n_resamples=n_resamples,
                         n_permutations=n_permutations, confidence=confidence, rng=rng)
    settings = {"by": "wave", "n_resamples": n_resamples, "n_permutations": n_permutations,
                "confidence": confidence, "seed": seed_used,
                "weighted": any(not np.all(w == 1.0) for _, w in comps.values())}
    return IndexComparison(differences=out, settings=settings)


def _wave_composites(waves: Mapping[Any, Any], items: Any, weights: Any, scale: Any) -> tuple[Any, list[str]]:
    """Composites of every wave on the items (and constructs) of the first wave."""
    from .scoring.simple import _resolve

    comps: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
    first = next(iter(waves))
    _, _, construct_of, _ = _resolve(waves[first], items, weights, scale)
    used = list(construct_of)
    constructs: list[str] = []
    for label, data in waves.items():
        cols = _frame_of(data if not isinstance(data, pd.DataFrame) else data).columns
        lacking = [i for i in used if i not in cols]
        if lacking:
            raise SurveyDataError(
                f"Wave {label!r} lacks items {quote_list(lacking)} that wave {first!r} has; waves are compared on "
                "the same items. Pass items= with the items every wave has."
            )
        c, w, constructs, _ = _composites(data, used, weights, scale, construct_of=construct_of)
        comps[label] = (c, w)
    return (comps, constructs), used
