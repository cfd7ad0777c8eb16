"""Loyalty-matrix and trend charts."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._params import Interval, check_param
from ..exceptions import MissingDataWarning, SurveyDataError
from ._base import (
    Display,
    as_frame,
    ci_errors,
    numeric_column,
    quadrant_layout,
    require_columns,
)
from ._charts import _PALETTE, LOYALTY_NAMES, _quadrant_keys
from ._text import text as _t

# --------------------------------------------------------------------------- loyalty matrix


class LoyaltyMatrixDisplay(Display):
    """Dick & Basu loyalty matrix; see :func:`loyalty_matrix_plot`.

    Attributes
    ----------
    data : pandas.DataFrame
        Columns ``attitude, patronage, segment`` (one row per respondent used).
    thresholds : tuple of float
    counts_, shares_ : pandas.Series
        Respondents and share (0-1) per segment.
    quadrant_texts_ : dict
    """

    _default_size = (6.8, 5.6)

    def __init__(self, data: pd.DataFrame, thresholds: tuple[float, float], x_label: str, y_label: str) -> None:
        self.data, self.thresholds = data, thresholds
        self.x_label, self.y_label = x_label, y_label
        order = list(LOYALTY_NAMES.values())
        self.counts_ = data["segment"].value_counts().reindex(order, fill_value=0)
        self.shares_ = self.counts_ / len(data)

    def _draw(self, ax: Any) -> None:
        a, p = self.data["attitude"].to_numpy(), self.data["patronage"].to_numpy()
        ta, tp = self.thresholds
        pairs = pd.DataFrame({"a": a, "p": p}).value_counts().reset_index(name="n")
        size = 12 + 140 * np.sqrt(pairs["n"].to_numpy() / pairs["n"].max())
        self.points_ = ax.scatter(pairs["a"], pairs["p"], s=size, color=_PALETTE[0], alpha=0.55, edgecolor="white", lw=0.5, zorder=3)
        key_of = {v: k for k, v in LOYALTY_NAMES.items()}
        extra = {key_of[s]: f"{self.shares_[s]:.1%} (n = {self.counts_[s]})" for s in self.counts_.index}
        names = {k: _t(self.texts, f"loyalty.{k}") for k in LOYALTY_NAMES}
        self.quadrant_texts_, _ = quadrant_layout(ax, a, p, (ta, tp), names, pad=0.08, y_room=0.16, extra=extra,
                                                  line_zorder=2)
        ax.set_xlabel(self.x_label)
        ax.set_ylabel(self.y_label)


def loyalty_matrix_plot(
    attitude: Any,
    patronage: Any,
    *,
    attitude_threshold: float,
    patronage_threshold: float,
    ax: Any = None,
    texts: Mapping[str, str] | None = None,
) -> LoyaltyMatrixDisplay:
    """Dick & Basu (1994) loyalty matrix: relative attitude x repeat patronage.

    Respondents at or above both thresholds show "Loyalty"; high attitude and low
    patronage "Latent loyalty"; low attitude and high patronage "Spurious
    loyalty"; low/low "No loyalty". Identical answer pairs are drawn as one
    point whose area grows with the count; each quadrant shows its share.

    Parameters
    ----------
    attitude, patronage : array-like or pandas.Series
        One value per respondent. Respondents missing either are dropped with a
        :class:`~csindex.exceptions.MissingDataWarning`.
    attitude_threshold, patronage_threshold : float
        Split points (e.g. scale midpoints or medians); values equal to a
        threshold count as high.
    ax : matplotlib.axes.Axes, optional
    texts : dict, optional
        Message id -> text to draw (the chart's words in another language); ids
        not given keep their English default (``csindex.plots._text.TEXTS``).

    Returns
    -------
    LoyaltyMatrixDisplay

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> d = loyalty_matrix_plot([8, 9, 3, 2], [9, 2, 8, 1], attitude_threshold=5, patronage_threshold=5)
    >>> d.counts_.to_dict()
    {'Loyalty': 1, 'Latent loyalty': 1, 'Spurious loyalty': 1, 'No loyalty': 1}
    >>> plt.close(d.figure_)
    """
    where = "loyalty_matrix_plot"
    attitude_threshold = check_param("attitude_threshold", attitude_threshold, Interval(), where)
    patronage_threshold = check_param("patronage_threshold", patronage_threshold, Interval(), where)
    try:
        a = np.asarray(pd.Series(attitude).to_numpy(), dtype="float64").ravel()
        p = np.asarray(pd.Series(patronage).to_numpy(), dtype="float64").ravel()
    except (TypeError, ValueError) as exc:
        raise SurveyDataError("loyalty_matrix_plot needs numeric attitude and patronage values.") from exc
    if len(a) != len(p):
        raise SurveyDataError(
            f"loyalty_matrix_plot got {len(a)} attitude values but {len(p)} patronage values; "
            "pass one of each per respondent."
        )
    ok = np.isfinite(a) & np.isfinite(p)
    if not ok.all():
        warnings.warn(
            f"loyalty_matrix_plot dropped {int((~ok).sum())} of {len(a)} respondents with a missing attitude or patronage value.",
            MissingDataWarning, stacklevel=2,
        )
        a, p = a[ok], p[ok]
    if len(a) == 0:
        raise SurveyDataError("loyalty_matrix_plot got no respondents with both attitude and patronage values.")
    keys = _quadrant_keys(a, p, float(attitude_threshold), float(patronage_threshold))
    data = pd.DataFrame({"attitude": a, "patronage": p, "segment": [LOYALTY_NAMES[k] for k in keys]})
    x_label = getattr(attitude, "name", None) or _t(texts, "loyalty.attitude")
    y_label = getattr(patronage, "name", None) or _t(texts, "loyalty.patronage")
    disp = LoyaltyMatrixDisplay(data, (float(attitude_threshold), float(patronage_threshold)), str(x_label), str(y_label))
    disp.texts = texts
    return disp.plot(ax=ax)


# --------------------------------------------------------------------------- trend chart


class TrendChartDisplay(Display):
    """Indices across survey waves; see :func:`trend_chart`.

    Attributes
    ----------
    data : pandas.DataFrame
        Columns ``wave, construct, index`` (and ``ci_lower, ci_upper``).
    waves : list
        Waves in plotting order.
    lines_ : dict
        Construct -> Line2D.
    bands_ : dict
        Construct -> PolyCollection of the CI band (empty without CIs).
    """

    _default_size = (7.5, 4.6)

    def __init__(self, data: pd.DataFrame, waves: list[Any], has_ci: bool) -> None:
        self.data, self.waves, self.has_ci = data, waves, has_ci

    def _draw(self, ax: Any) -> None:
        pos = {w: i for i, w in enumerate(self.waves)}
        self.lines_, self.bands_ = {}, {}
        for k, (c, g) in enumerate(self.data.groupby("construct", sort=False)):
            g = g.assign(_x=g["wave"].map(pos)).sort_values("_x")
            color = _PALETTE[k % len(_PALETTE)]
            (line,) = ax.plot(g["_x"], g["index"], marker="o", color=color, label=str(c), lw=1.8, zorder=3)
            self.lines_[c] = line
            if self.has_ci:
                self.bands_[c] = ax.fill_between(g["_x"], g["ci_lower"], g["ci_upper"], color=color, alpha=0.15, lw=0, zorder=2)
        ax.set_xticks(range(len(self.waves)), [str(w) for w in self.waves])
        ax.set_xlabel(_t(self.texts, "axis.wave"))
        ax.set_ylabel(_t(self.texts, "axis.index"))
        lo = float((self.data["ci_lower"] if self.has_ci else self.data["index"]).min())
        hi = float((self.data["ci_upper"] if self.has_ci else self.data["index"]).max())
        span = max(hi - lo, 5.0)
        ax.set_ylim(max(0.0, lo - 0.15 * span), min(100.0, hi + 0.15 * span) if hi <= 100 else hi + 1)
        ax.grid(color="0.92", zorder=0)
        if len(self.waves) == 1:
            ax.set_xlim(-0.5, 0.5)
        ax.legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))


def trend_chart(
    table: pd.DataFrame,
    *,
    wave: str = "wave",
    construct: str = "construct",
    index: str = "index",
    ci_lower: str | None = None,
    ci_upper: str | None = None,
    ax: Any = None,
    texts: Mapping[str, str] | None = None,
) -> TrendChartDisplay:
    """Line chart of indices across survey waves, one line per construct.

    Waves are ordered by their categories when the column is an ordered
    categorical, numerically when numeric, else in order of appearance.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table, one row per (wave, construct).
    wave, construct, index : str
        Column names.
    ci_lower, ci_upper : str, optional
        CI columns; shaded bands are drawn when given.
    ax : matplotlib.axes.Axes, optional
    texts : dict, optional
        Message id -> text to draw (the chart's words in another language); ids
        not given keep their English default (``csindex.plots._text.TEXTS``).

    Returns
    -------
    TrendChartDisplay

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> t = pd.DataFrame({"wave": [2023, 2024, 2023, 2024], "construct": ["SAT", "SAT", "LOY", "LOY"],
    ...                   "index": [70.0, 73.5, 61.0, 60.2]})
    >>> d = trend_chart(t)
    >>> sorted(d.lines_), d.waves
    (['LOY', 'SAT'], [2023, 2024])
    >>> plt.close(d.figure_)
    """
    where = "trend_chart"
    what = "trend table"
    df = as_frame(table, what, where)
    require_columns(df, [wave, construct, index], what, where)
    if (ci_lower is None) != (ci_upper is None):
        raise SurveyDataError("trend_chart needs both ci_lower= and ci_upper= column names, or neither.")
    if ci_lower is not None:
        require_columns(df, [ci_lower, ci_upper], what, where)  # type: ignore[list-item]
    rows = [f"{w}/{c}" for w, c in zip(df[wave], df[construct])]
    values = numeric_column(df, index, what, where, labels=rows)
    data = pd.DataFrame({"wave": df[wave].to_numpy(), "construct": df[construct].astype(str).to_numpy(), "index": values})
    has_ci = ci_lower is not None
    if has_ci:
        lo = numeric_column(df, ci_lower, what, where, labels=rows)  # type: ignore[arg-type]
        hi = numeric_column(df, ci_upper, what, where, labels=rows)  # type: ignore[arg-type]
        ci_errors(values, lo, hi, rows, where)
        data["ci_lower"], data["ci_upper"] = lo, hi
    if data.duplicated(["wave", "construct"]).any():
        dup = data.loc[data.duplicated(["wave", "construct"])]
        first = dup.iloc[0]
        raise SurveyDataError(
            f"The trend table passed to trend_chart has {len(dup)} duplicated (wave, construct) row(s), "
            f"e.g. wave {first['wave']!r}, construct {first['construct']!r}. Keep one row per wave and construct."
        )
    col = df[wave]
    if isinstance(col.dtype, pd.CategoricalDtype) and col.cat.ordered:
        waves = [w for w in col.cat.categories if w in set(col)]
    elif pd.api.types.is_numeric_dtype(col):
        waves = sorted(pd.unique(col).tolist())
    else:
        waves = list(dict.fromkeys(col.tolist()))
    disp = TrendChartDisplay(data, waves, has_ci)
    disp.texts = texts
    return disp.plot(ax=ax)


__all__: Sequence[str] = ["loyalty_matrix_plot", "trend_chart", "LoyaltyMatrixDisplay", "TrendChartDisplay"]
