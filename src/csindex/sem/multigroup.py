"""Multi-group CB-SEM: equality constraints across groups (lavaan's ``group.equal``) and the
invariance comparison."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._summary import Summary, SummaryMixin
from .._params import renamed, validate_params
from .._validation import did_you_mean, quote_list
from ..exceptions import (ConvergenceError, ConvergenceWarning, EstimationError, MissingDataWarning, ParameterError,
                          SurveyDataError)
from ..models import resolve_model
from ..spec import ModelSpec
from . import _engine as eng
from ._assemble import _assemble
from ._data import _check_sample_cov, _invert_information, _moments, _resolve_data, _warn
from ._engine import BET, LAM, THE, FitState, Param, Structure, gradient_information, optimize
from ._fit_indices import _fit_measures
from ._means import MeanLayout, fit_multigroup_means, implied_means, mean_layout
from .results import SEMResult

__all__ = ["InvarianceModel", "MultiGroupSEMResult", "fit_sem_multigroup"]



# --------------------------------------------------------------------------- multiple groups
EQUALITY_CLASSES = ("loadings", "regressions", "residuals", "residual.covariances", "lv.variances",
                    "lv.covariances", "intercepts", "means")


def parameter_class(par: Param) -> str:
    """lavaan's ``group.equal`` class of a parameter."""
    if par.mat == LAM:
        return "loadings"
    if par.mat == BET:
        return "regressions"
    if par.mat == THE:
        return "residuals" if par.row == par.col else "residual.covariances"
    return "lv.variances" if par.row == par.col else "lv.covariances"


def multigroup_structures(base: Structure, n_groups: int, equal: tuple[str, ...]) -> tuple[list[Structure], list[np.ndarray], int]:
    """One Structure per group whose free cells point into a global parameter vector.

    Parameters of a class in ``equal`` (and labelled parameters, as in lavaan) are one
    global parameter shared by all groups; every other free parameter has a copy per group.
    Returns the structures, each group's map from base to global indices, and the global size.
    """
    q = base.n_free
    shared = np.zeros(q, bool)
    for par in base.params:
        if par.free and (parameter_class(par) in equal or par.label):
            shared[par.index] = True
    maps = []
    nxt = 0
    shared_idx = {}
    for k in np.flatnonzero(shared):
        shared_idx[k] = nxt
        nxt += 1
    for _g in range(n_groups):
        mp = np.empty(q, int)
        for k in range(q):
            if shared[k]:
                mp[k] = shared_idx[k]
            else:
                mp[k] = nxt
                nxt += 1
        maps.append(mp)
    structs = []
    for mp in maps:
        st = Structure(base.observed, base.latent, base.params, base.n_free)
        st.base = base.base
        st.cell_mat, st.cell_row, st.cell_col = base.cell_mat, base.cell_row, base.cell_col
        st.cell_par = mp[base.cell_par]
        st.n_free = nxt
        structs.append(st)
    return structs, maps, nxt


def fit_multigroup(structs: list[Structure], s_list: list[np.ndarray], weights: np.ndarray, x0: np.ndarray, *,
                   max_iter: int = 500, tol: float = 1e-10) -> FitState:
    """Minimise sum_g w_g F_ML,g over the global parameter vector."""
    logdets = [np.linalg.slogdet(s)[1] for s in s_list]

    def fun(x, idx, info):
        out = None
        r = x.shape[0]
        for st, s, ld, w in zip(structs, s_list, logdets, weights):
            res = gradient_information(st, x, np.repeat(s[None], r, axis=0), np.full(r, ld), info=info)
            if out is None:
                out = {"f": w * res["f"], "grad": w * res["grad"]}
                if info:
                    out["info"] = w * res["info"]
            else:
                out["f"] = out["f"] + w * res["f"]
                out["grad"] = out["grad"] + w * res["grad"]
                if info:
                    out["info"] = out["info"] + w * res["info"]
        return out

    return optimize(fun, x0[None], max_iter=max_iter, tol=tol, newton=True)

# --------------------------------------------------------------------------- multiple groups
@dataclass(frozen=True, repr=False)
class InvarianceModel(SummaryMixin):
    """One fitted model of the invariance sequence of :func:`fit_sem_multigroup`.

    Attributes
    ----------
    name : str
        ``"configural"`` or the class of parameters this step adds (``"loadings"``, ...).
    equal : tuple of str
        Every class held equal across groups in this model.
    groups : dict of str to SEMResult
        Per-group results under this model (their ``fit_indices`` cover the group's share only).
    estimates, paths, index, r_squared : pandas.DataFrame
        The per-group tables stacked with a leading ``group`` column; ``estimates`` also has
        ``equal`` (the parameter is one parameter shared by all groups).
    fit_indices : pandas.Series
        Overall fit (lavaan's multi-group definitions): ``npar, ntotal, chi2, df, pvalue,
        baseline_chi2, baseline_df, cfi, tli, rmsea, srmr, logl, unrestricted_logl, aic, bic``.
    """

    name: str
    equal: tuple[str, ...]
    groups: Mapping[str, SEMResult]
    estimates: pd.DataFrame
    paths: pd.DataFrame
    index: pd.DataFrame
    r_squared: pd.DataFrame
    fit_indices: pd.Series
    settings: Mapping[str, Any] = field(default_factory=dict)

    def summary(self) -> Summary:
        """Fit and structural paths by group."""
        fi = self.fit_indices
        facts = {"model": self.name, "equal": ", ".join(self.equal) or "(none)", "chi2": float(fi["chi2"]),
                 "df": float(fi["df"]), "CFI": float(fi["cfi"]), "RMSEA": float(fi["rmsea"]),
                 "SRMR": float(fi["srmr"])}
        return Summary(f"Multi-group CB-SEM: {self.name} model", facts=facts,
                       tables={"Structural paths": self.paths, "Index (0-100)": self.index})


@dataclass(frozen=True, repr=False)
class MultiGroupSEMResult(SummaryMixin):
    """Result of a multi-group CB-SEM fit (:func:`fit_sem_multigroup`).

    Attributes
    ----------
    models : dict of str to InvarianceModel
        Every fitted model of the invariance sequence, in order (``"configural"`` first,
        then one per class of ``equal``), each with full estimates and fit indices.
    groups : dict of str to SEMResult
        Per-group results of the most constrained model, groups in order of first appearance.
    estimates, paths, index, r_squared, fit_indices
        Those of the most constrained model (see :class:`InvarianceModel`).
    comparison : pandas.DataFrame
        One row per model: ``model, equal, npar, chi2, df, pvalue, cfi, tli, rmsea, srmr,
        aic, bic, delta_chi2, delta_df, p_value, delta_cfi, delta_rmsea`` -- the chi-square
        difference (likelihood-ratio) test of each model against the previous one and the
        changes in CFI and RMSEA (lavaan's ``lavTestLRT`` and ``fitMeasures`` per model).
    settings : dict
        ``group, groups, equal, n_by_group, n_used, n_dropped, seed, weighted, runtime_s, notes``.
    """

    groups: Mapping[str, SEMResult]
    estimates: pd.DataFrame
    paths: pd.DataFrame
    index: pd.DataFrame
    r_squared: pd.DataFrame
    fit_indices: pd.Series
    comparison: pd.DataFrame
    spec: ModelSpec
    settings: Mapping[str, Any] = field(default_factory=dict)
    models: Mapping[str, InvarianceModel] = field(default_factory=dict)

    def plot(self, *, ax: Any = None):
        """The groups' 0-100 indices side by side (:func:`csindex.plots.index_chart`)."""
        from ..plots import index_chart

        return index_chart(self.index, group="group", ax=ax)

    def summary(self) -> Summary:
        """The invariance sequence compared, paths and index by group."""
        facts = {"group": self.settings.get("group"), "groups": ", ".join(map(str, self.groups)),
                 "equal": ", ".join(self.settings.get("equal", ())) or "(none)",
                 "chi2": float(self.fit_indices["chi2"]), "df": float(self.fit_indices["df"]),
                 "CFI": float(self.fit_indices["cfi"]), "RMSEA": float(self.fit_indices["rmsea"])}
        return Summary("Multi-group covariance-based SEM", facts=facts,
                       tables={"Invariance models": self.comparison, "Structural paths": self.paths,
                               "Index (0-100)": self.index},
                       notes=tuple(self.settings.get("notes", ())))


@dataclass
class _Groups:
    labels: list[Any]
    xs: list[np.ndarray]
    ss: list[np.ndarray]
    means: list[np.ndarray]
    ws: list[np.ndarray | None]
    ns: list[int]
    rows: list[pd.Index]
    n_dropped: int


def _split_groups(frame: pd.DataFrame, items: list[str], group: str, sampling_weights: Any,
                  use_w: bool) -> _Groups:
    """Complete rows of each group (order of first appearance), their moments and weights."""
    if not isinstance(group, str) and not isinstance(group, (int, np.integer)):
        raise ParameterError(f"The 'group' parameter of fit_sem_multigroup must be a column name. Got {group!r} instead.")
    if group not in frame.columns:
        raise SurveyDataError(f"The data has no group column {group!r}.{did_you_mean(group, frame.columns)}")
    non_numeric = [c for c in items if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        raise SurveyDataError(
            f"Item(s) {quote_list(non_numeric)} are not numeric. Recode them (or load the data with "
            "csindex.load_survey and a codebook) before fitting."
        )
    x_all = frame[items].to_numpy(dtype=float)
    infinite = [items[k] for k in np.flatnonzero(np.isinf(x_all).any(axis=0))]
    if infinite:
        raise SurveyDataError(f"Item(s) {quote_list(infinite)} hold infinite values; replace them by valid "
                              "ratings or leave the cells empty (missing) before fitting.")
    if len(frame) == 0:
        raise SurveyDataError("The data passed to fit_sem_multigroup is empty (no rows); nothing to fit.")
    gcol = frame[group]
    ok = ~np.isnan(x_all).any(axis=1) & gcol.notna().to_numpy()
    n_drop = int((~ok).sum())
    if n_drop:
        _warn(f"fit_sem_multigroup dropped {n_drop} of {len(frame)} rows with a missing item or group "
              "(listwise deletion).", MissingDataWarning)
    labels = list(pd.unique(gcol[gcol.notna()]))       # lavaan: order of first appearance in the data
    if len(labels) < 2:
        raise SurveyDataError(f"Group column {group!r} has {len(labels)} group(s) among complete rows; need at least 2.")
    out = _Groups(labels, [], [], [], [], [], [], n_drop)
    for g in labels:
        sel = ok & (gcol == g).to_numpy()
        xg = x_all[sel]
        if len(xg) <= len(items):
            raise SurveyDataError(
                f"Group {g!r} of {group!r} has {len(xg)} complete rows for {len(items)} items: too few to estimate "
                "its covariance matrix. Merge small groups or use fewer items."
            )
        wg = None
        if use_w:
            wg = np.asarray(sampling_weights, dtype=float)[sel]
            wg = wg / wg.sum()
        mg, sg = _moments(xg, wg)
        try:
            _check_sample_cov(sg, items, len(xg))
        except EstimationError as err:
            raise EstimationError(f"In group {g!r}: {err}") from None
        for lst, val in ((out.xs, xg), (out.ss, sg), (out.means, mg), (out.ws, wg), (out.ns, len(xg)),
                         (out.rows, frame.index[sel])):
            lst.append(val)
    return out


def _overall_fit(base: Structure, structs: list[Structure], theta: np.ndarray, grp: _Groups, npar: int,
                 mean_resid: list[np.ndarray] | None = None) -> pd.Series:
    """lavaan's multi-group fit measures from the groups' single-group pieces; ``mean_resid``
    are the groups' mean residuals ``xbar_g - mu_g`` of a model with a mean structure (None:
    saturated means, zero residuals). ``npar`` counts every free parameter, the saturated
    means included (lavaan's npar)."""
    p = base.p
    n_tot = int(sum(grp.ns))
    pstar = p * (p + 1) / 2
    chi2 = chi2_0 = logl = logl_h1 = srmr = 0.0
    for k, (st_g, sg, ng) in enumerate(zip(structs, grp.ss, grp.ns)):
        sigma = st_g.implied(theta[None])["sigma"][0]
        f_g = float(eng.ml_objective(sigma[None], sg[None], np.array([np.linalg.slogdet(sg)[1]]))[0][0])
        one = _fit_measures(f_g, sg, sigma, ng, base.n_free, p)
        d = np.zeros(p) if mean_resid is None else mean_resid[k]
        quad = float(d @ np.linalg.solve(sigma, d))
        chi2 += one["chi2"] + ng * quad
        chi2_0 += one["baseline_chi2"]
        logl += one["logl"] - ng / 2 * quad
        logl_h1 += one["unrestricted_logl"]
        # lavaan's multi-group fit has a mean structure: the mean residuals (zero when saturated)
        # count in the SRMR, over p(p+1)/2 + p moments
        ss_cov = one["srmr"] ** 2 * pstar
        srmr += ng / n_tot * math.sqrt((ss_cov + float(np.sum(d**2 / np.diag(sg)))) / (pstar + p))
    n_g = len(structs)
    df = n_g * (pstar + p) - npar
    df0 = n_g * p * (p - 1) / 2
    pval = float(special.chdtrc(df, chi2)) if df > 0 else float("nan")
    cfi_den = max(chi2 - df, chi2_0 - df0, 0.0)
    cfi = 1.0 - max(chi2 - df, 0.0) / cfi_den if cfi_den > 0 else 1.0
    tli = ((chi2_0 / df0) - (chi2 / df)) / ((chi2_0 / df0) - 1.0) if df > 0 else float("nan")
    rmsea = math.sqrt(max(chi2 - df, 0.0) / (df * n_tot)) * math.sqrt(n_g) if df > 0 else float("nan")
    return pd.Series({"npar": float(npar), "ntotal": float(n_tot), "chi2": chi2, "df": df, "pvalue": pval,
                      "baseline_chi2": chi2_0, "baseline_df": df0, "cfi": cfi, "tli": tli, "rmsea": rmsea,
                      "srmr": srmr, "logl": logl, "unrestricted_logl": logl_h1,
                      "aic": -2 * logl + 2 * npar, "bic": -2 * logl + npar * np.log(n_tot)}, dtype="float64")


def _fit_means_model(structs: list[Structure], grp: _Groups, spec: ModelSpec, base: Structure, eq: tuple[str, ...],
                     x0_cov: np.ndarray, max_iter: int) -> tuple[FitState, MeanLayout]:
    """Fit a model with intercept invariance (and latent means free in groups 2.. unless ``"means"``)."""
    q_glob = len(x0_cov)
    layout = mean_layout(q_glob, base.p, base.m, len(structs), free_means="means" not in eq)
    for st in structs:
        st.n_free = layout.size
    n_tot = int(sum(grp.ns))
    w = np.array(grp.ns, float) / n_tot
    x0 = np.zeros(layout.size)
    x0[:q_glob] = x0_cov
    x0[layout.nu] = sum(wg * mg for wg, mg in zip(w, grp.means))
    fs = fit_multigroup_means(structs, grp.ss, grp.means, w, layout, x0, max_iter=max_iter)
    return fs, layout


def _mean_rows(base: Structure, x: np.ndarray, cov: np.ndarray, layout: MeanLayout, g: int, st: Structure,
               z_crit: float) -> pd.DataFrame:
    """lavaan's ``~1`` rows of group ``g``: the (shared) item intercepts and the latent means."""
    mats = {k: v[0] for k, v in st.implied(x[None]).items()}
    sd_ov, sd_lv = np.sqrt(np.diag(mats["sigma"])), np.sqrt(np.diag(mats["c"]))
    a_idx = layout.alpha[g]
    idx = np.concatenate([layout.nu, a_idx if a_idx is not None else np.zeros(0, int)])
    est = np.concatenate([x[layout.nu], x[a_idx] if a_idx is not None else np.zeros(base.m)])
    se = np.full(len(est), np.nan)
    se[:len(idx)] = np.sqrt(np.clip(np.diag(cov)[idx], 0, None))
    free = np.array([True] * base.p + [a_idx is not None] * base.m)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, est / se, np.nan)
    sd = np.concatenate([sd_ov, sd_lv])
    lo = np.where(free, est - z_crit * se, est)
    hi = np.where(free, est + z_crit * se, est)
    names = list(base.observed) + list(base.latent)
    return pd.DataFrame({"lhs": names, "op": "~1", "rhs": "", "estimate": est, "std_error": se, "z_value": z,
                         "p_value": 2.0 * special.ndtr(-np.abs(z)), "ci_lower": lo, "ci_upper": hi,
                         "std_lv": np.concatenate([est[:base.p], est[base.p:] / sd_lv]), "std_all": est / sd,
                         "std_all_se": se / sd, "free": free, "label": ""})


def _fit_invariance_model(name: str, eq: tuple[str, ...], spec: ModelSpec, base: Structure, grp: _Groups,
                          survey: Any, scale: Any, confidence: float, max_iter: int, t_start: float,
                          seen: set[tuple[str, str]]) -> InvarianceModel:
    """Fit one model of the sequence and assemble its per-group results."""
    structs, maps, q_glob = multigroup_structures(base, len(grp.labels), eq)
    x0 = np.zeros(q_glob)
    cnt = np.zeros(q_glob)
    for mp, sg in zip(maps, grp.ss):
        th = eng.fit_ml(base, sg[None], eng.start_values(base, spec, sg)[None], max_iter=max_iter).theta[0]
        np.add.at(x0, mp, th)
        np.add.at(cnt, mp, 1.0)
    n_tot = int(sum(grp.ns))
    layout = None
    if "intercepts" in eq:
        fs, layout = _fit_means_model(structs, grp, spec, base, eq, x0 / cnt, max_iter)
    else:
        fs = fit_multigroup(structs, grp.ss, np.array(grp.ns, float) / n_tot, x0 / cnt, max_iter=max_iter)
    if not np.isfinite(fs.f[0]):
        raise ConvergenceError(f"The {name} multi-group model found no admissible solution.")
    if not fs.converged[0]:
        _warn(f"fit_sem_multigroup: the {name} model did not converge in {max_iter} iterations.", ConvergenceWarning)
    theta_glob = fs.theta[0]
    cov_glob = _invert_information(structs[0], fs.info[0], n_tot)
    groups: dict[str, SEMResult] = {}
    for g, mp, sg, mg, xg, wg, ng, rows in zip(grp.labels, maps, grp.ss, grp.means, grp.xs, grp.ws, grp.ns,
                                               grp.rows):
        theta_g = theta_glob[mp]
        f_g = float(eng.ml_objective(base.implied(theta_g[None])["sigma"], sg[None],
                                     np.array([np.linalg.slogdet(sg)[1]]))[0][0])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res_g = _assemble(spec, base, theta_g, cov_glob[np.ix_(mp, mp)], sg, mg, xg, wg, rows, ng, f_g,
                              bool(fs.converged[0]), int(fs.iterations[0]), survey, scale, confidence, 0, None,
                              None, [f"Group {g!r} of the {name} multi-group model; its fit indices cover this "
                                     "group's share only."],
                              settings={"estimator": "ML", "missing": "listwise", "engine": "csindex",
                                        "information": "expected"}, t_start=t_start)
        for wmsg in caught:               # each problem once, whichever model of the sequence shows it
            if (str(g), str(wmsg.message)) not in seen:
                seen.add((str(g), str(wmsg.message)))
                _warn(f"Group {g!r}: {wmsg.message}", wmsg.category)
        if layout is not None:
            z_crit = float(special.ndtri(0.5 + confidence / 2))
            rows_mean = _mean_rows(base, theta_glob, cov_glob, layout, len(groups), structs[len(groups)], z_crit)
            res_g = replace(res_g, estimates=pd.concat([res_g.estimates, rows_mean], ignore_index=True))
        groups[str(g)] = res_g

    def stack(attr: str) -> pd.DataFrame:
        return pd.concat([getattr(r, attr).assign(group=g)[["group", *getattr(r, attr).columns]]
                          for g, r in groups.items()], ignore_index=True)

    shared_k = {k for k in range(base.n_free) if all(m[k] == maps[0][k] for m in maps)}
    est = stack("estimates")
    flags = [bool(par.free and par.index in shared_k) for par in base.params]
    if layout is not None:
        flags = flags + [True] * base.p + ["means" in eq] * base.m
    est["equal"] = flags * len(groups)
    if layout is None:
        fit = _overall_fit(base, structs, theta_glob, grp, q_glob + len(structs) * base.p)
    else:
        resid = [mg - implied_means(st, theta_glob[None], layout.nu, a)[0]
                 for st, mg, a in zip(structs, grp.means, layout.alpha)]
        fit = _overall_fit(base, structs, theta_glob, grp, layout.size, resid)
    settings = {"equal": eq, "n_used": n_tot, "n_dropped": grp.n_dropped, "seed": None,
                "converged": bool(fs.converged[0])}
    return InvarianceModel(name=name, equal=eq, groups=groups, estimates=est, paths=stack("paths"),
                           index=stack("index"), r_squared=stack("r_squared"), fit_indices=fit, settings=settings)


def _comparison(models: list[InvarianceModel]) -> pd.DataFrame:
    rows = []
    prev = None
    for mod in models:
        fi = mod.fit_indices
        row = {"model": mod.name, "equal": ", ".join(mod.equal),
               **{k: float(fi[k]) for k in ("npar", "chi2", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic",
                                            "bic")}}
        if prev is None:
            row.update(delta_chi2=np.nan, delta_df=np.nan, p_value=np.nan, delta_cfi=np.nan, delta_rmsea=np.nan)
        else:
            d_chi2, d_df = fi["chi2"] - prev["chi2"], fi["df"] - prev["df"]
            row.update(delta_chi2=d_chi2, delta_df=d_df,
                       p_value=float(special.chdtrc(d_df, max(d_chi2, 0.0))) if d_df > 0 else np.nan,
                       delta_cfi=fi["cfi"] - prev["cfi"], delta_rmsea=fi["rmsea"] - prev["rmsea"])
        rows.append(row)
        prev = fi
    return pd.DataFrame(rows)


@renamed(use_weights="weights")
@validate_params(common=("confidence", "max_iter"))
def fit_sem_multigroup(
    data: Any,
    model: ModelSpec | str,
    group: str,
    *,
    equal: tuple[str, ...] | list[str] | str = ("loadings",),
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    confidence: float = 0.95,
    max_iter: int = 500,
    weights: bool | None = None,
) -> MultiGroupSEMResult:
    """Multi-group CB-SEM with equality constraints across groups and their chi-square test.

    Every group gets the same model; parameters of the classes in ``equal`` (lavaan's
    ``group.equal``: ``"loadings"``, ``"regressions"``, ``"residuals"``,
    ``"residual.covariances"``, ``"lv.variances"``, ``"lv.covariances"``, ``"intercepts"``,
    ``"means"``; see :mod:`csindex.sem._means` for the mean structure) and labelled
    parameters are constrained equal across groups; the others are free in each group.
    The fit minimises ``sum_g (N_g/N) F_ML,g`` (lavaan's multi-group ML, item means
    saturated per group). The invariance sequence is fitted in full: the configural model
    (no constraint), then one model per class of ``equal``, each adding its class to the
    previous constraints (``equal=("loadings", "regressions")``: configural, loadings,
    loadings + regressions); each is compared with the previous one by the chi-square
    difference test and the changes in CFI and RMSEA. Groups keep the order of their first
    appearance in the data (as lavaan). Incomplete rows are dropped (listwise).

    Parameters
    ----------
    data : pandas.DataFrame or Survey
    model : ModelSpec or str
    group : str
        Column defining the groups (rows with a missing group are dropped).
    equal : sequence of str or str
        Classes of parameters held equal across groups (``()`` for none).
    scale, confidence, max_iter, weights
        As in :func:`fit_sem`.

    Returns
    -------
    MultiGroupSEMResult

    Examples
    --------
    >>> import csindex
    >>> from csindex.sem import fit_sem_multigroup
    >>> survey = csindex.datasets.airline()
    >>> spec = csindex.models.ccsi(survey)
    >>> data = survey.responses.dropna(subset=list(spec.items))
    >>> res = fit_sem_multigroup(data, spec, "gender", equal=("loadings", "regressions"))
    >>> res.comparison[["model", "df", "delta_df"]]
             model     df  delta_df
    0   configural  216.0       NaN
    1     loadings  227.0      11.0
    2  regressions  238.0      11.0
    >>> bool(res.comparison["p_value"].iloc[1:].min() > 0.01)  # the generator has no group differences
    True
    >>> list(res.models), float(res.models["loadings"].fit_indices["df"])
    (['configural', 'loadings', 'regressions'], 227.0)
    """
    t_start = time.perf_counter()
    if not isinstance(equal, (str, list, tuple)):
        raise ParameterError(f"The 'equal' parameter of fit_sem_multigroup must be a class name such as 'loadings' "
                             f"or a list of them. Got {equal!r} instead.")
    equal = (equal,) if isinstance(equal, str) else tuple(equal)
    unknown = [e for e in equal if e not in EQUALITY_CLASSES]
    if unknown:
        raise ParameterError(
            f"equal= names unknown parameter classes {quote_list(unknown)}; use "
            f"{quote_list(EQUALITY_CLASSES, limit=10, conj='or')}."
        )
    if "means" in equal and "intercepts" not in equal:
        raise ParameterError("equal= 'means' needs 'intercepts' before it (latent means are compared on "
                             "common intercepts), e.g. equal=('loadings', 'intercepts', 'means').")
    if len(set(equal)) < len(equal):
        raise ParameterError(f"equal= names a class twice: {equal!r}.")
    spec = resolve_model(model, data)
    frame, sampling_weights, survey = _resolve_data(data)
    spec.check_data(frame.columns)
    use_w = sampling_weights is not None and weights is not False
    grp = _split_groups(frame, list(spec.items), group, sampling_weights, use_w)
    base = eng.build_structure(spec)
    sequence = [("configural", ())] + [(cls, equal[:k + 1]) for k, cls in enumerate(equal)]
    seen: set[tuple[str, str]] = set()
    models = [_fit_invariance_model(name, eq, spec, base, grp, survey, scale, confidence, max_iter, t_start, seen)
              for name, eq in sequence]
    last = models[-1]
    n_used = int(sum(grp.ns))
    settings = {"group": group, "groups": [str(g) for g in grp.labels], "equal": equal,
                "n_by_group": dict(zip(map(str, grp.labels), grp.ns)), "n_used": n_used,
                "n_dropped": int(grp.n_dropped), "seed": None, "weighted": use_w,
                "runtime_s": time.perf_counter() - t_start, "notes": ()}
    return MultiGroupSEMResult(groups=last.groups, estimates=last.estimates, paths=last.paths, index=last.index,
                               r_squared=last.r_squared, fit_indices=last.fit_indices,
                               comparison=_comparison(models), spec=spec, settings=settings,
                               models={m.name: m for m in models})
