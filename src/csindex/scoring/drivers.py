"""Regression driver weights (key-driver analysis): OLS betas, Pratt, Shapley/LMG, Johnson's
relative weights and dominance analysis, all from the (weighted) correlation matrix.

Formulas (METHODS.md §3), with ``R_xx`` the driver correlation matrix, ``r`` the driver-target
correlations and ``R²(S) = r_S' R_SS⁻¹ r_S`` the R² of the regression on the driver subset S:

* standardised betas ``β = R_xx⁻¹ r``; raw coefficients ``b_j = β_j s_y / s_j``; VIF
  ``diag(R_xx⁻¹)`` (a :class:`~csindex.exceptions.CollinearityWarning` above 5);
* Pratt ``β_j r_j`` (sums to R²);
* Shapley/LMG ``Σ_{S ⊆ P∖j} |S|!(p−|S|−1)!/p! · (R²(S ∪ j) − R²(S))`` over all 2^p subsets
  (sums to R²; exact, so at most 20 drivers);
* dominance analysis (Budescu 1993; Azen & Budescu 2003): conditional dominance
  ``C_j(k)`` = mean gain of j over the subsets of size k without j; general dominance = mean
  over k (= Shapley/LMG); complete dominance of j over h when j adds more R² than h to every
  subset containing neither;
* Johnson (2000) relative weights: ``R_xx = Q Λ Q'``, ``Λ* = Q Λ^{1/2} Q'``,
  ``β* = Λ*⁻¹ r``, ``ε_j = Σ_k Λ*_jk² β*_k²`` (sums to R²);
* ``share = weight / Σ weight`` (negative betas or Pratt values: clipped to 0 and renormalised,
  or an error, by ``negative=``);
* CSI from the weights: ``Σ share_j · 100 (x̄_j − min_j)/(max_j − min_j)``.

Sampling weights enter through weighted means and covariances (listwise complete cases).
Bootstrap intervals resample respondents (percentile method), batched: the resampled
correlation matrices are built with matrix products, the measures are computed on the whole
stack at once.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> x = rng.normal(size=(500, 3))
>>> df = pd.DataFrame({"A1": x[:, 0], "B1": x[:, 1], "C1": x[:, 2],
...                    "Y1": x @ [0.6, 0.3, 0.0] + rng.normal(size=500)})
>>> res = driver_weights(df, target="Y1", drivers=["A1", "B1", "C1"])
>>> bool(np.isclose(res.weights["weight"].sum(), res.r_squared["r_squared"].iloc[0]))
True
>>> res.weights.set_index("driver")["share"].idxmax()
'A1'
"""

from __future__ import annotations

import itertools
import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from .._params import Options, check_param
from .._random import resolve_seed
from .._results import ResultMixin, deprecated_aliases, index_table, scalar_table
from .._segmenting import segmentable
from .._summary import Summary
from .._validation import did_you_mean, quote_list
from ..exceptions import CollinearityWarning, MissingDataWarning, ParameterError, SurveyDataError
from ._common import as_names, as_survey, matrix, row_chunks, row_mean, sampling_weights

__all__ = ["DriverWeightsResult", "driver_weights", "subset_r2", "shapley_from_r2", "relative_weights",
           "dominance_from_r2", "METHODS"]

logger = logging.getLogger(__name__)

METHODS = ("shapley", "relative_weights", "pratt", "ols", "dominance")
MAX_EXACT = 20
_SUMS_TO_R2 = {"shapley", "relative_weights", "pratt", "dominance"}


# --------------------------------------------------------------------------- core (batched) measures
def _popcount(m: np.ndarray) -> np.ndarray:
    out = np.zeros(m.shape, dtype=np.int64)
    v = m.copy()
    while v.any():
        out += v & 1
        v >>= 1
    return out


def subset_r2(corr: np.ndarray, *, chunk_elems: int = 20_000_000) -> np.ndarray:
    """R² of every driver subset from correlation matrices.

    Parameters
    ----------
    corr : array (..., p + 1, p + 1)
        Correlation matrices with the target last.

    Returns
    -------
    array (..., 2**p)
        ``r2[..., m]`` is the R² of the drivers whose bits are set in ``m`` (``r2[..., 0] = 0``).

    Examples
    --------
    >>> R = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.3], [0.5, 0.3, 1.0]])
    >>> subset_r2(R).round(4).tolist()
    [0.0, 0.25, 0.09, 0.34]
    """
    corr = np.asarray(corr, dtype=np.float64)
    p = corr.shape[-1] - 1
    batch = corr.shape[:-2]
    nb = int(np.prod(batch)) if batch else 1
    flat = corr.reshape(nb, p + 1, p + 1)
    out = np.zeros((nb, 2**p))
    weights_of_bits = 1 << np.arange(p)
    for k in range(1, p + 1):
        combos = np.array(list(itertools.combinations(range(p), k)), dtype=np.int64)
        masks = (weights_of_bits[combos]).sum(axis=1)
        step = max(1, chunk_elems // max(1, nb * k * k))
        for s in range(0, len(combos), step):
            idx = combos[s:s + step]
            rss = flat[:, idx[:, :, None], idx[:, None, :]]  # (nb, m, k, k)
            rsy = flat[:, idx, p]  # (nb, m, k)
            try:
                sol = np.linalg.solve(rss, rsy[..., None])[..., 0]
            except np.linalg.LinAlgError:
                sol = np.einsum("...ij,...j->...i", np.linalg.pinv(rss), rsy)
            out[:, masks[s:s + step]] = (rsy * sol).sum(axis=-1)
    return out.reshape(*batch, 2**p)


def shapley_from_r2(r2: np.ndarray, p: int) -> np.ndarray:
    """Shapley/LMG values (..., p) from all-subset R² (..., 2**p).

    Examples
    --------
    >>> shapley_from_r2(np.array([0.0, 0.25, 0.09, 0.34]), 2).round(4).tolist()
    [0.25, 0.09]
    """
    masks = np.arange(2**p)
    size = _popcount(masks)
    fact = np.array([math.factorial(i) for i in range(p + 1)], dtype=np.float64)
    out = np.empty((*r2.shape[:-1], p))
    for j in range(p):
        bit = 1 << j
        without = masks[(masks & bit) == 0]
        s = size[without]
        wt = fact[s] * fact[p - s - 1] / fact[p]
        out[..., j] = ((r2[..., without | bit] - r2[..., without]) * wt).sum(axis=-1)
    return out


def dominance_from_r2(r2: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conditional (p x p: driver, subset size k), general (p) and complete (p x p bool) dominance.

    Examples
    --------
    >>> cond, gen, comp = dominance_from_r2(np.array([0.0, 0.25, 0.09, 0.34]), 2)
    >>> cond.round(4).tolist(), comp.tolist()
    ([[0.25, 0.25], [0.09, 0.09]], [[False, True], [False, False]])
    """
    masks = np.arange(2**p)
    size = _popcount(masks)
    cond = np.empty((*r2.shape[:-1], p, p))
    for j in range(p):
        bit = 1 << j
        without = masks[(masks & bit) == 0]
        gain = r2[..., without | bit] - r2[..., without]
        onehot = (size[without][:, None] == np.arange(p)[None, :]).astype(np.float64)
        cond[..., j, :] = gain @ onehot / onehot.sum(axis=0)
    general = cond.mean(axis=-1)
    comp = np.zeros((p, p), dtype=bool)
    if r2.ndim == 1:
        for j in range(p):
            for h in range(p):
                if j == h:
                    continue
                bj, bh = 1 << j, 1 << h
                s = masks[((masks & bj) == 0) & ((masks & bh) == 0)]
                comp[j, h] = bool(np.all(r2[s | bj] > r2[s | bh]))
    return cond, general, comp


def relative_weights(corr: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights (..., p) from correlation matrices (..., p + 1, p + 1).

    Examples
    --------
    >>> R = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.3], [0.5, 0.3, 1.0]])
    >>> relative_weights(R).round(4).tolist()
    [0.25, 0.09]
    """
    corr = np.asarray(corr, dtype=np.float64)
    p = corr.shape[-1] - 1
    rxx = corr[..., :p, :p]
    rxy = corr[..., :p, p]
    lam, q = np.linalg.eigh(rxx)
    lam = np.clip(lam, 0.0, None)
    half = np.einsum("...ik,...k,...jk->...ij", q, np.sqrt(lam), q)
    beta_star = np.linalg.solve(half, rxy[..., None])[..., 0]
    return np.einsum("...jk,...k->...j", half**2, beta_star**2)


def _betas(corr: np.ndarray) -> np.ndarray:
    p = corr.shape[-1] - 1
    return np.linalg.solve(corr[..., :p, :p], corr[..., :p, p][..., None])[..., 0]


def _measure(corr: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(weights (..., p), R² (...)) of one method on a stack of correlation matrices."""
    p = corr.shape[-1] - 1
    beta = _betas(corr)
    r2 = (beta * corr[..., :p, p]).sum(axis=-1)
    if method == "ols":
        return beta, r2
    if method == "pratt":
        return beta * corr[..., :p, p], r2
    if method == "relative_weights":
        return relative_weights(corr), r2
    sub = subset_r2(corr)
    if method == "shapley":
        return shapley_from_r2(sub, p), r2
    return dominance_from_r2(sub, p)[1], r2


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, repr=False)
class DriverWeightsResult(ResultMixin):
    """Result of :func:`driver_weights`.

    Attributes
    ----------
    weights : pandas.DataFrame
        One row per driver: ``driver, weight`` (the raw measure: Shapley/LMG, relative weight, Pratt,
        general dominance or standardised beta), ``share`` (weights normalised to sum to 1,
        negatives clipped), ``rank`` (1 = largest share), ``mean`` (weighted mean rating of
        the driver), and with ``bootstrap=`` also ``ci_lower, ci_upper, share_ci_lower,
        share_ci_upper``.
    regression : pandas.DataFrame
        One row per term (``intercept`` and the drivers): ``term, coefficient, std_error, t_value,
        p_value, beta, vif`` of the (weighted) least-squares fit; ``beta`` and ``vif`` are NaN
        for the intercept by definition.
    r_squared : pandas.DataFrame
        ``target, r_squared`` (plus ``ci_lower, ci_upper`` after a bootstrap): R² of the
        regression on all drivers. (A float before; ``float(res.r_squared)`` works for one
        release with a ``FutureWarning``.)
    index : pandas.DataFrame
        The standard index table, one row ``construct == "overall"``: the CSI built from the
        shares, ``Σ share_j · 100 (x̄_j − min_j)/(max_j − min_j)``; NaN when a driver's scale
        is unknown (``settings["index_note"]`` says why). A float before; see :attr:`overall`.
    method, target : str
    conditional_dominance : pandas.DataFrame or None
        (method "dominance") driver x subset size ``k`` (columns ``0 .. p−1``).
    complete_dominance : pandas.DataFrame or None
        (method "dominance") ``True`` where the row driver completely dominates the column.
    settings : dict
        ``n_used, n_dropped, weighted, negative, bootstrap, confidence, seed, r_squared_ci``.
    """

    weights: pd.DataFrame
    regression: pd.DataFrame
    r_squared: pd.DataFrame
    index: pd.DataFrame
    method: str
    target: str
    conditional_dominance: pd.DataFrame | None = None
    complete_dominance: pd.DataFrame | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)

    _tables: ClassVar[Mapping[str, str]] = {"weights": "driver", "regression": "term"}

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.index, pd.DataFrame):  # built from the numbers
            table = index_table(["overall"], float(self.index))
            object.__setattr__(self, "index", scalar_table(table, "index", "res.overall"))
        if not isinstance(self.r_squared, pd.DataFrame):
            r2 = pd.DataFrame({"target": [self.target], "r_squared": [float(self.r_squared)]})
            ci = self.settings.get("r_squared_ci")
            if ci is not None:
                r2["ci_lower"], r2["ci_upper"] = ci
            object.__setattr__(self, "r_squared", scalar_table(r2, "r_squared", "res.r_squared['r_squared']"))

    @property
    def overall(self) -> float:
        """The driver-weighted CSI (0–100) as a number."""
        return float(pd.DataFrame(self.index)["index"].iloc[0])

    def summary(self) -> Summary:
        """Weights and the regression table."""
        r2 = float(pd.DataFrame(self.r_squared)["r_squared"].iloc[0])
        facts = {"method": self.method, "target": self.target, "R2": r2, "index": self.overall,
                 "respondents used": self.settings.get("n_used"), "weighted": self.settings.get("weighted")}
        tables = {"Driver weights": self.weights, "Regression": self.regression}
        if self.conditional_dominance is not None:
            tables["Conditional dominance"] = self.conditional_dominance
            tables["Complete dominance"] = self.complete_dominance.astype(str)
        return Summary(f"Driver weights ({self.method})", facts=facts, tables=tables)

    def plot(self, *, ax: Any = None):
        """Bar chart of the shares (with bootstrap intervals when computed), via
        :func:`csindex.plots.driver_chart`."""
        from ..plots import driver_chart

        table = self.weights
        has_ci = "share_ci_lower" in table
        return driver_chart(table, value="share", driver="driver",
                            ci_lower="share_ci_lower" if has_ci else None,
                            ci_upper="share_ci_upper" if has_ci else None, ax=ax)


# --------------------------------------------------------------------------- public function
def _column(survey: Any, name: str, what: str) -> tuple[np.ndarray, tuple[float, float] | None]:
    """Values and scale of a column or of a construct composite."""
    if name in survey.responses.columns:
        vals = matrix(survey, [name])[:, 0]
        try:
            sc = survey.scale(name)
        except SurveyDataError:
            sc = None
        return vals, sc
    if name in survey.constructs:
        items = survey.constructs[name]
        scales = {survey.scale(i) for i in items}
        return row_mean(matrix(survey, items)), (next(iter(scales)) if len(scales) == 1 else None)
    raise SurveyDataError(
        f"The {what} {name!r} is neither a column nor a construct of the data."
        f"{did_you_mean(name, [*survey.responses.columns, *survey.constructs])}"
    )


def _block_moments(cols: list[np.ndarray], w: np.ndarray):
    """Weighted correlation, means, SDs (population form), weight total and the listwise mask of
    the columns, accumulated over row blocks (shifted by the first block's means for precision)."""
    n, q = len(w), len(cols)
    keep = np.zeros(n, dtype=bool)
    shift = None
    sw = 0.0
    s1 = np.zeros(q)
    s2 = np.zeros((q, q))
    for rows in row_chunks(n, q):
        zb = np.column_stack([c[rows] for c in cols])
        wb = w[rows]
        kb = ~np.isnan(zb).any(axis=1) & (wb > 0)
        keep[rows] = kb
        if not kb.any():
            continue
        zb, wb = zb[kb], wb[kb]
        if shift is None:
            shift = zb.mean(axis=0)
        zs = zb - shift
        sw += float(wb.sum())
        s1 += np.einsum("n,ni->i", wb, zs)
        s2 += np.einsum("ni,nj->ij", zs * wb[:, None], zs)
    if shift is None:
        return np.full((q, q), np.nan), np.full(q, np.nan), np.full(q, np.nan), 0.0, keep
    d = s1 / sw
    cov = s2 / sw - np.outer(d, d)
    cov = (cov + cov.T) / 2.0
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    np.fill_diagonal(corr, 1.0)
    return corr, shift + d, sd, sw, keep


def _bootstrap_corr(z: np.ndarray, w: np.ndarray, n_boot: int, rng: np.random.Generator,
                    chunk: int = 200) -> np.ndarray:
    """Correlation matrices of ``n_boot`` resamples (n_boot, q, q), built with matrix products."""
    n, q = z.shape
    zc = z - w @ z / w.sum()
    out = np.empty((n_boot, q, q))
    rows = max(1, 20_000_000 // (q * q))
    for b0 in range(0, n_boot, chunk):
        m = min(chunk, n_boot - b0)
        idx = rng.integers(0, n, size=(m, n))
        counts = np.bincount((idx + (np.arange(m) * n)[:, None]).ravel(), minlength=m * n).reshape(m, n)
        cw = counts * w[None, :]
        s0 = cw.sum(axis=1)
        s1 = cw @ zc
        s2 = np.zeros((m, q * q))
        for r0 in range(0, n, rows):
            blk = zc[r0:r0 + rows]
            s2 += cw[:, r0:r0 + rows] @ (blk[:, :, None] * blk[:, None, :]).reshape(len(blk), q * q)
        mean = s1 / s0[:, None]
        cov = s2.reshape(m, q, q) / s0[:, None, None] - mean[:, :, None] * mean[:, None, :]
        sd = np.sqrt(np.clip(np.einsum("bii->bi", cov), 1e-300, None))
        out[b0:b0 + m] = cov / (sd[:, :, None] * sd[:, None, :])
    return out


def _shares(weights: np.ndarray, negative: str, names: Sequence[str], method: str) -> np.ndarray:
    wts = np.asarray(weights, dtype=np.float64)
    neg = wts < -1e-12
    if neg.any() and negative == "error" and wts.ndim == 1:
        bad = [n for n, f in zip(names, neg) if f]
        raise SurveyDataError(
            f"The {method} weights of {quote_list(bad)} are negative (typical under collinearity), so they cannot "
            "be shares. Use negative='clip', or method='shapley' or 'relative_weights'."
        )
    pos = np.clip(wts, 0.0, None)
    total = pos.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, pos / np.where(total > 0, total, 1.0), np.nan)


def _regression_table(corr: np.ndarray, mean: np.ndarray, sd: np.ndarray, ws: float, beta: np.ndarray,
                      vif: np.ndarray, r2: float, n_used: int, names: list[str]) -> pd.DataFrame:
    """Weighted least-squares table from the weighted moments (statsmodels WLS conventions).

    Why not ``statsmodels.WLS``: it needs the n × p design matrix in memory and a second pass,
    while every number here follows from the one-pass weighted moments that the Shapley/LMG
    subsets need anyway (1,000,000 × 30: one pass instead of a 240 MB design). The table equals
    ``statsmodels`` WLS (coefficients, SEs, t, p) to 1e-8; tests/scoring/test_drivers.py checks it.
    """
    p = len(names)
    b = beta * sd[p] / sd[:p]
    b0 = mean[p] - b @ mean[:p]
    df_resid = n_used - p - 1
    cov_x = corr[:p, :p] * np.outer(sd[:p], sd[:p])
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma2 = ws * sd[p] ** 2 * max(1.0 - r2, 0.0) / df_resid if df_resid > 0 else np.nan
        cinv = np.linalg.inv(cov_x) / ws
        se_b = np.sqrt(sigma2 * np.diag(cinv))
        se_0 = np.sqrt(sigma2 * (1.0 / ws + mean[:p] @ cinv @ mean[:p]))
        coef = np.r_[b0, b]
        se = np.r_[se_0, se_b]
        tval = coef / se
        pval = 2 * special.stdtr(df_resid, -np.abs(tval)) if df_resid > 0 else np.full(p + 1, np.nan)
    return pd.DataFrame({"coefficient": coef, "std_error": se, "t_value": tval, "p_value": pval,
                         "beta": np.r_[np.nan, beta], "vif": np.r_[np.nan, vif]},
                        index=pd.Index(["intercept", *names], name="term"))


def _bootstrap_into(table: pd.DataFrame, settings: dict[str, Any], z: np.ndarray, w: np.ndarray, bootstrap: int,
                    rng: np.random.Generator, method: str, names: list[str], confidence: float) -> None:
    """Percentile intervals of the weights, shares and R² from resampled correlation matrices."""
    bcorr = _bootstrap_corr(z, w, bootstrap, rng)
    ok = np.isfinite(bcorr).all(axis=(1, 2))
    # a small sample's resample can hold a driver constant or drivers collinear (singular, as
    # _check_design refuses for the full sample): such resamples are left out, as non-finite ones
    p = len(names)
    ok[ok] = np.linalg.eigvalsh(bcorr[ok][:, :p, :p])[:, 0] >= 1e-10
    bw, br2 = _measure(bcorr[ok], method)
    bs = _shares(bw, "clip", names, method)
    a = (1 - confidence) / 2
    table["ci_lower"], table["ci_upper"] = np.quantile(bw, [a, 1 - a], axis=0)
    table["share_ci_lower"], table["share_ci_upper"] = np.nanquantile(bs, [a, 1 - a], axis=0)
    settings["r_squared_ci"] = tuple(float(v) for v in np.quantile(br2, [a, 1 - a]))
    settings["bootstrap_used"] = int(ok.sum())


#: a method as the collinearity warning names it
_METHOD_WORDS = {"shapley": "Shapley", "relative_weights": "relative-weight", "dominance": "dominance"}


def _check_design(corr: np.ndarray, mean: np.ndarray, sd: np.ndarray, names: list[str], tlabel: str,
                  n_used: int, method: str = "ols") -> tuple[np.ndarray, np.ndarray]:
    """Refuse constant or perfectly collinear drivers and a constant target; warn on VIF > 5.

    VIF_j is the j-th diagonal element of the inverse correlation matrix, the same number as
    ``statsmodels``' ``variance_inflation_factor`` (one auxiliary regression per driver) at the
    cost of one inverse that the betas need anyway.

    -> (inverse driver correlation matrix, VIFs)
    """
    p = len(names)
    tiny = sd <= 1e-12 * np.maximum(1.0, np.abs(mean))
    if tiny[:p].any():
        bad = [n for n, f in zip(names, tiny[:p]) if f]
        raise SurveyDataError(
            f"Driver {quote_list(bad)} is constant among the {n_used} respondents used; it explains nothing and "
            "makes the correlation matrix singular. Remove it from drivers=."
        )
    if tiny[p]:
        raise SurveyDataError(
            f"The target {tlabel!r} is constant among the respondents used; there is nothing to explain."
        )
    rxx = corr[:p, :p]
    lam, vec = np.linalg.eigh(rxx)
    if lam[0] < 1e-10:
        involved = [n for n, f in zip(names, np.abs(vec[:, 0]) > 0.1) if f]
        raise SurveyDataError(
            f"Drivers {quote_list(involved)} are perfectly collinear (one is a linear combination of the others); "
            "remove one of them."
        )
    rinv = np.linalg.inv(rxx)
    vif = np.diag(rinv)
    high = [n for n, v in zip(names, vif) if v > 5]
    if high:
        who = f"Drivers {quote_list(high)} have" if len(high) > 1 else f"Driver {quote_list(high)} has"
        advice = ("their betas are unreliable. Prefer method='shapley' or 'relative_weights'."
                  if method in ("ols", "pratt") else
                  f"the regression betas are unreliable; the {_METHOD_WORDS.get(method, method)} shares split R² "
                  "among correlated drivers "
                  "and are not affected.")
        warnings.warn(f"{who} a variance inflation factor above 5 (max {vif.max():.1f}); {advice}",
                      CollinearityWarning, stacklevel=2)
    return rinv, vif


@segmentable
def driver_weights(data: Any, target: str | Sequence[str] | None = None, drivers: Sequence[str] | None = None, *,
                   method: str = "shapley", negative: str = "clip", weights: Any = None, bootstrap: int = 0,
                   confidence: float = 0.95, seed: int | np.random.Generator | None = None,
                   scale: tuple[float, float] | None = None, by: Any = None) -> DriverWeightsResult:
    """Importance of drivers for a target rating: OLS, Pratt, Shapley/LMG, relative weights, dominance.

    Parameters
    ----------
    data : Survey or DataFrame
        A DataFrame is loaded with :func:`csindex.load_survey`.
    target : str or list of str, optional
        The outcome: a column, a construct (its items' respondent mean) or a list of columns
        (their respondent mean). Default: the overall-satisfaction items of the codebook.
    drivers : list of str
        Columns or constructs (composites) that drive the target.
    method : {"shapley", "relative_weights", "pratt", "ols", "dominance"}
        What ``weights["weight"]`` holds. Shapley/LMG is exact over all subsets (at most 20
        drivers); ``"dominance"`` adds :attr:`~DriverWeightsResult.conditional_dominance` and
        :attr:`~DriverWeightsResult.complete_dominance` (its weight is general dominance, equal to
        Shapley); ``"ols"`` reports standardised betas.
    negative : {"clip", "error"}
        Negative betas or Pratt values: clip them to 0 and renormalise the shares, or raise.
    weights : None, False, str or array
        Sampling weights (None: the survey's, False: none).
    bootstrap : int
        Number of bootstrap resamples for percentile intervals (0 = none). Seeded and batched.
    confidence : float
        Interval level.
    seed : int or Generator, optional
        Bootstrap seed; the resolved seed is stored in ``settings``.
    scale : (min, max), optional
        Scale used when a DataFrame's codebook is inferred.
    by : str, list of str or Series, optional
        Analyse every segment separately (see :func:`csindex.segments.split_segments`);
        returns a :class:`~csindex.segments.SegmentResults` mapping segment -> DriverWeightsResult,
        each equal to running on that segment alone (``n_jobs=`` runs segments in parallel).

    Returns
    -------
    DriverWeightsResult

    Raises
    ------
    SurveyDataError
        A constant or perfectly collinear driver (named), a constant target, too few complete
        respondents, more than 20 drivers for the exact Shapley/dominance computation, or
        negative weights with ``negative="error"``.

    Warns
    -----
    CollinearityWarning
        When a VIF exceeds 5 (betas unreliable).
    MissingDataWarning
        When more than 5 % of respondents are dropped for missing answers (listwise).

    Examples
    --------
    >>> import csindex
    >>> res = driver_weights(csindex.datasets.airline(), target="QUAL",
    ...                      drivers=["SAFE", "CREW", "PUNC", "CABN", "CATR", "ENT"])
    >>> res.weights.set_index("driver")["rank"].idxmin()
    'SAFE'
    """
    where = "driver_weights()"
    check_param("method", method, Options(*METHODS), where)
    check_param("negative", negative, Options("clip", "error"), where)
    confidence = check_param("confidence", confidence, where=where)
    bootstrap = check_param("bootstrap", bootstrap, where=where)
    survey = as_survey(data, scale, where)
    names = as_names(drivers)
    if not names:
        raise SurveyDataError(f"{where} needs drivers=: the columns or constructs that drive the target.")
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise SurveyDataError(f"The drivers passed to {where} repeat {quote_list(dup)}; give each driver once.")
    p = len(names)
    if method in ("shapley", "dominance") and p > MAX_EXACT:
        raise SurveyDataError(
            f"Exact {method} weights need all 2^p subsets; {p} drivers are more than {MAX_EXACT}. "
            "Use method='relative_weights' (Johnson's relative weights approximate Shapley/LMG closely)."
        )
    # target
    tnames = as_names(target)
    if tnames == []:
        raise ParameterError("The 'target' parameter of driver_weights is empty; name the outcome column(s), "
                             "e.g. target='SAT1', or leave it None to use the overall-satisfaction items.")
    if tnames is None:
        tnames = survey.items(role="overall_satisfaction")
        if not tnames:
            raise SurveyDataError(f"{where} needs target=: the codebook has no overall-satisfaction items.")
    if len(tnames) == 1:
        y, _ = _column(survey, tnames[0], "target")
        tlabel = tnames[0]
    else:
        y = row_mean(np.column_stack([_column(survey, t, "target")[0] for t in tnames]))
        tlabel = " + ".join(tnames)
    if tlabel in names:
        raise SurveyDataError(f"The target {tlabel!r} is also a driver; remove it from drivers=.")
    cols, scales = [], []
    for n in names:
        v, sc = _column(survey, n, "driver")
        cols.append(v)
        scales.append(sc)
    cols.append(y)
    w = sampling_weights(survey, weights, where)
    wv = np.ones(survey.n) if w is None else w
    corr, mean, sd, ws, keep = _block_moments(cols, wv)
    n_used = int(keep.sum())
    n_dropped = survey.n - n_used
    if n_used < p + 2:
        raise SurveyDataError(
            f"Only {n_used} respondents answered the target and all {p} drivers; at least {p + 2} are needed."
        )
    if n_dropped > 0.05 * survey.n:
        warnings.warn(
            f"{n_dropped} of {survey.n} respondents were left out of {where} because they miss the target or a "
            "driver (listwise deletion).", MissingDataWarning, stacklevel=2,
        )
    rinv, vif = _check_design(corr, mean, sd, names, tlabel, n_used, method)
    wts, r2 = _measure(corr, method)
    r2 = float(r2)
    beta = rinv @ corr[:p, p]

    regression = _regression_table(corr, mean, sd, ws, beta, vif, r2, n_used, names)

    share = _shares(wts, negative, names, method)
    table = pd.DataFrame({"weight": wts, "share": share}, index=pd.Index(names, name="driver"))
    table["rank"] = table["share"].rank(ascending=False, method="min").astype(np.int64)
    table["mean"] = mean[:p]

    settings: dict[str, Any] = {"n_used": n_used, "n_dropped": n_dropped, "weighted": w is not None,
                                "negative": negative, "bootstrap": int(bootstrap), "confidence": confidence,
                                "seed": None}
    if bootstrap:
        resolved = resolve_seed(seed, where)
        settings["seed"] = resolved.seed
        z = np.column_stack([c[keep] for c in cols])
        _bootstrap_into(table, settings, z, wv[keep], int(bootstrap), resolved.rng, method, names, confidence)

    if all(sc is not None for sc in scales):
        lo = np.array([sc[0] for sc in scales])
        hi = np.array([sc[1] for sc in scales])
        index = float(np.sum(share * 100.0 * (mean[:p] - lo) / (hi - lo)))
    else:
        index = float("nan")
        settings["index_note"] = ("no driver-weighted index: the rating scale of "
                                  f"{quote_list([n for n, sc in zip(names, scales) if sc is None])} is unknown")
    cond = comp = None
    if method == "dominance":
        c, _, cm = dominance_from_r2(subset_r2(corr), p)
        cond = pd.DataFrame(c, index=pd.Index(names, name="driver"), columns=pd.Index(range(p), name="k"))
        comp = pd.DataFrame(cm, index=pd.Index(names, name="driver"), columns=pd.Index(names, name="dominated"))
    logger.debug("driver_weights: method=%s, p=%d, n=%d, R2=%.4f", method, p, n_used, r2)
    return DriverWeightsResult(weights=table, regression=regression, r_squared=r2, index=index, method=method,
                         target=tlabel, conditional_dominance=cond, complete_dominance=comp, settings=settings)


__getattr__ = deprecated_aliases(__name__, {"DriverWeights": DriverWeightsResult})
