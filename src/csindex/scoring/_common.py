"""Helpers shared by the scoring modules: survey/item resolution, sampling weights, weighted
statistics and confidence intervals.

Everything here is vectorised over respondents; nothing prints or warns except through the
public functions that call it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special  # t and normal quantiles without importing scipy.stats (slow)

from .._validation import did_you_mean, quote_list
from .._weighted import check_weights, wilson_interval, z_quantile
from ..exceptions import ParameterError, SurveyDataError
from ..io import load_survey
from ..survey import Survey

__all__ = ["as_survey", "as_names", "check_items", "sampling_weights", "matrix", "row_mean", "wilson_interval",
           "Moments", "RatioMoments", "group_means", "BandCounter", "row_chunks", "z_quantile"]

def row_mean(a: np.ndarray) -> np.ndarray:
    """Row mean over non-NaN entries (NaN when a row has none), without RuntimeWarnings."""
    valid = ~np.isnan(a)
    k = valid.sum(axis=1)
    total = np.where(valid, a, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(k > 0, total / np.maximum(k, 1), np.nan)


def as_survey(data: Any, scale: tuple[float, float] | None = None, where: str = "this function"):
    """A Survey from a Survey or a DataFrame (loaded with :func:`csindex.load_survey`)."""
    if isinstance(data, Survey):
        return data
    if isinstance(data, pd.DataFrame):
        if data.empty:
            raise SurveyDataError(f"The DataFrame passed to {where} is empty.")
        return load_survey(data, scale=scale)
    raise SurveyDataError(
        f"{where} expects a Survey or a pandas DataFrame; got {type(data).__name__}. "
        "Load the data with csindex.load_survey first."
    )


def as_names(items: str | Iterable[Any] | None) -> list[str] | None:
    """A list of column names (a single string becomes a one-element list)."""
    if items is None:
        return None
    if isinstance(items, str):
        return [items]
    if not isinstance(items, Iterable):
        raise ParameterError(f"Column names must be a string or a list of strings; got {type(items).__name__} "
                             f"{items!r}. Pass e.g. ['SAT1', 'SAT2'].")
    return [str(i) for i in items]


def check_items(survey: Any, names: Sequence[str], what: str, where: str) -> None:
    """Raise naming the columns that are not in the survey's responses."""
    cols = list(survey.responses.columns)
    unknown = [n for n in names if n not in cols]
    if unknown:
        raise SurveyDataError(
            f"The {what} passed to {where} name columns that the data lacks: {quote_list(unknown)}."
            f"{did_you_mean(unknown[0], cols)}"
        )
    dup = sorted({n for n in names if list(names).count(n) > 1})
    if dup:
        raise SurveyDataError(f"The {what} passed to {where} repeat {quote_list(dup)}; give each item once.")


def sampling_weights(survey: Any, weights: Any, where: str = "this function") -> np.ndarray | None:
    """Sampling weights as a float array, or None (checked by :func:`csindex._weighted.check_weights`).

    ``None`` uses the survey's weights if it has any, ``False`` ignores them, a string names
    a column, anything else is one weight per respondent (a Series is matched by label).
    """
    if weights is None:
        w = survey.weights
    elif weights is False:
        w = None
    elif isinstance(weights, str):
        if weights not in survey.responses.columns:
            raise SurveyDataError(
                f"Weight column {weights!r} passed to {where} is not in the data."
                f"{did_you_mean(weights, survey.responses.columns)}"
            )
        w = pd.to_numeric(survey.responses[weights], errors="coerce")
    else:
        w = weights
    # a Series is matched to respondents by its index labels, never by position
    return check_weights(w, survey.n, where, index=survey.responses.index)


def matrix(survey: Any, names: Sequence[str]) -> np.ndarray:
    """Float64 n x k array of the named columns (non-numeric text -> NaN)."""
    frame = survey.responses[list(names)]
    try:
        return frame.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        return frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


CHUNK_ELEMENTS = 250_000


def row_chunks(n: int, m: int):
    """Row slices of about :data:`CHUNK_ELEMENTS` cells each (blocks, never single respondents)."""
    step = max(256, CHUNK_ELEMENTS // max(m, 1))
    for r0 in range(0, n, step):
        yield slice(r0, min(n, r0 + step))


def _wsum(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``w @ x`` without BLAS: on a shared machine OpenBLAS threads can spin for milliseconds
    on these small blocks; einsum's own loop is steady."""
    return np.einsum("i,ij->j", w, x)


def group_means(x: np.ndarray, groups: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
    """Row means of the answered columns of each group (``groups`` is an m x g 0/1 matrix),
    NaN where a row answered none of a group's columns. ``counts`` (answered columns per row
    and group) can be passed when several arrays share the missing pattern."""
    valid = ~np.isnan(x)
    sums = np.einsum("ij,jk->ik", np.where(valid, x, 0.0), groups)
    if counts is None:
        counts = np.einsum("ij,jk->ik", valid.astype(np.float64), groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.where(counts > 0, counts, 1.0), np.nan)


class Moments:
    """Weighted moments of the columns of row blocks (NaN = missing), accumulated block by block.

    Values are shifted by the first block's column means before squaring, so the variance
    ``Σ w (x − s)² / Σ w − (mean − s)²`` does not lose precision.
    """

    def __init__(self, m: int) -> None:
        self.sw = np.zeros(m)
        self.sw2 = np.zeros(m)
        self.swx = np.zeros(m)
        self.swxx = np.zeros(m)
        self.n = np.zeros(m, dtype=np.int64)
        self.shift: np.ndarray | None = None

    def add(self, x: np.ndarray, w: np.ndarray) -> None:
        valid = ~np.isnan(x)
        vf = valid.astype(np.float64)
        if self.shift is None:
            with np.errstate(invalid="ignore", divide="ignore"):
                cnt = vf.sum(axis=0)
                self.shift = np.where(cnt > 0, np.where(valid, x, 0.0).sum(axis=0) / np.maximum(cnt, 1), 0.0)
        xz = np.where(valid, x - self.shift, 0.0)
        self.sw += _wsum(w, vf)
        self.sw2 += _wsum(w * w, vf)
        self.swx += _wsum(w, xz)
        self.swxx += _wsum(w, xz * xz)
        self.n += valid.sum(axis=0)

    def merge(self, other: Moments) -> Moments:
        """Add another accumulator's sums (e.g. of another Dask partition), moved to this shift:
        ``Σw(x - s) = Σw(x - s') + (s' - s) Σw``, and the squares alike."""
        if other.shift is None:
            return self
        if self.shift is None:
            self.shift = other.shift.copy()
        d = other.shift - self.shift
        self.swxx += other.swxx + 2.0 * d * other.swx + d * d * other.sw
        self.swx += other.swx + d * other.sw
        self.sw += other.sw
        self.sw2 += other.sw2
        self.n += other.n
        return self

    def stats(self, confidence: float) -> dict[str, np.ndarray]:
        shift = self.shift if self.shift is not None else 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            mshift = self.swx / self.sw
            mean = mshift + shift
            ss = np.clip(self.swxx - self.sw * mshift**2, 0.0, None)
            n_eff = self.sw**2 / self.sw2
            var = ss / self.sw * n_eff / (n_eff - 1.0)
            sd = np.sqrt(var)
            se = sd / np.sqrt(n_eff)
        tq = special.stdtrit(np.maximum(np.nan_to_num(n_eff - 1.0, nan=1.0), 1.0), 0.5 + confidence / 2.0)
        return {"n": self.n, "n_eff": n_eff, "mean": mean, "std": sd, "se": se, "t": tq}


class RatioMoments:
    """Accumulated moments for the ratio estimator ``R = Σ w b / Σ w a`` over rows where both are
    present, with the linearisation variance of ``z = (b − R a) / ā``."""

    def __init__(self, m: int) -> None:
        self.sw = np.zeros(m)
        self.sw2 = np.zeros(m)
        self.sb = np.zeros(m)
        self.sa = np.zeros(m)
        self.sbb = np.zeros(m)
        self.sab = np.zeros(m)
        self.saa = np.zeros(m)
        self.n = np.zeros(m, dtype=np.int64)

    def add(self, b: np.ndarray, a: np.ndarray, w: np.ndarray) -> None:
        valid = ~(np.isnan(b) | np.isnan(a))
        vf = valid.astype(np.float64)
        bz = np.where(valid, b, 0.0)
        az = np.where(valid, a, 0.0)
        self.sw += _wsum(w, vf)
        self.sw2 += _wsum(w * w, vf)
        self.sb += _wsum(w, bz)
        self.sa += _wsum(w, az)
        self.sbb += _wsum(w, bz * bz)
        self.sab += _wsum(w, az * bz)
        self.saa += _wsum(w, az * az)
        self.n += valid.sum(axis=0)

    def stats(self, confidence: float) -> dict[str, np.ndarray]:
        with np.errstate(invalid="ignore", divide="ignore"):
            mb = self.sb / self.sw
            ma = self.sa / self.sw
            r = mb / ma
            szz = np.clip(self.sbb - 2 * r * self.sab + r * r * self.saa, 0.0, None) / ma**2
            n_eff = self.sw**2 / self.sw2
            var = szz / self.sw * n_eff / (n_eff - 1.0)
            se = np.sqrt(var) / np.sqrt(n_eff)
        tq = special.stdtrit(np.maximum(np.nan_to_num(n_eff - 1.0, nan=1.0), 1.0), 0.5 + confidence / 2.0)
        return {"ratio": r, "mean_num": mb, "mean_den": ma, "se": se, "t": tq, "n": self.n}


class BandCounter:
    """Weighted counts of integer codes 0..k-1 per column (-1 = missing), block by block."""

    def __init__(self, m: int, k: int) -> None:
        self.m, self.k = m, k
        self.counts = np.zeros((m, k + 1))
        self.w2 = np.zeros(m)
        self.n = np.zeros(m, dtype=np.int64)

    def add(self, codes: np.ndarray, w: np.ndarray) -> None:
        n, m = codes.shape
        valid = codes >= 0
        idx = (np.arange(m, dtype=np.int64) * (self.k + 1))[None, :] + np.where(valid, codes, self.k)
        wb = np.broadcast_to(w[:, None], (n, m)).ravel()
        self.counts += np.bincount(idx.ravel(), weights=wb, minlength=m * (self.k + 1)).reshape(m, self.k + 1)
        self.w2 += _wsum(w * w, valid.astype(np.float64))
        self.n += valid.sum(axis=0)

    def shares(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        counts = self.counts[:, : self.k]
        wsum = counts.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return counts / wsum[:, None], wsum**2 / self.w2, self.n


