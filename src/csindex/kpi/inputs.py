"""The respondent-value input layer of the KPIs: one column of answers in, floats out.

Shared by :mod:`csindex.kpi` and :func:`csindex.comparisons.compare_indices`: values are
checked (text and infinities refused with the rows named), missing answers dropped with a
:class:`~csindex.exceptions.MissingDataWarning` giving the count, and sampling weights
validated by :func:`csindex._weighted.check_weights`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validation import quote_list
from ..exceptions import MissingDataWarning, SurveyDataError

__all__ = ["label", "mid_sentence", "respondent_values", "drop_missing", "counted"]


def label(values: Any, default: str) -> str:
    name = getattr(values, "name", None)
    return repr(str(name)) if name is not None else default


def mid_sentence(what: str) -> str:
    """``what`` for use mid-sentence: 'The values' -> 'the values', 'NPS item' unchanged."""
    return what[0].lower() + what[1:] if what.startswith(("The ", "Group ", "Column ")) else what


def respondent_values(values: Any, what: str, where: str) -> tuple[np.ndarray, pd.Index]:
    """Respondent values as float64 (NaN = missing) and their index; text -> SurveyDataError."""
    if isinstance(values, pd.DataFrame):
        raise SurveyDataError(
            f"{where} takes one column of values, got a DataFrame with columns "
            f"{quote_list(values.columns)}. Pass one column, e.g. df['NPS']."
        )
    if isinstance(values, pd.Series):
        series = values
    else:
        arr = np.asarray(values)
        if arr.dtype.kind in "biuf":  # fast path: already numeric
            arr = arr.astype(float).ravel()
            if np.isinf(arr).any():
                raise SurveyDataError(f"{what} has infinite values in {int(np.isinf(arr).sum())} rows. Recode them.")
            return arr, pd.RangeIndex(len(arr))
        series = pd.Series(np.asarray(values, dtype=object).ravel())
    if series.dtype == bool:
        series = series.astype(float)
    numeric = pd.to_numeric(series, errors="coerce")
    bad = series[numeric.isna() & series.notna()]
    if len(bad):
        counts = bad.astype(str).value_counts()
        listed = counted(list(counts.index), list(counts.to_numpy()))
        raise SurveyDataError(
            f"{what} has non-numeric values: {listed}. Recode them to numbers or to missing (NaN)."
        )
    arr = numeric.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(arr).any():
        raise SurveyDataError(f"{what} has infinite values in {int(np.isinf(arr).sum())} rows. Recode them.")
    return arr, series.index


def drop_missing(
    x: np.ndarray, w: np.ndarray | None, what: str, where: str
) -> tuple[np.ndarray, np.ndarray, int]:
    """Drop NaN values (warning with the count); return values, weights (ones if None), n dropped."""
    keep = ~np.isnan(x)
    n_missing = int((~keep).sum())
    if not keep.any():
        raise SurveyDataError(
            f"{what} has no valid values ({len(x)} rows, all missing). {where} needs at least one answer."
        )
    if n_missing:
        warnings.warn(
            f"{where}: dropped {n_missing} of {len(x)} rows with a missing value in {mid_sentence(what)}.",
            MissingDataWarning,
            stacklevel=4,  # drop_missing <- nps/compare_indices <- their renamed() wrapper <- caller
        )
    w_used = np.ones(int(keep.sum())) if w is None else w[keep]
    if w_used.sum() <= 0:
        raise SurveyDataError(f"The weights of the {int(keep.sum())} valid answers passed to {where} sum to 0.")
    return x[keep], w_used, n_missing


def counted(values: Sequence[Any], counts: Sequence[int], limit: int = 5) -> str:
    """``'ten' (1 row), 11 (2 rows)``: values with their row counts, stopping after ``limit``."""
    parts = [
        f"{v!r} ({c} row{'s' if c != 1 else ''})" if isinstance(v, str) else f"{v:g} ({c} row{'s' if c != 1 else ''})"
        for v, c in zip(values, counts)
    ]
    if len(parts) > limit:
        return ", ".join(parts[:limit]) + f", and {len(parts) - limit} more"
    return ", ".join(parts)
