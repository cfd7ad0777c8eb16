"""Priority matrix, index, C = b/a, driver, loyalty-matrix and trend charts."""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._bands import ratio_band_shares
from .._params import Interval, check_param
from ..exceptions import MissingDataWarning, SurveyDataError
from ._base import (
    Display,
    as_frame,
    check_ci,
    check_option_csindex,
    ci_errors,
    has_cjk,
    label_values,
    numeric_column,
    quadrant_layout,
    require_columns,
)
from ._labels import place_labels
from ._text import TEXTS
from ._text import text as _t

_AXIS_IDS = frozenset(k for k in TEXTS if k.startswith("axis."))

QUADRANT_NAMES = {
    "high_x_low_y": "Concentrate here",
    "high_x_high_y": "Keep up the good work",
    "low_x_low_y": "Low priority",
    "low_x_high_y": "Possible overkill",
}
LOYALTY_NAMES = {
    "high_x_high_y": "Loyalty",
    "high_x_low_y": "Latent loyalty",
    "low_x_high_y": "Spurious loyalty",
    "low_x_low_y": "No loyalty",
}
BAND_ORDER = ("unmet", "dissatisfied", "fairly satisfied", "very satisfied")
_BAND_COLORS = {"unmet": "#7f0000", "dissatisfied": "#d6604d", "fairly satisfied": "#f4a582", "very satisfied": "#4393c3"}
_PALETTE = ("#1f5fa8", "#e08214", "#2d9b4a", "#b2182b", "#7b3294", "#8c6d31", "#4d4d4d", "#35978f")


def _quadrant_keys(x: np.ndarray, y: np.ndarray, cx: float, cy: float) -> np.ndarray:
    """'high_x_low_y' etc. per point; values equal to the cross-hair count as high."""
    hx = np.where(x >= cx, "high_x", "low_x")
    hy = np.where(y >= cy, "high_y", "low_y")
    return np.char.add(np.char.add(hx, "_"), hy)


# --------------------------------------------------------------------------- priority matrix


class PriorityMatrixDisplay(Display):
    """Importance-performance (IPA / IPMA) priority matrix; see :func:`priority_matrix`.

    Attributes
    ----------
    data : pandas.DataFrame
        Columns ``name, importance, performance, quadrant`` (one row per attribute).
    crosshair : tuple of float
        (x, y) of the cross-hair.
    counts_ : pandas.Series
        Number of attributes per quadrant name.
    label_texts_ : list of matplotlib.text.Annotation
        The attribute labels, after drawing.
    quadrant_texts_ : dict
        Quadrant key -> Text of the quadrant name, after drawing.
    """

    _default_size = (7.5, 6.0)
    _tight_after_draw = False

    def _figsize(self) -> tuple[float, float]:
        # room for the labels of many points
        return self._default_size if len(self.data) <= 12 else (9.4, 7.4)

    def __init__(self, data: pd.DataFrame, crosshair: tuple[float, float], *, x_label: str, y_label: str, title: str | None) -> None:
        self.data = data
        self.crosshair = crosshair
        self.x_label, self.y_label, self.title = x_label, y_label, title
        self.counts_ = data["quadrant"].value_counts().reindex(list(QUADRANT_NAMES.values()), fill_value=0)

    def _draw(self, ax: Any) -> None:
        from matplotlib.patches import Rectangle
        from matplotlib.ticker import MaxNLocator

        x, y = self.data["importance"].to_numpy(), self.data["performance"].to_numpy()
        cx, cy = self.crosshair
        names = {k: _t(self.texts, f"quadrant.{k}") for k in QUADRANT_NAMES}
        self.quadrant_texts_, (_, x1, y0, _) = quadrant_layout(ax, x, y, (cx, cy), names)
        ax.add_patch(Rectangle((cx, y0), x1 - cx, cy - y0, fc="#fbe3df", ec="none", zorder=0))
        ax.scatter(x, y, s=28, color=_PALETTE[0], zorder=3, edgecolor="white", linewidth=0.6)
        ax.xaxis.set_major_locator(MaxNLocator(nbins="auto", prune="lower"))  # no tick label in the corner
        ax.set_xlabel(_t(self.texts, f"axis.{self.x_label}") if f"axis.{self.x_label}" in _AXIS_IDS else self.x_label)
        ax.set_ylabel(_t(self.texts, f"axis.{self.y_label}") if f"axis.{self.y_label}" in _AXIS_IDS else self.y_label)
        if self.title:
            ax.set_title(self.title)
        if self._owns_figure:  # settle the layout first: labels are placed in pixels
            ax.figure.tight_layout()
        self.label_texts_ = place_labels(
            ax, self.data["name"].tolist(), np.column_stack([x, y]),
            obstacles=list(self.quadrant_texts_.values()),
        )


def priority_matrix(
    table: pd.DataFrame,
    *,
    x: str = "importance",
    y: str = "performance",
    label: str = "name",
    crosshair: str | tuple[float, float] = "mean",
    ax: Any = None,
    title: str | None = None,
    texts: Mapping[str, str] | None = None,
) -> PriorityMatrixDisplay:
    """Importance-performance priority matrix (IPA, PLS IPMA) with quadrant names.

    Quadrants (Martilla & James 1977): high importance and low performance is
    "Concentrate here", high/high "Keep up the good work", low/low "Low priority",
    low importance and high performance "Possible overkill". A point on the
    cross-hair counts as high.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per attribute or construct.
    x, y : str
        Columns of importance (horizontal) and performance (vertical).
    label : str
        Column of point labels; the index is used when the column is absent.
    crosshair : {"mean", "median"} or tuple of float
        Where the quadrants split: the mean or median of the points, or fixed
        (x, y) values such as the scale midpoints.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    texts : dict, optional
        Message id -> text to draw (the chart's words in another language); ids
        not given keep their English default (``csindex.plots._text.TEXTS``).
    title : str, optional
        Axes title.

    Returns
    -------
    PriorityMatrixDisplay
        With ``counts_`` per quadrant, ``data`` (with a ``quadrant`` column),
        ``ax_`` and ``figure_``.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> t = pd.DataFrame({"name": ["crew", "food", "seat", "price"],
    ...                   "importance": [0.4, 0.1, 0.3, 0.2], "performance": [80, 60, 65, 75]})
    >>> d = priority_matrix(t)
    >>> d.data.set_index("name")["quadrant"]["seat"]
    'Concentrate here'
    >>> plt.close(d.figure_)
    """
    where = "priority_matrix"
    df = as_frame(table, "importance-performance table", where)
    require_columns(df, [x, y], "importance-performance table", where)
    names = label_values(df, label)
    xs = numeric_column(df, x, "importance-performance table", where, labels=names)
    ys = numeric_column(df, y, "importance-performance table", where, labels=names)
    if len(xs) == 0:
        raise SurveyDataError("The importance-performance table passed to priority_matrix is empty.")
    if isinstance(crosshair, str):
        check_option_csindex("crosshair", crosshair, ("mean", "median"), where)
        agg = np.mean if crosshair == "mean" else np.median
        cross = (float(agg(xs)), float(agg(ys)))
    else:
        try:
            cx, cy = (float(v) for v in crosshair)
        except (TypeError, ValueError) as exc:
            raise SurveyDataError(
                "The 'crosshair' parameter of priority_matrix must be 'mean', 'median' or a pair "
                f"of numbers (x, y). Got {crosshair!r} instead."
            ) from exc
        cross = (cx, cy)
    keys = _quadrant_keys(xs, ys, *cross)
    data = pd.DataFrame(
        {"name": names, "importance": xs, "performance": ys, "quadrant": [QUADRANT_NAMES[k] for k in keys]}
    )
    x_label = x if f"axis.{x}" in _AXIS_IDS else x.replace("_", " ").capitalize()
    y_label = y if f"axis.{y}" in _AXIS_IDS else y.replace("_", " ").capitalize()
    disp = PriorityMatrixDisplay(data, cross, x_label=x_label, y_label=y_label, title=title)
    disp.texts = texts
    return disp.plot(ax=ax)


# --------------------------------------------------------------------------- index chart


class IndexChartDisplay(Display):
    """0-100 indices per construct (and group) with CIs; see :func:`index_chart`.

    Attributes
    ----------
    data : pandas.DataFrame
        Columns ``construct, group, index`` and, with CIs, ``ci_lower, ci_upper``.
    bars_ : list of matplotlib.patches.Rectangle
        One bar per row of ``data``, after drawing.
    errorbars_ : matplotlib.container.ErrorbarContainer or None
    """

    def __init__(self, data: pd.DataFrame, has_ci: bool) -> None:
        self.data = data
        self.has_ci = has_ci

    def _figsize(self) -> tuple[float, float]:
        n = self.data["construct"].nunique() * max(self.data["group"].nunique(), 1)
        return (min(max(4.5, 0.95 * n + 2.0), 9.6), 4.8)

    def _values_fit(self, ax: Any, width: float) -> bool:
        """Whether a value label ("68.1" at 8 pt) fits over a bar of ``width`` data units."""
        n = max(self.data["construct"].nunique(), 1)
        bar_in = width * ax.get_position().width * ax.figure.get_figwidth() / n
        return bar_in >= 4 * 0.6 * 8 / 72

    def _draw(self, ax: Any) -> None:
        d = self.data
        constructs = list(dict.fromkeys(d["construct"]))
        groups = list(dict.fromkeys(d["group"]))
        n_g = len(groups)
        width = 0.8 / n_g
        pos = {c: i for i, c in enumerate(constructs)}
        self.bars_ = []
        xs = np.empty(len(d))
        for g_i, g in enumerate(groups):
            rows = np.flatnonzero((d["group"] == g).to_numpy())
            x = np.array([pos[c] for c in d["construct"].iloc[rows]]) + (g_i - (n_g - 1) / 2) * width
            xs[rows] = x
            bars = ax.bar(
                x, d["index"].iloc[rows], width=width * 0.92, color=_PALETTE[g_i % len(_PALETTE)],
                label=str(g) if n_g > 1 else None, zorder=2,
            )
            self.bars_.extend(bars.patches)
            if not self.has_ci and self._values_fit(ax, width):
                ax.bar_label(bars, fmt="%.1f", padding=2, fontsize=8)
        self.errorbars_ = None
        if self.has_ci:
            v = d["index"].to_numpy()
            err = np.vstack([v - d["ci_lower"].to_numpy(), d["ci_upper"].to_numpy() - v])
            self.errorbars_ = ax.errorbar(xs, v, yerr=err, fmt="none", ecolor="0.15", capsize=3, lw=1, zorder=3)
            if self._values_fit(ax, width):
                for xi, hi, vi in zip(xs, d["ci_upper"], v):
                    ax.text(xi, hi + 1.0, f"{vi:.1f}", ha="center", va="bottom", fontsize=8)
        # wrap long names onto lines no wider than a bar slot; rotate them when a single word is
        # wider than the slot, so that tick labels never collide
        slot_in = ax.get_position().width * ax.figure.get_figwidth() / max(len(constructs), 1)
        char_in = 0.6 * 9 / 72
        chars = max(4, int(slot_in / char_in) - 1)
        names = [textwrap.fill(str(c), chars, break_long_words=False) for c in constructs]
        widest = max((sum(9 / 72 if has_cjk(ch) else char_in for ch in w) for c in constructs for w in str(c).split()),
                     default=0.0)
        if widest > 0.92 * slot_in:  # vertical: the names' boxes never touch
            ax.set_xticks(range(len(constructs)), [str(c) for c in constructs], fontsize=9, rotation=90)
        else:
            ax.set_xticks(range(len(constructs)), names, fontsize=9)
        top = float(np.nanmax(d["ci_upper"] if self.has_ci else d["index"]))
        ax.set_ylim(0, max(100.0, top + 6.0))
        ax.set_ylabel(_t(self.texts, "axis.index"))
        ax.grid(axis="y", color="0.9", zorder=0)
        ax.set_axisbelow(True)
        if n_g > 1:
            ax.legend(frameon=False, fontsize=8, ncols=min(n_g, 6), loc="lower center", bbox_to_anchor=(0.5, 1.0))


def index_chart(
    table: pd.DataFrame,
    *,
    index: str = "index",
    ci_lower: str | None = "ci_lower",
    ci_upper: str | None = "ci_upper",
    group: str | None = None,
    construct: str = "construct",
    ax: Any = None,
    texts: Mapping[str, str] | None = None,
) -> IndexChartDisplay:
    """Bar chart of 0-100 indices per construct, with confidence intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per construct (per group when ``group`` is given).
    index : str
        Column of index values (0-100).
    ci_lower, ci_upper : str or None
        CI columns; error bars are drawn when both are present in ``table``.
    group : str, optional
        Column of segments or waves; bars are then grouped side by side.
    construct : str
        Column of construct names; the index of ``table`` when absent.
    ax : matplotlib.axes.Axes, optional
    texts : dict, optional
        Message id -> text to draw (the chart's words in another language); ids
        not given keep their English default (``csindex.plots._text.TEXTS``).

    Returns
    -------
    IndexChartDisplay

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> t = pd.DataFrame({"construct": ["SAT", "LOY"], "index": [72.5, 64.0],
    ...                   "ci_lower": [70.1, 61.2], "ci_upper": [74.8, 66.9]})
    >>> d = index_chart(t)
    >>> len(d.bars_)
    2
    >>> plt.close(d.figure_)
    """
    where = "index_chart"
    what = "index table"
    df = as_frame(table, what, where)
    require_columns(df, [index] + ([group] if group else []), what, where)
    names = label_values(df, construct)
    values = numeric_column(df, index, what, where, labels=names)
    has_ci = check_ci(df, ci_lower, ci_upper, what, where)
    data = pd.DataFrame({"construct": names, "group": df[group].astype(str).tolist() if group else "", "index": values})
    if has_ci:
        lo = numeric_column(df, ci_lower, what, where, labels=names)  # type: ignore[arg-type]
        hi = numeric_column(df, ci_upper, what, where, labels=names)  # type: ignore[arg-type]
        ci_errors(values, lo, hi, names, where)
        data["ci_lower"], data["ci_upper"] = lo, hi
    if data.duplicated(["construct", "group"]).any():
        dup = data.loc[data.duplicated(["construct", "group"]), "construct"].tolist()
        raise SurveyDataError(
            f"The index table passed to index_chart has several rows for {', '.join(repr(d) for d in dup[:5])}"
            + (" within one group" if group else "")
            + ". Pass group= the column that tells the rows apart (segment or wave)."
        )
    disp = IndexChartDisplay(data, has_ci)
    disp.texts = texts
    return disp.plot(ax=ax)


# --------------------------------------------------------------------------- C = b/a


def ratio_bands(ratios: np.ndarray, tol: float) -> pd.Series:
    """Share of ratios per band, by the one classifier the scores use
    (:func:`csindex._bands.ratio_band_shares`)."""
    return ratio_band_shares(ratios, tol)


class RatioDistributionDisplay(Display):
    """Distribution of respondent C = b/a ratios and band shares; see :func:`ratio_distribution`.

    Attributes
    ----------
    ratios : numpy.ndarray
        The finite ratios plotted.
    shares : pandas.Series
        Share (0-1) per band, indexed by band name.
    tol : float
    hist_ax_, share_ax_ : matplotlib.axes.Axes
        Histogram and band-share axes (the latter an inset when one Axes was passed).
    share_bars_ : list of matplotlib.patches.Rectangle
    """

    _default_size = (10.0, 4.2)

    def __init__(self, ratios: np.ndarray, shares: pd.Series, tol: float) -> None:
        self.ratios, self.shares, self.tol = ratios, shares, tol

    def _new_axes(self) -> Any:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=self._figsize(), gridspec_kw={"width_ratios": [2.0, 1.2]})
        self._pending_share_ax = axes[1]
        return axes[0]

    def plot(self, ax: Any = None) -> RatioDistributionDisplay:
        """Draw on ``ax`` (histogram, with the band shares in an inset), on a pair of
        Axes ``(hist_ax, share_ax)``, or on a new two-panel figure when ``None``."""
        self._pending_share_ax = None
        if isinstance(ax, (list, tuple, np.ndarray)):
            ax, self._pending_share_ax = ax[0], ax[1]
        super().plot(ax)
        if self._owns_figure:  # keep the two panels' tick labels apart
            self.figure_.tight_layout(w_pad=2.5)
        return self

    def _all_axes(self) -> list[Any]:
        return [self.hist_ax_, self.share_ax_]

    def _draw(self, ax: Any) -> None:
        self.hist_ax_ = ax
        r, tol = self.ratios, self.tol
        lo_edge, hi_edge = 1 - tol, 1 + tol
        ax.axvspan(min(r.min(), lo_edge) - 1, lo_edge, color=_BAND_COLORS["dissatisfied"], alpha=0.12, lw=0)
        ax.axvspan(lo_edge, hi_edge, color=_BAND_COLORS["fairly satisfied"], alpha=0.25, lw=0)
        ax.axvspan(hi_edge, max(r.max(), hi_edge) + 1, color=_BAND_COLORS["very satisfied"], alpha=0.12, lw=0)
        bins = np.histogram_bin_edges(r, bins="auto")
        if len(bins) > 41:
            bins = np.histogram_bin_edges(r, bins=40)
        _, _, patches = ax.hist(r, bins=bins, color="0.35", edgecolor="white", linewidth=0.5, zorder=2)
        self.hist_bars_ = list(patches)
        ax.axvline(1.0, color="black", lw=1, ls="--", zorder=3)
        pad = 0.05 * max(r.max() - r.min(), 2 * tol)
        ax.set_xlim(min(r.min(), lo_edge) - pad, max(r.max(), hi_edge) + pad)
        ax.set_xlabel(_t(self.texts, "ratio.x"))
        ax.set_ylabel(_t(self.texts, "axis.respondents"))
        ax.set_title(_t(self.texts, "ratio.title"), fontsize=10)
        share_ax = self._pending_share_ax
        if share_ax is None:
            share_ax = ax.inset_axes([0.64, 0.5, 0.34, 0.46])
        self.share_ax_ = share_ax
        names = [str(b) for b in self.shares.index]
        vals = self.shares.to_numpy(dtype="float64") * 100
        colors = [_BAND_COLORS.get(n, "0.5") for n in names]
        bars = share_ax.barh(range(len(names)), vals, color=colors, zorder=2)
        self.share_bars_ = list(bars.patches)
        share_ax.bar_label(bars, labels=[f"{v:.1f}%" for v in vals], padding=2, fontsize=8)
        shown = [_t(self.texts, f"band.{n}") if f"band.{n}" in TEXTS else n for n in names]
        share_ax.set_yticks(range(len(names)), shown, fontsize=8)
        share_ax.invert_yaxis()
        share_ax.set_xlim(0, float(vals.max()) * 1.35 + 1.0)
        share_ax.set_xlabel(_t(self.texts, "ratio.share_x"), fontsize=8)
        share_ax.tick_params(labelsize=8)
        if self._pending_share_ax is not None:
            share_ax.set_title(_t(self.texts, "ratio.bands_title", tol=tol), fontsize=10)


def ratio_distribution(
    ratios: Any,
    bands: pd.Series | pd.DataFrame | None = None,
    *,
    tol: float = 0.05,
    ax: Any = None,
    texts: Mapping[str, str] | None = None,
) -> RatioDistributionDisplay:
    """Histogram of respondent C = b/a ratios with the share of each satisfaction band.

    Bands (METHODS.md §0.1): ``C == 0`` unmet (shown only when present),
    ``C < 1 - tol`` dissatisfied, ``|C - 1| <= tol`` fairly satisfied,
    ``C > 1 + tol`` very satisfied.

    Parameters
    ----------
    ratios : array-like or pandas.Series
        One ratio per respondent. Missing ratios are dropped with a
        :class:`~csindex.exceptions.MissingDataWarning` giving the count.
    bands : pandas.Series or DataFrame, optional
        Precomputed shares (0-1) per band: a Series indexed by band, or a
        DataFrame with columns ``band`` and ``share``. Computed from ``ratios``
        and ``tol`` when omitted.
    tol : float
        Half-width of the "fairly satisfied" band around 1.
    ax : Axes or pair of Axes, optional
        One Axes (shares drawn in an inset), two Axes ``(hist, shares)``, or a
        new two-panel figure when omitted.

    Returns
    -------
    RatioDistributionDisplay

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> d = ratio_distribution([0.8, 0.9, 1.0, 1.02, 1.2, 1.3])
    >>> d.shares.round(3).to_dict()
    {'dissatisfied': 0.333, 'fairly satisfied': 0.333, 'very satisfied': 0.333}
    >>> plt.close(d.figure_)
    """
    where = "ratio_distribution"
    try:
        r = np.asarray(pd.Series(ratios).to_numpy(), dtype="float64").ravel()
    except (TypeError, ValueError) as exc:
        raise SurveyDataError("The ratios passed to ratio_distribution must be numbers (one C = b/a per respondent).") from exc
    tol = check_param("tol", tol, Interval(0, 1, closed="left"), "ratio_distribution")
    finite = np.isfinite(r)
    if not finite.all():
        warnings.warn(
            f"ratio_distribution dropped {int((~finite).sum())} of {len(r)} ratios that are missing or "
            "infinite (respondents without both ratings, or an expectation of 0).",
            MissingDataWarning, stacklevel=2,
        )
        r = r[finite]
    if len(r) == 0:
        raise SurveyDataError("ratio_distribution got no finite ratios to plot.")
    if (r < 0).any():
        raise SurveyDataError(
            f"ratio_distribution got {int((r < 0).sum())} negative ratio(s) in ratios=; C = b/a of ratings on a "
            "positive scale is never negative. Check the scale or the missing-value codes."
        )
    if bands is None:
        shares = ratio_bands(r, tol)
    elif isinstance(bands, pd.DataFrame):
        require_columns(bands, ["band", "share"], "band table", where)
        shares = pd.Series(numeric_column(bands, "share", "band table", where), index=bands["band"].astype(str), name="share")
    else:
        try:
            shares = pd.Series(bands, dtype="float64", name="share")
        except (TypeError, ValueError) as exc:
            raise SurveyDataError(f"The bands passed to {where} must be band shares (band -> share) or the band "
                                  f"table of a ratio_index result. Got {bands!r:.60} instead.") from exc
        if shares.empty:
            raise SurveyDataError(f"The bands passed to {where} are empty; pass band shares or leave bands=None.")
        if not np.isfinite(shares.to_numpy()).all():
            raise SurveyDataError("The band shares passed to ratio_distribution as bands= have missing values.")
    disp = RatioDistributionDisplay(r, shares, float(tol))
    disp.texts = texts
    return disp.plot(ax=ax)


# --------------------------------------------------------------------------- driver chart


class DriverChartDisplay(Display):
    """Horizontal bars of driver weights; see :func:`driver_chart`.

    Attributes
    ----------
    data : pandas.DataFrame
        Columns ``driver, group, value`` (and ``ci_lower, ci_upper`` with CIs),
        in plotting order (largest first).
    bars_ : list of matplotlib.patches.Rectangle
    errorbars_ : ErrorbarContainer or None
    """

    def __init__(self, data: pd.DataFrame, has_ci: bool, value_label: str, percent: bool) -> None:
        self.data, self.has_ci, self.value_label, self.percent = data, has_ci, value_label, percent

    def _figsize(self) -> tuple[float, float]:
        n = len(self.data)
        return (7.0, min(max(2.5, 0.38 * n + 1.2), 14.0))

    def _draw(self, ax: Any) -> None:
        d = self.data
        drivers = list(dict.fromkeys(d["driver"]))
        groups = list(dict.fromkeys(d["group"]))
        n_g = len(groups)
        h = 0.8 / n_g
        pos = {c: i for i, c in enumerate(drivers)}
        ys = np.empty(len(d))
        self.bars_ = []
        scale = 100.0 if self.percent else 1.0
        for g_i, g in enumerate(groups):
            rows = np.flatnonzero((d["group"] == g).to_numpy())
            y = np.array([pos[c] for c in d["driver"].iloc[rows]]) + (g_i - (n_g - 1) / 2) * h
            ys[rows] = y
            vals = d["value"].iloc[rows].to_numpy() * scale
            bars = ax.barh(y, vals, height=h * 0.9, color=_PALETTE[g_i % len(_PALETTE)],
                           label=str(g) if n_g > 1 else None, zorder=2)
            self.bars_.extend(bars.patches)
            fmt = [f"{v:.1f}%" if self.percent else f"{v:.3g}" for v in vals]
            if not self.has_ci:
                ax.bar_label(bars, labels=fmt, padding=3, fontsize=8)
        self.errorbars_ = None
        if self.has_ci:
            v = d["value"].to_numpy() * scale
            lo, hi = d["ci_lower"].to_numpy() * scale, d["ci_upper"].to_numpy() * scale
            # centred on the interval, not on the estimate: a percentile interval may exclude it
            self.errorbars_ = ax.errorbar((lo + hi) / 2, ys, xerr=(hi - lo) / 2, fmt="none", ecolor="0.15",
                                          capsize=3, lw=1, zorder=3)
            ends = np.maximum(hi, v)
            for yi, xi, vi in zip(ys, ends, v):
                ax.annotate(f"{vi:.1f}%" if self.percent else f"{vi:.3g}", (xi, yi), xytext=(4, 0),
                            textcoords="offset points", va="center", fontsize=8)
        ax.set_yticks(range(len(drivers)), drivers)
        ax.invert_yaxis()
        ax.axvline(0, color="0.3", lw=0.8)
        label = _t(self.texts, "axis.share") if self.value_label == "Share" else self.value_label
        ax.set_xlabel(label + (" (%)" if self.percent else ""))
        ax.grid(axis="x", color="0.9", zorder=0)
        ax.set_axisbelow(True)
        lo = min(0.0, float((d["ci_lower"] if self.has_ci else d["value"]).min()) * scale)
        hi = max(0.0, float((d["ci_upper"] if self.has_ci else d["value"]).max()) * scale)
        span = hi - lo if hi > lo else 1.0
        ax.set_xlim(lo - (0.05 * span if lo < 0 else 0), hi + 0.15 * span)
        if n_g > 1:
            ax.legend(frameon=False, fontsize=8, loc="lower right")


def driver_chart(
    weights: pd.DataFrame | pd.Series,
    *,
    value: str = "share",
    ci_lower: str | None = None,
    ci_upper: str | None = None,
    driver: str = "driver",
    group: str | None = None,
    ax: Any = None,
    texts: Mapping[str, str] | None = None,
) -> DriverChartDisplay:
    """Horizontal bar chart of driver weights (regression, relative weights, Shapley).

    Drivers are sorted by weight, largest on top. Shares that sum to 1 are shown
    as percentages.

    Parameters
    ----------
    weights : pandas.DataFrame or Series
        One row per driver (per driver and method when ``group`` is given). A
        Series is read as driver -> value.
    value : str
        Column of the weights.
    ci_lower, ci_upper : str, optional
        CI columns; the intervals are drawn as given when both are given. A bootstrap
        percentile interval need not contain its estimate (a share of 2.7e-6 whose resampled
        shares are all larger lies below its interval), so only ``ci_lower <= ci_upper`` is
        checked.
    driver : str
        Column of driver names; the index is used when absent.
    group : str, optional
        Column such as ``method``; bars of the groups are drawn side by side.
    ax : matplotlib.axes.Axes, optional
    texts : dict, optional
        Message id -> text to draw (the chart's words in another language); ids
        not given keep their English default (``csindex.plots._text.TEXTS``).

    Returns
    -------
    DriverChartDisplay

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> w = pd.DataFrame({"driver": ["crew", "safety", "food"], "share": [0.3, 0.5, 0.2]})
    >>> d = driver_chart(w)
    >>> d.data["driver"].tolist()
    ['safety', 'crew', 'food']
    >>> plt.close(d.figure_)
    """
    where = "driver_chart"
    what = "driver-weight table"
    if isinstance(weights, pd.Series):
        weights = weights.rename(value).to_frame()
    df = as_frame(weights, what, where)
    require_columns(df, [value] + ([group] if group else []), what, where)
    names = label_values(df, driver)
    vals = numeric_column(df, value, what, where, labels=names)
    has_ci = check_ci(df, ci_lower, ci_upper, what, where)
    if (ci_lower is None) != (ci_upper is None):
        raise SurveyDataError("driver_chart needs both ci_lower= and ci_upper= column names, or neither.")
    if (ci_lower is not None) and not has_ci:
        require_columns(df, [ci_lower, ci_upper], what, where)  # type: ignore[list-item]
    data = pd.DataFrame({"driver": names, "group": df[group].astype(str).tolist() if group else "", "value": vals})
    if has_ci:
        lo = numeric_column(df, ci_lower, what, where, labels=names)  # type: ignore[arg-type]
        hi = numeric_column(df, ci_upper, what, where, labels=names)  # type: ignore[arg-type]
        ci_errors(vals, lo, hi, names, where, contains=False)
        data["ci_lower"], data["ci_upper"] = lo, hi
    order = data.groupby("driver", sort=False)["value"].mean().sort_values(ascending=False, kind="stable").index
    data["_rank"] = data["driver"].map({d: i for i, d in enumerate(order)})
    data = data.sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)
    percent = bool(
        value == "share" and (vals >= 0).all() and (vals <= 1).all()
        and np.allclose(data.groupby("group")["value"].sum(), 1.0, atol=1e-6)
    )
    disp = DriverChartDisplay(data, has_ci, value.replace("_", " ").capitalize(), percent)
    disp.texts = texts
    return disp.plot(ax=ax)


__all__: Sequence[str] = [
    "driver_chart",
    "index_chart",
    "priority_matrix",
    "ratio_distribution",
]
