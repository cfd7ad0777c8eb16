"""``missing="em"`` out of core: the EM estimates from per-pattern sums of one streaming pass.

EM for incomplete normal data (:mod:`csindex._em`) sees the respondents of a missing-data
pattern only through that pattern's weighted count ``a``, sum ``s = Σ w x⁰`` and
cross-product ``Q = Σ w x⁰x⁰'`` (``x⁰``: the answers with missing cells set to 0): the
E-step's expected completed-data sums are ``a d + R s``, ``d s' + R Q`` and
``a (dd' + C) + d(Rs)' + (Rs)d' + R Q R'`` per pattern. Those sums are additive over
respondents, so one streaming pass collects them (:class:`PatternSums`, one ``p x p`` matrix
per pattern seen), and no further pass is needed: every EM iteration works on them.

To run the in-memory EM itself (the same E-step code, the same start, stopping rule and
checks), each pattern is handed to it as a few weighted *pseudo-respondents* with exactly
that pattern's ``(a, s, Q)``: the pattern mean ``ȳ = s/a`` plus and minus
``sqrt(r λ_j) u_j`` for the ``r`` eigenpairs of the pattern's covariance ``Q/a - ȳȳ'`` on
its observed items, each with weight ``a / 2r``. Their count, sum and cross-product are the
pattern's, so EM gives the same estimates (to rounding) as on the rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._sufficient import random_groups
from .._validation import quote_list
from ..exceptions import SurveyDataError
from ._missing import EMFit, report_em, run_em

__all__ = ["PatternSums", "GroupedPatternSums", "em_moments"]

_EIG_TOL = 1e-12  # eigenvalues below this share of a pattern's largest one are rounding noise


class PatternSums:
    """Per missing-data pattern: weighted count, sum and cross-product of ``x - shift`` (missing
    cells 0), plus the counts the missing-data report needs (additive; merged across Dask
    partitions)."""

    policy = "em"

    def __init__(self, shift: np.ndarray) -> None:
        self.shift = np.asarray(shift, dtype=np.float64)
        p = self.p = len(self.shift)
        self.patterns: dict[bytes, list[Any]] = {}  # key -> [observed (p,), a, s (p,), Q (p, p)]
        self.n_total = self.rows_affected = self.n_none = 0
        self.miss = np.zeros(p, dtype=np.int64)
        self.lo = np.full(p, np.inf)
        self.hi = np.full(p, -np.inf)
        self.has_inf = np.zeros(p, dtype=bool)

    @property
    def n_used(self) -> int:
        """Respondents with at least one answer (EM uses them all)."""
        return self.n_total - self.n_none

    @property
    def sw(self) -> float:
        return float(sum(v[1] for v in self.patterns.values()))

    def add(self, Xt: np.ndarray, w: np.ndarray | None = None) -> None:
        X = np.ascontiguousarray(Xt.T, dtype=np.float64)
        n = X.shape[0]
        if n == 0:
            return
        nan = np.isnan(X)
        self.has_inf |= np.isinf(X).any(axis=0)
        self.n_total += n
        self.rows_affected += int(nan.any(axis=1).sum())
        self.miss += nan.sum(axis=0)
        self.lo = np.fmin(self.lo, np.where(nan, np.inf, X).min(axis=0))
        self.hi = np.fmax(self.hi, np.where(nan, -np.inf, X).max(axis=0))
        keep = ~nan.all(axis=1)
        self.n_none += int(n - keep.sum())
        X, nan = X[keep], nan[keep]
        wv = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=np.float64)[keep]
        Z = np.where(nan, 0.0, X - self.shift)
        keys = np.packbits(~nan, axis=1)
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        order = np.argsort(inv, kind="stable")
        cuts = np.searchsorted(inv[order], np.arange(len(uniq) + 1))
        for g in range(len(uniq)):
            rows = order[cuts[g]:cuts[g + 1]]
            Zg, wg = Z[rows], wv[rows]
            entry = self.patterns.get(uniq[g].tobytes())
            if entry is None:
                entry = self.patterns[uniq[g].tobytes()] = [~nan[rows[0]], 0.0, np.zeros(self.p),
                                                            np.zeros((self.p, self.p))]
            entry[1] += float(wg.sum())
            entry[2] += wg @ Zg
            entry[3] += (Zg.T * wg) @ Zg

    def merge(self, other: PatternSums) -> PatternSums:
        for key, (obs, a, s, Q) in other.patterns.items():
            mine = self.patterns.get(key)
            if mine is None:
                self.patterns[key] = [obs, a, s.copy(), Q.copy()]
            else:
                mine[1] += a
                mine[2] += s
                mine[3] += Q
        for name in ("n_total", "rows_affected", "n_none", "miss"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.lo, self.hi = np.fmin(self.lo, other.lo), np.fmax(self.hi, other.hi)
        self.has_inf |= other.has_inf
        return self

    def pseudo_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Weighted pseudo-respondents (NaN = missing) with each pattern's count, sums and
        cross-products (see the module docstring)."""
        rows, weights = [], []
        for obs, a, s, Q in (self.patterns[k] for k in sorted(self.patterns)):
            if not a > 0:
                continue
            ybar = s / a
            o = np.flatnonzero(obs)
            C = Q[np.ix_(o, o)] / a - np.outer(ybar[o], ybar[o])
            lam, U = np.linalg.eigh((C + C.T) / 2.0)
            big = lam > _EIG_TOL * max(float(lam.max()), 0.0) if lam.size else np.zeros(0, dtype=bool)
            lam, U = lam[big], U[:, big]
            r = int(lam.size)
            Y = np.repeat(ybar[None], max(1, 2 * r), axis=0)
            if r:
                step = (np.sqrt(r * lam)[None, :] * U).T  # (r, |o|)
                Y[:r, o] += step
                Y[r:, o] -= step
            Y[:, ~obs] = np.nan
            rows.append(Y + self.shift)
            weights.append(np.full(Y.shape[0], a / Y.shape[0]))
        return np.concatenate(rows), np.concatenate(weights)

    def complete_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance when no answer is missing (one pattern: every item observed)."""
        (_, a, s, Q), = self.patterns.values()
        d = s / a
        S = Q / a - np.outer(d, d)
        return self.shift + d, (S + S.T) / 2.0


class GroupedPatternSums:
    """:class:`PatternSums` of ``groups`` random groups of the rows
    (:func:`csindex._sufficient.random_groups`), for the random-group bootstrap under
    ``missing="em"``: one set of pattern sums per group × pattern seen in it.

    Memory: one ``p x p`` matrix per non-empty (group, pattern) cell -- at most ``groups``
    times the patterns, and never more cells than rows with answers (a rare pattern lives in
    the few groups its respondents fell into). A resample re-weights the groups; EM then runs
    on its combined pattern sums (:func:`csindex.pls._group_bootstrap.run_group_bootstrap`).
    """

    policy = "em"

    def __init__(self, shift: np.ndarray, groups: int, key: int) -> None:
        self.groups, self.key = int(groups), int(key)
        self.parts = [PatternSums(shift) for _ in range(self.groups)]

    def add_part(self, part: Any, Xt: np.ndarray, w: np.ndarray | None, pos: np.ndarray) -> None:
        """Add a ``(p, n)`` block whose rows sit at global positions ``pos``."""
        if Xt.shape[1] == 0:
            return
        g = random_groups(pos, self.groups, self.key)
        order = np.argsort(g, kind="stable")
        cuts = np.searchsorted(g[order], np.arange(self.groups + 1))
        Xs = np.take(Xt, order, axis=1)
        ws = None if w is None else w[order]
        for k in np.flatnonzero(np.diff(cuts)):
            a, b = cuts[k], cuts[k + 1]
            self.parts[k].add(Xs[:, a:b], None if ws is None else ws[a:b])

    def merge(self, other: GroupedPatternSums) -> GroupedPatternSums:
        for mine, theirs in zip(self.parts, other.parts):
            mine.merge(theirs)
        return self

    def total(self) -> PatternSums:
        """The pattern sums of all rows (the sum of the groups)."""
        out = PatternSums(self.parts[0].shift)
        for part in self.parts:
            out.merge(part)
        return out

    def cells(self) -> int:
        """The number of (group, pattern) cells held."""
        return sum(len(part.patterns) for part in self.parts)

    def observed_cells(self) -> int:
        """The observed items summed over the (group, pattern) cells (half the most
        pseudo-respondents they can give)."""
        return int(sum(int(v[0].sum()) for part in self.parts for v in part.patterns.values()))

    def pseudo_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pseudo-respondents of every (group, pattern) cell (:meth:`PatternSums.pseudo_rows`),
        their weights and their group: re-weighting the groups re-weights the cells' sums."""
        rows, weights, group = [], [], []
        for k, part in enumerate(self.parts):
            if any(v[1] > 0 for v in part.patterns.values()):
                X, w = part.pseudo_rows()
                rows.append(X)
                weights.append(w)
                group.append(np.full(X.shape[0], k, dtype=np.int64))
        return np.concatenate(rows), np.concatenate(weights), np.concatenate(group)


def em_moments(state: PatternSums, items: list[str], report: dict[str, Any], worst: list[str],
               stacklevel: int) -> tuple[np.ndarray, np.ndarray, EMFit | None]:
    """EM means and covariance from the pattern sums (with the in-memory checks, counts and
    warnings), or the plain moments when no answer is missing."""
    if not state.rows_affected:
        mean, S = state.complete_moments()
        return mean, S, None
    if state.n_none == state.n_total:
        raise SurveyDataError(f"All {state.n_total} respondents miss every model item; there is nothing to estimate.")
    answered = np.zeros(state.p, dtype=bool)
    for obs, *_ in state.patterns.values():
        answered |= obs
    empty = [items[k] for k in np.flatnonzero(~answered)]
    if empty:
        raise SurveyDataError(f"Item(s) {quote_list(empty)} have no answers at all; drop them from the model.")
    if not state.sw > 0:
        raise SurveyDataError("The sampling weights of the respondents used sum to 0.")
    X, w = state.pseudo_rows()
    fit = run_em(X, w, items)
    cells = int(state.miss.sum()) - state.n_none * state.p
    report_em(report, fit, n_total=state.n_total, n_used=state.n_used, n_none=state.n_none, cells=cells,
              worst=worst, stacklevel=stacklevel)
    return fit.mean, fit.cov, fit
