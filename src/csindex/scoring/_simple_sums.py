"""The sums behind :func:`csindex.simple_scores`, accumulated over row blocks.

Every statistic of the simple method -- item and construct means, top-2-box shares and their
standard errors -- comes from weighted moments (:class:`~csindex.scoring._common.Moments`) of
the items and of respondent-level composites built block by block. :class:`SimpleSums`
holds them for one set of rows; it is additive (:meth:`SimpleSums.merge`), so the blocks can
come from memory, from a streaming pass over a Parquet/DuckDB/Dask source, or -- one
accumulator per segment (:class:`csindex._sufficient.SegmentedStates`) -- from the segments of
that pass.
"""

from __future__ import annotations

import numpy as np

from .._validation import quote_list
from ..exceptions import SurveyDataError
from ._common import Moments, group_means, row_chunks, row_mean

__all__ = ["SimpleSums", "construct_groups"]


def construct_groups(constructs_of: list[str]) -> tuple[dict[str, list[int]], np.ndarray]:
    """The items (positions) of each construct in order of appearance, and the ``m x g`` 0/1
    membership matrix."""
    groups: dict[str, list[int]] = {}
    for j, c in enumerate(constructs_of):
        groups.setdefault(c, []).append(j)
    gmat = np.zeros((len(constructs_of), len(groups)))
    for j, js in enumerate(groups.values()):
        gmat[js, j] = 1.0
    return groups, gmat


class SimpleSums:
    """Additive moments of the items, their top-2-box indicators and the construct composites
    (0-100, top-2-box and raw) of a set of respondents.

    ``names`` and ``label`` (a source's description) name the items when :meth:`add` -- the
    streaming pass's entry point, ``(m, n)`` blocks -- meets a value off the scale.
    """

    def __init__(self, lo: np.ndarray, hi: np.ndarray, gmat: np.ndarray, names: list[str] | None = None,
                 label: str = "data") -> None:
        self.lo, self.hi, self.gmat = lo, hi, gmat
        self.names, self.label = names, label
        m, g = gmat.shape
        self.mom_x, self.mom_t = Moments(m), Moments(m)
        self.mom_c, self.mom_ct, self.mom_cr = Moments(g + 1), Moments(g + 1), Moments(g + 1)
        self.n_used = self.n_rows = 0

    def add_rows(self, xb: np.ndarray, wb: np.ndarray) -> None:
        """Add a block of rows ``xb (n, m)`` (NaN = missing) with weights ``wb (n,)``."""
        lo, hi = self.lo, self.hi
        self.n_rows += len(xb)
        valid = ~np.isnan(xb)
        self.n_used += int(valid.any(axis=1).sum())
        with np.errstate(invalid="ignore"):
            top2 = np.where(valid, (xb >= (hi - 1.0)).astype(np.float64), np.nan)
        self.mom_x.add(xb, wb)
        self.mom_t.add(top2, wb)
        counts = np.einsum("ij,jk->ik", valid.astype(np.float64), self.gmat)
        comp = group_means(100.0 * (xb - lo) / (hi - lo), self.gmat, counts)
        comp_top2 = group_means(top2, self.gmat, counts)
        comp_raw = group_means(xb, self.gmat, counts)
        self.mom_c.add(np.column_stack([comp, row_mean(comp)]), wb)
        self.mom_ct.add(np.column_stack([comp_top2, row_mean(comp_top2)]), wb)
        self.mom_cr.add(np.column_stack([comp_raw, row_mean(comp_raw)]), wb)

    def add(self, Xt: np.ndarray, w: np.ndarray | None = None) -> None:
        """Add an ``(m, n)`` block of a streaming pass; values off the scale are an error."""
        if Xt.shape[1] == 0:
            return
        x = Xt.T.astype(np.float64)
        with np.errstate(invalid="ignore"):
            off = ((x < self.lo) | (x > self.hi)).any(axis=0)
        if off.any():
            names = self.names or [str(k) for k in range(x.shape[1])]
            raise SurveyDataError(
                f"Item(s) {quote_list([names[k] for k in np.flatnonzero(off)])} hold values off the scale "
                f"{self.lo[0]:g}-{self.hi[0]:g} in the {self.label}; recode them or give the right scale=.")
        w = np.ones(len(x)) if w is None else w
        for rows in row_chunks(len(x), x.shape[1]):
            self.add_rows(np.ascontiguousarray(x[rows]), w[rows])

    def merge(self, other: SimpleSums) -> SimpleSums:
        """Add another accumulator of the same items (e.g. another Dask partition's)."""
        for name in ("mom_x", "mom_t", "mom_c", "mom_ct", "mom_cr"):
            getattr(self, name).merge(getattr(other, name))
        self.n_used += other.n_used
        self.n_rows += other.n_rows
        return self
