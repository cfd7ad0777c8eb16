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
import os
import re
import sys
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._db import source_label
from .._export import write_csv, write_xlsx
from .._summary import Summary, SummaryMixin
from .._params import check_param
from .._validation import check_option, did_you_mean
from ..exceptions import CsindexError, ParameterError, SurveyDataError
from ._files import OutputFolder, check_out
from ._i18n import LANGS, Labels, ambiguous
from ._parallel import SecondProcess, run_steps
from ._render import Section, render_html, table_records, write_json
from ._sections import Context, build_about, build_kpi, build_quality, build_segments, build_simple

__all__ = ["ReportResult", "report", "DEFAULT_BOOTSTRAP", "DEFAULT_MISSING", "TEMPLATES"]

logger = logging.getLogger(__name__)

#: bootstrap resamples of the PLS model by default (the whole sample report stays well under 60 s)
DEFAULT_BOOTSTRAP = 1000

#: model template names accepted by ``model=``
TEMPLATES = ("ccsi", "acsi", "ecsi", "scsb")

EXCEL_NAME = "csindex-report.xlsx"

#: missing-answer handling of the report's PLS models (switch to "em" once fit_pls offers it)
DEFAULT_MISSING = "em"  # every respondent: EM for PLS, FIML for CB-SEM (issue: use every respondent)


def missing_options() -> tuple[str, ...]:
    """The ``missing=`` settings the PLS engine of this build accepts."""
    from ..pls.estimate import MISSING

    return tuple(MISSING)


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
    processes : int
        Processes that ran the sections (2 when ``n_jobs`` allowed a forked second one).
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
    processes: int = 1

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
    missing: str = DEFAULT_MISSING,
    previous: Any = None,
    wave: str | None = None,
    n_jobs: int | None = 1,
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
    missing : {"listwise", "mean", "em"}
        How the PLS models (index model and the attribute model of "What to improve
        first") treat missing answers (``"em"`` where :func:`csindex.fit_pls` offers it).
    previous : str, Path, DataFrame or Survey, optional
        The previous wave (same questionnaire; a file is read with ``codebook``): adds the
        section "Change since the previous wave".
    wave : str, optional
        A column of ``data`` holding the wave: the report covers its last wave (in sorted
        order) and compares it with the one before. Not together with ``previous``.
    n_jobs : int or None
        Processes for the sections: ``1`` (default, also ``None``) runs them one after the
        other; ``2`` or ``-1`` (all cores, used by the ``csindex report`` command) runs the
        descriptive sections in a forked second process while this one fits the index
        model, which nearly halves the time on two cores. The numbers and the page are the
        same either way. Needs ``fork`` (Linux) and an int or None ``seed``; elsewhere the
        sections run one after the other.

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
    check_option("missing", missing, missing_options(), "report()")
    if previous is not None and wave is not None:
        raise ParameterError("report() takes either previous= (the previous wave's data) or wave= (a wave column "
                             "of data), not both; drop one of them.")
    bootstrap = check_param("bootstrap", bootstrap, where="report()")
    n_jobs = check_param("n_jobs", n_jobs, where="report()")
    if excel is True:
        from .._deps import require

        require("openpyxl", "Writing the report's Excel workbook")
    target = check_out(out)
    survey = _load(data, codebook, scale, on_invalid)
    prev_survey, wave_labels = None, ("previous wave", "this wave")
    if previous is not None:
        prev_survey = _load(previous, codebook if not hasattr(previous, "codebook") else None, scale, on_invalid)
    elif wave is not None:
        survey, prev_survey, wave_labels = _split_waves(survey, wave)
    _warn_missing_cjk_font(lang)
    if by is not None and by not in survey.responses.columns:
        raise SurveyDataError(f"by={by!r} is not a column of the survey.{did_you_mean(str(by), list(survey.responses.columns))}")
    labels = Labels(lang, survey.codebook.items)
    ctx = Context(survey=survey, labels=labels, method=method, bootstrap=bootstrap, seed=seed, by=by, missing=missing,
                  previous=prev_survey, wave_labels=(labels("wave_previous"), labels("wave_current"))
                  if previous is not None else wave_labels)
    from . import _appendix, _headline, _models

    ctx.model, ctx.model_name = _models.resolve_model(model, survey)
    if ctx.model is not None and ctx.model_name.lower() not in ("ccsi", "acsi", "ecsi", "scsb"):
        labels.as_written = ambiguous(ctx.model.constructs)  # the user's own COMP need not be complaints
    if ctx.model is None:
        ctx.model_hint = _models.model_hint(survey)

    sections: dict[str, Section] = {}
    # (id, title key, builder, run order): the overview is built last but shown first
    plan: list[tuple[str, str, Any, int]] = [
        ("overview", "sec_overview", _headline.build_overview, 99),
        ("improve", "sec_improve", _headline.build_improve, 20),
        *([("trend", "sec_trend", _headline.build_trend, 21)] if prev_survey is not None else []),
        ("data-quality", "sec_quality", build_quality, 1),
        ("simple-scores", "sec_simple", build_simple, 2),
        *([("segments", "sec_segments", build_segments, 3)] if by is not None else []),
        ("kpi", "sec_kpi", build_kpi, 4),
        ("ratio", "sec_ratio", _models.build_ratio, 5),
        ("dual-ipa", "sec_dual", _models.build_dual, 6),
        ("drivers", "sec_drivers", _models.build_drivers, 7),
        ("model", "sec_model", _models.build_model, 8),
        ("index", "sec_index", _models.build_index, 9),
        ("ipma", "sec_ipma", _models.build_ipma, 10),
        ("appendix-quality", "sec_quality_details", _appendix.build_quality_details, 30),
        ("appendix-formulas", "sec_formulas", _appendix.build_formulas, 31),
        ("about", "sec_about", None, 100),
    ]
    for sid, key, _, _ in plan:
        sections[sid] = Section(sid, labels(key))

    steps = sorted((p for p in plan if p[2] is not None), key=lambda p: p[3])
    bar = _progress_bar(len(steps) + 1, _progress_enabled(progress))
    second: SecondProcess | None = None
    try:
        import matplotlib

        backend_ctx = matplotlib.rc_context()  # never leak rcParams changes
        with backend_ctx:
            jobs = 1 if n_jobs is None else min(os.cpu_count() or 1, 2 if n_jobs == -1 else n_jobs)
            second = run_steps(steps, ctx, sections, _run, bar, jobs)
            out_dir = Path(out)
            settings = _settings(ctx, survey, method, bootstrap, seed, lang, out_dir)
            build_about(ctx, sections["about"], settings)
            bar.set_postfix_str("writing files")
            result = _write(ctx, sections, settings, target, excel, start, second)
            bar.update(1)
    finally:
        if second is not None:
            second.close()
        bar.close()
    return result


class _NoBar:
    """Stands in for a progress bar when none is shown (tqdm is then never imported, so a notebook
    without ipywidgets gets no TqdmWarning)."""

    def set_postfix_str(self, _text: str) -> None:
        pass

    def update(self, _n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm  # the terminal bar on stderr (the CLI); never tqdm.auto's notebook widget

    return tqdm(total=total, desc="csindex report", unit="step", file=sys.stderr, leave=False)


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
        if text in seen or _NOT_FOR_THE_PAGE.search(text):
            continue
        seen.add(text)
        sec.warnings.append(_named(_plain(text), ctx))
        logger.info("report section %r: %s", sec.id, text)
    if sec.warnings:
        ctx.key.setdefault("notes", {})[sec.id] = list(sec.warnings)
        if ctx.lang != "en":  # the engines write English: the page gives their number, results.json the text
            sec.warnings = [ctx.labels("notes_elsewhere", n=len(sec.warnings))]


#: library messages that say nothing about the data (fonts, backends): logged, never on the page
_NOT_FOR_THE_PAGE = re.compile(r"FigureCanvasAgg is non-interactive|Glyph .* missing|CJK|findfont|IProgress")


def _named(text: str, ctx: Context) -> str:
    """``text`` with the quoted construct codes of the engines ('QUAL'/'IMAG'), and the matrix rows
    taken as attributes ('Q1_1'), in the words the report's tables use for them (Perceived
    quality/Image, Cabin crew)."""
    names = set(map(str, ctx.survey.codebook.constructs))
    if ctx.model is not None:
        names |= set(map(str, ctx.model.constructs))

    def word(match: re.Match[str]) -> str:
        code = match.group(1)
        label = ctx.rows[code] if code in ctx.rows else ctx.labels.construct(code) if code in names else code
        return match.group(0) if label == code else label

    return re.sub(r"'([^'\s]+)'", word, text)


def _plain(text: str) -> str:
    """A warning as a plain-language note: no function names such as ``loyalty_matrix()``."""
    text = re.sub(r"\b[A-Za-z_][\w.]*\(\)\s*:?\s*", "", text)
    return text[:1].upper() + text[1:]


def _warn_missing_cjk_font(lang: str) -> None:
    """One console warning when a Chinese report would draw its charts without a CJK font."""
    if lang != "zh":
        return
    from ..plots._base import NO_CJK_FONT_MESSAGE, find_cjk_font

    if find_cjk_font() is None:
        from ..exceptions import CsindexWarning

        warnings.warn("The Chinese report's charts need a CJK font: " + NO_CJK_FONT_MESSAGE, CsindexWarning,
                      stacklevel=3)


def _split_waves(survey: Any, column: str) -> tuple[Any, Any, tuple[str, str]]:
    """(this wave, previous wave, their labels) from a wave column: the last two values in sorted order."""
    from .. import split_segments

    if column not in survey.responses.columns:
        from .._validation import did_you_mean

        raise SurveyDataError(f"wave={column!r} is not a column of the survey."
                              f"{did_you_mean(str(column), list(survey.responses.columns))}")
    values = sorted(survey.responses[column].dropna().unique().tolist())
    if len(values) < 2:
        raise SurveyDataError(f"The wave column {column!r} has {len(values)} value(s); the trend section needs two waves.")
    parts = split_segments(survey, by=column)
    prev, cur = values[-2], values[-1]
    return parts[cur], parts[prev], (str(prev), str(cur))


def _settings(ctx: Context, survey: Any, method: str, bootstrap: int, seed: Any, lang: str,
              out: Path) -> dict[str, Any]:
    from .. import __version__

    return {
        "csindex_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "source": source_label(survey.source),
        "respondents": int(survey.n),
        "weighted": survey.weights is not None,
        "model": ctx.model_name or "none",
        "method": method,
        "bootstrap": bootstrap,
        "seed": seed,
        "lang": lang,
        "by": ctx.by,
        "missing": ctx.missing,
        "previous_wave": ctx.wave_labels[0] if ctx.previous is not None else None,
        "out": str(out),
    }


def _write(ctx: Context, sections: Mapping[str, Section], settings: dict[str, Any], target: Path,
           excel: bool | None, start: float, second: SecondProcess | None = None) -> ReportResult:
    """Write every file into a temporary folder, then move them into ``target`` at once (the
    workbook, the slowest file, by the second process when the sections ran in two)."""
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
        workbook = folder.path(EXCEL_NAME) if write_excel_now else None
        excel_done = second.write_workbook(workbook, tables) if workbook is not None and second else None
        for name, df in tables.items():
            write_csv(folder.path(f"{name}.csv"), df)
        folder.path("index.html").write_text(page, encoding="utf-8")
        if workbook is not None and not (excel_done is not None and excel_done()):
            write_xlsx(workbook, tables)
        write_json(folder.path("results.json"), payload)
        folder.commit()
    return ReportResult(
        out=target, index_html=target / "index.html", results_json=target / "results.json",
        excel=target / EXCEL_NAME if write_excel_now else None,
        csv_files=tuple(target / n for n in csv_names), sections=sec_table, tables=tables, key_numbers=dict(ctx.key),
        n_figures=ctx.n_figures, settings=settings, elapsed=time.perf_counter() - start,
        processes=1 if second is None else 2,
    )


class _CallableModule(type(sys)):
    """``csindex.report`` is the function :func:`report`; when the submodule was imported
    explicitly first (``from csindex.report import ReportResult``) the package attribute is
    this module, which is then callable the same way."""

    def __call__(self, *args: Any, **kwargs: Any) -> ReportResult:
        return report(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
