"""Report sections built on the scoring functions and the PLS/SEM engines."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from ..exceptions import SpecError, SurveyDataError
from ._render import Section
from ._sections import Context, _has

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the model


def resolve_model(model: Any, survey: Any) -> tuple[Any, str]:
    """(ModelSpec or None, display name) for ``model=``."""
    from ..spec import ModelSpec

    if model is None:
        if not _has("csindex.models"):
            return None, ""
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
        if not _has("csindex.models"):
            raise SpecError(f"The {model.upper()} template is not available in this csindex build.")
        from .. import models

        return models.template(model.lower(), survey), model.upper()
    return ModelSpec.coerce(model), "custom model"


def _skip_engine(ctx: Context, sec: Section, what: str) -> None:
    sec.status, sec.note = "skipped", ctx.labels("no_engine", what=what)


def build_ratio(ctx: Context, sec: Section) -> None:
    if not _has("csindex.scoring.ratio"):
        return _skip_engine(ctx, sec, "csindex.scoring.ratio")
    L = ctx.labels
    if not ctx.survey.pairs("expectation"):
        sec.status, sec.note = "skipped", L("no_expectation")
        return
    from ..scoring.ratio import ratio_index

    res = ratio_index(ctx.survey)
    ctx.results["ratio"] = res
    tol = float(res.settings["tol"])
    sec.p(L("r_intro", tol=tol))
    items = res.items.reset_index()
    constructs = res.constructs.reset_index()
    ctx.tables["ratio_items"] = items
    ctx.tables["ratio_constructs"] = constructs
    ctx.tables["ratio_bands"] = res.bands
    ctx.key["ratio_overall"] = float(res.index)
    ctx.key["ratio_aggregation"] = str(res.settings["aggregation"])
    overall = constructs[constructs["construct"] == "overall"].iloc[0]
    ctx.key["ratio_overall_ci"] = [float(overall["ratio_of_means_ci_lower"]), float(overall["ratio_of_means_ci_upper"])]
    sec.add("facts", {"C = b/a (overall, " + str(res.settings["aggregation"]).replace("_", " ") + ")": float(res.index),
                      "mean of ratios": float(overall["mean_ratio"]),
                      "ratio of means": float(overall["ratio_of_means"])})
    ctx.figure(sec, res.plot("overall"), L("r_fig"))
    shown = constructs[["construct", "n", "mean_perceived", "mean_reference", "mean_ratio", "ratio_of_means",
                        "ratio_of_means_ci_lower", "ratio_of_means_ci_upper", "band"]].copy()
    shown["band"] = [L.band(b) for b in shown["band"]]
    from ._sections import _with_labels

    sec.add("table", L.columns(_with_labels(shown, ctx, "construct")), L("r_items"))
    bands = res.bands[(res.bands["level"] == "overall") & (res.bands["measure"] == "ratio")]
    bands = bands[["band", "n", "share", "ci_lower", "ci_upper"]].reset_index(drop=True)
    bands["band"] = [L.band(b) for b in bands["band"]]
    sec.add("table", L.columns(bands), L("r_bands"))


def build_dual(ctx: Context, sec: Section) -> None:
    if not _has("csindex.scoring.dual"):
        return _skip_engine(ctx, sec, "csindex.scoring.dual")


def build_drivers(ctx: Context, sec: Section) -> None:
    if not _has("csindex.scoring.drivers"):
        return _skip_engine(ctx, sec, "csindex.scoring.drivers")


def build_model(ctx: Context, sec: Section) -> None:
    if ctx.model is None:
        sec.status, sec.note = "skipped", ctx.labels("no_model")
        return


def build_index(ctx: Context, sec: Section) -> None:
    if "pls" not in ctx.results:
        sec.status, sec.note = "skipped", ctx.labels("no_pls") if ctx.model is not None else ctx.labels("no_model")


def build_ipma(ctx: Context, sec: Section) -> None:
    if "pls" not in ctx.results:
        sec.status, sec.note = "skipped", ctx.labels("no_pls") if ctx.model is not None else ctx.labels("no_model")


def build_reliability(ctx: Context, sec: Section) -> None:
    if "pls" not in ctx.results and "sem" not in ctx.results:
        sec.status, sec.note = "skipped", ctx.labels("no_model")


__all__ = ["resolve_model", "build_ratio", "build_dual", "build_drivers", "build_model", "build_index",
           "build_ipma", "build_reliability", "importlib"]
