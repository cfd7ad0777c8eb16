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

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._csv import check_encoding, detect_encoding, read_text_table, sniff_format
from ._db import is_database, read_database
from ._deps import require
from ._params import AnyOf, Count, Instance, Interval, Options, check_param
from ._validation import did_you_mean, quote_list
from .codebook import RATED_ROLES, Codebook, _as_numeric
from .exceptions import CodebookError, CsindexError, ParameterError, SurveyDataError
from .survey import RESPONSE_RATE_TARGET, Survey, Validation

__all__ = ["load_survey", "read_table", "detect_encoding"]

logger = logging.getLogger(__name__)

_FIX = ("Fix the data, declare the code as a missing code in the codebook, or pass on_invalid='nan' "
        "to treat invalid cells as missing (they are counted in survey.validation).")
_STRAIGHT_MIN_ITEMS = 5


_KINDS = {  # what sniff_format finds -> (reader label, file suffixes that announce it)
    "text": ("delimited text (CSV/TSV)", (".csv", ".tsv", ".txt", ".tab", ".dat", "")),
    "xlsx": ("Excel workbook", (".xlsx", ".xlsm")),
    "xls": ("Excel 97-2003 workbook", (".xls",)),
    "sav": ("SPSS data file", (".sav", ".zsav")),
    "dta": ("Stata data file", (".dta",)),
    "parquet": ("Parquet file", (".parquet", ".pq")),
}
_REFUSED = {
    "zip": "a ZIP archive that is not an Excel workbook; unzip it and load the survey file inside",
    "gzip": "a gzip-compressed file; decompress it first (gunzip) and load the result",
    "binary": "binary content that is not a survey format csindex reads (CSV/TSV, Excel, SPSS, Stata, Parquet)",
}


def read_table(source: Any, *, encoding: str | None = None, sheet: str | int = 0,
               sep: str | None = None, table: Any = None, query: str | None = None,
               params: Mapping[str, Any] | None = None) -> tuple[pd.DataFrame, str, dict[str, Any]]:
    """Read a source into a raw DataFrame; the file's content (not its name) picks the reader.

    Returns
    -------
    (data, description, meta)
        ``meta`` may hold ``value_labels`` (column -> {code: label}), ``variable_labels``
        (column -> label), ``encoding``, ``sep``, ``narrowed`` and ``notes``.

    Raises
    ------
    SurveyDataError
        The file is missing, a folder, empty, corrupt or not a survey format; the message
        names the file and the fix. Every reader failure is wrapped (``raise ... from``).
    ParameterError
        A bad ``encoding``, ``sheet`` or ``sep``.

    Examples
    --------
    >>> import pandas as pd
    >>> df, where, meta = read_table(pd.DataFrame({"a": [1]}))
    >>> where
    'DataFrame'
    """
    meta: dict[str, Any] = {"notes": []}
    if not isinstance(source, pd.DataFrame) and is_database(source):
        data, where = read_database(source, table=table, query=query, params=params)
        return data, where, meta
    for name, value in (("table", table), ("query", query), ("params", params)):
        if value is not None:
            raise ParameterError(f"The {name!r} parameter of load_survey is for a database source (a SQLAlchemy URL, "
                                 "engine or connection, or a DuckDB file or connection); the source is not one.")
    if isinstance(source, pd.DataFrame):
        return source.copy(deep=False), "DataFrame", meta  # shallow: renaming columns never touches the caller's
    if not isinstance(source, (str, Path)):
        raise SurveyDataError(
            f"load_survey needs a file path or a pandas DataFrame; got {type(source).__name__}."
        )
    check_param("sheet", sheet, AnyOf(Count(0), Instance((str,), "a sheet name")), "load_survey")
    if encoding is not None:
        check_encoding(encoding)
    path = Path(source)
    where = str(path)
    try:
        exists, is_dir = path.exists(), path.is_dir()
        if exists and not is_dir and path.stat().st_size == 0:
            raise pd.errors.EmptyDataError("empty")
        kind = sniff_format(path) if exists and not is_dir else ""
    except pd.errors.EmptyDataError:
        raise SurveyDataError(f"Survey file {where!r} is empty: it has no header and no data rows. "
                              "Export the survey again with a header row.") from None
    except OSError as exc:
        raise SurveyDataError(f"Could not open survey file {where!r}: {exc.strerror or exc}. "
                              "Check the path and its permissions.") from exc
    if not exists:
        hint = did_you_mean(path.name, [p.name for p in path.parent.glob("*")]) if path.parent.exists() else ""
        raise SurveyDataError(f"Survey file {where!r} does not exist.{hint} Check the path.")
    if is_dir:
        raise SurveyDataError(f"{where!r} is a folder; give the path of a survey file inside it.")
    if kind in _REFUSED:
        raise SurveyDataError(f"Survey file {where!r} holds {_REFUSED[kind]}.")
    label, suffixes = _KINDS[kind]
    suffix = path.suffix.lower()
    if suffix not in suffixes and (kind != "text" or suffix in _BINARY_SUFFIXES):
        meta["notes"].append(f"File {path.name!r} is named {suffix or 'without a suffix'} but holds a {label}; "
                             f"read as a {label}.")
    try:
        data = _read_kind(kind, path, encoding, sheet, sep, meta)
    except CsindexError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - third-party readers raise anything (BadZipFile, ReadstatError, ...)
        raise SurveyDataError(
            f"Could not read survey file {where!r} as a {label}: {type(exc).__name__}: {_first_line(exc)}. "
            f"Check that the file is a complete {label} (export it again), or save it as UTF-8 CSV."
        ) from exc
    return data, where, meta


_BINARY_SUFFIXES = tuple(s for k, (_, sufs) in _KINDS.items() if k != "text" for s in sufs)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else "no details"


def _read_kind(kind: str, path: Path, encoding: str | None, sheet: str | int, sep: str | None,
               meta: dict[str, Any]) -> pd.DataFrame:
    if kind == "xlsx":
        require("openpyxl", "Reading Excel files")
        return pd.read_excel(path, sheet_name=sheet, engine="openpyxl")
    if kind == "xls":
        require("xlrd", "Reading Excel 97-2003 (.xls) files")
        return pd.read_excel(path, sheet_name=sheet, engine="xlrd")
    if kind in ("sav", "dta"):
        pyreadstat = require("pyreadstat", "Reading SPSS files" if kind == "sav" else "Reading Stata files")
        reader = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
        data, m = reader(str(path))
        meta.update(value_labels=dict(m.variable_value_labels), variable_labels=dict(m.column_names_to_labels))
        return data
    if kind == "parquet":
        require("pyarrow", "Reading Parquet files")
        return pd.read_parquet(path)
    data, text_meta = read_text_table(path, encoding, sep)
    notes = text_meta.pop("notes", [])
    meta.update(text_meta)
    meta["notes"].extend(notes)
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
    table: Any = None,
    query: str | None = None,
    params: Mapping[str, Any] | None = None,
    codebook_table: Any = None,
) -> Survey:
    """Load and validate survey responses.

    Parameters
    ----------
    source : str, Path, pandas.DataFrame or database
        A CSV/TSV, Excel, SPSS ``.sav``, Stata ``.dta`` or Parquet file (the content picks
        the reader), a Qualtrics or SurveyMonkey export, a DataFrame (copied; the caller's
        frame is never changed), or a database: a SQLAlchemy URL such as
        ``"postgresql+psycopg://user@/db?host=/socket/dir"``, engine or connection, or a
        DuckDB file (``.duckdb``) or connection, with ``table=`` or ``query=``.
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
        CSV separator; sniffed from the first lines when omitted (quoting respected).
    response_rate_target : float
        Target response rate (default 0.70).
    table : str or (schema, name), optional
        Database table or view to read (checked against the database's tables and quoted
        by the driver's rules, never pasted into SQL).
    query : str, optional
        SQL to read instead of a table; values go in ``params`` (``:name`` placeholders
        for SQLAlchemy, ``$name`` for DuckDB), never into the SQL text.
    params : mapping, optional
        Bound parameters of ``query``.
    codebook_table : str or (schema, name), optional
        For a database source: read the codebook from this table of the same database
        (one row per item, see :meth:`Codebook.from_frame`) instead of ``codebook``.

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
    check_param("on_invalid", on_invalid, Options("raise", "nan"), "load_survey")
    check_param("n_invited", n_invited, AnyOf(Count(1), none_ok=True), "load_survey")
    response_rate_target = check_param("response_rate_target", response_rate_target, Interval(0, 1, closed="right"),
                                       "load_survey")
    scale = _check_scale(scale)
    codebook = _codebook_from_table(source, codebook, codebook_table)
    raw, where, meta = read_table(source, encoding=encoding, sheet=sheet, sep=sep, table=table, query=query,
                                  params=params)
    raw.columns = [str(c) for c in raw.columns]
    if raw.shape[1] == 0 or raw.shape[0] == 0:
        raise SurveyDataError(
            f"Survey {where!r} has no data rows (found {raw.shape[1]} columns and {raw.shape[0]} rows). "
            + ("Check the query and its parameters: no row matched." if query is not None
               else "Check that the table holds the responses." if table is not None
               else "Check that the file holds the responses and a header row.")
        )
    dup_cols = raw.columns[raw.columns.duplicated()].tolist()
    if dup_cols:
        raise SurveyDataError(f"Survey {where!r} has duplicated column names: {quote_list(dup_cols)}. Rename them.")
    _check_finite(raw, where)

    notes: list[str] = list(meta.get("notes", ()))
    if meta.get("encoding") not in (None, "utf-8"):
        notes.append(f"File read with encoding {meta['encoding']!r}.")
    cb = _resolve_codebook(codebook, raw, scale, meta, notes)
    items = cb.items
    rated = [c for c in raw.columns if items.at[c, "role"] in RATED_ROLES]
    n = len(raw)
    block, stats, straight = _rated_block(raw, rated, items, on_invalid, where)
    straight_liners = straight.result(raw.index)
    inside = [c for c in rated if any(items.at[c, "scale_min"] <= code <= items.at[c, "scale_max"]
                                      for code in items.at[c, "missing_codes"])]
    if inside:
        notes.append(f"Missing codes inside the scale were set to missing (they are not ratings) in "
                     f"{quote_list(inside)}; check that this is intended.")

    duplicated = _duplicated_ids(raw, cb.id_column, on_invalid, notes)
    weights = _weights(raw, cb.weight_column)

    # ---- assemble responses in the original column order (no copy of the float block)
    responses = pd.DataFrame(block.T, columns=rated, index=raw.index.copy(), copy=False)
    narrowed = set(meta.get("narrowed", ()))
    for pos, col in enumerate(raw.columns):
        if col not in items.index or items.at[col, "role"] not in RATED_ROLES:
            # columns parsed as int16 to save memory read like any other integer column
            responses.insert(pos, col, _widen(raw[col]) if col in narrowed else raw[col].copy())

    rate = None
    if n_invited is not None:
        if not isinstance(n_invited, (int, np.integer)) or n_invited < n:
            raise SurveyDataError(
                f"n_invited must be a whole number at least the number of respondents ({n}); got {n_invited!r}."
            )
        rate = n / int(n_invited)
    table = _item_table(stats, items, rated, n)
    invalid = int(stats["n_out_of_range"].sum() + stats["n_non_numeric"].sum())
    if invalid:
        notes.append(f"{invalid} invalid cells set to NaN (on_invalid='nan').")
    validation = Validation(
        n=n, items=table, straight_liners=straight_liners, duplicated_ids=duplicated, n_invited=n_invited,
        response_rate=rate, response_rate_target=float(response_rate_target),
        notes=tuple(cb.inferred) + tuple(notes),
        likely_missing_codes=_likely_codes_table(items, table) if codebook is None else None,
    )
    return Survey(responses=responses, codebook=cb, weights=weights, validation=validation, source=where)


def _widen(series: pd.Series) -> pd.Series:
    """A column parsed as int16 as if parsed as int64: int64, or float64 when it has empty cells."""
    return series.astype("int64" if series.dtype.kind in "iu" else "float64")


def _item_table(stats: dict[str, np.ndarray], items: pd.DataFrame, rated: list[str], n: int) -> pd.DataFrame:
    n_missing = stats.pop("n_missing")
    return pd.DataFrame(
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


def _codebook_from_table(source: Any, codebook: Any, codebook_table: Any) -> Any:
    if codebook_table is None:
        return codebook
    if codebook is not None or not is_database(source):
        raise ParameterError("The 'codebook_table' parameter of load_survey reads the codebook from a table of "
                             "the database source; use it without codebook= and with a database source.")
    frame, cb_where = read_database(source, table=codebook_table)
    try:
        return Codebook.from_frame(frame, name=str(codebook_table))
    except CodebookError as exc:
        raise CodebookError(f"Codebook table in {cb_where}: {exc}") from exc


def _check_scale(scale: Any) -> tuple[float, float] | None:
    if scale is None:
        return None
    try:
        lo, hi = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise ParameterError(f"The 'scale' parameter of load_survey must be (min, max). Got {scale!r} instead.") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ParameterError(f"The 'scale' parameter of load_survey must be (min, max) with finite min < max. "
                             f"Got {scale!r} instead.")
    return lo, hi


def _check_finite(raw: pd.DataFrame, where: str) -> None:
    """inf is never an answer, a weight or a profile value: refuse it, naming the column and rows."""
    for col in raw.columns:
        series = raw[col]
        if isinstance(series.dtype, np.dtype) and series.dtype.kind == "f":
            arr = series.to_numpy()
            bad = np.isinf(arr)
            if bad.any():
                raise SurveyDataError(
                    f"Column {col!r} of {where!r} has {_count(bad.sum(), 'infinite value')}: "
                    f"{_describe(arr[bad], np.flatnonzero(bad))}. Replace them with real values or leave the "
                    "cells empty."
                )


def _rated_block(raw: pd.DataFrame, rated: list[str], items: pd.DataFrame, on_invalid: str,
                 where: str) -> tuple[np.ndarray, dict[str, np.ndarray], _StraightLiners]:
    """Rated items as one float64 block (item x respondent): missing codes -> NaN, validity counted.

    Missing codes are applied before the scale check in every dtype, so an int column and a
    float column with the same values give the same result.
    """
    n = len(raw)
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
            is_code = np.isin(arr, np.asarray(codes, dtype=np.float64)) if codes else None
            valid = (arr >= lo) & (arr <= hi)
            if is_code is not None:
                stats["n_missing_code"][j] = int(is_code.sum())
                valid &= ~is_code
                off = ~valid & ~is_code
            else:
                off = ~valid
            if not valid.all():
                off_rows = np.flatnonzero(off)
                if len(off_rows):
                    stats["n_out_of_range"][j] = len(off_rows)
                    if on_invalid == "raise":
                        raise SurveyDataError(
                            f"Item {col!r} has {_count(len(off_rows), 'value')} outside the scale {lo:g}-{hi:g}: "
                            f"{_describe(arr[off_rows], off_rows)}. {_FIX}"
                        )
                row[~valid] = np.nan
            stats["n_missing"][j] = n - int(valid.sum())
            straight.add(j, row, valid)
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
        if np.isinf(row).any():
            bad_rows = np.flatnonzero(np.isinf(row))
            raise SurveyDataError(f"Item {col!r} of {where!r} has {_count(len(bad_rows), 'infinite value')}: "
                                  f"{_describe(row[bad_rows], bad_rows)}. Replace them with real answers or "
                                  "leave the cells empty.")
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
    return block, stats, straight


def _duplicated_ids(raw: pd.DataFrame, id_col: str | None, on_invalid: str, notes: list[str]) -> pd.Index:
    """Ids given more than once (exact comparison; empty id cells are not duplicates of each other)."""
    if id_col is None:
        return pd.Index([])
    ids = raw[id_col]
    present = ids.notna().to_numpy()
    if not present.all():
        notes.append(f"{_count((~present).sum(), 'respondent')} without an id in column {id_col!r}.")
    dup_mask = ids.duplicated(keep=False).to_numpy() & present
    if not dup_mask.any():
        return pd.Index([])
    duplicated = pd.Index(pd.unique(ids[dup_mask]))
    if on_invalid == "raise":
        raise SurveyDataError(
            f"Respondent id column {id_col!r} has {_count(len(duplicated), 'duplicated id')}: "
            f"{_describe(ids.to_numpy()[dup_mask], np.flatnonzero(dup_mask), repr_values=True)}. "
            "Remove the duplicated respondents, or pass on_invalid='nan' to keep them "
            "(they are listed in survey.validation.duplicated_ids)."
        )
    notes.append(f"{len(duplicated)} duplicated respondent ids kept (on_invalid='nan').")
    return duplicated


def _likely_codes_table(items: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Per construct: the codes inference set aside as likely 'cannot answer' codes, with their cell counts."""
    rows = []
    rated = items.loc[table.index]
    for cname, group in rated.groupby("construct", sort=False):
        codes = group["missing_codes"].iloc[0]
        n_cells = int(table.loc[group.index, "n_missing_code"].sum())
        if codes and n_cells:
            rows.append({"construct": cname, "items": ", ".join(map(str, group.index)),
                         "codes": ", ".join(f"{c:g}" for c in codes), "n_cells": n_cells,
                         "scale_min": float(group["scale_min"].iloc[0]), "scale_max": float(group["scale_max"].iloc[0])})
    return pd.DataFrame(rows, columns=["construct", "items", "codes", "n_cells", "scale_min", "scale_max"])


def _resolve_codebook(codebook: Any, raw: pd.DataFrame, scale: tuple[float, float] | None,
                      meta: dict[str, Any], notes: list[str]) -> Codebook:
    value_labels = meta.get("value_labels") or {}
    variable_labels = meta.get("variable_labels") or {}
    export = meta.get("platform")
    if codebook is None and export is not None:
        cb = _infer_export(raw, scale, export, variable_labels)
        items = cb.items.copy()
        extra: list[str] = []
    elif codebook is None:
        cb = Codebook.infer(raw, scale=scale, labels=variable_labels)
        items = cb.items.copy()
        extra = []
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


def _infer_export(raw: pd.DataFrame, scale: tuple[float, float] | None, export: Any,
                  labels: dict[str, Any]) -> Codebook:
    """Inferred codebook of a platform export: its metadata columns are profile columns (the
    response id the respondent id), never rated items; the rest is inferred as usual, roles
    read from the question texts (``labels``) where the names Q1, Q2 give none."""
    meta_cols = [c for c in export.metadata if c in raw.columns]
    rest = raw.drop(columns=meta_cols)
    singles = {c: c for c in rest.columns if re.fullmatch(r"Q\d+", c)}  # Q2, Q4: separate questions
    cb = Codebook.infer(rest, scale=scale, construct_of=singles, labels=labels)
    if cb.id_column is not None and export.id_column in meta_cols:  # the platform's id wins
        cb = cb.with_items(cb.items.assign(role=cb.items["role"].replace("id", "profile")))
    extra = Codebook.from_dict({"items": {c: {"role": "id" if c == export.id_column else "profile"}
                                          for c in meta_cols}}).items
    items = pd.concat([cb.items, extra]).loc[list(raw.columns)]
    return Codebook(items=items, inferred=cb.inferred, name="inferred")


def _weights(raw: pd.DataFrame, col: str | None) -> pd.Series | None:
    if col is None:
        return None
    w = _as_numeric(raw[col])
    if w is None:
        w = pd.Series(np.nan, index=raw.index)
    bad = (w.isna() | (w < 0) | ~np.isfinite(w.fillna(0))).to_numpy()
    if bad.any():
        raise SurveyDataError(
            f"Weight column {col!r} has {_count(bad.sum(), 'missing, negative, infinite or non-numeric weight')}: "
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
