"""The one writer of tabular output files (CSV and XLSX): cells are data, never formulas.

Every CSV and Excel file that csindex writes goes through :func:`write_csv` or
:func:`write_xlsx`, so the same rules hold everywhere:

* **Text stays text.** In the workbook every text cell is a string cell (openpyxl would
  otherwise turn the lavaan operator ``=~`` into a formula and ``#N/A`` into an error
  value).
* **Formula-looking text is neutralised** as OWASP's CSV-injection guidance describes: text
  that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  single quote (``=1+1`` is written ``'=1+1``), in CSV and XLSX alike, in cells and in
  column headers. Numbers stay numbers: ``-0.5`` is a number, only the *text* ``"-x"`` is
  prefixed. One exception: the cell that is exactly the lavaan operator ``=~`` (column
  ``op`` of the SEM estimates) is kept as it is; it holds no function, reference or
  argument, so no spreadsheet can run anything from it.
* **Control characters are escaped**, not dropped: the characters XML 1.0 (hence XLSX)
  cannot hold -- C0 controls other than tab, line feed and carriage return, lone
  surrogates, U+FFFE and U+FFFF -- are written as the visible escape ``\\xHH`` (``\\uHHHH``
  above U+00FF), so ``"regional\\x0bcode"`` (a vertical tab) becomes the 17 characters
  ``regional\\x0bcode``. Line breaks inside a cell are written as line feeds (``\\r\\n``
  and ``\\r`` become ``\\n``; XML would turn them into ``\\n`` anyway).

What a reader gets back is :func:`clean_text` of the original text: ``clean_text`` is
the documented neutralisation and the round-trip tests compare against it.

Examples
--------
>>> clean_text("=1+1"), clean_text("@SUM(A1)"), clean_text("=~"), clean_text("a\\x0bb")
("'=1+1", "'@SUM(A1)", '=~', 'a\\\\x0bb')
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FORMULA_PREFIXES", "clean_frame", "clean_text", "sheet_names", "write_csv", "write_xlsx"]

#: first characters that make a spreadsheet read a text cell as a formula (OWASP)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
#: any cell clean_text would change: a formula start, a character XML cannot hold, a carriage return
_NEEDS_CLEANING = re.compile(r"^[=+\-@\t\r]|[\x00-\x08\x0b\x0c\x0e-\x1f\r\ud800-\udfff\ufffe\uffff]")
#: exact texts kept although they start with "=": lavaan's "is measured by" operator
INERT_TEXTS = frozenset({"=~"})
_LARGEST_EXACT_INT = 2**53  # Excel stores numbers as doubles


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean_text(text: str) -> str:
    """The text as csindex writes it into a CSV or XLSX cell.

    A leading ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a single-quote
    prefix (except the lavaan operator ``=~`` itself); characters XML cannot hold are escaped
    as ``\\xHH``/``\\uHHHH``; ``\\r\\n`` and ``\\r`` become ``\\n``.

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> clean_text("+cmd|' /C calc'!A0")
    "'+cmd|' /C calc'!A0"
    >>> clean_text("-x"), clean_text("x-y"), clean_text("")
    ("'-x", 'x-y', '')
    """
    out = _ILLEGAL.sub(_escape, text)
    if _FORMULA_START.match(out) and out not in INERT_TEXTS:
        out = "'" + out
    return out.replace("\r\n", "\n").replace("\r", "\n")


def _clean_series(s: pd.Series) -> pd.Series:
    """Text cells of one column cleaned; numbers, booleans, dates and missing values kept."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
        return s
    values = s.astype(object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        # all text (or missing): only cells with something to neutralise go through clean_text
        # (a vectorised regex test; calling clean_text on every cell was a tenth of the report's time)
        flagged = values.str.contains(_NEEDS_CLEANING, regex=True, na=False)
        if not flagged.any():
            return values
        out = values.copy()
        out[flagged] = values[flagged].map(clean_text)
        return out
    kind = values.map(_cell_kind)
    if not kind.eq("text").any():
        return values
    out = values.copy()
    text = kind.eq("text")
    out[text] = values[text].map(lambda v: clean_text(v if isinstance(v, str) else str(v)))
    return out


def _cell_kind(v: Any) -> str:
    if v is None or v is pd.NA or v is pd.NaT:
        return "missing"
    if isinstance(v, (bool, np.bool_, int, float, np.number, _dt.date, _dt.time, pd.Timestamp)):
        return "missing" if isinstance(v, (float, np.floating)) and math.isnan(v) else "value"
    return "text"


def clean_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` ready to write: a non-default index becomes columns, every text
    cell and every column header passes through :func:`clean_text`.

    Examples
    --------
    >>> clean_frame(pd.DataFrame({"lhs": ["=A1", "B"], "op": ["=~", "~"], "est": [-0.5, 1.0]})).to_dict("list")
    {'lhs': ["'=A1", 'B'], 'op': ['=~', '~'], 'est': [-0.5, 1.0]}
    """
    frame = df if isinstance(df.index, pd.RangeIndex) else df.reset_index()
    frame = frame.copy()
    frame.columns = [clean_text(_header(c)) for c in frame.columns]
    for i in range(frame.shape[1]):
        frame.isetitem(i, _clean_series(frame.iloc[:, i]))
    return frame


def _header(col: Any) -> str:
    if isinstance(col, tuple):
        return " ".join(str(c) for c in col if str(c) != "")
    return str(col)


def write_csv(path: str | Path, df: pd.DataFrame, *, float_format: str | None = None) -> Path:
    """Write ``df`` as a UTF-8 CSV (``\\n`` line ends) after :func:`clean_frame`.

    Parameters
    ----------
    path : str or Path
    df : pandas.DataFrame
        A non-default index is written as columns.
    float_format : str, optional
        Passed to :meth:`pandas.DataFrame.to_csv`.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = write_csv(pathlib.Path(tmp) / "t.csv", pd.DataFrame({"lhs": ["=1+1"], "v": [-2]}))
    ...     p.read_text(encoding="utf-8")
    "lhs,v\\n'=1+1,-2\\n"
    """
    path = Path(path)
    text = clean_frame(df).to_csv(index=False, lineterminator="\n", float_format=float_format)
    path.write_bytes(text.encode("utf-8"))
    return path


def sheet_names(names: Sequence[str]) -> list[str]:
    """Excel sheet names: at most 31 characters, none of ``[]:*?/\\``, no leading or
    trailing apostrophe, unique ignoring case.

    Examples
    --------
    >>> sheet_names(["a/b", "A_B", "x" * 40])
    ['a_b', 'A_B_2', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']
    """
    used: set[str] = set()
    out = []
    for name in names:
        base = _ILLEGAL.sub("_", re.sub(r"[\[\]:*?/\\]", "_", str(name))).strip("'")[:31] or "sheet"
        candidate, k = base, 1
        while candidate.lower() in used:
            k += 1
            suffix = f"_{k}"
            candidate = base[: 31 - len(suffix)] + suffix
        used.add(candidate.lower())
        out.append(candidate)
    return out


def _xlsx_value(v: Any) -> Any:
    """A cleaned cell as openpyxl should store it (text already passed :func:`clean_text`)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        n = int(v)
        return n if abs(n) <= _LARGEST_EXACT_INT else str(n)  # keep long ids exact
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return None
        return f if math.isfinite(f) else ("inf" if f > 0 else "-inf")
    if isinstance(v, pd.Timestamp):
        return v.isoformat() if v.tzinfo is not None else v.to_pydatetime()
    if isinstance(v, (_dt.datetime, _dt.time)) and v.tzinfo is not None:
        return v.isoformat()
    if isinstance(v, (_dt.date, _dt.time, str)):
        return v
    return clean_text(str(v))


def write_xlsx(path: str | Path, sheets: Mapping[str, pd.DataFrame]) -> Path:
    """Write one sheet per table into an Excel workbook; text cells are string cells.

    Every table passes :func:`clean_frame`; sheet names pass :func:`sheet_names`.
    Needs ``openpyxl``.

    Parameters
    ----------
    path : str or Path
    sheets : mapping of str to DataFrame

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     t = pd.DataFrame({"lhs": ["-x"], "op": ["=~"], "v": [-0.5]})
    ...     p = write_xlsx(pathlib.Path(tmp) / "t.xlsx", {"est": t})
    ...     [c.value for c in openpyxl.load_workbook(p, data_only=True)["est"][2]]
    ["'-x", '=~', -0.5]
    """
    from ._deps import require

    require("openpyxl", "Writing an Excel workbook")
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    path = Path(path)
    wb = Workbook(write_only=True)
    for sheet, df in zip(sheet_names(list(sheets)), sheets.values()):
        ws = wb.create_sheet(sheet)
        frame = clean_frame(df)
        ws.append([_string_cell(ws, WriteOnlyCell, h) for h in frame.columns])
        columns = [frame.iloc[:, i].to_numpy(dtype=object) for i in range(frame.shape[1])]
        for row in zip(*columns):
            ws.append([_cell(ws, WriteOnlyCell, _xlsx_value(v)) for v in row])
    if not wb.worksheets:
        wb.create_sheet("empty")
    wb.save(path)
    return path


def _cell(ws: Any, cell_type: Any, value: Any) -> Any:
    return _string_cell(ws, cell_type, value) if isinstance(value, str) else value


def _string_cell(ws: Any, cell_type: Any, text: str) -> Any:
    cell = cell_type(ws, value=text)
    cell.data_type = "s"  # never a formula ("=~") nor an error value ("#N/A")
    return cell
