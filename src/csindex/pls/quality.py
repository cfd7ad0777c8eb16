"""Quality criteria of a PLS path model.

Definitions (sources in docs/user/pls.md and METHODS.md §8.3, §8.6):

* Cronbach's alpha, standardised: ``k/(k-1)·(1 - k/ΣR)`` on the block's item correlations;
* composite reliability (Jöreskog's rho / Dillon-Goldstein rho):
  ``(Σλ)² / ((Σλ)² + Σ(1 - λ²))`` with the PLS loadings (seminr, cSEM, SmartPLS); the
  ``plspm`` preset uses the loadings on the block's first principal component instead;
* rho_A (Dijkstra & Henseler 2015): ``(w'w)²·w'(R - diag R)w / w'(ww' - diag ww')w``
  with the weights in standardised units; 1 for single-item and Mode B blocks;
* AVE = mean squared loading; communality = squared loading; redundancy of an
  endogenous block = its mean communality × R²;
* Fornell-Larcker: √AVE on the diagonal, construct correlations elsewhere;
* HTMT (Henseler, Ringle & Sarstedt 2015): mean absolute heterotrait correlation over
  the geometric mean of the mean absolute monotrait correlations;
* GoF (Tenenhaus et al. 2004): ``sqrt(mean communality × mean R²)``, the communality
  averaged over the items of multi-item blocks (plspm; cSEM averages all items);
* SRMR (saturated model): root mean square of the lower triangle (with diagonal) of
  ``R - Σ̂`` where ``Σ̂`` is the common-factor implied correlation matrix
  ``λ_k r_kl λ_l'`` between blocks and ``λ_k λ_k'`` within (unit diagonal), with ``r``
  the construct score correlations; Mode B blocks keep their observed within-block
  correlations and use the composite loadings;
* VIF of each structural predictor given the other predictors of the same target, and
  Cohen's f² = ``(R²_incl - R²_excl)/(1 - R²_incl)`` with ``R²_excl`` from the model
  re-estimated without the path (as seminr).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._summary import Summary, SummaryMixin
from ..exceptions import CollinearityWarning, DiscriminantValidityWarning
from ._algorithm import Layout
from ._stats import estimate_stack, htmt_stack

__all__ = ["PLSQuality", "compute_quality"]


@dataclass(frozen=True, repr=False, eq=False)
class PLSQuality(SummaryMixin):
    """Quality criteria of a PLS fit (``PLSResult.quality``).

    Attributes
    ----------
    reliability : DataFrame
        ``construct, mode, n_items, alpha, rho_c, rho_a, ave``.
    communality : DataFrame
        ``construct, item, loading, communality``.
    redundancy : DataFrame
        ``construct, communality, r_squared, redundancy`` (endogenous constructs).
    fornell_larcker : DataFrame
        Construct × construct: √AVE on the diagonal, score correlations elsewhere.
    htmt : DataFrame
        ``construct_a, construct_b, estimate`` for each pair (after a bootstrap also
        ``std_error, t_value, p_value, ci_lower, ci_upper``; t tests HTMT against 1).
    htmt_matrix : DataFrame
        HTMT as a lower-triangular construct × construct matrix.
    htmt2 : DataFrame
        ``construct_a, construct_b, estimate``: HTMT2 (Roemer, Schuberth & Henseler 2021),
        geometric instead of arithmetic means, consistent for congeneric measures.
    vif : DataFrame
        ``source, target, vif`` of the structural predictors.
    f_squared : DataFrame
        ``source, target, f_squared``.
    gof : float
        Goodness of fit (Tenenhaus et al. 2004).
    srmr : float
        Standardised root mean square residual of the saturated model.
    """

    reliability: pd.DataFrame
    communality: pd.DataFrame
    redundancy: pd.DataFrame
    fornell_larcker: pd.DataFrame
    htmt: pd.DataFrame
    htmt_matrix: pd.DataFrame
    htmt2: pd.DataFrame
    vif: pd.DataFrame
    f_squared: pd.DataFrame
    gof: float
    srmr: float
    settings: dict

    def summary(self) -> Summary:
        """Reliability, HTMT and model-level facts."""
        return Summary("PLS quality criteria", facts={"gof": self.gof, "srmr": self.srmr},
                       tables={"Reliability": self.reliability, "Fornell-Larcker": self.fornell_larcker,
                               "HTMT": self.htmt, "Structural VIF": self.vif})


def _alpha(R: np.ndarray) -> float:
    k = R.shape[0]
    if k < 2:
        return 1.0
    return k / (k - 1) * (1.0 - k / R.sum())


def _rho_c(lam: np.ndarray) -> float:
    s = lam.sum() ** 2
    return float(s / (s + (1.0 - lam ** 2).sum()))


def _rho_a(w: np.ndarray, R: np.ndarray) -> float:
    if w.size < 2:
        return 1.0
    ww = np.outer(w, w)
    num = w @ (R - np.diag(np.diag(R))) @ w
    den = w @ (ww - np.diag(np.diag(ww))) @ w
    return float((w @ w) ** 2 * num / den)


def _r2_without(res, source: str, target: str) -> float:
    """R² of ``target`` after re-estimating the model without ``source -> target`` (seminr)."""
    spec = res.spec.remove_path(source, target)
    if target not in spec.endogenous:
        return 0.0
    layout = Layout.from_spec(spec)
    st = res.settings
    p = res._prep
    out = estimate_stack(res._S[None], res._mean[None], layout, scheme=st["scheme"], tol=st["tol"],
                         max_iter=st["max_iter"], rule=st["convergence"], standardized=st["standardize"],
                         lo=p.lo, hi=p.hi, with_htmt=False, consistent=st.get("consistent", False))
    return float(out.final.r_squared[0, layout.constructs.index(target)])


def compute_quality(res) -> PLSQuality:
    L = res._layout
    S = res._S
    sd = np.sqrt(np.diag(S))
    R = S / np.outer(sd, sd)
    fe = res._fe
    lam = fe.loadings[0]
    w = fe.weights[0]
    w_std = w if res.settings["standardize"] else w * sd
    preset = res.settings.get("preset")
    rows = []
    for j, sl in enumerate(L.slices):
        Rj = R[sl, sl]
        lj = lam[sl]
        if preset == "plspm":
            vals, vecs = np.linalg.eigh(Rj)
            lpc = np.abs(vecs[:, -1]) * np.sqrt(vals[-1])
            rho_c = _rho_c(lpc)
        else:
            rho_c = _rho_c(lj)
        rho_a = 1.0 if L.mode_b[j] else _rho_a(w_std[sl], Rj)
        rows.append({"construct": L.constructs[j], "mode": "B" if L.mode_b[j] else "A",
                     "n_items": sl.stop - sl.start, "alpha": float(_alpha(Rj)), "rho_c": rho_c,
                     "rho_a": rho_a, "ave": float(np.mean(lj ** 2))})
    reliability = pd.DataFrame(rows)
    communality = pd.DataFrame({"construct": [L.constructs[b] for b in L.block], "item": list(L.items),
                                "loading": lam.astype(float), "communality": (lam ** 2).astype(float)})
    block_comm = reliability.set_index("construct")["ave"]
    r2 = res.r_squared
    redundancy = pd.DataFrame({"construct": r2["construct"].to_numpy(),
                               "communality": block_comm[r2["construct"]].to_numpy(),
                               "r_squared": r2["r_squared"].to_numpy()})
    redundancy["redundancy"] = redundancy["communality"] * redundancy["r_squared"]
    C = fe.construct_cor[0]
    fl = C.copy()
    np.fill_diagonal(fl, np.sqrt(reliability["ave"].to_numpy()))
    fornell = pd.DataFrame(fl, index=list(L.constructs), columns=list(L.constructs))
    # HTMT
    H = htmt_stack(S[None], L)[0]
    pairs = [(a, b) for a in range(L.J) for b in range(a)]
    htmt = pd.DataFrame({"construct_a": [L.constructs[a] for a, _ in pairs],
                         "construct_b": [L.constructs[b] for _, b in pairs],
                         "estimate": [float(H[a, b]) for a, b in pairs]})
    if res._boot is not None:
        extra = res._boot.table("htmt")
        if extra is not None:
            htmt = pd.concat([htmt, extra], axis=1)
    logR = np.log(np.abs(R))
    H2 = []
    for a, b in pairs:
        sa, sb = L.slices[a], L.slices[b]
        het = logR[sa, sb].mean()
        mono = []
        for sl in (sa, sb):
            k = sl.stop - sl.start
            mono.append(logR[sl, sl][~np.eye(k, dtype=bool)].mean() if k > 1 else 0.0)
        H2.append(float(np.exp(het - 0.5 * (mono[0] + mono[1]))))
    htmt2 = pd.DataFrame({"construct_a": htmt["construct_a"], "construct_b": htmt["construct_b"], "estimate": H2})
    Hl = np.where(np.tril(np.ones((L.J, L.J), dtype=bool), -1), H, np.nan)
    htmt_matrix = pd.DataFrame(Hl, index=list(L.constructs), columns=list(L.constructs))
    # GoF
    multi = np.array([sl.stop - sl.start > 1 for sl in L.slices])[L.block]
    comm = lam ** 2
    mean_comm = comm[multi].mean() if multi.any() else np.nan
    gof = float(np.sqrt(mean_comm * np.nanmean(fe.r_squared[0][list(L.endogenous)]))) if L.endogenous else np.nan
    # SRMR (saturated, common-factor implied)
    lam_mat = np.zeros((L.p, L.J))
    lam_mat[np.arange(L.p), L.block] = lam
    implied = lam_mat @ C @ lam_mat.T
    for j, sl in enumerate(L.slices):
        if L.mode_b[j]:
            implied[sl, sl] = R[sl, sl]
    np.fill_diagonal(implied, 1.0)
    tri = np.tril_indices(L.p)
    srmr = float(np.sqrt(np.mean((R - implied)[tri] ** 2)))
    # VIF and f²
    vif_rows, f2_rows = [], []
    r2_all = fe.r_squared[0]
    for t in L.endogenous:
        P = list(L.preds[t])
        Cpp = C[np.ix_(P, P)]
        inv = np.linalg.inv(Cpp)
        for k, s in enumerate(P):
            vif_rows.append((L.constructs[s], L.constructs[t], float(inv[k, k])))
    for s_name, t_name in res.spec.paths:
        t = L.constructs.index(t_name)
        r2x = _r2_without(res, s_name, t_name)
        f2_rows.append((s_name, t_name, float((r2_all[t] - r2x) / (1 - r2_all[t]))))
    vif = pd.DataFrame(vif_rows, columns=["source", "target", "vif"])
    f_squared = pd.DataFrame(f2_rows, columns=["source", "target", "f_squared"])
    high = vif[vif["vif"] > 5]
    if len(high):
        warnings.warn(
            "Structural predictor(s) " + ", ".join(f"{s!r} -> {t!r} (VIF {v:.1f})" for s, t, v in
                                                   high.itertuples(index=False)) +
            " are highly collinear (VIF > 5); their path coefficients are unstable.", CollinearityWarning, stacklevel=4)
    bad = htmt[htmt["estimate"] > 0.9]
    if len(bad):
        warnings.warn(
            "HTMT above 0.90 for " + ", ".join(f"{a!r}/{b!r} ({v:.2f})" for a, b, v in
                                               bad[["construct_a", "construct_b", "estimate"]].itertuples(index=False))
            + ": these constructs may lack discriminant validity (Henseler et al. 2015).",
            DiscriminantValidityWarning, stacklevel=4)
    return PLSQuality(reliability, communality, redundancy, fornell, htmt, htmt_matrix, htmt2, vif, f_squared, gof, srmr,
                      {"preset": preset or "csindex", "rho_c": "first principal component" if preset == "plspm"
                       else "PLS loadings"})

