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
from semopy's solution with the same formulas; ``missing="fiml"`` uses semopy's FIML
objective. semopy's own ``calc_stats`` differs from lavaan in RMSEA (N-1), GFI/AGFI
(semopy's GFI is the NFI), log-likelihood, AIC and BIC; csindex never reports those.

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
from scipy import stats

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

__all__ = ["SEMResult", "fit_sem"]

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
        standard errors ``indirect_se, total_se`` and the standardised ``total_std``.
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
        ``estimator, missing, engine, information, bootstrap, seed, confidence, scale,
        weighted, runtime_s`` and ``notes``.
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
def fit_sem(
    data: Any,
    model: ModelSpec | str,
    *,
    estimator: str = "ML",
    missing: str = "listwise",
    bootstrap: int = 0,
    seed: int | np.random.Generator | None = None,
    information: str = "expected",
    engine: str = "csindex",
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    confidence: float = 0.95,
    max_iter: int = 500,
    progress: bool | None = None,
) -> SEMResult:
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
        information ML through semopy (estimates, standard errors, log-likelihood, AIC
        and BIC; chi-square-based indices need the saturated model and are NaN).
    bootstrap : int, default 0
        Number of bootstrap resamples for standard errors and percentile intervals of
        every parameter and of the index (resamples are estimated together, batched).
    seed : int or numpy.random.Generator, optional
        Seed of the bootstrap.
    information : {"expected", "observed"}
        Information matrix of the standard errors (lavaan's default: expected).
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
    t_start = time.perf_counter()
    check_option("estimator", estimator, ("ML",), "fit_sem")
    check_option("missing", missing, ("listwise", "fiml"), "fit_sem")
    check_option("information", information, ("expected", "observed"), "fit_sem")
    check_option("engine", engine, ("csindex", "semopy"), "fit_sem")
    if not (0 < confidence < 1):
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}.")
    if int(bootstrap) < 0:
        raise ValueError(f"bootstrap must be a non-negative number of resamples, got {bootstrap!r}.")
    spec = ModelSpec.coerce(model)
    frame, weights, survey = _resolve_data(data)
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
        x = x_all[complete]
        row_index = frame.index[complete]
    else:
        x = x_all
        row_index = frame.index
    n = len(x)
    if n == 0:
        raise SurveyDataError("No row has all the model's items answered; nothing to fit.")
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=float)[complete if missing == "listwise" else slice(None)]
        if not np.all(np.isfinite(w)) or (w < 0).any():
            raise SurveyDataError("The sampling weights have missing or negative values.")
        w = w / w.sum()
    if missing == "fiml":
        return _fit_fiml(spec, structure, frame, x, row_index, survey, scale, confidence, notes, t_start, w)
    mean, s = _moments(x, w)
    _check_sample_cov(s, items, n)

    theta0 = eng.start_values(structure, spec, s)
    if engine == "semopy":
        theta0 = _semopy_solution(spec, structure, pd.DataFrame(x, columns=items), max_iter)
        fs = eng.fit_ml(structure, s[None], theta0[None], max_iter=0, newton=False)
        converged = True
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
        warnings.warn(
            f"fit_sem did not converge in {max_iter} iterations (largest gradient {abs(grad[k]):.2e} at "
            f"{name!r}); estimates may be inaccurate. Increase max_iter or simplify the model.",
            ConvergenceWarning, stacklevel=2,
        )
    info = fs.info[0]
    if information == "observed":
        info = eng.numerical_hessian(structure, theta, s, np.array([np.linalg.slogdet(s)[1]]))
    cov_theta = _invert_information(structure, info, n)

    return _assemble(spec, structure, theta, cov_theta, s, mean, x, w, row_index, n, f_min, converged,
                     int(fs.iterations[0]), survey, scale, confidence, bootstrap, seed, progress, notes,
                     settings={"estimator": estimator, "missing": missing, "engine": engine,
                               "information": information},
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
    df = p * (p + 1) / 2 - q
    chi2 = n * f_min
    pval = float(stats.chi2.sf(chi2, df)) if df > 0 else float("nan")
    logdet_s = np.linalg.slogdet(s)[1]
    f0 = float(np.sum(np.log(np.diag(s))) - logdet_s)
    chi2_0 = n * f0
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
        rmsea_p = float(stats.ncx2.sf(chi2, df, n * df * 0.05**2)) if chi2 > 0 else 1.0
    else:
        rmsea = lo = hi = rmsea_p = float("nan")
    d = 1.0 / np.sqrt(np.diag(s))
    tri = np.tril_indices(p)
    resid = (s - sigma) * np.outer(d, d)
    srmr = float(np.sqrt(np.mean(resid[tri] ** 2)))
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
    logl = -n / 2 * (p * np.log(2 * np.pi) + np.linalg.slogdet(sigma)[1] + np.trace(a))
    logl_h1 = -n / 2 * (p * np.log(2 * np.pi) + logdet_s + p)
    aic = -2 * logl + 2 * q
    bic = -2 * logl + q * np.log(n)
    bic2 = -2 * logl + q * np.log((n + 2) / 24)
    return pd.Series({
        "npar": float(q), "ntotal": float(n), "fmin": f_min / 2, "chi2": chi2, "df": df, "pvalue": pval,
        "baseline_chi2": chi2_0, "baseline_df": df0, "baseline_pvalue": float(stats.chi2.sf(chi2_0, df0)),
        "cfi": cfi, "tli": tli, "nfi": nfi, "ifi": ifi, "rni": rni,
        "rmsea": rmsea, "rmsea_ci_lower": lo, "rmsea_ci_upper": hi, "rmsea_pvalue": rmsea_p,
        "srmr": srmr, "srmr_mplus": srmr_mplus, "rmr": rmr, "gfi": float(gfi), "agfi": float(agfi),
        "logl": float(logl), "unrestricted_logl": float(logl_h1), "aic": float(aic), "bic": float(bic),
        "bic2": float(bic2), "ecvi": chi2 / n + 2 * q / n,
    }, dtype="float64")


def _rmsea_ci(chi2: float, df: float, n: int, level: float = 0.90) -> tuple[float, float]:
    """lavaan's RMSEA interval: non-centrality lambda with P(X2 <= chi2 | df, lambda) = 0.95 / 0.05."""
    from scipy.optimize import brentq

    def solve(prob: float) -> float:
        fn = lambda lam: stats.ncx2.cdf(chi2, df, lam) - prob if lam > 0 else stats.chi2.cdf(chi2, df) - prob
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
              survey, scale, confidence, bootstrap, seed, progress, notes, settings, t_start) -> SEMResult:
    items = list(structure.observed)
    latent = list(structure.latent)
    mats = {k: v[0] for k, v in structure.implied(theta[None]).items()}
    sigma = mats["sigma"]
    se = np.sqrt(np.clip(np.diag(cov_theta), 0, None))
    z_crit = float(stats.norm.ppf(0.5 + confidence / 2))
    std_lv_all, std_all_all = _standardised(structure, theta[None])
    std_lv, std_all = std_lv_all[0], std_all_all[0]
    std_se = _standardised_se(structure, theta, cov_theta)
    rows = []
    for k, par in enumerate(structure.params):
        if par.free:
            est, sej = float(theta[par.index]), float(se[par.index])
            z = est / sej if sej > 0 else float("nan")
            pv = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else float("nan")
            lo, hi = est - z_crit * sej, est + z_crit * sej
        else:
            est, sej, z, pv, lo, hi = par.value, float("nan"), float("nan"), float("nan"), par.value, par.value
        sse = float(std_se[k])
        rows.append([par.lhs, par.op, par.rhs, est, sej, z, pv, lo, hi, float(std_lv[k]), float(std_all[k]),
                     sse, par.free, par.label])
    estimates = pd.DataFrame(rows, columns=_EST_COLUMNS)
    for c in _EST_FLOATS:
        estimates[c] = estimates[c].astype("float64")

    c_lat = mats["c"]
    sd_lv = np.sqrt(np.clip(np.diag(c_lat), 1e-300, None))
    corr = c_lat / np.outer(sd_lv, sd_lv)
    latent_corr = pd.DataFrame(corr, index=latent, columns=latent)
    _warn_problems(structure, mats, estimates, latent_corr)

    fit = _fit_measures(f_min, s, sigma, n, structure.n_free, structure.p)

    # structural paths, R², effects
    reg = estimates[estimates["op"] == "~"]
    paths = pd.DataFrame({
        "source": reg["rhs"].to_numpy(), "target": reg["lhs"].to_numpy(),
        "estimate": reg["estimate"].to_numpy(), "std_error": reg["std_error"].to_numpy(),
        "z_value": reg["z_value"].to_numpy(), "p_value": reg["p_value"].to_numpy(),
        "ci_lower": reg["ci_lower"].to_numpy(), "ci_upper": reg["ci_upper"].to_numpy(),
        "std_all": reg["std_all"].to_numpy(), "std_all_se": reg["std_all_se"].to_numpy(),
    })
    li = {c: k for k, c in enumerate(latent)}
    r2 = pd.Series({t: 1.0 - mats["psi"][li[t], li[t]] / c_lat[li[t], li[t]] for t in spec.endogenous},
                   name="r_squared", dtype="float64")
    effects = _effects(structure, theta, cov_theta, spec, sd_lv)

    # scores, weights, index
    fs_w = mats["c"] @ mats["lam"].T @ np.linalg.inv(sigma)          # (m, p) factor-score weights
    scores = pd.DataFrame((x - mean) @ fs_w.T, index=row_index, columns=latent)
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
        t = float(stats.t.ppf(z, dfree))
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
    if spec.topological_order and any(c < 0 for c in (fit["df"],)):
        pass
    settings = dict(settings)
    settings.update({
        "bootstrap": int(bootstrap), "seed": boot_info.get("seed"), "confidence": confidence,
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


def _warn_problems(structure, mats, estimates, latent_corr) -> None:
    var_rows = estimates[(estimates["op"] == "~~") & (estimates["lhs"] == estimates["rhs"]) & estimates["free"]]
    neg = var_rows[var_rows["estimate"] < 0]
    if not neg.empty:
        names = [f"{r.lhs} ~~ {r.rhs} = {r.estimate:.3g}" for r in neg.itertuples()]
        warnings.warn(
            f"Heywood case: negative variance estimate(s) {quote_list(names)}. The solution is improper; "
            "the construct may have too few or too weak items, or the model is misspecified.",
            HeywoodWarning, stacklevel=4,
        )
    load = estimates[(estimates["op"] == "=~") & (estimates["std_all"].abs() > 1.0)]
    if not load.empty:
        names = [f"{r.lhs} =~ {r.rhs} ({r.std_all:.3f})" for r in load.itertuples()]
        warnings.warn(
            f"Heywood case: standardised loading(s) above 1: {quote_list(names)}.", HeywoodWarning, stacklevel=4,
        )
    lat = list(latent_corr.index)
    pairs = []
    for a in range(len(lat)):
        for b in range(a + 1, len(lat)):
            r = latent_corr.iat[a, b]
            if abs(r) > DISCRIMINANT_THRESHOLD:
                pairs.append(f"{lat[a]} and {lat[b]} ({r:.3f})")
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
        fs = eng.fit_ml(structure, sb, np.repeat(theta[None], r, axis=0), max_iter=200, tol=1e-8, newton=False)
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
    return estimates, index_df, {"seed": seed_used, "failed": failed}


def _stderr_tty() -> bool:
    import sys

    return bool(getattr(sys.stderr, "isatty", lambda: False)())


# --------------------------------------------------------------------------- semopy
def _semopy_model(spec: ModelSpec):
    import semopy

    return semopy.Model(spec.to_semopy())


def _semopy_solution(spec: ModelSpec, structure: eng.Structure, df: pd.DataFrame, max_iter: int,
                     obj: str = "MLW") -> np.ndarray:
    """Optimise with semopy (SLSQP, ftol 1e-12) and map its solution onto csindex's parameters."""
    model = _semopy_model(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(df, obj=obj, solver="SLSQP", options={"ftol": 1e-12, "maxiter": max(max_iter, 10000)})
    return _theta_from_semopy(structure, model.inspect())


def _theta_from_semopy(structure: eng.Structure, ins: pd.DataFrame) -> np.ndarray:
    lookup = {}
    for r in ins.itertuples(index=False):
        lval, op, rval, est = r[0], r[1], r[2], float(r[3])
        lookup[(lval, op, rval)] = est
        if op == "~~":
            lookup[(rval, op, lval)] = est
    theta = np.zeros(structure.n_free)
    for par in structure.params:
        if not par.free:
            continue
        key = (par.rhs, "~", par.lhs) if par.op == "=~" else (par.lhs, par.op, par.rhs)
        if key not in lookup:
            raise EstimationError(f"semopy did not report the parameter '{par.lhs} {par.op} {par.rhs}'.")
        theta[par.index] = lookup[key]
    return theta


def _fit_fiml(spec, structure, frame, x, row_index, survey, scale, confidence, notes, t_start, w):
    """Full-information ML through semopy; SEs from semopy's information matrix."""
    if w is not None:
        raise SurveyDataError("missing='fiml' does not support sampling weights; use missing='listwise'.")
    items = list(structure.observed)
    df = pd.DataFrame(x, columns=items)
    model = _semopy_model(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(df, obj="FIML", solver="SLSQP", options={"ftol": 1e-12, "maxiter": 10000})
        ins = model.inspect()
    theta = _theta_from_semopy(structure, ins)
    se_lookup = {}
    for r in ins.itertuples(index=False):
        try:
            se_lookup[(r[0], r[1], r[2])] = float(r[4])
        except (TypeError, ValueError):
            pass
    se = np.full(structure.n_free, np.nan)
    for par in structure.params:
        if par.free:
            key = (par.rhs, "~", par.lhs) if par.op == "=~" else (par.lhs, par.op, par.rhs)
            se[par.index] = se_lookup.get(key, se_lookup.get((par.rhs, par.op, par.lhs), np.nan))
    cov_theta = np.diag(se**2)
    complete = ~np.isnan(x).any(axis=1)
    mean = np.nanmean(x, axis=0)
    # pairwise-available moments for the descriptive sample covariance
    s = pd.DataFrame(x).cov(ddof=0).to_numpy()
    n = len(x)
    mats = {k: v[0] for k, v in structure.implied(theta[None]).items()}
    sigma = mats["sigma"]
    f_min = float("nan")
    notes.append("FIML via semopy: chi-square-based fit indices need the saturated model and are not "
                 "computed (NaN); standard errors are semopy's.")
    res = _assemble(spec, structure, theta, cov_theta, s, mean, np.where(np.isnan(x), mean, x), None,
                    row_index, n, f_min, True, 0, survey, scale, confidence, 0, None, None, notes,
                    settings={"estimator": "ML", "missing": "fiml", "engine": "semopy", "information": "semopy"},
                    t_start=t_start)
    del complete, sigma
    return res
