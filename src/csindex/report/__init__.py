"""The csindex report: one call from survey data to a self-contained HTML report and data files.

:func:`report` runs every analysis that the data supports (data quality, simple-method
scores, NPS and the loyalty matrix, C = b/a, dual evaluation with IPA, Shapley driver
weights, the PLS and/or SEM index model with 0-100 indices, the priority matrix and the
reliability/validity criteria) and writes, into one folder:

* ``index.html`` -- the report; CSS inline, figures embedded as ``data:`` PNG images, no
  script and no reference to anything outside the file (it opens offline);
* ``results.json`` -- settings, the key numbers and every table as records;
* one tidy CSV file per table;
* ``csindex-report.xlsx`` -- the same tables, one sheet each (needs ``openpyxl``).

Examples
--------
>>> import csindex, tempfile
>>> with tempfile.TemporaryDirectory() as tmp:  # doctest: +SKIP
...     res = csindex.report(out=tmp, bootstrap=200, seed=1)
...     res.index_html.name
'index.html'
"""

from __future__ import annotations

import datetime as _dt
import logging
import sys
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._export import write_csv, write_xlsx
from .._summary import Summary, SummaryMixin
from .._params import check_param
from .._validation import check_option, did_you_mean
from ..exceptions import CsindexError, SurveyDataError
from ._files import OutputFolder, check_out
from ._i18n import LANGS, Labels
from ._render import Section, render_html, table_records, write_json
from ._sections import (
    Context,
    build_about,
    build_improve,
    build_kpi,
    build_overview,
    build_quality,
    build_segments,
    build_simple,
)

__all__ = ["ReportResult", "report", "DEFAULT_BOOTSTRAP", "TEMPLATES"]

logger = logging.getLogger(__name__)

#: bootstrap resamples of the PLS model by default (the whole sample report stays well under 60 s)
DEFAULT_BOOTSTRAP = 1000

#: model template names accepted by ``model=``
TEMPLATES = ("ccsi", "acsi", "ecsi", "scsb")

EXCEL_NAME = "csindex-report.xlsx"


@dataclass(frozen=True, repr=False)
class ReportResult(SummaryMixin):
    """What :func:`report` wrote.

    Attributes
    ----------
    out : pathlib.Path
        The output folder.
    index_html : pathlib.Path
        The self-contained HTML report.
    results_json : pathlib.Path
        Settings, key numbers and all tables as JSON.
    excel : pathlib.Path or None
        The Excel workbook (None when ``openpyxl`` is missing and ``excel=None``).
    csv_files : tuple of pathlib.Path
        One tidy CSV per table.
    sections : pandas.DataFrame
        ``id, title, status, note`` per section (status ``ok``, ``skipped`` or ``failed``).
    tables : dict
        Table name -> DataFrame (the content of the CSV files).
    key_numbers : dict
        The headline numbers (also in ``results.json``).
    n_figures : int
        Figures embedded in the HTML page.
    settings : dict
        The options used (method, bootstrap, seed, lang, model, ...).
    elapsed : float
        Seconds taken.
    """

    out: Path
    index_html: Path
    results_json: Path
    excel: Path | None
    csv_files: tuple[Path, ...]
    sections: pd.DataFrame
    tables: Mapping[str, pd.DataFrame]
    key_numbers: Mapping[str, Any]
    n_figures: int
    settings: Mapping[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0

    def summary(self) -> Summary:
        """Where the report is and which sections it has."""
        facts = {"report": str(self.index_html), "figures": self.n_figures, "tables": len(self.tables),
                 "seconds": round(self.elapsed, 1)}
        return Summary("csindex report", facts=facts, tables={"Sections": self.sections})


# --------------------------------------------------------------------------- inputs


def _load(data: Any, codebook: Any, scale: Any, on_invalid: str = "raise") -> Any:
    from ..io import load_survey
    from ..survey import Survey

    if data is None:
        if codebook is not None:
            raise SurveyDataError("codebook= was given without data=; pass the survey file or DataFrame too "
                                  "(without both, the bundled sample airline survey is used).")
        from .. import datasets

        return datasets.airline()
    if isinstance(data, Survey):
        if codebook is not None:
            raise SurveyDataError("data= is already a Survey with its codebook; leave codebook= out, or pass "
                                  "the raw file or DataFrame with codebook=.")
        return data
    if isinstance(data, (str, Path, pd.DataFrame)):
        return load_survey(data, codebook, scale=scale, on_invalid=on_invalid)
    raise SurveyDataError(f"data= must be a file path, a pandas DataFrame, a Survey or None (the bundled sample); "
                          f"got {type(data).__name__}.")


def _progress_enabled(progress: bool | None) -> bool:
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


# --------------------------------------------------------------------------- main entry point


def report(
    data: Any = None,
    *,
    codebook: Any = None,
    model: Any = None,
    method: str = "pls",
    out: str | Path = "csindex-report",
    lang: str = "en",
    bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int | None = 2024,
    scale: tuple[float, float] | None = None,
    on_invalid: str = "raise",
    by: str | None = None,
    excel: bool | None = None,
    progress: bool | None = None,
) -> ReportResult:
    """Analyse a survey and write a self-contained HTML report plus machine-readable files.

    Parameters
    ----------
    data : str, Path, DataFrame, Survey or None
        The survey (a file read by :func:`csindex.load_survey`, a DataFrame, or a loaded
        :class:`~csindex.survey.Survey`). ``None`` uses the bundled sample airline survey.
    codebook : str, Path, dict or Codebook, optional
        Codebook of ``data`` (file or DataFrame only).
    model : str or ModelSpec, optional
        Index model: one of ``"ccsi"``, ``"acsi"``, ``"ecsi"``, ``"scsb"`` (templates mapped
        to the data through the codebook's ``index_construct`` column), lavaan-style syntax,
        a path to a file holding it, or a :class:`~csindex.spec.ModelSpec`. By default the
        CCSI template when the codebook maps the index constructs, else no model sections.
    method : {"pls", "sem", "both"}
        Estimate the model by PLS path modeling (0-100 indices, IPMA), covariance-based
        SEM (semopy), or both.
    out : str or Path
        Output folder (created if missing). Checked before the analysis: an empty name, an
        existing file or a symbolic link among the entries the report writes is a
        :class:`~csindex.exceptions.ParameterError`. The files are written into a temporary
        folder next to it and moved in at the end, so a failure leaves the previous output
        whole; files of the same name are replaced, files an earlier report listed in its
        ``results.json`` manifest and this one does not write are removed, every other file
        is kept.
    lang : {"en", "zh"}
        Language of headings, captions and labels (Chinese uses the codebook's
        ``label_zh``).
    bootstrap : int
        Bootstrap resamples for the percentile intervals of the PLS paths, indices and
        HTMT and of the driver shares. The default 1000 keeps the whole report on the
        1,000-respondent sample under 10 s; 0 skips the bootstrap (the SEM indices keep
        their Wald intervals).
    seed : int or None
        Seed of every resampling step (stored in ``results.json``).
    scale : (min, max), optional
        Scale of rated items when the codebook gives none.
    on_invalid : {"raise", "nan"}
        Invalid cells of a data file (off the scale, text in a numeric item): raise (default)
        or treat them as missing; they are counted in the data-quality section either way.
    by : str, optional
        A profile column (e.g. ``"route"``): adds a section with the simple-method scores
        of each of its groups (:func:`csindex.simple_scores` with ``by=``).
    excel : bool or None
        Write the Excel workbook: ``True`` requires ``openpyxl`` (raises
        :class:`~csindex.exceptions.MissingDependencyError` naming the extra when it is
        missing), ``False`` skips it, ``None`` writes it when ``openpyxl`` is installed.
    progress : bool or None
        Show a progress bar on stderr; ``None`` shows it only when stderr is a terminal.

    Returns
    -------
    ReportResult

    Raises
    ------
    SurveyDataError, CodebookError, SpecError
        Bad data, codebook or model (one clear message).

    Examples
    --------
    >>> import csindex, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     df = csindex.datasets.airline().responses[["SAT1", "SAT2", "SAT3"]]
    ...     res = report(df, scale=(1, 10), out=tmp, excel=False, progress=False)
    ...     (pathlib.Path(tmp) / "index.html").exists(), res.key_numbers["n_respondents"]
    (True, 1000)
    """
    start = time.perf_counter()
    check_option("method", method, ("pls", "sem", "both"), "report()")
    check_option("lang", lang, LANGS, "report()")
    check_option("on_invalid", on_invalid, ("raise", "nan"), "report()")
    bootstrap = check_param("bootstrap", bootstrap, where="report()")
    if excel is True:
        from .._deps import require

        require("openpyxl", "Writing the report's Excel workbook")
    target = check_out(out)
    survey = _load(data, codebook, scale, on_invalid)
    if by is not None and by not in survey.responses.columns:
        raise SurveyDataError(f"by={by!r} is not a column of the survey.{did_you_mean(str(by), list(survey.responses.columns))}")
    labels = Labels(lang, survey.codebook.items)
    ctx = Context(survey=survey, labels=labels, method=method, bootstrap=bootstrap, seed=seed, by=by)
    from . import _models

    ctx.model, ctx.model_name = _models.resolve_model(model, survey)

    sections: dict[str, Section] = {}
    plan: list[tuple[str, str, Any]] = [
        ("overview", "sec_overview", None),  # filled last
        ("data-quality", "sec_quality", build_quality),
        ("simple-scores", "sec_simple", build_simple),
        *([("segments", "sec_segments", build_segments)] if by is not None else []),
        ("kpi", "sec_kpi", build_kpi),
        ("ratio", "sec_ratio", _models.build_ratio),
        ("dual-ipa", "sec_dual", _models.build_dual),
        ("drivers", "sec_drivers", _models.build_drivers),
        ("model", "sec_model", _models.build_model),
        ("index", "sec_index", _models.build_index),
        ("ipma", "sec_ipma", _models.build_ipma),
        ("reliability", "sec_reliability", _models.build_reliability),
        ("improve", "sec_improve", None),
        ("about", "sec_about", None),
    ]
    for sid, key, _ in plan:
        sections[sid] = Section(sid, labels(key))

    from tqdm.auto import tqdm

    steps = [p for p in plan if p[2] is not None]
    bar = tqdm(total=len(steps) + 1, desc="csindex report", unit="step", disable=not _progress_enabled(progress),
               file=sys.stderr, leave=False)
    try:
        import matplotlib

        backend_ctx = matplotlib.rc_context()  # never leak rcParams changes
        with backend_ctx:
            for sid, _key, builder in steps:
                bar.set_postfix_str(sid)
                _run(builder, ctx, sections[sid])
                bar.update(1)
            _run(build_improve, ctx, sections["improve"])
            _run(build_overview, ctx, sections["overview"])
            out_dir = Path(out)
            settings = _settings(ctx, survey, method, bootstrap, seed, lang, out_dir)
            build_about(ctx, sections["about"], settings)
            bar.set_postfix_str("writing files")
            result = _write(ctx, sections, settings, target, excel, start)
            bar.update(1)
    finally:
        bar.close()
    return result


def _run(builder: Any, ctx: Context, sec: Section) -> None:
    """Run one section builder: warnings become notes, errors mark the section failed."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            builder(ctx, sec)
        except CsindexError as exc:
            sec.status, sec.note = "failed", " ".join(str(exc).split())
            logger.warning("report section %r failed: %s", sec.id, exc)
        except Exception as exc:  # noqa: BLE001 - one broken section must not lose the whole report
            sec.status, sec.note = "failed", f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            logger.exception("report section %r failed", sec.id)
    seen: set[str] = set()
    for w in caught:
        text = " ".join(str(w.message).split())
        if text not in seen and "FigureCanvasAgg is non-interactive" not in text:
            seen.add(text)
            sec.warnings.append(f"{w.category.__name__}: {text}")
            logger.info("report section %r: %s", sec.id, text)


def _settings(ctx: Context, survey: Any, method: str, bootstrap: int, seed: Any, lang: str,
              out: Path) -> dict[str, Any]:
    from .. import __version__

    return {
        "csindex_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "source": str(survey.source),
        "respondents": int(survey.n),
        "weighted": survey.weights is not None,
        "model": ctx.model_name or "none",
        "method": method,
        "bootstrap": bootstrap,
        "seed": seed,
        "lang": lang,
        "by": ctx.by,
        "out": str(out),
    }


def _write(ctx: Context, sections: Mapping[str, Section], settings: dict[str, Any], target: Path,
           excel: bool | None, start: float) -> ReportResult:
    """Write every file into a temporary folder, then move them into ``target`` at once."""
    import importlib.util

    L = ctx.labels
    tables = dict(ctx.tables)
    write_excel_now = excel is True or (excel is None and importlib.util.find_spec("openpyxl") is not None)
    csv_names = [f"{name}.csv" for name in tables]
    file_names = ["index.html", "results.json", *([EXCEL_NAME] if write_excel_now else []), *csv_names]
    about = sections["about"]
    about.h3(L("files"))
    about.add("html", "<p>" + ", ".join(f"<code>{n}</code>" for n in file_names) + "</p>")
    sec_table = pd.DataFrame([{"id": s.id, "title": s.title, "status": s.status, "note": s.note}
                              for s in sections.values()])
    subtitle = (f"{L('source')}: {settings['source']} · {settings['respondents']:,} {L('respondents')}"
                + (f" · {ctx.model_name}" if ctx.model_name else ""))
    page = render_html(title=L("title"), subtitle=subtitle, lang=ctx.lang, sections=list(sections.values()),
                       labels=L, footer=L("generated", version=settings["csindex_version"], date=settings["created"]))
    payload = {
        "settings": settings,
        "key_numbers": ctx.key,
        "sections": sec_table.to_dict(orient="records"),
        "files": file_names,
        "tables": {name: table_records(df) for name, df in tables.items()},
        "manifest": file_names,  # what this run wrote: the next run removes only these
    }
    with OutputFolder(target) as folder:
        for name, df in tables.items():
            write_csv(folder.path(f"{name}.csv"), df)
        folder.path("index.html").write_text(page, encoding="utf-8")
        if write_excel_now:
            write_xlsx(folder.path(EXCEL_NAME), tables)
        write_json(folder.path("results.json"), payload)
        folder.commit()
    return ReportResult(
        out=target, index_html=target / "index.html", results_json=target / "results.json",
        excel=target / EXCEL_NAME if write_excel_now else None,
        csv_files=tuple(target / n for n in csv_names), sections=sec_table, tables=tables, key_numbers=dict(ctx.key),
        n_figures=ctx.n_figures, settings=settings, elapsed=time.perf_counter() - start,
    )


class _CallableModule(type(sys)):
    """``csindex.report`` is the function :func:`report`; when the submodule was imported
    explicitly first (``from csindex.report import ReportResult``) the package attribute is
    this module, which is then callable the same way."""

    def __call__(self, *args: Any, **kwargs: Any) -> ReportResult:
        return report(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
