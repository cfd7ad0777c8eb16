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

__all__ = ["robust_fit"]


def _theta_scores(structure: Structure, theta: np.ndarray, d: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Rows ``Delta' W vech(d_i d_i' - centre)`` (n x q): with ``centre = Sigma`` the casewise
    scores of the log-likelihood, ``u' V (d d' - centre) V v`` per rank-two cell."""
    mats = structure.implied(theta[None])
    inv = np.linalg.inv(mats["sigma"][0])
    u, v = (m[0] for m in structure.rank_two(mats))
    a = d @ inv
    ui, vi = u @ inv, v @ inv
    cells = (a @ u.T) * (a @ v.T) - np.einsum("cp,pq,cq->c", ui, centre, vi)
    return cells @ structure.jacobian_cells()


def _trace_w_gamma(d: np.ndarray, sigma: np.ndarray, s: np.ndarray) -> float:
    """``tr(W(Sigma) Gamma)`` = mean_i 1/2 tr((V (d_i d_i' - S))^2), V = Sigma^-1, in O(n p^2)."""
    inv = np.linalg.inv(sigma)
    a = d @ inv
    m = np.einsum("ij,ij->i", a, d)                      # d' V d
    vsv = inv @ s @ inv
    m2 = np.einsum("ij,jk,ik->i", d, vsv, d)            # d' V S V d
    return float(0.5 * np.mean(m**2 - 2 * m2) + 0.5 * np.trace(vsv @ s))


def robust_fit(structure: Structure, theta: np.ndarray, x: np.ndarray, mean: np.ndarray, s: np.ndarray,
               info: np.ndarray, estimator: str) -> dict[str, Any]:
    """Robust covariance of the estimates and the scaling factors of the test statistics.

    Every trace is computed in O(n p^2) or O(n q p) from the casewise pieces, never forming the
    p* x p* matrices ``W`` and ``Gamma``.

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
    d = x - mean
    df = p * (p + 1) // 2 - structure.n_free
    df_base = p * (p - 1) // 2
    per_df = 1.0 / df if df > 0 else float("nan")      # saturated model: no scaled test (not reported)
    sigma = structure.implied(theta[None])["sigma"][0]
    a_inv = np.linalg.inv(0.5 * (info + info.T) / 2.0)        # unit information (bread)
    svar = np.diag(s)
    kurt_base = float(np.sum(0.5 * np.mean((d**2 / svar - 1.0) ** 2, axis=0)))   # tr(A_B^-1 B_B)
    if estimator == "MLR":
        g = _theta_scores(structure, theta, d, sigma)            # casewise scores at Sigma-hat
        b = g.T @ g / n
        trace_h1 = _trace_w_gamma(d, s, s)                       # tr(A1^-1 B1) of the saturated model
        trace_h0 = float(np.sum(a_inv * b.T))
        vcov = a_inv @ b @ a_inv / n
        return {"vcov": 0.5 * (vcov + vcov.T), "scaling_factor": (trace_h1 - trace_h0) * per_df,
                "baseline_scaling_factor": (trace_h1 - kurt_base) / df_base,
                "se": "robust.huber.white", "test": "yuan.bentler.mplus",
                "trace_h1": trace_h1, "trace_h0": trace_h0,
                "scaling_factor_h1": trace_h1 / (p * (p + 1) / 2), "scaling_factor_h0": trace_h0 / structure.n_free}
    g = _theta_scores(structure, theta, d, s)                    # Delta' W (vech(d d') - vech(S))
    b = g.T @ g / n                                              # Delta' W Gamma W Delta
    vcov = a_inv @ b @ a_inv / n
    tr = _trace_w_gamma(d, sigma, s) - float(np.sum(a_inv * b.T))
    tr_base = _trace_w_gamma(d, np.diag(svar), s) - kurt_base
    return {"vcov": 0.5 * (vcov + vcov.T), "scaling_factor": tr * per_df, "baseline_scaling_factor": tr_base / df_base,
            "se": "robust.sem", "test": "satorra.bentler", "trace_ugamma": tr}
