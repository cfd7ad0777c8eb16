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
finished by Newton steps (:mod:`csindex.sem._engine`), which converges to machine precision:
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
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._params import AnyOf, Boolean, Options, renamed, validate_params
from .._random import resolve_seed
from .._validation import quote_list
from ..exceptions import (ConvergenceError, ConvergenceWarning, MissingDataWarning, ParameterError, SpecError,
                          SurveyDataError)
from ..models import resolve_model
from .._segmenting import segmentable
from ..spec import ModelSpec
from . import _engine as eng
from ._assemble import _assemble
from ._data import _check_sample_cov, _invert_information, _moments, _param_name, _resolve_data, _warn
from ._semopy import _semopy_solution
from .fiml import _fit_fiml
from .multigroup import MultiGroupSEMResult, fit_sem_multigroup
from .results import SEMResult
from .robust import robust_fit

ESTIMATORS = ("ML", "MLR", "MLM")

__all__ = ["fit_sem"]

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- main
@segmentable
@renamed(use_weights="weights")
@validate_params(
    {"estimator": Options(*ESTIMATORS), "missing": Options("listwise", "fiml"),
     "information": AnyOf(Options("expected", "observed"), none_ok=True), "engine": Options("csindex", "semopy"),
     "weights": AnyOf(Boolean(), none_ok=True)},
    common=("confidence", "bootstrap", "seed", "max_iter", "progress"),
)
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
    weights: bool | None = None,
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
        The model; a template name (``"ccsi"``, ``"acsi"``, ``"ecsi"``, ``"scsb"``) filled
        from a Survey's codebook (:func:`csindex.models.resolve_model`); or lavaan-style syntax (``=~``, ``~``, ``~~``, modifiers ``1*x``,
        ``NA*x``, labels ``a*x`` for equality constraints). Formative blocks are refused.
    estimator : {"ML", "MLR", "MLM"}
        Maximum likelihood (lavaan's default); ``"MLR"``: ML estimates with Huber-White
        sandwich standard errors (observed information as bread) and the Yuan-Bentler
        (Mplus) scaled chi-square; ``"MLM"``: ML estimates with Satorra-Bentler standard
        errors (expected information, Gamma with divisor N) and scaled chi-square. Both add
        ``chi2_scaled, scaling_factor, cfi/tli/rmsea_scaled, cfi/tli/rmsea_robust`` to
        ``fit_indices`` with lavaan 0.6's definitions; MLR also with ``missing="fiml"``.
    missing : {"listwise", "fiml"}
        Drop incomplete rows (with a MissingDataWarning giving the count), or full
        information ML (csindex's own: saturated item means, the H1 model for the
        chi-square estimated by EM, lavaan's ``missing = "ml"``). With FIML (unweighted),
        ``cfi/tli/rmsea_robust`` come from the FIML-corrected statistic of Zhang & Savalei
        (2023), whose pieces are ``chi2_fimlc, scaling_factor_fimlc, baseline_*_fimlc``, as
        lavaan's (for ML and MLR). semopy's FIML objective
        is not used: on the bundled airline data it stops at a solution with standardised
        loadings near 1.
    bootstrap : int, default 0
        Number of bootstrap resamples for standard errors and percentile intervals of
        every parameter and of the index (resamples are estimated together, batched;
        listwise only).
    seed : int or numpy.random.Generator, optional
        Seed of the bootstrap; the int that reproduces the run is ``settings["seed"]``
        (None without bootstrap).
    information : {"expected", "observed"}, optional
        Information matrix of the standard errors. Default as lavaan: expected for
        listwise ML, observed for FIML.
    engine : {"csindex", "semopy"}
        csindex's Fisher scoring + Newton (default, machine precision), or semopy's SLSQP
        with ``ftol=1e-12`` (every number then computed from its solution, same formulas).
    scale : (min, max) or mapping item -> (min, max), optional
        Theoretical scale bounds for the 0-100 index; by default the codebook's (Survey)
        or the smallest and largest value in the data (noted in ``settings``).
    confidence : float, default 0.95
        Level of the Wald and bootstrap intervals.
    max_iter : int, default 500
        Iteration limit of the optimiser.
    progress : bool, optional
        Progress bar over bootstrap batches (default: long runs on a TTY).
    weights : bool, optional
        Use a Survey's sampling weights for the sample moments (pseudo-ML; point estimates
        and index weighted, standard errors as for simple random sampling). Default: use
        them when the Survey has weights; ``False`` ignores them (lavaan's default fit).
        (Formerly ``use_weights``, accepted with a FutureWarning.)
    group : str, optional
        Fit a multi-group model by this column (:func:`fit_sem_multigroup`).
    equal : sequence of str
        With ``group``: parameter classes held equal across groups (lavaan's
        ``group.equal``), default ``("loadings",)``.
    by : str, list of str or Series, optional
        Analyse every segment separately (see :func:`csindex.segments.split_segments`);
        a :class:`~csindex.segments.SegmentResults` of SEMResults (``n_jobs=`` in parallel).

    Returns
    -------
    SEMResult

    Raises
    ------
    ParameterError
        An option out of range (``confidence``, ``bootstrap``, ``seed``, ``estimator``, ...).
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
    _check_combination(estimator, missing, information, engine, bootstrap, group)
    if group is not None:
        return fit_sem_multigroup(data, model, group, equal=equal, scale=scale, confidence=confidence,
                                  max_iter=max_iter, weights=weights)
    t_start = time.perf_counter()
    spec = resolve_model(model, data)
    prep = _prepare(data, spec, missing, weights)
    structure = eng.build_structure(spec)
    _check_identified(structure)
    resolved = resolve_seed(seed, "fit_sem") if bootstrap else None
    if missing == "fiml":
        return _fit_fiml(spec, structure, prep.frame, prep.x, prep.row_index, prep.survey, scale, confidence,
                         prep.notes, t_start, prep.w, "observed" if information is None else information,
                         max_iter, prep.n_total, estimator)
    mean, s = _moments(prep.x, prep.w)
    _check_sample_cov(s, prep.items, len(prep.x))
    theta, fs, converged = _optimise(spec, structure, s, len(prep.x), engine, max_iter)
    information = information or ("observed" if estimator == "MLR" else "expected")
    cov_theta, robust = _covariance(structure, theta, fs, s, mean, prep, estimator, information)
    return _assemble(spec, structure, theta, cov_theta, s, mean, prep.x, prep.w, prep.row_index, len(prep.x),
                     float(fs.f[0]), converged, int(fs.iterations[0]), prep.survey, scale, confidence, bootstrap,
                     resolved, progress, prep.notes,
                     settings={"estimator": estimator, "missing": missing, "engine": engine,
                               "information": information, "n_total": prep.n_total},
                     t_start=t_start, robust=robust)


def _check_combination(estimator: str, missing: str, information: str | None, engine: str, bootstrap: int,
                       group: Any) -> None:
    """Options that are valid alone but not together."""
    if group is not None and (missing != "listwise" or bootstrap or engine != "csindex" or estimator != "ML"):
        raise ParameterError("A multi-group fit (group=) supports estimator='ML', missing='listwise', "
                             "bootstrap=0 and engine='csindex' only.")
    if estimator == "MLM" and missing == "fiml":
        raise ParameterError("estimator='MLM' (Satorra-Bentler) needs complete data (missing='listwise'); with "
                             "missing='fiml' use estimator='MLR'.")
    if estimator != "ML" and information is not None:
        raise ParameterError(f"estimator={estimator!r} sets the information matrix itself (MLR: observed, "
                             "MLM: expected); leave information=None.")
    if missing == "fiml" and engine != "csindex":
        raise ParameterError("missing='fiml' uses csindex's engine; semopy's FIML objective does not reach the "
                             "ML solution on the bundled data (loadings near 1). Use engine='csindex'.")
    if missing == "fiml" and bootstrap:
        raise ParameterError("bootstrap= is not available with missing='fiml'; use missing='listwise' or "
                             "bootstrap=0.")


@dataclass
class _Prepared:
    frame: pd.DataFrame
    survey: Any
    items: list[str]
    x: np.ndarray
    row_index: pd.Index
    w: np.ndarray | None
    notes: list[str]
    n_total: int


def _prepare(data: Any, spec: ModelSpec, missing: str, use_weights: bool | None) -> _Prepared:
    """Item matrix (listwise: complete rows), row labels, normalised sampling weights and notes."""
    frame, weights, survey = _resolve_data(data)
    if use_weights and weights is None:
        raise SurveyDataError("weights=True but the data has no sampling weights (pass a Survey with weights).")
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
    notes: list[str] = []
    single = [b.name for b in spec.blocks if len(b.items) == 1]
    if single:
        notes.append(f"Construct(s) {quote_list(single)} have one item: its residual variance is fixed to 0 "
                     "(the item is the construct).")
    keep = ~np.isnan(x_all).any(axis=1) if missing == "listwise" else np.ones(len(x_all), bool)
    n_drop = int((~keep).sum())
    if n_drop:
        per_item = np.isnan(x_all).sum(axis=0)
        worst = [f"{items[k]} ({per_item[k]})" for k in np.argsort(-per_item)[:3] if per_item[k]]
        _warn(
            f"fit_sem dropped {n_drop} of {len(x_all)} rows with a missing item (listwise deletion); most "
            f"missing: {', '.join(worst)}. Use missing='fiml' to keep them.",
            MissingDataWarning
        )
        notes.append(f"Listwise deletion: {n_drop} of {len(x_all)} rows dropped.")
    x = x_all[keep]
    if len(x) == 0:
        raise SurveyDataError("No row has all the model's items answered; nothing to fit.")
    w = None
    if weights is not None and use_weights is not False:
        w = np.asarray(weights, dtype=float)[keep]
        if not np.all(np.isfinite(w)) or (w < 0).any():
            raise SurveyDataError("The sampling weights have missing or negative values.")
        w = w / w.sum()
    return _Prepared(frame, survey, items, x, frame.index[keep], w, notes, len(frame))


def _check_identified(structure: eng.Structure) -> None:
    p, q = structure.p, structure.n_free
    df_model = p * (p + 1) // 2 - q
    if df_model < 0:
        raise SpecError(
            f"The model is under-identified: {q} free parameters but only {p * (p + 1) // 2} distinct "
            f"variances and covariances of {p} items (df = {df_model}). Fix parameters or add items."
        )


def _optimise(spec: ModelSpec, structure: eng.Structure, s: np.ndarray, n: int, engine: str,
              max_iter: int) -> tuple[np.ndarray, eng.FitState, bool]:
    """ML estimates by csindex's engine (or semopy's optimiser), with a ConvergenceWarning when
    the gradient is not zero."""
    theta0 = eng.start_values(structure, spec, s)
    if engine == "semopy":
        theta0 = _semopy_solution(spec, structure, pd.DataFrame(s, index=structure.observed,
                                                                columns=structure.observed), n, max_iter)
        fs = eng.fit_ml(structure, s[None], theta0[None], max_iter=0, newton=False)
        # semopy's SLSQP stops on its own criterion; report how close to the optimum it is
        converged = bool(np.abs(fs.grad[0]).max() < 1e-5)   # lavaan's default stops near 2e-6
    else:
        fs = eng.fit_ml(structure, s[None], theta0[None], max_iter=max_iter)
        converged = bool(fs.converged[0])
    if not np.isfinite(fs.f[0]):
        raise ConvergenceError(
            "The ML estimation found no admissible solution (the implied covariance matrix is not positive "
            "definite). Check the model for constructs with too few or weak items."
        )
    if not converged:
        grad = fs.grad[0]
        k = int(np.argmax(np.abs(grad)))
        name = _param_name(structure, k)
        where = (f"semopy stopped with the largest gradient {abs(grad[k]):.2e} at {name!r}; estimates may be "
                 "inaccurate. Use engine='csindex'." if engine == "semopy" else
                 f"fit_sem did not converge in {max_iter} iterations (largest gradient {abs(grad[k]):.2e} at "
                 f"{name!r}); estimates may be inaccurate. Increase max_iter or simplify the model.")
        _warn(where, ConvergenceWarning)
    return fs.theta[0], fs, converged


def _covariance(structure: eng.Structure, theta: np.ndarray, fs: eng.FitState, s: np.ndarray, mean: np.ndarray,
                prep: _Prepared, estimator: str, information: str) -> tuple[np.ndarray, dict[str, Any] | None]:
    """Covariance of the estimates: ML (expected or observed information), MLR or MLM (sandwich),
    and the robust test pieces."""
    n = len(prep.x)
    info = fs.info[0]
    if information == "observed":
        info = eng.numerical_hessian(structure, theta, s, np.array([np.linalg.slogdet(s)[1]]))
    if estimator == "ML":
        return _invert_information(structure, info, n), None
    if prep.w is not None:
        raise ParameterError(f"estimator={estimator!r} is not available with sampling weights; pass "
                             "weights=False or use estimator='ML'.")
    rob = robust_fit(structure, theta, prep.x, mean, s, info, estimator)
    return rob.pop("vcov"), rob
