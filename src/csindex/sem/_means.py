"""Mean structure of a multi-group model: item intercepts and latent means.

With intercept invariance (lavaan's ``group.equal = "intercepts"``) the item means of group
``g`` are ``mu_g = nu + Lambda_g (I - B_g)^-1 alpha_g``: one intercept vector ``nu`` for all
groups, the latent means (intercepts of endogenous constructs) ``alpha_1 = 0`` in the first
group and free in the others (``"means"`` fixes them to 0 everywhere). The ML discrepancy of a
group gains ``(xbar_g - mu_g)' Sigma_g^-1 (xbar_g - mu_g)``; its gradient and expected
information are written here in closed form (the information of the mean part is
``2 J' Sigma^-1 J`` with ``J = d mu / d parameters``; the cross terms with the covariance
part vanish in expectation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._engine import BET, LAM, FitState, Structure, gradient_information, optimize

__all__ = ["MeanLayout", "mean_layout", "mean_terms", "fit_multigroup_means", "implied_means"]


@dataclass
class MeanLayout:
    """Global indices of the intercepts ``nu`` and of each group's latent means (None: fixed 0)."""

    nu: np.ndarray
    alpha: list[np.ndarray | None]
    size: int


def mean_layout(q_glob: int, p: int, m: int, n_groups: int, free_means: bool) -> MeanLayout:
    nu = np.arange(q_glob, q_glob + p)
    nxt = q_glob + p
    alpha: list[np.ndarray | None] = [None]
    for _g in range(1, n_groups):
        if free_means:
            alpha.append(np.arange(nxt, nxt + m))
            nxt += m
        else:
            alpha.append(None)
    return MeanLayout(nu, alpha, nxt)


def implied_means(st: Structure, x: np.ndarray, nu_idx: np.ndarray, alpha_idx: np.ndarray | None) -> np.ndarray:
    """``nu + Lambda A alpha`` (batched over the rows of ``x``)."""
    mats = st.implied(x)
    alpha = x[:, alpha_idx] if alpha_idx is not None else np.zeros((len(x), st.m))
    return x[:, nu_idx] + np.einsum("rij,rj->ri", mats["la"], alpha)


def mean_terms(st: Structure, x: np.ndarray, xbar: np.ndarray, nu_idx: np.ndarray, alpha_idx: np.ndarray | None,
               info: bool) -> dict[str, np.ndarray]:
    """``(xbar - mu)' Sigma^-1 (xbar - mu)``, its gradient and expected information (batched)."""
    r, p = x.shape[0], st.p
    mats = st.implied(x)
    inv = np.linalg.inv(mats["sigma"])
    la = mats["la"]
    alpha = x[:, alpha_idx] if alpha_idx is not None else np.zeros((r, st.m))
    aa = np.einsum("rij,rj->ri", mats["a"], alpha)                      # A alpha
    d = xbar[None] - (x[:, nu_idx] + np.einsum("rij,rj->ri", la, alpha))
    vd = np.einsum("rij,rj->ri", inv, d)
    f = np.einsum("ri,ri->r", d, vd)
    u, v = st.rank_two(mats)
    g_cells = -2.0 * np.einsum("rcp,rp->rc", u, vd) * np.einsum("rcp,rp->rc", v, vd)
    rows, cols, code = st.cell_row, st.cell_col, st.cell_mat
    jmu = np.zeros((r, p, len(code)))                                   # d mu / d cell
    lam = np.flatnonzero(code == LAM)
    jmu[:, rows[lam], lam] = aa[:, cols[lam]]
    bet = np.flatnonzero(code == BET)
    jmu[:, :, bet] = la[:, :, rows[bet]] * aa[:, None, cols[bet]]
    g_cells = g_cells - 2.0 * np.einsum("rpc,rp->rc", jmu, vd)
    jac = st.jacobian_cells()
    grad = g_cells @ jac
    grad[:, nu_idx] += -2.0 * vd
    if alpha_idx is not None:
        grad[:, alpha_idx] += -2.0 * np.einsum("rpm,rp->rm", la, vd)
    out = {"f": f, "grad": grad}
    if info:
        jfull = jmu @ jac                                                # (r, p, k)
        jfull[:, :, nu_idx] += np.eye(p)[None]
        if alpha_idx is not None:
            jfull[:, :, alpha_idx] += la
        out["info"] = 2.0 * np.einsum("rpk,rpq,rql->rkl", jfull, inv, jfull)
    return out


def fit_multigroup_means(structs: list[Structure], s_list: list[np.ndarray], xbars: list[np.ndarray],
                         weights: np.ndarray, layout: MeanLayout, x0: np.ndarray, *, max_iter: int = 500,
                         tol: float = 1e-10) -> FitState:
    """Minimise ``sum_g w_g [F_ML,g + (xbar_g - mu_g)' Sigma_g^-1 (xbar_g - mu_g)]``."""
    logdets = [np.linalg.slogdet(s)[1] for s in s_list]

    def fun(x, idx, info):
        r = x.shape[0]
        out = {"f": np.zeros(r), "grad": np.zeros_like(x)}
        if info:
            out["info"] = np.zeros((r, x.shape[1], x.shape[1]))
        for st, s, ld, xb, w, a_idx in zip(structs, s_list, logdets, xbars, weights, layout.alpha):
            cov = gradient_information(st, x, np.repeat(s[None], r, axis=0), np.full(r, ld), info=info)
            bad = ~np.isfinite(cov["f"])
            safe = np.where(bad[:, None], x0[None], x)
            mean = mean_terms(st, safe, xb, layout.nu, a_idx, info)
            out["f"] = out["f"] + w * np.where(bad, np.inf, cov["f"] + mean["f"])
            out["grad"] = out["grad"] + w * (cov["grad"] + mean["grad"])
            if info:
                out["info"] = out["info"] + w * (cov["info"] + mean["info"])
        return out

    return optimize(fun, x0[None], max_iter=max_iter, tol=tol, newton=True)
