"""Fit indices with lavaan's definitions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, special


def _fit_measures(f_min: float, s: np.ndarray, sigma: np.ndarray, n: int, q: int, p: int) -> pd.Series:
    """lavaan's fitMeasures for a single-group ML fit without mean structure."""
    logdet_s = np.linalg.slogdet(s)[1]
    f0 = float(np.sum(np.log(np.diag(s))) - logdet_s)
    inv = np.linalg.inv(sigma)
    logl = -n / 2 * (p * np.log(2 * np.pi) + np.linalg.slogdet(sigma)[1] + np.trace(inv @ s))
    logl_h1 = -n / 2 * (p * np.log(2 * np.pi) + logdet_s + p)
    return _fit_measures_core(n * f_min, n * f0, s, sigma, n, q, p, float(logl), float(logl_h1))


def _fit_measures_core(chi2: float, chi2_0: float, s: np.ndarray, sigma: np.ndarray, n: int, q: int, p: int,
                       logl: float, logl_h1: float, mean_resid: np.ndarray | None = None,
                       n_means: int = 0) -> pd.Series:
    """Fit indices from the model and baseline chi-squares (lavaan's formulas). ``s`` is the
    (H1) sample covariance; with a mean structure (FIML) ``mean_resid`` are the mean
    residuals (entering SRMR as lavaan does) and ``n_means`` the number of free means."""
    df = p * (p + 1) / 2 - q
    pval = float(special.chdtrc(df, chi2)) if df > 0 else float("nan")
    df0 = p * (p - 1) / 2
    cfi_den = max(chi2 - df, chi2_0 - df0, 0.0)
    cfi = 1.0 - max(chi2 - df, 0.0) / cfi_den if cfi_den > 0 else 1.0
    tli = ((chi2_0 / df0) - (chi2 / df)) / ((chi2_0 / df0) - 1.0) if df > 0 else float("nan")
    nfi = (chi2_0 - chi2) / chi2_0
    ifi = (chi2_0 - chi2) / (chi2_0 - df)
    rni = 1.0 - (chi2 - df) / (chi2_0 - df0)
    if df > 0:
        rmsea = math.sqrt(max(chi2 - df, 0.0) / (df * n))
        lo, hi = _rmsea_ci(chi2, df, n)
        rmsea_p = float(1.0 - special.chndtr(chi2, df, n * df * 0.05**2)) if chi2 > 0 else 1.0
    else:
        rmsea = lo = hi = rmsea_p = float("nan")
    d = 1.0 / np.sqrt(np.diag(s))
    tri = np.tril_indices(p)
    resid = (s - sigma) * np.outer(d, d)
    if mean_resid is None:
        srmr = float(np.sqrt(np.mean(resid[tri] ** 2)))
    else:
        mr = mean_resid * d
        srmr = float(np.sqrt((np.sum(resid[tri] ** 2) + np.sum(mr**2)) / (len(tri[0]) + p)))
    ds = 1.0 / np.sqrt(np.diag(sigma))
    rdiff = s * np.outer(d, d) - sigma * np.outer(ds, ds)
    diag_term = (np.diag(s) - np.diag(sigma)) / np.diag(s)
    off = np.tril_indices(p, -1)
    srmr_mplus = float(np.sqrt((np.sum(rdiff[off] ** 2) + np.sum(diag_term**2)) / (p * (p + 1) / 2)))
    rmr = float(np.sqrt(np.mean((s - sigma)[tri] ** 2)))
    inv = np.linalg.inv(sigma)
    a = inv @ s
    gfi = 1.0 - np.sum(np.diag((a - np.eye(p)) @ (a - np.eye(p)))) / np.sum(np.diag(a @ a))
    agfi = 1.0 - (p * (p + 1) / 2) / df * (1.0 - gfi) if df > 0 else float("nan")
    k = q + n_means
    aic = -2 * logl + 2 * k
    bic = -2 * logl + k * np.log(n)
    bic2 = -2 * logl + k * np.log((n + 2) / 24)
    return pd.Series({
        "npar": float(k), "ntotal": float(n), "fmin": chi2 / (2 * n), "chi2": chi2, "df": df, "pvalue": pval,
        "baseline_chi2": chi2_0, "baseline_df": df0, "baseline_pvalue": float(special.chdtrc(df0, chi2_0)),
        "cfi": cfi, "tli": tli, "nfi": nfi, "ifi": ifi, "rni": rni,
        "rmsea": rmsea, "rmsea_ci_lower": lo, "rmsea_ci_upper": hi, "rmsea_pvalue": rmsea_p,
        "srmr": srmr, "srmr_mplus": srmr_mplus, "rmr": rmr, "gfi": float(gfi), "agfi": float(agfi),
        "logl": float(logl), "unrestricted_logl": float(logl_h1), "aic": float(aic), "bic": float(bic),
        "bic2": float(bic2), "ecvi": chi2 / n + 2 * k / n,
    }, dtype="float64")


def _rmsea_ci(chi2: float, df: float, n: int, level: float = 0.90) -> tuple[float, float]:
    """lavaan's RMSEA interval: non-centrality lambda with P(X2 <= chi2 | df, lambda) = 0.95 / 0.05."""
    def solve(prob: float) -> float:
        def fn(lam: float) -> float:
            return (special.chndtr(chi2, df, lam) if lam > 0 else special.chdtr(df, chi2)) - prob

        if fn(0.0) < 0:
            return 0.0
        hi = max(chi2, 1.0)
        while fn(hi) > 0:
            hi *= 2
        return optimize.brentq(fn, 0.0, hi, xtol=1e-12)

    upper_tail = (1 + level) / 2
    lam_lo = solve(upper_tail)
    lam_hi = solve(1 - upper_tail)
    return math.sqrt(lam_lo / (n * df)), math.sqrt(lam_hi / (n * df))


