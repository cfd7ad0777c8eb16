"""Covariance-based structural equation modelling (CB-SEM) with lavaan's definitions.

:func:`fit_sem` estimates a reflective latent path model (a :class:`~csindex.spec.ModelSpec`
or lavaan syntax) by maximum likelihood and returns a :class:`SEMResult` whose numbers
follow R lavaan's ``sem()`` defaults:

* parameterisation: first loading of each construct fixed to 1, free residual variances,
  free (residual) construct variances, free covariances among exogenous constructs;
* ML discrepancy ``F = log|Sigma| + tr(S Sigma^-1) - log|S| - p`` with ``S`` the sample
  covariance with divisor N (lavaan's ``likelihood = "normal"``); chi-square ``= N F``;
* standard errors from the expected information ``(2/N) [Delta' (Sigma^-1 (x) Sigma^-1)
  Delta]^-1`` (lavaan's ``information = "expected"``), or the observed one;
* fit indices with lavaan's formulas (RMSEA with N, SRMR as lavaan's ``srmr_bentler``,
  GFI/AGFI as Jöreskog-Sörbom, AIC/BIC from the normal log-likelihood).

The default engine (``engine="csindex"``) is csindex's own Fisher-scoring optimiser
finished by Newton steps (:mod:`csindex._cbsem`), which converges to machine precision:
on the flat ECSI likelihood semopy's default SLSQP stops early (``SAT ~ QUAL`` off by 0.6),
while lavaan and csindex agree to lavaan's own optimiser tolerance. ``engine="semopy"``
lets semopy optimise (with tight SLSQP settings) and computes every reported number
from semopy's solution with the same formulas. ``missing="fiml"`` is csindex's own
full-information ML. semopy's own ``calc_stats`` differs from lavaan in RMSEA (N-1),
GFI/AGFI (semopy's GFI is the NFI), log-likelihood, AIC and BIC; csindex never reports
those.

Examples
--------
>>> import csindex
>>> survey = csindex.datasets.airline()
>>> spec = csindex.models.ccsi(survey)
>>> data = survey.responses.dropna(subset=list(spec.items))   # complete answers only
>>> res = csindex.fit_sem(data, spec, scale=(1, 10))
>>> res.fit_indices[["chi2", "df", "cfi", "rmsea"]].round(3).tolist()
[114.842, 108.0, 0.999, 0.009]
>>> res.estimates.columns[:5].tolist()
['lhs', 'op', 'rhs', 'estimate', 'std_error']
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .segments import segmentable
from . import _cbsem as eng
from ._summary import Summary, SummaryMixin
from ._validation import check_option, quote_list
from .exceptions import (
    ConvergenceError,
    ConvergenceWarning,
    DiscriminantValidityWarning,
    EstimationError,
    HeywoodWarning,
    InferenceWarning,
    MissingDataWarning,
    SpecError,
    SurveyDataError,
)
from .spec import ModelSpec

__all__ = ["SEMResult", "MultiGroupSEMResult", "fit_sem", "fit_sem_multigroup"]

logger = logging.getLogger(__name__)

_EST_COLUMNS = ["lhs", "op", "rhs", "estimate", "std_error", "z_value", "p_value", "ci_lower", "ci_upper",
                "std_lv", "std_all", "std_all_se", "free", "label"]
_EST_FLOATS = _EST_COLUMNS[3:12]
DISCRIMINANT_THRESHOLD = 0.95


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, repr=False)
class SEMResult(SummaryMixin):
    """Result of :func:`fit_sem`.

    Attributes
    ----------
    estimates : pandas.DataFrame
        One row per parameter in lavaan's order and naming (``SAT ~ VAL``,
        ``IMAG =~ imag2``, ``sat1 ~~ sat1``, ``SAT ~~ SAT``): ``lhs, op, rhs,
        estimate, std_error, z_value, p_value, ci_lower, ci_upper, std_lv, std_all,
        std_all_se, free, label`` (lavaan's ``parameterEstimates`` + ``standardizedSolution``; Wald CI);
        with ``bootstrap > 0`` also ``boot_se, boot_lower, boot_upper`` (percentile).
        Fixed parameters have NaN standard errors (there is none).
    fit_indices : pandas.Series
        ``npar, ntotal, fmin, chi2, df, pvalue, baseline_chi2, baseline_df,
        baseline_pvalue, cfi, tli, nfi, ifi, rni, rmsea, rmsea_ci_lower, rmsea_ci_upper,
        rmsea_pvalue, srmr, srmr_mplus, rmr, gfi, agfi, logl, unrestricted_logl, aic, bic,
        bic2, ecvi`` with lavaan's definitions.
    paths : pandas.DataFrame
        The structural paths: ``source, target, estimate, std_error, z_value, p_value,
        ci_lower, ci_upper, std_all, std_all_se``.
    r_squared : pandas.Series
        R² of each endogenous construct (``1 - psi / var``).
    effects : pandas.DataFrame
        ``source, target, direct, indirect, total`` (unstandardised), their delta-method
        standard errors ``indirect_se, total_se`` and the standardised ``total_std``; with
        ``bootstrap > 0`` also percentile intervals ``indirect_lower, indirect_upper,
        total_lower, total_upper``.
    scores : pandas.DataFrame
        Regression (Thurstone) factor scores ``(x - mean) Sigma^-1 Lambda Phi``, indexed
        like the rows used.
    index : pandas.DataFrame
        ``construct, index, std_error, ci_lower, ci_upper``: the 0-100 index of each
        construct (factor-score weights of its own items normalised to sum 1, applied to
        the items' mean scores rescaled with their scale bounds).
    weights : pandas.DataFrame
        ``construct, item, weight, normalized_weight``: the factor-score regression weights.
    latent_correlations : pandas.DataFrame
        Model-implied correlations of the constructs.
    implied_cov, sample_cov : pandas.DataFrame
        Model-implied and sample (divisor N) covariance of the items.
    spec : ModelSpec
    n : int
        Number of observations used.
    converged : bool
    iterations : int
    settings : dict
        ``estimator, missing, engine, information, bootstrap, bootstrap_failed, seed,
        confidence, n_used, n_dropped, scale, weighted, runtime_s`` and ``notes``.
    """

    estimates: pd.DataFrame
    fit_indices: pd.Series
    paths: pd.DataFrame
    r_squared: pd.Series
    effects: pd.DataFrame
    scores: pd.DataFrame
    index: pd.DataFrame
    weights: pd.DataFrame
    latent_correlations: pd.DataFrame
    implied_cov: pd.DataFrame
    sample_cov: pd.DataFrame
    spec: ModelSpec
    n: int
    converged: bool
    iterations: int
    settings: Mapping[str, Any] = field(default_factory=dict)

    def summary(self) -> Summary:
        """Fit indices, structural paths, R², index and the measurement model."""
        fi = self.fit_indices
        facts = {
            "observations": self.n,
            "estimator": self.settings.get("estimator", "ML"),
            "chi2": float(fi["chi2"]), "df": int(fi["df"]) if np.isfinite(fi["df"]) else fi["df"],
            "p-value": float(fi["pvalue"]), "CFI": float(fi["cfi"]), "TLI": float(fi["tli"]),
            "RMSEA": float(fi["rmsea"]),
            "RMSEA 90% CI": f"[{fi['rmsea_ci_lower']:.4f}, {fi['rmsea_ci_upper']:.4f}]",
            "SRMR": float(fi["srmr"]), "converged": self.converged,
        }
        meas = self.estimates[self.estimates["op"] == "=~"][
            ["lhs", "rhs", "estimate", "std_error", "p_value", "std_all"]]
        r2 = self.r_squared.rename("r_squared").to_frame()
        return Summary(
            "Covariance-based SEM (maximum likelihood)", facts=facts,
            tables={"Structural paths": self.paths, "R-squared": r2, "Index (0-100)": self.index,
                    "Loadings": meas.reset_index(drop=True)},
            notes=tuple(self.settings.get("notes", ())),
        )

    def plot(self, *, ax: Any = None, labels: Mapping[str, str] | None = None, ci: bool | None = False) -> Any:
        """Path diagram of the structural model (csindex.plots.path_diagram) with
        standardised coefficients (``std_all``), significance stars and R².

        Returns
        -------
        csindex.plots.PathDiagramDisplay
        """
        from .plots import path_diagram

        tab = self.paths[["source", "target", "std_all", "p_value"]].rename(columns={"std_all": "estimate"})
        return path_diagram(tab, self.r_squared, layers=self.spec, ax=ax, labels=labels, ci=ci)

    def parameter(self, name: str) -> pd.Series:
        """The estimates row of a parameter named as lavaan prints it (``"SAT ~ VAL"``)."""
        key = " ".join(name.split())
        names = self.estimates["lhs"] + " " + self.estimates["op"] + " " + self.estimates["rhs"]
        hit = self.estimates[names == key]
        if hit.empty:
            from ._validation import did_you_mean

            raise SpecError(f"The model has no parameter {name!r}.{did_you_mean(key, names.tolist())}")
        return hit.iloc[0]


# --------------------------------------------------------------------------- data
def _resolve_data(data: Any) -> tuple[pd.DataFrame, pd.Series | None, Any]:
    if hasattr(data, "responses") and hasattr(data, "codebook"):
        return data.responses, getattr(data, "weights", None), data
    if isinstance(data, pd.DataFrame):
        return data, None, None
    raise SurveyDataError(f"fit_sem() needs a pandas DataFrame or a csindex Survey, got {type(data).__name__}.")


def _scale_bounds(items: list[str], x: np.ndarray, scale: Any, survey: Any) -> tuple[np.ndarray, np.ndarray, str]:
    if scale is not None:
        if isinstance(scale, Mapping):
            missing = [i for i in items if i not in scale]
            if missing:
                raise SurveyDataError(f"scale= gives no bounds for item(s) {quote_list(missing)}.")
            lo = np.array([float(scale[i][0]) for i in items])
            hi = np.array([float(scale[i][1]) for i in items])
        else:
            lo = np.full(len(items), float(scale[0]))
            hi = np.full(len(items), float(scale[1]))
        src = "given"
    elif survey is not None:
        bounds = [survey.scale(i) for i in items]
        lo = np.array([b[0] for b in bounds])
        hi = np.array([b[1] for b in bounds])
        src = "codebook"
    else:
        lo = np.full(len(items), float(np.nanmin(x)))
        hi = np.full(len(items), float(np.nanmax(x)))
        src = "inferred"
    bad = [i for i, a, b in zip(items, lo, hi) if not b > a]
    if bad:
        raise SurveyDataError(f"Item(s) {quote_list(bad)} have an empty scale (max <= min). Pass scale=(min, max).")
    return lo, hi, src


def _check_sample_cov(s: np.ndarray, items: list[str], n: int) -> None:
    var = np.diag(s)
    const = [i for i, v in zip(items, var) if v <= 1e-12 * max(1.0, float(np.max(var)))]
    if const:
        raise EstimationError(
            f"Item(s) {quote_list(const)} have zero variance in the data used; a covariance model cannot "
            "use a constant item. Remove it from the model."
        )
    if n <= len(items):
        raise EstimationError(
            f"Only {n} complete observations for {len(items)} items: the sample covariance matrix is singular. "
            "Use more data or fewer items."
        )
    d = 1 / np.sqrt(var)
    r = s * np.outer(d, d)
    if np.linalg.eigvalsh(r)[0] < 1e-8:
        w, vec = np.linalg.eigh(r)
        v = np.abs(vec[:, 0])
        involved = [items[k] for k in np.argsort(-v) if v[k] > 0.1][:6]
        raise EstimationError(
            "The sample covariance matrix is not positive definite (smallest eigenvalue of the correlation "
            f"matrix {w[0]:.2e}): items {quote_list(involved)} are linearly dependent. Remove one of them."
        )


# --------------------------------------------------------------------------- main
@segmentable
def fit_sem(
    data: Any,
    model: ModelSpec | str,
    *,
    estimator: str = "ML",
    missing: str = "listwise",
    bootstrap: int = 0,
    seed: int | np.random.Generator | None = None,
    information: str | None = None,
    engine: str = "csindex",
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    confidence: float = 0.95,
    max_iter: int = 500,
    progress: bool | None = None,
    use_weights: bool | None = None,
    group: str | None = None,
    equal: tuple[str, ...] | list[str] | str = ("loadings",),
    by: Any = None,
) -> SEMResult | MultiGroupSEMResult:
    """Fit a covariance-based structural equation model by maximum likelihood.

    Parameters
    ----------
    data : pandas.DataFrame or Survey
        Item responses (rows = respondents). For a Survey its ``responses``, its
        sampling ``weights`` (weighted sample moments) and its codebook scales (for
        the 0-100 index) are used.
    model : ModelSpec or str
        The model, or lavaan-style syntax (``=~``, ``~``, ``~~``, modifiers ``1*x``,
        ``NA*x``, labels ``a*x`` for equality constraints). Formative blocks are refused.
    estimator : {"ML"}
        Maximum likelihood (lavaan's default).
    missing : {"listwise", "fiml"}
        Drop incomplete rows (with a MissingDataWarning giving the count), or full
        information ML (csindex's own: saturated item means, the H1 model for the
        chi-square estimated by EM, lavaan's ``missing = "ml"``). semopy's FIML objective
        is not used: on the bundled airline data it stops at a solution with standardised
        loadings near 1.
    bootstrap : int, default 0
        Number of bootstrap resamples for standard errors and percentile intervals of
        every parameter and of the index (resamples are estimated together, batched;
        listwise only).
    seed : int or numpy.random.Generator, optional
        Seed of the bootstrap.
    information : {"expected", "observed"}, optional
        Information matrix of the standard errors. Default as lavaan: expected for
        listwise ML, observed for FIML.
    engine : {"csindex", "semopy"}
        Optimiser: csindex's Fisher scoring + Newton (default, converged to machine
        precision), or semopy's SLSQP with ``ftol=1e-12`` (numbers then computed from its
        solution with the same formulas).
    scale : (min, max) or mapping item -> (min, max), optional
        Theoretical scale bounds for the 0-100 index; by default the codebook's (Survey)
        or the smallest and largest value in the data (noted in ``settings``).
    confidence : float, default 0.95
        Level of the Wald and bootstrap intervals.
    max_iter : int, default 500
        Iteration limit of the optimiser.
    progress : bool, optional
        Progress bar over bootstrap batches (default: only for long runs on a TTY).
    use_weights : bool, optional
        Use a Survey's sampling weights for the sample moments (pseudo-ML; point estimates
        and index weighted, standard errors as for simple random sampling). Default: use
        them when the Survey has weights; ``False`` ignores them (lavaan's default fit).
    group : str, optional
        Fit a multi-group model by this column (see :func:`fit_sem_multigroup`, which
        returns a :class:`MultiGroupSEMResult` with the chi-square difference test).
    equal : sequence of str
        With ``group``: parameter classes held equal across groups (lavaan's
        ``group.equal``), default ``("loadings",)``.
    by : str, list of str or Series, optional
        Analyse every segment separately (see :func:`csindex.segments.split_segments`);
        returns a :class:`~csindex.segments.SegmentResults` mapping segment -> SEMResult,
        each equal to running on that segment alone (``n_jobs=`` runs segments in parallel).

    Returns
    -------
    SEMResult

    Raises
    ------
    SurveyDataError
        An item of the model is not a data column (close matches suggested), or is not numeric.
    SpecError
        A formative block, an unsupported modifier, or an under-identified model (df < 0).
    EstimationError
        The sample covariance is singular (constant or linearly dependent items named), or
        the information matrix is singular (the model is not identified; the parameters
        involved are named).
    ConvergenceError
        The optimiser found no admissible solution.

    Warns
    -----
    ConvergenceWarning
        The iteration limit was reached before convergence.
    HeywoodWarning
        A negative variance estimate or a standardised loading above 1 (naming it).
    DiscriminantValidityWarning
        Two constructs correlate above 0.95 (naming them).
    MissingDataWarning
        Rows with missing items were dropped (listwise).

    Examples
    --------
    >>> import csindex
    >>> survey = csindex.datasets.airline()
    >>> spec = csindex.models.ccsi(survey)
    >>> data = survey.responses.dropna(subset=list(spec.items))
    >>> res = csindex.fit_sem(data, spec, scale=(1, 10))
    >>> res.paths.loc[res.paths["target"] == "LOY", ["source", "estimate", "std_all"]].round(2)
       source  estimate  std_all
    10    SAT      0.61     0.62
    >>> res.index.set_index("construct").loc["SAT", ["index", "ci_lower", "ci_upper"]].round(1).tolist()
    [70.6, 69.4, 71.7]
    >>> bool(res.parameter("SAT ~ VAL")["p_value"] < 0.001)
    True
    """
    if group is not None:
        if missing != "listwise" or bootstrap or engine != "csindex":
            raise ValueError("A multi-group fit (group=) supports missing='listwise', bootstrap=0 and "
                             "engine='csindex' only.")
        return fit_sem_multigroup(data, model, group, equal=equal, scale=scale, confidence=confidence,
                                  max_iter=max_iter, use_weights=use_weights)
    t_start = time.perf_counter()
    check_option("estimator", estimator, ("ML",), "fit_sem")
    check_option("missing", missing, ("listwise", "fiml"), "fit_sem")
    information_default = information is None
    information = "expected" if information is None else information
    check_option("information", information, ("expected", "observed"), "fit_sem")
    check_option("engine", engine, ("csindex", "semopy"), "fit_sem")
    if not (0 < confidence < 1):
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}.")
    if int(bootstrap) < 0:
        raise ValueError(f"bootstrap must be a non-negative number of resamples, got {bootstrap!r}.")
    spec = ModelSpec.coerce(model)
    frame, weights, survey = _resolve_data(data)
    if use_weights and weights is None:
        raise SurveyDataError("use_weights=True but the data has no sampling weights (pass a Survey with weights).")
    spec.check_data(frame.columns)
    items = list(spec.items)
    raw = frame[items]
    non_numeric = [c for c in items if not pd.api.types.is_numeric_dtype(raw[c])]
    if non_numeric:
        raise SurveyDataError(
            f"Item(s) {quote_list(non_numeric)} are not numeric. Recode them (or load the data with "
            "csindex.load_survey and a codebook) before fitting."
        )
    x_all = raw.to_numpy(dtype=float)
    structure = eng.build_structure(spec)
    p = structure.p
    q = structure.n_free
    df_model = p * (p + 1) // 2 - q
    if df_model < 0:
        raise SpecError(
            f"The model is under-identified: {q} free parameters but only {p * (p + 1) // 2} distinct "
            f"variances and covariances of {p} items (df = {df_model}). Fix parameters or add items."
        )
    notes: list[str] = []
    single = [b.name for b in spec.blocks if len(b.items) == 1]
    if single:
        notes.append(f"Construct(s) {quote_list(single)} have one item: its residual variance is fixed to 0 "
                     "(the item is the construct).")
    complete = ~np.isnan(x_all).any(axis=1)
    if missing == "listwise":
        n_drop = int((~complete).sum())
        if n_drop:
            per_item = np.isnan(x_all).sum(axis=0)
            worst = [f"{items[k]} ({per_item[k]})" for k in np.argsort(-per_item)[:3] if per_item[k]]
            warnings.warn(
                f"fit_sem dropped {n_drop} of {len(x_all)} rows with a missing item (listwise deletion); most "
                f"missing: {', '.join(worst)}. Use missing='fiml' to keep them.",
                MissingDataWarning, stacklevel=2,
            )
            notes.append(f"Listwise deletion: {n_drop} of {len(x_all)} rows dropped.")
        x = x_all[complete]
        row_index = frame.index[complete]
    else:
        x = x_all
        row_index = frame.index
    n = len(x)
    if n == 0:
        raise SurveyDataError("No row has all the model's items answered; nothing to fit.")
    w = None
    if weights is not None and use_weights is not False:
        w = np.asarray(weights, dtype=float)[complete if missing == "listwise" else slice(None)]
        if not np.all(np.isfinite(w)) or (w < 0).any():
            raise SurveyDataError("The sampling weights have missing or negative values.")
        w = w / w.sum()
    if missing == "fiml":
        if engine != "csindex":
            raise ValueError("missing='fiml' uses csindex's engine; semopy's FIML objective does not reach the "
                             "ML solution on the bundled data (loadings near 1). Use engine='csindex'.")
        return _fit_fiml(spec, structure, frame, x, row_index, survey, scale, confidence, notes, t_start, w,
                         "observed" if information_default else information, max_iter, bootstrap)
    mean, s = _moments(x, w)
    _check_sample_cov(s, items, n)

    theta0 = eng.start_values(structure, spec, s)
    if engine == "semopy":
        theta0 = _semopy_solution(spec, structure, pd.DataFrame(s, index=items, columns=items), n, max_iter)
        fs = eng.fit_ml(structure, s[None], theta0[None], max_iter=0, newton=False)
        # semopy's SLSQP stops on its own criterion; report how close to the optimum it is
        converged = bool(np.abs(fs.grad[0]).max() < 1e-5)   # lavaan's default stops near 2e-6
    else:
        fs = eng.fit_ml(structure, s[None], theta0[None], max_iter=max_iter)
        converged = bool(fs.converged[0])
    theta = fs.theta[0]
    f_min = float(fs.f[0])
    if not np.isfinite(f_min):
        raise ConvergenceError(
            "The ML estimation found no admissible solution (the implied covariance matrix is not positive "
            "definite). Check the model for constructs with too few or weak items."
        )
    grad = fs.grad[0]
    if not converged:
        k = int(np.argmax(np.abs(grad)))
        name = _param_name(structure, k)
        where = (f"semopy stopped with the largest gradient {abs(grad[k]):.2e} at {name!r}; estimates may be "
                 "inaccurate. Use engine='csindex'." if engine == "semopy" else
                 f"fit_sem did not converge in {max_iter} iterations (largest gradient {abs(grad[k]):.2e} at "
                 f"{name!r}); estimates may be inaccurate. Increase max_iter or simplify the model.")
        warnings.warn(where, ConvergenceWarning, stacklevel=2)
    info = fs.info[0]
    if information == "observed":
        info = eng.numerical_hessian(structure, theta, s, np.array([np.linalg.slogdet(s)[1]]))
    cov_theta = _invert_information(structure, info, n)

    return _assemble(spec, structure, theta, cov_theta, s, mean, x, w, row_index, n, f_min, converged,
                     int(fs.iterations[0]), survey, scale, confidence, bootstrap, seed, progress, notes,
                     settings={"estimator": estimator, "missing": missing, "engine": engine,
                               "information": information, "n_total": len(frame)},
                     t_start=t_start)


def _moments(x: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    if w is None:
        mean = x.mean(axis=0)
        xc = x - mean
        return mean, xc.T @ xc / len(x)
    mean = w @ x
    xc = x - mean
    return mean, (xc * w[:, None]).T @ xc


def _param_name(structure: eng.Structure, k: int) -> str:
    for par in structure.params:
        if par.free and par.index == k:
            return f"{par.lhs} {par.op} {par.rhs}"
    return f"parameter {k}"


def _invert_information(structure: eng.Structure, info: np.ndarray, n: int) -> np.ndarray:
    info = 0.5 * (info + info.T)
    ev = np.linalg.eigvalsh(info)
    if ev[0] > 1e-10 * max(ev[-1], 1e-300):
        return 2.0 / n * np.linalg.inv(info)
    w, vec = np.linalg.eigh(info)
    v = np.abs(vec[:, 0])
    names = [_param_name(structure, k) for k in np.argsort(-v) if v[k] > 0.1][:6]
    raise EstimationError(
        "The model is not identified: the information matrix is singular (eigenvalue "
        f"{w[0]:.2e}). Parameters involved: {quote_list(names)}. Fix a loading or a variance of the "
        "construct(s) concerned, or give constructs at least two (three for a lone construct) items."
    )


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
    from scipy.optimize import brentq

    def solve(prob: float) -> float:
        def fn(lam: float) -> float:
            return (special.chndtr(chi2, df, lam) if lam > 0 else special.chdtr(df, chi2)) - prob

        if fn(0.0) < 0:
            return 0.0
        hi = max(chi2, 1.0)
        while fn(hi) > 0:
            hi *= 2
        return brentq(fn, 0.0, hi, xtol=1e-12)

    upper_tail = (1 + level) / 2
    lam_lo = solve(upper_tail)
    lam_hi = solve(1 - upper_tail)
    return math.sqrt(lam_lo / (n * df)), math.sqrt(lam_hi / (n * df))


def _assemble(spec, structure, theta, cov_theta, s, mean, x, w, row_index, n, f_min, converged, iterations,
              survey, scale, confidence, bootstrap, seed, progress, notes, settings, t_start,
              fit=None, scores_arr=None, mean_cov=None) -> SEMResult:
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

    c_lat = mats["c"]
    sd_lv = np.sqrt(np.clip(np.diag(c_lat), 1e-300, None))
    corr = c_lat / np.outer(sd_lv, sd_lv)
    latent_corr = pd.DataFrame(corr, index=latent, columns=latent)
    _warn_problems(structure, est, std_all, latent_corr)

    if fit is None:
        fit = _fit_measures(f_min, s, sigma, n, structure.n_free, structure.p)

    # structural paths, R², effects
    reg = np.array([par.op == "~" for par in params])
    paths = pd.DataFrame({
        "source": [par.rhs for par in params if par.op == "~"],
        "target": [par.lhs for par in params if par.op == "~"],
        "estimate": est[reg], "std_error": sej[reg], "z_value": zval[reg], "p_value": pval[reg],
        "ci_lower": lo_w[reg], "ci_upper": hi_w[reg], "std_all": std_all[reg], "std_all_se": std_se[reg],
    })
    li = {c: k for k, c in enumerate(latent)}
    r2 = pd.Series({t: 1.0 - mats["psi"][li[t], li[t]] / c_lat[li[t], li[t]] for t in spec.endogenous},
                   name="r_squared", dtype="float64")
    effects = _effects(structure, theta, cov_theta, spec, sd_lv)

    # scores, weights, index
    fs_w = mats["c"] @ mats["lam"].T @ np.linalg.inv(sigma)          # (m, p) factor-score weights
    if scores_arr is None:
        scores_arr = (x - mean) @ fs_w.T
    scores = pd.DataFrame(scores_arr, index=row_index, columns=latent)
    lo, hi, scale_src = _scale_bounds(items, x, scale, survey)
    if scale_src == "inferred":
        notes.append(f"Index scale inferred from the data: {lo[0]:g} to {hi[0]:g}; pass scale= to set it.")
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
            warnings.warn(
                f"Construct {b.name!r} has negative factor-score weights for {quote_list(neg)}; its 0-100 index "
                "can leave [0, 100]. Check the items' coding or drop them.", InferenceWarning, stacklevel=3,
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
    weights_df = pd.DataFrame(weight_rows)
    index_df = pd.DataFrame(index_rows)

    boot_info = {}
    if bootstrap:
        estimates, index_df, boot_info = _bootstrap(
            structure, spec, theta, x, w, int(bootstrap), seed, progress, confidence, estimates, index_df,
            lo, hi)
        if boot_info.get("failed"):
            notes.append(f"{boot_info['failed']} of {bootstrap} bootstrap resamples did not converge and were dropped.")
        effects = _bootstrap_effects(structure, effects, boot_info["thetas"], confidence)
    settings = dict(settings)
    settings.update({
        "bootstrap": int(bootstrap), "seed": boot_info.get("seed"), "confidence": confidence,
        "n_used": int(n), "n_dropped": int(settings.pop("n_total", n)) - int(n),
        "bootstrap_failed": int(boot_info.get("failed", 0)),
        "scale": scale_src, "weighted": w is not None, "runtime_s": time.perf_counter() - t_start,
        "notes": tuple(notes),
    })
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
    )


def _warn_problems(structure, est, std_all, latent_corr) -> None:
    params = structure.params
    neg = [f"{p.lhs} ~~ {p.rhs} = {e:.3g}" for p, e in zip(params, est)
           if p.free and p.op == "~~" and p.lhs == p.rhs and e < 0]
    if neg:
        warnings.warn(
            f"Heywood case: negative variance estimate(s) {quote_list(neg)}. The solution is improper; "
            "the construct may have too few or too weak items, or the model is misspecified.",
            HeywoodWarning, stacklevel=4,
        )
    # an optimiser that bounds variances at zero (semopy) shows an improper solution as a
    # variance sitting exactly at the bound
    zero = [f"{p.lhs} ~~ {p.rhs}" for p, e in zip(params, est)
            if p.free and p.op == "~~" and p.lhs == p.rhs and 0 <= e < 1e-10]
    if zero:
        warnings.warn(
            f"Heywood case: variance estimate(s) {quote_list(zero)} sit at zero (the bound of the optimiser); "
            "an unbounded fit would make them negative. Use engine='csindex' to see the improper value.",
            HeywoodWarning, stacklevel=4,
        )
    big = [f"{p.lhs} =~ {p.rhs} ({v:.3f})" for p, v in zip(params, std_all) if p.op == "=~" and abs(v) > 1.0]
    if big:
        warnings.warn(f"Heywood case: standardised loading(s) above 1: {quote_list(big)}.", HeywoodWarning,
                      stacklevel=4)
    lat = list(latent_corr.index)
    corr = latent_corr.to_numpy()
    pairs = [f"{lat[a]} and {lat[b]} ({corr[a, b]:.3f})" for a in range(len(lat)) for b in range(a + 1, len(lat))
             if abs(corr[a, b]) > DISCRIMINANT_THRESHOLD]
    if pairs:
        warnings.warn(
            f"Constructs {quote_list(pairs)} correlate above {DISCRIMINANT_THRESHOLD}: they may not be "
            "distinct (discriminant validity), and paths from both are poorly determined. Consider merging "
            "them or revising their items.", DiscriminantValidityWarning, stacklevel=4,
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


# --------------------------------------------------------------------------- bootstrap
def _bootstrap(structure, spec, theta, x, w, n_boot, seed, progress, confidence, estimates, index_df, lo, hi):
    from tqdm.auto import tqdm

    if isinstance(seed, np.random.Generator):
        rng = seed
        seed_used = None
    else:
        ss = np.random.SeedSequence(seed)
        seed_used = ss.entropy
        rng = np.random.default_rng(ss)
    n, p = x.shape
    chunk = max(1, min(n_boot, 200))
    thetas = np.full((n_boot, structure.n_free), np.nan)
    idx_all = rng.integers(0, n, size=(n_boot, n))
    index_boot = np.full((n_boot, len(spec.blocks)), np.nan)
    li = {c: k for k, c in enumerate(structure.latent)}
    oi = {i: k for k, i in enumerate(structure.observed)}
    show = progress if progress is not None else (n_boot >= 500 and _stderr_tty())
    bar = tqdm(total=n_boot, desc="bootstrap", disable=not show, leave=False)
    failed = 0
    for start in range(0, n_boot, chunk):
        sel = idx_all[start:start + chunk]
        xb = x[sel]                                              # (r, n, p)
        if w is None:
            mb = xb.mean(axis=1)
            xc = xb - mb[:, None, :]
            sb = np.swapaxes(xc, 1, 2) @ xc / n
        else:
            wb = w[sel]
            wb = wb / wb.sum(axis=1, keepdims=True)
            mb = np.einsum("rn,rnp->rp", wb, xb)
            xc = xb - mb[:, None, :]
            sb = np.swapaxes(xc * wb[:, :, None], 1, 2) @ xc
        r = len(sel)
        fs = eng.fit_ml(structure, sb, np.repeat(theta[None], r, axis=0), max_iter=300, tol=1e-7,
                        newton_switch=1e-5)
        ok = fs.converged & np.isfinite(fs.f)
        failed += int((~ok).sum())
        th = np.where(ok[:, None], fs.theta, np.nan)
        thetas[start:start + r] = th
        # index per resample: factor-score weights of each block, applied to resampled item means
        mats = structure.implied(np.where(ok[:, None], fs.theta, theta[None]))
        fsw = mats["c"] @ np.swapaxes(mats["lam"], 1, 2) @ np.linalg.inv(mats["sigma"])
        for k, b in enumerate(spec.blocks):
            idx = [oi[i] for i in b.items]
            wj = fsw[:, li[b.name], :][:, idx]
            wn = wj / wj.sum(axis=1, keepdims=True)
            resc = (mb[:, idx] - lo[idx]) / (hi[idx] - lo[idx]) * 100
            index_boot[start:start + r, k] = np.where(ok, np.sum(resc * wn, axis=1), np.nan)
        bar.update(r)
    bar.close()
    alpha = (1 - confidence) / 2
    good = np.isfinite(thetas).all(axis=1)
    tb = thetas[good]
    boot_se = np.full(len(estimates), np.nan)
    boot_lo = np.full(len(estimates), np.nan)
    boot_hi = np.full(len(estimates), np.nan)
    if len(tb) > 1:
        se_all = tb.std(axis=0, ddof=1)
        q_lo = np.quantile(tb, alpha, axis=0)
        q_hi = np.quantile(tb, 1 - alpha, axis=0)
        for k, par in enumerate(structure.params):
            if par.free:
                boot_se[k], boot_lo[k], boot_hi[k] = se_all[par.index], q_lo[par.index], q_hi[par.index]
    estimates = estimates.assign(boot_se=boot_se, boot_lower=boot_lo, boot_upper=boot_hi)
    ib = index_boot[good]
    if len(ib) > 1:
        index_df = index_df.assign(
            std_error=ib.std(axis=0, ddof=1),
            ci_lower=np.quantile(ib, alpha, axis=0),
            ci_upper=np.quantile(ib, 1 - alpha, axis=0),
        )
    if failed:
        warnings.warn(f"{failed} of {n_boot} bootstrap resamples did not converge and were dropped.",
                      InferenceWarning, stacklevel=4)
    return estimates, index_df, {"seed": seed_used, "failed": failed, "thetas": tb}


def _bootstrap_effects(structure, effects: pd.DataFrame, thetas: np.ndarray, confidence: float) -> pd.DataFrame:
    """Percentile intervals of the indirect and total effects over the bootstrap estimates."""
    if len(thetas) < 2 or effects.empty:
        return effects
    m = structure.m
    bet = structure.matrices(thetas)[eng.BET]
    total = np.linalg.inv(np.eye(m)[None] - bet) - np.eye(m)[None]
    indirect = total - bet
    li = {c: k for k, c in enumerate(structure.latent)}
    ti = np.array([li[t] for t in effects["target"]])
    si = np.array([li[s] for s in effects["source"]])
    alpha = (1 - confidence) / 2
    ind, tot = indirect[:, ti, si], total[:, ti, si]
    return effects.assign(
        indirect_lower=np.quantile(ind, alpha, axis=0), indirect_upper=np.quantile(ind, 1 - alpha, axis=0),
        total_lower=np.quantile(tot, alpha, axis=0), total_upper=np.quantile(tot, 1 - alpha, axis=0),
    )


def _stderr_tty() -> bool:
    import sys

    return bool(getattr(sys.stderr, "isatty", lambda: False)())


# --------------------------------------------------------------------------- semopy
def _semopy_model(spec: ModelSpec):
    import semopy

    return semopy.Model(spec.to_semopy())


def _semopy_solution(spec: ModelSpec, structure: eng.Structure, cov: pd.DataFrame, n: int, max_iter: int,
                     obj: str = "MLW") -> np.ndarray:
    """Optimise with semopy (SLSQP, ftol 1e-12) on the sample covariance (divisor N) and map
    its solution onto csindex's parameters."""
    model = _semopy_model(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(cov=cov, n_samples=n, obj=obj, solver="SLSQP",
                  options={"ftol": 1e-12, "maxiter": max(max_iter, 10000)})
    return _theta_from_semopy_matrices(structure, model)


def _theta_from_semopy_matrices(structure: eng.Structure, model: Any) -> np.ndarray:
    """Read the estimates from semopy's fitted matrices (faster than ``inspect()``, which also
    computes standard errors)."""
    mats = {eng.LAM: (model.mx_lambda, model.names_lambda), eng.BET: (model.mx_beta, model.names_beta),
            eng.PSI: (model.mx_psi, model.names_psi), eng.THE: (model.mx_theta, model.names_theta)}
    pos = {code: ({n: k for k, n in enumerate(names[0])}, {n: k for k, n in enumerate(names[1])})
           for code, (_, names) in mats.items()}
    rows_of = {eng.LAM: structure.observed, eng.BET: structure.latent, eng.PSI: structure.latent,
               eng.THE: structure.observed}
    cols_of = {eng.LAM: structure.latent, eng.BET: structure.latent, eng.PSI: structure.latent,
               eng.THE: structure.observed}
    theta = np.zeros(structure.n_free)
    for par in structure.params:
        if not par.free:
            continue
        rname, cname = rows_of[par.mat][par.row], cols_of[par.mat][par.col]
        rmap, cmap = pos[par.mat]
        if rname not in rmap or cname not in cmap:
            raise EstimationError(f"semopy did not report the parameter '{par.lhs} {par.op} {par.rhs}'.")
        theta[par.index] = mats[par.mat][0][rmap[rname], cmap[cname]]
    return theta


def _fit_fiml(spec, structure, frame, x, row_index, survey, scale, confidence, notes, t_start, w, information,
              max_iter, bootstrap):
    """Full-information ML (csindex's own engine): saturated means, expected or observed
    information, chi-square against the EM-estimated saturated model (lavaan's H1)."""
    if bootstrap:
        raise ValueError("bootstrap= is not available with missing='fiml'; use missing='listwise' or bootstrap=0.")
    items = list(structure.observed)
    empty = np.isnan(x).all(axis=1)
    if empty.any():
        k = int(empty.sum())
        warnings.warn(f"fit_sem dropped {k} row{'s' if k > 1 else ''} with no answered item of the model.",
                      MissingDataWarning, stacklevel=3)
    x = x[~empty]
    row_index = row_index[~empty]
    if w is not None:
        w = w[~empty] / w[~empty].sum()
        notes.append("Sampling weights used (weighted FIML, pseudo-ML); standard errors assume simple random "
                     "sampling.")
    pat = eng.missing_patterns(x, w)
    n, p, q = pat.n, structure.p, structure.n_free
    never = [items[k] for k in range(p) if not any(k in o for o in pat.obs)]
    if never:
        raise SurveyDataError(f"Item(s) {quote_list(never)} have no answers at all.")
    mu_h1, s_h1, _ = eng.em_saturated(pat)
    _check_sample_cov(s_h1, items, n)
    theta0 = eng.start_values(structure, spec, s_h1)
    warm = eng.fit_ml(structure, s_h1[None], theta0[None], max_iter=max_iter)
    phi0 = np.concatenate([warm.theta[0], mu_h1])
    fs = eng.fit_fiml(structure, pat, phi0, max_iter=max_iter)
    phi = fs.theta[0]
    converged = bool(fs.converged[0])
    if not np.isfinite(fs.f[0]):
        raise ConvergenceError("The FIML estimation found no admissible solution (the implied covariance matrix "
                               "is not positive definite).")
    if not converged:
        k = int(np.argmax(np.abs(fs.grad[0])))
        name = _param_name(structure, k) if k < q else f"mean of {items[k - q]!r}"
        warnings.warn(f"fit_sem (FIML) did not converge in {max_iter} iterations (largest gradient "
                      f"{abs(fs.grad[0][k]):.2e} at {name!r}).", ConvergenceWarning, stacklevel=3)
    info = fs.info[0] if information == "expected" else eng.fiml_hessian(structure, pat, phi)
    cov_phi = _invert_information(structure, info, n)
    theta, mu = phi[:q], phi[q:]
    cov_theta, cov_mu = cov_phi[:q, :q], cov_phi[q:, q:]
    sigma = structure.implied(theta[None])["sigma"][0]
    ll = eng.fiml_loglik(pat, mu, sigma)
    ll_h1 = eng.fiml_loglik(pat, mu_h1, s_h1)
    # baseline: independent items with free means and variances (separable: per-item ML)
    mu0 = np.zeros(p)
    var0 = np.zeros(p)
    wv = np.ones(len(x)) if w is None else w
    for k in range(p):
        ok = ~np.isnan(x[:, k])
        col, wk = x[ok, k], wv[ok] / wv[ok].sum()
        mu0[k] = wk @ col
        var0[k] = wk @ (col - mu0[k]) ** 2
    ll_0 = eng.fiml_loglik(pat, mu0, np.diag(var0))
    fit = _fit_measures_core(2 * (ll_h1 - ll), 2 * (ll_h1 - ll_0), s_h1, sigma, n, q, p, ll, ll_h1,
                             mean_resid=mu_h1 - mu, n_means=p)
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
                               "information": information, "n_total": len(frame)},
                     t_start=t_start, fit=fit, scores_arr=scores, mean_cov=cov_mu)


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
        R² by group (rows) and endogenous construct (columns).
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


def fit_sem_multigroup(
    data: Any,
    model: ModelSpec | str,
    group: str,
    *,
    equal: tuple[str, ...] | list[str] | str = ("loadings",),
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    confidence: float = 0.95,
    max_iter: int = 500,
    use_weights: bool | None = None,
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
    scale, confidence, max_iter, use_weights
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
    unknown = [e for e in equal if e not in eng.EQUALITY_CLASSES]
    if unknown:
        raise ValueError(
            f"equal= names unknown parameter classes {quote_list(unknown)}; use "
            f"{quote_list(eng.EQUALITY_CLASSES, limit=10, conj='or')} (intercepts and means are not modelled)."
        )
    spec = ModelSpec.coerce(model)
    frame, weights, survey = _resolve_data(data)
    if group not in frame.columns:
        from ._validation import did_you_mean

        raise SurveyDataError(f"The data has no group column {group!r}.{did_you_mean(group, frame.columns)}")
    spec.check_data(frame.columns)
    items = list(spec.items)
    x_all = frame[items].to_numpy(dtype=float)
    gcol = frame[group]
    ok = ~np.isnan(x_all).any(axis=1) & gcol.notna().to_numpy()
    n_drop = int((~ok).sum())
    if n_drop:
        warnings.warn(f"fit_sem_multigroup dropped {n_drop} of {len(frame)} rows with a missing item or group "
                      "(listwise deletion).", MissingDataWarning, stacklevel=2)
    labels = [g for g in pd.unique(gcol[ok])]
    labels = sorted(labels, key=str)
    if len(labels) < 2:
        raise SurveyDataError(f"Group column {group!r} has {len(labels)} group(s) among complete rows; need at least 2.")
    base = eng.build_structure(spec)
    p = base.p
    use_w = weights is not None and use_weights is not False
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
            wg = np.asarray(weights, dtype=float)[sel]
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
        structs, maps, q_glob = eng.multigroup_structures(base, len(labels), eq)
        x0 = np.zeros(q_glob)
        cnt = np.zeros(q_glob)
        for st_g, mp, sg in zip(structs, maps, ss):
            th = eng.fit_ml(base, sg[None], eng.start_values(base, spec, sg)[None], max_iter=max_iter).theta[0]
            np.add.at(x0, mp, th)
            np.add.at(cnt, mp, 1.0)
        x0 /= cnt
        fs = eng.fit_multigroup(structs, ss, wgt, x0, max_iter=max_iter)
        return structs, maps, q_glob, fs

    notes: list[str] = []
    fits = {}
    for name, eq in (("free", ()), ("constrained", equal)):
        structs, maps, q_glob, fs = fit_model(eq)
        if not np.isfinite(fs.f[0]):
            raise ConvergenceError(f"The {name} multi-group model found no admissible solution.")
        if not fs.converged[0]:
            warnings.warn(f"fit_sem_multigroup: the {name} model did not converge in {max_iter} iterations.",
                          ConvergenceWarning, stacklevel=2)
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
            warnings.warn(f"Group {g!r}: {wmsg.message}", wmsg.category, stacklevel=2)
        groups[str(g)] = res_g

    def stack(attr: str) -> pd.DataFrame:
        return pd.concat([getattr(r, attr).assign(group=g)[["group", *getattr(r, attr).columns]]
                          for g, r in groups.items()], ignore_index=True)

    shared_k = {k for k in range(base.n_free) if all(m[k] == maps[0][k] for m in maps)}
    est = stack("estimates")
    eq_flag = [bool(par.free and par.index in shared_k) for par in base.params] * len(groups)
    est["equal"] = eq_flag
    r2 = pd.DataFrame({g: r.r_squared for g, r in groups.items()}).T
    settings = {"group": group, "equal": equal, "n_by_group": dict(zip(map(str, labels), ns)),
                "weighted": use_w, "runtime_s": time.perf_counter() - t_start, "notes": tuple(notes)}
    return MultiGroupSEMResult(groups=groups, estimates=est, paths=stack("paths"), index=stack("index"),
                               r_squared=r2, fit_indices=fi_con, comparison=comparison, spec=spec,
                               settings=settings)
