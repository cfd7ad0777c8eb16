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

from collections.abc import Callable
from typing import Any

from .._segmenting import MIN_SEGMENT_SIZE, SegmentResults
from .._streamed_segments import collect_segments, reduce_segments
from .._sufficient import Source
from ..spec import ModelSpec
from ._algorithm import Layout

__all__ = ["fit_segments"]


def fit_segments(src: Source, by: Any, items: list[str], wcol: str | None, make: Callable[[], Any],
                 spec: ModelSpec, layout: Layout, opts: dict[str, Any], entropy: int | None,
                 model: Any) -> SegmentResults:
    """One pass collecting every segment's sums, then one fit per segment (in segment order)."""
    from ._streaming import fit_state

    names, states, order, sizes = reduce_segments(src, by, items, wcol, make, lambda state: _total(state).n_total,
                                                  MIN_SEGMENT_SIZE, "fit_pls", stacklevel=5)
    fit_opts = dict(opts, entropy=entropy)

    def finish(state: Any, label: str) -> Any:
        return fit_state(state, spec, layout, src, wcol, fit_opts, data_label=f"segment {label} of the {src.label}",
                         stacklevel=8)

    kwargs = {k: v for k, v in opts.items() if k not in ("n_jobs", "progress")}
    kwargs.update(model=model, n_jobs=1, progress=False)
    settings = {"function": "fit_pls", "n_jobs": opts["n_jobs"], "min_size": MIN_SEGMENT_SIZE, **kwargs}
    return collect_segments(names, by, states, order, sizes, finish, settings)


def _total(state: Any) -> Any:
    return state.total() if hasattr(state, "total") else state
