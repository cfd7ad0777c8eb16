"""Full-information ML for incomplete data (lavaan's ``missing = \"ml\"``): pattern moments,
the FIML discrepancy with its gradient and expected information, EM for the saturated
model, the fit of :func:`csindex.fit_sem` with ``missing="fiml"``, MLR with missing data
(sandwich SEs and the Yuan-Bentler test, Yuan & Bentler 2000) and the FIML-corrected robust
CFI/TLI/RMSEA (Zhang & Savalei 2023), all as lavaan 0.6 defines them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import quote_list
from ..exceptions import ConvergenceError, ConvergenceWarning, MissingDataWarning, ParameterError, SurveyDataError
from ._assemble import _assemble
from ._data import _check_sample_cov, _invert_information, _param_name, _warn
from ._engine import THE, FitState, Param, Structure, fit_ml, optimize, richardson_hessian, start_values
from ._fit_indices import _fit_measures_core, robust_indices, scaled_indices

# --------------------------------------------------------------------------- FIML
@dataclass
class Patterns:
    """Missing-data patterns: observed columns, weight n_g / N, mean and covariance (divisor
    n_g) of the rows with that pattern."""

    obs: list[np.ndarray]
    weight: np.ndarray
    mean: list[np.ndarray]
    cov: list[np.ndarray]
    rows: list[np.ndarray]
    n: int
    p: int


def missing_patterns(x: np.ndarray, weights: np.ndarray | None = None) -> Patterns:
    """Group rows by missing-data pattern; with ``weights`` the pattern shares, means and
    covariances are weighted (pseudo-ML)."""
    mask = ~np.isnan(x)
    keep = mask.any(axis=1)
    uniq, inverse = np.unique(mask[keep], axis=0, return_inverse=True)
    inverse = inverse.ravel()
    rows_all = np.flatnonzero(keep)
    wts = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    total = wts[keep].sum()
    obs, weight, means, covs, rows = [], [], [], [], []
    n = int(keep.sum())
    for g, pattern in enumerate(uniq):
        r = rows_all[inverse == g]
        o = np.flatnonzero(pattern)
        xg = x[np.ix_(r, o)]
        wg = wts[r]
        m = wg @ xg / wg.sum()
        xc = xg - m
        obs.append(o)
        weight.append(wg.sum() / total)
        means.append(m)
        covs.append((xc * wg[:, None]).T @ xc / wg.sum())
        rows.append(r)
    return Patterns(obs, np.array(weight), means, covs, rows, n, x.shape[1])


def fiml_information(structure: Structure, pat: Patterns, phi: np.ndarray, info: bool = True) -> dict[str, np.ndarray]:
    """FIML discrepancy F = sum_g w_g [log|Sigma_o| + tr(Sigma_o^-1 S_g(mu))], its gradient in
    (theta, mu) and the expected information (batched over the rows of ``phi`` = [theta, mu]).

    ``-2 logL / N = F + p_obs log(2 pi)`` with ``S_g(mu) = C_g + (m_g - mu_o)(m_g - mu_o)'``.
    """
    q = structure.n_free
    theta, mu = phi[:, :q], phi[:, q:]
    mats = structure.implied(theta)
    sigma = mats["sigma"]
    r, p = sigma.shape[0], sigma.shape[1]
    f = np.zeros(r)
    g_mat = np.zeros((r, p, p))
    g_mu = np.zeros((r, p))
    u, v = structure.rank_two(mats)
    n_cells = u.shape[1]
    h_cells = np.zeros((r, n_cells, n_cells)) if info else None
    h_mu = np.zeros((r, p, p)) if info else None
    bad = np.zeros(r, bool)
    for o, w, m, c in zip(pat.obs, pat.weight, pat.mean, pat.cov):
        so = sigma[:, o][:, :, o]
        try:
            chol = np.linalg.cholesky(so)
        except np.linalg.LinAlgError:
            ok = np.array([np.all(np.isfinite(a)) and np.linalg.eigvalsh(a)[0] > 0 for a in so])
            bad |= ~ok
            so = np.where(ok[:, None, None], so, np.eye(len(o))[None])
            chol = np.linalg.cholesky(so)
        logdet = 2.0 * np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)
        inv = np.linalg.inv(so)
        d = m[None] - mu[:, o]                                   # (r, k)
        sg = c[None] + d[:, :, None] * d[:, None, :]
        isg = inv @ sg
        f += w * (logdet + np.trace(isg, axis1=1, axis2=2))
        g_mat[:, o[:, None], o[None, :]] += w * (inv - isg @ inv)
        g_mu[:, o] += -2.0 * w * np.einsum("rij,rj->ri", inv, d)
        if info:
            uo, vo = u[:, :, o], v[:, :, o]
            iu, iv = uo @ inv, vo @ inv
            uu = iu @ np.swapaxes(uo, 1, 2)
            vv = iv @ np.swapaxes(vo, 1, 2)
            uv = iu @ np.swapaxes(vo, 1, 2)
            h_cells += w * 2.0 * (uu * vv + uv * np.swapaxes(uv, 1, 2))
            h_mu[:, o[:, None], o[None, :]] += 2.0 * w * inv
    jac = structure.jacobian_cells()
    g_theta = (2.0 * np.sum(u * (v @ g_mat), axis=-1)) @ jac
    f = np.where(bad | ~np.isfinite(f), np.inf, f)
    out = {"f": f, "grad": np.hstack([g_theta, g_mu]), "sigma": sigma}
    if info:
        k = q + p
        full = np.zeros((r, k, k))
        full[:, :q, :q] = jac.T[None] @ h_cells @ jac[None]
        full[:, q:, q:] = h_mu
        out["info"] = full
    return out


def fiml_hessian(structure: Structure, pat: Patterns, phi: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Exact Hessian of the FIML F at one point (:func:`~csindex.sem._engine.richardson_hessian`)."""
    return richardson_hessian(lambda xs: fiml_information(structure, pat, xs, info=False)["grad"], phi, h)


def fit_fiml(structure: Structure, pat: Patterns, phi0: np.ndarray, *, max_iter: int = 500,
             tol: float = 1e-10) -> FitState:
    def fun(x, idx, info):
        return fiml_information(structure, pat, x, info=info)

    return optimize(fun, phi0[None], max_iter=max_iter, tol=tol, newton=True)


def em_saturated(pat: Patterns, max_iter: int = 5000, tol: float = 1e-12) -> tuple[np.ndarray, np.ndarray, int]:
    """ML mean and covariance of incomplete normal data by EM (the saturated H1 model)."""
    p = pat.p
    mu = np.zeros(p)
    tot = np.zeros(p)
    cnt = np.zeros(p)
    for o, w, m in zip(pat.obs, pat.weight, pat.mean):
        tot[o] += w * m
        cnt[o] += w
    mu = tot / cnt
    sigma = np.zeros((p, p))
    var_tot = np.zeros(p)
    for o, w, m, c in zip(pat.obs, pat.weight, pat.mean, pat.cov):
        var_tot[o] += w * (np.diag(c) + (m - mu[o]) ** 2)
    sigma = np.diag(var_tot / cnt)
    it = 0
    for it in range(1, max_iter + 1):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for o, w, m, c in zip(pat.obs, pat.weight, pat.mean, pat.cov):
            mis = np.setdiff1d(np.arange(p), o)
            if len(mis) == 0:
                t1 += w * m
                t2 += w * (c + np.outer(m, m))
                continue
            soo = sigma[np.ix_(o, o)]
            smo = sigma[np.ix_(mis, o)]
            b = np.linalg.solve(soo, smo.T).T                      # regression of missing on observed
            xm = mu[mis] + b @ (m - mu[o])                           # conditional mean at the pattern mean
            full_m = np.empty(p)
            full_m[o], full_m[mis] = m, xm
            cond = sigma[np.ix_(mis, mis)] - b @ smo.T
            e2 = np.zeros((p, p))
            e2[np.ix_(o, o)] = c
            e2[np.ix_(mis, o)] = b @ c
            e2[np.ix_(o, mis)] = (b @ c).T
            e2[np.ix_(mis, mis)] = b @ c @ b.T + cond
            t1 += w * full_m
            t2 += w * (e2 + np.outer(full_m, full_m))
        mu_new = t1
        sigma_new = t2 - np.outer(mu_new, mu_new)
        change = max(np.abs(mu_new - mu).max(), np.abs(sigma_new - sigma).max())
        mu, sigma = mu_new, sigma_new
        if change < tol:
            break
    return mu, sigma, it


def fiml_loglik(pat: Patterns, mu: np.ndarray, sigma: np.ndarray) -> float:
    """Observed-data normal log-likelihood."""
    ll = 0.0
    for o, w, m, c in zip(pat.obs, pat.weight, pat.mean, pat.cov):
        so = sigma[np.ix_(o, o)]
        d = m - mu[o]
        inv = np.linalg.inv(so)
        ll += -0.5 * w * pat.n * (len(o) * np.log(2 * np.pi) + np.linalg.slogdet(so)[1]
                                  + np.trace(inv @ (c + np.outer(d, d))))
    return float(ll)



def _fit_fiml(spec, structure, frame, x, row_index, survey, scale, confidence, notes, t_start, w, information,
              max_iter, n_total, estimator="ML"):
    """Full-information ML (csindex's own engine): saturated means, expected or observed
    information, chi-square against the EM-estimated saturated model (lavaan's H1)."""
    items = list(structure.observed)
    empty = np.isnan(x).all(axis=1)
    if empty.any():
        k = int(empty.sum())
        _warn(f"fit_sem dropped {k} row{'s' if k > 1 else ''} with no answered item of the model.",
                      MissingDataWarning)
    x = x[~empty]
    row_index = row_index[~empty]
    if w is not None and estimator != "ML":
        raise ParameterError(f"estimator={estimator!r} is not available with sampling weights; pass weights=False "
                             "or use estimator='ML'.")
    if w is not None:
        w = w[~empty] / w[~empty].sum()
        notes.append("Sampling weights used (weighted FIML, pseudo-ML); standard errors assume simple random "
                     "sampling.")
    pat = missing_patterns(x, w)
    n, p, q = pat.n, structure.p, structure.n_free
    never = [items[k] for k in range(p) if not any(k in o for o in pat.obs)]
    if never:
        raise SurveyDataError(f"Item(s) {quote_list(never)} have no answers at all.")
    mu_h1, s_h1, _ = em_saturated(pat)
    _check_sample_cov(s_h1, items, n)
    theta0 = start_values(structure, spec, s_h1)
    warm = fit_ml(structure, s_h1[None], theta0[None], max_iter=max_iter)
    phi0 = np.concatenate([warm.theta[0], mu_h1])
    fs = fit_fiml(structure, pat, phi0, max_iter=max_iter)
    phi = fs.theta[0]
    converged = bool(fs.converged[0])
    if not np.isfinite(fs.f[0]):
        raise ConvergenceError("The FIML estimation found no admissible solution (the implied covariance matrix "
                               "is not positive definite).")
    if not converged:
        k = int(np.argmax(np.abs(fs.grad[0])))
        name = _param_name(structure, k) if k < q else f"mean of {items[k - q]!r}"
        _warn(f"fit_sem (FIML) did not converge in {max_iter} iterations (largest gradient "
                      f"{abs(fs.grad[0][k]):.2e} at {name!r}).", ConvergenceWarning)
    info = fs.info[0] if information == "expected" else fiml_hessian(structure, pat, phi)
    cov_phi = _invert_information(structure, info, n, [f"mean of {i}" for i in items])
    robust = None
    if estimator == "MLR":
        robust = robust_fiml(structure, pat, x, phi, info, mu_h1, s_h1)
        cov_phi = robust.pop("vcov")
    theta, mu = phi[:q], phi[q:]
    cov_theta, cov_mu = cov_phi[:q, :q], cov_phi[q:, q:]
    sigma = structure.implied(theta[None])["sigma"][0]
    ll = fiml_loglik(pat, mu, sigma)
    ll_h1 = fiml_loglik(pat, mu_h1, s_h1)
    # baseline: independent items with free means and variances (separable: per-item ML)
    mu0 = np.zeros(p)
    var0 = np.zeros(p)
    wv = np.ones(len(x)) if w is None else w
    for k in range(p):
        ok = ~np.isnan(x[:, k])
        col, wk = x[ok, k], wv[ok] / wv[ok].sum()
        mu0[k] = wk @ col
        var0[k] = wk @ (col - mu0[k]) ** 2
    ll_0 = fiml_loglik(pat, mu0, np.diag(var0))
    fit = _fit_measures_core(2 * (ll_h1 - ll), 2 * (ll_h1 - ll_0), s_h1, sigma, n, q, p, ll, ll_h1,
                             means=(mu_h1, mu), n_means=p)
    settings = {"estimator": estimator, "missing": "fiml", "engine": "csindex", "information": information,
                "n_total": n_total}
    indices = w is None and fit["df"] > 0                 # robust indices: unweighted, not saturated
    if indices:
        fit = pd.concat([fit, _fiml_robust_indices(structure, pat, x, phi, (mu_h1, s_h1), (mu0, var0), fit, robust)])
        notes.append("Robust CFI/TLI/RMSEA from the FIML-corrected statistic (Zhang & Savalei 2023; *_fimlc), "
                     "as lavaan's with missing = 'ml'.")
    if robust is not None:
        settings.update({k: robust[k] for k in ("se", "test", "trace_h1", "trace_h0")})
        notes.append("MLR with FIML: sandwich standard errors (observed information, casewise FIML scores)"
                     + (" and the Yuan-Bentler scaled test." if indices else "; the model is saturated (df = 0): "
                        "no scaled test or robust fit indices."))
    # factor scores from each respondent's answered items
    mats = {k2: v[0] for k2, v in structure.implied(theta[None]).items()}
    lc = mats["c"] @ mats["lam"].T                                  # (m, p)
    scores = np.empty((n, structure.m))
    for o, rows in zip(pat.obs, pat.rows):
        wgt = np.linalg.solve(sigma[np.ix_(o, o)], lc[:, o].T).T      # (m, |o|)
        scores[rows] = (x[np.ix_(rows, o)] - mu[o]) @ wgt.T
    notes.append("Missing data: full-information ML (saturated means, H1 by EM); "
                 f"{len(pat.obs)} missing-data patterns, {n} rows.")
    return _assemble(spec, structure, theta, cov_theta, s_h1, mu, x, None, row_index, n, float("nan"),
                     converged, int(fs.iterations[0]), survey, scale, confidence, 0, None, None, notes,
                     settings=settings, t_start=t_start, fit=fit, scores_arr=scores, mean_cov=cov_mu)




def _fiml_robust_indices(structure: Structure, pat: Patterns, x: np.ndarray, phi: np.ndarray,
                         h1: tuple[np.ndarray, np.ndarray], baseline: tuple[np.ndarray, np.ndarray],
                         fit: pd.Series, robust: dict | None) -> pd.Series:
    """The scaled (MLR) and robust fit indices of a FIML fit: the robust CFI/TLI/RMSEA from the
    FIML-corrected statistics (:func:`fiml_corrected`; "V3" for MLR, "V6" for ML), as lavaan."""
    mu_h1, s_h1 = h1
    if robust is None:
        info_h1 = saturated_information(pat, mu_h1, s_h1)
        pieces = (info_h1, np.linalg.inv(info_h1), None)
    else:
        pieces = robust["h1_information"]
    zs = fiml_corrected(structure, pat, phi, mu_h1, s_h1, baseline, pieces)
    extra = {f"{k}_fimlc": v for k, v in zs.items()}
    statistics = (zs["chi2"], zs["scaling_factor"], zs["baseline_chi2"], zs["baseline_scaling_factor"])
    if robust is None:
        return pd.Series({**robust_indices(fit, *statistics), **extra}, dtype="float64")
    c_base = robust_fiml_baseline(pat, x, *baseline, robust["trace_h1"])
    extra.update({k: robust[k] for k in ("scaling_factor_h1", "scaling_factor_h0")})
    return scaled_indices(fit, robust["scaling_factor"], c_base, extra, robust=statistics)


# --------------------------------------------------------------------------- MLR with FIML
def fiml_scores(structure: Structure, pat: Patterns, x: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Casewise scores of the observed-data log-likelihood in ``phi = (theta, mu)`` (n x (q + p)):
    ``d l_i / d mu_o = V e``, ``d l_i / d theta = u_o' V e e' V v_o - u_o' V v_o`` per rank-two
    cell, with ``e = x_io - mu_o`` and ``V = Sigma_oo^-1`` of the row's pattern."""
    q = structure.n_free
    theta, mu = phi[:q], phi[q:]
    mats = structure.implied(theta[None])
    sigma = mats["sigma"][0]
    u, v = (m[0] for m in structure.rank_two(mats))
    jac = structure.jacobian_cells()
    out = np.zeros((len(x), q + structure.p))
    for o, rows in zip(pat.obs, pat.rows):
        inv = np.linalg.inv(sigma[np.ix_(o, o)])
        a = (x[np.ix_(rows, o)] - mu[o]) @ inv
        uo, vo = u[:, o], v[:, o]
        cells = (a @ uo.T) * (a @ vo.T) - np.einsum("cp,pq,cq->c", uo, inv, vo)
        out[rows, :q] = cells @ jac
        out[np.ix_(rows, q + o)] = a
    return out


def _sandwich_trace(structure: Structure, pat: Patterns, x: np.ndarray, phi: np.ndarray,
                    hessian: np.ndarray | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    """``tr(A^-1 B)`` with ``A`` half the FIML Hessian and ``B`` the mean outer product of the
    casewise scores; also ``A^-1`` and ``B``."""
    h = fiml_hessian(structure, pat, phi) if hessian is None else hessian
    a_inv = np.linalg.inv(0.5 * h)
    g = fiml_scores(structure, pat, x, phi)
    b = g.T @ g / len(x)
    return float(np.sum(a_inv * b.T)), a_inv, b


def saturated_information(pat: Patterns, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Observed (unit) information of the saturated FIML model in ``(vech(Sigma), mu)``, vech in
    row order of the upper triangle, in closed form (per pattern ``o`` with ``V = Sigma_oo^-1``,
    ``d = m_o - mu_o``, ``P = V (C_o + d d') V``):
    ``A_mu,mu = V``, ``A_mu,s = V E_s V d``, ``A_s,t = -1/2 tr(V E_s V E_t) + 1/2 tr(E_s V E_t P)
    + 1/2 tr(E_s P E_t V)``, weighted by the pattern shares (checked against the numerical
    Hessian in the tests). The traces are gathered once from the pattern-weighted sums of
    ``V (x) V`` and ``V (x) P`` (``(X (x) Y)[ip+j, kp+l] = X_ik Y_jl``), with
    ``tr(E_s P E_t V) = tr(E_t V E_s P)``."""
    p = len(mu)
    r, c = np.triu_indices(p)
    h = np.where(r == c, 0.5, 1.0)
    ns = len(r)
    out = np.zeros((ns + p, ns + p))
    k_vv = np.zeros((p * p, p * p))
    k_vp = np.zeros((p * p, p * p))
    for o, w, m, cov in zip(pat.obs, pat.weight, pat.mean, pat.cov):
        v = np.zeros((p, p))
        v[np.ix_(o, o)] = np.linalg.inv(sigma[np.ix_(o, o)])
        d = np.zeros(p)
        d[o] = m - mu[o]
        s_tilde = np.zeros((p, p))
        s_tilde[np.ix_(o, o)] = cov + np.outer(m - mu[o], m - mu[o])
        pm = v @ s_tilde @ v
        k_vv += w * np.kron(v, v)
        k_vp += w * np.kron(v, pm)
        vd = v @ d
        mix = (v[:, r] * vd[c] + v[:, c] * vd[r]) * h               # (p, ns)
        out[ns:, :ns] += w * mix
        out[:ns, ns:] += w * mix.T
        out[ns:, ns:] += w * v
    # tr(E_a X E_b Y), a = (r, c), b = (k, l): X_ck Y_lr + X_cl Y_kr + X_rk Y_lc + X_rl Y_kc
    ra, ca, kb, lb = r[:, None], c[:, None], r[None, :], c[None, :]
    cells = ((ca * p + lb, kb * p + ra), (ca * p + kb, lb * p + ra), (ra * p + lb, kb * p + ca),
             (ra * p + kb, lb * p + ca))
    hh = np.outer(h, h)
    t_vv = hh * sum(k_vv[i, j] for i, j in cells)
    t_vp = hh * sum(k_vp[i, j] for i, j in cells)
    out[:ns, :ns] = -0.5 * t_vv + 0.5 * (t_vp + t_vp.T)
    return out


def _saturated_structure(items: list[str], diagonal: bool = False) -> Structure:
    """Unrestricted (or, with ``diagonal``, independence) covariance model of the items."""
    params = [Param(items[i], "~~", items[k], THE, i, k, True)
              for i in range(len(items)) for k in range(i, len(items)) if not diagonal or i == k]
    st = Structure(list(items), ["_"], params)
    st.finalize()
    return st


def robust_fiml(structure: Structure, pat: Patterns, x: np.ndarray, phi: np.ndarray, hessian: np.ndarray,
                mu_h1: np.ndarray, s_h1: np.ndarray) -> dict:
    """MLR with missing data (lavaan's ``estimator = "MLR", missing = "ml"``): the sandwich
    covariance of ``(theta, mu)`` and the Yuan-Bentler (Mplus) scaling factor
    ``c = (tr(A1^-1 B1) - tr(A^-1 B)) / df``, the h1 pieces those of the saturated model at its
    EM estimates (observed information, casewise first-order information). ``h1_information``
    holds ``(A1, A1^-1, B1)`` for :func:`fiml_corrected`."""
    n = len(x)
    trace_h0, a_inv, b = _sandwich_trace(structure, pat, x, phi, hessian)
    vcov = a_inv @ b @ a_inv / n
    sat = _saturated_structure(list(structure.observed))
    r, c = np.triu_indices(structure.p)
    phi_h1 = np.concatenate([s_h1[r, c], mu_h1])
    info_h1 = saturated_information(pat, mu_h1, s_h1)
    trace_h1, info_h1_inv, first_order_h1 = _sandwich_trace(sat, pat, x, phi_h1, 2.0 * info_h1)
    df = sat.n_free - structure.n_free
    return {"vcov": 0.5 * (vcov + vcov.T), "scaling_factor": (trace_h1 - trace_h0) / df if df > 0 else np.nan,
            "se": "robust.huber.white", "test": "yuan.bentler.mplus", "trace_h1": trace_h1, "trace_h0": trace_h0,
            "scaling_factor_h1": trace_h1 / len(phi_h1), "scaling_factor_h0": trace_h0 / len(phi),
            "h1_information": (info_h1, info_h1_inv, first_order_h1)}


def robust_fiml_baseline(pat: Patterns, x: np.ndarray, mu0: np.ndarray, var0: np.ndarray, trace_h1: float) -> float:
    """Yuan-Bentler scaling factor of the independence model (free means and variances) under FIML."""
    p = len(mu0)
    base = _saturated_structure([f"v{k}" for k in range(p)], diagonal=True)
    trace_h0 = _sandwich_trace(base, pat, x, np.concatenate([var0, mu0]))[0]
    return (trace_h1 - trace_h0) / (p * (p - 1) / 2)


# --------------------------------------------------------------------------- FIML-corrected robust indices
def _moment_jacobian(structure: Structure, theta: np.ndarray) -> np.ndarray:
    """``Delta = d (vech(Sigma), mu) / d (theta, mu)``, vech in row order of the upper triangle
    (the order of :func:`saturated_information`); ``dSigma/dcell = u v' + v u'``."""
    p, q = structure.p, structure.n_free
    r, c = np.triu_indices(p)
    u, v = (m[0] for m in structure.rank_two(structure.implied(theta[None])))
    out = np.zeros((len(r) + p, q + p))
    out[:len(r), :q] = (u[:, r] * v[:, c] + v[:, r] * u[:, c]).T @ structure.jacobian_cells()
    out[len(r):, q:] = np.eye(p)
    return out


def _complete_data_f(n: int, mu_h1: np.ndarray, s_h1: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> float:
    """``N F_ML`` of a model (mu, Sigma) against complete-data moments (mu_h1, S_h1):
    ``N [log|Sigma| - log|S| + tr(Sigma^-1 S) - p + (m - mu)' Sigma^-1 (m - mu)]``."""
    inv = np.linalg.inv(sigma)
    d = mu_h1 - mu
    return float(n * (np.linalg.slogdet(sigma)[1] - np.linalg.slogdet(s_h1)[1] + np.trace(inv @ s_h1)
                      - len(mu) + d @ inv @ d))


def fiml_corrected(structure: Structure, pat: Patterns, phi: np.ndarray, mu_h1: np.ndarray, s_h1: np.ndarray,
                   baseline: tuple[np.ndarray, np.ndarray],
                   h1_information: tuple[np.ndarray, np.ndarray, np.ndarray | None]) -> dict[str, float]:
    """FIML-corrected statistic and scaling factors behind the robust CFI, TLI and RMSEA with
    missing data (Zhang and Savalei 2023, "FIML-C"; lavaan's ``cfi.robust``, ``tli.robust``,
    ``rmsea.robust`` with ``missing = "ml"``: its version "V3" with a scaled test (MLR), "V6"
    without (ML)).

    The FIML chi-square does not estimate the complete-data misfit that RMSEA and CFI are defined
    on; Zhang and Savalei treat the saturated (EM) moments ``(m~, S~)`` as if they were
    complete-data sample moments. With the FIML estimates held fixed:

    * ``T3 = N F_ML(m~, S~; mu-hat, Sigma-hat)``, the complete-data ML discrepancy;
    * ``c3 = tr(W_c Q Gamma Q') / df``, with ``W_m`` the observed FIML information of the
      saturated model at ``(m~, S~)`` (:func:`saturated_information`), ``J_m`` its first-order
      information (casewise scores), ``Gamma = W_m^-1 J_m W_m^-1`` the sandwich covariance of the
      saturated estimates, ``W_c`` the complete-data normal-theory information at ``(m~, S~)``,
      ``Delta`` the model's moment Jacobian and ``Q = I - Delta (Delta' W_m Delta)^-1 Delta' W_m``
      (the information ``Delta' W_m Delta`` is lavaan's "h1" observed information, not the Hessian);
    * the same for the independence baseline ``(mu0, diag(var0))`` held at its FIML estimates.

    ``h1_information = (W_m, W_m^-1, J_m)`` as :func:`robust_fiml` returns them; with ``J_m =
    None`` (plain ML, "V6") ``Gamma`` is the normal-theory ``W_m^-1`` and ``c3 = (tr(W_c W_m^-1) -
    tr((Delta' W_c Delta)(Delta' W_m Delta)^-1)) / df``. Returns ``chi2``, ``scaling_factor``,
    ``baseline_chi2``, ``baseline_scaling_factor``.
    """
    p, q, n = structure.p, structure.n_free, pat.n
    theta, mu = phi[:q], phi[q:]
    sigma = structure.implied(theta[None])["sigma"][0]
    complete = Patterns([np.arange(p)], np.ones(1), [mu_h1], [s_h1], [np.arange(n)], n, p)
    w_c = saturated_information(complete, mu_h1, s_h1)
    info_h1, w_inv, first_order_h1 = h1_information
    eye = np.eye(len(info_h1))

    def k_trace(delta: np.ndarray) -> float:
        info = delta.T @ info_h1 @ delta
        if first_order_h1 is None:                                         # V6
            return float(np.sum(w_c * w_inv) - np.sum((delta.T @ w_c @ delta) * np.linalg.inv(info)))
        proj = eye - delta @ np.linalg.solve(info, delta.T @ info_h1)
        return float(np.sum(w_c * (proj @ w_inv @ first_order_h1 @ w_inv @ proj.T)))

    r, c = np.triu_indices(p)
    delta_b = np.zeros((len(r) + p, 2 * p))
    delta_b[np.flatnonzero(r == c), np.arange(p)] = 1.0                   # independence: variances, means
    delta_b[len(r):, p:] = np.eye(p)
    mu0, var0 = baseline
    df, df_b = len(r) - q, p * (p - 1) / 2
    return {"chi2": _complete_data_f(n, mu_h1, s_h1, mu, sigma),
            "scaling_factor": k_trace(_moment_jacobian(structure, theta)) / df,
            "baseline_chi2": _complete_data_f(n, mu_h1, s_h1, mu0, np.diag(var0)),
            "baseline_scaling_factor": k_trace(delta_b) / df_b}
