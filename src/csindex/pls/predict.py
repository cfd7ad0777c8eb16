"""PLSpredict: cross-validated item predictions of a PLS path model (Shmueli et al. 2016, 2019).

Every training fold is a PLS fit, and a PLS fit depends on the data only through the item
covariance matrix (see :mod:`csindex.pls._algorithm`). So the training covariances of all
folds (and repetitions) are obtained by *downdating* one full cross-product matrix — the
cross-products of a fold's held-out rows are subtracted — and all folds run through the
batched PLS iteration as one ``(B, p, p)`` stack. Each fold's prediction rule is affine in
the items, ``ŷ = c + x A``; out-of-sample, in-sample and benchmark predictions are then a
few batched products, with no Python loop over respondents or fits.

Definitions follow seminr 2.3.4's ``predict_pls`` (so that the numbers can be checked
against it) and, for Q²predict and the exogenous-items benchmark, Shmueli et al. (2019)
and SmartPLS:

* training items are standardised with the training mean and SD; the PLS weights ``W``,
  loadings ``Λ`` and paths ``B`` come from the training fold (path scheme by default);
* test rows are standardised with the training mean and SD, scored with ``W``, the
  construct scores predicted by the technique — ``"DA"`` (direct antecedents): each
  endogenous construct from the scores of its predecessors, computed from all the row's
  items; ``"EA"`` (earliest antecedents): from the exogenous constructs only, through the
  total effects — and mapped back to the items by ``Λ`` and the training mean and SD;
* the linear-model benchmark regresses each item of an endogenous construct (OLS with
  intercept, on the training fold) on every model item outside its own block (seminr's
  benchmark, the default) or on the items of the exogenous constructs only (Shmueli et
  al. 2019, ``benchmark="exogenous"``);
* ``RMSE = sqrt(mean(r²))``, ``MAE = mean(|r|)`` over all rows, ``r = y - ŷ`` with each
  row's out-of-sample prediction from the fold that held it out;
* ``Q²predict = 1 - Σ(y - ŷ_PLS)² / Σ(y - ȳ_train(i))²`` with ``ȳ_train(i)`` the mean of
  the training rows of the fold that held row ``i`` out (seminr has no Q²predict);
* with repetitions, a row's prediction is the mean of its predictions over the
  repetitions (as seminr's ``reps``), and likewise its training mean;
* in-sample predictions: for each row, the mean of its predictions by the folds in which it
  was a training row (seminr).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._params import AnyOf, Count, Options, validate_params
from .._random import resolve_seed
from .._sufficient import is_source
from .._summary import Summary, SummaryMixin
from ..exceptions import (
    ParameterError,
    SpecError,
    SurveyDataError,
)
from ._predict_core import apply_maps as _apply
from ._predict_core import fold_maps as _fold_maps
from ._predict_core import in_sample as _in_sample
from ._streaming_predict import plspredict_source
from .estimate import RULES, SCHEMES, _layout, _resolve_model, prepare

__all__ = ["PLSPredictResult", "plspredict"]

_WHERE = "plspredict"


@dataclass(frozen=True, repr=False, eq=False)
class PLSPredictResult(SummaryMixin):
    """Cross-validated predictions of a PLS path model (:func:`plspredict`).

    Attributes
    ----------
    items : DataFrame
        One row per item of an endogenous construct: ``item, construct, pls_rmse,
        pls_mae, lm_rmse, lm_mae, q2_predict`` (out-of-sample).
    in_sample : DataFrame
        ``item, construct, pls_rmse, pls_mae, lm_rmse, lm_mae`` of the in-sample
        predictions (each row predicted by the folds that trained on it, averaged).
    predictions, lm_predictions, naive_predictions : DataFrame
        Out-of-sample predictions (respondents × items, original item scale) by PLS, by
        the linear-model benchmark, and the training means (the Q²predict benchmark).
    in_sample_predictions : DataFrame
        In-sample PLS predictions (mean over the folds that trained on the row).
    actual : DataFrame
        The observed items, same shape.
    folds : ndarray
        ``(repetitions, n_used)`` 0-based fold of every row used, per repetition.
    settings : dict
        ``n_used, n_dropped, seed`` (None when nothing is random), ``folds`` ("loo", the
        number of folds, or "explicit"), ``n_folds``, ``repetitions``, ``technique``,
        ``benchmark``, the PLS options, ``n_fits`` and ``n_not_converged``.
    """

    items: pd.DataFrame
    in_sample: pd.DataFrame
    predictions: pd.DataFrame
    lm_predictions: pd.DataFrame
    naive_predictions: pd.DataFrame
    in_sample_predictions: pd.DataFrame
    actual: pd.DataFrame
    folds: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)

    def plot(self, *, ax: Any = None):
        """RMSE of the PLS prediction against the linear-model benchmark per item
        (:func:`csindex.plots.driver_chart`; an item where PLS beats LM has the shorter PLS bar)."""
        from ..plots import driver_chart

        t = self.items.melt(id_vars=["item"], value_vars=["pls_rmse", "lm_rmse"], var_name="model", value_name="rmse")
        t["model"] = t["model"].map({"pls_rmse": "PLS", "lm_rmse": "LM benchmark"})
        return driver_chart(t, value="rmse", driver="item", group="model", ax=ax)

    def summary(self) -> Summary:
        """Settings and the per-item out-of-sample table."""
        s = self.settings
        facts = {"respondents": s["n_used"], "validation": _describe_folds(s), "technique": s["technique"],
                 "benchmark": s["benchmark"], "PLS fits": s["n_fits"]}
        if s.get("seed") is not None:
            facts["seed"] = s["seed"]
        better = int((self.items["pls_rmse"] < self.items["lm_rmse"]).sum())
        notes = (f"PLS predicts {better} of {len(self.items)} items with a lower RMSE than the linear model.",)
        return Summary("PLSpredict", facts=facts, tables={"Out-of-sample (per item)": self.items}, notes=notes)


def _describe_folds(s: dict[str, Any]) -> str:
    if s["folds"] == "loo":
        return "leave-one-out"
    reps = s["repetitions"]
    return f"{s['n_folds']} folds" + (f" x {reps} repetitions" if reps > 1 else "")


# ---------------------------------------------------------------------------- folds
def _fold_codes(folds: Any, n_total: int, n_used: int, repetitions: int | None,
                seed: Any) -> tuple[np.ndarray, str, int | None]:
    """Fold labels, the kind ("loo", "kfold", "explicit") and the seed used. Explicit ids are
    ``(R, n_total)`` (one per data row); generated ones ``(R, n_used)`` (rows used)."""
    if isinstance(folds, str):
        if folds != "loo":
            raise ParameterError(f"The 'folds' parameter of {_WHERE} must be 'loo', a whole number of folds >= 2 "
                                 f"or an array of fold ids (one per row). Got {folds!r} instead.")
        if repetitions not in (None, 1):
            raise ParameterError(f"Leave-one-out is deterministic: the 'repetitions' parameter of {_WHERE} must be "
                                 f"None or 1 with folds='loo'. Got {repetitions!r} instead.")
        return np.arange(n_used)[None, :], "loo", None
    if isinstance(folds, (int, np.integer)) and not isinstance(folds, (bool, np.bool_)):
        k = int(folds)
        if not 2 <= k <= n_used:
            raise ParameterError(f"The 'folds' parameter of {_WHERE} must be a number of folds from 2 to the "
                                 f"number of rows used ({n_used}). Got {folds!r} instead.")
        reps = 10 if repetitions is None else repetitions
        resolved = resolve_seed(seed, _WHERE)
        pos = (np.arange(n_used) * k) // n_used  # fold of each position: sizes differ by at most one
        codes = np.empty((reps, n_used), dtype=np.intp)
        for r in range(reps):  # one permutation per repetition
            codes[r, resolved.rng.permutation(n_used)] = pos
        return codes, "kfold", resolved.seed
    arr = np.asarray(folds)
    if arr.ndim == 1:
        arr = arr[None, :]
    whole = arr.dtype.kind == "f" and bool(np.all(np.isfinite(arr) & (arr == np.round(arr))))
    if arr.ndim != 2 or arr.shape[1] != n_total or not (arr.dtype.kind in "iuUSO" or whole):
        raise ParameterError(f"The 'folds' parameter of {_WHERE} must be 'loo', a number of folds, or fold ids "
                             f"with one entry per data row ({n_total}), or a (repetitions, {n_total}) array. "
                             f"Got an array of shape {np.shape(folds)} and dtype {np.asarray(folds).dtype}.")
    if repetitions not in (None, arr.shape[0]):
        raise ParameterError(f"The 'repetitions' parameter of {_WHERE} is {repetitions!r} but the fold array has "
                             f"{arr.shape[0]} row(s); drop repetitions= or pass one row of fold ids per repetition.")
    return arr, "explicit", None


def _codes_per_rep(labels: np.ndarray) -> list[np.ndarray]:
    out = []
    for r in range(labels.shape[0]):
        _, inv = np.unique(labels[r], return_inverse=True)
        if inv.max() < 1:
            raise ParameterError(f"The fold ids of repetition {r + 1} put every row in one fold; "
                                 "cross-validation needs at least 2 folds.")
        out.append(inv.astype(np.intp).reshape(-1))
    return out


# ---------------------------------------------------------------------------- training moments
def _training_moments(X: np.ndarray, codes: np.ndarray, K: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training means ``(K, p)``, covariances ``(K, p, p)`` (divisor ``n_k - 1``) and sizes of
    the ``K`` folds, by downdating the full cross-product matrix (about the full-sample
    mean, for accuracy) by each fold's held-out rows."""
    n = X.shape[0]
    centre = X.mean(axis=0)
    Xc = X - centre
    order = np.argsort(codes, kind="stable")
    Xs = Xc[order]
    counts = np.bincount(codes, minlength=K)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    fold_sum = np.add.reduceat(Xs, starts, axis=0)
    if K * 4 >= n:  # many small folds (leave-one-out): outer products of the rows, summed per fold
        fold_cp = np.add.reduceat(Xs[:, :, None] * Xs[:, None, :], starts, axis=0)
    else:  # a few large folds: one product per fold
        fold_cp = np.stack([Xs[a:a + c].T @ Xs[a:a + c] for a, c in zip(starts, counts)])
    n_tr = (n - counts).astype(float)
    d = (Xc.sum(axis=0) - fold_sum) / n_tr[:, None]
    cp = (Xc.T @ Xc)[None] - fold_cp
    S = (cp - n_tr[:, None, None] * d[:, :, None] * d[:, None, :]) / (n_tr - 1.0)[:, None, None]
    S = (S + np.swapaxes(S, 1, 2)) / 2.0
    return centre + d, S, counts


# ---------------------------------------------------------------------------- entry point
@validate_params({"technique": Options("DA", "EA"), "benchmark": Options("seminr", "exogenous"),
                  "scheme": Options(*SCHEMES), "convergence": Options(*RULES),
                  "repetitions": AnyOf(Count(1), none_ok=True)},
                 common=("seed", "tol", "max_iter"))
def plspredict(data: Any, model: Any, *, folds: Any = 10, technique: str = "DA", repetitions: int | None = None,
               seed: Any = None, benchmark: str = "seminr", scheme: str = "path", tol: float = 1e-7,
               max_iter: int = 300, convergence: str = "max_abs") -> PLSPredictResult:
    """PLSpredict: cross-validated out-of-sample predictions of the endogenous constructs' items.

    After Shmueli et al. (2016, 2019); the numbers follow seminr 2.3.4's ``predict_pls``
    (checked to 1e-8 against its leave-one-out and 10-fold results on the ECSI
    satisfaction data), with Q²predict as SmartPLS and Shmueli et al. (2019) define it.
    See :mod:`csindex.pls.predict` for every definition. The folds are estimated as one
    batch: training covariances come from downdating the full cross-product matrix, so
    leave-one-out on a few hundred respondents takes a fraction of a second.

    Parameters
    ----------
    data : DataFrame, Survey, Parquet path, DuckDB relation or Dask DataFrame
        One row per respondent; rows with a missing model item are dropped (listwise,
        with a :class:`~csindex.exceptions.MissingDataWarning`). Sampling weights are not used.
        An out-of-core source (user guide, "Large data") takes k-fold only (an int
        ``folds``): the folds are random groups of the rows (a seeded permutation of the
        row position, the same for any file layout or partitioning); one pass sums each
        fold's cross-products, every fold's model is fit from the total minus the fold, and
        a second pass adds up the prediction errors of the held-out rows. The tables equal
        the in-memory ones for the same fold ids; the per-respondent frames
        (``predictions`` ...), ``actual`` and ``folds`` are None.
    model : str or ModelSpec
        As for :func:`csindex.fit_pls`; needs at least one structural path.
    folds : "loo", int or array
        ``"loo"``: leave-one-out (deterministic). An int ``k``: ``k`` random folds of
        (nearly) equal size, drawn afresh in each repetition. An array: the fold id of
        each data row (any labels), or a ``(repetitions, n_rows)`` array of them.
    technique : {"DA", "EA"}
        Direct antecedents (each endogenous construct predicted from the scores of its
        predecessors) or earliest antecedents (from the exogenous constructs only).
    repetitions : int, optional
        Repetitions of k-fold cross-validation (default 10 for an int ``folds``; 1 otherwise).
        A row's prediction is its mean over the repetitions.
    seed : int, Generator or None
        Seed of the random fold assignment (``settings["seed"]`` records the int used).
    benchmark : {"seminr", "exogenous"}
        Linear-model benchmark: each item regressed on every model item outside its own
        block (seminr; default), or on the items of the exogenous constructs (Shmueli et al. 2019).
    scheme, tol, max_iter, convergence
        PLS options of every training fit, as in :func:`csindex.fit_pls`.

    Returns
    -------
    PLSPredictResult

    Raises
    ------
    ParameterError
        A bad option or fold specification.
    SpecError
        A model without structural paths (nothing to predict).
    SurveyDataError
        Too few rows, or an item constant in a training fold.

    Examples
    --------
    >>> import numpy as np, pandas as pd, csindex
    >>> rng = np.random.default_rng(1)
    >>> q = rng.normal(size=80); s = 0.7 * q + 0.7 * rng.normal(size=80)
    >>> df = pd.DataFrame({f"q{k}": q + rng.normal(size=80) for k in (1, 2, 3)}
    ...                   | {f"s{k}": s + rng.normal(size=80) for k in (1, 2)})
    >>> pred = csindex.plspredict(df, "Q =~ q1 + q2 + q3\\nS =~ s1 + s2\\nS ~ Q", folds="loo")
    >>> list(pred.items.columns)
    ['item', 'construct', 'pls_rmse', 'pls_mae', 'lm_rmse', 'lm_mae', 'q2_predict']
    >>> pred.items["item"].tolist(), bool((pred.items["q2_predict"] > 0).all())
    (['s1', 's2'], True)
    """
    spec = _resolve_model(model, data)
    layout = _layout(spec)
    if not layout.endogenous:
        raise SpecError("plspredict needs a model with at least one structural path ('~'): it predicts the items "
                        "of the endogenous constructs.")
    if is_source(data):  # k-fold in two streaming passes (folds = random groups of the rows)
        items, in_sample, settings = plspredict_source(
            data, spec, layout, folds=folds, technique=technique, repetitions=repetitions, seed=seed,
            benchmark=benchmark, scheme=scheme, tol=tol, max_iter=max_iter, convergence=convergence)
        return PLSPredictResult(items=items, in_sample=in_sample, predictions=None, lm_predictions=None,
                                naive_predictions=None, in_sample_predictions=None, actual=None, folds=None,
                                settings=settings)
    prep = prepare(data, spec, missing="listwise", weights=False)
    n_total = int(prep.missing["n_total"])
    labels, kind, used_seed = _fold_codes(folds, n_total, prep.X.shape[0], repetitions, seed)
    if kind == "explicit" and prep.missing["rows_dropped"]:
        keep = _kept_positions(data, spec)
        labels = labels[:, keep]
    X = prep.X
    n = X.shape[0]
    if n < 4:
        raise SurveyDataError(f"plspredict needs at least 4 complete respondents; got {n}.")
    codes = _codes_per_rep(labels)
    target = np.flatnonzero(np.isin(layout.block, list(layout.endogenous)))
    means, covs, sizes, offsets = [], [], [], []
    for cr in codes:  # one downdate per repetition (a batch of folds)
        K = int(cr.max()) + 1
        m, S, counts = _training_moments(X, cr, K)
        offsets.append(sum(len(s) for s in sizes))
        means.append(m)
        covs.append(S)
        sizes.append(counts)
    mean, S = np.concatenate(means), np.concatenate(covs)
    A, c, A_lm, c_lm, it = _fold_maps(mean, S, int(min((n - c).min() for c in sizes)), layout, target, technique,
                                  benchmark, scheme=scheme, tol=tol, max_iter=max_iter, rule=convergence,
                                  stacklevel=3)
    Y = X[:, target]
    oos = np.zeros((n, target.size))
    oos_lm = np.zeros_like(oos)
    naive = np.zeros_like(oos)
    ins = np.zeros_like(oos)
    ins_lm = np.zeros_like(oos)
    for cr, lo, counts in zip(codes, offsets, sizes):
        fit = lo + cr
        oos += _apply(X, A, c, fit)
        oos_lm += _apply(X, A_lm, c_lm, fit)
        naive += mean[fit][:, target]
        ins += _in_sample(X, A, c, fit, lo, counts.size)
        ins_lm += _in_sample(X, A_lm, c_lm, fit, lo, counts.size)
    R_ = len(codes)
    oos, oos_lm, naive, ins, ins_lm = (a / R_ for a in (oos, oos_lm, naive, ins, ins_lm))
    names = [layout.items[k] for k in target]
    cons = [layout.constructs[layout.block[k]] for k in target]
    items = pd.DataFrame({"item": names, "construct": cons, **_metrics(Y, oos, oos_lm),
                          "q2_predict": 1.0 - ((Y - oos) ** 2).sum(axis=0) / ((Y - naive) ** 2).sum(axis=0)})
    in_sample = pd.DataFrame({"item": names, "construct": cons, **_metrics(Y, ins, ins_lm)})
    n_folds = int(max(s.size for s in sizes))
    settings = dict(n_used=n, n_dropped=int(prep.missing["rows_dropped"]), seed=used_seed,
                    folds="loo" if kind == "loo" else (int(folds) if kind == "kfold" else "explicit"),
                    n_folds=n_folds, repetitions=R_, technique=technique, benchmark=benchmark, scheme=scheme,
                    tol=float(tol), max_iter=int(max_iter), convergence=convergence, n_fits=int(it.converged.size),
                    n_not_converged=int((~it.converged).sum()), max_iterations=int(it.iterations.max()))
    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=prep.rows, columns=names)

    return PLSPredictResult(items=items, in_sample=in_sample, predictions=frame(oos), lm_predictions=frame(oos_lm),
                            naive_predictions=frame(naive), in_sample_predictions=frame(ins), actual=frame(Y), folds=np.stack(codes),
                            settings=settings)


def _metrics(Y: np.ndarray, pls: np.ndarray, lm: np.ndarray) -> dict[str, np.ndarray]:
    e, f = Y - pls, Y - lm
    return {"pls_rmse": np.sqrt((e ** 2).mean(axis=0)), "pls_mae": np.abs(e).mean(axis=0),
            "lm_rmse": np.sqrt((f ** 2).mean(axis=0)), "lm_mae": np.abs(f).mean(axis=0)}


def _kept_positions(data: Any, spec: Any) -> np.ndarray:
    """Positions of the rows a listwise deletion keeps (to subset explicit fold ids)."""
    frame = getattr(data, "responses", data)
    items: Sequence[str] = list(spec.items)
    return np.flatnonzero(~frame[items].apply(pd.to_numeric, errors="coerce").isna().any(axis=1).to_numpy())

