"""Index comparisons: segments, waves, two groups' scores and the trend across waves.

Every comparison here runs on one kernel (:mod:`csindex._resampling`: batched weighted
bootstrap means and label permutations) and follows one sign convention:

**difference = second - first** (``b - a``: ``index_b - index_a``, the later wave minus the
earlier one, the second group given minus the first). A positive difference means the
second group (or the later wave) scores higher.

* :func:`compare_segments` -- every pair of segments of one survey;
* :func:`compare_waves` -- the change between two waves;
* :func:`compare_indices` -- two groups' respondent-level scores or NPS;
* :func:`csindex.trend` (module :mod:`csindex.waves`) -- indices across several waves, on
  this kernel.

The resample count is ``bootstrap=`` everywhere (the old ``n_resamples=`` is accepted with
a ``FutureWarning`` for one release).

Examples
--------
>>> res = compare_indices([60, 65, 70, 55, 62], [80, 75, 90, 85, 70], method="permutation",
...                       bootstrap=999, seed=1)
>>> res.difference  # b - a
17.6
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._params import Count, Options, check_param, renamed
from ._random import resolve_seed
from ._resampling import bootstrap_means, permutation_differences, weighted_means
from ._segmenting import MIN_SEGMENT_SIZE, by_label, frame_of, split_segments
from ._results import ResultMixin, deprecated_aliases
from .plots import bar_plot
from ._summary import Summary
from ._validation import did_you_mean, quote_list
from ._weighted import check_weights, percentile_interval, weighted_mean_se, z_quantile
from .exceptions import ParameterError, SurveyDataError
from .io import load_survey
from .kpi.inputs import drop_missing, respondent_values
from .kpi.loyalty import NPSMapping, NPSScale, nps_points
from .pls.mga import permutation_p_values
from .scoring._common import row_mean
from .scoring.simple import resolve_items

__all__ = [
    "SegmentComparisonResult",
    "IndexComparisonResult",
    "compare_segments",
    "compare_waves",
    "compare_indices",
    "index_differences",
]

_COMPARISON_COLUMNS = ["construct", "group_a", "group_b", "n_a", "n_b", "index_a", "index_b", "difference",
                       "std_error", "ci_lower", "ci_upper", "p_value", "p_value_holm"]


@dataclass(frozen=True, repr=False)
class SegmentComparisonResult(ResultMixin):
    """Differences of 0-100 indices between two groups (segments or waves), with tests.

    Attributes
    ----------
    differences : pandas.DataFrame
        One row per construct (plus ``overall``) and pair of groups: ``construct, group_a,
        group_b, n_a, n_b, index_a, index_b, difference`` (``index_b - index_a``: the
        change from a to b, the sign convention of this module), ``std_error`` (SD of the bootstrap differences),
        ``ci_lower, ci_upper`` (percentile bootstrap interval), ``p_value`` (two-sided
        permutation test) and ``p_value_holm`` (Holm-adjusted over the pairs of a
        construct; equal to ``p_value`` for one pair).
    settings : dict
        ``bootstrap, n_permutations, confidence, seed, weighted, by``.
    """

    differences: pd.DataFrame
    settings: Mapping[str, Any] = field(default_factory=dict)

    def _default_counts(self) -> dict[str, Any]:
        return {"n_used": int(self.differences.drop_duplicates(["group_a", "group_b"])[["n_a", "n_b"]].to_numpy().max(axis=0).sum()) if len(self.differences) else 0, "n_dropped": None}

    def plot(self, *, ax: Any = None) -> Any:
        """Index difference (second − first) per construct and pair with its bootstrap interval."""
        return bar_plot(self.differences.assign(pair=self.differences["construct"].astype(str) + ": " + self.differences["group_b"].astype(str) + " − " + self.differences["group_a"].astype(str)), "difference", "pair", ci=("ci_lower", "ci_upper"), ax=ax)


    def significant(self, alpha: float = 0.05, *, adjusted: bool = True) -> pd.DataFrame:
        """Rows whose (Holm-adjusted) permutation p-value is below ``alpha``."""
        col = "p_value_holm" if adjusted else "p_value"
        return self.differences[self.differences[col] < alpha].reset_index(drop=True)

    def summary(self) -> Summary:
        """The differences table."""
        facts = {k: self.settings[k] for k in ("by", "bootstrap", "n_permutations", "confidence", "seed", "weighted")
                 if k in self.settings}
        return Summary("Index differences (0-100)", facts=facts, tables={"Differences": self.differences},
                       notes=("difference = index_b - index_a; CI: percentile bootstrap; p-value: permutation test.",))


def _composites(data: Any, items: Any, weights: Any, scale: Any, construct_of: Mapping[str, str] | None = None,
                where: str = "compare_segments()") -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Respondent composites (0-100) per construct plus ``overall``, as in :func:`simple_scores`.

    -> (C n x k with NaN, weights n, construct names, items used)
    """
    frame, w, own_constructs, scales = resolve_items(data, items, weights, scale, where=where)
    names = list(frame.columns)
    cons = construct_of or own_constructs
    x = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    lo = np.array([scales[i][0] for i in names])
    hi = np.array([scales[i][1] for i in names])
    rescaled = 100.0 * (x - lo) / (hi - lo)
    groups: dict[str, list[int]] = {}
    for j, item in enumerate(names):
        groups.setdefault(cons[item], []).append(j)
    comp = np.column_stack([row_mean(rescaled[:, js]) for js in groups.values()])
    comp = np.column_stack([comp, row_mean(comp)])
    wv = np.ones(len(x)) if w is None else np.asarray(w, dtype=np.float64)
    return comp, wv, [*groups, "overall"], names


def index_differences(groups: Mapping[Any, tuple[np.ndarray, np.ndarray]], constructs: list[str],
                      pairs: list[tuple[Any, Any]], *, bootstrap: int, n_permutations: int, confidence: float,
                      rng: np.random.Generator) -> pd.DataFrame:
    """The index-difference kernel: ``index_b - index_a`` for every pair, with bootstrap CI and permutation test.

    Parameters
    ----------
    groups : mapping
        Group -> (respondent composites n x k with NaN, sampling weights n).
    constructs : list of str
        Names of the k columns.
    pairs : list of (a, b)
        Pairs to compare; ``difference = index_b - index_a``.
    bootstrap, n_permutations : int
        Resamples of each group (rows with replacement, weights travel along) and
        permutations of the pooled labels of a pair.
    confidence : float
    rng : numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        The ``differences`` table of :class:`SegmentComparisonResult`; ``p_value_holm`` adjusts
        over the pairs of a construct (Holm, via statsmodels).
    """
    from statsmodels.stats.multitest import multipletests  # statsmodels: slow to import

    boot = {g: bootstrap_means(c, w, bootstrap, rng) for g, (c, w) in groups.items()}
    est = {g: weighted_means(c, w) for g, (c, w) in groups.items()}
    rows = []
    for a, b in pairs:
        (ca, wa), (cb, wb) = groups[a], groups[b]
        diff = est[b] - est[a]
        draws = boot[b] - boot[a]
        p = permutation_p_values(diff, permutation_differences(ca, wa, cb, wb, n_permutations, rng))
        finite = np.isfinite(draws)
        for j, c in enumerate(constructs):
            d = draws[finite[:, j], j]
            lo, hi = percentile_interval(d, confidence) if len(d) > 1 else (np.nan, np.nan)
            rows.append({"construct": c, "group_a": a, "group_b": b,
                         "n_a": int((~np.isnan(ca[:, j])).sum()), "n_b": int((~np.isnan(cb[:, j])).sum()),
                         "index_a": float(est[a][j]), "index_b": float(est[b][j]), "difference": float(diff[j]),
                         "std_error": float(d.std(ddof=1)) if len(d) > 1 else np.nan,
                         "ci_lower": float(lo), "ci_upper": float(hi), "p_value": float(p[j])})
    table = pd.DataFrame(rows)
    table["p_value_holm"] = table.groupby("construct", sort=False)["p_value"].transform(
        lambda s: multipletests(s.to_numpy(), method="holm")[1])
    table["group_a"] = table["group_a"].astype(object)
    table["group_b"] = table["group_b"].astype(object)
    return table[_COMPARISON_COLUMNS]


def check_resampling(bootstrap: Any, n_permutations: Any, confidence: Any, where: str) -> tuple[int, int, float]:
    return (check_param("bootstrap", bootstrap, Count(10), where),
            check_param("n_permutations", n_permutations, Count(10), where),
            check_param("confidence", confidence, where=where))


@renamed(n_resamples="bootstrap")
def compare_segments(data: Any, by: Any, *, groups: Sequence[Any] | None = None, items: Any = None,
                     weights: Any = None, bootstrap: int = 2000, n_permutations: int = 2000,
                     confidence: float = 0.95, seed: int | np.random.Generator | None = None,
                     scale: tuple[float, float] | None = None, min_size: int = MIN_SEGMENT_SIZE) -> SegmentComparisonResult:
    """Differences of 0-100 indices between segments, with bootstrap CIs and permutation p-values.

    The index of a construct is the simple-method score (:func:`csindex.simple_scores`):
    the (weighted) mean over respondents of the mean 0-100 value of the construct's
    answered items; ``overall`` averages a respondent's construct composites.

    Parameters
    ----------
    data : Survey or DataFrame
    by : str, list of str or Series
        Segments (see :func:`split_segments`).
    groups : sequence of segment values, optional
        Segments to compare, in order (``difference = index_b - index_a`` for each pair).
        Default: all segments. Every pair is compared; with more than two, the
        ``p_value_holm`` column adjusts for the number of pairs.
    items : list of str, optional
        Items to score (default as in :func:`csindex.simple_scores`).
    weights : None, False, str or array
        Sampling weights, as in :func:`csindex.simple_scores` (a segment keeps its
        respondents' weights).
    bootstrap : int
        Bootstrap resamples per segment (default 2,000; the old name ``n_resamples`` is
        accepted with a ``FutureWarning``).
    n_permutations : int
        Permutations of the segment labels (default 2,000).
    confidence : float
        CI level (default 0.95).
    seed : int, numpy.random.Generator or None
        Random seed (the resolved seed is in ``settings["seed"]``).
    scale : (min, max), optional
        Scale when a DataFrame's codebook is inferred.
    min_size : int
        Smallest segment size.

    Returns
    -------
    SegmentComparisonResult

    Notes
    -----
    Bootstrap: the rows of each segment are resampled with replacement (their weights
    travel with them); the CI is the percentile interval of the resampled differences.
    Permutation test: the segment labels of the pooled respondents of a pair are
    reshuffled; two-sided p-value ``(1 + #{|d*| >= |d|}) / (R + 1)`` (Phipson & Smyth
    2010). Resamples and permutations are drawn in batches and evaluated as matrix
    products (no loop over resamples).

    Examples
    --------
    >>> import csindex
    >>> cmp = compare_segments(csindex.datasets.airline(), "gender", items=["SAT1", "SAT2", "SAT3"],
    ...                        bootstrap=500, n_permutations=500, seed=1)
    >>> cmp.differences[["construct", "group_a", "group_b"]]
      construct group_a group_b
    0       SAT  female    male
    1   overall  female    male
    >>> bool((cmp.differences["p_value"] > 0).all())
    True
    """
    where = "compare_segments()"
    bootstrap, n_permutations, confidence = check_resampling(bootstrap, n_permutations, confidence, where)
    rng, seed_used = resolve_seed(seed, where)
    if isinstance(data, pd.DataFrame):  # one codebook (and scale) for every segment
        data = load_survey(data, scale=scale)
    parts = split_segments(data, by, min_size=min_size)
    if groups is not None:
        if isinstance(groups, str) or not isinstance(groups, Iterable):
            raise ParameterError(f"The 'groups' parameter of {where} must be a list of segment values. "
                                 f"Got {groups!r} instead.")
        groups = list(groups)
        unknown = [g for g in groups if g not in parts]
        if unknown:
            raise SurveyDataError(
                f"Segment {quote_list(unknown)} is not in the data; segments: {quote_list(list(parts), limit=10)}."
                f"{did_you_mean(str(unknown[0]), [str(k) for k in parts])}"
            )
        if len(groups) < 2:
            raise ParameterError(f"The 'groups' parameter of {where} must name at least two segments. "
                                 f"Got {groups!r} instead.")
    else:
        groups = list(parts)
        if len(groups) < 2:
            raise SurveyDataError(f"The data has a single segment ({groups[0]!r}); there is nothing to compare.")
    comps: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
    constructs: list[str] = []
    used: Any = items
    for g in groups:
        c, w, constructs, used = _composites(parts[g], used, weights, scale)
        comps[g] = (c, w)
    pairs = [(groups[i], groups[j]) for i in range(len(groups)) for j in range(i + 1, len(groups))]
    table = index_differences(comps, constructs, pairs, bootstrap=bootstrap, n_permutations=n_permutations,
                              confidence=confidence, rng=rng)
    settings = {"by": by_label(by), "bootstrap": bootstrap, "n_permutations": n_permutations,
                "confidence": confidence, "seed": seed_used, "weighted": weights is not False and any(
                    not np.all(w == 1.0) for _, w in comps.values())}
    return SegmentComparisonResult(differences=table, settings=settings)


@renamed(n_resamples="bootstrap")
def compare_waves(wave_a: Any, wave_b: Any, *, labels: tuple[Any, Any] = ("wave 1", "wave 2"), items: Any = None,
                  weights: Any = None, bootstrap: int = 2000, n_permutations: int = 2000,
                  confidence: float = 0.95, seed: int | np.random.Generator | None = None,
                  scale: tuple[float, float] | None = None) -> SegmentComparisonResult:
    """Change of 0-100 indices between two survey waves, with bootstrap CI and permutation p-value.

    Parameters
    ----------
    wave_a, wave_b : Survey or DataFrame
        The earlier and the later wave; ``difference = index_b - index_a`` (the change).
        Items and their constructs are taken from ``wave_a``; ``wave_b`` must have them.
        Each wave's items are rescaled to 0-100 with its own codebook's scale.
    labels : (str, str)
        Names of the waves in the table.
    items, weights, bootstrap, n_permutations, confidence, seed, scale
        As in :func:`compare_segments`.

    Returns
    -------
    SegmentComparisonResult

    Examples
    --------
    >>> import csindex
    >>> cmp = compare_waves(csindex.datasets.airline(), csindex.datasets.airline_wave2(),
    ...                     items=["PUNC1", "PUNC2", "PUNC3"], bootstrap=500, n_permutations=500, seed=1)
    >>> row = cmp.differences.iloc[0]
    >>> row["construct"], bool(row["difference"] > 0), bool(row["p_value"] < 0.01)
    ('PUNC', True, True)
    """
    where = "compare_waves()"
    bootstrap, n_permutations, confidence = check_resampling(bootstrap, n_permutations, confidence, where)
    if len(labels) != 2 or labels[0] == labels[1]:
        raise ParameterError(f"The 'labels' parameter of {where} must be two different names. Got {labels!r} instead.")
    rng, seed_used = resolve_seed(seed, where)
    table, _, _ = wave_composites({labels[0]: wave_a, labels[1]: wave_b}, items, weights, scale)
    comps, constructs = table
    out = index_differences(comps, constructs, [(labels[0], labels[1])], bootstrap=bootstrap,
                            n_permutations=n_permutations, confidence=confidence, rng=rng)
    settings = {"by": "wave", "bootstrap": bootstrap, "n_permutations": n_permutations,
                "confidence": confidence, "seed": seed_used,
                "weighted": any(not np.all(w == 1.0) for _, w in comps.values())}
    return SegmentComparisonResult(differences=out, settings=settings)


def wave_composites(waves: Mapping[Any, Any], items: Any, weights: Any, scale: Any,
                     where: str = "compare_waves()") -> tuple[Any, list[str], dict[Any, Any]]:
    """Composites of every wave on the items (and constructs) of the first wave.

    -> ((composites per wave, construct names), items used, the waves as Surveys)
    """
    loaded = {label: load_survey(d, scale=scale) if isinstance(d, pd.DataFrame) else d for label, d in waves.items()}
    comps: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
    first = next(iter(loaded))
    _, _, construct_of, first_scales = resolve_items(loaded[first], items, weights, scale, where=where)
    used = list(construct_of)
    constructs: list[str] = []
    for label, data in loaded.items():
        cols = frame_of(data).columns
        lacking = [i for i in used if i not in cols]
        if lacking:
            raise SurveyDataError(
                f"Wave {label!r} lacks items {quote_list(lacking)} that wave {first!r} has; waves are compared on "
                "the same items. Pass items= with the items every wave has."
            )
        differ = [i for i in used if data.scale(i) != first_scales[i]]
        if differ:
            i = differ[0]
            raise SurveyDataError(
                f"Item {i!r} has the scale {data.scale(i)[0]:g}-{data.scale(i)[1]:g} in wave {label!r} but "
                f"{first_scales[i][0]:g}-{first_scales[i][1]:g} in wave {first!r} ({len(differ)} item(s) differ; "
                "a scale inferred from the answers depends on which values occur). Pass scale=(min, max) or load "
                "the waves with the same codebook."
            )
        c, w, constructs, _ = _composites(data, used, weights, scale, construct_of=construct_of, where=where)
        comps[label] = (c, w)
    return (comps, constructs), used, loaded


@dataclass(frozen=True, repr=False)
class IndexComparisonResult(ResultMixin):
    """Difference between two groups' indices (``b - a``) with CI and p-value.

    Attributes
    ----------
    estimate_a, estimate_b : float
        The two groups' (weighted) mean 0-100 scores, or NPS.
    difference : float
        ``estimate_b - estimate_a`` (second minus first: the sign convention of
        :mod:`csindex.comparisons`, as in :func:`compare_segments`).
    ci_lower, ci_upper : float
        Confidence interval of the difference: bootstrap percentile for
        ``method="bootstrap"``, normal (linearised weighted SEs) for ``"permutation"``.
    std_error : float
    p_value : float
        Two-sided p-value of H0 "no difference".
    n_a, n_b : int
    settings : dict
        ``statistic, method, bootstrap, seed, confidence, weighted``.
    """

    estimate_a: float
    estimate_b: float
    difference: float
    ci_lower: float
    ci_upper: float
    std_error: float
    p_value: float
    n_a: int
    n_b: int
    settings: dict = field(default_factory=dict)

    def _default_counts(self) -> dict[str, Any]:
        return {"n_used": self.n_a + self.n_b, "n_dropped": 0}

    def plot(self, *, ax: Any = None) -> Any:
        """The difference (b − a) with its interval as one bar."""
        return bar_plot(pd.DataFrame({"comparison": ["b − a"], "difference": [self.difference], "ci_lower": [self.ci_lower], "ci_upper": [self.ci_upper]}), "difference", "comparison", ci=("ci_lower", "ci_upper"), ax=ax)


    @property
    def ci(self) -> tuple[float, float]:
        """``(ci_lower, ci_upper)``."""
        return (self.ci_lower, self.ci_upper)

    def summary(self) -> Summary:
        table = pd.DataFrame({k: [getattr(self, k)] for k in ("estimate_a", "estimate_b", "difference", "ci_lower",
                                                               "ci_upper", "p_value")})
        return Summary(f"Index comparison ({self.settings.get('statistic')}, {self.settings.get('method')})",
                       facts={"n_a": self.n_a, "n_b": self.n_b, "bootstrap": self.settings.get("bootstrap")},
                       tables={"Difference": table}, notes=("difference = b - a",))


def _mean_se(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean and its linearised standard error (NaN for a single value)."""
    if len(x) < 2:
        return float(weighted_means(x, w)[0]), float("nan")
    return weighted_mean_se(x, w)


@renamed(n_resamples="bootstrap")
def compare_indices(a: Any, b: Any, *, weights_a: Any = None, weights_b: Any = None,
                    statistic: Literal["mean", "nps"] = "mean", scale: NPSScale = "0-10",
                    mapping: NPSMapping = "cutoffs", method: Literal["bootstrap", "permutation"] = "bootstrap",
                    bootstrap: int = 9999, confidence: float = 0.95,
                    seed: int | np.random.Generator | None = None) -> IndexComparisonResult:
    """Compare two groups' indices (segments or waves): ``difference = b - a``, CI and p-value.

    Parameters
    ----------
    a, b : array-like
        Respondent-level values of the two groups: 0-100 index scores for
        ``statistic="mean"``, likelihood-to-recommend answers for ``statistic="nps"``.
        NaN is missing (dropped, with a warning).
    weights_a, weights_b : array-like, optional
        Sampling weights of each group (weights travel with their respondents when
        resampling).
    statistic : {"mean", "nps"}
        ``"mean"``: the (weighted) mean score; ``"nps"``: the NPS (:func:`csindex.nps`).
    scale, mapping
        NPS scale and 1-10 mapping, as in :func:`csindex.nps` (``statistic="nps"`` only).
    method : {"bootstrap", "permutation"}
        ``"bootstrap"``: resample each group with replacement; CI = percentile interval
        of the resampled differences, p-value from the bootstrap distribution centred at
        0: ``(1 + #{|d* - d| >= |d|}) / (R + 1)``. ``"permutation"``: reshuffle the group
        labels of the pooled respondents; p-value ``(1 + #{|d*| >= |d|}) / (R + 1)`` (exact
        under exchangeability); the CI is then the normal interval from the linearised
        (weighted) standard errors.
    bootstrap : int
        Resamples (or permutations) R (>= 10); the old name ``n_resamples`` is accepted
        with a ``FutureWarning``.
    confidence : float
        CI level.
    seed : int, numpy.random.Generator or None
        Random seed; the resolved seed is stored in ``settings["seed"]``.

    Returns
    -------
    IndexComparisonResult

    Notes
    -----
    ``difference = estimate_b - estimate_a``, as in :func:`compare_segments` and
    :func:`compare_waves` (earlier releases returned ``a - b`` here). Resamples
    and permutations come from the kernel the other comparisons use
    (:mod:`csindex._resampling`: batched, no Python loop per resample). The NPS of a group
    is the weighted mean of per-respondent points (+100 promoter, 0 passive, -100
    detractor), so both statistics share one implementation.

    Examples
    --------
    >>> res = compare_indices([60, 65, 70, 55, 62], [80, 75, 90, 85, 70], method="permutation",
    ...                       bootstrap=999, seed=1)
    >>> res.difference
    17.6
    >>> res.p_value < 0.05
    True
    """
    where = "compare_indices()"
    check_param("statistic", statistic, Options("mean", "nps"), where)
    check_param("method", method, Options("bootstrap", "permutation"), where)
    check_param("scale", scale, Options("0-10", "1-10"), where)
    check_param("mapping", mapping, Options("cutoffs", "linear"), where)
    z = z_quantile(confidence, where)
    confidence = float(confidence)
    bootstrap = check_param("bootstrap", bootstrap, Count(10), where)
    groups = []
    for vals, wts, label in ((a, weights_a, "a"), (b, weights_b, "b")):
        what = f"Group {label!r}"
        x, _ = respondent_values(vals, what, where)
        w = check_weights(wts, len(x), f"{where} as weights_{label}")
        x, w, _ = drop_missing(x, w, what, where)
        if statistic == "nps":
            x = nps_points(x, scale, mapping, what)
        groups.append((x, w))
    (xa, wa), (xb, wb) = groups
    rng, seed_used = resolve_seed(seed, where)
    ma, sea = _mean_se(xa, wa)
    mb, seb = _mean_se(xb, wb)
    diff = mb - ma
    if method == "bootstrap":
        draws = (bootstrap_means(xb, wb, bootstrap, rng) - bootstrap_means(xa, wa, bootstrap, rng))[:, 0]
        lo, hi = percentile_interval(draws, confidence)
        se = float(draws.std(ddof=1))
        p = (1 + int((np.abs(draws - diff) >= abs(diff) - 1e-12).sum())) / (bootstrap + 1)
    else:
        draws = permutation_differences(xa, wa, xb, wb, bootstrap, rng)[:, 0]
        p = float(permutation_p_values(np.array([diff]), draws[:, None])[0])
        se = float(np.sqrt(sea**2 + seb**2))
        lo, hi = diff - z * se, diff + z * se
    settings = {"statistic": statistic, "method": method, "bootstrap": bootstrap, "seed": seed_used,
                "confidence": confidence, "weighted": weights_a is not None or weights_b is not None}
    return IndexComparisonResult(estimate_a=ma, estimate_b=mb, difference=float(diff), ci_lower=float(lo),
                                 ci_upper=float(hi), std_error=float(se), p_value=float(p), n_a=len(xa), n_b=len(xb),
                                 settings=settings)




__getattr__ = deprecated_aliases(__name__, {"IndexComparison": SegmentComparisonResult})
