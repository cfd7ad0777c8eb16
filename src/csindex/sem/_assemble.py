"""Assembly of a :class:`SEMResult` from a fitted parameter vector: tables, standardised
solution, effects, factor scores and the 0-100 index."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from scipy import special

from .._validation import quote_list
from ..exceptions import DiscriminantValidityWarning, HeywoodWarning, InferenceWarning
from ..spec import ModelSpec
from . import _engine as eng
from ._data import _scale_bounds, _warn
from ._fit_indices import _fit_measures, scaled_indices
from .bootstrap import _bootstrap, _bootstrap_effects
from .results import SEMResult

_EST_COLUMNS = ["lhs", "op", "rhs", "estimate", "std_error", "z_value", "p_value", "ci_lower", "ci_upper",
                "std_lv", "std_all", "std_all_se", "free", "label"]
_EST_FLOATS = _EST_COLUMNS[3:12]
DISCRIMINANT_THRESHOLD = 0.95


# --------------------------------------------------------------------------- assembly
def _standardised(structure: eng.Structure, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """std_lv and std_all of every parameter-table row (lavaan's standardizedSolution), batched
    over the rows of ``theta`` (R, q) -> two arrays (R, n_params)."""
    mats = structure.implied(theta)
    c, sigma = mats["c"], mats["sigma"]
    sd_lv = np.sqrt(np.clip(np.diagonal(c, axis1=1, axis2=2), 1e-300, None))
    sd_ov = np.sqrt(np.clip(np.diagonal(sigma, axis1=1, axis2=2), 1e-300, None))
    r = theta.shape[0]
    npar = len(structure.params)
    std_lv = np.empty((r, npar))
    std_all = np.empty((r, npar))
    mat_code = np.array([par.mat for par in structure.params])
    rows = np.array([par.row for par in structure.params])
    cols = np.array([par.col for par in structure.params])
    for code, name in ((eng.LAM, "lam"), (eng.BET, "bet"), (eng.PSI, "psi"), (eng.THE, "the")):
        sel = np.flatnonzero(mat_code == code)
        if not len(sel):
            continue
        i, j = rows[sel], cols[sel]
        v = mats[name][:, i, j]
        if code == eng.LAM:
            std_lv[:, sel] = v * sd_lv[:, j]
            std_all[:, sel] = v * sd_lv[:, j] / sd_ov[:, i]
        elif code == eng.BET:
            std_lv[:, sel] = std_all[:, sel] = v * sd_lv[:, j] / sd_lv[:, i]
        elif code == eng.PSI:
            std_lv[:, sel] = std_all[:, sel] = v / (sd_lv[:, i] * sd_lv[:, j])
        else:
            std_lv[:, sel] = v
            std_all[:, sel] = v / (sd_ov[:, i] * sd_ov[:, j])
    return std_lv, std_all


def _standardised_se(structure: eng.Structure, theta: np.ndarray, cov_theta: np.ndarray) -> np.ndarray:
    """Delta-method standard errors of std_all (Jacobian by central differences, one batch)."""
    q = len(theta)
    h = 1e-6 * np.maximum(1.0, np.abs(theta))
    both = np.vstack([theta[None] + np.diag(h), theta[None] - np.diag(h)])
    _, sa = _standardised(structure, both)
    jac = (sa[:q] - sa[q:]) / (2 * h[:, None])             # (q, n_params)
    var = np.einsum("ka,kl,la->a", jac, cov_theta, jac)
    return np.sqrt(np.clip(var, 0, None))


def _assemble(spec, structure, theta, cov_theta, s, mean, x, w, row_index, n, f_min, converged, iterations,
              survey, scale, confidence, bootstrap, resolved, progress, notes, settings, t_start,
              fit=None, scores_arr=None, mean_cov=None, robust=None) -> SEMResult:
    """Every table of a :class:`SEMResult` from the estimates ``theta`` and their covariance.

    ``resolved`` is the :class:`~csindex._random.ResolvedSeed` of the bootstrap (None without);
    ``robust`` the MLR/MLM test pieces (:func:`csindex.sem.robust.robust_fit`)."""
    items = list(structure.observed)
    latent = list(structure.latent)
    mats = {k: v[0] for k, v in structure.implied(theta[None]).items()}
    sigma = mats["sigma"]
    se = np.sqrt(np.clip(np.diag(cov_theta), 0, None))
    z_crit = float(special.ndtri(0.5 + confidence / 2))
    std_lv_all, std_all_all = _standardised(structure, theta[None])
    std_lv, std_all = std_lv_all[0], std_all_all[0]
    std_se = _standardised_se(structure, theta, cov_theta)
    free = np.array([par.free for par in structure.params])
    pidx = np.array([par.index for par in structure.params])
    fixed_val = np.array([par.value for par in structure.params], dtype=float)
    est = np.where(free, theta[np.where(free, pidx, 0)], fixed_val)
    sej = np.where(free, se[np.where(free, pidx, 0)], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        zval = np.where(sej > 0, est / sej, np.nan)
    pval = 2.0 * special.ndtr(-np.abs(zval))
    lo_w = np.where(free, est - z_crit * sej, est)
    hi_w = np.where(free, est + z_crit * sej, est)
    params = structure.params
    cols = {"lhs": [par.lhs for par in params], "op": [par.op for par in params],
            "rhs": [par.rhs for par in params], "estimate": est, "std_error": sej, "z_value": zval,
            "p_value": pval, "ci_lower": lo_w, "ci_upper": hi_w, "std_lv": std_lv, "std_all": std_all,
            "std_all_se": std_se, "free": free, "label": [par.label for par in params]}
    estimates = pd.DataFrame({c: np.asarray(v, dtype="float64") if c in _EST_FLOATS else v for c, v in cols.items()})
    if mean_cov is not None:
        estimates = pd.concat([estimates, _intercept_rows(structure, mean, mean_cov, sigma, z_crit)],
                              ignore_index=True)

    c_lat = mats["c"]
    sd_lv = np.sqrt(np.clip(np.diag(c_lat), 1e-300, None))
    corr = c_lat / np.outer(sd_lv, sd_lv)
    latent_corr = pd.DataFrame(corr, index=latent, columns=latent)
    _warn_problems(structure, est, std_all, latent_corr)

    if fit is None:
        fit = _fit_measures(f_min, s, sigma, n, structure.n_free, structure.p)
    if robust is not None and fit["df"] > 0:
        extra = {k: robust[k] for k in ("scaling_factor_h1", "scaling_factor_h0") if k in robust}
        fit = pd.concat([fit, scaled_indices(fit, robust["scaling_factor"], robust["baseline_scaling_factor"], extra)])
    elif robust is not None:
        notes.append("The model is saturated (df = 0): robust standard errors only, no scaled test or robust fit "
                     "indices.")

    # structural paths, R², effects
    reg = np.array([par.op == "~" for par in params])
    paths = pd.DataFrame({
        "source": [par.rhs for par in params if par.op == "~"],
        "target": [par.lhs for par in params if par.op == "~"],
        "estimate": est[reg], "std_error": sej[reg], "z_value": zval[reg], "p_value": pval[reg],
        "ci_lower": lo_w[reg], "ci_upper": hi_w[reg], "std_all": std_all[reg], "std_all_se": std_se[reg],
    })
    li = {c: k for k, c in enumerate(latent)}
    r2 = pd.DataFrame({"construct": list(spec.endogenous),
                       "r_squared": [1.0 - mats["psi"][li[t], li[t]] / c_lat[li[t], li[t]] for t in spec.endogenous]})
    effects = _effects(structure, theta, cov_theta, spec, sd_lv)

    # scores, weights, index
    fs_w = mats["c"] @ mats["lam"].T @ np.linalg.inv(sigma)          # (m, p) factor-score weights
    if scores_arr is None:
        scores_arr = (x - mean) @ fs_w.T
    scores = pd.DataFrame(scores_arr, index=row_index, columns=latent)
    lo, hi, scale_src = _scale_bounds(items, x, scale, survey)
    if scale_src == "inferred":
        notes.append(f"Index scale inferred from the data: {lo[0]:g} to {hi[0]:g}; pass scale= to set it.")
    weights_df, index_df = _index_tables(spec, items, latent, fs_w, x, w, n, mean, mean_cov, lo, hi, confidence)

    boot_info = {}
    if bootstrap:
        estimates, index_df, boot_info = _bootstrap(
            structure, spec, theta, x, w, int(bootstrap), resolved.rng, progress, confidence, estimates, index_df,
            lo, hi)
        if boot_info.get("failed"):
            notes.append(f"{boot_info['failed']} of {bootstrap} bootstrap resamples did not converge and were dropped.")
        effects = _bootstrap_effects(structure, effects, boot_info["thetas"], confidence)
    settings = dict(settings)
    settings.update({
        "bootstrap": int(bootstrap), "seed": None if resolved is None else resolved.seed, "confidence": confidence,
        "n_used": int(n), "n_dropped": int(settings.pop("n_total", n)) - int(n),
        "bootstrap_failed": int(boot_info.get("failed", 0)),
        "scale": scale_src, "weighted": w is not None, "runtime_s": time.perf_counter() - t_start,
        "notes": tuple(notes),
    })
    missing_se = [f"{par.lhs} {par.op} {par.rhs}" for par, e in zip(params, sej) if par.free and np.isnan(e)]
    settings["se_note"] = (
        f"No standard error for {quote_list(missing_se, limit=8)}: the inverted information matrix gives them a "
        "negative variance (nearly singular information; improper or empirically under-identified solution)."
        if missing_se else None)
    if robust is not None:
        settings.update({k: robust[k] for k in ("se", "test", "trace_h1", "trace_h0", "trace_ugamma") if k in robust})
    if w is not None:
        notes.append("Sampling weights used for the sample moments; standard errors assume simple random "
                     "sampling (use bootstrap= for design-aware intervals).")
        settings["notes"] = tuple(notes)
    return SEMResult(
        estimates=estimates, fit_indices=fit, paths=paths, r_squared=r2, effects=effects, scores=scores,
        index=index_df, weights=weights_df, latent_correlations=latent_corr,
        implied_cov=pd.DataFrame(sigma, index=items, columns=items),
        sample_cov=pd.DataFrame(s, index=items, columns=items), spec=spec, n=int(n), converged=converged,
        iterations=int(iterations), settings=settings,
        _fit={"structure": structure, "theta": theta, "s": s, "n": int(n), "missing": settings.get("missing")},
    )


def _intercept_rows(structure, mu, mean_cov, sigma, z_crit) -> pd.DataFrame:
    """lavaan's ``~1`` rows of a model with a mean structure (FIML): the item intercepts (free;
    the latent means are fixed to 0, so an intercept is the item's model mean) and the latent
    means (fixed 0). ``std_all`` of an intercept is ``nu / sd(item)``, as lavaan's."""
    items, latent = list(structure.observed), list(structure.latent)
    se = np.sqrt(np.clip(np.diag(mean_cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, mu / se, np.nan)
    sd = np.sqrt(np.diag(sigma))
    rows = {"lhs": items + latent, "op": ["~1"] * (len(items) + len(latent)), "rhs": [""] * (len(items) + len(latent)),
            "estimate": np.concatenate([mu, np.zeros(len(latent))]),
            "std_error": np.concatenate([se, np.full(len(latent), np.nan)]),
            "z_value": np.concatenate([z, np.full(len(latent), np.nan)]),
            "p_value": np.concatenate([2.0 * special.ndtr(-np.abs(z)), np.full(len(latent), np.nan)]),
            "ci_lower": np.concatenate([mu - z_crit * se, np.zeros(len(latent))]),
            "ci_upper": np.concatenate([mu + z_crit * se, np.zeros(len(latent))]),
            "std_lv": np.concatenate([mu, np.zeros(len(latent))]),
            "std_all": np.concatenate([mu / sd, np.zeros(len(latent))]),
            "std_all_se": np.concatenate([se / sd, np.full(len(latent), np.nan)]),
            "free": [True] * len(items) + [False] * len(latent), "label": [""] * (len(items) + len(latent))}
    return pd.DataFrame(rows)


def _index_tables(spec, items, latent, fs_w, x, w, n, mean, mean_cov, lo, hi, confidence):
    """Factor-score weights per block and the 0-100 index of each construct (with a t interval;
    FIML: from the model-estimated item means and their covariance)."""
    li = {c: k for k, c in enumerate(latent)}
    weight_rows, index_rows = [], []
    oi = {i: k for k, i in enumerate(items)}
    z = 1 - (1 - confidence) / 2
    for b in spec.blocks:
        j = li[b.name]
        idx = [oi[i] for i in b.items]
        wj = fs_w[j, idx]
        wn = wj / wj.sum()
        neg = [i for i, v in zip(b.items, wn) if v < 0]
        if neg:
            _warn(
                f"Construct {b.name!r} has negative factor-score weights for {quote_list(neg)}; its 0-100 index "
                "can leave [0, 100]. Check the items' coding or drop them.", InferenceWarning
            )
        for i, a, c in zip(b.items, wj, wn):
            weight_rows.append({"construct": b.name, "item": i, "weight": float(a), "normalized_weight": float(c)})
        if mean_cov is not None:
            # FIML: the index of the model-estimated item means, SE from their covariance
            g = wn / (hi[idx] - lo[idx]) * 100
            val = float(((mean[idx] - lo[idx]) / (hi[idx] - lo[idx]) * 100) @ wn)
            se_i = float(np.sqrt(g @ mean_cov[np.ix_(idx, idx)] @ g))
            zc = float(special.ndtri(z))
            index_rows.append({"construct": b.name, "index": val, "std_error": se_i,
                               "ci_lower": val - zc * se_i, "ci_upper": val + zc * se_i})
            continue
        resc = (x[:, idx] - lo[idx]) / (hi[idx] - lo[idx]) * 100
        person = resc @ wn
        if w is None:
            val = float(person.mean())
            se_i = float(person.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
            dfree = n - 1
        else:
            val = float(w @ person)
            n_eff = 1.0 / float(np.sum(w**2))
            se_i = float(np.sqrt(w @ (person - val) ** 2 * n_eff / max(n_eff - 1, 1)) / np.sqrt(n_eff))
            dfree = max(n_eff - 1, 1)
        t = float(special.stdtrit(dfree, z))
        index_rows.append({"construct": b.name, "index": val, "std_error": se_i,
                           "ci_lower": val - t * se_i, "ci_upper": val + t * se_i})
    return pd.DataFrame(weight_rows), pd.DataFrame(index_rows)


def _warn_problems(structure, est, std_all, latent_corr) -> None:
    params = structure.params
    neg = [f"{p.lhs} ~~ {p.rhs} = {e:.3g}" for p, e in zip(params, est)
           if p.free and p.op == "~~" and p.lhs == p.rhs and e < 0]
    if neg:
        _warn(
            f"Heywood case: negative variance estimate(s) {quote_list(neg)}. The solution is improper; "
            "the construct may have too few or too weak items, or the model is misspecified.",
            HeywoodWarning
        )
    # an optimiser that bounds variances at zero (semopy) shows an improper solution as a
    # variance sitting exactly at the bound
    zero = [f"{p.lhs} ~~ {p.rhs}" for p, e in zip(params, est)
            if p.free and p.op == "~~" and p.lhs == p.rhs and 0 <= e < 1e-10]
    if zero:
        _warn(
            f"Heywood case: variance estimate(s) {quote_list(zero)} sit at zero (the bound of the optimiser); "
            "an unbounded fit would make them negative. Use engine='csindex' to see the improper value.",
            HeywoodWarning
        )
    big = [f"{p.lhs} =~ {p.rhs} ({v:.3f})" for p, v in zip(params, std_all) if p.op == "=~" and abs(v) > 1.0]
    if big:
        _warn(f"Heywood case: standardised loading(s) above 1: {quote_list(big)}.", HeywoodWarning)
    lat = list(latent_corr.index)
    corr = latent_corr.to_numpy()
    pairs = [f"{lat[a]} and {lat[b]} ({corr[a, b]:.3f})" for a in range(len(lat)) for b in range(a + 1, len(lat))
             if abs(corr[a, b]) > DISCRIMINANT_THRESHOLD]
    if pairs:
        _warn(
            f"Constructs {quote_list(pairs)} correlate above {DISCRIMINANT_THRESHOLD}: they may not be "
            "distinct (discriminant validity), and paths from both are poorly determined. Consider merging "
            "them or revising their items.", DiscriminantValidityWarning
        )


def _effects(structure, theta, cov_theta, spec, sd_lv) -> pd.DataFrame:
    latent = list(structure.latent)
    m = len(latent)

    def total_of(th: np.ndarray) -> np.ndarray:
        bet = structure.matrices(th)[eng.BET]
        return np.linalg.inv(np.eye(m)[None] - bet) - np.eye(m)[None]

    bet = structure.matrices(theta[None])[eng.BET][0]
    total = total_of(theta[None])[0]
    indirect = total - bet
    # delta method: Jacobian of total effects by central differences (one batch)
    q = len(theta)
    h = 1e-6 * np.maximum(1.0, np.abs(theta))
    tp = total_of(theta[None] + np.diag(h))
    tm = total_of(theta[None] - np.diag(h))
    jac = ((tp - tm) / (2 * h[:, None, None])).reshape(q, m * m)      # q x (m*m)
    bp = structure.matrices(theta[None] + np.diag(h))[eng.BET]
    bm = structure.matrices(theta[None] - np.diag(h))[eng.BET]
    jac_ind = jac - ((bp - bm) / (2 * h[:, None, None])).reshape(q, m * m)
    var_tot = np.einsum("ka,kl,la->a", jac, cov_theta, jac).reshape(m, m)
    var_ind = np.einsum("ka,kl,la->a", jac_ind, cov_theta, jac_ind).reshape(m, m)
    rows = []
    order = spec.topological_order
    for s_name in order:
        for t_name in order:
            i, j = latent.index(t_name), latent.index(s_name)
            if i == j or (total[i, j] == 0 and bet[i, j] == 0 and not _reachable(spec, s_name, t_name)):
                continue
            rows.append({"source": s_name, "target": t_name, "direct": float(bet[i, j]),
                         "indirect": float(indirect[i, j]), "total": float(total[i, j]),
                         "indirect_se": float(np.sqrt(max(var_ind[i, j], 0))),
                         "total_se": float(np.sqrt(max(var_tot[i, j], 0))),
                         "total_std": float(total[i, j] * sd_lv[j] / sd_lv[i])})
    cols = ["source", "target", "direct", "indirect", "total", "indirect_se", "total_se", "total_std"]
    return pd.DataFrame(rows, columns=cols)


def _reachable(spec: ModelSpec, source: str, target: str) -> bool:
    frontier, seen = [source], set()
    while frontier:
        c = frontier.pop()
        for nxt in spec.successors(c):
            if nxt == target:
                return True
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return False


