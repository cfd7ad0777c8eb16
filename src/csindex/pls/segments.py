"""``fit_pls(..., by=)``: one PLS fit per segment, through the one ``by=`` plumbing.

The segments run through :func:`csindex._segmenting.run_by`, the implementation behind every
``by=`` (the :func:`~csindex._segmenting.segmentable` decorator uses it too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._segmenting import SegmentResults, run_by

__all__ = ["fit_by"]


def fit_by(fit: Callable[..., Any], data: Any, model: Any, by: Any, options: Mapping[str, Any]) -> SegmentResults:
    """Fit ``model`` on every segment of ``data`` with the same options (the same seed in
    particular), so each segment's result equals fitting that segment alone.

    ``fit`` is :func:`csindex.fit_pls` itself (run per segment without ``by``). Returns a
    :class:`csindex.segments.SegmentResults` (a mapping segment -> PLSResult). ``n_jobs``
    parallelises the segments (the faster split: 1.5x vs 1.0x for the bootstraps alone in
    ``benchmarks/bench_segments.py``); each segment's bootstrap then runs in one job, which
    gives the same numbers because the resample streams do not depend on ``n_jobs``.
    """
    return run_by(fit, data, by, (model,), options, name="fit_pls")
