"""Multi-group CB-SEM: equality constraints across groups (lavaan's ``group.equal``) and the
invariance comparison."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
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
from .results import SEMResult

__all__ = ["MultiGroupSEMResult", "fit_sem_multigroup"]



# --------------------------------------------------------------------------- multiple groups
EQUALITY_CLASSES = ("loadings", "regressions", "residuals", "residual.covariances", "lv.variances",
                    "lv.covariances")


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
class MultiGroupSEMResult(SummaryMixin):
    """Result of a multi-group CB-SEM fit (:func:`fit_sem_multigroup`).

    Attributes
    ----------
    groups : dict of str to SEMResult
        Per-group results (estimates, paths, index, scores, ... of that group under the
        constrained model; their ``fit_indices`` describe the group's share of the fit only).
    estimates, paths, index : pandas.DataFrame
        The per-group tables stacked, with a leading ``group`` column.
    r_squared : pandas.DataFrame
        ``group, construct, r_squared``.
    fit_indices : pandas.Series
        Overall fit of the constrained model (lavaan's multi-group definitions: chi-square
        ``sum_g N_g F_g``, baseline the sum of the groups' independence models, RMSEA with
        lavaan's ``sqrt(G)`` factor, SRMR the ``N_g``-weighted mean of the groups' (each
        with the saturated means' zero residuals in its denominator, as lavaan's mean
        structure has them)).
    comparison : pandas.DataFrame
        The unconstrained (``free``) and constrained model: ``model, equal, chi2, df, cfi,
        tli, rmsea, aic, bic, delta_chi2, delta_df, p_value`` -- the chi-square difference
        (likelihood-ratio) test of the equality constraints.
    settings : dict
        ``group, equal, n_by_group, notes``.
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

    def summary(self) -> Summary:
        """Comparison of the free and constrained models, paths and index by group."""
        facts = {"group": self.settings.get("group"), "groups": ", ".join(map(str, self.groups)),
                 "equal": ", ".join(self.settings.get("equal", ())) or "(none)",
                 "chi2": float(self.fit_indices["chi2"]), "df": float(self.fit_indices["df"]),
                 "CFI": float(self.fit_indices["cfi"]), "RMSEA": float(self.fit_indices["rmsea"])}
        return Summary("Multi-group covariance-based SEM", facts=facts,
                       tables={"Constrained vs free": self.comparison, "Structural paths": self.paths,
                               "Index (0-100)": self.index},
                       notes=tuple(self.settings.get("notes", ())))


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
    ``"residual.covariances"``, ``"lv.variances"``, ``"lv.covariances"``) and labelled
    parameters are constrained equal across groups; the others are free in each group.
    The fit minimises ``sum_g (N_g/N) F_ML,g`` (lavaan's multi-group ML, item means
    saturated per group) and is compared with the unconstrained model by the chi-square
    difference test. Incomplete rows are dropped (listwise).

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
    0         free  216.0       NaN
    1  constrained  238.0      22.0
    >>> bool(res.comparison["p_value"].iloc[1] > 0.01)  # the generator has no group differences
    True
    """
    t_start = time.perf_counter()
    if isinstance(equal, str):
        equal = (equal,)
    equal = tuple(equal)
    unknown = [e for e in equal if e not in EQUALITY_CLASSES]
    if unknown:
        raise ParameterError(
            f"equal= names unknown parameter classes {quote_list(unknown)}; use "
            f"{quote_list(EQUALITY_CLASSES, limit=10, conj='or')} (intercepts and means are not modelled)."
        )
    spec = resolve_model(model, data)
    frame, sampling_weights, survey = _resolve_data(data)
    if group not in frame.columns:
        raise SurveyDataError(f"The data has no group column {group!r}.{did_you_mean(group, frame.columns)}")
    spec.check_data(frame.columns)
    items = list(spec.items)
    x_all = frame[items].to_numpy(dtype=float)
    gcol = frame[group]
    ok = ~np.isnan(x_all).any(axis=1) & gcol.notna().to_numpy()
    n_drop = int((~ok).sum())
    if n_drop:
        _warn(f"fit_sem_multigroup dropped {n_drop} of {len(frame)} rows with a missing item or group "
                      "(listwise deletion).", MissingDataWarning)
    labels = [g for g in pd.unique(gcol[ok])]
    labels = sorted(labels, key=str)
    if len(labels) < 2:
        raise SurveyDataError(f"Group column {group!r} has {len(labels)} group(s) among complete rows; need at least 2.")
    base = eng.build_structure(spec)
    p = base.p
    use_w = sampling_weights is not None and weights is not False
    xs, ss, means, ws, ns, idxs = [], [], [], [], [], []
    for g in labels:
        sel = ok & (gcol == g).to_numpy()
        xg = x_all[sel]
        if len(xg) <= p:
            raise SurveyDataError(
                f"Group {g!r} of {group!r} has {len(xg)} complete rows for {p} items: too few to estimate its "
                "covariance matrix. Merge small groups or use fewer items."
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
        xs.append(xg); ss.append(sg); means.append(mg); ws.append(wg); ns.append(len(xg))
        idxs.append(frame.index[sel])
    n_tot = int(sum(ns))
    wgt = np.array(ns, float) / n_tot

    def fit_model(eq: tuple[str, ...]):
        structs, maps, q_glob = multigroup_structures(base, len(labels), eq)
        x0 = np.zeros(q_glob)
        cnt = np.zeros(q_glob)
        for st_g, mp, sg in zip(structs, maps, ss):
            th = eng.fit_ml(base, sg[None], eng.start_values(base, spec, sg)[None], max_iter=max_iter).theta[0]
            np.add.at(x0, mp, th)
            np.add.at(cnt, mp, 1.0)
        x0 /= cnt
        fs = fit_multigroup(structs, ss, wgt, x0, max_iter=max_iter)
        return structs, maps, q_glob, fs

    notes: list[str] = []
    fits = {}
    for name, eq in (("free", ()), ("constrained", equal)):
        structs, maps, q_glob, fs = fit_model(eq)
        if not np.isfinite(fs.f[0]):
            raise ConvergenceError(f"The {name} multi-group model found no admissible solution.")
        if not fs.converged[0]:
            _warn(f"fit_sem_multigroup: the {name} model did not converge in {max_iter} iterations.",
                          ConvergenceWarning)
        fits[name] = (structs, maps, q_glob, fs)

    def overall(structs, maps, q_glob, fs):
        theta = fs.theta[0]
        chi2 = chi2_0 = 0.0
        logl = logl_h1 = 0.0
        srmr = 0.0
        for st_g, sg, ng, wg in zip(structs, ss, ns, wgt):
            sigma = st_g.implied(theta[None])["sigma"][0]
            one = _fit_measures(float(ng and eng.ml_objective(sigma[None], sg[None],
                                                                np.array([np.linalg.slogdet(sg)[1]]))[0][0]),
                                sg, sigma, ng, base.n_free, p)
            chi2 += one["chi2"]
            chi2_0 += one["baseline_chi2"]
            logl += one["logl"]
            logl_h1 += one["unrestricted_logl"]
            # lavaan's multi-group fit has a (saturated) mean structure: the zero mean residuals
            # count in the SRMR denominator, p(p+1)/2 + p
            srmr += wg * one["srmr"] * math.sqrt((p * (p + 1) / 2) / (p * (p + 1) / 2 + p))
        G = len(structs)
        df = G * p * (p + 1) / 2 - q_glob
        df0 = G * p * (p - 1) / 2
        pval = float(special.chdtrc(df, chi2)) if df > 0 else float("nan")
        cfi_den = max(chi2 - df, chi2_0 - df0, 0.0)
        cfi = 1.0 - max(chi2 - df, 0.0) / cfi_den if cfi_den > 0 else 1.0
        tli = ((chi2_0 / df0) - (chi2 / df)) / ((chi2_0 / df0) - 1.0) if df > 0 else float("nan")
        rmsea = math.sqrt(max(chi2 - df, 0.0) / (df * n_tot)) * math.sqrt(G) if df > 0 else float("nan")
        k = q_glob + G * p                      # + the saturated item means of each group (lavaan's npar)
        return pd.Series({"npar": float(k), "ntotal": float(n_tot), "chi2": chi2, "df": df, "pvalue": pval,
                          "baseline_chi2": chi2_0, "baseline_df": df0, "cfi": cfi, "tli": tli, "rmsea": rmsea,
                          "srmr": srmr, "logl": logl, "unrestricted_logl": logl_h1,
                          "aic": -2 * logl + 2 * k, "bic": -2 * logl + k * np.log(n_tot)}, dtype="float64")

    fi_free = overall(*fits["free"])
    fi_con = overall(*fits["constrained"])
    d_chi2 = fi_con["chi2"] - fi_free["chi2"]
    d_df = fi_con["df"] - fi_free["df"]
    p_diff = float(special.chdtrc(d_df, max(d_chi2, 0.0))) if d_df > 0 else float("nan")
    comparison = pd.DataFrame([
        {"model": "free", "equal": "", **{k: fi_free[k] for k in ("chi2", "df", "cfi", "tli", "rmsea", "aic", "bic")},
         "delta_chi2": np.nan, "delta_df": np.nan, "p_value": np.nan},
        {"model": "constrained", "equal": ", ".join(equal),
         **{k: fi_con[k] for k in ("chi2", "df", "cfi", "tli", "rmsea", "aic", "bic")},
         "delta_chi2": d_chi2, "delta_df": d_df, "p_value": p_diff},
    ])

    structs, maps, q_glob, fs = fits["constrained"]
    theta_glob = fs.theta[0]
    cov_glob = _invert_information(structs[0], fs.info[0], n_tot)
    groups: dict[str, SEMResult] = {}
    for g, st_g, mp, sg, mg, xg, wg_, ng, rows in zip(labels, structs, maps, ss, means, xs, ws, ns, idxs):
        theta_g = theta_glob[mp]
        cov_g = cov_glob[np.ix_(mp, mp)]
        f_g = float(eng.ml_objective(base.implied(theta_g[None])["sigma"], sg[None],
                                     np.array([np.linalg.slogdet(sg)[1]]))[0][0])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res_g = _assemble(spec, base, theta_g, cov_g, sg, mg, xg, wg_, rows, ng, f_g, bool(fs.converged[0]),
                              int(fs.iterations[0]), survey, scale, confidence, 0, None, None,
                              [f"Group {g!r} of the multi-group fit; its fit indices cover this group's share only."],
                              settings={"estimator": "ML", "missing": "listwise", "engine": "csindex",
                                        "information": "expected"}, t_start=t_start)
        for wmsg in caught:
            _warn(f"Group {g!r}: {wmsg.message}", wmsg.category)
        groups[str(g)] = res_g

    def stack(attr: str) -> pd.DataFrame:
        return pd.concat([getattr(r, attr).assign(group=g)[["group", *getattr(r, attr).columns]]
                          for g, r in groups.items()], ignore_index=True)

    shared_k = {k for k in range(base.n_free) if all(m[k] == maps[0][k] for m in maps)}
    est = stack("estimates")
    eq_flag = [bool(par.free and par.index in shared_k) for par in base.params] * len(groups)
    est["equal"] = eq_flag
    r2 = stack("r_squared")
    settings = {"group": group, "equal": equal, "n_by_group": dict(zip(map(str, labels), ns)),
                "weighted": use_w, "runtime_s": time.perf_counter() - t_start, "notes": tuple(notes)}
    return MultiGroupSEMResult(groups=groups, estimates=est, paths=stack("paths"), index=stack("index"),
                               r_squared=r2, fit_indices=fi_con, comparison=comparison, spec=spec,
                               settings=settings)
