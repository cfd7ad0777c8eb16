"""Load survey responses from a file or DataFrame into a validated :class:`~csindex.survey.Survey`.

This is the only module that opens data files. Supported sources: CSV (encoding detected:
UTF-8, UTF-8 with BOM, GB18030/GBK), Excel (``.xlsx``/``.xlsm``, needs openpyxl), SPSS
``.sav`` and Stata ``.dta`` (need pyreadstat; value labels are kept in the codebook),
Parquet (needs pyarrow) and pandas DataFrames (copied, never changed).

Examples
--------
>>> import pandas as pd
>>> from csindex.io import load_survey
>>> df = pd.DataFrame({"resp_id": [1, 2, 3], "SAT1": [7, 99, 11], "SAT2": [8, 6, 10]})
>>> s = load_survey(df, scale=(1, 10), on_invalid="nan")
>>> s.responses["SAT1"].tolist()
[7.0, nan, nan]
>>> int(s.validation.items.loc["SAT1", "n_out_of_range"])
1
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._deps import require
from ._validation import check_option, did_you_mean, quote_list
from .codebook import RATED_ROLES, Codebook, _as_numeric
from .exceptions import CodebookError, SurveyDataError
from .survey import RESPONSE_RATE_TARGET, Survey, Validation

__all__ = ["load_survey", "read_table", "detect_encoding"]

logger = logging.getLogger(__name__)

_FIX = ("Fix the data, declare the code as a missing code in the codebook, or pass on_invalid='nan' "
        "to treat invalid cells as missing (they are counted in survey.validation).")
_STRAIGHT_MIN_ITEMS = 5
_SNIFF_BYTES = 1 << 20
_BIG_CSV_BYTES = 16 << 20


def detect_encoding(path: str | Path) -> str:
    """Guess the text encoding of a CSV file: ``utf-8-sig``, ``utf-8`` or ``gb18030``.

    A UTF-8 byte-order mark gives ``utf-8-sig``; otherwise the first megabyte is decoded
    as UTF-8, and GB18030 (a superset of GBK and GB2312) is used when that fails.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> p = os.path.join(d, "gbk.csv")
    >>> _ = open(p, "wb").write("性别,SAT1\\n男,7\\n".encode("gbk"))
    >>> detect_encoding(p)
    'gb18030'
    """
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < _SNIFF_BYTES)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=len(head) < _SNIFF_BYTES)
        return "gb18030"
    except UnicodeDecodeError:
        return "latin-1"


def _sniff_sep(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        first = fh.readline()
    counts = {sep: first.count(sep) for sep in (",", "\t", ";", "|")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def read_table(source: Any, *, encoding: str | None = None, sheet: str | int = 0,
               sep: str | None = None) -> tuple[pd.DataFrame, str, dict[str, Any]]:
    """Read a source into a raw DataFrame.

    Returns
    -------
    (data, description, meta)
        ``meta`` may hold ``value_labels`` (column -> {code: label}), ``variable_labels``
        (column -> label) and ``encoding``.

    Examples
    --------
    >>> import pandas as pd
    >>> df, where, meta = read_table(pd.DataFrame({"a": [1]}))
    >>> where
    'DataFrame'
    """
    meta: dict[str, Any] = {}
    if isinstance(source, pd.DataFrame):
        return source.copy(deep=False), "DataFrame", meta  # shallow: renaming columns never touches the caller's
    if not isinstance(source, (str, Path)):
        raise SurveyDataError(
            f"load_survey needs a file path or a pandas DataFrame; got {type(source).__name__}."
        )
    path = Path(source)
    where = str(path)
    if not path.exists():
        hint = did_you_mean(path.name, [p.name for p in path.parent.glob("*")]) if path.parent.exists() else ""
        raise SurveyDataError(f"Survey file {where!r} does not exist.{hint} Check the path.")
    if path.is_dir():
        raise SurveyDataError(f"{where!r} is a folder; give the path of a survey file inside it.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            require("openpyxl", "Reading Excel files")
            data = pd.read_excel(path, sheet_name=sheet, engine="openpyxl" if suffix != ".xls" else None)
        elif suffix in (".sav", ".zsav"):
            pyreadstat = require("pyreadstat", "Reading SPSS files")
            data, m = pyreadstat.read_sav(str(path))
            meta.update(value_labels=dict(m.variable_value_labels), variable_labels=dict(m.column_names_to_labels))
        elif suffix == ".dta":
            pyreadstat = require("pyreadstat", "Reading Stata files")
            data, m = pyreadstat.read_dta(str(path))
            meta.update(value_labels=dict(m.variable_value_labels), variable_labels=dict(m.column_names_to_labels))
        elif suffix in (".parquet", ".pq"):
            require("pyarrow", "Reading Parquet files")
            data = pd.read_parquet(path)
        else:
            data = _read_csv(path, encoding, sep, meta)
    except (SurveyDataError, ImportError):
        raise
    except pd.errors.EmptyDataError:
        raise SurveyDataError(f"Survey file {where!r} is empty: it has no header and no data rows. "
                              "Export the survey again with a header row.") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise SurveyDataError(f"Could not read survey file {where!r}: {exc}. Check the file format.") from exc
    return data, where, meta


def _read_csv(path: Path, encoding: str | None, sep: str | None, meta: dict[str, Any]) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise pd.errors.EmptyDataError("empty")
    enc = encoding or detect_encoding(path)
    sep = sep or _sniff_sep(path, enc)
    meta["encoding"] = enc
    try:
        if path.stat().st_size > _BIG_CSV_BYTES:
            return _read_big_csv(path, enc, sep)
        return pd.read_csv(path, sep=sep, encoding=enc, engine="c", low_memory=False)
    except UnicodeDecodeError:
        if encoding is not None:
            raise SurveyDataError(
                f"Survey file {str(path)!r} is not valid {encoding!r} text. Pass the right encoding= "
                "(e.g. 'utf-8' or 'gb18030') or leave it out to detect it."
            ) from None
        meta["encoding"] = "gb18030"
        return pd.read_csv(path, sep=sep, encoding="gb18030", engine="c", low_memory=False)


def _read_big_csv(path: Path, enc: str, sep: str) -> pd.DataFrame:
    """Large CSV: small integer columns read as int16 (4x less memory), pyarrow's parallel parser if present.

    The int16 columns (few distinct integers, like rating items) are guessed from the first
    rows; if a later value does not fit, the file is read again without the hint.
    """
    probe = pd.read_csv(path, sep=sep, encoding=enc, engine="c", nrows=5000)
    small = [str(c) for c in probe.columns
             if pd.api.types.is_integer_dtype(probe[c]) and len(probe[c])
             and probe[c].min() >= -9999 and probe[c].max() <= 9999 and probe[c].nunique() <= 200]
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        try:
            return pd.read_csv(path, sep=sep, encoding=enc, engine="c", low_memory=False,
                               dtype=dict.fromkeys(small, "int16"))
        except (ValueError, OverflowError):
            return pd.read_csv(path, sep=sep, encoding=enc, engine="c", low_memory=False)
    read_opts = pacsv.ReadOptions(encoding="utf8" if enc in ("utf-8", "utf-8-sig") else enc)
    parse_opts = pacsv.ParseOptions(delimiter=sep)
    try:
        table = pacsv.read_csv(path, read_options=read_opts, parse_options=parse_opts,
                               convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(small, pa.int16())))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        table = pacsv.read_csv(path, read_options=read_opts, parse_options=parse_opts)
    data = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    pa.default_memory_pool().release_unused()  # hand the parser's buffers back before validation
    return data


def load_survey(
    source: str | Path | pd.DataFrame,
    codebook: Codebook | Mapping | str | Path | None = None,
    *,
    on_invalid: Literal["raise", "nan"] = "raise",
    scale: tuple[float, float] | None = None,
    n_invited: int | None = None,
    encoding: str | None = None,
    sheet: str | int = 0,
    sep: str | None = None,
    response_rate_target: float = RESPONSE_RATE_TARGET,
) -> Survey:
    """Load and validate survey responses.

    Parameters
    ----------
    source : str, Path or pandas.DataFrame
        A CSV/TSV, Excel, SPSS ``.sav``, Stata ``.dta`` or Parquet file, or a DataFrame
        (copied; the caller's frame is never changed).
    codebook : Codebook, dict, str or Path, optional
        Item metadata (see :mod:`csindex.codebook`). Without one, constructs are inferred
        from item-name prefixes and scales from the data; the guesses are listed in
        ``survey.codebook.inferred`` and ``survey.validation.notes``.
    on_invalid : {"raise", "nan"}
        What to do with a value off the scale, text in a numeric item or a duplicated
        respondent id: raise :class:`~csindex.exceptions.SurveyDataError` (default), or
        turn invalid cells into NaN (duplicated ids are kept) and count them in
        ``survey.validation``.
    scale : (min, max), optional
        Scale of rated items whose codebook gives none (and of all items when the
        codebook is inferred).
    n_invited : int, optional
        Number of people invited; gives ``validation.response_rate``.
    encoding : str, optional
        CSV text encoding; detected when omitted (UTF-8, UTF-8 with BOM, GB18030/GBK).
    sheet : str or int
        Excel sheet.
    sep : str, optional
        CSV separator; sniffed from the header line when omitted.
    response_rate_target : float
        Target response rate (default 0.70).

    Returns
    -------
    Survey

    Raises
    ------
    SurveyDataError
        Empty file, value off the scale, text in a numeric item, duplicated id, bad weights.
    CodebookError
        The codebook is malformed or names an item the data lacks.
    MissingDependencyError
        The file type needs an optional package (``pip install "csindex[io]"``).

    Examples
    --------
    >>> import pandas as pd, csindex
    >>> df = pd.DataFrame({"IMAG1": [11, 3], "IMAG2": [4, 5]})
    >>> csindex.load_survey(df, scale=(1, 10))
    Traceback (most recent call last):
    ...
    csindex.exceptions.SurveyDataError: Item 'IMAG1' has 1 value outside the scale 1-10: 11 (data row 1). Fix the data, declare the code as a missing code in the codebook, or pass on_invalid='nan' to treat invalid cells as missing (they are counted in survey.validation).
    """
    check_option("on_invalid", on_invalid, ("raise", "nan"), "load_survey")
    if scale is not None:
        try:
            lo, hi = (float(v) for v in scale)
        except (TypeError, ValueError):
            raise SurveyDataError(f"scale must be (min, max); got {scale!r}.") from None
        if not lo < hi:
            raise SurveyDataError(f"scale must have min < max; got {scale!r}.")
        scale = (lo, hi)
    raw, where, meta = read_table(source, encoding=encoding, sheet=sheet, sep=sep)
    raw.columns = [str(c) for c in raw.columns]
    if raw.shape[1] == 0 or raw.shape[0] == 0:
        raise SurveyDataError(
            f"Survey {where!r} has no data rows (found {raw.shape[1]} columns and {raw.shape[0]} rows). "
            "Check that the file holds the responses and a header row."
        )
    dup_cols = raw.columns[raw.columns.duplicated()].tolist()
    if dup_cols:
        raise SurveyDataError(f"Survey {where!r} has duplicated column names: {quote_list(dup_cols)}. Rename them.")

    notes: list[str] = []
    if meta.get("encoding") not in (None, "utf-8"):
        notes.append(f"File read with encoding {meta['encoding']!r}.")
    cb = _resolve_codebook(codebook, raw, scale, meta, notes)
    items = cb.items
    rated = [c for c in raw.columns if items.at[c, "role"] in RATED_ROLES]
    n = len(raw)

    # ---- rated items: numeric, missing codes -> NaN, validity counted per column (one pass, no copies)
    block = np.empty((len(rated), n), dtype=np.float64)  # one contiguous row per item
    stats = {k: np.zeros(len(rated), dtype=np.int64)
             for k in ("n_missing", "n_missing_code", "n_out_of_range", "n_non_numeric")}
    straight = _StraightLiners(rated, items, n)
    for j, col in enumerate(rated):
        lo, hi = items.at[col, "scale_min"], items.at[col, "scale_max"]
        row = block[j]
        series = raw[col]
        codes = items.at[col, "missing_codes"]
        if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu" and not (np.isnan(lo) or np.isnan(hi)):
            # fast path for integer columns (no NaN possible): checks on the narrow ints
            arr = series.to_numpy()
            row[:] = arr
            inside = (arr >= lo) & (arr <= hi)
            if not inside.all():
                outside = np.flatnonzero(~inside)
                is_code = np.isin(arr[outside], np.asarray(codes, dtype=np.float64)) if codes else None
                n_code = int(is_code.sum()) if is_code is not None else 0
                stats["n_missing_code"][j] = n_code
                off_rows = outside[~is_code] if is_code is not None else outside
                if len(off_rows):
                    stats["n_out_of_range"][j] = len(off_rows)
                    if on_invalid == "raise":
                        raise SurveyDataError(
                            f"Item {col!r} has {_count(len(off_rows), 'value')} outside the scale {lo:g}-{hi:g}: "
                            f"{_describe(arr[off_rows], off_rows)}. {_FIX}"
                        )
                row[outside] = np.nan
            stats["n_missing"][j] = n - int(inside.sum())
            straight.add(j, row, inside)
            if items.at[col, "reverse"]:
                np.subtract(lo + hi, row, out=row)
            continue
        if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf":
            row[:] = series.to_numpy()
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            row[:] = series.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            numeric = _as_numeric(series)
            row[:] = np.nan if numeric is None else numeric.to_numpy(dtype=np.float64, na_value=np.nan)
            text = series.astype("string").str.strip()
            bad = np.isnan(row) & (text.notna() & (text != "")).fillna(False).to_numpy(dtype=bool)
            if bad.any():
                stats["n_non_numeric"][j] = int(bad.sum())
                if on_invalid == "raise":
                    raise SurveyDataError(
                        f"Item {col!r} has {_count(bad.sum(), 'non-numeric value')}: "
                        f"{_describe(series.to_numpy()[bad], np.flatnonzero(bad), repr_values=True)}. "
                        f"Recode the text as numbers or leave the cells empty. {_FIX}"
                    )
        for code in codes:
            is_code = row == code
            k = int(is_code.sum())
            if k:
                stats["n_missing_code"][j] += k
                row[is_code] = np.nan
        if not (np.isnan(lo) or np.isnan(hi)):
            with np.errstate(invalid="ignore"):
                off = (row < lo) | (row > hi)
            if off.any():
                stats["n_out_of_range"][j] = int(off.sum())
                if on_invalid == "raise":
                    raise SurveyDataError(
                        f"Item {col!r} has {_count(off.sum(), 'value')} outside the scale {lo:g}-{hi:g}: "
                        f"{_describe(row[off], np.flatnonzero(off))}. {_FIX}"
                    )
                row[off] = np.nan
        stats["n_missing"][j] = int(np.isnan(row).sum())
        straight.add(j, row)  # raw answers, before reverse coding
        if items.at[col, "reverse"]:
            np.subtract(lo + hi, row, out=row)
    straight_liners = straight.result(raw.index)

    # ---- id, weights
    id_col = cb.id_column
    duplicated = pd.Index([])
    if id_col is not None:
        ids = raw[id_col]
        dup_mask = ids.duplicated(keep=False).to_numpy()
        if dup_mask.any():
            duplicated = pd.Index(pd.unique(ids[dup_mask]))
            if on_invalid == "raise":
                raise SurveyDataError(
                    f"Respondent id column {id_col!r} has {_count(len(duplicated), 'duplicated id')}: "
                    f"{_describe(ids.to_numpy()[dup_mask], np.flatnonzero(dup_mask), repr_values=True)}. "
                    "Remove the duplicated respondents, or pass on_invalid='nan' to keep them "
                    "(they are listed in survey.validation.duplicated_ids)."
                )
            notes.append(f"{len(duplicated)} duplicated respondent ids kept (on_invalid='nan').")
    weights = _weights(raw, cb.weight_column)

    # ---- assemble responses in the original column order (no copy of the float block)
    responses = pd.DataFrame(block.T, columns=rated, index=raw.index.copy(), copy=False)
    for pos, col in enumerate(raw.columns):
        if col not in items.index or items.at[col, "role"] not in RATED_ROLES:
            responses.insert(pos, col, raw[col].copy())

    rate = None
    if n_invited is not None:
        if not isinstance(n_invited, (int, np.integer)) or n_invited < n:
            raise SurveyDataError(
                f"n_invited must be a whole number at least the number of respondents ({n}); got {n_invited!r}."
            )
        rate = n / int(n_invited)
    n_missing = stats.pop("n_missing")
    table = pd.DataFrame(
        {
            "n_valid": n - n_missing,
            "n_missing": n_missing,
            "missing_share": n_missing / n,
            **stats,
            "scale_min": items.loc[rated, "scale_min"].to_numpy(),
            "scale_max": items.loc[rated, "scale_max"].to_numpy(),
        },
        index=pd.Index(rated, name="item"),
    )
    invalid = int(stats["n_out_of_range"].sum() + stats["n_non_numeric"].sum())
    if invalid:
        notes.append(f"{invalid} invalid cells set to NaN (on_invalid='nan').")
    validation = Validation(
        n=n, items=table, straight_liners=straight_liners, duplicated_ids=duplicated, n_invited=n_invited,
        response_rate=rate, response_rate_target=float(response_rate_target),
        notes=tuple(cb.inferred) + tuple(notes),
    )
    return Survey(responses=responses, codebook=cb, weights=weights, validation=validation, source=where)


def _resolve_codebook(codebook: Any, raw: pd.DataFrame, scale: tuple[float, float] | None,
                      meta: dict[str, Any], notes: list[str]) -> Codebook:
    value_labels = meta.get("value_labels") or {}
    variable_labels = meta.get("variable_labels") or {}
    if codebook is None:
        cb = Codebook.infer(raw, scale=scale)
        items = cb.items.copy()
        extra: list[str] = []
    else:
        cb = Codebook.coerce(codebook)
        items = cb.items.copy()
        missing = [i for i in items.index if i not in raw.columns]
        if missing:
            first = missing[0]
            raise CodebookError(
                f"The codebook names {_count(len(missing), 'item')} that the data lacks: {quote_list(missing)}."
                f"{did_you_mean(first, raw.columns)} Fix the codebook or rename the column in the data."
            )
        unknown = [c for c in raw.columns if c not in items.index]
        extra = []
        if unknown:
            guessed = Codebook.infer(raw[unknown]).items
            guessed.loc[:, "role"] = "profile"
            guessed.loc[:, ["construct", "attribute"]] = ""
            guessed.loc[:, ["scale_min", "scale_max"]] = np.nan
            guessed["missing_codes"] = [() for _ in range(len(guessed))]
            guessed["value_labels"] = None
            items = pd.concat([items, guessed])
            extra.append(f"{len(unknown)} columns not in the codebook kept as read (role 'profile'): "
                         f"{quote_list(unknown)}.")
        # rated items without a scale: the scale argument, else infer from data
        no_scale = [i for i in items.index if items.at[i, "role"] in RATED_ROLES and np.isnan(items.at[i, "scale_min"])]
        if no_scale:
            if scale is not None:
                items.loc[no_scale, "scale_min"], items.loc[no_scale, "scale_max"] = scale
            else:
                guess = Codebook.infer(raw[no_scale]).items
                items.loc[no_scale, ["scale_min", "scale_max"]] = guess.loc[no_scale, ["scale_min", "scale_max"]]
                extra.append(f"Scale of {quote_list(no_scale)} inferred from the data (none in the codebook).")
    for col, labels in value_labels.items():
        if col in items.index and labels and items.at[col, "role"] in RATED_ROLES:
            # labels stored in the file, completed (not overridden) by the codebook's own
            merged = {float(k): str(v) for k, v in labels.items()}
            merged.update(items.at[col, "value_labels"] or {})
            items.at[col, "value_labels"] = merged
    for col, label in variable_labels.items():
        if col in items.index and label and not items.at[col, "label_en"]:
            items.at[col, "label_en"] = str(label)
    cb = cb.with_items(items, tuple(extra))
    return cb


def _weights(raw: pd.DataFrame, col: str | None) -> pd.Series | None:
    if col is None:
        return None
    w = _as_numeric(raw[col])
    if w is None:
        w = pd.Series(np.nan, index=raw.index)
    bad = (w.isna() | (w < 0) | ~np.isfinite(w.fillna(0))).to_numpy()
    if bad.any():
        raise SurveyDataError(
            f"Weight column {col!r} has {_count(bad.sum(), 'missing, negative or non-numeric weight')}: "
            f"{_describe(raw[col].to_numpy()[bad], np.flatnonzero(bad), repr_values=True)}. "
            "Every respondent needs a weight >= 0; fix the column or mark it as a profile column in the codebook."
        )
    if float(w.sum()) <= 0:
        raise SurveyDataError(f"Weight column {col!r} sums to 0; at least one weight must be positive.")
    return w.rename(col).astype("float64")


class _StraightLiners:
    """Respondents answering every battery item of the most common scale with the same code.

    Accumulates running min/max/count item by item, so the check needs no copy of the data.
    """

    def __init__(self, rated: list[str], items: pd.DataFrame, n: int) -> None:
        scales = list(zip(items.loc[rated, "scale_min"], items.loc[rated, "scale_max"])) if rated else []
        common = max(set(scales), key=scales.count) if scales else None
        size = items.loc[rated, "construct"].map(items.loc[rated, "construct"].value_counts()) if rated else []
        # batteries only: items of multi-item constructs on the most common scale (not e.g. a lone NPS)
        self.use = [sc == common and k >= 2 for sc, k in zip(scales, size)]
        self.active = sum(self.use) >= _STRAIGHT_MIN_ITEMS
        if self.active:
            self.lo = np.full(n, np.inf)
            self.hi = np.full(n, -np.inf)
            self.count = np.zeros(n, dtype=np.int32)

    def add(self, j: int, row: np.ndarray, answered: np.ndarray | None = None) -> None:
        if self.active and self.use[j]:
            np.fmin(self.lo, row, out=self.lo)
            np.fmax(self.hi, row, out=self.hi)
            self.count += ~np.isnan(row) if answered is None else answered

    def result(self, index: pd.Index) -> pd.Index:
        if not self.active:
            return index[:0]
        return index[(self.lo == self.hi) & (self.count >= _STRAIGHT_MIN_ITEMS)]


def _count(k: int, noun: str) -> str:
    k = int(k)
    return f"{k} {noun}" if k == 1 else f"{k} {noun}s"


def _describe(values: np.ndarray, rows: np.ndarray, repr_values: bool = False, limit: int = 5) -> str:
    """'11 (data rows 3 and 7), 0 (data row 12)' for the first offending values."""
    seen: dict[Any, list[int]] = {}
    order: list[Any] = []
    for v, r in zip(values[:1000], rows[:1000]):
        if isinstance(v, np.generic):
            v = v.item()
        key = v if not (isinstance(v, float) and np.isnan(v)) else "NaN"
        if isinstance(key, float) and key.is_integer():
            key = int(key)
        if key not in seen:
            seen[key] = []
            order.append(key)
        seen[key].append(int(r) + 1)
    parts = []
    for key in order[:limit]:
        rr = seen[key]
        shown = ", ".join(str(x) for x in rr[:3]) + (f" and {len(rr) - 3} more" if len(rr) > 3 else "")
        label = repr(key) if repr_values else str(key)
        parts.append(f"{label} (data row{'s' if len(rr) > 1 else ''} {shown})")
    more = len(order) - limit
    return ", ".join(parts) + (f", and {more} more values" if more > 0 else "")
