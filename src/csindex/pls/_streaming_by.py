"""``fit_pls(source, model, by=...)`` out of core: one pass, one set of sums per segment.

The streaming pass factorises the segment column(s) of every batch and adds each segment's
rows to that segment's sums (:class:`csindex._sufficient.SegmentedStates`; random-group sums
under ``bootstrap``). Each segment is then fit on its sums by the same code as a whole source
(:func:`csindex.pls._streaming.fit_state`), and the result is the object the in-memory
``fit_pls(..., by=...)`` returns: a :class:`~csindex.segments.SegmentResults` in the same
segment order, with the same size rule (:data:`~csindex._segmenting.MIN_SEGMENT_SIZE`), the
same warning for rows without a segment value, errors prefixed by the segment, and the same
``settings``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._segmenting import (
    MIN_SEGMENT_SIZE,
    ReadOnlyDict,
    SegmentResults,
    by_label,
    check_missing_segments,
    key_label,
    order_segments,
)
from .._sufficient import SegmentedStates, Source
from ..exceptions import CsindexError, ParameterError
from ..spec import ModelSpec
from ._algorithm import Layout

__all__ = ["fit_segments"]


def _by_columns(by: Any, src: Source) -> list[str]:
    cols = list(by) if isinstance(by, (list, tuple)) else [by]
    if not cols or not all(isinstance(c, str) for c in cols):
        raise ParameterError(
            f"fit_pls: by= must name a column (or a list of columns) of the {src.label} for an out-of-core fit; "
            f"got {type(by).__name__}. A Series or array of segment values needs the data in memory.")
    src.check_columns(cols, "segment column")
    return cols


def fit_segments(src: Source, by: Any, items: list[str], wcol: str | None, make: Callable[[], Any],
                 spec: ModelSpec, layout: Layout, opts: dict[str, Any], entropy: int | None,
                 model: Any) -> SegmentResults:
    """One pass collecting every segment's sums, then one fit per segment (in segment order)."""
    from ._streaming import fit_state

    names = _by_columns(by, src)
    seg = src.reduce(items, wcol, functools.partial(SegmentedStates, names, make), extra=names)
    check_missing_segments(seg.n_missing, seg.n_total, names, stacklevel=5)
    sizes = {key: int(_total(state).n_total) for key, state in seg.states.items()}
    cats: list[Any] = [None] * len(names)
    if seg.categories is not None:
        cats = [pd.Index(seg.categories)]
        for cat in seg.categories:  # unused categories are empty segments, as in memory
            sizes.setdefault(cat.item() if isinstance(cat, np.generic) else cat, 0)
    order = order_segments(sizes, names, MIN_SEGMENT_SIZE, cats)
    fit_opts = dict(opts, entropy=entropy)
    results = {}
    for key in order:
        label = key_label(names, key)
        try:
            results[key] = fit_state(seg.states[key], spec, layout, src, wcol, fit_opts,
                                     data_label=f"segment {label} of the {src.label}", stacklevel=6)
        except CsindexError as err:  # named by segment, as in memory (csindex._segmenting._run_segment)
            raise type(err)(f"Segment {label}: {err}") from err
    kwargs = {k: v for k, v in opts.items() if k not in ("n_jobs", "progress")}
    kwargs.update(model=model, n_jobs=1, progress=False)
    settings = {"function": "fit_pls", "n_jobs": opts["n_jobs"], "min_size": MIN_SEGMENT_SIZE, **kwargs}
    table = pd.DataFrame({"segment": pd.Series(list(order), dtype=object),
                          "n": np.array([sizes[k] for k in order], dtype=np.int64)})
    return SegmentResults(results=ReadOnlyDict(results), by=by_label(by), sizes=table, settings=settings)


def _total(state: Any) -> Any:
    return state.total() if hasattr(state, "total") else state
