"""Segments and waves: split a survey by segment, run any analysis per segment, compare.

This module is the public facade of three layers (every name importable from here as before):

* :mod:`csindex._segmenting` -- :func:`split_segments`, :func:`map_segments`,
  :class:`SegmentResults` and the :func:`segmentable` decorator that gives analysis
  functions ``by=``;
* :mod:`csindex.comparisons` -- :func:`compare_segments`, :func:`compare_waves` and
  :func:`trend` (and :func:`csindex.comparisons.compare_indices`), on one kernel with one
  sign convention: ``difference = b - a`` (second minus first, later wave minus earlier);
* :mod:`csindex.pls.mga` -- :func:`micom` and :func:`pls_mga`, beside the PLS engine.

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

from ._segmenting import MIN_SEGMENT_SIZE, SegmentResults, map_segments, segmentable, split_segments  # noqa: F401
from ._results import deprecated_aliases
from .comparisons import SegmentComparisonResult, compare_segments, compare_waves
from .waves import TrendResult, trend
from .pls.mga import MGAResult, MICOMResult, micom, pls_mga

__all__ = [
    "split_segments",
    "map_segments",
    "SegmentResults",
    "segmentable",
    "SegmentComparisonResult",
    "compare_segments",
    "compare_waves",
    "MICOMResult",
    "MGAResult",
    "micom",
    "pls_mga",
    "TrendResult",
    "trend",
]



__getattr__ = deprecated_aliases(__name__, {"IndexComparison": SegmentComparisonResult})
