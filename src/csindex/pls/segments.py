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
    ``n_jobs`` parallelises the segments (the faster split: 1.5x vs 1.0x for the bootstraps alone
    in ``benchmarks/bench_segments.py``); each segment's bootstrap then runs in one job, which
    gives the same numbers because the resample streams do not depend on ``n_jobs``.
    """
    from ..segments import map_segments

    inner = dict(options)
    jobs = inner.get("n_jobs", 1)
    inner["n_jobs"] = 1
    progress = inner.pop("progress", None)
    inner["progress"] = False
    return map_segments(_fit_segment, data, by, n_jobs=jobs, progress=progress, model=model, options=inner)
