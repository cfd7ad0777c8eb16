"""``fit_pls``: PLS path modeling (Wold 1982; Lohmöller 1989; Tenenhaus et al. 2005)."""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._params import Boolean, Count, ScaleRange, check_param
from .._sufficient import is_source
from .._validation import check_option, did_you_mean, quote_list
from .._weighted import check_weights
from ..exceptions import (
    ConvergenceWarning,
    EstimationError,
    InferenceWarning,
    MissingDataWarning,
    SurveyDataError,
)
from ..models import TEMPLATES, resolve_model  # noqa: F401  (TEMPLATES kept for old imports)
from ..spec import ModelSpec
from ..survey import Survey
from ._algorithm import Layout, _normalised, _update, moments
from ._stats import estimate_stack
from .bootstrap import run_bootstrap
from .results import PLSResult
from .segments import fit_by
from ._streaming import fit_source

__all__ = ["fit_pls"]

logger = logging.getLogger(__name__)

SCHEMES = ("path", "centroid", "factorial")
MISSING = ("listwise", "mean", "em")
PRESETS = (None, "csindex", "plspm", "seminr", "smartpls")
RULES = ("max_abs", "sum_abs", "sum_squared")
INDEX_WEIGHTS = ("unstandardized", "standardized")


@dataclass(frozen=True)
class Prepared:
    """Data ready for estimation: numeric items (complete), weights and scale bounds."""

    X: np.ndarray  # (n, p) raw items, block order, no NaN
    weights: np.ndarray | None  # (n,) sampling weights, or None
    rows: pd.Index  # index labels of the rows used
    lo: np.ndarray  # (p,) scale minimum
    hi: np.ndarray  # (p,) scale maximum
    scale_source: str
    missing: dict[str, Any]
    em: Any = None  # pls._missing.EMFit under missing="em" when answers are missing


def _resolve_model(model: Any, data: Any) -> ModelSpec:
    return resolve_model(model, data)


@functools.lru_cache(maxsize=64)
def _layout(spec: ModelSpec) -> Layout:
    return Layout.from_spec(spec)


def _to_float(sub: pd.DataFrame) -> np.ndarray:
    """The items as a float64 array; large frames are copied column by column into a
    Fortran-ordered array (one pass, no interleaving copy)."""
    n, p = sub.shape
    if n * p <= 2_000_000:
        return sub.to_numpy(dtype=float, na_value=np.nan)
    out = np.empty((p, n)).T
    for k in range(p):
        out[:, k] = sub.iloc[:, k].to_numpy(dtype=float, na_value=np.nan)
    return out


def _scale_bounds(spec_items: Sequence[str], X: np.ndarray, scale: Any, survey: Any,
                  data_range: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    p = len(spec_items)
    scale = check_param("scale", scale, ScaleRange(per_item=True, ordered=False), "fit_pls")
    if scale is not None:
        if isinstance(scale, Mapping):
            missing = [i for i in spec_items if i not in scale]
            if missing:
                raise SurveyDataError(
                    f"scale= gives no (min, max) for item(s) {quote_list(missing)}. Give every model item "
                    "or a single (min, max) pair for all."
                )
            pairs = [tuple(map(float, scale[i])) for i in spec_items]
        else:
            try:
                lo_, hi_ = (float(v) for v in scale)
            except (TypeError, ValueError):
                raise SurveyDataError(f"scale= must be a (min, max) pair or a dict item -> (min, max); got {scale!r}.") from None
            pairs = [(lo_, hi_)] * p
        source = "argument"
    elif survey is not None:
        pairs = [survey.scale(i) for i in spec_items]
        source = "codebook"
    else:
        lo_, hi_ = (float(np.nanmin(X)), float(np.nanmax(X))) if data_range is None else map(float, data_range)
        pairs = [(lo_, hi_)] * p
        source = "data"
    lo = np.array([a for a, _ in pairs], dtype=float)
    hi = np.array([b for _, b in pairs], dtype=float)
    bad = [i for i, a, b in zip(spec_items, lo, hi) if not b > a]
    if bad:
        raise SurveyDataError(f"The scale of item(s) {quote_list(bad)} has max <= min; give scale=(min, max).")
    return lo, hi, source


def prepare(data: Any, spec: ModelSpec, *, missing: str, weights: Any = None, scale: Any = None) -> Prepared:
    """Select, check and clean the model items."""
    survey = None
    ignore_weights = weights is False
    if ignore_weights:
        weights = None
    if isinstance(data, Survey):
        survey = data
        frame = data.responses
        if weights is None and data.weights is not None and not ignore_weights:
            weights = data.weights.to_numpy(dtype=float)
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise SurveyDataError(f"data must be a pandas DataFrame or a csindex Survey, got {type(data).__name__}.")
    spec.check_data(frame.columns)
    items = list(spec.items)
    if isinstance(weights, str):
        if weights not in frame.columns:
            raise SurveyDataError(f"weights={weights!r} is not a data column.{did_you_mean(weights, frame.columns)}")
        weights = frame[weights].to_numpy(dtype=float)
    if frame.shape[1] == len(items) and frame.columns.tolist() == items:
        sub = frame
    else:
        cols = frame.columns.tolist()
        if len(set(cols)) != len(cols):
            dup = sorted({str(c) for c in cols if cols.count(c) > 1})
            raise SurveyDataError(f"The data has duplicated column names ({quote_list(dup)}); rename them.")
        where = {c: k for k, c in enumerate(cols)}
        sub = frame.take([where[c] for c in items], axis=1)  # positions: faster than frame[items] in pandas 3
    try:
        X = _to_float(sub)
    except (TypeError, ValueError):
        X = None
    if X is None:  # text (or dates) among the items
        nonnum = [c for c, dt in zip(items, sub.dtypes)
                  if not (getattr(dt, "kind", "O") in "fiub" or pd.api.types.is_numeric_dtype(dt))]
        raise SurveyDataError(
            f"Item(s) {quote_list(nonnum or items)} are not numeric. PLS needs numeric ratings; recode them "
            "(csindex.load_survey does this for a codebook's rated items)."
        )
    n_total = X.shape[0]
    if n_total == 0:
        raise SurveyDataError("The data has no rows.")
    w = None
    if weights is not None:
        w = check_weights(weights, n_total, "fit_pls", index=frame.index)
    rows = frame.index
    col_min = X.min(axis=0)
    col_max = X.max(axis=0)
    if np.isfinite(col_min).all() and np.isfinite(col_max).all():  # no NaN, no inf
        report = {"policy": missing, "n_total": n_total, "rows_affected": 0, "cells_missing": 0,
                  "rows_dropped": 0, "cells_imputed": 0}
        lo, hi, source = _scale_bounds(items, X, scale, survey, data_range=(col_min.min(), col_max.max()))
        return Prepared(X, w, rows, lo, hi, source, report)
    nan = np.isnan(X)
    if np.isinf(X).any():
        bad = [items[k] for k in np.flatnonzero(np.isinf(X).any(axis=0))]
        raise SurveyDataError(f"Item(s) {quote_list(bad)} contain infinite values.")
    report: dict[str, Any] = {"policy": missing, "n_total": n_total, "rows_affected": 0, "cells_missing": 0,
                              "rows_dropped": 0, "cells_imputed": 0}
    row_nan = nan.any(axis=1)
    n_aff = int(row_nan.sum())
    report["rows_affected"] = n_aff
    report["cells_missing"] = int(nan.sum())
    em = None
    data_range = None
    if n_aff:
        per_item = nan.sum(axis=0)
        worst = [f"{items[k]!r} ({per_item[k]})" for k in np.argsort(-per_item)[:3] if per_item[k]]
        if missing == "em":
            from ._missing import prepare_em

            data_range = (float(np.nanmin(X)), float(np.nanmax(X)))
            X, w, rows, em = prepare_em(X, w, rows, items, report, worst, stacklevel=5)
        elif missing == "listwise":
            keep = ~row_nan
            X = X[keep]
            rows = rows[keep]
            if w is not None:
                w = w[keep]
            report["rows_dropped"] = n_aff
            if X.shape[0] == 0:
                raise SurveyDataError(
                    f"Only 0 complete respondents: all {n_total} miss at least one model item (most missing: "
                    f"{', '.join(worst)}). Use missing='em' (or 'mean') or drop those items."
                )
            msg = (f"{n_aff} of {n_total} respondents have missing answers on model items and were dropped "
                   f"(listwise); most missing: {', '.join(worst)}. Use missing='em' to keep them.")
        else:
            keep_w = w if w is not None else np.ones(n_total)
            means = np.array([np.average(X[~nan[:, k], k], weights=keep_w[~nan[:, k]]) if (~nan[:, k]).any()
                              else np.nan for k in range(X.shape[1])])
            empty = [items[k] for k in np.flatnonzero(np.isnan(means))]
            if empty:
                raise SurveyDataError(f"Item(s) {quote_list(empty)} have no answers at all; drop them from the model.")
            X = np.where(nan, means, X)
            report["cells_imputed"] = int(nan.sum())
            msg = (f"{int(nan.sum())} missing answers of {n_aff} respondents were replaced by the item means; "
                   f"most missing: {', '.join(worst)}.")
        if em is None:
            warnings.warn(msg, MissingDataWarning, stacklevel=4)
    lo, hi, source = _scale_bounds(items, X, scale, survey, data_range=data_range)
    return Prepared(X, w, rows, lo, hi, source, report, em)


def _check_size(prep: Prepared, layout: Layout) -> None:
    n = prep.X.shape[0]
    max_pred = max([len(layout.preds[j]) for j in range(layout.J)] + [1])
    if n < max(3, 2 * max_pred):
        raise SurveyDataError(
            f"Only {n} complete respondents; PLS needs at least {max(3, 2 * max_pred)} (twice the largest number "
            f"of predictors, {max_pred}). Collect more data, use missing='em', or simplify the model."
        )
    if n < layout.p:
        warnings.warn(
            f"Only {n} complete respondents for {layout.p} model items: the item correlation matrix is singular "
            "and the PLS estimates (paths, loadings) are unstable and can exceed 1. Collect more data or use "
            "fewer items.", InferenceWarning, stacklevel=4)


def _check_design(prep: Prepared, spec: ModelSpec, layout: Layout, S: np.ndarray) -> None:
    sd = np.sqrt(np.diag(S))
    const = [k for k in range(layout.p) if not sd[k] > 1e-12 * max(1.0, abs(prep.lo[k]), abs(prep.hi[k]))]
    if const:
        names = [f"{layout.items[k]!r} (construct {layout.constructs[layout.block[k]]!r})" for k in const]
        raise SurveyDataError(
            f"Item(s) {', '.join(names[:5])} are constant in the data used (zero variance); "
            "PLS cannot weight them. Drop them from the model."
        )
    R = S / np.outer(sd, sd)
    for j, sl in enumerate(layout.slices):
        if layout.mode_b[j] and sl.stop - sl.start > 1:
            eig = np.linalg.eigvalsh(R[sl, sl])
            if eig[0] < 1e-10 * eig[-1]:
                raise EstimationError(
                    f"The items of the Mode B (formative) block {layout.constructs[j]!r} are perfectly collinear "
                    f"(singular correlation matrix); drop a redundant item of {quote_list(layout.items[sl])} or "
                    "declare the block reflective ('=~')."
                )


def fit_pls(
    data: Any,
    model: ModelSpec | str,
    *,
    scheme: str = "path",
    standardize: bool = True,
    max_iter: int = 300,
    tol: float = 1e-7,
    missing: str = "listwise",
    bootstrap: int = 0,
    ci: str = "percentile",
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = None,
    n_jobs: int = 1,
    progress: bool | None = None,
    weights: Any = None,
    scale: Any = None,
    preset: str | None = None,
    convergence: str = "max_abs",
    chunk_size: int = 500,
    consistent: bool = False,
    index_weights: str = "unstandardized",
    sign_change: str = "none",
    by: Any = None,
    bootstrap_groups: int = 200,
):
    """Estimate a PLS path model (PLS-PM) with Wold's iterative algorithm.

    Parameters
    ----------
    data : DataFrame, Survey, Parquet path, DuckDB relation or Dask DataFrame
        One row per respondent. A Survey also supplies sampling weights and the items'
        scales for the 0-100 index. A Parquet file or folder, a DuckDB relation or a Dask
        DataFrame is read out of core (user guide, "Large data"): one streaming pass sums
        the weighted counts, item sums and cross-products, and the fit on those sums equals
        the in-memory fit to 1e-10 (``weights`` a column name; scores in a second pass,
        :meth:`PLSResult.stream_scores`). ``missing="em"`` keeps the sums per missing-data
        pattern, which is all EM needs. ``by=`` (column names) keeps one set of sums per
        segment in the same pass and returns the same
        :class:`~csindex.segments.SegmentResults` as in memory. ``bootstrap=`` uses random
        groups instead of rows (see ``bootstrap_groups``; with ``missing="em"`` the pattern
        sums are kept per group and EM re-runs in every resample). ``res.predict()`` runs
        k-fold PLSpredict in two more passes (``missing="listwise"`` fits).
    model : str or ModelSpec
        lavaan-style syntax (``=~`` reflective block, Mode A; ``<~`` formative block,
        Mode B; ``~`` structural path), a :class:`~csindex.spec.ModelSpec`, or the
        name of a template (``"ccsi"``, ``"acsi"``, ``"ecsi"``, ``"scsb"``) when ``data``
        is a Survey.
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme. ``"path"`` is the default of seminr, cSEM and SmartPLS;
        R plspm defaults to ``"centroid"``.
    standardize : bool
        ``True``: items standardised (population SD) before estimation, as R plspm's
        ``scaled=TRUE`` (weights identical to seminr and cSEM). ``False``: items only
        centred (the ACSI practice), so the weights are on the raw item scale.
    max_iter : int
        Maximum number of weight updates.
    tol : float
        Stopping tolerance of the ``convergence`` rule.
    missing : {"listwise", "mean", "em"}
        Drop respondents with a missing model item; replace missing answers by the
        (weighted) item mean (SmartPLS's mean replacement); or ``"em"``: use every
        respondent with at least one answer -- the item means and covariance are the
        maximum-likelihood (EM) estimates under multivariate normality (weighted under
        sampling weights), the PLS iteration and the 0-100 index use them, and missing
        answers are replaced by their conditional expectation given the respondent's
        observed answers for the construct scores. ``em`` has the least bias and error
        of the three in the simulation of the user guide ("Missing answers"). The counts
        are in ``result.missing`` and ``settings`` (``n_used``, ``n_dropped``, and
        ``em_iterations``, ``em_converged``), and a
        :class:`~csindex.exceptions.MissingDataWarning` is issued. A bootstrap re-runs EM
        in every resample.
    bootstrap : int
        Number of bootstrap resamples (0 = none). Adds ``std_error, t_value, p_value,
        ci_lower, ci_upper`` to ``paths``, ``weights``, ``loadings``, ``effects``,
        ``index`` and the HTMT table.
    ci : {"percentile", "bca"}
        Bootstrap confidence interval.
    confidence : float
        Confidence level of the intervals.
    seed : int, Generator or None
        Seed of the bootstrap; the result does not depend on ``n_jobs``.
    n_jobs : int
        Parallel workers for the bootstrap chunks (joblib; any joblib backend, e.g. Dask).
    progress : bool or None
        tqdm bar for the bootstrap; None shows it for long runs on a terminal.
    weights : str, array, None or False
        Sampling weights (a column name or values); defaults to ``Survey.weights``;
        ``False`` ignores the Survey's weights.
    scale : (min, max) or dict, optional
        Item scale bounds for the 0-100 index; defaults to the Survey codebook, else the
        smallest and largest value of the model items in the data.
    preset : {None, "plspm", "seminr", "smartpls"}
        Follow that package's definitions where they differ: construct scores with unit
        population variance (plspm; the default) or unit sample variance (seminr,
        SmartPLS), the composite reliability from the PLS loadings (default) or from the
        first principal component (plspm's Dillon-Goldstein rho), and the GoF convention.
    convergence : {"max_abs", "sum_abs", "sum_squared"}
        Stopping rule on successive weights ``w`` (in standardised item units, so the rule
        is scale free): ``max |Δ|w|| < tol`` (default, as cSEM), ``Σ |Δ|w|| < tol``
        (seminr) or ``Σ (Δ|w|)² < tol`` (R plspm).
    chunk_size : int
        Bootstrap resamples per chunk (bounds memory; fixes the random streams). Capped
        so that a chunk's resampling count matrix has at most 20 million cells
        (``chunk <= 2e7 / n``); the value used is ``settings["chunk_size"]``.
    consistent : bool
        Consistent PLS (PLSc, Dijkstra & Henseler 2015): disattenuate the construct
        correlations of reflective (Mode A) blocks by their rho_A, and report consistent
        loadings and the paths and R² re-estimated from the corrected correlations.
        Weights, scores and the 0-100 index are those of PLS. Matches cSEM's PLSc
        (``.disattenuate = TRUE``, Dijkstra's correction factor) to 1e-8; Mode B blocks and
        single-item constructs get rho_A = 1, as in cSEM.
    index_weights : {"unstandardized", "standardized"}
        Weights of the 0-100 index: the unstandardised outer weights (Fornell et al. 1996;
        cSEM, SmartPLS; default), or the standardised weights normalised directly
        (seminrExtras' IPMA and R plspm's ``rescale()`` of a ``scaled=TRUE`` fit), for
        cross-checking with those tools. The two agree when the items' SDs are equal.
    sign_change : {"none", "individual", "construct"}
        Bootstrap sign-change correction (Tenenhaus et al. 2005, p. 177): none (default,
        as seminr, plspm and SmartPLS); ``"individual"`` gives each resample estimate the
        sign of the full-sample one; ``"construct"`` flips a block's weights in a resample
        when ``|Σ(λ̂ - λ*)| > |Σ(λ̂ + λ*)|`` and re-estimates.
    by : str, optional
        Column (of the data or a Survey's responses) to split on; returns a mapping
        ``segment -> PLSResult``, each equal to fitting that segment alone.
    bootstrap_groups : int
        Out-of-core sources only: the number ``G`` of random groups of the bootstrap
        (default 200, at least 10). The rows of a source cannot be resampled, so the
        streaming pass keeps the sums of ``G`` random groups (equal sizes; a row's group is
        a seeded permutation of its position, the same for any batch or partition layout)
        and each resample draws ``G - 1`` groups with replacement (the method of random
        groups, Wolter 2007, ch. 2, with Rao & Wu's 1988 bootstrap of primary units; BCa
        from Kott's delete-a-group jackknife); ``settings`` records
        ``bootstrap_method="random-group"``. The standard errors then have about ``G - 1``
        degrees of freedom (relative error about ``1/sqrt(2(G - 1))``, 5 % at 200),
        whatever ``bootstrap``; memory is ``G`` sums of ``p x p``. In memory the rows
        themselves are resampled and this option is not used.

    Returns
    -------
    PLSResult

    Raises
    ------
    SpecError
        A malformed or cyclic model.
    SurveyDataError
        Items missing from the data, a constant item, too few complete respondents.
    EstimationError
        Perfectly collinear items in a Mode B block.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import csindex
    >>> rng = np.random.default_rng(1)
    >>> q = rng.normal(size=200); s = 0.6 * q + 0.8 * rng.normal(size=200)
    >>> df = pd.DataFrame({f"q{k}": q + rng.normal(size=200) for k in (1, 2, 3)}
    ...                   | {f"s{k}": s + rng.normal(size=200) for k in (1, 2)})
    >>> res = csindex.fit_pls(df, "QUAL =~ q1 + q2 + q3\\nSAT =~ s1 + s2\\nSAT ~ QUAL")
    >>> res.paths[["source", "target"]].values.tolist()
    [['QUAL', 'SAT']]
    >>> bool(res.converged), round(float(res.r_squared.set_index("construct").loc["SAT", "r_squared"]), 2)
    (True, 0.13)
    """
    for name, value, allowed in (("scheme", scheme, SCHEMES), ("missing", missing, MISSING),
                                 ("preset", preset, PRESETS), ("convergence", convergence, RULES),
                                 ("ci", ci, ("percentile", "bca")), ("index_weights", index_weights, INDEX_WEIGHTS),
                                 ("sign_change", sign_change, ("none", "individual", "construct"))):
        check_option(name, value, allowed, "fit_pls")
    max_iter, tol, confidence, bootstrap, seed, progress = (
        check_param(name, value, where="fit_pls") for name, value in (
            ("max_iter", max_iter), ("tol", tol), ("confidence", confidence), ("bootstrap", bootstrap),
            ("seed", seed), ("progress", progress)))
    chunk_size = check_param("chunk_size", chunk_size, Count(1), "fit_pls")
    bootstrap_groups = check_param("bootstrap_groups", bootstrap_groups, Count(10, 100_000), "fit_pls")
    standardize = check_param("standardize", standardize, Boolean(), "fit_pls")
    consistent = check_param("consistent", consistent, Boolean(), "fit_pls")
    options = dict(scheme=scheme, standardize=standardize, max_iter=max_iter, tol=tol, missing=missing,
                   bootstrap=bootstrap, ci=ci, confidence=confidence, seed=seed, n_jobs=n_jobs,
                   progress=progress, weights=weights, scale=scale, preset=preset, convergence=convergence,
                   chunk_size=chunk_size, consistent=bool(consistent), index_weights=index_weights,
                   sign_change=sign_change, bootstrap_groups=bootstrap_groups)
    if is_source(data):  # Parquet file/folder, DuckDB relation, Dask DataFrame: out of core
        return fit_source(data, _resolve_model(model, data), by, model=model, **options)
    if by is not None:
        return fit_by(fit_pls, data, model, by, options)
    spec = _resolve_model(model, data)
    return _fit(data, spec, **options)


def _fit(data: Any, spec: ModelSpec, *, scheme: str, standardize: bool, max_iter: int, tol: float, missing: str,
         bootstrap: int, ci: str, confidence: float, seed: Any, n_jobs: int, progress: bool | None, weights: Any,
         scale: Any, preset: str | None, convergence: str, chunk_size: int, consistent: bool = False,
         index_weights: str = "unstandardized", sign_change: str = "none", bootstrap_groups: int = 200):
    layout = _layout(spec)  # bootstrap_groups: out-of-core sources only (in memory the rows are resampled)
    prep = prepare(data, spec, missing=missing, weights=weights, scale=scale)
    _check_size(prep, layout)
    if prep.weights is not None and not prep.weights.sum() > 0:
        raise SurveyDataError("The sampling weights of the respondents used sum to 0.")
    mean, S = moments(prep.X, prep.weights) if prep.em is None else (prep.em.mean, prep.em.cov)
    _check_design(prep, spec, layout, S)
    st = estimate_stack(S[None], mean[None], layout, scheme=scheme, tol=tol, max_iter=max_iter, rule=convergence,
                        standardized=standardize, lo=prep.lo, hi=prep.hi, with_htmt=False, consistent=consistent,
                        index_kind=index_weights)
    converged = bool(st.iteration.converged[0])
    if not converged:
        worst = _worst_blocks(st, S, layout, scheme, standardize)
        warnings.warn(
            f"The PLS weights did not converge within max_iter={max_iter} iterations (last change "
            f"{st.iteration.final_change[0]:.3g} >= tol={tol:g}); the weights of construct(s) {quote_list(worst)} "
            "still change most. Raise max_iter, loosen tol, or check those blocks (e.g. an item with a "
            "near-zero loading).", ConvergenceWarning, stacklevel=3)
    settings = dict(scheme=scheme, standardize=bool(standardize), max_iter=int(max_iter), tol=float(tol),
                    convergence=convergence, missing=missing, preset=preset or "csindex",
                    weighted=prep.weights is not None, scale_source=prep.scale_source, consistent=consistent,
                    index_weights=index_weights, n_used=int(prep.X.shape[0]),
                    n_dropped=int(prep.missing["n_total"] - prep.X.shape[0]))
    if missing == "em":
        settings.update(em_iterations=prep.em.iterations if prep.em else 0,
                        em_converged=prep.em.converged if prep.em else True)
    if consistent and st.rho_a is not None:
        bad = [layout.constructs[j] for j in range(layout.J) if st.rho_a[0, j] > 1 or st.rho_a[0, j] <= 0]
        C = st.final.construct_cor[0]
        off = np.abs(C[~np.eye(layout.J, dtype=bool)]).max(initial=0) > 1
        if bad or off:
            warnings.warn(
                "Consistent PLS gave an inadmissible solution: "
                + (f"rho_A outside (0, 1] for {quote_list(bad)}" if bad else "")
                + ("; " if bad and off else "") + ("a disattenuated construct correlation above 1" if off else "")
                + ". Interpret the PLSc estimates with care or use PLS.", InferenceWarning, stacklevel=3)
    boot = None
    settings["sign_change"] = sign_change
    if bootstrap:
        boot = run_bootstrap(prep, layout, st, S, mean, settings, B=bootstrap, seed=seed, n_jobs=n_jobs,
                             progress=progress, chunk_size=chunk_size, ci=ci, confidence=confidence, spec=spec)
        settings.update(bootstrap=bootstrap, ci=ci, confidence=confidence, seed=boot.seed, chunk_size=boot.chunk_size,
                        sign_change=sign_change)
    return PLSResult._build(spec=spec, layout=layout, prep=prep, mean=mean, S=S, stats=st, settings=settings,
                            boot=boot)


def _worst_blocks(st, S, layout, scheme, standardize) -> list[str]:
    sd = np.sqrt(np.diag(S))
    work = S / np.outer(sd, sd) if standardize else S
    w, SW = _normalised(st.iteration.weights, work[None], layout)
    new, _ = _update(w, SW, work[None], layout, scheme)
    d = np.abs(np.abs(new[0]) - np.abs(w[0])) * (1.0 if standardize else sd)
    per = np.array([d[sl].max() for sl in layout.slices])
    order = np.argsort(-per)
    return [layout.constructs[k] for k in order[:2] if per[k] > 0] or [layout.constructs[order[0]]]
