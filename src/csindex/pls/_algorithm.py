"""Batched Wold/Lohmöller PLS-PM iteration on stacked covariance matrices.

Every step of the PLS-PM iteration for Mode A and Mode B blocks depends on the data only
through the item covariance matrix ``S`` (Lohmöller 1989, ch. 2; Tenenhaus et al. 2005,
CSDA 48:159-205, §2):

* construct (outer proxy) covariance ``C = W' S W`` (weights normalised so ``diag C = 1``);
* inner weights ``E`` from ``C`` (centroid: ``sign C``, factorial: ``C``, path: regression
  coefficients on predecessors and correlations with successors);
* covariance of the items with the inner proxies ``Z = Y E``: ``S W E``;
* Mode A: ``w_j = cov(X_j, Z_j)``; Mode B: ``w_j = S_jj⁻¹ cov(X_j, Z_j)``;
* rescale ``w_j`` so that ``w_j' S_jj w_j = 1``.

So the iteration runs on ``(B, p, p)`` stacks: ``B = 1`` for one fit and ``B`` resamples for
a bootstrap, all in the same numpy calls. Nothing here depends on the number of respondents.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np

from .._sufficient import one_blas_thread
from ..spec import ModelSpec

__all__ = ["Layout", "IterationResult", "FinalEstimates", "moments", "wold", "finalize"]


@dataclass(frozen=True)
class Layout:
    """Index bookkeeping for one model: items ordered block by block."""

    constructs: tuple[str, ...]
    items: tuple[str, ...]
    block: np.ndarray  # (p,) construct index of each item
    slices: tuple[slice, ...]  # item range of each construct
    mode_b: tuple[bool, ...]  # construct is Mode B
    path: np.ndarray  # (J, J) bool, path[s, t] = s -> t
    preds: tuple[tuple[int, ...], ...]
    succs: tuple[tuple[int, ...], ...]
    endogenous: tuple[int, ...]
    isolated: tuple[int, ...] = ()
    onehot: np.ndarray = None  # (p, J) item-to-construct indicator matrix
    # all structural regressions as one block-diagonal system: entry k regresses reg_tgt[k]
    # on predecessor reg_pred[k]; reg_mask[k, l] when k and l belong to the same regression
    starts: np.ndarray = None  # first item of each block (items of a block are contiguous)
    item_idx: np.ndarray = None  # arange(p)
    mode_b_slices: tuple[slice, ...] = ()  # Mode B blocks that have structural neighbours
    reg_pred: np.ndarray = None
    reg_tgt: np.ndarray = None
    reg_mask: np.ndarray = None

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> Layout:
        constructs = spec.constructs
        pos = {c: k for k, c in enumerate(constructs)}
        items: list[str] = []
        block: list[int] = []
        slices: list[slice] = []
        for k, b in enumerate(spec.blocks):
            slices.append(slice(len(items), len(items) + len(b.items)))
            items.extend(b.items)
            block.extend([k] * len(b.items))
        J = len(constructs)
        path = np.zeros((J, J), dtype=bool)
        for s, t in spec.paths:
            path[pos[s], pos[t]] = True
        preds = tuple(tuple(int(i) for i in np.flatnonzero(path[:, j])) for j in range(J))
        succs = tuple(tuple(int(i) for i in np.flatnonzero(path[j, :])) for j in range(J))
        return cls(
            constructs=tuple(constructs),
            items=tuple(items),
            block=np.asarray(block, dtype=np.intp),
            slices=tuple(slices),
            mode_b=tuple(b.mode.pls_mode == "B" for b in spec.blocks),
            path=path,
            preds=preds,
            succs=succs,
            endogenous=tuple(j for j in range(J) if preds[j]),
            isolated=tuple(j for j in range(J) if not preds[j] and not succs[j]),
            onehot=np.eye(J)[np.asarray(block, dtype=np.intp)] if block else np.zeros((0, J)),
            starts=np.asarray([sl.start for sl in slices], dtype=np.intp),
            item_idx=np.arange(len(items)),
            mode_b_slices=tuple(slices[j] for j, b in enumerate(spec.blocks)
                                if b.mode.pls_mode == "B" and (preds[j] or succs[j])),
            reg_pred=np.asarray([k for j in range(J) for k in preds[j]], dtype=np.intp),
            reg_tgt=np.asarray([j for j in range(J) for _ in preds[j]], dtype=np.intp),
            reg_mask=_same_group([j for j in range(J) for _ in preds[j]]),
        )

    @property
    def p(self) -> int:
        return len(self.items)

    @property
    def J(self) -> int:
        return len(self.constructs)

    def dense(self, w: np.ndarray) -> np.ndarray:
        """Block-diagonal ``(B, p, J)`` weight matrix from flat ``(B, p)`` weights."""
        out = np.zeros(w.shape + (self.J,), dtype=w.dtype)
        out[:, np.arange(self.p), self.block] = w
        return out


def _same_group(groups: list[int]) -> np.ndarray:
    g = np.asarray(groups)
    return g[:, None] == g[None, :]


def regressions(C: np.ndarray, layout: Layout) -> np.ndarray:
    """OLS coefficients of every endogenous construct on its predecessors, from the
    ``(B, J, J)`` correlations, in one batched solve: ``(B, K)`` ordered as ``reg_pred``."""
    P, T = layout.reg_pred, layout.reg_tgt
    A = C[:, P[:, None], P[None, :]] * layout.reg_mask
    return np.linalg.solve(A, C[:, P, T][..., None])[..., 0]


def moments(X: np.ndarray, weights: np.ndarray | None = None,
            chunk: int = 16_384) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean and population (divisor Σw) covariance of the columns of ``X``.

    Rows are processed in chunks about a provisional centre (the mean of the first
    chunk), so memory stays bounded and the cross-product needs no full centred copy.
    Large inputs hold BLAS to one thread (:func:`csindex._sufficient.one_blas_thread`).
    """
    n = X.shape[0]
    wsum = float(n) if weights is None else float(weights.sum())
    head = X[:chunk]
    c = head.mean(axis=0) if weights is None else (weights[:chunk] @ head) / max(weights[:chunk].sum(), 1e-300)
    p = X.shape[1]
    M = np.zeros((p, p))
    d = np.zeros(p)
    with one_blas_thread() if n * p >= 1_000_000 else nullcontext():
        _moment_chunks(X, weights, c, chunk, M, d)
    d /= wsum
    S = M / wsum - np.outer(d, d)
    S = (S + S.T) / 2.0
    return c + d, S


def _moment_chunks(X: np.ndarray, weights: np.ndarray | None, c: np.ndarray, chunk: int, M: np.ndarray,
                   d: np.ndarray) -> None:
    """Add the centred sums and cross-products of ``X``'s row chunks into ``M`` and ``d``."""
    n = X.shape[0]
    for start in range(0, n, chunk):
        Z = X[start:start + chunk] - c
        if weights is None:
            d += Z.sum(axis=0)
            M += Z.T @ Z
        else:
            wz = Z * weights[start:start + chunk, None]
            d += wz.sum(axis=0)
            M += wz.T @ Z


@dataclass(frozen=True)
class IterationResult:
    weights: np.ndarray  # (B, p), var(X_j w_j) = 1 on the working scale
    iterations: np.ndarray  # (B,) int
    converged: np.ndarray  # (B,) bool
    final_change: np.ndarray  # (B,) the last value of the stopping criterion


def _inner_weights(C: np.ndarray, layout: Layout, scheme: str) -> np.ndarray:
    """Inner weights ``E[k, j]``: the weight of proxy ``k`` in the inner proxy of ``j``."""
    adj = layout.path | layout.path.T
    if scheme == "centroid":
        return np.sign(C) * adj
    if scheme == "factorial":
        return C * adj
    # path weighting (Lohmöller): successors by correlation, predecessors by multiple regression
    E = C * layout.path.T
    if layout.reg_pred.size:
        E[:, layout.reg_pred, layout.reg_tgt] = regressions(C, layout)
    return E


def _block_products(S: np.ndarray, w: np.ndarray, layout: Layout) -> np.ndarray:
    """``S @ Wd`` for block-diagonal weights, as one batched product: ``(B, p, J)``."""
    return np.matmul(S * w[:, None, :], layout.onehot)


def _own(M: np.ndarray, layout: Layout) -> np.ndarray:
    """``M[b, i, block(i)]`` for a ``(B, p, J)`` array."""
    return M[:, layout.item_idx, layout.block]


def _block_sum(v: np.ndarray, layout: Layout) -> np.ndarray:
    """Sum a ``(B, p)`` array within blocks: ``(B, J)``."""
    return np.add.reduceat(v, layout.starts, axis=1)


def _normalised(w: np.ndarray, S: np.ndarray, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Weights rescaled to unit proxy variance, with their ``S @ Wd``."""
    SW = _block_products(S, w, layout)
    var = _block_sum(w * _own(SW, layout), layout)
    scale = 1.0 / np.sqrt(var)
    return w * scale[:, layout.block], SW * scale[:, None, :]


def _proxy_cor(w: np.ndarray, SW: np.ndarray, layout: Layout) -> np.ndarray:
    """``Wd' S Wd`` from ``SW = S Wd``: ``(B, J, J)``."""
    return np.add.reduceat(w[:, :, None] * SW, layout.starts, axis=1)


def _update(w: np.ndarray, SW: np.ndarray, S: np.ndarray, layout: Layout,
            scheme: str) -> tuple[np.ndarray, np.ndarray]:
    C = _proxy_cor(w, SW, layout)  # proxy correlations (unit diagonal)
    E = _inner_weights(C, layout, scheme)
    # covariance of each item with its own block's inner proxy: sum_k SW[i, k] E[k, block(i)]
    new = np.einsum("bik,bki->bi", SW, E[:, :, layout.block])
    for j in layout.isolated:  # a construct without structural neighbours keeps its weights
        new[:, layout.slices[j]] = w[:, layout.slices[j]]
    for sl in layout.mode_b_slices:
        new[:, sl] = np.linalg.solve(S[:, sl, sl], new[:, sl][..., None])[..., 0]
    return _normalised(new, S, layout)


def _criterion(old: np.ndarray, new: np.ndarray, sd: np.ndarray, rule: str) -> np.ndarray:
    """Stopping criterion per resample, on weights expressed in standardised item units."""
    d = np.abs(new * sd) - np.abs(old * sd)
    if rule == "max_abs":
        return np.abs(d).max(axis=1)
    if rule == "sum_abs":
        return np.abs(d).sum(axis=1)
    return (d * d).sum(axis=1)  # "sum_squared"


def wold(
    S: np.ndarray,
    layout: Layout,
    *,
    scheme: str = "path",
    tol: float = 1e-7,
    max_iter: int = 300,
    rule: str = "max_abs",
) -> IterationResult:
    """Run the iteration on a ``(B, p, p)`` stack of covariance matrices.

    Starts from unit weights (as R plspm). Resamples that have converged are frozen
    (removed from the working stack); the loop stops when all have converged or after
    ``max_iter`` updates.
    """
    B = S.shape[0]
    sd_all = np.sqrt(np.einsum("bii->bi", S))
    w_out = np.empty((B, layout.p))
    iterations = np.zeros(B, dtype=np.int64)
    converged = np.zeros(B, dtype=bool)
    change = np.full(B, np.inf)
    ids = np.arange(B)
    Sa, sd = S, sd_all
    w, SW = _normalised(np.ones((B, layout.p)), S, layout)
    for it in range(1, max_iter + 1):
        new, SW_new = _update(w, SW, Sa, layout, scheme)
        crit = _criterion(w, new, sd, rule)
        done = crit < tol
        w, SW = new, SW_new
        iterations[ids] = it
        change[ids] = crit
        if done.any():
            w_out[ids[done]] = w[done]
            converged[ids[done]] = True
            keep = ~done
            if not keep.any():
                ids = ids[keep]
                break
            ids, w, SW, Sa, sd = ids[keep], w[keep], SW[keep], Sa[keep], sd[keep]
    if ids.size:
        w_out[ids] = w
    return IterationResult(w_out, iterations, converged, change)


@dataclass(frozen=True)
class FinalEstimates:
    """Everything that follows from converged weights and ``S`` (all batched)."""

    weights: np.ndarray  # (B, p) working-scale weights, sign fixed
    loadings: np.ndarray  # (B, p) cor(x_i, Y_own)
    cross_loadings: np.ndarray  # (B, p, J) cor(x_i, Y_k)
    construct_cor: np.ndarray  # (B, J, J)
    paths: np.ndarray  # (B, J, J) coefficient of s in the regression of t, at [s, t]
    r_squared: np.ndarray  # (B, J) NaN for exogenous
    total: np.ndarray  # (B, J, J) total effects [s, t]
    signs: np.ndarray  # (B, J) +1 / -1 applied to each block


def finalize(w: np.ndarray, S: np.ndarray, layout: Layout, *, sign_fix: bool = True) -> FinalEstimates:
    """Sign fix, loadings, construct correlations, OLS paths, R² and total effects.

    Sign fix: a block whose loadings are mostly negative (more non-positive than
    positive) has its weights flipped, so most loadings of every block are positive.
    """
    B = S.shape[0]
    sd = np.sqrt(np.einsum("bii->bi", S))
    SW = _block_products(S, w, layout)
    cross = SW / sd[..., None]
    own = _own(cross, layout)
    signs = np.ones((B, layout.J))
    if sign_fix:
        pos = _block_sum(np.where(own > 0, 1.0, -1.0), layout)  # (#positive - #non-positive) per block
        signs = np.where(pos < 0, -1.0, 1.0)
        if (signs < 0).any():
            w = w * signs[:, layout.block]
            cross = cross * signs[:, None, :]
            own = own * signs[:, layout.block]
            SW = SW * signs[:, None, :]
    C = _proxy_cor(w, SW, layout)
    return _structural(w, own, cross, C, signs, layout)


def _structural(w, own, cross, C, signs, layout: Layout) -> FinalEstimates:
    """OLS paths, R² and total effects from construct correlations ``C``."""
    B, J = C.shape[0], layout.J
    paths = np.zeros((B, J, J))
    r2 = np.full((B, J), np.nan)
    if layout.reg_pred.size:
        b = regressions(C, layout)
        paths[:, layout.reg_pred, layout.reg_tgt] = b
        contrib = b * C[:, layout.reg_pred, layout.reg_tgt]
        r2[:, list(layout.endogenous)] = 0.0
        np.add.at(r2, (slice(None), layout.reg_tgt), contrib)
    eye = np.eye(J)
    total = np.linalg.inv(eye - paths) - eye
    return FinalEstimates(w, own, cross, C, paths, r2, total, signs)


def consistent(fe: FinalEstimates, S: np.ndarray, layout: Layout) -> tuple[FinalEstimates, np.ndarray]:
    """Consistent PLS (PLSc; Dijkstra & Henseler 2015, MIS Quarterly 39(2)).

    For each Mode A block with two or more items, with weights ``w`` in standardised units
    and item correlations ``R``: ``c² = w'(R - diag R)w / w'(ww' - diag ww')w``,
    ``rho_A = (w'w)² c²``, consistent loadings ``c·w``. Construct correlations are
    disattenuated, ``r_ij / sqrt(rho_A,i rho_A,j)`` (1 for single items and Mode B blocks),
    and the paths, R² and total effects are re-estimated from them.

    Returns the corrected estimates and ``rho_A`` ``(B, J)``.
    """
    sd = np.sqrt(np.einsum("bii->bi", S))
    R = S / (sd[:, :, None] * sd[:, None, :])
    w = fe.weights * sd  # standardised units
    B, J = w.shape[0], layout.J
    rho = np.ones((B, J))
    own = fe.loadings.copy()
    for j, sl in enumerate(layout.slices):
        if layout.mode_b[j] or sl.stop - sl.start < 2:
            continue
        wj = w[:, sl]
        Rj = R[:, sl, sl]
        off = Rj - np.einsum("bii->bi", Rj)[:, :, None] * np.eye(sl.stop - sl.start)
        num = np.einsum("bi,bij,bj->b", wj, off, wj)
        ww = (wj * wj).sum(axis=1)
        den = ww ** 2 - (wj ** 4).sum(axis=1)
        c2 = num / den
        rho[:, j] = ww ** 2 * c2
        own[:, sl] = np.sqrt(np.abs(c2))[:, None] * wj
    q = np.sqrt(np.abs(rho))
    C = fe.construct_cor / (q[:, :, None] * q[:, None, :])
    C[:, np.arange(J), np.arange(J)] = 1.0
    return _structural(fe.weights, own, fe.cross_loadings, C, fe.signs, layout), rho
