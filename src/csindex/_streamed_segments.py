"""``by=`` on an out-of-core source: the bookkeeping ``fit_pls`` and ``simple_scores`` share.

One streaming pass keeps one state per segment (:class:`csindex._sufficient.SegmentedStates`);
then every segment, in the order and under the size rule of the in-memory ``by=``
(:func:`csindex._segmenting.order_segments`), is finished into a result, and the results are
returned as the same :class:`~csindex._segmenting.SegmentResults`. The engines supply the state
(``make``), its row count (``size_of``) and how to finish it (``finish``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._segmenting import (
    ReadOnlyDict,
    SegmentResults,
    by_label,
    check_missing_segments,
    key_label,
    order_segments,
)
from ._sufficient import SegmentedStates
from .exceptions import CsindexError, ParameterError

__all__ = ["reduce_segments", "collect_segments"]


def reduce_segments(src: Any, by: Any, items: list[str], wcol: str | None, make: Callable[[], Any],
                    size_of: Callable[[Any], int], min_size: int, where: str,
                    stacklevel: int) -> tuple[list[str], Mapping[Any, Any], list[Any], dict[Any, int]]:
    """One pass over ``src`` keeping a ``make()`` state per segment of the columns ``by``:
    -> (segment columns, {segment: state}, segments in order, {segment: rows}). Missing segment
    values warn (``stacklevel`` as the caller's caller sees it), a segment under ``min_size``
    rows (an unused category: 0) is a SurveyDataError, as in memory."""
    cols = list(by) if isinstance(by, (list, tuple)) else [by]
    if not cols or not all(isinstance(c, str) for c in cols):
        raise ParameterError(
            f"{where}: by= must name a column (or a list of columns) of the {src.label} for an out-of-core "
            f"source; got {type(by).__name__}. A Series or array of segment values needs the data in memory.")
    src.check_columns(cols, "segment column")
    seg = src.reduce(items, wcol, functools.partial(SegmentedStates, cols, make), extra=cols)
    check_missing_segments(seg.n_missing, seg.n_total, cols, stacklevel=stacklevel + 1)
    sizes = {key: int(size_of(state)) for key, state in seg.states.items()}
    cats: list[Any] = [None] * len(cols)
    if seg.categories is not None:
        cats = [pd.Index(seg.categories)]
        for cat in seg.categories:  # unused categories are empty segments, as in memory
            sizes.setdefault(cat.item() if isinstance(cat, np.generic) else cat, 0)
    return cols, seg.states, order_segments(sizes, cols, min_size, cats), sizes


def collect_segments(cols: list[str], by: Any, states: Mapping[Any, Any], order: list[Any], sizes: dict[Any, int],
                     finish: Callable[[Any, str], Any], settings: dict[str, Any]) -> SegmentResults:
    """``finish(state, label)`` of every segment in ``order``, an error prefixed with its segment
    (as the in-memory ``by=`` does), returned as :class:`SegmentResults`."""
    results = {}
    for key in order:
        label = key_label(cols, key)
        try:
            results[key] = finish(states[key], label)
        except CsindexError as err:
            raise type(err)(f"Segment {label}: {err}") from err
    table = pd.DataFrame({"segment": pd.Series(list(order), dtype=object),
                          "n": np.array([sizes[k] for k in order], dtype=np.int64)})
    return SegmentResults(results=ReadOnlyDict(results), by=by_label(by), sizes=table, settings=settings)
