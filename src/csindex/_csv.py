"""Text-table reading for :func:`csindex.load_survey`: one CSV reader for every file size.

The same bytes give the same frame whatever the file size: the encoding is decided on the
whole file (not its first megabyte), the separator is sniffed on several lines with the
quoting respected, the same missing-value words hold everywhere, and every file goes
through one parser (pyarrow's multithreaded CSV reader). Only the memory layout depends on
size: integer columns whose first :data:`_PROBE_BYTES` bytes hold small codes are parsed as
int16, and the loader widens those that end up as profile columns back to int64.

Hand-written rather than ``pandas.read_csv`` because pandas cannot be told to keep ids
exact when an id cell is empty (it gives float64), mangles duplicated headers into
``X.1`` instead of refusing them, and its parser is single-threaded.

Examples
--------
>>> sniff_separator('"Q1 How satisfied, overall?"\\t"Q2 Value, price"\\n7\\t8\\n6\\t9\\n')
'\\t'
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _platforms
from ._params import Instance, check_param
from ._platforms import Export
from .exceptions import ParameterError, SurveyDataError

__all__ = ["NA_VALUES", "SEPARATORS", "detect_encoding", "sniff_format", "sniff_separator", "read_text_table"]

#: cell texts read as missing (pandas' default list, so a DataFrame written by pandas reads back the same)
NA_VALUES = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
             "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
#: separators tried when none is given, in order of preference on a tie
SEPARATORS = (",", "\t", ";", "|")
_PROBE_BYTES = 1 << 20  # bytes parsed first to find small-integer columns (parsed as int16)
_SNIFF_BYTES = 64 << 10  # text looked at to sniff the separator
_SNIFF_LINES = 50
_CHUNK = 16 << 20  # decoding chunk of the encoding check
_EXACT = 2**53  # above this, float64 no longer holds every integer
_SMALL_INT = 9999
_SMALL_DISTINCT = 200
_UTF8 = ("utf-8", "utf-8-sig")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def sniff_format(path: Path) -> str:
    """What the file's first bytes say it is: ``parquet``, ``xlsx``, ``xls``, ``sav``, ``dta``,
    ``zip``, ``gzip``, ``binary`` (other non-text) or ``text``.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = open(p, "wb").write(b"PAR1....")
    >>> sniff_format(Path(p))
    'parquet'
    """
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile as exc:
            raise SurveyDataError(
                f"Survey file {str(path)!r} is a damaged ZIP container (a truncated or corrupt Excel workbook?): "
                f"{exc}. Export or download the file again."
            ) from exc
        return "xlsx" if "xl/workbook.xml" in names or "[Content_Types].xml" in names else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith((b"$FL2", b"$FL3")):
        return "sav"
    if head.startswith(b"<stata_dta>") or (len(head) > 3 and 102 <= head[0] <= 115 and head[1] in (1, 2)
                                           and head[2] == 1 and head[3] == 0):
        return "dta"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "text"
    if b"\x00" in head:
        return "binary"
    return "text"


def check_encoding(encoding: Any, where: str = "load_survey") -> str:
    """Normalised codec name of a user-given encoding; an unknown one is a ParameterError.

    Examples
    --------
    >>> check_encoding("GBK")
    'gbk'
    """
    check_param("encoding", encoding, Instance((str,), "an encoding name such as 'utf-8' or 'gb18030'"), where)
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ParameterError(
            f"The 'encoding' parameter of {where} must be a text encoding Python knows, such as 'utf-8', "
            f"'utf-8-sig', 'gb18030' or 'cp1252'. Got {encoding!r} instead."
        ) from None


def _decodes(path: Path, encoding: str) -> tuple[bool, int]:
    """(whole file decodes, byte offset of the first bad byte) without holding it all in memory."""
    dec = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            try:
                dec.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return False, offset + max(exc.start, 0)
            if not chunk:
                return True, -1
            offset += len(chunk)


def detect_encoding(path: str | Path) -> str:
    """Guess the text encoding of a CSV file: ``utf-8-sig``, ``utf-16``, ``utf-8``, ``gb18030``,
    ``cp1252`` or ``latin-1``.

    A byte-order mark decides first; otherwise the **whole** file must decode as UTF-8, else
    as GB18030 (a superset of GBK and GB2312) with mostly common Chinese characters, else as
    Windows-1252; Latin-1 is the last resort (it reads any bytes). The loader notes any
    encoding other than UTF-8 in ``survey.validation.notes``.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> p = os.path.join(d, "gbk.csv")
    >>> _ = open(p, "wb").write("性别,SAT1\\n男,7\\n".encode("gbk"))
    >>> detect_encoding(p)
    'gb18030'
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig" if _decodes(path, "utf-8-sig")[0] else _fallback(path)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(path, "utf-8")[0]:
        return "utf-8"
    return _fallback(path)


def _fallback(path: Path) -> str:
    """Not UTF-8: GB18030 when the file decodes as it *and* reads like Chinese, else Windows-1252/Latin-1.

    Western text (``Zürich``) often decodes as GB18030 too, but into rare characters of the
    GBK extension; Chinese text uses the common characters of the GB2312 area, so the share
    of those decides.
    """
    if _decodes(path, "gb18030")[0]:
        with open(path, "rb") as fh:
            head = fh.read(_CHUNK).decode("gb18030", errors="ignore")
        wide = _NON_ASCII.findall(head)[:100_000]
        common = sum(_in_gb2312(ch) for ch in wide)
        if not wide or common >= 0.8 * len(wide):
            return "gb18030"
    return "cp1252" if _decodes(path, "cp1252")[0] else "latin-1"


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def sniff_separator(text: str, truncated: bool = False) -> str:
    """The separator among :data:`SEPARATORS` that splits the first lines of ``text`` into the
    same number (at least 2) of fields on most lines, quoting respected; ``","`` if none does."""
    best, best_key = ",", (0.0, 0)
    for sep in SEPARATORS:
        try:
            rows = [r for r in csv.reader(io.StringIO(text), delimiter=sep, quotechar='"', doublequote=True) if r]
        except csv.Error:
            continue
        if truncated and len(rows) > 1:
            rows = rows[:-1]  # the last record may be cut in the middle
        rows = rows[:_SNIFF_LINES]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        key = (sum(len(r) == width for r in rows) / len(rows), width)
        if key > best_key:
            best, best_key = sep, key
    return best


def _first_records(text: str, sep: str, k: int) -> list[list[str]]:
    try:
        reader = csv.reader(io.StringIO(text), delimiter=sep, quotechar='"', doublequote=True)
        return [row for _, row in zip(range(k), reader)]
    except csv.Error:
        return []


def _sniff_text(path: Path, encoding: str) -> tuple[str, bool]:
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES + 1)
    truncated = len(head) > _SNIFF_BYTES
    text = head[:_SNIFF_BYTES].decode(encoding, errors="ignore")
    return text.lstrip("\ufeff"), truncated


def read_text_table(path: Path, encoding: str | None, sep: str | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a delimited text file into a DataFrame.

    Returns the frame and ``meta`` with ``encoding``, ``sep`` and ``narrowed`` (columns
    parsed as int16 to save memory). Raises SurveyDataError for unreadable content and
    ParameterError for a bad ``encoding``/``sep``.
    """
    pa = _pyarrow()
    where = str(path)
    if encoding is None:
        enc = detect_encoding(path)
    else:
        enc = check_encoding(encoding)
        ok, at = _decodes(path, enc)
        if not ok:
            raise SurveyDataError(
                f"Survey file {where!r} is not valid {encoding!r} text (first bad byte at offset {at}). "
                "Pass the right encoding= (e.g. 'utf-8' or 'gb18030') or leave it out to detect it."
            )
    sample, truncated = _sniff_text(path, enc)
    if sep is None:
        sep = sniff_separator(sample, truncated)
    else:
        check_param("sep", sep, Instance((str,), "a one-character string such as ',' or '\\t'"), "load_survey")
        if len(sep) != 1:
            raise ParameterError(f"The 'sep' parameter of load_survey must be one character. Got {sep!r} instead.")
    meta: dict[str, Any] = {"encoding": enc, "sep": sep}
    export = _platforms.detect(_first_records(sample, sep, 3))
    if export is not None:
        meta.update(platform=export, variable_labels=dict(export.labels), notes=[export.note()])
    if enc in _UTF8:
        source: Any = str(path)
        quoted = _has_quote(path)
    else:  # one parser for every encoding: transcode to UTF-8 first
        data = path.read_bytes().decode(enc).encode("utf-8")
        quoted = b'"' in data
        source = pa.py_buffer(data)
        del data
    table, narrowed = _parse(source, _Dialect(sep, export, quoted), where, pa)
    meta["narrowed"] = narrowed
    return _to_pandas(table, pa), meta


def _has_quote(path: Path) -> bool:
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            if b'"' in chunk:
                return True
    return False


def _pyarrow() -> Any:
    from ._deps import require

    return require("pyarrow", "Reading CSV files")


@dataclass(frozen=True)
class _Dialect:
    """How to parse: separator, platform header rows, whether quoted text (maybe with line breaks) occurs."""

    sep: str
    export: Export | None = None
    quoted: bool = True

    def options(self, column_types: dict[str, Any] | None = None, on_bad: list[Any] | None = None) -> dict[str, Any]:
        import pyarrow.csv as pacsv

        def handler(row: Any) -> str:
            if on_bad is not None:
                on_bad.append(row)
            return "error"

        export = self.export
        read = pacsv.ReadOptions(use_threads=True) if export is None else pacsv.ReadOptions(
            use_threads=True, column_names=export.names, skip_rows_after_names=export.header_rows)
        # quoted line breaks need the slower newline-aware chunking; files without any quote skip it
        parse = pacsv.ParseOptions(delimiter=self.sep, newlines_in_values=self.quoted,
                                   invalid_row_handler=handler if on_bad is not None else None)
        convert = pacsv.ConvertOptions(null_values=list(NA_VALUES), strings_can_be_null=True,
                                       quoted_strings_can_be_null=True, column_types=column_types or {})
        return {"read_options": read, "parse_options": parse, "convert_options": convert}


def _open(source: Any, pa: Any) -> Any:
    return pa.BufferReader(source) if isinstance(source, pa.Buffer) else source


def _parse(source: Any, dialect: _Dialect, where: str, pa: Any) -> tuple[Any, list[str]]:
    import pyarrow.csv as pacsv

    small: dict[str, Any] = {}
    size = source.size if isinstance(source, pa.Buffer) else Path(source).stat().st_size
    if size > _PROBE_BYTES:
        small = _small_int_columns(source, dialect, pa)
    try:
        try:
            table = pacsv.read_csv(_open(source, pa), **dialect.options(small))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            if not small or "CSV parse error" in str(exc):
                raise
            small = {}  # a later value does not fit int16: parse again without the hint
            table = pacsv.read_csv(_open(source, pa), **dialect.options())
        _check_names(table.column_names, where)
        # dates/times/timestamps stay text (as pandas reads them); huge integers in a float column too
        as_text = {f.name: pa.string() for f in table.schema if _keep_as_text(table.column(f.name), f.type, pa)}
        if as_text:
            table = pacsv.read_csv(_open(source, pa), **dialect.options({**small, **as_text}))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise _parse_error(source, dialect, where, pa, exc) from exc
    narrowed = [name for name in small if name in table.column_names]
    return table, narrowed


def _parse_error(source: Any, dialect: _Dialect, where: str, pa: Any, exc: Exception) -> SurveyDataError:
    import pyarrow.csv as pacsv

    msg = str(exc)
    if "Empty CSV file" in msg:
        return SurveyDataError(f"Survey file {where!r} is empty: it has no header and no data rows. "
                               "Export the survey again with a header row.")
    bad: list[Any] = []
    if "Expected" in msg and "columns" in msg:  # read again, only now with a handler, to name the row
        try:
            pacsv.read_csv(_open(source, pa), **dialect.options(on_bad=bad))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    if bad:
        row = bad[0]
        line = f"row {row.number}" if getattr(row, "number", -1) and row.number > 0 else "a row"
        return SurveyDataError(
            f"Survey file {where!r}: {line} has {row.actual_columns} fields but the header has "
            f"{row.expected_columns} ({row.text[:80]!r}). Quote text cells that hold the separator "
            f"{dialect.sep!r}, fix the row, or pass the right sep=."
        )
    return SurveyDataError(f"Could not read survey file {where!r} as {_sep_name(dialect.sep)}-separated text: "
                           f"{msg}. Check the file format, or pass sep= and encoding=.")


def _sep_name(sep: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(sep, repr(sep))


def _small_int_columns(source: Any, dialect: _Dialect, pa: Any) -> dict[str, Any]:
    """Columns whose values in the first :data:`_PROBE_BYTES` are few small integers (rating codes)."""
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if isinstance(source, pa.Buffer):
        head = source.slice(0, _PROBE_BYTES).to_pybytes()
    else:
        with open(source, "rb") as fh:
            head = fh.read(_PROBE_BYTES)
    head = head[: head.rfind(b"\n") + 1]
    try:
        probe = pacsv.read_csv(pa.BufferReader(head), **dialect.options())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return {}  # e.g. the probe ends inside a quoted text: no hint, same result
    if len(set(probe.column_names)) != probe.num_columns:
        return {}
    out = {}
    for field in probe.schema:
        if pa.types.is_integer(field.type) and probe.num_rows:
            col = probe.column(field.name)
            mm = pc.min_max(col).as_py()
            if (mm["min"] is not None and -_SMALL_INT <= mm["min"] and mm["max"] <= _SMALL_INT
                    and pc.count_distinct(col).as_py() <= _SMALL_DISTINCT):  # codes, not ids or counts
                out[field.name] = pa.int16()
    return out


def _check_names(names: list[str], where: str) -> None:
    seen: set[str] = set()
    dup = []
    for name in names:
        if name in seen and name not in dup:
            dup.append(name)
        seen.add(name)
    if dup:
        shown = ", ".join(repr(d) for d in dup[:5])
        raise SurveyDataError(f"Survey {where!r} has duplicated column names: {shown}. Rename them so that "
                              "each column has its own name.")


def _keep_as_text(column: Any, typ: Any, pa: Any) -> bool:
    import pyarrow.compute as pc

    if pa.types.is_temporal(typ) or pa.types.is_decimal(typ):
        return True
    if pa.types.is_floating(typ) and column.null_count < len(column):
        finite = pc.filter(column, pc.is_finite(column))
        if len(finite):
            big = pc.max(pc.abs(finite)).as_py()
            return bool(big is not None and big >= _EXACT and pc.all(pc.equal(finite, pc.round(finite))).as_py())
    return False


def _to_pandas(table: Any, pa: Any) -> pd.DataFrame:
    import pyarrow.compute as pc

    names = [n if n != "" else f"Unnamed: {i}" for i, n in enumerate(table.column_names)]
    exact: dict[int, Any] = {}
    nulls = []
    for i, field in enumerate(table.schema):
        col = table.column(i)
        if pa.types.is_null(field.type):
            nulls.append(i)
        elif pa.types.is_integer(field.type) and col.null_count:
            mm = pc.min_max(col).as_py()
            if mm["min"] is not None and max(abs(mm["min"]), abs(mm["max"])) >= _EXACT:
                # an id like 9007199254740993 with an empty cell: nullable Int64, not float64
                exact[i] = pd.array(col.to_pylist(), dtype="Int64")
    table = table.rename_columns([str(k) for k in range(table.num_columns)])
    data = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    for i in nulls:
        data[str(i)] = np.full(len(data), np.nan)
    for i, values in exact.items():
        data[str(i)] = values
    data.columns = names
    pa.default_memory_pool().release_unused()  # hand the parser's buffers back before validation
    return data
