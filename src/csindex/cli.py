"""Command-line interface: ``csindex report`` and ``csindex validate``.

``csindex report [DATA]`` runs on the bundled sample survey when no file is given and
writes the report (``index.html``, ``results.json``, CSV files, an Excel workbook) to
``./csindex-report/`` (written whole or not at all; ``--out`` naming a file, or a symbolic
link inside it, stops before the analysis); see :func:`csindex.report.report` for the
options. ``csindex validate FILE`` prints the validation summary and exits with status 1
when the data is invalid. Errors print one line (``csindex: error: ...``); ``--debug``
shows the traceback instead.

Exit status: 0 success, 1 invalid data, an unreadable input file or a csindex error,
2 command-line usage error, 3 unexpected internal error.

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
csindex ...
0
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from . import __version__
from .exceptions import CsindexError, CsindexWarning

__all__ = ["main"]

DEFAULT_OUT = "csindex-report"


def _parser() -> argparse.ArgumentParser:
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the full traceback on errors")
    database = argparse.ArgumentParser(add_help=False)
    db = database.add_argument_group(
        "database source", "DATA may be a SQLAlchemy URL (postgresql+psycopg://user@host/db) or a DuckDB file; "
                           "then name the table or give a query")
    db.add_argument("--table", metavar="NAME", help="table or view holding the responses (SCHEMA.NAME for "
                                                    "another schema)")
    db.add_argument("--query", metavar="SQL", help="SELECT query giving the responses, with :name placeholders "
                                                   "(DuckDB: $name) bound by --param")
    db.add_argument("--param", metavar="NAME=VALUE", action="append", type=_param, default=None,
                    help="a bound parameter of --query (repeat for more; a number binds as a number, "
                         "anything else as text)")
    db.add_argument("--codebook-table", metavar="NAME", help="read the codebook from this table of the database "
                                                             "(instead of --codebook)")
    parser = argparse.ArgumentParser(
        prog="csindex",
        description="Customer-satisfaction-index analysis: validate survey files and write reports.",
        epilog="Run 'csindex report' with no arguments to analyse the bundled sample airline survey.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true", default=False, help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    rep = sub.add_parser("report", parents=[debug, database], help="analyse a survey and write a report",
                         description="Analyse a survey file (default: the bundled sample airline survey) and "
                                     f"write a self-contained HTML report with results.json, CSV files and an "
                                     f"Excel workbook to ./{DEFAULT_OUT}/.")
    rep.add_argument("file", nargs="?", metavar="DATA",
                     help="survey file (CSV, Excel, SPSS, Stata, Parquet) or database (with --table or "
                          "--query); default: bundled sample")
    rep.add_argument("--codebook", metavar="F", help="codebook file (YAML or JSON)")
    rep.add_argument("--model", metavar="F|ccsi|acsi|ecsi|scsb",
                     help="index model: a template name or a file with lavaan-style syntax "
                          "(default: CCSI when the codebook maps the index constructs)")
    rep.add_argument("--method", choices=("pls", "sem", "both"), default="pls",
                     help="estimate the model by PLS path modeling, covariance-based SEM, or both (default: pls)")
    rep.add_argument("--out", metavar="DIR", type=_out_dir, default=DEFAULT_OUT,
                     help=f"output folder (default: ./{DEFAULT_OUT}); written whole or not at all, files "
                          "csindex did not write are kept")
    rep.add_argument("--lang", choices=("en", "zh"), default="en", help="report language (default: en)")
    rep.add_argument("--bootstrap", metavar="B", type=_nonneg_int, default=None,
                     help="bootstrap resamples for the PLS confidence intervals (default: 1000; 0 = none)")
    rep.add_argument("--seed", metavar="S", type=int, default=None, help="random seed (default: 2024)")
    rep.add_argument("--scale", nargs=2, type=float, metavar=("MIN", "MAX"), help="scale of rated items")
    rep.add_argument("--by", metavar="COLUMN", help="add scores by the groups of this profile column (e.g. route)")
    rep.add_argument("--on-invalid", choices=("raise", "nan"), default="raise",
                     help="values off the scale or text in numeric items: stop with an error (default) or "
                          "treat them as missing (counted in the data-quality section)")
    rep.add_argument("--missing", choices=("em", "listwise", "mean"), default=None,
                     help="missing answers in the PLS models: EM estimation (em), leave the respondent out "
                          "(listwise) or replace by the item mean (mean) (default: the report's default)")
    rep.add_argument("--previous", metavar="F", help="survey file of the previous wave (same codebook): adds a "
                                                     "section with the change since then")
    rep.add_argument("--wave", metavar="COLUMN", help="column of DATA holding the wave: report the last wave and "
                                                      "compare it with the one before")
    rep.add_argument("--n-jobs", metavar="N", type=_jobs, default=-1,
                     help="processes for the report's sections: 1 runs them one after the other, 2 or -1 "
                          "(default: all cores) fits the index model while a second process writes the "
                          "descriptive sections (Linux; same numbers either way)")
    rep.add_argument("--quiet", action="store_true", help="no progress bar, print nothing on success")

    val = sub.add_parser("validate", parents=[debug, database], help="check a survey file and print the validation summary",
                         description="Load and validate a survey file; exit with status 1 if it has invalid "
                                     "values (off the scale, text in numeric items, duplicated ids).")
    val.add_argument("file", help="survey file (CSV, Excel, SPSS, Stata, Parquet) or database (with --table or "
                                  "--query)")
    val.add_argument("--codebook", metavar="F", help="codebook file (YAML or JSON)")
    val.add_argument("--scale", nargs=2, type=float, metavar=("MIN", "MAX"), help="scale of rated items, e.g. 1 10")
    val.add_argument("--encoding", help="text encoding of a CSV file (detected when omitted)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``csindex`` command and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.
    """
    parser = _parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.version:
        print(f"csindex {__version__}")
        return 0
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "report":
            return _cmd_report(args)
        return _cmd_validate(args)
    except CsindexError as exc:
        if args.debug:
            raise
        print(f"csindex: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except (OSError, UnicodeError) as exc:  # an input file that cannot be read is bad input, not a bug
        if args.debug:
            raise
        print(f"csindex: error: {_input_problem(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the CLI must not dump a traceback without --debug
        if args.debug:
            raise
        print(f"csindex: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(run again with --debug for the traceback)", file=sys.stderr)
        return 3


def _input_problem(exc: OSError | UnicodeError) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return (f"an input file is not {exc.encoding} text (byte {exc.start} cannot be decoded): "
                "save the codebook and model files as UTF-8.")
    name = getattr(exc, "filename", None)
    what = f"{name!r}" if name else "an input file"
    return f"could not read {what}: {getattr(exc, 'strerror', None) or _one_line(exc)}. Check the path."


def _one_line(exc: BaseException | Warning | str) -> str:
    """A message on one line, in the words of the command line (``--missing listwise``, not
    ``missing='listwise'``): the library's messages name the Python options."""
    text = " ".join(str(exc).split())
    for pattern, words in _CLI_WORDS:
        text = pattern.sub(words, text)
    return text


#: option values that are the command line's own (method='shapley' of a driver analysis is not --method)
_CLI_VALUES = {"method": {"pls", "sem", "both"}, "missing": {"em", "listwise", "mean"},
               "on_invalid": {"raise", "nan"}, "lang": {"en", "zh"}}


def _cli_option(match: Any) -> str:
    name, value = match.group(1), match.group(3) if match.group(3) is not None else match.group(4)
    if name in _CLI_VALUES and value not in _CLI_VALUES[name]:
        return match.group(0)
    return f"--{name.replace('_', '-')} {value}"


_CLI_WORDS: tuple[tuple[Any, Any], ...] = (
    (re.compile(r"\b(codebook|model|method|lang|bootstrap|seed|by|on_invalid|missing|previous|wave|n_jobs)="
                r"('([^']*)'|(-?\d+))(?! in Python)"), _cli_option),
    (re.compile(r"pass items=\{construct: \[items\]\}"), "give a codebook (--codebook) with that column"),
    (re.compile(r"leave the construct out with drop=\([^)]*\) \(its paths are re-routed\)"),
     "write the model without it in a lavaan-style file for --model"),
)


def _scale(args: argparse.Namespace) -> tuple[float, float] | None:
    return tuple(args.scale) if args.scale else None  # type: ignore[return-value]


def _database_options(args: argparse.Namespace) -> dict[str, Any]:
    """``table=``, ``query=``, ``params=`` and ``codebook_table=`` of load_survey from the
    command line (only those given: a file source takes none)."""
    options: dict[str, Any] = {}
    if args.table is not None:
        schema, dot, name = args.table.rpartition(".")
        options["table"] = (schema, name) if dot and schema else args.table
    if args.query is not None:
        options["query"] = args.query
    if args.param:
        options["params"] = dict(args.param)
    if args.codebook_table is not None:
        options["codebook_table"] = args.codebook_table
    return options


def _param(text: str) -> tuple[str, Any]:
    """``--param NAME=VALUE``: the value as an int or a float when it reads as one, else text."""
    name, eq, value = text.partition("=")
    if not eq or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. lo=3), got {text!r}")
    for kind in (int, float):
        try:
            return name.strip(), kind(value)
        except ValueError:
            pass
    return name.strip(), value


def _load(args: argparse.Namespace, on_invalid: str = "raise") -> Any:
    from .io import load_survey

    options: dict[str, Any] = {"scale": _scale(args), "on_invalid": on_invalid, **_database_options(args)}
    if getattr(args, "encoding", None):
        options["encoding"] = args.encoding
    return load_survey(args.file, args.codebook, **options)


def _readable(summary: Any) -> Any:
    """The validation summary as a person reads it: shares in %, scales as whole numbers."""
    import dataclasses

    facts = {k: f"{v:.1%}" if isinstance(v, float) and "share" in k else v for k, v in summary.facts.items()}
    tables = {}
    for name, table in summary.tables.items():
        table = table.copy()
        for col in table.columns:
            if str(col).endswith("share"):
                table[col] = [f"{v:.1%}" for v in table[col]]
            elif str(col).startswith("scale_"):
                table[col] = [f"{v:g}" for v in table[col]]
        tables[name] = table
    return dataclasses.replace(summary, facts=facts, tables=tables)


def _cmd_validate(args: argparse.Namespace) -> int:
    from .exceptions import SurveyError

    try:
        _load(args, "raise")
        strict_error: SurveyError | None = None
    except SurveyError as exc:
        strict_error = exc
    try:
        survey = _load(args, "nan")
    except SurveyError:
        survey = None
    if survey is not None:
        print(_readable(survey.validation.summary()).to_text())
    if strict_error is not None:
        if args.debug:
            raise strict_error
        print(f"csindex: error: {_one_line(strict_error)}", file=sys.stderr)
        return 1
    if survey is not None and not survey.validation.ok:
        problems = survey.validation.problems()
        more = f" ({len(problems) - 1} more problem{'s' * (len(problems) > 2)} above)" if len(problems) > 1 else ""
        print(f"csindex: error: {problems[0] if problems else 'the survey is not valid.'}{more}", file=sys.stderr)
        return 1
    return 0


def _jobs(text: str) -> int:
    """``--n-jobs``: a positive count or -1 (all cores)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == -1 or value >= 1:
        return value
    raise argparse.ArgumentTypeError(f"expected a positive number of processes or -1 (all cores), got {text!r}")


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}")
    return value


def _out_dir(text: str) -> str:
    if text.strip() == "":
        raise argparse.ArgumentTypeError("must name a folder, got an empty string")
    return text


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import DEFAULT_BOOTSTRAP, missing_options, report

    if args.file is None and args.codebook is not None:
        print("csindex: error: --codebook needs a survey DATA file.", file=sys.stderr)
        return 2
    database = bool(_database_options(args))  # a database source: loaded here with its table or query
    if database and args.file is None:
        print("csindex: error: --table, --query, --param and --codebook-table need a database DATA "
              "(a SQLAlchemy URL or a DuckDB file).", file=sys.stderr)
        return 2
    options: dict[str, Any] = {
        "codebook": None if database else args.codebook,
        "model": args.model,
        "method": args.method,
        "out": args.out,
        "lang": args.lang,
        "bootstrap": DEFAULT_BOOTSTRAP if args.bootstrap is None else args.bootstrap,
        "scale": _scale(args),
        "on_invalid": args.on_invalid,
        "by": args.by,
        "progress": not args.quiet,
        "n_jobs": args.n_jobs,
    }
    if args.seed is not None:
        options["seed"] = args.seed
    if args.missing is not None:
        if args.missing not in missing_options():
            print(f"csindex: error: --missing {args.missing} is not available in this build of csindex "
                  f"(fit_pls offers: {', '.join(missing_options())}).", file=sys.stderr)
            return 2
        options["missing"] = args.missing
    if args.previous is not None and args.wave is not None:
        print("csindex: error: use either --previous FILE or --wave COLUMN, not both.", file=sys.stderr)
        return 2
    if args.previous is not None:
        options["previous"] = args.previous
    if args.wave is not None:
        options["wave"] = args.wave
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CsindexWarning)
        result = report(_load(args, args.on_invalid) if database else args.file, **options)
    fonts = [w for w in caught if "CJK font" in str(w.message)]
    if fonts and not args.quiet:  # one line naming the font package, never the library's glyph warnings
        print(f"csindex: warning: {_one_line(fonts[0].message)}", file=sys.stderr)
    for w in caught:
        if w in fonts:
            continue
        if issubclass(w.category, CsindexWarning):  # about the data or the model: one plain line
            if not args.quiet:
                print(f"csindex: warning: {_one_line(w.message)}", file=sys.stderr)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    if not args.quiet:
        failed = result.sections[result.sections["status"] == "failed"]
        for row in failed.itertuples():
            print(f"csindex: warning: section {row.title!r} could not be computed: {_one_line(row.note)}",
                  file=sys.stderr)
        no_model = result.sections[(result.sections["id"] == "model") & (result.sections["status"] == "skipped")]
        for row in no_model.itertuples():  # how to get the index model the report went without
            print(f"csindex: note: {_one_line(row.note)}", file=sys.stderr)
        print(f"Report written to {result.index_html.resolve()}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
