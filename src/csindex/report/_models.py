"""Report sections built on the scoring functions and the PLS/SEM engines."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from ..exceptions import SpecError
from ._render import Section
from ._sections import Context, _has

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the model


def resolve_model(model: Any, survey: Any) -> tuple[Any, str]:
    """(ModelSpec or None, display name) for ``model=``."""
    from ..spec import ModelSpec

    if model is None:
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
        raise SpecError(f"The {model.upper()} template is not available in this csindex build.")
    return ModelSpec.coerce(model), "custom model"


def _skip_engine(ctx: Context, sec: Section, what: str) -> None:
    sec.status, sec.note = "skipped", ctx.labels("no_engine", what=what)


def build_ratio(ctx: Context, sec: Section) -> None:
    if not _has("csindex.scoring.ratio"):
        return _skip_engine(ctx, sec, "csindex.scoring.ratio")


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
