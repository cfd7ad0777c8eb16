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
                       logl: float, logl_h1: float, means: tuple[np.ndarray, np.ndarray] | None = None,
                       n_means: int = 0) -> pd.Series:
    """Fit indices from the model and baseline chi-squares (lavaan's formulas). ``s`` is the
    (H1) sample covariance; with a mean structure (FIML) ``means`` = (H1 means, implied means)
    and ``n_means`` the number of free means. With means, SRMR (Bentler and Mplus), RMR and
    GFI/AGFI include the mean structure as lavaan's ``fitMeasures`` do (GFI ``1 - e'We / s'Ws``
    over ``(means, vech(S))`` with lavaan's ML weight ``W = diag(Sigma^-1, 1/2 D'(Sigma^-1 x
    Sigma^-1) D)``, AGFI with all ``p(p+1)/2 + p`` moments); the covariance-only versions are
    reported as ``srmr_nomean``, ``srmr_mplus_nomean``, ``rmr_nomean`` (lavaan's names)."""
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
    resid = _residual_indices(s, sigma, df, means)
    k = q + n_means
    aic = -2 * logl + 2 * k
    bic = -2 * logl + k * np.log(n)
    bic2 = -2 * logl + k * np.log((n + 2) / 24)
    return pd.Series({
        "npar": float(k), "ntotal": float(n), "fmin": chi2 / (2 * n), "chi2": chi2, "df": df, "pvalue": pval,
        "baseline_chi2": chi2_0, "baseline_df": df0, "baseline_pvalue": float(special.chdtrc(df0, chi2_0)),
        "cfi": cfi, "tli": tli, "nfi": nfi, "ifi": ifi, "rni": rni,
        "rmsea": rmsea, "rmsea_ci_lower": lo, "rmsea_ci_upper": hi, "rmsea_pvalue": rmsea_p,
        **resid,
        "logl": float(logl), "unrestricted_logl": float(logl_h1), "aic": float(aic), "bic": float(bic),
        "bic2": float(bic2), "ecvi": chi2 / n + 2 * k / n,
    }, dtype="float64")


def _residual_indices(s: np.ndarray, sigma: np.ndarray, df: float,
                      means: tuple[np.ndarray, np.ndarray] | None) -> dict[str, float]:
    """SRMR (Bentler, Mplus), RMR, GFI and AGFI; with ``means`` also the ``_nomean`` variants."""
    p = len(s)
    d = 1.0 / np.sqrt(np.diag(s))
    ds = 1.0 / np.sqrt(np.diag(sigma))
    tri, off = np.tril_indices(p), np.tril_indices(p, -1)
    bentler = ((s - sigma) * np.outer(d, d))[tri]
    mplus = np.concatenate([(s * np.outer(d, d) - sigma * np.outer(ds, ds))[off],
                            (np.diag(s) - np.diag(sigma)) / np.diag(s)])
    raw = (s - sigma)[tri]
    inv = np.linalg.inv(sigma)
    a = inv @ s
    t1 = 0.5 * np.sum((a - np.eye(p)) * (a - np.eye(p)).T)
    t2 = 0.5 * np.sum(a * a.T)
    nel = p * (p + 1) / 2
    out = {"srmr": float(np.sqrt(np.mean(bentler**2))), "srmr_mplus": float(np.sqrt(np.mean(mplus**2))),
           "rmr": float(np.sqrt(np.mean(raw**2)))}
    if means is not None:
        m, mu = means
        out = {**out, "srmr_nomean": out["srmr"], "srmr_mplus_nomean": out["srmr_mplus"], "rmr_nomean": out["rmr"]}
        k = len(tri[0]) + p
        out["srmr"] = float(np.sqrt((np.sum(bentler**2) + np.sum(((m - mu) * d) ** 2)) / k))
        out["srmr_mplus"] = float(np.sqrt((np.sum(mplus**2) + np.sum((m * d - mu * ds) ** 2)) / k))
        out["rmr"] = float(np.sqrt((np.sum(raw**2) + np.sum((m - mu) ** 2)) / k))
        t1 += float((m - mu) @ inv @ (m - mu))
        t2 += float(m @ inv @ m)
        nel += p
    gfi = 1.0 - t1 / t2
    out["gfi"] = float(gfi)
    out["agfi"] = float(1.0 - nel / df * (1.0 - gfi)) if df > 0 else float("nan")
    return out


def _ncp_interval(stat: float, df: float, level: float = 0.90) -> tuple[float, float]:
    """Non-centralities lambda with P(X2 <= stat | df, lambda) = (1 + level)/2 and (1 - level)/2
    (lavaan's RMSEA interval; solved to 1e-12 where lavaan's uniroot stops near 1e-4)."""
    def solve(prob: float) -> float:
        def fn(lam: float) -> float:
            return (special.chndtr(stat, df, lam) if lam > 0 else special.chdtr(df, stat)) - prob

        if fn(0.0) < 0:
            return 0.0
        hi = max(stat, 1.0)
        while fn(hi) > 0:
            hi *= 2
        return optimize.brentq(fn, 0.0, hi, xtol=1e-12)

    upper_tail = (1 + level) / 2
    return solve(upper_tail), solve(1 - upper_tail)


def _rmsea_ci(chi2: float, df: float, n: int, level: float = 0.90) -> tuple[float, float]:
    """lavaan's RMSEA interval: non-centrality lambda with P(X2 <= chi2 | df, lambda) = 0.95 / 0.05."""
    lam_lo, lam_hi = _ncp_interval(chi2, df, level)
    return math.sqrt(lam_lo / (n * df)), math.sqrt(lam_hi / (n * df))


def robust_indices(fit: pd.Series, t3: float, c3: float, tb3: float, cb3: float) -> dict[str, float]:
    """Robust CFI, TLI and RMSEA (Brosseau-Liang & Savalei 2011; lavaan's ``*.robust``) from a
    statistic ``T3`` with scaling factor ``c3`` and the baseline's ``TB3``, ``cB3`` (``df``, ``dfB``
    and ``N`` from ``fit``): ``cfi_robust = 1 - max(T3 - c3 df, 0) / max(T3 - c3 df, TB3 - cB3 dfB,
    0)``, ``tli_robust = 1 - ((T3 - c3 df) dfB) / ((TB3 - cB3 dfB) df)``, ``rmsea_robust =
    sqrt(max(T3/(N df) - c3/N, 0))`` with its interval and close-fit p-value from
    ``pchisq(T3/c3, df, lambda)``. Complete data: ``T3, c3`` are the ML statistic and its scaling
    factor; with ``missing = "ml"`` the FIML-corrected ones (:func:`csindex.sem.fiml.fiml_corrected`).
    """
    df, n, dfb = float(fit["df"]), float(fit["ntotal"]), float(fit["baseline_df"])
    den = max(t3 - c3 * df, tb3 - cb3 * dfb, 0.0)
    out = {"cfi_robust": 1.0 - max(t3 - c3 * df, 0.0) / den if den > 0 else 1.0}
    if df > 0:
        out["tli_robust"] = 1.0 - ((t3 - c3 * df) * dfb) / ((tb3 - cb3 * dfb) * df)
        out["rmsea_robust"] = math.sqrt(max(t3 / (n * df) - c3 / n, 0.0))
        lo, hi = _ncp_interval(t3 / c3, df)
        out["rmsea_ci_lower_robust"] = math.sqrt(c3 * lo / (n * df))
        out["rmsea_ci_upper_robust"] = math.sqrt(c3 * hi / (n * df))
        out["rmsea_pvalue_robust"] = float(1.0 - special.chndtr(t3 / c3, df, n * df * 0.05**2 / c3))
    return out


def scaled_indices(fit: pd.Series, c: float, c_base: float, extra: dict | None = None,
                   robust: tuple[float, float, float, float] | None = None) -> pd.Series:
    """Scaled and robust fit indices from the ML statistics and the scaling factors (lavaan 0.6).

    ``T`` the ML chi-square, ``c`` its scaling factor, ``B`` the baseline model, ``N`` the
    sample size: ``chi2_scaled = T/c``; ``cfi_scaled = 1 - max(T/c - df, 0) / max(T/c - df,
    TB/cB - dfB, 0)``; ``tli_scaled`` likewise; ``rmsea_scaled = sqrt(max((T/c)/(N df) - 1/N, 0))``
    with its interval from ``pchisq(T, c df, lambda)``; the robust versions
    (:func:`robust_indices`) from ``(T, c, TB, cB)``, or from ``robust = (T3, c3, TB3, cB3)``
    when given (lavaan with ``missing = "ml"``: the FIML-corrected statistics of Zhang and
    Savalei). ``extra`` adds further keys (MLR: the Mplus log-likelihood correction factors
    ``scaling_factor_h1``, ``scaling_factor_h0``).
    """
    t, df, n = float(fit["chi2"]), float(fit["df"]), float(fit["ntotal"])
    tb, dfb = float(fit["baseline_chi2"]), float(fit["baseline_df"])
    ts, tbs = t / c, tb / c_base
    out = {"chi2_scaled": ts, "df_scaled": df, "pvalue_scaled": float(special.chdtrc(df, ts)) if df > 0 else np.nan,
           "scaling_factor": c, "baseline_chi2_scaled": tbs, "baseline_scaling_factor": c_base,
           "baseline_pvalue_scaled": float(special.chdtrc(dfb, tbs))}
    den = max(ts - df, tbs - dfb, 0.0)
    out["cfi_scaled"] = 1.0 - max(ts - df, 0.0) / den if den > 0 else 1.0
    if df > 0:
        out["tli_scaled"] = 1.0 - ((ts - df) * dfb) / ((tbs - dfb) * df)
        out["rmsea_scaled"] = math.sqrt(max(ts / (n * df) - 1.0 / n, 0.0))
        lo, hi = _ncp_interval(t, c * df)
        out["rmsea_ci_lower_scaled"] = math.sqrt(lo / (n * c * df))
        out["rmsea_ci_upper_scaled"] = math.sqrt(hi / (n * c * df))
        out["rmsea_pvalue_scaled"] = float(1.0 - special.chndtr(t, c * df, n * c * df * 0.05**2))
    out.update(robust_indices(fit, *((t, c, tb, c_base) if robust is None else robust)))
    out.update(extra or {})
    return pd.Series(out, dtype="float64")
