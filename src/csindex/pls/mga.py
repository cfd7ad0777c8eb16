"""PLS multi-group analysis beside the PLS engine: MICOM and the permutation test of path differences.

:func:`micom` checks measurement invariance of composites (Henseler, Ringle & Sarstedt
2016, steps 2-3); :func:`pls_mga` tests path-coefficient and 0-100 index differences
between two segments by permutation (Chin & Dibbern 2010). Differences are ``b - a``
(second group minus first), the sign convention of :mod:`csindex.comparisons`. Every
permutation of a chunk is estimated in one batched call of the PLS engine (stacked
covariance matrices).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import joblib
import numpy as np
import pandas as pd

from .._params import Count, Interval, Options, check_param
from .._random import resolve_seed
from .._segmenting import (
    ReadOnlyDict,
    by_label,
    frame_of,
    key_label,
    segment_positions,
    show_progress,
    split_segments,
    subset,
)
from .._results import ResultMixin
from ..plots import bar_plot
from .._summary import Summary
from .._validation import did_you_mean, quote_list
from .._weighted import check_weights
from ..exceptions import ConvergenceWarning, EstimationError, InferenceWarning, ParameterError, SurveyDataError
from ..spec import ModelSpec
from ._algorithm import Layout, moments
from ._stats import estimate_stack
from .estimate import MISSING, RULES, SCHEMES, _resolve_model, fit_pls, prepare

__all__ = ["MICOMResult", "MGAResult", "micom", "pls_mga", "run_mga", "MGARun", "model_spec",
           "permutation_p_values"]

_MICOM_COLUMNS = ["construct", "c", "c_critical", "c_p_value", "compositional_invariance", "mean_difference",
                  "mean_ci_lower", "mean_ci_upper", "mean_p_value", "equal_means", "log_variance_ratio",
                  "variance_ci_lower", "variance_ci_upper", "variance_p_value", "equal_variances", "invariance"]
_MGA_COLUMNS = ["source", "target", "group_a", "group_b", "path_a", "path_b", "difference", "p_value"]


@dataclass(frozen=True, repr=False)
class MICOMResult(ResultMixin):
    """Measurement invariance of composites (Henseler, Ringle & Sarstedt 2016), steps 2 and 3.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per construct: ``c`` (correlation of the composite scores computed on the
        pooled, standardised data with group a's and with group b's weights),
        ``c_critical`` (the ``alpha`` quantile of ``c`` under permutation), ``c_p_value``
        (share of permutations with a smaller ``c``), ``compositional_invariance``
        (``c >= c_critical``); step 3 on composite scores from the pooled-data weights:
        ``mean_difference`` (group b minus group a, in pooled SD units) and
        ``log_variance_ratio`` (``log var_b - log var_a``), each with the permutation
        interval ``[alpha/2, 1 - alpha/2]`` (``*_ci_lower``, ``*_ci_upper``), a two-sided
        permutation p-value and a verdict (``equal_means``, ``equal_variances``: the value
        lies inside its interval); ``invariance``: ``"full"`` (steps 2 and 3 hold),
        ``"partial"`` (step 2 holds: path coefficients may be compared) or ``"none"``.
        Step 1 (configural invariance: same model, items and data treatment in both
        groups) holds by construction.
    groups : tuple
        (group a, group b).
    settings : dict
        ``n_permutations, seed, alpha, n_a, n_b, scheme, standardize, n_failed``.
    """

    table: pd.DataFrame
    groups: tuple[Any, Any]
    settings: Mapping[str, Any] = field(default_factory=dict)

    def _default_counts(self) -> dict[str, Any]:
        return {"n_used": int(self.settings.get("n_a", 0)) + int(self.settings.get("n_b", 0)), "n_dropped": None}

    def plot(self, *, ax: Any = None) -> Any:
        """The compositional-invariance statistic c per construct (MICOM step 2)."""
        return bar_plot(self.table, "c", "construct", ax=ax)


    @property
    def compositional_invariance(self) -> bool:
        """True when step 2 holds for every construct."""
        return bool(self.table["compositional_invariance"].all())

    def summary(self) -> Summary:
        """The MICOM table."""
        facts = {"groups": f"{self.groups[0]!r} vs {self.groups[1]!r}",
                 **{k: self.settings[k] for k in ("n_a", "n_b", "n_permutations", "alpha", "seed")
                    if k in self.settings}}
        return Summary("MICOM: measurement invariance of composites (steps 2-3)", facts=facts,
                       tables={"Invariance": self.table})


@dataclass(frozen=True, repr=False)
class MGAResult(ResultMixin):
    """PLS multi-group analysis: permutation test of path differences (Chin & Dibbern 2010).

    Attributes
    ----------
    paths : pandas.DataFrame
        ``source, target, group_a, group_b, path_a, path_b, difference`` (``path_b -
        path_a``) and ``p_value`` (two-sided permutation p-value
        ``(1 + #{|d*| >= |d|}) / (R + 1)``).
    index_differences : pandas.DataFrame
        ``construct, group_a, group_b, index_a, index_b, difference`` (``index_b -
        index_a``) and ``p_value``: the 0-100 PLS indices of both groups and the same
        permutation test of their difference. (Called ``index`` before 0.2.)
    index : pandas.DataFrame
        The standard index table of both groups, ``group, construct, index, std_error,
        ci_lower, ci_upper`` (the groups' own :attr:`PLSResult.index` rows).
    micom : MICOMResult
        Measurement invariance, steps 2-3 (checked first; a warning is issued when
        compositional invariance fails).
    results : dict
        Group -> :class:`~csindex.pls.PLSResult` of that group alone.
    settings : dict
        ``n_permutations, seed, alpha, scheme, standardize, n_failed`` (permutations whose
        estimation did not converge; they are left out of the reference distributions).
    """

    paths: pd.DataFrame
    index_differences: pd.DataFrame
    micom: MICOMResult
    results: Mapping[Any, Any]
    settings: Mapping[str, Any] = field(default_factory=dict)

    def _default_counts(self) -> dict[str, Any]:
        return {"n_used": int(self.settings.get("n_a", 0)) + int(self.settings.get("n_b", 0)), "n_dropped": None}

    @property
    def index(self) -> pd.DataFrame:
        """Both groups' standard 0-100 index tables, stacked with a leading ``group`` column."""
        return pd.concat([r.index.assign(group=str(g))[["group", *r.index.columns]] for g, r in self.results.items()],
                         ignore_index=True)

    def plot(self, *, ax: Any = None) -> Any:
        """The two groups' 0-100 indices side by side."""
        from ..plots import index_chart

        return index_chart(self.index, ci_lower=None, ci_upper=None, group="group", ax=ax)


    def significant(self, alpha: float | None = None) -> pd.DataFrame:
        """Paths whose permutation p-value is below ``alpha`` (default: the analysis' alpha)."""
        a = self.settings.get("alpha", 0.05) if alpha is None else alpha
        return self.paths[self.paths["p_value"] < a].reset_index(drop=True)

    def summary(self) -> Summary:
        """Path differences and the MICOM table."""
        facts = {"groups": f"{self.micom.groups[0]!r} vs {self.micom.groups[1]!r}",
                 **{k: self.settings[k] for k in ("n_a", "n_b", "n_permutations", "alpha", "seed", "n_failed")
                    if k in self.settings}}
        notes = () if self.micom.compositional_invariance else (
            "Compositional invariance failed for some constructs; compare their paths with caution.",)
        return Summary("PLS multi-group analysis (permutation test)", facts=facts,
                       tables={"Path differences": self.paths, "Index differences (0-100)": self.index,
                               "MICOM": self.micom.table}, notes=notes)


def model_spec(model: Any, data: Any) -> ModelSpec:
    """The :class:`~csindex.spec.ModelSpec` that :func:`csindex.fit_pls` fits for ``model`` on ``data``.

    ``model`` is lavaan syntax, a ModelSpec or a template name (``"ccsi"``, ...) resolved
    with a Survey's codebook -- the resolver of :func:`csindex.fit_pls` itself.
    """
    return _resolve_model(model, data)


def permutation_p_values(observed: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Two-sided permutation p-values ``(1 + #{|d*| >= |d|}) / (R + 1)`` (Phipson & Smyth 2010).

    Examples
    --------
    >>> permutation_p_values(np.array([2.0]), np.array([[1.0], [-3.0], [0.5]])).tolist()
    [0.5]
    """
    R = draws.shape[0]
    return (1.0 + (np.abs(draws) >= np.abs(observed)[None, :] - 1e-12).sum(axis=0)) / (R + 1.0)


class MGARun(NamedTuple):
    """What :func:`run_mga` computed: the fitted layout, observed and permuted statistics."""

    spec: ModelSpec
    layout: Any
    data: Any
    groups: tuple[Any, Any]
    obs: dict[str, np.ndarray]
    perm: dict[str, np.ndarray]
    micom: MICOMResult
    failed: list[str]
    settings: dict[str, Any]
    pairs: list[tuple[int, int]]



@dataclass(frozen=True)
class _MGAData:
    X: np.ndarray  # (n, p) items of both groups, block order, centred on the pooled mean
    w: np.ndarray  # (n,) sampling weights (ones when unweighted)
    in_b: np.ndarray  # (n,) 1.0 for group b rows
    lo: np.ndarray
    hi: np.ndarray
    center: np.ndarray  # (p,) pooled mean removed from X (added back for the 0-100 index)


def _group_moments(Xc: np.ndarray, XX: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means (B, p) and population covariances (B, p, p) for a batch of row weightings ``W`` (B, n)."""
    p = Xc.shape[1]
    sw = W.sum(axis=1)
    mean = (W @ Xc) / sw[:, None]
    second = (W @ XX).reshape(-1, p, p) / sw[:, None, None]
    S = second - mean[:, :, None] * mean[:, None, :]
    return mean, (S + np.swapaxes(S, 1, 2)) / 2.0


def _std_weights(st: Any, S: np.ndarray, standardize: bool) -> np.ndarray:
    """Outer weights on the standardised-item scale, (B, p)."""
    w = st.final.weights
    return w if standardize else w * np.sqrt(np.einsum("bii->bi", S))


def _mga_batch(d: _MGAData, layout: Any, pairs: list[tuple[int, int]], labels: np.ndarray, options: Mapping[str, Any],
               R_pooled: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """Estimate both groups for a batch of label vectors ``labels`` (B, n); return the statistics."""
    XX = (d.X[:, :, None] * d.X[:, None, :]).reshape(len(d.X), -1)
    B = labels.shape[0]
    Wb = labels * d.w
    Wa = (1.0 - labels) * d.w
    mean_a, S_a = _group_moments(d.X, XX, Wa)
    mean_b, S_b = _group_moments(d.X, XX, Wb)
    S = np.concatenate([S_a, S_b])
    st = estimate_stack(S, np.concatenate([mean_a, mean_b]) + d.center, layout, with_htmt=False, lo=d.lo, hi=d.hi,
                        **options)
    ok = st.iteration.converged[:B] & st.iteration.converged[B:]
    paths = st.final.paths
    src = [s for s, _ in pairs]
    tgt = [t for _, t in pairs]
    diff = paths[B:, src, tgt] - paths[:B, src, tgt]
    # MICOM step 2: correlation of pooled-data composites built with each group's weights
    ws = _std_weights(st, S, options["standardized"])
    Da, Db = layout.dense(ws[:B]), layout.dense(ws[B:])
    RDb = R_pooled @ Db
    RDa = R_pooled @ Da
    num = np.einsum("bpj,bpj->bj", Da, RDb)
    den = np.sqrt(np.einsum("bpj,bpj->bj", Da, RDa) * np.einsum("bpj,bpj->bj", Db, RDb))
    c = num / den
    # MICOM step 3: means and log variances of the pooled-weight composites in each group
    sa, sb = Wa.sum(axis=1), Wb.sum(axis=1)
    ma, mb = (Wa @ Y) / sa[:, None], (Wb @ Y) / sb[:, None]
    va = (Wa @ (Y * Y)) / sa[:, None] - ma**2
    vb = (Wb @ (Y * Y)) / sb[:, None] - mb**2
    return {"diff": diff, "c": c, "mean": mb - ma, "logvar": np.log(vb) - np.log(va), "ok": ok,
            "index": st.index[B:] - st.index[:B], "index_a": st.index[:B], "index_b": st.index[B:],
            "path_a": paths[:B, src, tgt], "path_b": paths[B:, src, tgt]}


def _mga_chunk(d: _MGAData, layout: Any, pairs: list[tuple[int, int]], options: Mapping[str, Any],
               R_pooled: np.ndarray, Y: np.ndarray, size: int,
               seed_seq: np.random.SeedSequence) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed_seq)
    labels = rng.permuted(np.broadcast_to(d.in_b, (size, len(d.in_b))), axis=1)
    return _mga_batch(d, layout, pairs, labels, options, R_pooled, Y)


def _mga_setup(data: Any, model: Any, by: Any, groups: Sequence[Any] | None, *, scheme: str, standardize: bool,
               missing: str, weights: Any, tol: float, max_iter: int, convergence: str, min_size: int, where: str,
               scale: Any = None):
    check_param("scheme", scheme, Options(*SCHEMES), where)
    check_param("missing", missing, Options(*MISSING), where)
    check_param("convergence", convergence, Options(*RULES), where)
    tol = check_param("tol", tol, where=where)
    max_iter = check_param("max_iter", max_iter, where=where)
    spec = model_spec(model, data)
    index, names = segment_positions(data, by, min_size)
    if groups is None:
        if len(index) != 2:
            raise SurveyDataError(
                f"{where} compares two groups, but {quote_list(names)} has {len(index)} segments "
                f"({quote_list(list(index), limit=8)}). Pass groups=(a, b) to choose two."
            )
        ga, gb = list(index)
    else:
        if isinstance(groups, str) or not hasattr(groups, "__len__") or len(groups) != 2 or groups[0] == groups[1]:
            raise ParameterError(f"The 'groups' parameter of {where} must name two different segments. "
                                 f"Got {groups!r} instead.")
        unknown = [g for g in groups if g not in index]
        if unknown:
            raise SurveyDataError(
                f"Segment {quote_list(unknown)} is not in the data; segments: {quote_list(list(index), limit=10)}."
                f"{did_you_mean(str(unknown[0]), [str(k) for k in index])}"
            )
        ga, gb = groups
    rows = np.concatenate([index[ga], index[gb]])
    pooled = subset(data, rows, f"{key_label(names, ga)} and {key_label(names, gb)}")
    frame = frame_of(pooled)
    if not frame.index.is_unique:
        raise SurveyDataError("The data's row index has duplicated labels; reset it (df.reset_index(drop=True)).")
    if weights is not None and not isinstance(weights, (str, bool)):
        full = frame_of(data)
        weights = check_weights(weights, len(full), where, index=full.index)[rows]
    is_b = pd.Series(np.r_[np.zeros(len(index[ga])), np.ones(len(index[gb]))], index=frame.index)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prep = prepare(pooled, spec, missing=missing, weights=None if weights is False else weights, scale=scale)
    for wmsg in caught:
        warnings.warn(str(wmsg.message), wmsg.category, stacklevel=4)
    if weights is False:
        w = np.ones(len(prep.X))
    else:
        w = np.ones(len(prep.X)) if prep.weights is None else prep.weights
    layout = Layout.from_spec(spec)
    in_b = is_b.loc[prep.rows].to_numpy()
    for g, k in ((ga, int((in_b == 0).sum())), (gb, int((in_b == 1).sum()))):
        if k < max(3, min_size):
            raise SurveyDataError(f"Segment {key_label(names, g)} has only {k} complete respondents; "
                                  "too few for a PLS fit. Use missing='mean' or merge segments.")
    mean_p, S_p = moments(prep.X, w)
    d = _MGAData(X=prep.X - mean_p, w=w, in_b=in_b.astype(np.float64), lo=prep.lo, hi=prep.hi, center=mean_p)
    return spec, layout, d, (ga, gb), names, S_p, pooled, weights


def _micom_table(constructs: Sequence[str], obs: Mapping[str, np.ndarray], perm: Mapping[str, np.ndarray],
                 alpha: float, single: Sequence[bool]) -> pd.DataFrame:
    R = perm["c"].shape[0]
    c_obs = obs["c"][0]
    c_crit = np.quantile(perm["c"], alpha, axis=0)
    c_p = (1.0 + (perm["c"] <= c_obs[None, :] + 1e-12).sum(axis=0)) / (R + 1.0)
    single_arr = np.asarray(single, dtype=bool)
    comp = (c_obs >= c_crit - 1e-12) | single_arr
    c_p = np.where(single_arr, 1.0, c_p)
    rows: dict[str, Any] = {"construct": list(constructs), "c": c_obs, "c_critical": c_crit, "c_p_value": c_p,
                            "compositional_invariance": comp}
    verdicts = []
    for key, name, lo_col, hi_col, p_col, eq_col in (
            ("mean", "mean_difference", "mean_ci_lower", "mean_ci_upper", "mean_p_value", "equal_means"),
            ("logvar", "log_variance_ratio", "variance_ci_lower", "variance_ci_upper", "variance_p_value",
             "equal_variances")):
        val = obs[key][0]
        lo, hi = np.quantile(perm[key], [alpha / 2.0, 1.0 - alpha / 2.0], axis=0)
        p = (1.0 + (np.abs(perm[key]) >= np.abs(val)[None, :] - 1e-12).sum(axis=0)) / (R + 1.0)
        eq = (val >= lo) & (val <= hi)
        rows.update({name: val, lo_col: lo, hi_col: hi, p_col: p, eq_col: eq})
        verdicts.append(eq)
    rows["invariance"] = np.where(comp & verdicts[0] & verdicts[1], "full", np.where(comp, "partial", "none"))
    table = pd.DataFrame(rows, columns=_MICOM_COLUMNS)
    for col in ("compositional_invariance", "equal_means", "equal_variances"):
        table[col] = table[col].astype(bool)
    return table


def run_mga(data: Any, model: Any, by: Any, *, groups: Any, n_permutations: int, seed: Any, n_jobs: int | None,
             progress: bool | None, alpha: float, scheme: str, standardize: bool, missing: str, weights: Any,
             tol: float, max_iter: int, convergence: str, chunk_size: int, min_size: int, where: str,
             scale: Any = None) -> MGARun:
    """The batched permutation engine behind :func:`micom`, :func:`pls_mga` and ``trend(method="pls")``.

    Estimates both groups on the observed labels and on ``n_permutations`` shuffles of them
    (chunks of ``chunk_size`` in one stacked call of the PLS engine, per-chunk random streams
    spawned from the resolved seed, so the numbers do not depend on ``n_jobs``).
    ``obs``/``perm`` hold the statistics (path and 0-100 index differences ``b - a``, MICOM
    ``c``, mean and log-variance differences) on the observed and permuted labels.
    """
    n_permutations = check_param("n_permutations", n_permutations, Count(10), where)
    alpha = check_param("alpha", alpha, Interval(0, 0.5, closed="neither"), where)
    chunk_size = check_param("chunk_size", chunk_size, Count(1), where)
    n_jobs = check_param("n_jobs", n_jobs, where=where)
    seed_used = resolve_seed(seed, where).seed
    spec, layout, d, (ga, gb), names, S_p, pooled, weights = _mga_setup(
        data, model, by, groups, scheme=scheme, standardize=standardize, missing=missing, weights=weights, tol=tol,
        max_iter=max_iter, convergence=convergence, min_size=min_size, where=where, scale=scale)
    options = dict(scheme=scheme, tol=tol, max_iter=max_iter, rule=convergence, standardized=standardize)
    # pooled fit: weights for the MICOM step-3 composites; pooled correlation for step 2
    sd_p = np.sqrt(np.diag(S_p))
    R_p = S_p / np.outer(sd_p, sd_p)
    pooled_st = estimate_stack(S_p[None], np.zeros((1, layout.p)), layout, with_htmt=False, lo=d.lo, hi=d.hi,
                               **options)
    if not pooled_st.iteration.converged[0]:
        warnings.warn("The PLS weights of the pooled data did not converge; MICOM step 3 uses them anyway. "
                      "Raise max_iter.", ConvergenceWarning, stacklevel=3)
    w_pool = _std_weights(pooled_st, S_p[None], standardize)[0]
    Y = (d.X / sd_p) @ layout.dense(w_pool[None])[0]  # pooled composites, unit (weighted) variance
    pairs_idx = [(layout.constructs.index(s), layout.constructs.index(t)) for s, t in spec.paths]
    obs = _mga_batch(d, layout, pairs_idx, d.in_b[None, :], options, R_p, Y)
    if not obs["ok"][0]:
        warnings.warn(f"The PLS weights of segment {ga!r} or {gb!r} did not converge within max_iter={max_iter}.",
                      ConvergenceWarning, stacklevel=3)
    sizes = [min(chunk_size, n_permutations - s) for s in range(0, n_permutations, chunk_size)]
    seeds = np.random.SeedSequence(seed_used).spawn(len(sizes))
    tasks = (joblib.delayed(_mga_chunk)(d, layout, pairs_idx, options, R_p, Y, k, ss) for k, ss in zip(sizes, seeds))
    if show_progress(progress, n_permutations // 50):
        from tqdm.auto import tqdm

        chunks = list(tqdm(joblib.Parallel(n_jobs=n_jobs, return_as="generator")(tasks), total=len(sizes),
                           desc="permutations", unit="chunk"))
    else:
        chunks = joblib.Parallel(n_jobs=n_jobs)(tasks)
    perm = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    ok = perm["ok"] & np.isfinite(perm["diff"]).all(axis=1) & np.isfinite(perm["c"]).all(axis=1)
    n_failed = int((~ok).sum())
    perm = {k: v[ok] for k, v in perm.items()}
    if n_failed:
        warnings.warn(f"{n_failed} of {n_permutations} permutations did not converge and were left out of the "
                      "reference distributions.", InferenceWarning, stacklevel=3)
    if len(perm["diff"]) < 10:
        raise EstimationError(f"Only {len(perm['diff'])} permutations converged; raise max_iter or check the model.")
    single = [sl.stop - sl.start == 1 for sl in layout.slices]
    micom_table = _micom_table(layout.constructs, obs, perm, alpha, single)
    settings = {"n_permutations": n_permutations, "seed": seed_used, "alpha": alpha, "scheme": scheme,
                "standardize": standardize, "missing": missing, "n_failed": n_failed,
                "n_a": int((d.in_b == 0).sum()), "n_b": int((d.in_b == 1).sum()), "by": by_label(by)}
    micom = MICOMResult(table=micom_table, groups=(ga, gb), settings=settings)
    failed = micom_table.loc[~micom_table["compositional_invariance"], "construct"].tolist()
    return MGARun(spec, layout, d, (ga, gb), obs, perm, micom, failed, settings, pairs_idx)


def micom(data: Any, model: Any, by: Any, *, groups: Sequence[Any] | None = None, n_permutations: int = 1000,
          seed: int | np.random.Generator | None = None, n_jobs: int | None = None, progress: bool | None = None,
          alpha: float = 0.05, scheme: str = "path", standardize: bool = True, missing: str = "listwise",
          weights: Any = None, tol: float = 1e-7, max_iter: int = 300, convergence: str = "max_abs",
          chunk_size: int = 250, min_size: int = 10) -> MICOMResult:
    """Measurement invariance of composites between two segments (MICOM steps 2-3).

    Henseler, Ringle & Sarstedt (2016, International Marketing Review 33(3):405-431).
    Step 2 (compositional invariance): ``c = cor(Z w_a, Z w_b)``, the correlation of the
    composite scores computed on the pooled standardised data ``Z`` with the weights
    estimated in group a and in group b; invariance holds when ``c`` is not below the
    ``alpha`` quantile of its permutation distribution. Step 3: composite scores from the
    pooled-data weights; the group difference of their means and the log ratio of their
    variances must lie inside the central ``1 - alpha`` permutation interval.

    Parameters
    ----------
    data : Survey or DataFrame
    model : str or ModelSpec
        As in :func:`csindex.fit_pls`.
    by : str, list of str or Series
        Segments (see :func:`split_segments`); exactly two, or choose them with ``groups``.
    groups : (a, b), optional
        The two segments to compare.
    n_permutations : int
        Permutations of the group labels (default 1,000; Henseler et al. recommend 5,000).
    seed : int, numpy.random.Generator or None
        Random seed; results do not depend on ``n_jobs``.
    n_jobs : int or None
        joblib workers over chunks of permutations (None: one, or as set by a
        ``joblib.parallel_backend`` context, e.g. Dask).
    progress : bool or None
        tqdm bar over chunks.
    alpha : float
        Significance level (default 0.05).
    scheme, standardize, missing, weights, tol, max_iter, convergence
        As in :func:`csindex.fit_pls` (missing values are handled on the pooled data).
    chunk_size : int
        Permutations estimated together in one batched call (fixes the random streams).
    min_size : int
        Smallest segment size (default 10).

    Returns
    -------
    MICOMResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> q = rng.normal(size=300); s = 0.5 * q + rng.normal(size=300)
    >>> df = pd.DataFrame({"q1": q + rng.normal(size=300), "q2": q + rng.normal(size=300),
    ...                    "s1": s + rng.normal(size=300), "s2": s + rng.normal(size=300),
    ...                    "g": np.repeat(["a", "b"], 150)})
    >>> m = micom(df, "Q =~ q1 + q2\\nS =~ s1 + s2\\nS ~ Q", "g", n_permutations=200, seed=1)
    >>> m.table[["construct", "compositional_invariance"]]
      construct  compositional_invariance
    0         Q                      True
    1         S                      True
    """
    where = "micom()"
    *_, micom_res, failed, _, _ = run_mga(
        data, model, by, groups=groups, n_permutations=n_permutations, seed=seed, n_jobs=n_jobs, progress=progress,
        alpha=alpha, scheme=scheme, standardize=standardize, missing=missing, weights=weights, tol=tol,
        max_iter=max_iter, convergence=convergence, chunk_size=chunk_size, min_size=min_size, where=where)
    if failed:
        _warn_invariance(failed, micom_res.groups)
    return micom_res


def _warn_invariance(failed: list[str], groups: tuple[Any, Any]) -> None:
    warnings.warn(
        f"Compositional invariance (MICOM step 2) is not established for construct {quote_list(failed)} between "
        f"{groups[0]!r} and {groups[1]!r}: the composites are formed differently in the two groups, so their path "
        "coefficients are not comparable. Check the items' weights per group (result.results[g].weights).",
        InferenceWarning, stacklevel=3,
    )


def pls_mga(data: Any, model: Any, by: Any, *, groups: Sequence[Any] | None = None, n_permutations: int = 1000,
            seed: int | np.random.Generator | None = None, n_jobs: int | None = None, progress: bool | None = None,
            alpha: float = 0.05, scheme: str = "path", standardize: bool = True, missing: str = "listwise",
            weights: Any = None, tol: float = 1e-7, max_iter: int = 300, convergence: str = "max_abs",
            chunk_size: int = 250, min_size: int = 10, scale: Any = None) -> MGAResult:
    """PLS multi-group analysis: permutation test of path-coefficient differences between two segments.

    Chin & Dibbern (2010, in Handbook of Partial Least Squares, pp. 171-193): the model is
    estimated in each group; the group labels of the pooled respondents are permuted
    (group sizes kept), both groups re-estimated, and the two-sided p-value of a path
    difference is ``(1 + #{|d*| >= |d|}) / (R + 1)``. Measurement invariance is checked
    first with MICOM steps 2-3 (:func:`micom`, Henseler, Ringle & Sarstedt 2016) on the
    same permutations; an :class:`~csindex.exceptions.InferenceWarning` is issued when
    compositional invariance fails.

    All permutations of a chunk are estimated in one batched call of the PLS engine
    (stacked covariance matrices); chunks run in parallel through joblib (``n_jobs``, any
    backend) with per-chunk random streams, so results do not depend on ``n_jobs``.

    Parameters
    ----------
    data, model, by, groups, n_permutations, seed, n_jobs, progress, alpha, scheme,
    standardize, missing, weights, tol, max_iter, convergence, chunk_size, min_size
        As in :func:`micom`.
    scale : (min, max) or dict, optional
        Item scales for the 0-100 indices (as in :func:`csindex.fit_pls`); default the
        Survey codebook, else the smallest and largest answer of the pooled data (one scale
        for both groups).

    Returns
    -------
    MGAResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(["a", "b"], 200)
    >>> q = rng.normal(size=400); s = np.where(g == "a", 0.2, 0.7) * q + 0.7 * rng.normal(size=400)
    >>> df = pd.DataFrame({"q1": q + 0.5 * rng.normal(size=400), "q2": q + 0.5 * rng.normal(size=400),
    ...                    "s1": s + 0.5 * rng.normal(size=400), "s2": s + 0.5 * rng.normal(size=400), "g": g})
    >>> res = pls_mga(df, "Q =~ q1 + q2\\nS =~ s1 + s2\\nS ~ Q", "g", n_permutations=200, seed=1)
    >>> row = res.paths.iloc[0]
    >>> bool(row["difference"] > 0.2), bool(row["p_value"] < 0.01)
    (True, True)
    """
    where = "pls_mga()"
    spec, layout, d, (ga, gb), obs, perm, micom_res, failed, settings, pairs_idx = run_mga(
        data, model, by, groups=groups, n_permutations=n_permutations, seed=seed, n_jobs=n_jobs, progress=progress,
        alpha=alpha, scheme=scheme, standardize=standardize, missing=missing, weights=weights, tol=tol,
        max_iter=max_iter, convergence=convergence, chunk_size=chunk_size, min_size=min_size, where=where,
        scale=scale)
    if failed:
        _warn_invariance(failed, (ga, gb))
    diff = obs["diff"][0]
    p = permutation_p_values(diff, perm["diff"])
    paths = pd.DataFrame({"source": [s for s, _ in spec.paths], "target": [t for _, t in spec.paths],
                          "group_a": pd.Series([ga] * len(diff), dtype=object),
                          "group_b": pd.Series([gb] * len(diff), dtype=object),
                          "path_a": obs["path_a"][0], "path_b": obs["path_b"][0], "difference": diff, "p_value": p},
                         columns=_MGA_COLUMNS)
    d_idx = obs["index"][0]
    p_idx = permutation_p_values(d_idx, perm["index"])
    index = pd.DataFrame({"construct": list(layout.constructs),
                          "group_a": pd.Series([ga] * layout.J, dtype=object),
                          "group_b": pd.Series([gb] * layout.J, dtype=object),
                          "index_a": obs["index_a"][0], "index_b": obs["index_b"][0], "difference": d_idx,
                          "p_value": p_idx})
    parts = split_segments(data, by, min_size=min_size)
    fit_opts = dict(scheme=scheme, standardize=standardize, missing=missing, tol=tol, max_iter=max_iter,
                    convergence=convergence,
                    scale={i: (float(lo), float(hi)) for i, lo, hi in zip(layout.items, d.lo, d.hi)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # already reported by the pooled preparation
        results = {g: fit_pls(parts[g], spec, **fit_opts,
                              **({"weights": weights} if isinstance(weights, str) else {}))
                   for g in (ga, gb)} if weights is None or isinstance(weights, str) else {}
    return MGAResult(paths=paths, index_differences=index, micom=micom_res, results=ReadOnlyDict(results), settings=settings)

