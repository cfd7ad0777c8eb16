"""Full-information ML for incomplete data (lavaan's ``missing = \"ml\"``): pattern moments,
the FIML discrepancy with its gradient and expected information, EM for the saturated
model, and the fit of :func:`csindex.fit_sem` with ``missing="fiml"``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import quote_list
from ..exceptions import ConvergenceError, ConvergenceWarning, MissingDataWarning, SurveyDataError
from ._assemble import _assemble
from ._data import _check_sample_cov, _invert_information, _param_name, _warn
from ._engine import FitState, Structure, fit_ml, optimize, richardson_hessian, start_values
from ._fit_indices import _fit_measures_core

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
              max_iter, n_total):
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
                     settings={"estimator": "ML", "missing": "fiml", "engine": "csindex",
                               "information": information, "n_total": n_total},
                     t_start=t_start, fit=fit, scores_arr=scores, mean_cov=cov_mu)


