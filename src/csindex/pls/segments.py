"""``fit_pls(..., by=)``: one PLS fit per segment, through :func:`csindex.segments.map_segments`."""

from __future__ import annotations

from typing import Any

__all__ = ["fit_by"]


def _fit_segment(part: Any, *, model: Any, options: dict[str, Any]):
    from .estimate import _fit, _resolve_model

    return _fit(part, _resolve_model(model, part), **options)


def fit_by(data: Any, model: Any, by: Any, options: dict[str, Any]):
    """Fit ``model`` on every segment of ``data`` with the same options (the same seed in
    particular), so each segment's result equals fitting that segment alone.

    Returns a :class:`csindex.segments.SegmentResults` (a mapping segment -> PLSResult).
    Segments run one after the other; a bootstrap inside each keeps ``n_jobs``.
    """
    from ..segments import map_segments

    return map_segments(_fit_segment, data, by, n_jobs=1, progress=False, model=model, options=dict(options))
