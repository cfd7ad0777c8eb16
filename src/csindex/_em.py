"""Maximum-likelihood means and covariance of incomplete multivariate-normal data by EM.

The EM algorithm for a multivariate normal sample with missing values (Dempster, Laird &
Rubin 1977; Little & Rubin 2019, *Statistical Analysis with Missing Data*, 3rd ed., §11.2)
works on the sufficient statistics of the completed data. Respondents that miss the same
items share a *missing-data pattern*; given the current ``(mu, S)`` every respondent of a
pattern ``g`` (observed items ``o``, missing items ``m``) has

* ``E[x_m | x_o] = mu_m + S_mo S_oo⁻¹ (x_o - mu_o)``, linear in ``x_o``: ``x̂ = c_g + H_g x⁰``
  with ``x⁰`` the answers with missing cells set to 0;
* ``Cov[x_m | x_o] = S_mm - S_mo S_oo⁻¹ S_om``, the same for all respondents of the pattern.

Both come from the precision ``Λ = S⁻¹``: ``Cov[x_m | x_o] = Λ_mm⁻¹`` and the regression
coefficients are ``-Λ_mm⁻¹ Λ_mo``, so each iteration inverts ``S`` once and, per pattern,
only a ``k × k`` block (``k`` missing items, usually 1-3).

With ``x̂ = d + R x⁰`` on the missing items of a pattern (``R`` zero on its missing
columns), the completed-data sums are ``Σ x̂_o = Σ w x⁰_o`` and, on the missing items,
``Σ x̂_m = a d + R s``, ``Σ x̂_m x⁰' = d s' + R Q`` and ``Σ x̂_m x̂_m' = a dd' + d(Rs)' +
(Rs)d' + R Q R' + a C``, with the pattern's weighted count ``a``, sum ``s = Σ w x⁰`` and
cross-product ``Q = Σ w x⁰x⁰'``. ``R Q`` and ``R Q R'`` are computed as ``Σ w (R x⁰) x⁰'``
over the pattern's respondents: two matrix products per pattern for the whole stack of
resamples (``(B k, p) × (p, n_g)`` and ``(B k, n_g) × (n_g, p)``), so the cost is
proportional to the number of respondents with missing answers, not to ``B × G`` tiny
products. The observed part ``Σ w x⁰x⁰'`` is computed once. The M-step divides by ``Σ w``.

Sampling weights enter as weighted sufficient statistics (a weighted pseudo-likelihood), and
bootstrap resamples as resampling counts times the weights.

Hand-written on numpy: statsmodels and scipy have no EM for incomplete normal data
(``statsmodels.imputation`` does chained-equation multiple imputation, not ML moments).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["EMResult", "Patterns", "conditional_mean", "em_normal", "em_stack", "pattern_stats", "patterns"]

EM_TOL = 1e-9
EM_RESAMPLE_TOL = 1e-7  # bootstrap resamples (warm-started): far below the resampling error
EM_MAX_ITER = 5000
_VIF_SINGULAR = 1e10  # variance inflation 1/(1 - R²) that counts as perfect collinearity
_STACK_BUDGET = 2_000_000  # floats of the working arrays of one stack of resamples


@dataclass(frozen=True)
class Patterns:
    """Missing-data patterns of an ``(n, p)`` array (rows with at least one answer).

    Patterns are binned by their number of missing items ``k``: bin ``(k, ids, mis)`` holds
    the pattern numbers ``ids (G_k,)`` and their missing items ``mis (G_k, k)``."""

    observed: np.ndarray  # (G, p) bool, True where the pattern has an answer
    order: np.ndarray  # (n,) the rows sorted by pattern: X0[r] is row order[r] of the data
    starts: np.ndarray  # (G + 1,) pattern g is X0[starts[g]:starts[g + 1]]
    X0: np.ndarray  # (n, p) answers about ``center``, missing cells 0, rows sorted by pattern
    center: np.ndarray  # (p,) available-case mean, subtracted for numerical accuracy
    bins: tuple[tuple[int, np.ndarray, np.ndarray], ...]  # (k, pattern ids, missing items) for k >= 1

    @property
    def G(self) -> int:
        return self.observed.shape[0]


@dataclass(frozen=True)
class EMResult:
    """EM estimates (population divisor ``Σw``, i.e. maximum likelihood)."""

    mean: np.ndarray  # (B, p)
    cov: np.ndarray  # (B, p, p)
    iterations: np.ndarray  # (B,) int
    converged: np.ndarray  # (B,) bool
    change: np.ndarray  # (B,) last change (max over mean/SD and covariance/(SD SD'))
    singular: np.ndarray  # (B,) stopped: the covariance became singular (perfectly collinear items)
    vif: np.ndarray  # (B, p) variance inflation of each item in the last covariance, 1/(1 - R²)


def patterns(X: np.ndarray, weights: np.ndarray | None = None) -> Patterns:
    """Group the rows of ``X`` (NaN = missing) by missing-data pattern.

    Every row must have at least one answer and every column at least one answer.
    """
    obs = ~np.isnan(X)
    n, p = obs.shape
    if p <= 52:  # a pattern as the bits of one (exactly represented) number: fast to sort
        key = obs.astype(np.float64) @ (2.0 ** np.arange(p))
    else:
        key = np.packbits(obs, axis=1).view(np.dtype((np.void, (p + 7) // 8))).reshape(n)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.r_[0, np.flatnonzero(sorted_key[1:] != sorted_key[:-1]) + 1, n]
    observed = obs[order[starts[:-1]]]
    w = (np.ones(n) if weights is None else weights)[order]
    X0 = np.ascontiguousarray(X[order])
    nan = np.isnan(X0)
    X0[nan] = 0.0
    cnt = w @ ~nan
    center = (w @ X0) / np.where(cnt > 0, cnt, 1.0)
    X0 -= center
    X0[nan] = 0.0
    n_mis = (~observed).sum(axis=1)
    bins = []
    for k in np.unique(n_mis[n_mis > 0]):
        ids = np.flatnonzero(n_mis == k)
        mis = np.nonzero(~observed[ids])[1].reshape(len(ids), int(k))
        bins.append((int(k), ids, mis))
    return Patterns(observed, order, starts, X0, center, tuple(bins))


def pattern_stats(P: Patterns, K: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted count ``a (B, G)`` and sum ``s (B, G, p)`` of the observed answers of each
    pattern, and the cross-product ``Σ w x⁰x⁰' (B, p, p)`` over all respondents, for ``B``
    rows of respondent weights ``K (B, n)`` (sampling weights, or resampling counts times
    them; columns in the data's row order)."""
    return _sorted_stats(P, K[:, P.order])


def _sorted_stats(P: Patterns, Ks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`pattern_stats` for weights whose columns are already sorted by pattern."""
    B = Ks.shape[0]
    n, p = P.X0.shape
    a = np.add.reduceat(Ks, P.starts[:-1], axis=1)
    s = np.empty((B, P.G, p))
    for g in range(P.G):
        rows = slice(P.starts[g], P.starts[g + 1])
        s[:, g] = Ks[:, rows] @ P.X0[rows]
    if B == 1:
        XX = ((P.X0.T * Ks[0]) @ P.X0)[None]
    elif n * p * p <= _STACK_BUDGET * 10:
        XX = (Ks @ (P.X0[:, :, None] * P.X0[:, None, :]).reshape(n, p * p)).reshape(B, p, p)
    else:  # large n: one product per resample of the batch (memory bound by n * p)
        XX = np.stack([(P.X0.T * Kb) @ P.X0 for Kb in Ks])
    return a, s, XX


def _inv(A: np.ndarray) -> np.ndarray:
    """Inverse of a stack of symmetric matrices; the pseudo-inverse if one is singular
    (perfectly collinear items: the conditional expectations stay defined)."""
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(A, hermitian=True)


def _conditional(mu: np.ndarray, Lam: np.ndarray, obs: np.ndarray, mis: np.ndarray):
    """For the patterns of one bin (missing items ``mis (G_k, k)``), from the precision
    ``Lam = S⁻¹``: ``E[x_m | x_o] = d + R x⁰`` and ``Cov[x_m | x_o] = C``, with
    ``C = Lam_mm⁻¹`` and ``R = -Lam_mm⁻¹ Lam_mo`` (partitioned-inverse identities).
    Shapes ``d (B, G_k, k)``, ``R (B, G_k, k, p)`` (zero on missing columns), ``C (B, G_k, k, k)``."""
    Lmm = Lam[:, mis[:, :, None], mis[:, None, :]]  # (B, G_k, k, k)
    Lmo = Lam[:, mis, :] * obs[:, None, :]  # (B, G_k, k, p)
    k = mis.shape[1]
    if k == 1:  # closed forms: LAPACK's per-matrix overhead dominates for tiny blocks
        C = 1.0 / Lmm
        R = -(C * Lmo)
    elif k == 2:
        a_, b_, d_ = Lmm[..., 0, 0], Lmm[..., 0, 1], Lmm[..., 1, 1]
        det = a_ * d_ - b_ * b_
        C = np.stack([np.stack([d_, -b_], -1), np.stack([-b_, a_], -1)], -2) / det[..., None, None]
        R = -(C @ Lmo)
    else:
        C = _inv(Lmm)
        R = -(C @ Lmo)
    d = mu[:, mis] - np.einsum("bgkp,bp->bgk", R, mu)
    return d, R, C


def _pattern_products(R: np.ndarray, P: Patterns, ids: np.ndarray, Ks: np.ndarray):
    """``R Q`` ``(B, G_k, k, p)`` and ``R Q R'`` ``(B, G_k, k, k)`` of the patterns ``ids`` of a
    bin, as ``Σ_i K_bi (R x⁰_i) x⁰_i'`` over each pattern's respondents (two GEMMs each)."""
    B, Gk, k, p = R.shape
    RQ = np.empty_like(R)
    RQR = np.empty((B, Gk, k, k))
    for j, g in enumerate(ids):
        rows = slice(P.starts[g], P.starts[g + 1])
        Xg = P.X0[rows]
        U = (R[:, j].reshape(B * k, p) @ Xg.T).reshape(B, k, -1)  # R x⁰ of each respondent
        UK = U * Ks[:, None, rows]
        RQ[:, j] = (UK.reshape(B * k, -1) @ Xg).reshape(B, k, p)
        RQR[:, j] = np.einsum("bki,bli->bkl", UK, U)
    return RQ, RQR


def _em_iterate(a, s, XX, Ks, P: Patterns, mu, S, tol, max_iter):
    """EM on a stack. Members that have converged are recorded and, once a quarter of the
    stack has, dropped from it. A member whose covariance approaches singularity (an item's
    variance inflation ``Λ_ii S_ii = 1/(1 - R²_i)`` above ``_VIF_SINGULAR``: perfectly
    collinear items, where the precision does not exist) is stopped and flagged.
    Returns mu, S, iterations, converged, change, singular, vif."""
    B, p = mu.shape
    W = a.sum(axis=1)
    base1, base2 = s.sum(axis=1), XX  # observed parts of Σx̂ and Σx̂x̂'
    bins = []
    for _, ids, mis in P.bins:
        onehot = np.eye(p)[mis.reshape(-1)]  # (G_k k, p): scatters the missing items
        Gk, k = mis.shape
        # flat positions in Z (G_k, k, p) of the missing columns: (g k + r) p + mis[g, c]
        flat = ((np.arange(Gk)[:, None, None] * k + np.arange(k)[None, :, None]) * p + mis[:, None, :]).reshape(-1)
        bins.append((ids, mis, P.observed[ids], onehot, flat, a[:, ids], s[:, ids]))
    mu_out, S_out = mu.copy(), S.copy()
    iters = np.zeros(B, dtype=np.int64)
    conv = np.zeros(B, dtype=bool)
    sing = np.zeros(B, dtype=bool)
    vif_out = np.ones((B, p))
    change = np.full(B, np.inf)
    ids_b = np.arange(B)
    for it in range(1, max_iter + 1):
        Lam = _inv(S)
        vif = np.einsum("bii->bi", Lam) * np.einsum("bii->bi", S)
        vif_out[ids_b] = vif
        bad = ~(vif.max(axis=1) < _VIF_SINGULAR) & ~(conv | sing)[ids_b]
        if bad.any():  # keep the last estimates, stop
            mu_out[ids_b[bad]], S_out[ids_b[bad]] = mu[bad], S[bad]
            sing[ids_b[bad]] = True
        T1, T2 = base1.copy(), base2.copy()
        nb = T1.shape[0]
        for ids, mis, obs, onehot, flat, ak, sk in bins:
            d, R, C = _conditional(mu, Lam, obs, mis)
            RQ, RQR = _pattern_products(R, P, ids, Ks)
            Rs = np.einsum("bgkp,bgp->bgk", R, sk)
            xm = ak[..., None] * d + Rs  # Σ x̂_m (B, G_k, k)
            dRs = d[..., None] * Rs[:, :, None, :]
            Mmm = (ak[..., None, None] * (d[..., None] * d[:, :, None, :] + C) + dRs + dRs.transpose(0, 1, 3, 2)
                   + RQR)  # Σ x̂_m x̂_m' + a C
            # Z = Σ x̂_m x⁰' + ½ (Σ x̂_m x̂_m') on the missing columns, so Σ x̂x̂' = Σ x⁰x⁰' + E'Z + Z'E
            Z = (d[..., None] * sk[:, :, None, :] + RQ).reshape(nb, -1)
            Z[:, flat] += 0.5 * Mmm.reshape(nb, -1)  # no repeated positions
            cross = (onehot.T @ Z.reshape(nb, -1, p).transpose(1, 0, 2).reshape(-1, nb * p))  # one GEMM
            cross = cross.reshape(p, nb, p).transpose(1, 0, 2)
            T1 += xm.reshape(nb, -1) @ onehot
            T2 += cross + cross.transpose(0, 2, 1)
        mu_new = T1 / W[:, None]
        S_new = T2 / W[:, None, None] - mu_new[:, :, None] * mu_new[:, None, :]
        S_new = (S_new + S_new.transpose(0, 2, 1)) / 2.0
        sd = np.sqrt(np.maximum(np.einsum("bii->bi", S_new), 1e-300))
        d_mu = np.abs(mu_new - mu) / sd
        d_S = np.abs(S_new - S) / (sd[:, :, None] * sd[:, None, :])
        crit = np.maximum(d_mu.max(axis=1), d_S.max(axis=(1, 2)))
        mu, S = mu_new, S_new
        fresh = ~(conv | sing)[ids_b]  # not yet recorded as converged or stopped
        iters[ids_b[fresh]] = it
        change[ids_b[fresh]] = crit[fresh]
        done = (crit < tol) & fresh
        if done.any():
            mu_out[ids_b[done]], S_out[ids_b[done]] = mu[done], S[done]
            conv[ids_b[done]] = True
        finished = (conv | sing)[ids_b]
        if finished.all():
            ids_b = ids_b[:0]
            break
        if finished.sum() >= max(1, finished.size // 4):  # compact the stack
            keep = ~finished
            ids_b, mu, S, W, Ks = ids_b[keep], mu[keep], S[keep], W[keep], Ks[keep]
            base1, base2 = base1[keep], base2[keep]
            bins = [(ids, mis, obs, oh, fl, ak[keep], sk[keep]) for ids, mis, obs, oh, fl, ak, sk in bins]
    pos = ~(conv | sing)[ids_b]
    if pos.any():
        mu_out[ids_b[pos]], S_out[ids_b[pos]] = mu[pos], S[pos]
    return mu_out, S_out, iters, conv, change, sing, vif_out


def em_stack(P: Patterns, K: np.ndarray, *, start: tuple[np.ndarray, np.ndarray] | None = None,
             tol: float = EM_TOL, max_iter: int = EM_MAX_ITER) -> EMResult:
    """EM for ``B`` weightings ``K (B, n)`` of the same respondents (one fit: ``B = 1``;
    bootstrap resamples: counts times sampling weights), in sub-stacks bounded in memory.

    ``start`` = ``(mean (p,), cov (p, p))`` in the data's units (e.g. the full-sample
    estimates for resamples); default: available-case means and variances, zero covariances.
    A stopping rule: the largest change of a mean (in SDs) or a covariance (in SD products)
    below ``tol``.
    """
    B = K.shape[0]
    p = P.X0.shape[1]
    sizes = np.diff(P.starts)
    widest = max([k * int(sizes[ids].max()) for k, ids, _ in P.bins], default=1)
    # working arrays per resample: (G, p) sums, (p, p) moments, (k, n_g) products of a pattern
    step = max(1, _STACK_BUDGET // (P.G * p + 4 * p * p + 2 * widest))
    parts = []
    for b0 in range(0, B, step):
        Kb = K[b0:b0 + step][:, P.order]
        a, s, XX = _sorted_stats(P, Kb)
        nb = Kb.shape[0]
        if start is None:  # available-case means (the centre: 0) and variances of the first weighting
            a0 = a[0] @ P.observed
            var0 = np.diag(XX[0]) / np.where(a0 > 0, a0, 1.0)
            mu0, S0 = np.zeros(p), np.diag(np.where(var0 > 0, var0, 1.0))
        else:
            mu0, S0 = start[0] - P.center, start[1]
        parts.append(_em_iterate(a, s, XX, Kb, P, np.repeat(mu0[None], nb, 0),
                                 np.repeat(S0[None], nb, 0), tol, max_iter))
    mu, S, iters, conv, change, sing, vif = (np.concatenate([q[k] for q in parts]) for k in range(7))
    return EMResult(mu + P.center, S, iters, conv, change, sing, vif)


def em_normal(X: np.ndarray, weights: np.ndarray | None = None, *, tol: float = EM_TOL,
              max_iter: int = EM_MAX_ITER) -> EMResult:
    """Maximum-likelihood mean and covariance (divisor ``Σw``) of the rows of ``X`` under
    multivariate normality, missing cells (NaN) missing at random; ``B = 1`` stack.

    Examples
    --------
    >>> import numpy as np
    >>> from csindex._em import em_normal
    >>> X = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 5.0], [4.0, 7.0], [np.nan, 1.0]])
    >>> res = em_normal(X)
    >>> bool(res.converged[0]), res.mean[0].round(3).tolist()
    (True, [2.09, 3.713])
    """
    P = patterns(X, weights)
    K = (np.ones(X.shape[0]) if weights is None else np.asarray(weights, dtype=float))[None]
    return em_stack(P, K, tol=tol, max_iter=max_iter)


def conditional_mean(P: Patterns, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``E[x | x_o]`` of every row under ``N(mean, cov)``: observed answers kept, missing
    cells replaced by their conditional expectation (one product per pattern)."""
    mu = (mean - P.center)[None]
    Lam = _inv(cov[None])
    out = P.X0 + P.center
    for _, ids, mis in P.bins:
        d, R, _ = _conditional(mu, Lam, P.observed[ids], mis)
        for j, g in enumerate(ids):
            rows = slice(P.starts[g], P.starts[g + 1])
            out[rows, mis[j]] = P.X0[rows] @ R[0, j].T + d[0, j] + P.center[mis[j]]
    back = np.empty_like(out)
    back[P.order] = out
    return back
