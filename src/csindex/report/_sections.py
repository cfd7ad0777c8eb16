"""Section builders of the report.

Each builder takes the shared :class:`Context`, calls the csindex functions that compute
the numbers, and fills a :class:`~csindex.report._render.Section` with text, tables and
figures. Builders never compute statistics themselves (STYLE.md: report renders only);
the little arithmetic here is selection and ranking of rows the results already hold.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._i18n import Labels
from ._render import Section

logger = logging.getLogger(__name__)

DPI = 100


@dataclass
class Context:
    """What the builders share: the survey, options, labels, and what has been computed."""

    survey: Any
    labels: Labels
    method: str
    bootstrap: int
    seed: Any
    by: str | None = None  # profile column for the segment section
    model: Any = None  # ModelSpec or None
    model_name: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    key: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)  # name -> csindex result object
    priority_sources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "improve first" candidates
    n_figures: int = 0

    @property
    def priority_key(self) -> str | None:
        """The most specific priority matrix computed: PLS IPMA, else IPA, else drivers."""
        for key in ("ipma", "ipa", "drivers"):
            if self.priority_sources.get(key):
                return key
        return None

    @property
    def priority(self) -> list[dict[str, Any]]:
        """Candidates of :attr:`priority_key`, "Concentrate here" first."""
        key = self.priority_key
        return self.priority_sources[key] if key else []

    @property
    def lang(self) -> str:
        return self.labels.lang

    def table(self, section: Section, name: str, df: pd.DataFrame, caption: str = "",
              display: pd.DataFrame | None = None) -> None:
        """Keep ``df`` for the files and show ``display`` (default ``df``) in the section."""
        self.tables[name] = df
        shown = df if display is None else display
        section.add("table", self.labels.columns(shown), caption)

    def figure(self, section: Section, display: Any, caption: str) -> None:
        """Embed a plot (a Display or a Figure) as a PNG data: URI and close it."""
        from ..plots import fig_to_data_uri

        self.labels.figure(getattr(display, "figure_", None) or display)
        uri = fig_to_data_uri(display, "png", dpi=DPI, close=True)
        section.add("figure", uri, caption)
        self.n_figures += 1


# --------------------------------------------------------------------------- helpers


def _with_labels(df: pd.DataFrame, ctx: Context, column: str, *, after: str | None = None) -> pd.DataFrame:
    """Copy of ``df`` with a ``label`` column (codebook label of ``column``) after ``after``."""
    out = df.copy()
    labels = [ctx.labels.item_or_construct(str(v)) for v in out[column]]
    pos = list(out.columns).index(after or column) + 1
    out.insert(pos, "label", labels)
    return out


def _weighted_note(ctx: Context) -> str:
    return ctx.labels("weighted") if ctx.survey.weights is not None else ""


# --------------------------------------------------------------------------- data quality


def build_quality(ctx: Context, sec: Section) -> None:
    L = ctx.labels
    v = ctx.survey.validation
    sec.p(L("q_intro"))
    summary = v.summary()
    facts = dict(summary.facts)
    sec.add("facts", facts)
    for note in summary.notes:
        sec.add("note", note)
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
        sec.add("table", L.columns(shown.head(15).reset_index(drop=True)), L("q_items"))
        by = items.groupby("construct", sort=False)["missing_share"].mean()
        ctx.figure(sec, _missing_chart(by, ctx), L("q_fig"))
    else:
        sec.add("note", L("q_none"))


def _missing_chart(by: pd.Series, ctx: Context) -> Any:
    import matplotlib.pyplot as plt

    from ..plots._base import _set_font_family, cjk_font_family

    names = [ctx.labels.construct(str(c)) for c in by.index]
    fig, ax = plt.subplots(figsize=(6.4, max(2.4, 0.28 * len(by) + 1.0)))
    y = np.arange(len(by))[::-1]
    ax.barh(y, 100.0 * by.to_numpy(), color="#8fb3d9")
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel("%")
    ax.spines[["top", "right"]].set_visible(False)
    family = cjk_font_family(names)
    if family:
        _set_font_family([ax], family)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- simple method


def build_simple(ctx: Context, sec: Section) -> None:
    from ..scoring.simple import simple_scores

    L = ctx.labels
    res = simple_scores(ctx.survey)
    ctx.results["simple"] = res
    sec.p(L("s_intro", weighted=_weighted_note(ctx)))
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

    ctx.figure(sec, index_chart(chart), L("s_fig"))
    shown = cons[["construct", "n_items", "n", "mean", "top2_share", "score", "ci_lower", "ci_upper"]]
    sec.add("table", L.columns(_with_labels(shown, ctx, "construct")), L("s_constructs"))
    shown_items = _with_labels(items[["item", "construct", "n", "mean", "top2_share", "score", "ci_lower",
                                      "ci_upper"]], ctx, "item")
    sec.add("table", L.columns(shown_items), L("s_items"))


# --------------------------------------------------------------------------- segments


def build_segments(ctx: Context, sec: Section) -> None:
    from ..plots import index_chart
    from ..scoring.simple import simple_scores

    L = ctx.labels
    by = ctx.by
    res = simple_scores(ctx.survey, by=by)
    table = res.frame("constructs")
    ctx.tables["segment_scores"] = table
    ctx.key["segment_overall_scores"] = {
        str(r.segment): float(r.score) for r in table[table["construct"] == "overall"].itertuples()}
    sec.p(L("g_intro", by=f"{by} ({L.item(by)})", k=len(res.results)))
    chart = table.assign(construct=[L.construct(c) for c in table["construct"]],
                         segment=table["segment"].astype(str)).rename(columns={"score": "index"})
    ctx.figure(sec, index_chart(chart, group="segment"), L("g_fig", by=L.item(by)))
    shown = table[["segment", "construct", "n", "score", "ci_lower", "ci_upper"]]
    sec.add("table", L.columns(shown), L("g_table"))


# --------------------------------------------------------------------------- KPIs


def _nps_item(ctx: Context) -> str | None:
    cols = ctx.survey.responses.columns
    for name in ("NPS", "nps", "ltr", "LTR", "recommend"):
        if name in cols:
            return name
    return None


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
        sec.p(L("k_intro", item=f"{item} ({L.item(item)})"))
        sec.add("cards", [(L("card_nps"), f"{res.score:+.1f}", f"95% CI [{res.ci_lower:.1f}, {res.ci_upper:.1f}]")])
        table = res.table.assign(category=res.table["category"])
        ctx.table(sec, "nps", table, L("k_nps"))
        ctx.key["nps"] = float(res.score)
        ctx.key["nps_ci"] = [float(res.ci_lower), float(res.ci_upper)]
    if len(loyalty_items) >= 2:
        att, pat = loyalty_items[0], loyalty_items[1]
        a = survey.responses[att]
        p = survey.responses[pat]
        lm = kpi.loyalty_matrix(a, p, weights=weights)
        ctx.results["loyalty_matrix"] = lm
        ctx.tables["loyalty_segments"] = lm.shares
        from ..plots import loyalty_matrix_plot

        ok = a.notna() & p.notna()
        disp = loyalty_matrix_plot(a[ok].rename(L.item(att)), p[ok].rename(L.item(pat)),
                                   attitude_threshold=lm.attitude_threshold,
                                   patronage_threshold=lm.patronage_threshold)
        ctx.figure(sec, disp, L("k_loy_fig", att=L.item(att), pat=L.item(pat)))
        sec.add("table", L.columns(lm.shares), L("k_loy"))


# --------------------------------------------------------------------------- overview and improve-first


def build_overview(ctx: Context, sec: Section) -> None:
    """Key-number cards (built last, shown first)."""
    L = ctx.labels
    k = ctx.key
    cards: list[tuple[str, str, str]] = [(L("card_n"), f"{k.get('n_respondents', ctx.survey.n):,}", "")]
    if "overall_score" in k:
        lo, hi = k["overall_score_ci"]
        cards.append((L("card_simple"), f"{k['overall_score']:.1f}", f"95% CI [{lo:.1f}, {hi:.1f}]"))
    for method in ("pls", "sem"):
        idx = k.get(f"{method}_satisfaction_index")
        if idx is not None:
            ci = k.get(f"{method}_satisfaction_index_ci")
            cards.append((L("card_index", method=method.upper()), f"{idx:.1f}",
                          f"95% CI [{ci[0]:.1f}, {ci[1]:.1f}]" if ci else ""))
    for method in ("pls", "sem"):
        r2 = k.get(f"{method}_r_squared_satisfaction")
        if r2 is not None:
            cards.append((L("card_r2") + f" ({method.upper()})", f"{r2:.3f}", ""))
            break
    if "dual_index" in k:
        cards.append((L("card_dual"), f"{k['dual_index']:.1f}", ""))
    if "ratio_overall" in k:
        cards.append((L("card_ratio"), f"{k['ratio_overall']:.3f}", ""))
    if "nps" in k:
        lo, hi = k["nps_ci"]
        cards.append((L("card_nps"), f"{k['nps']:+.1f}", f"95% CI [{lo:.1f}, {hi:.1f}]"))
    sec.add("cards", cards)
    focus = [r for r in ctx.priority if r["quadrant"] == "Concentrate here"][:3]
    if focus:
        sec.add("html", f'<p><b>{html.escape(L("sec_improve"))}</b>: '
                + ", ".join(html.escape(r["name"]) for r in focus) + f' (<a href="#improve">→</a>)</p>')


def build_improve(ctx: Context, sec: Section) -> None:
    L = ctx.labels
    if not ctx.priority:
        sec.status, sec.note = "skipped", L("no_priority")
        return
    key = ctx.priority_key
    sec.p(L("im_intro", source=L(f"src_{key}"), gain=L(f"gain_{key}")))
    rows = ctx.priority
    focus = [r for r in rows if r["quadrant"] == "Concentrate here"]
    ctx.tables["priority_candidates"] = pd.DataFrame(rows)
    if not focus:
        sec.add("note", L("im_none"))
        return
    items = [L("im_item", name=html.escape(r["name"]), code=html.escape(r["code"]), perf=r["performance"],
               imp=r["importance"]) for r in focus[:5]]
    sec.add("list", items)
    ctx.key["improve_first"] = [r["code"] for r in focus[:5]]
    ctx.key["improve_first_source"] = key


def rank_priority(table: pd.DataFrame, *, source: str, gain: Any, name_col: str = "name",
                  importance: str = "importance", performance: str = "performance",
                  quadrant: str = "quadrant") -> list[dict[str, Any]]:
    """Rows of a priority matrix, "Concentrate here" first, each group by decreasing ``gain``."""
    rows = []
    for r, g in zip(table.itertuples(index=False), np.asarray(gain, dtype="float64")):
        d = r._asdict()
        rows.append({"name": str(d[name_col]), "importance": float(d[importance]),
                     "performance": float(d[performance]), "quadrant": str(d[quadrant]), "gain": float(g),
                     "source": source})
    rows.sort(key=lambda r: (r["quadrant"] != "Concentrate here", -r["gain"]))
    return rows


# --------------------------------------------------------------------------- about


def build_about(ctx: Context, sec: Section, settings: dict[str, Any]) -> None:
    L = ctx.labels
    sec.p(L("about_text"))
    sec.h3(L("settings"))
    sec.add("facts", {k: (", ".join(map(str, v)) if isinstance(v, (list, tuple)) else
                          ("" if v is None else v if isinstance(v, bool) else str(v)))
                      for k, v in settings.items()})


Builder = Callable[[Context, Section], None]
