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

from dataclasses import dataclass

import numpy as np

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


def moments(X: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean and population (divisor Σw) covariance of the columns of ``X``."""
    if weights is None:
        mean = X.mean(axis=0)
        Xc = X - mean
        S = Xc.T @ Xc / X.shape[0]
    else:
        w = weights / weights.sum()
        mean = w @ X
        Xc = X - mean
        S = (Xc * w[:, None]).T @ Xc
    S = (S + S.T) / 2.0
    return mean, S


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
    # path weighting (Lohmöller): predecessors by multiple regression, successors by correlation
    E = np.zeros_like(C)
    for j in range(layout.J):
        succ = layout.succs[j]
        if succ:
            E[:, succ, j] = C[:, succ, j]
        pred = layout.preds[j]
        if pred:
            P = list(pred)
            A = C[:, P][:, :, P]
            b = C[:, P, j]
            E[:, P, j] = np.linalg.solve(A, b[..., None])[..., 0]
    return E


def _normalise(w: np.ndarray, S: np.ndarray, layout: Layout) -> np.ndarray:
    Wd = layout.dense(w)
    var = np.einsum("bpj,bpj->bj", Wd, S @ Wd)
    return w / np.sqrt(var)[:, layout.block]


def _update(w: np.ndarray, S: np.ndarray, layout: Layout, scheme: str) -> np.ndarray:
    Wd = layout.dense(w)
    SW = S @ Wd  # (B, p, J) covariance of items with proxies
    C = np.einsum("bpj,bpk->bjk", Wd, SW)  # proxy correlation (diag 1)
    E = _inner_weights(C, layout, scheme)
    G = SW @ E  # covariance of items with inner proxies
    new = G[:, np.arange(layout.p), layout.block]
    if layout.isolated:  # a construct without structural neighbours keeps its weights
        for j in layout.isolated:
            new[:, layout.slices[j]] = w[:, layout.slices[j]]
    for j, sl in enumerate(layout.slices):
        if layout.mode_b[j]:
            Sjj = S[:, sl, sl]
            new[:, sl] = np.linalg.solve(Sjj, new[:, sl][..., None])[..., 0]
    return _normalise(new, S, layout)


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

    Resamples that have converged are frozen; the loop stops when all have converged or
    after ``max_iter`` updates.
    """
    B = S.shape[0]
    sd = np.sqrt(np.einsum("bii->bi", S))
    w = _normalise(np.ones((B, layout.p)), S, layout)
    iterations = np.zeros(B, dtype=np.int64)
    converged = np.zeros(B, dtype=bool)
    change = np.full(B, np.inf)
    active = np.arange(B)
    for _ in range(max_iter):
        if active.size == B:
            Sa, wa, sda = S, w, sd
        else:
            Sa, wa, sda = S[active], w[active], sd[active]
        new = _update(wa, Sa, layout, scheme)
        crit = _criterion(wa, new, sda, rule)
        w[active] = new
        iterations[active] += 1
        change[active] = crit
        done = crit < tol
        converged[active[done]] = True
        active = active[~done]
        if active.size == 0:
            break
    return IterationResult(w, iterations, converged, change)


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
    """Sign fix, loadings, construct correlations, OLS paths, R² and total effects."""
    B = S.shape[0]
    sd = np.sqrt(np.einsum("bii->bi", S))
    Wd = layout.dense(w)
    SW = S @ Wd
    cross = SW / sd[..., None]
    own = cross[:, np.arange(layout.p), layout.block]
    signs = np.ones((B, layout.J))
    if sign_fix:
        onehot = np.zeros((layout.p, layout.J))
        onehot[np.arange(layout.p), layout.block] = 1.0
        pos = np.where(own > 0, 1.0, -1.0) @ onehot  # (#positive - #non-positive) per block
        signs = np.where(pos < 0, -1.0, 1.0)
        w = w * signs[:, layout.block]
        cross = cross * signs[:, None, :]
        own = own * signs[:, layout.block]
        Wd = Wd * signs[:, None, :]
        SW = SW * signs[:, None, :]
    C = np.einsum("bpj,bpk->bjk", Wd, SW)
    J = layout.J
    paths = np.zeros((B, J, J))
    r2 = np.full((B, J), np.nan)
    for j in layout.endogenous:
        P = list(layout.preds[j])
        A = C[:, P][:, :, P]
        c = C[:, P, j]
        b = np.linalg.solve(A, c[..., None])[..., 0]
        paths[:, P, j] = b
        r2[:, j] = np.einsum("bk,bk->b", b, c)
    eye = np.eye(J)
    total = np.linalg.inv(eye - paths) - eye
    return FinalEstimates(w, own, cross, C, paths, r2, total, signs)
