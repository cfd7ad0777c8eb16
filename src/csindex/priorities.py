"""What to improve first: service attributes ranked by impact on the satisfaction index.

:func:`improvement_priorities` fits an attribute-level PLS model (every service-attribute
construct of the codebook -> the satisfaction construct), takes each attribute's
**impact** as its unstandardised total effect on the 0-100 satisfaction index (SmartPLS's
IPMA importance: index points gained per point of the attribute's 0-100 score) and its
**performance** as its 0-100 index, and ranks the attributes by the **expected gain**
``impact x (100 - performance)``: the index points the attribute could add if it reached
100. A batched bootstrap gives intervals for all three and the probability that each
attribute belongs in the top ``k``; attributes whose gain intervals overlap are reported
as not separable instead of being ranked on noise.

Why PLS total effects and not Shapley shares
--------------------------------------------
Shapley (LMG) shares split R² among the attributes; they are robust to collinearity but
unitless, so they cannot say how many index points five more points of punctuality buy.
The unstandardised total effect has that unit (Ringle & Sarstedt 2016), which the
recommendation sentence and the expected gain need. Both are computed: the result
reports the Shapley share of each attribute (on the same 0-100 scores) and the Spearman
rank correlation of the two, and the sample data shows they agree in direction.

Examples
--------
>>> import csindex
>>> res = csindex.improvement_priorities(csindex.datasets.airline(), bootstrap=100, seed=1)
>>> res.attributes["attribute"].iloc[0]
'PRICE'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._params import Count, Instance, Options, validate_params
from ._random import resolve_seed
from ._summary import Summary, SummaryMixin
from ._validation import quote_list
from .exceptions import SurveyDataError
from .models import index_construct_of
from .pls.estimate import fit_pls
from .spec import ModelSpec
from .scoring.drivers import driver_weights

__all__ = ["improvement_priorities", "PriorityResult", "attribute_constructs", "matrix_rows"]

#: resamples per batch of the bootstrap (bounds the (batch, n) count matrix)
_BATCH = 250
#: index constructs that follow satisfaction: never an attribute to improve it
_OUTCOMES = frozenset({"satisfaction", "complaints", "loyalty"})
#: condition number above which a resample's least-squares system counts as singular
_SINGULAR = 1e12


@dataclass(frozen=True, repr=False)
class PriorityResult(SummaryMixin):
    """Result of :func:`improvement_priorities`.

    Attributes
    ----------
    attributes : pandas.DataFrame
        One row per attribute construct, best first: ``attribute, rank, impact,
        impact_ci_lower, impact_ci_upper, performance, performance_ci_lower,
        performance_ci_upper, gain, gain_ci_lower, gain_ci_upper, p_top_k, tier,
        shapley_share, recommended``. ``impact`` is index points per attribute point,
        ``performance`` the 0-100 attribute index, ``gain = impact * (100 - performance)``,
        ``p_top_k`` the share of bootstrap resamples in which the attribute is among the
        ``k`` largest gains, ``tier`` groups attributes whose gain intervals overlap the
        tier leader's (1 = the top group), ``recommended`` the top ``k`` by gain.
    target : str
        The satisfaction construct.
    satisfaction_index : float
        The satisfaction index (0-100) of the attribute-level model.
    r_squared : pandas.DataFrame
        ``construct, r_squared``: R² of the satisfaction construct in the attribute-level model.
    agreement : float
        Spearman rank correlation of ``impact`` and ``shapley_share``.
    k : int
        Size of the top group.
    settings : dict
        ``n_used, n_dropped, seed, bootstrap, n_valid, confidence, missing, k, weighted``.
    """

    attributes: pd.DataFrame
    target: str
    satisfaction_index: float
    r_squared: pd.DataFrame
    agreement: float
    k: int
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def recommended(self) -> pd.DataFrame:
        """Rows of the top-``k`` attributes."""
        return self.attributes[self.attributes["recommended"]].reset_index(drop=True)

    def not_separable(self) -> list[tuple[str, str]]:
        """Pairs (recommended, not recommended) whose gain intervals overlap."""
        rec = self.attributes[self.attributes["recommended"]]
        rest = self.attributes[~self.attributes["recommended"]]
        return [(a.attribute, b.attribute) for a in rec.itertuples() for b in rest.itertuples()
                if b.gain_ci_upper >= a.gain_ci_lower]

    def summary(self) -> Summary:
        """Ranking with intervals and the top-k probabilities."""
        facts = {"target": self.target, "satisfaction index": self.satisfaction_index,
                 "R²": float(self.r_squared["r_squared"].iloc[0]),
                 "top k": self.k, "impact vs Shapley (Spearman)": self.agreement,
                 "respondents used": self.settings.get("n_used"), "bootstrap": self.settings.get("n_valid")}
        return Summary("Improvement priorities", facts=facts, tables={"Attributes": self.attributes})

    def plot(self, *, labels: dict[str, str] | None = None, texts: dict[str, str] | None = None, ax: Any = None) -> Any:
        """Impact (x) against performance (y) with bootstrap intervals; see
        :func:`csindex.plots.improvement_chart` for ``labels`` and ``texts``."""
        from .plots import improvement_chart

        return improvement_chart(self.attributes, labels=labels, texts=texts, ax=ax)


def attribute_constructs(survey: Any) -> list[str]:
    """Service-attribute constructs a codebook declares, in codebook order.

    The constructs of perception items that expectation or importance items point to
    (codebook column ``attribute``); without such links, the perception constructs that
    are not part of the index model (empty ``index_construct``) and whose names do not stand
    for satisfaction or its outcomes (complaints ``CUSCO``, loyalty ``CUSL``:
    :func:`csindex.models.index_construct_of`), which are consequences, not levers. A
    construct named ``comp`` stays an attribute: in a survey's own data it is as often
    competence as complaints (:data:`csindex.models.AMBIGUOUS_CODES`).

    Examples
    --------
    >>> import csindex
    >>> attribute_constructs(csindex.datasets.airline())
    ['CREW', 'CABN', 'CATR', 'ENT', 'SAFE', 'PUNC', 'PRICE']
    """
    table = survey.codebook.items
    percept = set(survey.items(role="perception"))
    linked = {str(v).strip() for v in table.get("attribute", pd.Series(dtype=object)).dropna() if str(v).strip()}
    chosen = [i for i in table.index if i in linked and i in percept]
    if not chosen:  # no links: the perception constructs outside the index model and not its outcomes
        ic = table["index_construct"] if "index_construct" in table.columns else pd.Series("", index=table.index)
        chosen = [i for i in table.index if i in percept and not str(ic.get(i) or "").strip()
                  and index_construct_of(str(table.at[i, "construct"] or i), strict=True) not in _OUTCOMES]
    out: list[str] = []
    for i in chosen:
        c = str(table.at[i, "construct"] or i)
        if c not in out:
            out.append(c)
    return out


def matrix_rows(survey: Any, attributes: Sequence[str] | None = None) -> list[str]:
    """The rows of a survey's one matrix question of service aspects, to rank as attributes.

    A platform export asks the aspects as one matrix question ("How satisfied are you with
    each of the following aspects? - Cabin crew / - Seat comfort / ..."), whose rows the
    inferred codebook groups into one construct. When ``attributes`` (default
    :func:`attribute_constructs`) name exactly one construct and it holds two or more rated
    items, those items are returned, in codebook order: each row is then an attribute of its
    own, as :func:`improvement_priorities` and :func:`csindex.driver_weights` take them
    (the same numbers as a codebook that makes each row its own construct). Otherwise
    (two or more attribute constructs, none, or one of a single item) the result is empty.

    Parameters
    ----------
    survey : Survey
        The survey with its codebook.
    attributes : list of str, optional
        Attribute constructs; default :func:`attribute_constructs`.

    Returns
    -------
    list of str
        Item names, or ``[]``.

    Examples
    --------
    >>> import csindex
    >>> matrix_rows(csindex.datasets.airline())  # seven attribute constructs: nothing to split
    []
    >>> import pandas as pd
    >>> data = pd.DataFrame({"Q1_1": [1, 2, 3, 4, 5, 4], "Q1_2": [2, 2, 3, 5, 4, 5],
    ...                      "Q1_3": [3, 1, 2, 4, 5, 5], "SAT": [2, 3, 3, 5, 5, 4]})
    >>> survey = csindex.load_survey(data, {"items": {
    ...     "Q1_1": {"construct": "Q1", "role": "perception"},
    ...     "Q1_2": {"construct": "Q1", "role": "perception"},
    ...     "Q1_3": {"construct": "Q1", "role": "perception"},
    ...     "SAT": {"construct": "SAT", "role": "overall_satisfaction"}}}, scale=(1, 5))
    >>> matrix_rows(survey)
    ['Q1_1', 'Q1_2', 'Q1_3']
    """
    attrs = list(attribute_constructs(survey) if attributes is None else attributes)
    if len(attrs) != 1 or attrs[0] not in survey.constructs:
        return []
    rows = survey.items(construct=attrs[0])
    return rows if len(rows) >= 2 else []


def _attribute_items(survey: Any, attribute: str) -> list[str]:
    """The items of an attribute: a construct's items, or a rated item on its own (a matrix row)."""
    if attribute not in survey.constructs and attribute in survey.items():
        return [attribute]
    return survey.items(construct=attribute)  # SurveyDataError naming the constructs when unknown


def _target_construct(survey: Any, target: str | None) -> tuple[str, list[str]]:
    table = survey.codebook.items
    if target is None:
        items = survey.items(role="overall_satisfaction")
        if not items:
            raise SurveyDataError("improvement_priorities() needs the satisfaction items: give the codebook the role "
                                  "'overall_satisfaction' for them, or pass target='CONSTRUCT'.")
        target = str(table.at[items[0], "construct"] or items[0])
    return target, survey.items(construct=target)  # SurveyDataError naming the constructs when unknown


def _latent_names(constructs: list[str], items: list[str]) -> dict[str, str]:
    """A latent-variable name per construct that no item of the model carries: a one-item
    construct is often named like its item (``CUSCO`` measured by ``CUSCO``), which a model
    cannot hold; such a construct is fitted as ``CUSCO_lv`` and reported under its own name."""
    taken = set(items) | set(constructs)
    out = {}
    for c in constructs:
        name = c
        while name in items or (name != c and name in taken):
            name += "_lv"
        out[c] = name
        taken.add(name)
    return out


def _ols_batch(Z: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Weighted least-squares slopes of ``y`` on ``Z`` for each row of ``counts`` (B, n); NaN
    for a row whose respondents hold an attribute constant or the attributes collinear (a
    small sample's bootstrap resample can)."""
    X = np.column_stack([np.ones(len(y)), Z])
    XtWX = np.einsum("bn,ni,nj->bij", counts, X, X, optimize=True)
    XtWy = counts @ (X * y[:, None])
    out = np.full((len(counts), Z.shape[1]), np.nan)
    ok = np.linalg.cond(XtWX) < _SINGULAR
    out[ok] = np.linalg.solve(XtWX[ok], XtWy[ok][..., None])[..., 0][:, 1:]
    return out


@validate_params({"k": Count(1), "missing": Options("listwise", "mean", "em"),
                  "target": Instance((str, type(None)), "a construct name or None"),
                  "attributes": Instance((list, tuple, pd.Index, np.ndarray, type(None)),
                                         "a list of construct names or None")},
                 common=("bootstrap", "confidence", "seed"))
def improvement_priorities(
    survey: Any,
    attributes: Sequence[str] | None = None,
    *,
    target: str | None = None,
    k: int = 3,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: Any = None,
    missing: str = "em",
) -> PriorityResult:
    """Rank service attributes by impact on the satisfaction index against their performance.

    Parameters
    ----------
    survey : Survey
        The survey with its codebook.
    attributes : list of str, optional
        Attribute constructs; default :func:`attribute_constructs` (those the codebook links
        expectation/importance items to, e.g. crew, cabin, catering, punctuality, price).
        A rated item that is not a construct's name is an attribute of its own (one item):
        the rows of one matrix question, :func:`matrix_rows`, ranked as the attributes.
    target : str, optional
        Satisfaction construct; default the construct of the ``overall_satisfaction`` items.
    k : int
        Size of the recommended top group (capped at the number of attributes).
    bootstrap : int
        Resamples for the intervals and top-k probabilities (batched; 0 = none, then the
        intervals are NaN and ``p_top_k`` is 1 for the top ``k``).
    confidence : float
        Level of the percentile intervals.
    seed : int, Generator or None
        Bootstrap seed (resolved int in ``settings["seed"]``).
    missing : {"listwise", "mean", "em"}
        Passed to :func:`csindex.fit_pls` (``"em"`` where that engine offers it).

    Returns
    -------
    PriorityResult

    Notes
    -----
    The bootstrap resamples respondents and re-estimates the impacts (weighted least
    squares of the satisfaction index scores on the attribute index scores, which equals
    the unstandardised PLS path of this one-layer model) and the performances, holding the
    outer weights at their full-sample values: reflective blocks' weights vary little and
    the fixed-weight bootstrap keeps the ranking of a 1,000-resample run under a second.

    Examples
    --------
    >>> import csindex
    >>> res = improvement_priorities(csindex.datasets.airline(), bootstrap=200, seed=3)
    >>> bool(res.attributes.loc[0, "p_top_k"] > 0.9), res.settings["n_used"] > 300
    (True, True)
    """
    where = "improvement_priorities()"
    if not (hasattr(survey, "codebook") and hasattr(survey, "responses")):
        raise SurveyDataError(f"The 'survey' parameter of {where} must be a csindex Survey with a codebook "
                              f"(csindex.load_survey(data, codebook)); got {type(survey).__name__}. Its "
                              "constructs name the attributes and the target.")
    target, target_items = _target_construct(survey, target)
    attrs = list(attribute_constructs(survey) if attributes is None else attributes)
    attrs = [a for a in attrs if a != target]
    if len(attrs) < 2:
        raise SurveyDataError(f"{where} needs at least two attribute constructs; got {attrs}. Declare them in the "
                              "codebook (perception items linked by expectation/importance items) or pass "
                              "attributes=[...].")
    blocks = {a: _attribute_items(survey, a) for a in attrs}
    empty = [a for a, its in blocks.items() if not its]
    if empty:
        raise SurveyDataError(f"Attribute construct(s) {quote_list(empty)} have no items in the codebook.")
    latent = _latent_names([*attrs, target], [*(i for its in blocks.values() for i in its), *target_items])
    syntax = "\n".join([f"{latent[a]} =~ {' + '.join(its)}" for a, its in blocks.items()]
                       + [f"{latent[target]} =~ {' + '.join(target_items)}",
                          f"{latent[target]} ~ {' + '.join(latent[a] for a in attrs)}"])
    res = fit_pls(survey, ModelSpec.from_lavaan(syntax), missing=missing, progress=False)
    scores = res.index_scores.rename(columns={v: k for k, v in latent.items()})
    Z = scores[attrs].to_numpy(dtype="float64")
    y = scores[target].to_numpy(dtype="float64")
    n = len(y)
    w = np.ones(n) if survey.weights is None else survey.weights.reindex(scores.index).to_numpy(dtype="float64")
    w = w / w.mean()
    impact = _ols_batch(Z, y, w[None, :])[0]
    if not np.isfinite(impact).all():
        raise SurveyDataError(f"The scores of the attributes {quote_list(attrs)} are collinear (or one is constant) "
                              f"among the {n} respondents used, so {where} cannot separate their impacts; "
                              "leave one out or combine them into one construct.")
    perf = (w @ Z) / w.sum()
    gain = impact * (100.0 - perf)
    k = min(int(k), len(attrs))
    resolved = resolve_seed(seed, where)
    B = int(bootstrap)
    lo_q, hi_q = (1 - confidence) / 2, 1 - (1 - confidence) / 2
    if B > 0:
        imp_d, perf_d = [], []
        for start in range(0, B, _BATCH):
            size = min(_BATCH, B - start)
            counts = resolved.rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype("float64") * w[None, :]
            imp_d.append(_ols_batch(Z, y, counts))
            perf_d.append(counts @ Z / counts.sum(axis=1, keepdims=True))
        imp_draws, perf_draws = np.vstack(imp_d), np.vstack(perf_d)
        valid = np.isfinite(imp_draws).all(axis=1)  # singular resamples left out (n_valid counts the rest)
        imp_draws, perf_draws = imp_draws[valid], perf_draws[valid]
        gain_draws = imp_draws * (100.0 - perf_draws)
        top = np.argsort(-gain_draws, axis=1)[:, :k]
        p_top = np.array([(top == j).any(axis=1).mean() for j in range(len(attrs))])

        def ci(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return np.quantile(d, lo_q, axis=0), np.quantile(d, hi_q, axis=0)
    else:
        p_top = np.zeros(len(attrs))

        def ci(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            nan = np.full(len(attrs), np.nan)
            return nan, nan
        imp_draws = perf_draws = gain_draws = np.empty((0, len(attrs)))
    (il, iu), (pl, pu), (gl, gu) = ci(imp_draws), ci(perf_draws), ci(gain_draws)
    shap = driver_weights(scores.assign(**{"__w": w}), target=target, drivers=attrs, method="shapley",
                          weights="__w", scale=(0, 100))
    share = shap.weights.set_index("driver")["share"].reindex(attrs).to_numpy()
    table = pd.DataFrame({"attribute": attrs, "impact": impact, "impact_ci_lower": il, "impact_ci_upper": iu,
                          "performance": perf, "performance_ci_lower": pl, "performance_ci_upper": pu,
                          "gain": gain, "gain_ci_lower": gl, "gain_ci_upper": gu, "p_top_k": p_top,
                          "shapley_share": share})
    table = table.sort_values("gain", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(1, "rank", np.arange(1, len(table) + 1))
    if B == 0:
        table["p_top_k"] = (table["rank"] <= k).astype(float)
    table["tier"] = _tiers(table["gain"].to_numpy(), table["gain_ci_lower"].to_numpy(),
                           table["gain_ci_upper"].to_numpy())
    table["recommended"] = table["rank"] <= k
    # Spearman rho as the Pearson correlation of average ranks (scipy.stats costs 0.6 s of import)
    rho = float(table["impact"].rank().corr(table["shapley_share"].rank()))
    settings = {"n_used": int(n), "n_dropped": int(survey.n - n), "seed": resolved.seed, "bootstrap": B,
                "n_valid": int(imp_draws.shape[0]), "confidence": confidence, "missing": missing, "k": k,
                "weighted": survey.weights is not None, "model": syntax}
    r2_of = res.r_squared.set_index("construct")["r_squared"]  # by the latent name, which may differ from target
    r2 = pd.DataFrame({"construct": [target], "r_squared": [float(r2_of.loc[latent[target]])]})
    return PriorityResult(attributes=table, target=target, satisfaction_index=float((w @ y) / w.sum()),
                          r_squared=r2, agreement=rho, k=k, settings=settings)


def _tiers(gain: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Tier of each attribute (rows sorted by gain): a new tier starts at the first attribute
    whose gain interval lies wholly below the lower end of the current tier leader's."""
    tiers = np.ones(len(gain), dtype=int)
    if np.isnan(lower).all():
        return np.arange(1, len(gain) + 1)
    leader, tier = 0, 1
    for j in range(1, len(gain)):
        if upper[j] < lower[leader]:
            tier += 1
            leader = j
        tiers[j] = tier
    return tiers
