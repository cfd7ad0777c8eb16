"""The sections a manager reads first: the headline index, what to improve first, and what
changed since the previous wave. They render results of csindex functions
(:func:`csindex.improvement_priorities`, :func:`csindex.trend`, :func:`csindex.compare_waves`);
nothing here estimates anything."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

import csindex

from ..priorities import attribute_constructs, improvement_priorities
from ._format import p_phrase
from ._models import attributes_or_rows, is_satisfaction
from ._render import Section
from ._sections import Context, _with_labels

#: points of performance gain used in the recommendation sentences
STEP = 5


# --------------------------------------------------------------------------- overview


def _headline(ctx: Context) -> dict[str, Any] | None:
    """The satisfaction index of the fitted index model (PLS first, else SEM)."""
    for method in ("pls", "sem"):
        idx = ctx.key.get(f"{method}_satisfaction_index")
        if idx is not None:
            return {"method": method.upper(), "index": idx, "ci": ctx.key.get(f"{method}_satisfaction_index_ci"),
                    "n_used": ctx.key.get(f"{method}_n_used"), "construct": ctx.key.get("satisfaction_construct")}
    return None


def build_overview(ctx: Context, sec: Section) -> None:
    """Headline index first, then the other measures with their definitions (built last, shown first)."""
    L = ctx.labels
    k = ctx.key
    n_all = int(k.get("n_respondents", ctx.survey.n))
    head = _headline(ctx)
    if head is not None:
        ci = head["ci"]
        detail = [L("h_ci", lo=ci[0], hi=ci[1]) if ci else L("h_no_ci"),
                  L("h_n", n=head["n_used"] or n_all, total=n_all),
                  L("h_model", model=ctx.model_name, method=head["method"])]
        target = head["construct"] or "SAT"
        label = L("h_label") if is_satisfaction(target) else L("h_label_other", construct=L.construct(target))
        sec.add("html", '<div class="headline"><div class="k">' + html.escape(label) + '</div><div class="v">'
                + f"{head['index']:.1f}" + '</div><div class="d">' + html.escape(" · ".join(detail))
                + '</div><div class="d">' + html.escape(L("h_definition", target=L.construct(target)))
                + "</div></div>")
        k["headline_index"] = {"value": head["index"], "ci": ci, "n_used": head["n_used"], "model": ctx.model_name,
                               "method": head["method"]}
    else:
        sec.add("note", L("h_none"))
    rows = []

    def add(key: str, value: str, ci: Any, fmt: str = "{:.1f}") -> None:
        rows.append({"measure": L(f"m_{key}"), "value": value,
                     "interval": f"[{fmt.format(ci[0])}, {fmt.format(ci[1])}]" if ci else "–",
                     "definition": L(f"m_{key}_def"), "scale": L(f"m_{key}_scale")})

    if "overall_score" in k:
        add("simple", f"{k['overall_score']:.1f}", k.get("overall_score_ci"))
    if "dual_index" in k:
        add("dual", f"{k['dual_index']:.1f}", k.get("dual_index_ci"))
    if "ratio_overall" in k:
        add("ratio", f"{k['ratio_overall']:.3f}", k.get("ratio_overall_ci"), "{:.3f}")
    if "nps" in k:
        add("nps", f"{k['nps']:+.1f}", k.get("nps_ci"))
    if rows:
        sec.h3(L("h_other"))
        sec.add("table", L.columns(pd.DataFrame(rows)))
    pri = ctx.results.get("priorities")
    if pri is not None:
        names = ctx.key["improve_first_labels"]  # the attributes' names as the section gives them
        sec.add("html", f'<p><b>{html.escape(L("sec_improve"))}</b>: {html.escape(L("list_sep").join(names))} '
                        f'(<a href="#improve">{html.escape(L("h_see_improve"))}</a>)</p>')
    trend = ctx.key.get("wave_change")
    if trend:
        sec.add("html", f'<p><b>{html.escape(L("sec_trend"))}</b>: '
                        + html.escape(L("t_sentence", change=trend["change"], lo=trend["ci"][0], hi=trend["ci"][1],
                                        p=p_phrase(trend["p_value"]), prev=ctx.wave_labels[0]))
                        + f' (<a href="#trend">{html.escape(L("h_see_trend"))}</a>)</p>')


# --------------------------------------------------------------------------- what to improve first


def build_improve(ctx: Context, sec: Section) -> None:
    L = ctx.labels
    survey = ctx.survey
    try:
        attrs = attribute_constructs(survey)
        target = survey.items(role="overall_satisfaction")
    except csindex.CsindexError:
        attrs, target = [], []
    chosen = attributes_or_rows(ctx, sec, target, attrs, "priority")
    if chosen is None:
        return
    attrs, rows = chosen
    # the top three, but never all of them: "in the top 3 of 3 in 100% of resamples" says nothing
    k = max(1, min(3, len(attrs) - 1))
    res = improvement_priorities(survey, attrs, k=k, bootstrap=ctx.bootstrap, seed=ctx.seed, missing=ctx.missing)
    ctx.results["priorities"] = res
    t = res.attributes
    ctx.tables["improvement_priorities"] = t
    names = rows or {a: L.construct(a) for a in t["attribute"]}
    sec.p(L("im_intro", target=L.construct(res.target), n=res.settings["n_used"], total=survey.n,
            k=res.k, r2=float(res.r_squared["r_squared"].iloc[0])))
    items = []
    for r in res.recommended.itertuples():
        items.append(html.escape(L("im_sentence", name=names[r.attribute], perf=r.performance, imp=r.impact, step=STEP,
                                   lift=STEP * r.impact, gain=r.gain, p=100 * r.p_top_k, k=res.k)))
    sec.add("list", items)
    pairs = res.not_separable()
    if pairs:
        rec = sorted({a for a, _ in pairs}, key=list(t["attribute"]).index)
        other = sorted({b for _, b in pairs}, key=list(t["attribute"]).index)
        sec.add("note", L("im_not_separable", a=L.join([names[a] for a in rec]), b=L.join([names[b] for b in other])))
    ctx.key["improve_first"] = list(res.recommended["attribute"])
    ctx.key["improve_first_labels"] = [names[a] for a in res.recommended["attribute"]]
    ctx.figure(sec, res.plot(labels=names, texts=ctx.texts), L("im_fig"))
    shown = t[["attribute", "impact", "impact_ci_lower", "impact_ci_upper", "performance", "performance_ci_lower",
               "performance_ci_upper", "gain", "p_top_k", "tier", "shapley_share"]].copy()
    shown["attribute"] = [names[a] for a in shown["attribute"]]
    ctx.show(sec, shown, L("im_table"), k=res.k)
    sec.add("note", L("im_columns"))
    sec.add("note", L("im_agreement", rho=res.agreement))


# --------------------------------------------------------------------------- change since the previous wave


def build_trend(ctx: Context, sec: Section) -> None:
    L = ctx.labels
    if ctx.previous is None:
        sec.status, sec.note = "skipped", L("no_previous")
        return
    prev, cur = ctx.wave_labels
    waves = {prev: ctx.previous, cur: ctx.survey}
    frames = []
    if ctx.model is not None and ctx.method in ("pls", "both"):
        tr = csindex.trend(waves, method="pls", model=ctx.model, bootstrap=min(ctx.bootstrap, 500) or 200,
                           n_permutations=1000, seed=ctx.seed, progress=False, missing=ctx.missing)
        table = tr.table
        ctx.tables["trend_index"] = table
        tgt = ctx.key.get("satisfaction_construct")
        if tgt is not None and tgt in set(table["construct"].astype(str)):
            row = table[(table["construct"].astype(str) == tgt) & table["change"].notna()].iloc[0]
            ctx.key["wave_change"] = {"construct": tgt, "change": float(row["change"]),
                                      "ci": [float(row["change_ci_lower"]), float(row["change_ci_upper"])],
                                      "p_value": float(row["p_value"]), "index_previous": float(row["index"] - row["change"]),
                                      "index": float(row["index"])}
            wc = ctx.key["wave_change"]
            sec.p(L("t_intro", prev=prev, cur=cur))
            sec.add("html", '<div class="headline"><div class="k">' + html.escape(L("t_label")) + '</div><div class="v">'
                    + f"{wc['change']:+.1f}" + '</div><div class="d">'
                    + html.escape(L("t_detail", a=wc["index_previous"], b=wc["index"], lo=wc["ci"][0], hi=wc["ci"][1],
                                    p=p_phrase(wc["p_value"]), prev=prev, cur=cur)) + "</div></div>")
        frames.append(table.assign(construct=[L.construct(str(c)) for c in table["construct"]]))
        from ..plots import trend_chart

        chart = frames[0].assign(wave=pd.Categorical(frames[0]["wave"].astype(str), categories=[prev, cur], ordered=True))
        ctx.figure(sec, trend_chart(chart, ci_lower="ci_lower", ci_upper="ci_upper", texts=ctx.texts),
                   L("t_fig", prev=prev, cur=cur))
    attrs = attribute_constructs(ctx.survey)
    items = [i for c in attrs for i in ctx.survey.items(construct=c)]
    if items:
        cmp = csindex.compare_waves(ctx.previous, ctx.survey, labels=(prev, cur), items=items,
                                    n_resamples=1000, n_permutations=1000, seed=ctx.seed)
        diff = cmp.differences
        ctx.tables["wave_attribute_changes"] = diff
        shown = diff[["construct", "index_a", "index_b", "difference", "ci_lower", "ci_upper", "p_value"]]
        shown = _with_labels(shown[shown["construct"] != "overall"], ctx, "construct")
        shown = shown.rename(columns={"index_a": "index_previous", "index_b": "index_current"})
        ctx.show(sec, shown.reset_index(drop=True), L("t_attr_table", prev=prev, cur=cur))
        sec.add("note", L("t_test_note"))


__all__ = ["build_overview", "build_improve", "build_trend"]
