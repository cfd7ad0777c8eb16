"""Waves: the trend of 0-100 indices across survey waves, with the change from each wave to the next.

Runs on the comparison kernel of :mod:`csindex.comparisons` (one sign convention: each wave
minus the previous one) and, with ``method="pls"``, on the PLS multi-group permutation test.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._params import Options, check_param, renamed
from ._random import resolve_seed
from ._results import ResultMixin
from ._segmenting import ReadOnlyDict, frame_of
from ._summary import Summary
from ._validation import quote_list
from ._weighted import z_quantile
from .comparisons import check_resampling, index_differences, wave_composites
from .exceptions import ParameterError, SpecError, SurveyDataError
from .pls import fit_pls
from .pls.mga import model_spec, permutation_p_values, run_mga
from .scoring.simple import simple_scores
from .survey import Survey

__all__ = ["TrendResult", "trend"]

_TREND_COLUMNS = ["wave", "construct", "n", "index", "ci_lower", "ci_upper", "change", "change_ci_lower",
                  "change_ci_upper", "p_value"]


@dataclass(frozen=True, repr=False)
class TrendResult(ResultMixin):
    """0-100 indices across survey waves, with the change from each wave to the next.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per wave and construct: ``wave`` (ordered categorical, waves in the order
        given), ``construct, n, index, ci_lower, ci_upper``, ``change`` (index minus the
        previous wave's), ``change_ci_lower, change_ci_upper`` and ``p_value`` (permutation
        test of the change). The change columns are NaN in the first wave, which has no
        previous wave.
    results : Mapping
        Wave -> the per-wave result (:class:`~csindex.scoring.simple.SimpleScores` or
        :class:`~csindex.pls.PLSResult`).
    settings : dict
        ``method, confidence, bootstrap, n_permutations, seed`` and the method's options.
    """

    table: pd.DataFrame
    results: Mapping[Any, Any]
    settings: Mapping[str, Any] = field(default_factory=dict)

    def _default_counts(self) -> dict[str, Any]:
        used = [r.settings.get("n_used") for r in self.results.values() if hasattr(r, "settings")]
        return {"n_used": int(sum(u for u in used if u is not None)), "n_dropped": None}


    @property
    def waves(self) -> list[Any]:
        """Wave labels, in order."""
        return list(self.results)

    def changes(self, alpha: float | None = None) -> pd.DataFrame:
        """Rows with a change (every wave but the first); with ``alpha``, only significant ones."""
        out = self.table[self.table["change"].notna()]
        if alpha is not None:
            out = out[out["p_value"] < alpha]
        return out.reset_index(drop=True)

    def plot(self, constructs: Sequence[str] | None = None, *, ax: Any = None) -> Any:
        """Line chart of the indices with CI bands (:func:`csindex.plots.trend_chart`).

        Parameters
        ----------
        constructs : list of str, optional
            Constructs to draw (default all).
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        csindex.plots.TrendChartDisplay
        """
        from .plots import trend_chart

        table = self.table
        if constructs is not None:
            unknown = [c for c in constructs if c not in set(table["construct"])]
            if unknown:
                raise SurveyDataError(f"Construct {quote_list(unknown)} is not in the trend table; constructs: "
                                      f"{quote_list(list(dict.fromkeys(table['construct'])), limit=10)}.")
            table = table[table["construct"].isin(list(constructs))]
        return trend_chart(table, ci_lower="ci_lower", ci_upper="ci_upper", ax=ax)

    def summary(self) -> Summary:
        """The trend table."""
        facts = {"waves": ", ".join(str(w) for w in self.results), "method": self.settings.get("method"),
                 "confidence": self.settings.get("confidence")}
        return Summary("Index trend across waves (0-100)", facts=facts, tables={"Trend": self.table},
                       notes=("change = index - previous wave's index; p-value: permutation test.",))


def _wave_table(waves: Mapping[Any, Any], rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=_TREND_COLUMNS)
    labels = list(waves)
    table["wave"] = pd.Categorical(table["wave"], categories=labels, ordered=True)
    table["n"] = table["n"].astype(np.int64)
    return table


def _trend_simple(waves: Mapping[Any, Any], *, items: Any, weights: Any, confidence: float, bootstrap: int,
                  n_permutations: int, rng: np.random.Generator, scale: Any) -> tuple[pd.DataFrame, dict[Any, Any]]:
    (comps, constructs), used, loaded = wave_composites(waves, items, weights, scale, where="trend()")
    results = {label: simple_scores(data, used, weights=weights, confidence=confidence, scale=scale)
               for label, data in loaded.items()}
    labels = list(waves)
    pairs = list(zip(labels[:-1], labels[1:]))
    diffs = (index_differences(comps, constructs, pairs, bootstrap=bootstrap, n_permutations=n_permutations,
                               confidence=confidence, rng=rng).set_index(["group_b", "construct"])
             if pairs else None)
    rows = []
    for label in labels:
        cons = results[label].constructs.set_index("construct")
        for c in constructs:
            if c not in cons.index:
                raise SurveyDataError(f"Wave {label!r} groups the items differently: it has no construct {c!r}. "
                                      "Give every wave the same codebook.")
            row = {"wave": label, "construct": c, "n": int(cons.at[c, "n"]), "index": float(cons.at[c, "score"]),
                   "ci_lower": float(cons.at[c, "ci_lower"]), "ci_upper": float(cons.at[c, "ci_upper"]),
                   "change": np.nan, "change_ci_lower": np.nan, "change_ci_upper": np.nan, "p_value": np.nan}
            if label != labels[0]:
                d = diffs.loc[(label, c)]
                row.update(change=float(d["difference"]), change_ci_lower=float(d["ci_lower"]),
                           change_ci_upper=float(d["ci_upper"]), p_value=float(d["p_value"]))
            rows.append(row)
    return _wave_table(waves, rows), results


def _pooled_waves(a: Any, b: Any, items: list[str], weights: Any) -> pd.DataFrame:
    """Model items of two waves stacked, with ``__wave__`` (0/1) and ``__weight__`` columns."""
    frames = []
    for k, data in enumerate((a, b)):
        frame = frame_of(data)
        part = frame[items].reset_index(drop=True).copy()
        part["__wave__"] = k
        if weights is False:
            w = np.ones(len(part))
        elif isinstance(weights, str):
            w = pd.to_numeric(frame[weights], errors="coerce").to_numpy(dtype=np.float64)
        elif isinstance(data, Survey) and data.weights is not None:
            w = data.weights.to_numpy(dtype=np.float64)
        else:
            w = np.ones(len(part))
        part["__weight__"] = w
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def _trend_pls(waves: Mapping[Any, Any], model: Any, *, weights: Any, confidence: float, bootstrap: int,
               n_permutations: int, seed: int, scale: Any, n_jobs: int | None, progress: bool | None,
               options: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[Any, Any]]:
    labels = list(waves)
    first = waves[labels[0]]
    spec = model_spec(model, first)
    items = list(spec.items)
    for label, data in waves.items():
        lacking = [i for i in items if i not in frame_of(data).columns]
        if lacking:
            raise SurveyDataError(f"Wave {label!r} lacks model items {quote_list(lacking)}; every wave needs them.")
    # one scale for every wave, so the 0-100 indices are comparable
    if scale is None:
        if isinstance(first, Survey):
            scale = {i: first.scale(i) for i in items}
        else:
            allx = np.concatenate([frame_of(d)[items].to_numpy(dtype=np.float64, na_value=np.nan).ravel()
                                   for d in waves.values()])
            scale = (float(np.nanmin(allx)), float(np.nanmax(allx)))
    fit_opts = {k: v for k, v in options.items()}
    results = {}
    for label, data in waves.items():
        w_arg = weights if isinstance(weights, str) else None
        part = data
        if weights is False and isinstance(data, Survey):
            part = data.responses
        results[label] = fit_pls(part, spec, bootstrap=bootstrap, seed=seed, confidence=confidence, n_jobs=n_jobs,
                                 progress=progress, scale=scale, weights=w_arg, **fit_opts)
    z = z_quantile(confidence, "trend()")
    mga_opts = {k: options[k] for k in ("scheme", "standardize", "missing", "tol", "max_iter", "convergence")
                if k in options}
    rows = []
    prev_tab = None
    for k, label in enumerate(labels):
        tab = results[label].index.set_index("construct")
        value_col = "index" if "index" in tab.columns else "estimate"
        change = {}
        if k:
            pooled = _pooled_waves(waves[labels[k - 1]], waves[label], items, weights)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # missing-data warnings were issued by the per-wave fits
                out = run_mga(pooled, spec, "__wave__", groups=(0, 1), n_permutations=n_permutations, seed=seed,
                               n_jobs=n_jobs, progress=progress, alpha=0.05, weights="__weight__",
                               chunk_size=250, min_size=2, where="trend()", scale=scale,
                               **{"scheme": "path", "standardize": True, "missing": "listwise", "tol": 1e-7,
                                  "max_iter": 300, "convergence": "max_abs", **mga_opts})
            d_obs = out.obs["index"][0]
            pv = permutation_p_values(d_obs, out.perm["index"])
            change = {c: (float(d_obs[j]), float(pv[j])) for j, c in enumerate(spec.constructs)}
        for c in spec.constructs:
            est = float(tab.at[c, value_col])
            row = {"wave": label, "construct": c, "n": results[label].n, "index": est,
                   "ci_lower": float(tab.at[c, "ci_lower"]) if "ci_lower" in tab.columns else np.nan,
                   "ci_upper": float(tab.at[c, "ci_upper"]) if "ci_upper" in tab.columns else np.nan,
                   "change": np.nan, "change_ci_lower": np.nan, "change_ci_upper": np.nan, "p_value": np.nan}
            if k:
                # the change is the difference of the two fits' indices; the permutation test's own
                # observed difference equals it with listwise deletion (pooled-mean imputation moves it)
                pv_c = change[c][1]
                d = est - float(prev_tab.at[c, value_col])
                se = float(np.hypot(tab.at[c, "std_error"], prev_tab.at[c, "std_error"]))
                row.update(change=d, change_ci_lower=d - z * se, change_ci_upper=d + z * se, p_value=pv_c)
            rows.append(row)
        prev_tab = tab
    return _wave_table(waves, rows), results


@renamed(n_resamples="bootstrap")
def trend(waves: Mapping[Any, Any], *, method: str = "simple", model: Any = None, items: Any = None,
          weights: Any = None, confidence: float = 0.95, bootstrap: int | None = None,
          n_permutations: int = 2000, seed: int | np.random.Generator | None = None,
          scale: tuple[float, float] | None = None, n_jobs: int | None = None, progress: bool | None = None,
          **pls_options: Any) -> TrendResult:
    """0-100 indices across survey waves with the change from wave to wave and its significance.

    Parameters
    ----------
    waves : Mapping
        Wave label -> Survey or DataFrame, in chronological order (e.g.
        ``{"2024": wave1, "2025": wave2}``).
    method : {"simple", "pls"}
        ``"simple"``: simple-method construct scores (:func:`csindex.simple_scores`, t
        interval); the change has a percentile-bootstrap CI (``bootstrap`` resamples) and a
        permutation p-value, as in :func:`compare_waves`. ``"pls"``: the ACSI-style PLS
        index of every construct of ``model`` (:func:`csindex.fit_pls` with a
        ``bootstrap``-resample percentile CI); the change has a normal CI from the two
        waves' bootstrap standard errors and a permutation p-value from re-estimating the
        model on the two waves with shuffled wave labels (batched, as in :func:`pls_mga`).
    model : str or ModelSpec
        The PLS model (``method="pls"``), or a template name with Survey waves.
    items : list of str, optional
        Items to score (``method="simple"``; default as in :func:`csindex.simple_scores`).
        Items and constructs are taken from the first wave.
    weights : None, False or str
        Sampling weights (None: each Survey's own; False: none; a column name).
    confidence : float
        CI level (default 0.95).
    bootstrap : int, optional
        Bootstrap resamples: for the CI of a change with ``method="simple"`` (default
        2,000), of each PLS fit with ``method="pls"`` (default 500). The old name
        ``n_resamples`` (of the simple method) is accepted with a ``FutureWarning``.
    n_permutations : int
        Permutations for the p-value of a change (default 2,000).
    seed : int, numpy.random.Generator or None
        Random seed (resolved seed in ``settings["seed"]``).
    scale : (min, max), optional
        Item scale when it is not in a Survey codebook.
    n_jobs, progress
        Parallel workers and progress bars of the PLS bootstraps and permutations.
    **pls_options
        Passed to :func:`csindex.fit_pls` (``scheme``, ``standardize``, ``missing``, ...).

    Returns
    -------
    TrendResult

    Examples
    --------
    >>> import csindex
    >>> t = trend({"2024": csindex.datasets.airline(), "2025": csindex.datasets.airline_wave2()},
    ...           items=["PUNC1", "PUNC2", "PUNC3", "SAT1", "SAT2", "SAT3"], bootstrap=300,
    ...           n_permutations=300, seed=1)
    >>> t.table[["wave", "construct", "change"]].round(1)
       wave construct  change
    0  2024      PUNC     NaN
    1  2024       SAT     NaN
    2  2024   overall     NaN
    3  2025      PUNC     7.7
    4  2025       SAT     2.0
    5  2025   overall     4.9
    """
    where = "trend()"
    check_param("method", method, Options("simple", "pls"), where)
    if not isinstance(waves, Mapping) or not waves:
        raise SurveyDataError("trend() needs a mapping wave label -> Survey or DataFrame as its 'waves' "
                              "parameter, e.g. {'2024': wave1, '2025': wave2}, with at least one wave. "
                              f"Got {type(waves).__name__} {'(empty)' if isinstance(waves, Mapping) else ''}instead.")
    default = 2000 if method == "simple" else 500
    bootstrap, n_permutations, confidence = check_resampling(default if bootstrap is None else bootstrap,
                                                              n_permutations, confidence, where)
    seed_used = resolve_seed(seed, where).seed
    settings: dict[str, Any] = {"method": method, "confidence": confidence, "bootstrap": bootstrap,
                                "n_permutations": n_permutations, "seed": seed_used}
    if method == "simple":
        if pls_options:
            raise ParameterError(f"trend(method='simple') got unexpected options {quote_list(list(pls_options))}; "
                                 "they apply to method='pls' only. Remove them or pass method='pls'.")
        table, results = _trend_simple(waves, items=items, weights=weights, confidence=confidence,
                                       bootstrap=bootstrap, n_permutations=n_permutations,
                                       rng=np.random.default_rng(seed_used), scale=scale)
    else:
        if model is None:
            raise SpecError("trend(method='pls') needs model=: lavaan syntax, a ModelSpec or a template name.")
        table, results = _trend_pls(waves, model, weights=weights, confidence=confidence, bootstrap=bootstrap,
                                    n_permutations=n_permutations, seed=seed_used, scale=scale, n_jobs=n_jobs,
                                    progress=progress, options=pls_options)
        settings.update(**pls_options)
    return TrendResult(table=table, results=ReadOnlyDict(results), settings=settings)
