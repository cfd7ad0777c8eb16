"""Modification indices (score tests of fixed-at-zero parameters), as lavaan's ``modindices()``.

Candidates are the parameters lavaan's full parameter table could add to a single-group
model: cross-loadings (``=~``), regressions among constructs (``~``, including the reverse of
existing paths) and covariances among item residuals and among construct (residual)
variances (``~~``); parameters already free are left out. With ``g`` the unit gradient
``(1/N) d logL / d theta`` of the model extended by every candidate (at 0) and ``I`` its
expected unit information (11 = candidates, 22 = free parameters),

    V = I11 - I12 I22^-1 I21,   mi_j = N g_j^2 / V_jj,   epc_j = g_j / V_jj,

and a candidate with ``V_jj < eps^(1/3)`` is not identifiable and dropped (lavaan). ``sepc_all``
standardises the expected change by the model-implied standard deviations (``=~``: of the
construct and the item; ``~``: of both constructs) or, for ``~~``, by the fitted residual
variances (lavaan's ``cov.std = TRUE``: a residual correlation). Written from lavaan's
documentation and Sörbom (1989), not from its code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._engine import BET, LAM, PSI, THE, Param, Structure, gradient_information

__all__ = ["modification_indices"]

_EPS = np.finfo(float).eps ** (1 / 3)


def _candidates(structure: Structure) -> list[Param]:
    have = {(par.mat, par.row, par.col) for par in structure.params}
    have |= {(par.mat, par.col, par.row) for par in structure.params if par.mat in (PSI, THE)}
    obs, lat = structure.observed, structure.latent
    out: list[Param] = []
    for j, c in enumerate(lat):
        for i, item in enumerate(obs):
            if (LAM, i, j) not in have:
                out.append(Param(c, "=~", item, LAM, i, j, True))
    for t, target in enumerate(lat):
        for s, source in enumerate(lat):
            if t != s and (BET, t, s) not in have:
                out.append(Param(target, "~", source, BET, t, s, True))
    for i in range(len(obs)):
        for k in range(i + 1, len(obs)):
            if (THE, i, k) not in have:
                out.append(Param(obs[i], "~~", obs[k], THE, i, k, True))
    for i in range(len(lat)):
        for k in range(i + 1, len(lat)):
            if (PSI, i, k) not in have:
                out.append(Param(lat[i], "~~", lat[k], PSI, i, k, True))
    return out


def modification_indices(structure: Structure, theta: np.ndarray, s: np.ndarray, n: int) -> pd.DataFrame:
    """``lhs, op, rhs, mi, epc, sepc_lv, sepc_all`` of every candidate, largest ``mi`` first.

    Parameters
    ----------
    structure, theta
        The fitted single-group model and its estimates.
    s : ndarray
        Sample covariance (divisor N) the model was fitted to.
    n : int
        Number of observations.
    """
    cands = _candidates(structure)
    q = structure.n_free
    ext = Structure(list(structure.observed), list(structure.latent),
                    [Param(**vars(par)) for par in structure.params] + cands)
    ext.finalize()
    theta_ext = np.concatenate([theta, np.zeros(ext.n_free - q)])
    out = gradient_information(ext, theta_ext[None], s[None], np.array([np.linalg.slogdet(s)[1]]))
    g = -0.5 * out["grad"][0]                     # unit gradient of logL
    info = 0.5 * out["info"][0]                    # unit expected information
    i22, i21 = info[:q, :q], info[:q, q:]
    v = np.diag(info[q:, q:]) - np.sum(i21 * np.linalg.solve(i22, i21), axis=0)
    g1 = g[q:]
    ok = v >= _EPS
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = n * g1**2 / v
        epc = g1 / v
    mats = {k: val[0] for k, val in structure.implied(theta[None]).items()}
    sd_lv = np.sqrt(np.diag(mats["c"]))
    sd_ov = np.sqrt(np.diag(mats["sigma"]))
    rows = []
    for par, m, e, keep in zip(cands, mi, epc, ok):
        if not keep:
            continue
        if par.mat == LAM:
            lv, std = e * sd_lv[par.col], e * sd_lv[par.col] / sd_ov[par.row]
        elif par.mat == BET:
            lv = std = e * sd_lv[par.col] / sd_lv[par.row]
        elif par.mat == THE:
            lv = e
            std = e / np.sqrt(mats["the"][par.row, par.row] * mats["the"][par.col, par.col])
        else:
            lv = std = e / np.sqrt(mats["psi"][par.row, par.row] * mats["psi"][par.col, par.col])
        rows.append({"lhs": par.lhs, "op": par.op, "rhs": par.rhs, "mi": float(m), "epc": float(e),
                     "sepc_lv": float(lv), "sepc_all": float(std)})
    table = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "mi", "epc", "sepc_lv", "sepc_all"])
    return table.sort_values("mi", ascending=False, kind="stable").reset_index(drop=True)
