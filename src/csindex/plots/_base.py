"""Shared plumbing of the plots: Display base class, input checks, quadrant-chart layout, CJK fonts, export.

matplotlib is imported inside functions only, so importing this module is cheap.
"""

from __future__ import annotations

import base64
import io
import re
import warnings
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._params import Interval, check_param
from .._validation import check_option, did_you_mean, quote_list
from ..exceptions import CsindexWarning, ParameterError, SurveyDataError

# --------------------------------------------------------------------------- Display


class Display:
    """Base class of the plot Display objects (the scikit-learn plotting pattern).

    A Display keeps the data it was built from; :meth:`plot` only draws it and
    stores the Axes in ``ax_`` and the Figure in ``figure_``. Subclasses
    implement ``_draw(ax)``.
    """

    ax_: Any = None
    figure_: Any = None
    #: message id -> text to draw instead of the English default (see ``csindex.plots._text``)
    texts: Any = None
    _default_size: tuple[float, float] = (6.4, 4.8)
    _owns_figure: bool = False
    _tight_after_draw: bool = True  # False when drawing placed labels in pixel coordinates

    def _figsize(self) -> tuple[float, float]:
        return self._default_size

    def _new_axes(self) -> Any:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=self._figsize())
        return ax

    def plot(self, ax: Any = None) -> Display:
        """Draw on ``ax`` (a new figure when ``None``) and return ``self``.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on. A new figure is created when omitted; close it
            with ``matplotlib.pyplot.close(display.figure_)`` when done.

        Returns
        -------
        Display
            ``self``, with ``ax_`` and ``figure_`` set.
        """
        import matplotlib

        family = cjk_font_family(self._strings())
        self._owns_figure = ax is None
        if ax is None:
            ax = self._new_axes()
        self.ax_ = ax
        self.figure_ = ax.figure
        # texts created while drawing get the CJK font (needed before label placement
        # measures them); the context restores rcParams on exit
        rc = {"font.family": family} if family else {}
        if family:  # texts the Axes already has (title, axis labels)
            _set_font_family([ax], family)
        with matplotlib.rc_context(rc):
            self._draw(ax)
        if family:
            _set_font_family(self._all_axes(), family)
        if self._owns_figure and self._tight_after_draw:
            self.figure_.tight_layout()
        return self

    def _strings(self) -> list[str]:
        """Every text this display may draw (to decide whether a CJK font is needed)."""
        out: list[str] = []
        for value in vars(self).values():
            if isinstance(value, pd.DataFrame):
                out.extend(map(str, value.index))
                out.extend(map(str, value.columns))
                for col in value.columns:
                    if not pd.api.types.is_numeric_dtype(value[col]):
                        out.extend(map(str, value[col].tolist()))
            elif isinstance(value, pd.Series):
                out.extend(map(str, value.index))
                if value.name is not None:
                    out.append(str(value.name))
            elif isinstance(value, str):
                out.append(value)
            elif isinstance(value, dict):
                out.extend(str(v) for kv in value.items() for v in kv)
            elif isinstance(value, (list, tuple)):
                out.extend(str(v) for v in value)
        return out

    def _all_axes(self) -> list[Any]:
        return [self.ax_]

    def _draw(self, ax: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        state = "drawn" if self.ax_ is not None else "not drawn"
        return f"<{type(self).__name__} ({state})>"


# --------------------------------------------------------------------------- input checks


def as_frame(table: Any, what: str, where: str) -> pd.DataFrame:
    """``table`` as a DataFrame (Series become one-column frames), never mutated; refuses no rows."""
    if isinstance(table, pd.Series):
        table = table.to_frame(name=table.name if table.name is not None else "value")
    if isinstance(table, pd.DataFrame):
        if table.empty:
            raise SurveyDataError(
                f"The {what} passed to {where} is empty (no rows); there is nothing to plot. "
                "Pass the tidy table of a csindex result with at least one row."
            )
        return table
    raise SurveyDataError(
        f"{where} needs the {what} as a pandas DataFrame; got {type(table).__name__}. "
        "Pass the tidy table of a csindex result."
    )


def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str, where: str) -> None:
    """Raise ``SurveyDataError`` naming the columns of ``df`` that are absent."""
    columns = list(columns)
    odd = [c for c in columns if not isinstance(c, Hashable)]
    if odd:
        raise ParameterError(f"{where} takes column names of the {what} as text; got {odd[0]!r}.")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        hint = did_you_mean(missing[0], [str(c) for c in df.columns]) if len(missing) == 1 else ""
        raise SurveyDataError(
            f"The {what} passed to {where} lacks the column(s) {quote_list(missing)}. "
            f"Its columns are {quote_list(df.columns, limit=8)}; pass the column names as "
            f"keyword arguments when they differ.{hint}"
        )


def numeric_column(df: pd.DataFrame, column: str, what: str, where: str, *, labels: Sequence[Any] | None = None) -> np.ndarray:
    """Column as float64; raises ``SurveyDataError`` for text or missing values."""
    try:
        values = pd.to_numeric(df[column], errors="raise").to_numpy(dtype="float64")
    except (TypeError, ValueError) as exc:
        raise SurveyDataError(
            f"Column {column!r} of the {what} passed to {where} must be numeric; "
            f"it holds {df[column].dtype} values."
        ) from exc
    bad = ~np.isfinite(values)
    if bad.any():
        names = list(labels) if labels is not None else list(df.index)
        rows = [names[i] for i in np.flatnonzero(bad)]
        raise SurveyDataError(
            f"Column {column!r} of the {what} passed to {where} has {int(bad.sum())} missing or "
            f"infinite value(s), at {quote_list(rows)}. Drop those rows or fill them before plotting."
        )
    return values


def _column_name(column: Any, what: str) -> None:
    if column is not None and not isinstance(column, Hashable):
        raise ParameterError(f"The {what} must be a column name (text). Got {column!r} instead.")


def label_values(df: pd.DataFrame, column: str | None) -> list[str]:
    """Text labels from ``column`` when present, else from the index."""
    _column_name(column, "label column")
    if column is not None and column in df.columns:
        return [str(v) for v in df[column].tolist()]
    return [str(v) for v in df.index.tolist()]


def check_ci(df: pd.DataFrame, lower: str | None, upper: str | None, what: str, where: str) -> bool:
    """Whether both CI columns are present; raise when only one of them is."""
    if lower is None and upper is None:
        return False
    _column_name(lower, f"lower CI column of {where}")
    _column_name(upper, f"upper CI column of {where}")
    has_lo = lower is not None and lower in df.columns
    has_hi = upper is not None and upper in df.columns
    if has_lo != has_hi:
        present, absent = (lower, upper) if has_lo else (upper, lower)
        raise SurveyDataError(
            f"The {what} passed to {where} has the CI column {present!r} but not {absent!r}. "
            "Pass both CI bounds or neither."
        )
    return has_lo and has_hi


def ci_errors(value: np.ndarray, lo: np.ndarray, hi: np.ndarray, names: Sequence[str], where: str,
              contains: bool = True) -> np.ndarray:
    """Asymmetric error-bar lengths (2, n); raise when an estimate lies outside its CI.

    With ``contains=False`` (percentile intervals, which need not contain the estimate) only
    an interval with ``lower > upper`` is refused; the lengths may then be negative.
    """
    if not contains:
        reversed_ = lo > hi + 1e-12
        if reversed_.any():
            rows = [names[i] for i in np.flatnonzero(reversed_)]
            raise SurveyDataError(
                f"In the table passed to {where}, the lower bound of the interval exceeds the upper bound "
                f"for {quote_list(rows)}. Check the 'ci_lower' and 'ci_upper' columns.")
        return np.vstack([value - lo, hi - value])
    bad = (lo > value + 1e-12) | (hi < value - 1e-12)
    if bad.any():
        rows = [names[i] for i in np.flatnonzero(bad)]
        raise SurveyDataError(
            f"In the table passed to {where}, the estimate lies outside its confidence interval "
            f"for {quote_list(rows)}. Check that 'ci_lower' <= estimate <= 'ci_upper'."
        )
    return np.vstack([value - lo, hi - value])


def check_option_csindex(name: str, value: Any, allowed: Sequence[Any], where: str) -> Any:
    """:func:`csindex._validation.check_option`, raised as a :class:`SurveyDataError`."""
    try:
        return check_option(name, value, allowed, where)
    except ValueError as exc:
        raise SurveyDataError(str(exc)) from None


def text_extent_px(text: Any, renderer: Any, pad: float = 0.0) -> np.ndarray:
    """Window extent of a Text artist as ``[x0, y0, x1, y1]`` in pixels, padded."""
    bb = text.get_window_extent(renderer=renderer)
    return np.array([bb.x0 - pad, bb.y0 - pad, bb.x1 + pad, bb.y1 + pad])


def get_renderer(fig: Any) -> Any:
    """The figure's renderer (works for Agg and for figures without a canvas renderer)."""
    canvas = fig.canvas
    if hasattr(canvas, "get_renderer"):
        return canvas.get_renderer()
    return fig._get_renderer()  # pragma: no cover - non-Agg backends


def boxes_overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Overlap area between box ``a`` ([x0, y0, x1, y1]) and each row of ``b`` (k, 4)."""
    b = np.atleast_2d(b)
    if b.size == 0:
        return np.zeros(0)
    w = np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0])
    h = np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def overlapping_texts(fig: Any, *, min_area_px: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of drawn texts whose rendered bounding boxes overlap (by more than ``min_area_px``).

    Draws the figure first (so tick labels and tight layouts are final) and compares the
    window extents of every visible, non-empty Text artist: titles, axis and tick labels,
    annotations, legend entries.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.text(0.5, 0.5, "first"), ax.text(0.5, 0.5, "second")
    >>> overlapping_texts(fig)
    [('first', 'second')]
    >>> plt.close(fig)
    """
    from matplotlib.text import Text

    fig = _figure_of(fig)
    fig.canvas.draw()
    renderer = get_renderer(fig)
    hidden: set[int] = set()  # labels of ticks outside the view interval: not drawn
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            tol = 1e-9 * max(abs(lo), abs(hi), 1.0)
            for tick, loc in zip(axis.get_major_ticks(), axis.get_majorticklocs()):
                if not lo - tol <= loc <= hi + tol:
                    hidden |= {id(tick.label1), id(tick.label2)}
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in hidden]
    boxes = []
    kept = []
    for t in texts:
        bb = Text.get_window_extent(t, renderer)  # the text only (an Annotation's extent adds its leader line)
        box = np.array([bb.x0, bb.y0, bb.x1, bb.y1])
        if box[2] - box[0] > 0 and box[3] - box[1] > 0:
            boxes.append(box)
            kept.append(t)
    out = []
    for i in range(len(kept)):
        if i + 1 < len(kept):
            area = boxes_overlap(boxes[i], np.array(boxes[i + 1:]))
            out += [(kept[i].get_text(), kept[i + 1 + j].get_text()) for j in np.flatnonzero(area > min_area_px)]
    return out


# --------------------------------------------------------------------------- quadrant charts

#: text box corner of each quadrant, in axes fractions: (x, y, ha, va)
_QUADRANT_CORNERS = {
    "high_x_high_y": (0.985, 0.985, "right", "top"),
    "high_x_low_y": (0.985, 0.015, "right", "bottom"),
    "low_x_low_y": (0.015, 0.015, "left", "bottom"),
    "low_x_high_y": (0.015, 0.985, "left", "top"),
}


def padded_limits(values: np.ndarray, center: float, frac: float = 0.12) -> tuple[float, float]:
    """Axis limits holding ``values`` and ``center``, widened by ``frac`` of the span on each side."""
    lo, hi = float(min(values.min(), center)), float(max(values.max(), center))
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return lo - frac * span, hi + frac * span


def quadrant_layout(ax: Any, x: np.ndarray, y: np.ndarray, cross: tuple[float, float], names: dict[str, str], *,
                    pad: float = 0.12, y_room: float = 0.0, extra: dict[str, str] | None = None,
                    line_zorder: float = 1.0) -> tuple[dict[str, Any], tuple[float, float, float, float]]:
    """The frame of a quadrant chart (priority matrix, loyalty matrix) on ``ax``.

    Sets the limits to hold the points and the cross-hair (``pad`` of the span on each side;
    the y range widened by another ``y_room`` of it at both ends, room for the corner texts),
    draws the cross-hair as dashed lines (at ``line_zorder``: 1 keeps them under the tick
    marks, 2 over them) and writes each quadrant's name (already in the display language;
    ``extra`` adds a second line) in its corner of the axes.

    Returns the quadrant key -> Text mapping and the padded limits ``(x0, x1, y0, y1)``
    (before ``y_room``).
    """
    cx, cy = cross
    x0, x1 = padded_limits(x, cx, pad)
    y0, y1 = padded_limits(y, cy, pad)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0 - y_room * (y1 - y0), y1 + y_room * (y1 - y0))
    if y_room > 0:  # the room for the corner texts carries no ticks: a 1-10 item never reads 12
        ax.set_yticks([t for t in ax.get_yticks() if y0 - 1e-9 <= t <= y1 + 1e-9])
    ax.axvline(cx, color="0.35", lw=1.0, ls="--", zorder=line_zorder)
    ax.axhline(cy, color="0.35", lw=1.0, ls="--", zorder=line_zorder)
    texts = {}
    for key, (fx, fy, ha, va) in _QUADRANT_CORNERS.items():
        text = names[key] + (f"\n{extra[key]}" if extra else "")
        texts[key] = ax.text(
            fx, fy, text, transform=ax.transAxes, ha=ha, va=va, fontsize=9,
            color="0.25", fontweight="bold", zorder=4,
            bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "none", "alpha": 0.85},
        )
    return texts, (x0, x1, y0, y1)


# --------------------------------------------------------------------------- CJK fonts

_CJK_RE = re.compile(
    "[\u2e80-\u2fdf\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0002ffff]"
)

_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Noto Sans CJK HK",
    "Noto Sans SC",
    "Noto Sans TC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "STHeiti",
    "Noto Serif CJK SC",
    "Noto Serif CJK JP",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Droid Sans Fallback",
    "Arial Unicode MS",
)
_CJK_FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy", "simhei", "msyh", "pingfang", "droidsansfallback")

_STATE: dict[str, Any] = {"warned": False, "family": None, "searched": False}

NO_CJK_FONT_MESSAGE = (
    "Labels contain Chinese/Japanese/Korean characters but no CJK font is installed, so "
    "matplotlib will draw them as empty boxes. Install one, e.g. the Debian/Ubuntu package "
    "'fonts-noto-cjk' (sudo apt-get install fonts-noto-cjk), then delete matplotlib's font cache."
)


def has_cjk(text: str) -> bool:
    """Whether ``text`` contains a CJK character.

    Examples
    --------
    >>> has_cjk("顾客满意度"), has_cjk("Satisfaction")
    (True, False)
    """
    return bool(_CJK_RE.search(str(text)))


def find_cjk_font() -> str | None:
    """Family name of an installed CJK font, or ``None``.

    Searches matplotlib's font list first; when that cache predates the font's
    installation, scans the system font folders and registers what it finds.
    """
    if _STATE["searched"]:
        return _STATE["family"]
    from matplotlib import font_manager

    def _pick() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        for fam in _CJK_FAMILIES:
            if fam in names:
                return fam
        return None

    family = _pick()
    if family is None:
        try:
            paths = font_manager.findSystemFonts()
        except Exception:  # pragma: no cover - unusual font folders
            paths = []
        for path in paths:
            flat = re.sub(r"[^a-z]", "", path.lower().rsplit("/", 1)[-1])
            if any(h in flat for h in _CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except Exception:  # pragma: no cover - unreadable font file
                    continue
        family = _pick()
    _STATE["family"] = family
    _STATE["searched"] = True
    return family


def _reset_font_state() -> None:
    """Forget the cached font search and the warn-once flag (for tests)."""
    _STATE.update(warned=False, family=None, searched=False)


def cjk_font_family(strings: Iterable[str]) -> list[str] | None:
    """The font family list to use when any of ``strings`` has CJK characters.

    Returns ``None`` when no string needs a CJK font, or when none is installed
    (then a :class:`~csindex.exceptions.CsindexWarning` naming ``fonts-noto-cjk``
    is issued once per session).
    """
    if not any(has_cjk(s) for s in strings):
        return None
    family = find_cjk_font()
    if family is None:
        if not _STATE["warned"]:
            _STATE["warned"] = True
            warnings.warn(NO_CJK_FONT_MESSAGE, CsindexWarning, stacklevel=4)
        return None
    return [family, "DejaVu Sans"]


def _set_font_family(axes: Iterable[Any], family: list[str]) -> None:
    """Give every text of ``axes`` (titles, axis and tick labels, annotations) ``family``.

    Per-artist font properties, so global rcParams stay untouched.
    """
    from matplotlib.text import Text

    for ax in axes:
        if ax is None:
            continue
        for t in ax.findobj(Text):
            t.set_fontfamily(family)
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                tick.label1.set_fontfamily(family)
                tick.label2.set_fontfamily(family)


# --------------------------------------------------------------------------- export


def _figure_of(fig: Any, where: str = "this function") -> Any:
    figure = getattr(fig, "figure_", None) or fig
    if not callable(getattr(figure, "savefig", None)):
        raise ParameterError(f"The 'fig' parameter of {where} must be a matplotlib Figure or a csindex "
                             f"display (with .figure_). Got {type(fig).__name__} instead.")
    return figure


def fig_to_data_uri(fig: Any, fmt: str = "png", *, dpi: float = 110, close: bool = False) -> str:
    """Encode a figure as a base64 ``data:`` URI for a self-contained HTML page.

    Parameters
    ----------
    fig : matplotlib.figure.Figure or Display
        The figure (or a Display, whose ``figure_`` is used).
    fmt : {"png", "svg"}
        Image format.
    dpi : float
        Resolution of PNG output.
    close : bool
        Close the figure afterwards (frees it from pyplot; handy in report loops).

    Returns
    -------
    str
        ``"data:image/png;base64,..."`` or ``"data:image/svg+xml;base64,..."``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> fig_to_data_uri(fig)[:22]
    'data:image/png;base64,'
    >>> plt.close(fig)
    """
    check_option_csindex("fmt", fmt, ("png", "svg"), "fig_to_data_uri")
    dpi = check_param("dpi", dpi, Interval(0, None, closed="neither"), "fig_to_data_uri")
    buf = io.BytesIO()
    figure = _figure_of(fig, "fig_to_data_uri")
    figure.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
    if close:
        import matplotlib.pyplot as plt

        plt.close(figure)
    mime = "image/png" if fmt == "png" else "image/svg+xml"
    return f"data:{mime};base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def fig_to_svg(fig: Any, *, close: bool = False) -> str:
    """The figure as inline SVG markup (starting at ``<svg``), for embedding in HTML.

    Text is drawn as paths, so the SVG shows the same glyphs everywhere. No creation date
    and no random id salt are written, so the same figure gives the same bytes (reproducible
    reports).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> fig_to_svg(fig)[:4]
    '<svg'
    >>> plt.close(fig)
    """
    buf = io.StringIO()
    figure = _figure_of(fig, "fig_to_svg")
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "csindex"}):  # ids from the content, not a random salt
        figure.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    if close:
        import matplotlib.pyplot as plt

        plt.close(figure)
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text
