"""Robust ML for complete data: MLR (Huber-White, Yuan-Bentler) and MLM (Satorra-Bentler).

Definitions follow lavaan 0.6 (``estimator = "MLR"`` / ``"MLM"``, ``meanstructure = FALSE``),
written from the formulas in its documentation and Savalei (2014), Yuan & Bentler (2000),
Satorra & Bentler (1994), not from its code. With ``sigma = vech(Sigma)`` (p* = p(p+1)/2
distinct elements), ``Delta = d sigma / d theta`` and ``W(Sigma)`` the unit normal-theory
information of ``sigma`` (``W_ab = h_a h_b (V_rk V_cl + V_rl V_ck)``, ``V = Sigma^-1``,
``h = 1/2`` on the diagonal, 1 off it):

* casewise scores ``s_i = W (vech(d_i d_i') - sigma)``, ``d_i = x_i - xbar``;
* **MLR**: ``vcov = (1/N) A^-1 B A^-1`` with ``A`` the observed information (half the
  Hessian of F_ML) and ``B = (1/N) sum_i Delta' s_i s_i' Delta`` at the fitted ``Sigma``
  (lavaan's ``information.meat = "first.order"``, ``h1.information.meat = "structured"``);
  Yuan-Bentler (Mplus) scaling ``c = (tr(A1^-1 B1) - tr(A^-1 B)) / df`` with ``A1, B1`` the
  saturated model's information and first-order information at ``S``;
* **MLM**: ``vcov = (1/N) A^-1 Delta' W Gamma W Delta A^-1`` with ``A = Delta' W Delta`` the
  expected information and ``Gamma`` the covariance (divisor N) of ``vech(d_i d_i')``;
  Satorra-Bentler scaling ``c = tr(U Gamma) / df``, ``U = W - W Delta A^-1 Delta' W``.

The baseline (independence) model's scaling factor uses the same definitions with
``Sigma_B = diag(S)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._engine import Structure

__all__ = ["robust_fit", "vech_jacobian"]


def _vech_index(p: int) -> tuple[np.ndarray, np.ndarray]:
    return np.tril_indices(p)


def unit_information(sigma: np.ndarray) -> np.ndarray:
    """``W(Sigma)``: the unit normal-theory information of vech(Sigma) (p* x p*)."""
    v = np.linalg.inv(sigma)
    r, c = _vech_index(len(sigma))
    h = np.where(r == c, 0.5, 1.0)
    w = v[np.ix_(r, r)] * v[np.ix_(c, c)] + v[np.ix_(r, c)] * v[np.ix_(c, r)]
    return w * np.outer(h, h)


def vech_jacobian(structure: Structure, theta: np.ndarray) -> np.ndarray:
    """``Delta = d vech(Sigma) / d theta`` (p* x q) from the rank-two cell derivatives."""
    mats = structure.implied(theta[None])
    u, v = structure.rank_two(mats)
    u, v = u[0], v[0]                                          # (cells, p)
    r, c = _vech_index(structure.p)
    d_cells = u[:, r] * v[:, c] + v[:, r] * u[:, c]            # (cells, p*)
    return d_cells.T @ structure.jacobian_cells()


def _centred_products(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    d = x - mean
    r, c = _vech_index(x.shape[1])
    return d[:, r] * d[:, c]                                   # (n, p*): vech(d_i d_i')


def _first_order(w: np.ndarray, prods: np.ndarray, sigma_vech: np.ndarray) -> np.ndarray:
    """``(1/N) sum_i s_i s_i'`` with ``s_i = W (vech(d_i d_i') - sigma)``."""
    scores = (prods - sigma_vech) @ w
    return scores.T @ scores / len(prods)


def _baseline_structure(p: int) -> np.ndarray:
    """Delta of the independence model (free variances only) in vech coordinates."""
    r, c = _vech_index(p)
    diag = np.flatnonzero(r == c)
    out = np.zeros((len(r), p))
    out[diag, r[diag]] = 1.0
    return out


def _trace_u_gamma(w: np.ndarray, delta: np.ndarray, gamma: np.ndarray) -> float:
    wd = w @ delta
    a = delta.T @ wd
    u = w - wd @ np.linalg.solve(a, wd.T)
    return float(np.sum(u * gamma.T))


def robust_fit(structure: Structure, theta: np.ndarray, x: np.ndarray, mean: np.ndarray, s: np.ndarray,
               info: np.ndarray, estimator: str) -> dict[str, Any]:
    """Robust covariance of the estimates and the scaling factors of the test statistics.

    Parameters
    ----------
    structure, theta
        The fitted model.
    x, mean, s
        Complete data (n, p), its mean and covariance (divisor N).
    info : ndarray
        Information of F_ML = 2 x the unit information (observed Hessian for MLR, expected
        for MLM), as the ML standard errors use it.
    estimator : {"MLR", "MLM"}

    Returns
    -------
    dict
        ``vcov`` (q x q), ``scaling_factor``, ``baseline_scaling_factor``, ``se``, ``test`` and
        the traces (``trace_h1, trace_h0`` for MLR, ``trace_ugamma`` for MLM).
    """
    n, p = x.shape
    r, c = _vech_index(p)
    sigma = structure.implied(theta[None])["sigma"][0]
    delta = vech_jacobian(structure, theta)
    w = unit_information(sigma)
    prods = _centred_products(x, mean)
    s_vech = s[r, c]
    df = len(r) - structure.n_free
    s_base = np.diag(np.diag(s))
    df_base = len(r) - p
    a = 0.5 * (info + info.T) / 2.0                      # unit information (bread)
    a_inv = np.linalg.inv(a)
    if estimator == "MLR":
        b = delta.T @ _first_order(w, prods, sigma[r, c]) @ delta
        vcov = a_inv @ b @ a_inv / n
        w1 = unit_information(s)
        trace_h1 = float(np.sum(np.linalg.solve(w1, _first_order(w1, prods, s_vech)).diagonal()))
        trace_h0 = float(np.sum(a_inv * b.T))
        dvar = (x - mean) ** 2 / np.diag(s)
        trace_h0_base = float(np.sum(0.5 * np.mean((dvar - 1.0) ** 2, axis=0)))
        return {"vcov": 0.5 * (vcov + vcov.T), "scaling_factor": (trace_h1 - trace_h0) / df,
                "baseline_scaling_factor": (trace_h1 - trace_h0_base) / df_base,
                "se": "robust.huber.white", "test": "yuan.bentler.mplus",
                "trace_h1": trace_h1, "trace_h0": trace_h0}
    gamma = (prods - s_vech).T @ (prods - s_vech) / n
    wd = w @ delta
    b = wd.T @ gamma @ wd
    vcov = a_inv @ b @ a_inv / n
    tr = _trace_u_gamma(w, delta, gamma)
    tr_base = _trace_u_gamma(unit_information(s_base), _baseline_structure(p), gamma)
    return {"vcov": 0.5 * (vcov + vcov.T), "scaling_factor": tr / df, "baseline_scaling_factor": tr_base / df_base,
            "se": "robust.sem", "test": "satorra.bentler", "trace_ugamma": tr}
