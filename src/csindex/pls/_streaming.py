"""Out-of-core PLS: fit on the item covariance summed over a Parquet dataset, a DuckDB
relation or a Dask DataFrame, and score the respondents in a second pass on request.

The covariance-based engine (:mod:`csindex.pls._algorithm`) needs the data only through the
weighted item means and covariance, and those are sums over respondents
(:class:`csindex._sufficient.CrossProducts`): one streaming pass gives them, and the fit on
them is the in-memory fit (same engine, same checks). Scores need the rows again; they are
computed in a second pass only when asked (:meth:`PLSResult.stream_scores`).

The same single pass also serves ``bootstrap=`` (sums per random group,
:mod:`csindex.pls._group_bootstrap`), ``by=`` (sums per segment,
:mod:`csindex.pls._streaming_by`) and ``missing="em"`` (sums per missing-data pattern,
:mod:`csindex.pls._streaming_em`).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._deps import require
from .._em import conditional_mean, patterns
from .._random import resolve_seed
from .._sufficient import (
    BATCH_ROWS,
    CrossProducts,
    GroupedCrossProducts,
    Source,
    columns_matrix,
    integer_shift,
    open_source,
)
from .._validation import quote_list
from ..exceptions import (
    ConvergenceWarning,
    InferenceWarning,
    MissingDataWarning,
    ParameterError,
    SurveyDataError,
)
from ..spec import ModelSpec
from ._algorithm import Layout
from ._group_bootstrap import DEFAULT_GROUPS, group_key, run_group_bootstrap
from ._stats import estimate_stack
from ._streaming_em import GroupedPatternSums, PatternSums, em_moments

__all__ = ["fit_source", "fit_state", "StreamPrepared", "stream_scores"]


@dataclass(frozen=True)
class StreamPrepared:
    """Like :class:`csindex.pls.estimate.Prepared`, without the rows: ``X is None``."""

    X: None
    weights: None
    rows: None
    lo: np.ndarray
    hi: np.ndarray
    scale_source: str
    missing: dict[str, Any]
    n: int
    source: Source
    items: tuple[str, ...]
    mean: np.ndarray  # item means of the rows used (the fill-in values under missing="mean")
    weight_column: str | None
    em: tuple[np.ndarray, np.ndarray] | None = None  # EM mean and covariance (missing="em" with missing answers)


def _weight_column(weights: Any, src: Source) -> str | None:
    if weights is None or weights is False:
        return None
    if isinstance(weights, str):
        src.check_columns([weights], "weight column")
        return weights
    raise ParameterError(
        f"fit_pls: weights= must name a column of the {src.label} for an out-of-core fit (the values cannot be "
        f"passed as an array: the rows are not in memory); got {type(weights).__name__}.")


def fit_source(data: Any, spec: ModelSpec, by: Any = None, *, scheme: str, standardize: bool, max_iter: int, tol: float,
               missing: str, bootstrap: int, ci: str, confidence: float, seed: Any, n_jobs: int, progress: Any,
               weights: Any, scale: Any, preset: str | None, convergence: str, chunk_size: int,
               consistent: bool = False, index_weights: str = "unstandardized", sign_change: str = "none",
               bootstrap_groups: int = DEFAULT_GROUPS, model: Any = None):
    """``fit_pls`` on an out-of-core source (see :func:`csindex.fit_pls`): one streaming pass
    for the sums (per random group under ``bootstrap``, per segment under ``by``), then the fits."""
    from .estimate import _layout

    src = open_source(data, "fit_pls")
    layout = _layout(spec)
    items = list(layout.items)
    src.check_columns(items)
    wcol = _weight_column(weights, src)
    entropy = resolve_seed(seed, "fit_pls()").seed if bootstrap else None
    shift = integer_shift(src.first(items))
    if missing == "em" and bootstrap:
        make = functools.partial(GroupedPatternSums, shift, bootstrap_groups, group_key(entropy))
    elif missing == "em":
        make = functools.partial(PatternSums, shift)
    elif bootstrap:
        make = functools.partial(GroupedCrossProducts, shift, missing, bootstrap_groups, group_key(entropy))
    else:
        make = functools.partial(CrossProducts, shift, missing)
    opts = dict(scheme=scheme, standardize=standardize, max_iter=max_iter, tol=tol, missing=missing,
                bootstrap=bootstrap, ci=ci, confidence=confidence, seed=seed, n_jobs=n_jobs, progress=progress,
                weights=weights, scale=scale, preset=preset, convergence=convergence, chunk_size=chunk_size,
                consistent=consistent, index_weights=index_weights, sign_change=sign_change,
                bootstrap_groups=bootstrap_groups)
    if by is None:
        state = src.reduce(items, wcol, make)
        return fit_state(state, spec, layout, src, wcol, dict(opts, entropy=entropy), data_label=src.label)
    from ._streaming_by import fit_segments

    return fit_segments(src, by, items, wcol, make, spec, layout, opts, entropy, model)


def fit_state(state: Any, spec: ModelSpec, layout: Layout, src: Source, wcol: str | None, o: dict[str, Any],
              data_label: str, stacklevel: int = 5):
    """Fit the model on the sums of one pass (``state``: :class:`CrossProducts` or
    :class:`PatternSums`, or :class:`GroupedCrossProducts` / :class:`GroupedPatternSums` for
    the random-group bootstrap)."""
    from .estimate import _check_design, _scale_bounds, _worst_blocks
    from .results import PLSResult

    grouped = state if isinstance(state, (GroupedCrossProducts, GroupedPatternSums)) else None
    state = grouped.total() if grouped is not None else state
    items, missing = list(layout.items), o["missing"]
    report, worst = _missing_report(state, items, missing, data_label, stacklevel)
    if state.has_inf.any():
        raise SurveyDataError(f"Item(s) {quote_list([items[k] for k in np.flatnonzero(state.has_inf)])} contain "
                              "infinite values.")
    em = None
    if missing == "em":  # EM on the per-pattern sums (no further pass)
        mean, S, em = em_moments(state, items, report, worst, stacklevel)
    _check_rows(state, layout, items, missing, stacklevel)
    if wcol is not None and not state.sw > 0:
        raise SurveyDataError("The sampling weights of the respondents used sum to 0.")
    if grouped is not None and state.n_used < 2 * grouped.groups:
        raise ParameterError(
            f"fit_pls: bootstrap_groups={grouped.groups} random groups need at least {2 * grouped.groups} "
            f"respondents (two per group), but {state.n_used} were used. Lower bootstrap_groups= (the standard "
            "errors then have fewer degrees of freedom) or load the data in memory for a row bootstrap.")
    if missing != "em":
        mean, S = state.finish()
    lo, hi, source = _scale_bounds(items, None, o["scale"], None,
                                   data_range=(float(state.lo.min()), float(state.hi.max())))
    prep = StreamPrepared(None, None, None, lo, hi, source, report, int(state.n_used), src, tuple(items), mean, wcol,
                          None if em is None else (em.mean, em.cov))
    _check_design(prep, spec, layout, S)
    st = estimate_stack(S[None], mean[None], layout, scheme=o["scheme"], tol=o["tol"], max_iter=o["max_iter"],
                        rule=o["convergence"], standardized=o["standardize"], lo=lo, hi=hi, with_htmt=False,
                        consistent=o["consistent"], index_kind=o["index_weights"])
    if not bool(st.iteration.converged[0]):
        worst = _worst_blocks(st, S, layout, o["scheme"], o["standardize"])
        warnings.warn(
            f"The PLS weights did not converge within max_iter={o['max_iter']} iterations (last change "
            f"{st.iteration.final_change[0]:.3g} >= tol={o['tol']:g}); the weights of construct(s) "
            f"{quote_list(worst)} still change most. Raise max_iter, loosen tol, or check those blocks.",
            ConvergenceWarning, stacklevel=stacklevel - 1)
    settings = dict(scheme=o["scheme"], standardize=bool(o["standardize"]), max_iter=int(o["max_iter"]),
                    tol=float(o["tol"]), convergence=o["convergence"], missing=missing,
                    preset=o["preset"] or "csindex", weighted=wcol is not None, scale_source=source,
                    consistent=o["consistent"], index_weights=o["index_weights"], sign_change=o["sign_change"],
                    out_of_core=src.kind)
    if missing == "em":
        settings.update(em_iterations=em.iterations if em else 0, em_converged=em.converged if em else True)
    boot = None
    if grouped is not None:
        boot = run_group_bootstrap(grouped, state, prep, layout, st, S, settings, B=o["bootstrap"],
                                   entropy=o["entropy"], n_jobs=o["n_jobs"], progress=o["progress"],
                                   chunk_size=o["chunk_size"], ci=o["ci"], confidence=o["confidence"], spec=spec)
        settings.update(bootstrap=o["bootstrap"], ci=o["ci"], confidence=o["confidence"], seed=boot.seed,
                        chunk_size=boot.chunk_size, bootstrap_method="random-group",
                        bootstrap_groups=grouped.groups)
    return PLSResult._build(spec=spec, layout=layout, prep=prep, mean=mean, S=S, stats=st, settings=settings,
                            boot=boot)


def _missing_report(state: Any, items: list[str], missing: str, label: str,
                    stacklevel: int = 5) -> tuple[dict[str, Any], list[str]]:
    """The missing-data report, the three most-missing items, and the in-memory warnings and
    errors of the listwise and mean policies (EM reports in :func:`em_moments`)."""
    n_total, n_aff = int(state.n_total), int(state.rows_affected)
    report = {"policy": missing, "n_total": n_total, "rows_affected": n_aff, "cells_missing": int(state.miss.sum()),
              "rows_dropped": n_aff if missing == "listwise" else 0,
              "cells_imputed": int(state.miss.sum()) if missing == "mean" else 0}
    if n_total == 0:
        raise SurveyDataError(f"The {label} has no rows.")
    per_item = state.miss
    worst = [f"{items[k]!r} ({per_item[k]})" for k in np.argsort(-per_item)[:3] if per_item[k]]
    if n_aff and missing != "em":
        if missing == "listwise":
            if state.n_used == 0:
                raise SurveyDataError(
                    f"Only 0 complete respondents: all {n_total} miss at least one model item (most missing: "
                    f"{', '.join(worst)}). Use missing='em' (or 'mean') or drop those items.")
            msg = (f"{n_aff} of {n_total} respondents have missing answers on model items and were dropped "
                   f"(listwise); most missing: {', '.join(worst)}. Use missing='em' to keep them.")
        else:
            empty = [items[k] for k in np.flatnonzero(state.swo <= 0)]
            if empty:
                raise SurveyDataError(f"Item(s) {quote_list(empty)} have no answers at all; drop them from the model.")
            msg = (f"{int(state.miss.sum())} missing answers of {n_aff} respondents were replaced by the item means; "
                   f"most missing: {', '.join(worst)}.")
        warnings.warn(msg, MissingDataWarning, stacklevel=stacklevel)
    return report, worst


def _check_rows(state: Any, layout: Layout, items: list[str], missing: str, stacklevel: int = 5) -> None:
    """The in-memory size checks (:func:`csindex.pls.estimate._check_size`) on the rows used."""
    n = int(state.n_used)
    max_pred = max([len(layout.preds[j]) for j in range(layout.J)] + [1])
    if n < max(3, 2 * max_pred):
        raise SurveyDataError(
            f"Only {n} complete respondents; PLS needs at least {max(3, 2 * max_pred)} (twice the largest number "
            f"of predictors, {max_pred}). Collect more data, use missing='em', or simplify the model.")
    if n < layout.p:
        warnings.warn(
            f"Only {n} complete respondents for {layout.p} model items: the item correlation matrix is singular "
            "and the PLS estimates (paths, loadings) are unstable and can exceed 1. Collect more data or use "
            "fewer items.", InferenceWarning, stacklevel=stacklevel)


# --------------------------------------------------------------------------- second pass
def _linear_map(res: Any, kind: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(A, b)`` with ``scores = X @ A - b`` for the rows used."""
    L = res._layout
    p = res._prep
    if kind == "scores":
        sd = np.sqrt(np.diag(res._S)) if res.settings["standardize"] else np.ones(L.p)
        A = L.dense(res._fe.weights)[0] / sd[:, None]
        if res.settings.get("preset") in ("seminr", "smartpls"):
            A = A * np.sqrt((res.n - 1) / res.n)
        return A, res._mean @ A, list(L.constructs)
    A = L.dense(res._stats.index_weights)[0] * (100.0 / (p.hi - p.lo))[:, None]
    return A, p.lo @ A, list(L.constructs)


def _score_block(part: Any, items: list[str], A: np.ndarray, b: np.ndarray, fill: Any) -> np.ndarray:
    X = columns_matrix(part, items).T.astype(np.float64)
    nan = np.isnan(X)
    if nan.any():
        if isinstance(fill, tuple):  # EM: E[x_m | x_o] under the EM estimates (rows without answers: NaN)
            keep = ~nan.all(axis=1)
            Y = np.full((X.shape[0], A.shape[1]), np.nan)
            if keep.any():
                Y[keep] = conditional_mean(patterns(X[keep]), fill[0], fill[1]) @ A - b
            return Y
        if fill is None:  # listwise: rows left out of the fit get no score
            Y = np.where(nan, 0.0, X) @ A - b
            Y[nan.any(axis=1)] = np.nan
            return Y
        X = np.where(nan, fill, X)
    return X @ A - b


def _score_partition(frame: pd.DataFrame, items: list[str], A: np.ndarray, b: np.ndarray, fill: Any,
                     names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(_score_block(frame, items, A, b, fill), index=frame.index, columns=names)


def stream_scores(res: Any, kind: str = "scores", path: str | Path | None = None,
                  batch_rows: int = BATCH_ROWS) -> Any:
    """Second pass over the source: construct scores (``kind="scores"``) or 0-100 scores
    (``kind="index"``); see :meth:`PLSResult.stream_scores`."""
    prep = res._prep
    src = prep.source
    items = list(prep.items)
    A, b, names = _linear_map(res, kind)
    fill = prep.mean if res.settings["missing"] == "mean" else prep.em
    if src.kind == "dask":
        meta = pd.DataFrame({c: pd.Series(dtype=float) for c in names})
        scored = src.obj[items].map_partitions(_score_partition, items, A, b, fill, names, meta=meta)
        if path is None:
            return scored
        scored.to_parquet(str(path), write_index=False)
        return Path(path)
    if path is None:
        blocks = [_score_block(part, items, A, b, fill) for part in src.batches(items, batch_rows)]
        Y = np.concatenate(blocks) if blocks else np.empty((0, len(names)))
        return pd.DataFrame(Y, columns=names)
    pa = require("pyarrow", "Writing scores to Parquet")
    pq = require("pyarrow.parquet", "Writing scores to Parquet")
    schema = pa.schema([(c, pa.float64()) for c in names])
    with pq.ParquetWriter(str(path), schema) as writer:
        for part in src.batches(items, batch_rows):
            Y = _score_block(part, items, A, b, fill)
            writer.write_batch(pa.RecordBatch.from_arrays([pa.array(Y[:, k]) for k in range(len(names))],
                                                          schema=schema))
    return Path(path)
