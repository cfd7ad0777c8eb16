"""Section builders of the report.

Each builder takes the shared :class:`Context`, calls the csindex functions that compute
the numbers, and fills a :class:`~csindex.report._render.Section` with text, tables and
figures. Builders never compute statistics themselves (STYLE.md: report renders only);
the little arithmetic here is selection and ranking of rows the results already hold.
"""

from __future__ import annotations

import base64
import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._wording import nps_item
from ._format import display
from ._i18n import Labels, without_prefix
from ._notes import notes_shown
from ._render import Section

logger = logging.getLogger(__name__)

DPI = 100  # CSS px per inch of a figure shown at its natural size
_SVG_SIZE = re.compile(r'(<svg\b[^>]*?\bwidth=")([0-9.]+)pt("[^>]*?\bheight=")([0-9.]+)pt"')


@dataclass
class Context:
    """What the builders share: the survey, options, labels, and what has been computed."""

    survey: Any
    labels: Labels
    method: str
    bootstrap: int
    seed: Any
    by: str | None = None  # profile column for the segment section
    missing: str = "listwise"  # missing-answer handling of the PLS models
    previous: Any = None  # Survey of the previous wave (trend section)
    wave_labels: tuple[str, str] = ("previous wave", "this wave")
    model: Any = None  # ModelSpec or None
    model_name: str = ""
    model_hint: tuple[str, ...] = ()  # without a model: the constructs a template would take by name
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    key: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)  # name -> csindex result object
    rows: dict[str, str] = field(default_factory=dict)  # matrix rows taken as attributes -> their row texts
    n_figures: int = 0

    @property
    def lang(self) -> str:
        return self.labels.lang

    @property
    def texts(self) -> dict[str, str]:
        """Words the charts draw, in the report language (``texts=`` of csindex.plots)."""
        return self.labels.plot_texts()

    def table(self, section: Section, name: str, df: pd.DataFrame, caption: str = "",
              shown: pd.DataFrame | None = None, **fmt: Any) -> None:
        """Keep ``df`` for the files and show ``shown`` (default ``df``) formatted in the section."""
        self.tables[name] = df
        self.show(section, df if shown is None else shown, caption, **fmt)

    def show(self, section: Section, df: pd.DataFrame, caption: str = "", **fmt: Any) -> None:
        """Show a formatted copy of ``df`` (plain headers, sensible precision) in the section."""
        # counts "weighted" by the unit weights of an unweighted survey repeat the respondents column
        hide = frozenset({"weighted_count"}) if self.survey.weights is None else frozenset()
        section.add("table", self.labels.columns(display(df, hide=hide), **fmt), caption)

    def figure(self, section: Section, shown: Any, caption: str, narrow: Any = None) -> None:
        """Embed a plot (a Display or a Figure) as an SVG shown at its natural size, and close it;
        ``narrow``, the same plot drawn for a phone-width column, is shown instead on narrow
        screens (a wide path diagram would otherwise scroll in its box there).

        SVG rather than PNG: vector figures stay sharp at any zoom and on any screen, the ten
        figures of the sample report are half the bytes of 2x PNGs, and writing them takes half
        the time (the report's cold start is held to three seconds).
        """
        content = _svg_content(shown)
        if narrow is not None:
            content["narrow"] = _svg_content(narrow)
        section.add("figure", content, caption)
        self.n_figures += 1


def _svg_content(shown: Any) -> dict[str, Any]:
    """A plot as the figure block's content: SVG data URI, CSS size, smallest text size; closed."""
    from matplotlib.text import Text

    from ..plots import fig_to_svg
    from ..plots._base import get_renderer

    fig = getattr(shown, "figure_", None) or shown
    renderer = get_renderer(fig)
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
             and t.get_window_extent(renderer).width > 0]
    svg, width, height = _css_sized_svg(fig_to_svg(fig, close=True), DPI)
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return {"uri": uri, "width": width, "height": height, "dpi": DPI,
            "min_text_pt": float(min(sizes)) if sizes else 0.0}


def _css_sized_svg(svg: str, dpi: float) -> tuple[str, float, float]:
    """``svg`` with its root width/height (points, as matplotlib writes them) in CSS px at ``dpi``
    px per inch, so the image's natural size is the size it is shown at; the viewBox scales it."""
    match = _SVG_SIZE.search(svg)
    if match is None:  # pragma: no cover - matplotlib always writes the size in pt
        raise RuntimeError("matplotlib wrote an SVG without a width/height in pt")
    width, height = float(match.group(2)) * dpi / 72.0, float(match.group(4)) * dpi / 72.0
    sized = (svg[:match.start()] + f"{match.group(1)}{width:.2f}px{match.group(3)}{height:.2f}px\""
             + svg[match.end():])
    return sized, width, height


# --------------------------------------------------------------------------- helpers


def _with_labels(df: pd.DataFrame, ctx: Context, column: str, *, after: str | None = None) -> pd.DataFrame:
    """Copy of ``df`` whose ``column`` (item or construct codes) shows the codebook labels instead,
    and whose ``construct`` column, if any, shows construct names."""
    out = df.copy()
    name = ctx.labels.item if column == "item" else ctx.labels.item_or_construct
    out[column] = [name(str(v)) for v in out[column]]
    if column != "construct" and "construct" in out.columns:
        out["construct"] = [ctx.labels.construct(str(v)) for v in out["construct"]]
        # the construct column already shows the question a platform export repeats in each item
        out[column] = [without_prefix(i, c) for i, c in zip(out[column], out["construct"])]
    return out


def _weighted_note(ctx: Context) -> str:
    return ctx.labels("weighted") if ctx.survey.weights is not None else ""


# --------------------------------------------------------------------------- data quality


#: notes on how the data was read shown open; more are folded under one line
_OPEN_NOTES = 6


def build_quality(ctx: Context, sec: Section) -> None:
    L = ctx.labels
    v = ctx.survey.validation
    sec.p(L("q_intro"))
    summary = v.summary()
    facts = dict(summary.facts)
    sec.add("facts", {k: (f"{100 * v:.1f}%" if isinstance(v, float) and ("share" in k or "rate" in k)
                          else L.get(f"value.{v}", v) if isinstance(v, str) else v) for k, v in facts.items()})
    info, kept = notes_shown(list(v.notes), L)
    problems, kept_problems = notes_shown(list(v.problems()), L)
    kept += kept_problems
    if len(info) > _OPEN_NOTES:  # how the data was read: folded, so the problems and tables stay in view
        sec.add("html", f'<details class="notes"><summary>{html.escape(L("q_read_notes", n=len(info)))}</summary>'
                + "".join(f'<p class="note">{html.escape(n)}</p>' for n in info) + "</details>")
    else:
        for note in info:
            sec.add("note", note)
    for note in problems:
        sec.add("note", note)
    if kept:  # notes without a translation: counted here, in English in results.json
        ctx.key.setdefault("notes", {})["data-quality"] = kept
        sec.add("note", L("dq.kept", n=len(kept)))
    items = v.items.copy()
    items.index.name = "item"
    items = items.reset_index()
    items.insert(1, "construct", [ctx.survey.codebook.items.at[i, "construct"] or i for i in items["item"]])
    ctx.tables["validation_items"] = items
    ctx.key["n_respondents"] = int(v.n)
    ctx.key["n_rated_items"] = int(len(items))
    ctx.key["missing_share"] = float(facts.get("missing share (all rated cells)", np.nan))
    ctx.key["straight_liners"] = int(len(v.straight_liners))
    ctx.key["validation_ok"] = bool(v.ok)
    bad = items[(items["n_missing"] > 0) | (items["n_out_of_range"] > 0) | (items["n_non_numeric"] > 0)]
    if len(bad):
        shown = _with_labels(bad[["item", "construct", "n_valid", "n_missing", "missing_share",
                                  "n_out_of_range", "n_non_numeric"]], ctx, "item")
        shown = shown.sort_values("missing_share", ascending=False, kind="stable")
        ctx.show(sec, shown.head(15).reset_index(drop=True), L("q_items"))
        by = items.groupby("construct", sort=False)["missing_share"].mean()
        by = by[by > 0]  # the constructs with missing answers, as the table above lists the items
        if len(by):
            ctx.figure(sec, _missing_chart(by, ctx), L("q_fig"))
    else:
        sec.add("note", L("q_none"))


def _missing_chart(by: pd.Series, ctx: Context) -> Any:
    import matplotlib.pyplot as plt

    from ..plots._base import _set_font_family, cjk_font_family

    names = [ctx.labels.construct(str(c)) for c in by.index]
    fig, ax = plt.subplots(figsize=(6.4, max(2.4, 0.3 * len(by) + 1.0)))
    y = np.arange(len(by))[::-1]
    ax.barh(y, 100.0 * by.to_numpy(), color="#8fb3d9")
    ax.set_yticks(y, names, fontsize=9)
    ax.set_xlabel(ctx.texts.get("axis.share_pct", "%"), fontsize=9)
    ax.tick_params(labelsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    family = cjk_font_family(names)
    if family:
        _set_font_family([ax], family)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- simple method


def _answered_items(ctx: Context) -> tuple[list[str] | None, list[str]]:
    """(the items the simple method scores, or None for its default; the default items nobody
    answered): an unanswered item is left out of the scores, and the page says so, rather than
    failing the section."""
    from ..scoring.simple import resolve_items

    data = resolve_items(ctx.survey, None, None, None)[0]
    empty = [str(c) for c in data.columns if not data[c].notna().any()]
    if not empty:
        return None, []
    return [str(c) for c in data.columns if str(c) not in empty], empty


def build_simple(ctx: Context, sec: Section) -> None:
    from ..scoring.simple import simple_scores

    L = ctx.labels
    items, empty = _answered_items(ctx)
    res = simple_scores(ctx.survey, items=items)
    ctx.results["simple"] = res
    sec.p(L("s_intro", weighted=_weighted_note(ctx)))
    if empty:
        sec.p(L("s_unanswered", items=L.join([L.item(i) for i in empty])))
    cons = res.constructs
    items = res.items
    ctx.tables["construct_scores"] = cons
    ctx.tables["item_scores"] = items
    overall = cons.loc[cons["construct"] == "overall"].iloc[0]
    ctx.key["overall_score"] = float(overall["score"])
    ctx.key["overall_score_ci"] = [float(overall["ci_lower"]), float(overall["ci_upper"])]
    ctx.key["construct_scores"] = {str(r.construct): float(r.score) for r in cons.itertuples()}
    chart = cons.assign(construct=[L.construct(c) for c in cons["construct"]]).rename(columns={"score": "index"})
    from ..plots import index_chart

    ctx.figure(sec, index_chart(chart, texts=ctx.texts), L("s_fig"))
    shown = cons[["construct", "n_items", "n", "mean", "top2_share", "score", "ci_lower", "ci_upper"]]
    ctx.show(sec, _with_labels(shown, ctx, "construct"), L("s_constructs"))
    shown_items = _with_labels(items[["item", "construct", "n", "mean", "top2_share", "score", "ci_lower",
                                      "ci_upper"]], ctx, "item")
    ctx.show(sec, shown_items, L("s_items"))


# --------------------------------------------------------------------------- segments


def build_segments(ctx: Context, sec: Section) -> None:
    from ..plots import index_chart
    from ..scoring.simple import simple_scores

    L = ctx.labels
    by = ctx.by
    res = simple_scores(ctx.survey, items=_answered_items(ctx)[0], by=by)
    table = res.frame("constructs")
    ctx.tables["segment_scores"] = table
    ctx.key["segment_overall_scores"] = {
        str(r.segment): float(r.score) for r in table[table["construct"] == "overall"].itertuples()}
    sec.p(L("g_intro", by=L.item(by), k=len(res.results)))
    # bare codes (1, 2) name their column ("servicetype 1") in the legend and the table
    codes = pd.to_numeric(table["segment"].astype(str), errors="coerce").notna().all()
    segment = [f"{L.item(by)} {v}" if codes else str(v) for v in table["segment"]]
    chart = table.assign(construct=[L.construct(c) for c in table["construct"]],
                         segment=segment).rename(columns={"score": "index"})
    ctx.figure(sec, index_chart(chart, group="segment", texts=ctx.texts), L("g_fig", by=L.item(by)))
    shown = table[["segment", "construct", "n", "score", "ci_lower", "ci_upper"]].assign(segment=segment)
    ctx.show(sec, _with_labels(shown, ctx, "construct"), L("g_table"))


# --------------------------------------------------------------------------- KPIs


def _nps_item(ctx: Context) -> str | None:
    """The NPS item (:func:`csindex._wording.nps_item`: by its column name, else the one 0-10
    item whose label asks about recommending)."""
    return nps_item(ctx.survey.codebook.items, ctx.survey.responses.columns)


def build_kpi(ctx: Context, sec: Section) -> None:
    from .. import kpi

    L = ctx.labels
    survey = ctx.survey
    item = _nps_item(ctx)
    loyalty_items = survey.items(role="loyalty")
    loyalty_items = [i for i in loyalty_items if i != item]
    if item is None and len(loyalty_items) < 2:
        sec.status, sec.note = "skipped", L("no_nps")
        return
    weights = None if survey.weights is None else survey.weights.to_numpy()
    if item is not None:
        values = survey.responses[item]
        lo = float(np.nanmin(values.to_numpy(dtype="float64", na_value=np.nan)))
        res = kpi.nps(values, weights=weights, scale="0-10" if lo < 1 else "1-10")
        ctx.results["nps"] = res
        sec.p(L("k_intro", item=L.item(item)))
        sec.add("cards", [(L("card_nps"), f"{res.score:+.1f}", f"95% CI [{res.ci_lower:.1f}, {res.ci_upper:.1f}]")])
        ctx.table(sec, "nps", res.table, L("k_nps"))
        ctx.key["nps"] = float(res.score)
        ctx.key["nps_ci"] = [float(res.ci_lower), float(res.ci_upper)]
    else:  # the heading promises an NPS: say why there is none
        sec.add("note", L("k_no_nps"))
    if len(loyalty_items) >= 2:
        att, pat = loyalty_items[0], loyalty_items[1]
        a = survey.responses[att]
        p = survey.responses[pat]
        ok = a.notna() & p.notna()
        w = None if weights is None else weights[ok.to_numpy()]
        lm = kpi.loyalty_matrix(a[ok], p[ok], weights=w)
        ctx.results["loyalty_matrix"] = lm
        ctx.tables["loyalty_segments"] = lm.shares
        from ..plots import loyalty_matrix_plot

        disp = loyalty_matrix_plot(a[ok].rename(L.item(att)), p[ok].rename(L.item(pat)),
                                   attitude_threshold=lm.attitude_threshold,
                                   patronage_threshold=lm.patronage_threshold, texts=ctx.texts)
        n_drop = int((~ok).sum())
        ctx.figure(sec, disp, L("k_loy_fig", att=L.item(att), pat=L.item(pat)))
        if n_drop:
            sec.add("note", L("k_loy_missing", n=n_drop))
        ctx.show(sec, lm.shares, L("k_loy"))


# --------------------------------------------------------------------------- about


def build_about(ctx: Context, sec: Section, settings: dict[str, Any]) -> None:
    L = ctx.labels
    sec.p(L("about_text"))
    sec.h3(L("settings"))
    sec.add("facts", {k: _setting(L, k, v) for k, v in settings.items()})


#: settings whose values are option words the reader gets in the report language
_WORD_SETTINGS = frozenset({"model", "method", "missing", "lang"})


def _setting(L: Labels, key: str, value: Any) -> Any:
    """A setting as shown: lists joined, option words (pls, em) and absent values ("none") in words."""
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if value is None or value == "" or (key == "model" and value == "none"):
        return L("value.none")
    if isinstance(value, bool):
        return value
    return L.get(f"value.{value}", str(value)) if key in _WORD_SETTINGS else str(value)


Builder = Callable[[Context, Section], None]
