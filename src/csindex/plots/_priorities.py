"""Improvement-priority chart: attribute impact on the satisfaction index against performance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._base import Display, as_frame, numeric_column, require_columns
from ._labels import place_labels
from ._text import text as _t

__all__ = ["ImprovementChartDisplay", "improvement_chart"]


class ImprovementChartDisplay(Display):
    """Impact (x) against performance (y) with bootstrap intervals; see :func:`improvement_chart`.

    Attributes
    ----------
    data : pandas.DataFrame
        ``name, impact, performance, recommended`` and, when known, the interval columns.
    label_texts_ : list
        The attribute labels, after drawing.
    """

    _default_size = (7.2, 4.8)
    _tight_after_draw = False

    def __init__(self, data: pd.DataFrame) -> None:
        self.data = data

    def _draw(self, ax: Any) -> None:
        d = self.data
        x, y = d["impact"].to_numpy(float), d["performance"].to_numpy(float)
        rec = d["recommended"].to_numpy(bool)
        has_ci = "impact_ci_lower" in d and bool(np.isfinite(d["impact_ci_lower"]).all())
        if has_ci:
            xerr = np.vstack([x - d["impact_ci_lower"], d["impact_ci_upper"] - x])
            yerr = np.vstack([y - d["performance_ci_lower"], d["performance_ci_upper"] - y])
            ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="none", ecolor="0.6", lw=0.9, capsize=2, zorder=2)
        # a legend entry only for a group with points (three attributes with k = 3: all recommended)
        ax.scatter(x[~rec], y[~rec], s=36, color="#8c8c8c", zorder=3,
                   label=_t(self.texts, "priority.other") if (~rec).any() else "_nolegend_")
        ax.scatter(x[rec], y[rec], s=52, color="#c0392b", zorder=4,
                   label=_t(self.texts, "priority.recommended") if rec.any() else "_nolegend_")
        lo_x = float(np.nanmin(d["impact_ci_lower"] if has_ci else x))
        hi_x = float(np.nanmax(d["impact_ci_upper"] if has_ci else x))
        span = max(hi_x - lo_x, 1e-3)
        ax.set_xlim(min(0.0, lo_x) - 0.08 * span, hi_x + 0.25 * span)
        lo_y = float(np.nanmin(d["performance_ci_lower"] if has_ci else y))
        hi_y = float(np.nanmax(d["performance_ci_upper"] if has_ci else y))
        yspan = max(hi_y - lo_y, 5.0)
        ax.set_ylim(lo_y - 0.15 * yspan, hi_y + 0.15 * yspan)
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_xlabel(_t(self.texts, "axis.impact"), fontsize=9)
        ax.set_ylabel(_t(self.texts, "axis.attribute_performance"), fontsize=9)
        ax.tick_params(labelsize=9)
        ax.grid(color="0.93", zorder=0)
        leg = ax.legend(frameon=False, fontsize=9, loc="upper center", bbox_to_anchor=(0.5, 1.12), ncols=2)
        if self._owns_figure:
            ax.figure.tight_layout()
        self.label_texts_ = place_labels(ax, d["name"].tolist(), np.column_stack([x, y]), fontsize=9,
                                         obstacles=list(leg.get_texts()))


def improvement_chart(
    table: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    ax: Any = None,
    texts: Mapping[str, str] | None = None,
) -> ImprovementChartDisplay:
    """Attributes' impact on the satisfaction index (x) against their performance (y).

    Parameters
    ----------
    table : pandas.DataFrame
        ``PriorityResult.attributes``: ``attribute, impact, performance, recommended``
        and optionally ``impact_ci_lower, impact_ci_upper, performance_ci_lower,
        performance_ci_upper`` (drawn as error bars).
    labels : dict, optional
        Attribute -> display label (e.g. the codebook's labels).
    ax : matplotlib.axes.Axes, optional
    texts : dict, optional
        Message id -> text to draw (``axis.impact``, ``axis.attribute_performance``,
        ``priority.recommended``, ``priority.other``).

    Returns
    -------
    ImprovementChartDisplay

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> t = pd.DataFrame({"attribute": ["PUNC", "CREW"], "impact": [0.2, 0.1], "performance": [64.0, 75.0],
    ...                   "recommended": [True, False]})
    >>> d = improvement_chart(t, labels={"PUNC": "Punctuality"})
    >>> [a.get_text() for a in d.label_texts_]
    ['Punctuality', 'CREW']
    >>> plt.close(d.figure_)
    """
    df = as_frame(table, "priority table", "improvement_chart")
    require_columns(df, ["attribute", "impact", "performance", "recommended"], "priority table", "improvement_chart")
    for column in ("impact", "performance"):
        numeric_column(df, column, "priority table", "improvement_chart", labels=df["attribute"].tolist())
    names = [str((labels or {}).get(a, a)) for a in df["attribute"]]
    data = df.assign(name=names).reset_index(drop=True)
    disp = ImprovementChartDisplay(data)
    disp.texts = texts
    return disp.plot(ax=ax)
