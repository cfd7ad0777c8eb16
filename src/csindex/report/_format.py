"""Display formatting of report tables: plain precision, merged intervals, readable p-values.

The CSV/Excel/JSON files keep the raw tables; only the HTML shows these formatted copies.
Rules (by column name): 0-100 scores and indices 1 decimal; shares as percentages;
counts as whole numbers; p-values 3 decimals or "< 0.001"; ``ci_lower``/``ci_upper``
pairs merged into one "[lo, hi]" column; everything else 3 significant decimals.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

#: columns on the 0-100 scale (1 decimal)
SCALE_100 = {"index", "score", "performance", "index_a", "index_b", "difference", "change", "mean_satisfaction_100",
             "gain"}
#: columns holding shares in [0, 1] (shown as %)
SHARES = {"share", "missing_share", "top2_share", "p_top_k", "shapley_share", "share_of_respondents"}
#: whole-number columns
COUNTS = {"n", "n_a", "n_b", "n_items", "n_valid", "n_missing", "n_out_of_range", "n_non_numeric", "count", "rank",
          "tier", "n_used"}
#: columns dropped from every displayed table (kept in the files)
HIDDEN = {"t_value", "z_value", "std_error", "p_value_holm", "group_a", "group_b"}


def p_text(p: Any) -> str:
    """``"< 0.001"`` or the p-value with 3 decimals."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    p = float(p)
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_phrase(p: Any) -> str:
    """``"= 0.137"`` or ``"< 0.001"`` (to follow a "p")."""
    text = p_text(p)
    return text if text.startswith("<") else f"= {text}"


def num_text(v: Any, digits: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "✓" if v else "✗"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    v = float(v)
    if math.isnan(v):
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return _fixed(v, digits)


def _fixed(v: float, digits: int) -> str:
    """``v`` with ``digits`` decimals, never a negative zero ("-0.0" of a gain of -0.004 reads as a sign)."""
    text = f"{v:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _base(col: str, prefix: str) -> str:
    return col[: -len(prefix)] if col.endswith(prefix) else col


def display(df: pd.DataFrame, *, hide: set[str] | frozenset[str] = frozenset(), keep_index: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with every cell formatted as text for the HTML page."""
    frame = df.reset_index() if keep_index or not isinstance(df.index, pd.RangeIndex) else df
    frame = frame[[c for c in frame.columns if c not in HIDDEN and c not in hide]]
    out: dict[str, list[str]] = {}
    cols = list(frame.columns)
    used: set[str] = set()
    for c in cols:
        if c in used:
            continue
        name = str(c)
        if name.endswith("ci_lower"):
            stem = name[: -len("ci_lower")]
            upper = stem + "ci_upper"
            if upper in frame.columns:
                prev = [k for k in cols[: cols.index(c)] if pd.api.types.is_numeric_dtype(frame[k])
                        and not str(k).startswith(("p_value", "std_error", "t_value", "z_value", "n"))]
                fmt = _formatter(stem.rstrip("_") if stem else (str(prev[-1]) if prev else "value"))
                out[(stem + "interval") if stem else "interval"] = [
                    "–" if pd.isna(lo) or pd.isna(hi) else f"[{fmt(lo)}, {fmt(hi)}]"
                    for lo, hi in zip(frame[c], frame[upper])]
                used |= {c, upper}
                continue
        if name.endswith("ci_upper") and name.replace("ci_upper", "ci_lower") in frame.columns:
            continue
        used.add(c)
        series = frame[c]
        if pd.api.types.is_bool_dtype(series):
            out[name] = ["✓" if v else "" for v in series]
        elif pd.api.types.is_numeric_dtype(series):
            fmt = _formatter(name)
            out[name] = [fmt(v) for v in series]
        else:
            out[name] = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in series]
    return pd.DataFrame(out)


def _formatter(col: str) -> Any:
    base = col
    for suffix in ("_ci", "_mean"):
        base = _base(base, suffix)
    if base in ("p_value", "pvalue") or base.startswith("p_value"):
        return p_text
    if base in SHARES or base.endswith("_share"):
        return lambda v: "–" if pd.isna(v) else f"{_fixed(100 * float(v), 1)}%"
    if base in COUNTS:
        return lambda v: "–" if pd.isna(v) else f"{int(round(float(v))):,}"
    if base in SCALE_100 or base.endswith("_index") or base.startswith("index") or base.startswith("score"):
        return lambda v: num_text(v, 1)
    if base in ("weighted_count", "mean", "mean_importance", "mean_satisfaction", "mean_perceived", "mean_reference"):
        return lambda v: num_text(v, 2)
    return lambda v: num_text(v, 3)


__all__ = ["display", "p_text", "p_phrase", "num_text"]
