"""Report sections built on the scoring functions and the PLS/SEM engines."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import SpecError, SurveyDataError
from ._render import Section
from ._sections import Context

#: width (inches) of the path diagram drawn for phone screens: its constructs in one column, the
#: text at its natural size still 9 px or more in a 366 px column
NARROW_INCHES = 4.5

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the model


def resolve_model(model: Any, survey: Any) -> tuple[Any, str]:
    """(ModelSpec or None, display name) for ``model=``."""
    from ..spec import ModelSpec

    if model is None:
        from .. import models

        try:
            if len(models.items_from_survey(survey)) < 2:
                return None, ""
            return models.ccsi(survey), "CCSI"
        except (SpecError, SurveyDataError) as exc:  # the codebook maps too few constructs
            logger.info("no default CCSI model: %s", exc)
            return None, ""
    if isinstance(model, ModelSpec):
        return model, "custom model"
    if isinstance(model, Path) or (isinstance(model, str) and "\n" not in model and "~" not in model
                                   and model.lower() not in ("ccsi", "acsi", "ecsi", "scsb")):
        path = Path(model)
        if not path.is_file():
            raise SpecError(f"model={str(model)!r} is neither a template ('ccsi', 'acsi', 'ecsi', 'scsb'), "
                            "lavaan-style syntax nor an existing file. Check the name or the path.")
        return ModelSpec.from_lavaan(path.read_text(encoding="utf-8")), path.name
    if isinstance(model, str) and model.lower() in ("ccsi", "acsi", "ecsi", "scsb"):
        from .. import models

        return models.resolve_model(model, survey), model.upper()
    return ModelSpec.coerce(model), "custom model"


def model_hint(survey: Any) -> tuple[str, ...]:
    """The survey's constructs that a template would take by their names (``imag, expe, ...``,
    ``CUSA, PERQ, ...``) when satisfaction, expectation or image and a third are among them, else ()."""
    from .. import models

    items = survey.codebook.items
    found: dict[str, str] = {}
    for cname, role in zip(items["construct"], items["role"]):
        key = models.index_construct_of(str(cname)) if cname and role in models._INDEX_ROLES else None
        if key is not None:
            found.setdefault(key, str(cname))
    # satisfaction with expectation or image: the constructs that make a model a CSI model (a
    # corporate-reputation model's comp, perf, cusa and cusl match aliases, yet are no CSI model)
    csi = "satisfaction" in found and ("expectation" in found or "image" in found)
    return tuple(found.values()) if csi and len(found) >= 3 else ()


def _hint_template(ctx: Context) -> str:
    """The template to suggest for the constructs of ``model_hint``."""
    from .. import models

    keys = {models.index_construct_of(c) for c in ctx.model_hint}
    return "ecsi" if "complaints" in keys else "ccsi" if "image" in keys else "acsi"


def no_model_note(ctx: Context) -> str:
    """Why the model sections are empty and how to choose a model (named constructs when a template fits)."""
    L = ctx.labels
    if ctx.model_hint:
        return L("no_model_named", names=L.join(list(ctx.model_hint)), template=_hint_template(ctx))
    return L("no_model")


def later_note(ctx: Context, *, pls: bool) -> str:
    """Why a section built on the index model's results is empty: no model, the model not
    estimated, or (``pls``) estimated by SEM only."""
    L = ctx.labels
    if ctx.model is None:
        return L("no_model_short")
    return L("no_pls") if pls and ctx.method == "sem" else L("no_fit")


def build_ratio(ctx: Context, sec: Section) -> None:
    L = ctx.labels
    if not ctx.survey.pairs("expectation"):
        sec.status, sec.note = "skipped", L("no_expectation")
        return
    from ..scoring.ratio import ratio_index

    res = ratio_index(ctx.survey)
    ctx.results["ratio"] = res
    tol = float(res.settings["tol"])
    sec.p(L("r_intro", tol=tol))
    items = res.items
    constructs = res.constructs
    ctx.tables["ratio_items"] = items
    ctx.tables["ratio_constructs"] = constructs
    ctx.tables["ratio_bands"] = res.bands
    ctx.key["ratio_overall"] = float(res.overall)
    ctx.key["ratio_aggregation"] = str(res.settings["aggregation"])
    overall = constructs[constructs["construct"] == "overall"].iloc[0]
    ctx.key["ratio_overall_ci"] = [float(overall["ratio_of_means_ci_lower"]), float(overall["ratio_of_means_ci_upper"])]
    sec.add("facts", {L("r_overall", how=L("r_agg_" + str(res.settings["aggregation"]))): f"{res.overall:.3f}",
                      "mean of ratios": f"{float(overall['mean_ratio']):.3f}",
                      "ratio of means": f"{float(overall['ratio_of_means']):.3f}"})
    sec.p(L("r_bands_explained", lo=1 - tol, hi=1 + tol))
    ctx.figure(sec, _ratio_plot(res, ctx), L("r_fig"))
    shown = constructs[["construct", "n", "mean_perceived", "mean_reference", "mean_ratio", "ratio_of_means",
                        "ratio_of_means_ci_lower", "ratio_of_means_ci_upper", "band"]].copy()
    shown["band"] = [L.band(b) for b in shown["band"]]
    from ._sections import _with_labels

    ctx.show(sec, _with_labels(shown, ctx, "construct"), L("r_items"))
    bands = res.bands[(res.bands["level"] == "overall") & (res.bands["measure"] == "ratio")]
    bands = bands[["band", "n", "share", "ci_lower", "ci_upper"]].reset_index(drop=True)
    bands["band"] = [L.band(b) for b in bands["band"]]
    ctx.show(sec, bands, L("r_bands"))


def _ratio_plot(res: Any, ctx: Context) -> Any:
    return res.plot("overall", texts=ctx.texts)


def build_dual(ctx: Context, sec: Section) -> None:
    from ..scoring.dual import dual_evaluation
    from ..scoring.ipa import ipa
    from ._sections import _with_labels

    L = ctx.labels
    if not ctx.survey.pairs("importance"):
        sec.status, sec.note = "skipped", L("no_importance")
        return
    dual = dual_evaluation(ctx.survey)
    ctx.results["dual"] = dual
    sec.p(L("d_intro"))
    sec.add("facts", {"CSI (0–100)": f"{dual.overall:.1f}", "95% CI": f"[{dual.ci_lower:.1f}, {dual.ci_upper:.1f}]",
                      "CSI on the rating scale": f"{float(dual.index_raw):.2f}"})
    ctx.key["dual_index"] = dual.overall
    ctx.key["dual_index_ci"] = [float(dual.ci_lower), float(dual.ci_upper)]
    items = dual.items.merge(dual.weights[["item", "importance_item", "mean_importance"]], on="item", how="left")
    ctx.tables["dual_items"] = items
    res = ipa(ctx.survey, crosshair="mean")
    ctx.results["ipa"] = res
    table = res.items
    ctx.tables["ipa"] = table
    ctx.key["ipa_quadrant_counts"] = {str(k): int(v) for k, v in table["quadrant"].value_counts().items()}
    from ..plots import priority_matrix

    pm = priority_matrix(table.assign(name=[L.item(i) for i in table["item"]]), x="importance", y="performance",
                         texts=ctx.texts)
    ctx.figure(sec, pm, L("d_fig"))
    shown = items[["item", "mean_importance", "weight", "mean_satisfaction", "score", "contribution"]]
    ctx.show(sec, _with_labels(shown, ctx, "item"), L("d_weights"))
    shown_ipa = table[["item", "importance", "performance", "quadrant", "opportunity"]].copy()
    shown_ipa["quadrant"] = [L.quadrant(q) for q in shown_ipa["quadrant"]]
    shown_ipa = shown_ipa.rename(columns={"importance": "mean_importance", "performance": "mean_satisfaction"})
    ctx.show(sec, _with_labels(shown_ipa, ctx, "item"), L("d_ipa"))


def _driver_constructs(survey: Any) -> list[str]:
    """Attribute constructs: perception constructs outside the index model, else all perception ones."""
    table = survey.codebook.items
    percept = [i for i in survey.items(role="perception")]
    attr = [i for i in percept if not str(table.at[i, "index_construct"] or "").strip()]
    chosen = attr if len({table.at[i, "construct"] for i in attr}) >= 2 else percept
    out: list[str] = []
    for i in chosen:
        c = table.at[i, "construct"] or i
        if c not in out:
            out.append(c)
    return out


def few_attributes(ctx: Context, target: list[str], attributes: list[str], kind: str) -> str:
    """Why drivers/priorities are skipped: no satisfaction question (``no_<kind>``), or a
    satisfaction question but one attribute construct, named with its items (``one_attribute_<kind>``)."""
    L = ctx.labels
    if not target or len(attributes) != 1:
        return L(f"no_{kind}")
    table = ctx.survey.codebook.items
    (only,) = attributes
    items = [i for i in ctx.survey.items(role="perception") if (table.at[i, "construct"] or i) == only]
    found = L.construct(only) + (L("list_paren").format(L.join(items)) if len(items) > 1 else "")
    return L(f"one_attribute_{kind}", target=L.join([L.item(t) for t in target]), found=found)


def attributes_or_rows(ctx: Context, sec: Section, target: list[str], constructs: list[str],
                       kind: str) -> tuple[list[str], dict[str, str] | None] | None:
    """The attributes of the driver (``kind="target"``) or priority (``"priority"``) section and
    their row texts: two or more ``constructs`` (and None: named as constructs); or, when they
    are one construct of two or more items (the rows of one matrix question,
    :func:`csindex.priorities.matrix_rows`), those rows and row -> its text, with a note saying
    so. None when the section is skipped (its note set): no satisfaction question, fewer than
    two attributes, or a row that every respondent answered alike or nobody answered."""
    from ..priorities import matrix_rows

    L = ctx.labels
    rows = matrix_rows(ctx.survey, constructs) if target else []
    if not rows:
        if not target or len(constructs) < 2:
            sec.status, sec.note = "skipped", few_attributes(ctx, target, constructs, kind)
            return None
        return constructs, None
    question = L.construct(constructs[0])
    flat = [r for r in rows if ctx.survey.responses[r].nunique(dropna=True) < 2]
    if flat:
        sec.status, sec.note = "skipped", L("rows_flat", question=question, rows=L.join([L.row(r) for r in flat]))
        return None
    texts = {r: L.row(r) for r in rows}
    ctx.rows.update(texts)  # the engines' notes name them so too
    sec.add("note", L("rows_as_attributes", question=question, rows=L("list_paren").format(L.join(list(texts.values())))))
    return rows, texts


def build_drivers(ctx: Context, sec: Section) -> None:
    from ..scoring.drivers import driver_weights
    from ._sections import _with_labels

    L = ctx.labels
    survey = ctx.survey
    target = survey.items(role="overall_satisfaction")
    chosen = attributes_or_rows(ctx, sec, target, _driver_constructs(survey), "target")
    if chosen is None:
        return
    drivers, rows = chosen
    res = driver_weights(survey, target=target, drivers=drivers, method="shapley",
                         bootstrap=ctx.bootstrap, seed=ctx.seed)
    ctx.results["drivers"] = res
    target_name = ", ".join(L.item(t) for t in target)
    r2 = float(res.r_squared["r_squared"].iloc[0])
    sec.p(L("dr_intro", target=target_name, r2=r2))
    table = res.weights
    ctx.tables["driver_weights"] = table
    ctx.tables["driver_regression"] = res.regression
    ctx.key["driver_r_squared"] = r2
    shares = table.set_index("driver")["share"]
    ctx.key["driver_shares"] = {str(d): float(v) for d, v in shares.items()}
    ctx.key["top_driver"] = str(shares.idxmax())
    chart = table.copy()
    chart["driver"] = [L.construct(d) if rows is None else rows[d] for d in chart["driver"]]
    from ..plots import driver_chart

    has_ci = "share_ci_lower" in chart
    disp = driver_chart(chart, value="share", driver="driver", ci_lower="share_ci_lower" if has_ci else None,
                        ci_upper="share_ci_upper" if has_ci else None, texts=ctx.texts)
    ctx.figure(sec, disp, L("dr_fig"))
    cols = ["driver", "weight", "share"] + (["share_ci_lower", "share_ci_upper"] if has_ci else []) + ["rank", "mean"]
    shown = _with_labels(table[cols], ctx, "driver") if rows is None else table[cols].assign(driver=chart["driver"])
    ctx.show(sec, shown, L("dr_table"))


# --------------------------------------------------------------------------- PLS / SEM


def _fit_pls(ctx: Context) -> Any:
    from ..pls import fit_pls

    return fit_pls(ctx.survey, ctx.model, bootstrap=ctx.bootstrap, seed=ctx.seed, progress=False, missing=ctx.missing)


def is_satisfaction(name: str) -> bool:
    """Whether a model's construct is customer satisfaction (SAT, CUSA, csi, Satisfaction, ...)."""
    from .. import models

    return models.index_construct_of(str(name)) == "satisfaction" or str(name).upper().startswith("SAT")


def _target(ctx: Context) -> str | None:
    """The model's satisfaction construct (by its name or standard code), else its last endogenous one."""
    for c in ctx.model.constructs:
        if is_satisfaction(c):
            return c
    endo = list(ctx.model.endogenous)
    return endo[-1] if endo else None


def _taken_by_name(ctx: Context) -> list[tuple[str, str]]:
    """(survey construct, template construct) for each block of a template whose items form one
    survey construct of another name (CUEX taken as EXPE): how the template read the survey."""
    items = ctx.survey.codebook.items
    chosen = items.get("index_construct")
    if ctx.model_name.lower() not in ("ccsi", "acsi", "ecsi", "scsb") or (
            chosen is not None and chosen.fillna("").astype(str).str.strip().ne("").any()):
        return []  # a custom model, or the codebook chose the constructs (index_construct)
    of = items["construct"]
    pairs = []
    for block in ctx.model.blocks:
        own = {str(of.get(i, "") or "") for i in block.items}
        if len(own) == 1 and (name := own.pop()) and name != block.name:
            pairs.append((name, block.name))
    return pairs


def build_model(ctx: Context, sec: Section) -> None:
    L = ctx.labels
    if ctx.model is None:
        sec.status, sec.note = "skipped", no_model_note(ctx)
        return
    spec = ctx.model
    sec.p(L("m_intro", model=ctx.model_name, paths="; ".join(f"{L.construct(s)} → {L.construct(t)}" for s, t in spec.paths)))
    taken = _taken_by_name(ctx)
    if taken:
        sec.add("note", L("m_taken", model=ctx.model_name, pairs=L.join([f"{d} → {L.construct(c)}" for d, c in taken])))
    if ctx.method in ("pls", "both"):
        _model_pls(ctx, sec)
    if ctx.method in ("sem", "both"):
        _model_sem(ctx, sec)


def _labels_for(ctx: Context, names: Any) -> dict[str, str]:
    return {str(c): ctx.labels.construct(str(c)) for c in names}


def _model_pls(ctx: Context, sec: Section) -> None:
    from ..plots import path_diagram

    L = ctx.labels
    res = _fit_pls(ctx)
    ctx.results["pls"] = res
    sec.h3(L("m_pls"))
    q = res.quality
    n_drop = int(ctx.survey.n - res.n)
    facts = {"respondents used": f"{res.n:,} / {ctx.survey.n:,}",
             "missing answers": L("missing_" + ctx.missing, n=n_drop),
             "converged": bool(res.converged), "SRMR": f"{float(q.srmr):.3f}"}
    if res.bootstrap is not None:
        boot = res.bootstrap
        facts["bootstrap"] = L("boot_fact", valid=boot.n_valid, requested=boot.n_requested, seed=ctx.seed)
    sec.add("facts", facts)
    ctx.key["pls_n_used"] = int(res.n)
    paths = res.paths
    ctx.tables["pls_paths"] = paths
    r2 = res.r_squared
    ctx.tables["pls_r_squared"] = r2
    ctx.tables["pls_weights"] = res.weights
    ctx.tables["pls_loadings"] = res.loadings
    ctx.tables["pls_effects"] = res.effects
    r2_of = r2.set_index("construct")["r_squared"]
    ctx.key["pls_r_squared"] = {str(k): float(v) for k, v in r2_of.items()}
    ctx.key["pls_gof"] = float(q.gof)
    ctx.key["pls_srmr"] = float(q.srmr)
    tgt = _target(ctx)
    if tgt is not None and tgt in r2_of.index:
        ctx.key["pls_r_squared_satisfaction"] = float(r2_of[tgt])
    lo_hi = {str(c): (float(g["estimate"].min()), float(g["estimate"].max())) for c, g in res.loadings.groupby("construct")}
    diagram = {"layers": ctx.model, "ci": False, "labels": _labels_for(ctx, ctx.model.constructs), "loadings": lo_hi,
               "texts": ctx.texts}
    ctx.figure(sec, path_diagram(paths, res.r_squared, **diagram), L("m_pls_fig"),
               narrow=path_diagram(paths, res.r_squared, max_width=NARROW_INCHES, **diagram))
    shown = paths.assign(source=[L.construct(c) for c in paths["source"]],
                         target=[L.construct(c) for c in paths["target"]])
    ctx.show(sec, shown, L("m_paths"))
    sec.add("note", L("m_paths_test"))
    ctx.show(sec, r2.assign(construct=[L.construct(c) for c in r2["construct"]]), L("m_r2"))


def _model_sem(ctx: Context, sec: Section) -> None:
    from ..plots import path_diagram
    from ..sem import fit_sem

    L = ctx.labels
    # FIML uses every respondent as EM does for PLS; listwise stays listwise (SEM has no mean fill-in,
    # so missing="mean" also maps to FIML, the full-information counterpart)
    sem_missing = "listwise" if ctx.missing == "listwise" else "fiml"
    res = fit_sem(ctx.survey, ctx.model, progress=False, missing=sem_missing)
    ctx.key["sem_n_used"] = int(res.n)
    ctx.key["sem_missing"] = sem_missing
    ctx.results["sem"] = res
    sec.h3(L("m_sem"))
    fi = res.fit_indices
    from ._format import p_text

    facts = {"respondents used": f"{res.n:,} / {ctx.survey.n:,}",
             "missing answers": L("missing_sem_" + sem_missing, n=int(ctx.survey.n - res.n)),
             "converged": bool(res.converged),
             "χ² (df, p)": f"{fi['chi2']:.1f} ({fi['df']:.0f}, p {'' if fi['pvalue'] < 0.001 else '= '}{p_text(fi['pvalue'])})",
             "CFI": f"{fi['cfi']:.3f}", "TLI": f"{fi['tli']:.3f}",
             "RMSEA [90% CI]": f"{fi['rmsea']:.3f} [{fi['rmsea_ci_lower']:.3f}, {fi['rmsea_ci_upper']:.3f}]",
             "SRMR": f"{fi['srmr']:.3f}"}
    sec.add("facts", facts)
    fit = fi.rename_axis("measure").reset_index(name="value")
    ctx.tables["sem_fit"] = fit
    ctx.tables["sem_paths"] = res.paths
    ctx.tables["sem_estimates"] = res.estimates
    ctx.key["sem_fit"] = {k: float(fi[k]) for k in ("chi2", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")}
    r2_sem = res.r_squared.set_index("construct")["r_squared"]
    ctx.key["sem_r_squared"] = {str(k): float(v) for k, v in r2_sem.items()}
    tgt = _target(ctx)
    if tgt is not None and tgt in r2_sem.index:
        ctx.key["sem_r_squared_satisfaction"] = float(r2_sem[tgt])
    std = res.paths[["source", "target", "std_all", "p_value"]].rename(columns={"std_all": "estimate"})
    est = res.estimates[res.estimates["op"] == "=~"]
    lo_hi = {str(c): (float(g["std_all"].min()), float(g["std_all"].max())) for c, g in est.groupby("lhs")}
    diagram = {"layers": ctx.model, "ci": False, "labels": _labels_for(ctx, ctx.model.constructs), "loadings": lo_hi,
               "texts": ctx.texts}
    ctx.figure(sec, path_diagram(std, r2_sem, **diagram), L("m_sem_fig"),
               narrow=path_diagram(std, r2_sem, max_width=NARROW_INCHES, **diagram))
    sp = res.paths
    ctx.show(sec, sp.assign(source=[L.construct(c) for c in sp["source"]], target=[L.construct(c) for c in sp["target"]]),
             L("m_paths") + " (SEM)")
    sec.add("note", L("m_sem_test"))
    r2 = res.r_squared
    ctx.tables["sem_r_squared"] = r2
    ctx.show(sec, r2.assign(construct=[L.construct(c) for c in r2["construct"]]), L("m_r2") + " (SEM)")


def build_index(ctx: Context, sec: Section) -> None:
    L = ctx.labels
    pls, sem = ctx.results.get("pls"), ctx.results.get("sem")
    if pls is None and sem is None:
        sec.status, sec.note = "skipped", later_note(ctx, pls=False)
        return
    from ..plots import index_chart
    from ._sections import _with_labels

    if pls is not None:
        sec.p(L("i_intro"))
    if sem is not None:
        sec.p(L("i_sem"))
    tgt = _target(ctx)
    frames = []
    if pls is not None:
        idx = pls.index
        ctx.tables["pls_index"] = idx
        ctx.tables["pls_index_weights"] = pls.index_weights
        ctx.key["pls_index"] = {str(r.construct): float(r.index) for r in idx.itertuples()}
        frames.append(idx.assign(method="PLS"))
    if sem is not None:
        sidx = sem.index
        ctx.tables["sem_index"] = sidx
        ctx.key["sem_index"] = {str(r.construct): float(r.index) for r in sidx.itertuples()}
        frames.append(sidx.assign(method="SEM"))
    if tgt is not None:
        ctx.key["satisfaction_construct"] = str(tgt)
    for frame in frames:
        method = frame["method"].iloc[0].lower()
        if tgt is not None and tgt in set(frame["construct"]):
            row = frame.set_index("construct").loc[tgt]
            ctx.key[f"{method}_satisfaction_index"] = float(row["index"])
            if "ci_lower" in frame.columns and pd.notna(row["ci_lower"]):
                ctx.key[f"{method}_satisfaction_index_ci"] = [float(row["ci_lower"]), float(row["ci_upper"])]
    both = pd.concat(frames, ignore_index=True)
    has_ci = "ci_lower" in both.columns and bool(both["ci_lower"].notna().all())
    chart = both.assign(construct=[L.construct(c) for c in both["construct"]])
    disp = index_chart(chart, ci_lower="ci_lower" if has_ci else None, ci_upper="ci_upper" if has_ci else None,
                       group="method" if len(frames) > 1 else None, texts=ctx.texts)
    ctx.figure(sec, disp, L("i_fig"))
    # no t or p values: they would test "index = 0", which no one asks
    cols = (["method"] if len(frames) > 1 else []) + ["construct", "index"] + [
        c for c in ("ci_lower", "ci_upper") if c in both.columns]
    ctx.show(sec, _with_labels(both[cols], ctx, "construct"), L("i_table"))


def build_ipma(ctx: Context, sec: Section) -> None:
    """Construct-level priority matrix of the index model (item-level values go to the files)."""
    L = ctx.labels
    res = ctx.results.get("pls")
    if res is None:
        sec.status, sec.note = "skipped", later_note(ctx, pls=True)
        return
    from ..plots import priority_matrix

    tgt = _target(ctx)
    tname = L.construct(tgt)
    sec.p(L("p_intro", target=tname))
    cons = res.ipma(tgt)
    items = res.ipma(tgt, level="item")
    pm = priority_matrix(cons.assign(name=[L.construct(c) for c in cons["construct"]]), texts=ctx.texts)
    quad = dict(zip(cons["construct"], pm.data["quadrant"]))
    cons = cons.assign(quadrant=[quad[c] for c in cons["construct"]])
    ctx.figure(sec, pm, L("p_fig", target=tname))
    ctx.tables["pls_ipma"] = cons
    ctx.tables["pls_ipma_items"] = items
    ctx.key["pls_ipma_target"] = str(tgt)
    from ._sections import _with_labels

    shown = cons.assign(quadrant=[L.quadrant(x) for x in cons["quadrant"]])
    ctx.show(sec, _with_labels(shown, ctx, "construct"), L("p_table"))
    sec.add("note", L("p_quadrants"))


__all__ = ["resolve_model", "build_ratio", "build_dual", "build_drivers", "build_model", "build_index", "build_ipma"]
