"""Survey responses from a database: a SQLAlchemy URL, engine or connection, or DuckDB.

Nothing the caller passes is pasted into SQL text: a ``table`` name is checked against the
database's own list of tables and views and then quoted by the driver's rules (SQLAlchemy's
identifier preparer, or DuckDB's double quotes); a ``query`` is the caller's own SQL and its
values go through bound parameters (``params``: ``:name`` placeholders for SQLAlchemy,
``$name`` or ``?`` for DuckDB). The rows go through the same Arrow-to-pandas conversion as a
CSV file, so the same values give the same ``Survey.responses`` from a file or a database.
A PostgreSQL read through psycopg is one ``COPY (query) TO STDOUT`` parsed by Arrow's CSV
reader with the columns' types; other reads stream rows from a server-side cursor in batches.

Examples
--------
>>> import duckdb, pandas as pd
>>> con = duckdb.connect()
>>> _ = con.execute("CREATE TABLE responses AS SELECT * FROM (VALUES (1, 7, 8), (2, 5, 6)) t(resp_id, SAT1, SAT2)")
>>> frame, where = read_database(con, table="responses")
>>> frame["SAT1"].tolist(), where
([7, 5], "DuckDB connection (table 'responses')")
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pandas as pd

from ._deps import require
from ._params import AnyOf, Instance, check_param
from ._validation import did_you_mean
from .exceptions import ParameterError, SurveyDataError

__all__ = ["is_database", "read_database", "source_label"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_DUCKDB_SUFFIXES = (".duckdb", ".ddb")


def _module(obj: Any) -> str:
    return type(obj).__module__.split(".")[0].lstrip("_")  # duckdb's connection lives in module _duckdb


def is_database(source: Any) -> bool:
    """True for a SQLAlchemy URL/engine/connection, a DuckDB connection or a DuckDB file."""
    if _module(source) in ("sqlalchemy", "duckdb"):
        return True
    if isinstance(source, str) and _URL.match(source):
        return True
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.suffix.lower() in _DUCKDB_SUFFIXES:
            return True
        try:
            with open(path, "rb") as fh:
                return fh.read(12)[8:12] == b"DUCK"
        except OSError:
            return False
    return False


def read_database(source: Any, *, table: Any = None, query: str | None = None,
                  params: Mapping[str, Any] | None = None) -> tuple[pd.DataFrame, str]:
    """Rows of ``table`` (a name, or ``(schema, name)``) or of ``query`` as a DataFrame, with a description."""
    check_param("query", query, AnyOf(Instance((str,), "SQL text"), none_ok=True), "load_survey")
    check_param("params", params, AnyOf(Instance((Mapping,), "a mapping of parameter names to values"),
                                        none_ok=True), "load_survey")
    if (table is None) == (query is None):
        raise ParameterError("load_survey from a database needs exactly one of table= (a table or view name) or "
                             "query= (SQL text with :name placeholders and params=). Got "
                             f"{'both' if table is not None else 'neither'}.")
    if table is not None:
        table = _check_table(table)
    if params and query is None:
        raise ParameterError("The 'params' parameter of load_survey is for query=; a table= read needs none.")
    if _module(source) == "duckdb" or (not (isinstance(source, str) and _URL.match(source))
                                       and _module(source) != "sqlalchemy"):
        return _read_duckdb(source, table, query, params)
    return _read_sqlalchemy(source, table, query, params)


def _check_table(table: Any) -> tuple[str | None, str]:
    if isinstance(table, str) and table:
        return None, table
    if isinstance(table, tuple) and len(table) == 2 and all(isinstance(t, str) and t for t in table):
        return table[0], table[1]
    raise ParameterError(f"The 'table' parameter of load_survey must be a table name or a (schema, name) pair. "
                         f"Got {table!r} instead.")


def _label(schema: str | None, name: str) -> str:
    return f"{schema}.{name}" if schema else name


def _read_sqlalchemy(source: Any, table: tuple[str | None, str] | None, query: str | None,
                     params: Mapping[str, Any] | None) -> tuple[pd.DataFrame, str]:
    sa = require("sqlalchemy", "Reading from a database")
    if isinstance(source, str) and source.startswith("postgres://"):  # the form hosting services hand out
        source = "postgresql://" + source[len("postgres://"):]
    try:
        engine = sa.create_engine(source) if isinstance(source, str) else source
    except (sa.exc.ArgumentError, ImportError, sa.exc.NoSuchModuleError) as exc:
        raise SurveyDataError(f"Could not use the database URL {_hide(source)!r}: {exc}. Check the URL and that its "
                              'driver is installed (pip install "csindex[db]" for PostgreSQL).') from exc
    url = engine.url if hasattr(engine, "url") else engine.engine.url
    where = f"{url.render_as_string(hide_password=True)}"
    is_conn = isinstance(engine, sa.engine.Connection)
    try:
        with (nullcontext(engine) if is_conn else engine.connect()) as conn:
            if table is not None:
                schema, name = table
                where += f" (table {_label(schema, name)!r})"
                inspector = sa.inspect(conn)
                known = inspector.get_table_names(schema=schema) + inspector.get_view_names(schema=schema)
                if name not in known:
                    raise SurveyDataError(f"The database {where} has no table or view {_label(schema, name)!r}."
                                          f"{did_you_mean(name, known)} Check the name (and schema).")
                stmt, values = sa.select(sa.Table(name, sa.MetaData(), autoload_with=conn, schema=schema)), {}
            else:
                where += " (query)"
                stmt, values = sa.text(query), dict(params or {})
            copied = _postgres_copy(conn, stmt, values)
            if copied is not None:
                return _from_arrow(copied), where
            result = conn.execution_options(stream_results=True).execute(stmt, values)
            columns = [str(c) for c in result.keys()]
            batches = [_arrow_batch(columns, part) for part in result.partitions(_BATCH_ROWS)]
    except SurveyDataError:
        raise
    except sa.exc.SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if isinstance(exc, sa.exc.OperationalError):  # no connection, or the server gave up
            raise SurveyDataError(f"Could not read from the database {where}: {detail}. Check the URL (host, port, "
                                  "database, user, password) and that the server is running.") from exc
        raise SurveyDataError(f"The database {where} refused the read: {detail}. Check the table, the column names "
                              "in the query and its parameters.") from exc
    finally:
        if isinstance(source, str):
            engine.dispose()
    return _from_arrow(_concat(columns, batches)), where


def _read_duckdb(source: Any, table: tuple[str | None, str] | None, query: str | None,
                 params: Mapping[str, Any] | None) -> tuple[pd.DataFrame, str]:
    duckdb = require("duckdb", "Reading DuckDB databases")
    own = _module(source) != "duckdb"
    where = "DuckDB connection" if not own else f"DuckDB file {str(source)!r}"
    try:
        con = duckdb.connect(str(source), read_only=True) if own else source
    except duckdb.Error as exc:
        raise SurveyDataError(f"Could not open {where}: {exc}. Check the path (a DuckDB database file).") from exc
    try:
        if table is not None:
            schema, name = table
            where += f" (table {_label(schema, name)!r})"
            known = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = coalesce(?, current_schema())",
                [schema]).fetchall()]
            if name not in known:
                raise SurveyDataError(f"The {where} has no table or view {_label(schema, name)!r}."
                                      f"{did_you_mean(name, known)} Check the name (and schema).")
            ident = ".".join(_quote(p) for p in (schema, name) if p)
            arrow = con.sql(f"SELECT * FROM {ident}").to_arrow_table()  # noqa: S608 - quoted identifier
        else:
            where += " (query)"
            arrow = con.sql(query, params=dict(params) if params else None).to_arrow_table()
    except SurveyDataError:
        raise
    except duckdb.Error as exc:
        raise SurveyDataError(f"The {where} refused the read: {str(exc).splitlines()[0]}. Check the table, the "
                              "column names in the query and its parameters ($name placeholders).") from exc
    finally:
        if own:
            con.close()
    return _from_arrow(arrow), where


_DUCKDB_FILE = re.compile(r"^DuckDB file '(?P<path>.*)'(?P<rest> \(.*\))?$", re.DOTALL)
_DB_URL = re.compile(r"^(?P<url>" + _URL.pattern.lstrip("^") + r"\S*)(?P<rest> \(.*\))?$", re.DOTALL)


def source_label(source: Any) -> str:
    """How a page names a survey's source (``Survey.source``): a file by its name, a database
    by its kind, name and table or query (no host, socket or user) — read from the descriptions
    :func:`read_database` writes, which is why it lives beside them.

    Examples
    --------
    >>> source_label("/data/airline.csv")
    'airline.csv'
    >>> source_label("DuckDB file '/data/tracking.duckdb' (table 'responses')")
    "tracking.duckdb (table 'responses')"
    >>> source_label("postgresql+psycopg://analyst@/surveys?host=/run/postgresql (query)")
    "postgresql database 'surveys' (query)"
    """
    text = str(source)
    duck = _DUCKDB_FILE.match(text)
    if duck:
        return Path(duck["path"]).name + (duck["rest"] or "")
    url = _DB_URL.match(text)
    if url:
        scheme, _, rest = url["url"].partition("://")
        database = rest.split("?", 1)[0].rsplit("/", 1)[-1] if "/" in rest else ""
        kind = scheme.split("+", 1)[0]
        return f"{kind} database {database!r}" + (url["rest"] or "") if database else kind + (url["rest"] or "")
    return Path(text).name if text else text


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _hide(url: Any) -> str:
    return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", str(url))


#: PostgreSQL type OIDs whose CSV text Arrow reads exactly, and the Arrow type they read as:
#: bool, int2/int4/int8, float4/float8, text/varchar/bpchar/name, date, timestamp (no zone).
#: numeric, json, uuid, arrays, timestamptz ... are read row by row.
_COPY_TYPES: dict[int, str] = {16: "bool", 20: "int64", 21: "int64", 23: "int64", 700: "float64", 701: "float64",
                               25: "string", 1043: "string", 1042: "string", 19: "string", 1082: "date32",
                               1114: "timestamp"}


def _copy_types(description: Any) -> dict[str, Any] | None:
    """Arrow types of a result's columns (a psycopg ``cursor.description``) when each has an
    exact CSV reading and the names are distinct; None otherwise (read row by row)."""
    import pyarrow as pa

    arrow = {"bool": pa.bool_(), "int64": pa.int64(), "float64": pa.float64(), "string": pa.string(),
             "date32": pa.date32(), "timestamp": pa.timestamp("us")}
    out = {str(d.name): arrow.get(_COPY_TYPES.get(int(d.type_code), ""), None) for d in description}
    if len(out) != len(description) or any(t is None for t in out.values()):
        return None
    return out


class _CopyReader(io.RawIOBase):
    """The bytes of a psycopg ``COPY ... TO STDOUT`` as a readable file, for Arrow's CSV reader."""

    def __init__(self, copy: Any) -> None:
        self._copy, self._buf = copy, memoryview(b"")
        self.total = 0  # bytes read: 0 for a result without rows

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not len(self._buf):
            chunk = self._copy.read()
            if not chunk:
                return 0
            self._buf = memoryview(bytes(chunk))
            self.total += len(self._buf)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _postgres_copy(conn: Any, stmt: Any, params: Mapping[str, Any] | None = None) -> Any | None:
    """A read on PostgreSQL through psycopg (3): ``COPY (SELECT ...) TO STDOUT`` in CSV, parsed
    by Arrow's multithreaded CSV reader with the columns' own types, instead of one Python
    object per cell (1,000,000 x 30 in benchmarks/bench_db.py: 3.8 s instead of 7.8 s).

    ``stmt`` is SQLAlchemy's SELECT of a reflected table (identifiers quoted by its rules) or
    the caller's query as ``text()``, compiled for psycopg, whose ``:name`` values ``params``
    psycopg binds into the COPY by its own quoting rules. The columns' types come from a plan
    of the statement without rows (``LIMIT 0``). None — the row-by-row read then runs and
    raises what the database says — for another driver, a non-UTF-8 client encoding, a
    parameter set that does not match the placeholders, a statement the plan refuses, or a
    column without an exact CSV reading (:data:`_COPY_TYPES`). PostgreSQL's CSV writes NULL as
    an empty field and an empty text as ``""``, which the reader tells apart.
    """
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        return None
    raw = conn.connection.dbapi_connection
    if str(getattr(raw.info, "encoding", "")).lower().replace("-", "") != "utf8":
        return None
    import psycopg
    import pyarrow as pa
    import pyarrow.csv as pacsv

    compiled = stmt.compile(dialect=conn.dialect)
    values = dict(params or {})
    if set(compiled.params) != set(values):
        return None
    sql = str(compiled).rstrip().rstrip(";")
    # the SET LOCALs (and a refused plan) live in a savepoint rolled back after the read: a
    # caller's connection and its open transaction keep their own settings and state
    savepoint = conn.begin_nested()
    try:
        with raw.cursor() as cur:
            try:
                cur.execute(f"SELECT * FROM ({sql}) AS csindex_rows LIMIT 0", values)  # noqa: S608 - compiled SQL
            except psycopg.Error:
                return None
            types = _copy_types(cur.description)
            if types is None:
                return None
            cur.execute("SET LOCAL DateStyle = 'ISO, YMD'")  # dates as 2024-01-31 whatever the server's setting
            cur.execute("SET LOCAL extra_float_digits = 3")  # every float8 digit (the default from PostgreSQL 12)
            try:
                with cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", values) as copy:
                    reader = _CopyReader(copy)
                    try:
                        table = pacsv.read_csv(
                            io.BufferedReader(reader, buffer_size=1 << 20),
                            read_options=pacsv.ReadOptions(column_names=list(types), block_size=1 << 22),
                            parse_options=pacsv.ParseOptions(newlines_in_values=True),
                            convert_options=pacsv.ConvertOptions(
                                column_types=types, true_values=["t"], false_values=["f"], null_values=[""],
                                strings_can_be_null=True, quoted_strings_can_be_null=False))
                    except pa.ArrowInvalid:
                        if reader.total:  # pragma: no cover - PostgreSQL's CSV is always well formed
                            raise
                        table = None  # no rows: Arrow reads no CSV at all
            except psycopg.Error as exc:  # a row the query fails on (1/0, a bad cast): as the row read says it
                import sqlalchemy as sa

                raise sa.exc.DBAPIError(sql, None, exc) from exc
    finally:
        savepoint.rollback()
    return table if table is not None and table.num_rows else pa.table({n: pa.array([], pa.null()) for n in types})


#: rows per batch of a streamed SQLAlchemy read (a server-side cursor): only one batch is held
#: as Python objects at a time; each becomes Arrow columns at once
_BATCH_ROWS = 65_536


def _arrow_batch(columns: list[str], rows: Any) -> Any:
    """One batch of driver rows as an Arrow table with the column types normalised."""
    pa = require("pyarrow", "Reading from a database")
    return _normalised(pa.table([pa.array(col) for col in zip(*rows, strict=True)], names=columns))


def _concat(columns: list[str], batches: list[Any]) -> Any:
    """The batches as one table; a column that is all NULL in one batch takes the others' type."""
    import pyarrow as pa

    if not batches:
        return pa.table({c: pa.array([], pa.null()) for c in columns})
    return pa.concat_tables(batches, promote_options="permissive")


def _normalised(table: Any) -> Any:
    """Decimals and narrow floats as float64, narrow integers as int64 (as a CSV reads them)."""
    import pyarrow as pa

    for i, field in enumerate(table.schema):
        typ = field.type
        if pa.types.is_decimal(typ) or (pa.types.is_floating(typ) and typ != pa.float64()):
            table = table.set_column(i, field.name, table.column(i).cast(pa.float64()))
        elif pa.types.is_integer(typ) and typ != pa.int64() and typ != pa.uint64():
            table = table.set_column(i, field.name, table.column(i).cast(pa.int64()))  # INTEGER reads like a CSV
    return table


def _from_arrow(table: Any) -> pd.DataFrame:
    """The normalised table through the CSV reader's own conversion (exact big ids, empty
    columns as NaN)."""
    import pyarrow as pa

    from ._csv import _to_pandas

    return _to_pandas(_normalised(table), pa)
