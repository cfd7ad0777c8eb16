"""Appendices of the report page: model-quality details and the formulas used."""

from __future__ import annotations

import html

from ._models import later_note
from ._render import Section
from ._sections import Context, _with_labels

#: formula ids shown in the "Methods and formulas" appendix (texts in the locale files)
FORMULAS = ("simple", "index", "ipma", "priority", "dual", "ratio", "nps", "shapley", "reliability", "htmt",
            "vif", "f2", "bootstrap", "permutation", "missing")


def build_quality_details(ctx: Context, sec: Section) -> None:
    """Reliability, loadings, VIF, f², HTMT, Fornell-Larcker and total effects of the index model."""
    L = ctx.labels
    res = ctx.results.get("pls")
    sem = ctx.results.get("sem")
    if res is None and sem is None:
        sec.status, sec.note = "skipped", later_note(ctx, pls=False)
        return
    sec.p(L("v_intro"))
    con = L.construct
    if res is not None:
        q = res.quality
        rel = q.reliability
        ctx.tables["pls_reliability"] = rel
        ctx.key["pls_reliability"] = {str(r.construct): {"alpha": float(r.alpha), "rho_c": float(r.rho_c),
                                                          "ave": float(r.ave)} for r in rel.itertuples()}
        ctx.show(sec, _with_labels(rel.drop(columns=["mode"], errors="ignore"), ctx, "construct"), L("v_table"))
        loads = res.loadings
        ctx.show(sec, _with_labels(loads.drop(columns=["p_value"], errors="ignore"), ctx, "item"), L("v_loadings"))
        sec.add("note", L("v_loadings_note"))
        vif = q.vif
        ctx.tables["pls_vif"] = vif
        ctx.show(sec, vif.assign(source=[con(c) for c in vif["source"]], target=[con(c) for c in vif["target"]]),
                 L("v_vif"))
        f2 = q.f_squared
        ctx.tables["pls_f_squared"] = f2
        ctx.show(sec, f2.assign(source=[con(c) for c in f2["source"]], target=[con(c) for c in f2["target"]]),
                 L("v_f2"))
        htmt = q.htmt
        ctx.tables["pls_htmt"] = htmt
        ctx.show(sec, htmt.assign(construct_a=[con(c) for c in htmt["construct_a"]],
                                  construct_b=[con(c) for c in htmt["construct_b"]]), L("v_htmt"))
        if "p_value" in htmt.columns:
            sec.add("note", L("v_htmt_test"))
        fl = q.fornell_larcker.copy()
        fl.index = [con(c) for c in fl.index]
        fl.columns = [con(c) for c in fl.columns]
        fl.index.name = "construct"
        ctx.tables["pls_fornell_larcker"] = q.fornell_larcker.rename_axis("construct").reset_index()
        ctx.show(sec, fl, L("v_fl"))
        eff = res.effects
        ctx.show(sec, eff.assign(source=[con(c) for c in eff["source"]], target=[con(c) for c in eff["target"]]),
                 L("v_effects"))
        sec.add("note", L("v_effects_test"))
    if sem is not None:
        est = sem.estimates
        loads = est[est["op"] == "=~"][["lhs", "rhs", "estimate", "std_all", "p_value"]]
        loads = loads.rename(columns={"lhs": "construct", "rhs": "item"}).reset_index(drop=True)
        ctx.tables["sem_loadings"] = loads
        ctx.show(sec, _with_labels(loads, ctx, "item"), L("v_sem_loadings"))


def build_formulas(ctx: Context, sec: Section) -> None:
    """Every formula the report uses, with its source."""
    L = ctx.labels
    sec.p(L("f_intro"))
    parts = ['<dl class="formulas">']
    for key in FORMULAS:
        parts.append(f"<dt>{html.escape(L(f'f_{key}'))}</dt><dd>{html.escape(L(f'f_{key}_text'))}</dd>")
    parts.append("</dl>")
    sec.add("html", "".join(parts))


__all__ = ["build_quality_details", "build_formulas"]
