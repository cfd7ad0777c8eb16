"""Databases as a survey source (issue 15 §1): a real PostgreSQL server started by the test
itself, and DuckDB. The same survey from CSV, PostgreSQL and DuckDB gives identical responses;
injection attempts in a table name or a filter value do nothing but raise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from csindex import load_survey
from csindex.exceptions import ParameterError, SurveyDataError

CODEBOOK = {"scale": [1, 10], "missing_codes": [99],
            "items": {"resp_id": {"role": "id"}, "weight": {"role": "weight"}},
            "constructs": {"SAT": ["SAT1", "SAT2"], "LOY": ["LOY1", "LOY2"]}}


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 40
    df = pd.DataFrame({
        "resp_id": pd.array([9007199254740993 + i for i in range(n - 1)] + [None], dtype="Int64"),
        "SAT1": pd.array(rng.integers(1, 11, n), dtype="Int64"),
        "SAT2": pd.array(rng.integers(1, 11, n), dtype="Int64"),
        "LOY1": pd.array(rng.integers(1, 11, n), dtype="Int64"),
        "LOY2": pd.array(rng.integers(1, 11, n), dtype="Int64"),
        "city": pd.array(["北京", "上海", "Chengdu", None] * (n // 4), dtype=object),
        "weight": np.round(rng.uniform(0.5, 2.0, n), 3),
    })
    df.loc[3, "SAT1"] = pd.NA
    df.loc[5, "LOY2"] = 99
    return df


@pytest.fixture(scope="module")
def postgres_url(repo_script):
    """Start a throw-away PostgreSQL server (initdb + pg_ctl on a Unix socket; tools/pg_server.py,
    shared with benchmarks/bench_db.py), stop it at the end."""
    server = repo_script("tools/pg_server.py")
    bin_dir = server.pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are absent; .ci/run installs Debian's postgresql")
    pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    with server.temporary_postgres(bin_dir) as url:
        yield url


@pytest.fixture(scope="module")
def sources(postgres_url, tmp_path_factory):
    import duckdb
    import sqlalchemy as sa

    df = _frame()
    folder = tmp_path_factory.mktemp("db")
    csv_path = folder / "responses.csv"
    df.to_csv(csv_path, index=False)
    engine = sa.create_engine(postgres_url)
    df.to_sql("responses", engine, index=False, if_exists="replace")
    engine.dispose()
    duck_path = folder / "survey.duckdb"
    con = duckdb.connect(str(duck_path))
    con.register("frame", df)
    con.execute("CREATE TABLE responses AS SELECT * FROM frame")
    con.close()
    return {"csv": csv_path, "postgres": postgres_url, "duckdb": duck_path}


def test_same_survey_from_csv_postgres_and_duckdb(sources):
    from_csv = load_survey(sources["csv"], CODEBOOK)
    from_pg = load_survey(sources["postgres"], CODEBOOK, table="responses")
    from_duck = load_survey(sources["duckdb"], CODEBOOK, table="responses")
    assert_frame_equal(from_pg.responses, from_csv.responses)
    assert_frame_equal(from_duck.responses, from_csv.responses)
    assert from_pg.responses["resp_id"].iloc[0] == 9007199254740993  # exact through BIGINT
    assert from_pg.validation.items.loc["LOY2", "n_missing_code"] == 1
    assert_frame_equal(from_pg.validation.items, from_csv.validation.items)
    assert from_pg.weights.equals(from_csv.weights)
    assert "table 'responses'" in from_pg.source and "postgresql" in from_pg.source


def test_query_with_bound_parameters(sources):
    import sqlalchemy as sa

    query = "SELECT * FROM responses WHERE weight >= :lo ORDER BY resp_id"
    s = load_survey(sources["postgres"], CODEBOOK, query=query, params={"lo": 1.0})
    expected = _frame().query("weight >= 1.0")
    assert s.n == len(expected) and (s.responses["weight"] >= 1.0).all()
    engine = sa.create_engine(sources["postgres"])
    with engine.connect() as conn:  # an engine or a connection works as well as a URL
        assert load_survey(conn, CODEBOOK, query=query, params={"lo": 1.0}).n == s.n
    assert load_survey(engine, CODEBOOK, table="responses").n == 40
    engine.dispose()
    duck = load_survey(sources["duckdb"], CODEBOOK, query="SELECT * FROM responses WHERE weight >= $lo",
                       params={"lo": 1.0})
    assert duck.n == s.n


@pytest.mark.parametrize("which", ["postgres", "duckdb"])
def test_injection_attempts_only_raise(sources, which):
    src = sources[which]
    with pytest.raises(SurveyDataError, match="no table or view 'responses; DROP TABLE responses'"):
        load_survey(src, CODEBOOK, table="responses; DROP TABLE responses")
    with pytest.raises(SurveyDataError, match="no table or view"):
        load_survey(src, CODEBOOK, table='responses" ; DROP TABLE responses; --')
    placeholder = ":city" if which == "postgres" else "$city"
    with pytest.raises(SurveyDataError, match="no data rows"):  # the value is a value, not SQL
        load_survey(src, CODEBOOK, query=f"SELECT * FROM responses WHERE city = {placeholder}",
                    params={"city": "x' OR '1'='1"})
    assert load_survey(src, CODEBOOK, table="responses").n == 40  # the table is still there


@pytest.mark.parametrize("which", ["postgres", "duckdb"])
def test_unknown_table_or_column_named(sources, which):
    src = sources[which]
    with pytest.raises(SurveyDataError, match=r"no table or view 'respones'.*Did you mean 'responses'"):
        load_survey(src, CODEBOOK, table="respones")
    with pytest.raises(SurveyDataError, match="nope"):
        load_survey(src, CODEBOOK, query="SELECT nope FROM responses")


def test_database_options_checked(sources, tmp_path):
    with pytest.raises(ParameterError, match="exactly one of table= .* or query="):
        load_survey(sources["duckdb"], CODEBOOK)
    with pytest.raises(ParameterError, match="'table' parameter of load_survey is for a database source"):
        load_survey(sources["csv"], CODEBOOK, table="responses")
    with pytest.raises(SurveyDataError, match="Could not use the database URL"):
        load_survey("nosuchdialect://user@host/db", CODEBOOK, table="responses")


@pytest.mark.parametrize("which", ["postgres", "duckdb"])
def test_codebook_from_a_table(sources, which):
    import duckdb
    import sqlalchemy as sa

    table = pd.DataFrame({
        "item": ["resp_id", "weight", "SAT1", "SAT2", "LOY1", "LOY2"],
        "construct": [None, None, "SAT", "SAT", "LOY", "LOY"],
        "role": ["id", "weight", "overall_satisfaction", "overall_satisfaction", "loyalty", "loyalty"],
        "label_en": [None, None, "Overall", "Versus ideal", "Fly again", "Recommend"],
        "scale_min": [None, None, 1, 1, 1, 1], "scale_max": [None, None, 10, 10, 10, 10],
        "missing_codes": [None, None, "99", "99", "99", "98;99"],
    })
    if which == "postgres":
        engine = sa.create_engine(sources["postgres"])
        table.to_sql("codebook", engine, index=False, if_exists="replace")
        engine.dispose()
    else:
        con = duckdb.connect(str(sources["duckdb"]))
        con.register("cb", table)
        con.execute("CREATE OR REPLACE TABLE codebook AS SELECT * FROM cb")
        con.close()
    s = load_survey(sources[which], table="responses", codebook_table="codebook")
    ref = load_survey(sources["csv"], CODEBOOK)
    assert_frame_equal(s.responses, ref.responses)
    assert s.codebook.items.loc["LOY2", "missing_codes"] == (98.0, 99.0)
    assert s.codebook.items.loc["SAT2", "label_en"] == "Versus ideal"
    assert s.codebook.weight_column == "weight" and s.weights is not None
    with pytest.raises(ParameterError, match="codebook_table"):
        load_survey(sources["csv"], codebook_table="codebook")


def test_a_streamed_read_in_many_batches_equals_one_read(sources, monkeypatch):
    # the SQLAlchemy read streams rows from a server-side cursor in batches of _BATCH_ROWS; with
    # batches of 7 rows, 'city' is NULL in whole batches and text in others, and the result is
    # the same survey as the CSV's
    import sqlalchemy as sa

    import csindex._db as db

    df = _frame()
    df["note"] = pd.array([None] * 14 + ["a"] * (len(df) - 14), dtype=object)  # NULL in the first two batches
    engine = sa.create_engine(sources["postgres"])
    df.to_sql("responses_notes", engine, index=False, if_exists="replace")
    engine.dispose()
    whole = load_survey(sources["postgres"], CODEBOOK, table="responses_notes")  # COPY, parsed by Arrow
    monkeypatch.setattr(db, "_BATCH_ROWS", 7)
    monkeypatch.setattr(db, "_postgres_copy", lambda *args: None)  # the row-by-row read, in batches
    batched = load_survey(sources["postgres"], CODEBOOK, table="responses_notes")
    assert_frame_equal(batched.responses, whole.responses)
    assert batched.responses["note"].isna().sum() == 14 and (batched.responses["note"].iloc[14:] == "a").all()
    assert_frame_equal(batched.responses.drop(columns="note"), load_survey(sources["csv"], CODEBOOK).responses)
    # a query that matches no row: every column, no rows, and the loader's own error for an empty survey
    with pytest.raises(SurveyDataError, match=r"has no data rows \(found 7 columns and 0 rows\)\. Check the query and "
                                              r"its parameters: no row matched\."):
        load_survey(sources["postgres"], CODEBOOK, query="SELECT * FROM responses WHERE \"SAT1\" > :hi",
                    params={"hi": 100})


def test_the_command_line_reads_a_table_or_a_query(sources, tmp_path, capsys):
    # csindex validate/report DATABASE --table NAME | --query SQL --param NAME=VALUE
    import json

    import sqlalchemy as sa

    from csindex import cli

    codebook = tmp_path / "codebook.json"
    codebook.write_text(json.dumps(CODEBOOK), encoding="utf-8")
    assert cli.main(["validate", str(sources["duckdb"]), "--table", "responses", "--codebook", str(codebook)]) == 0
    assert "respondents: 40" in capsys.readouterr().out
    query = 'SELECT * FROM responses WHERE "SAT1" >= :lo'
    expected = load_survey(sources["postgres"], CODEBOOK, query=query, params={"lo": 5})
    out = tmp_path / "report"
    assert cli.main(["report", sources["postgres"], "--query", query, "--param", "lo=5", "--codebook", str(codebook),
                     "--bootstrap", "0", "--n-jobs", "1", "--out", str(out), "--quiet"]) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["settings"]["respondents"] == expected.n < 40
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Data: postgresql database &#x27;postgres&#x27; (query)" in page and "sock" not in page  # no socket path
    # an injection attempt in --table only raises, naming the table; the table is still there
    assert cli.main(["validate", sources["postgres"], "--table", "responses; DROP TABLE responses",
                     "--codebook", str(codebook)]) == 1
    assert "has no table or view 'responses; DROP TABLE responses'" in capsys.readouterr().err
    engine = sa.create_engine(sources["postgres"])
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM responses")).scalar() == 40
    engine.dispose()
    # a --param without '=' is a usage error; --table with a CSV names the mismatch
    with pytest.raises(SystemExit) as usage:
        cli.main(["validate", sources["postgres"], "--query", query, "--param", "lo"])
    assert usage.value.code == 2 and "expected NAME=VALUE" in capsys.readouterr().err
    assert cli.main(["validate", str(sources["csv"]), "--table", "responses", "--codebook", str(codebook)]) == 1
    assert "is for a database source" in capsys.readouterr().err


def test_a_table_read_by_copy_equals_the_row_by_row_read_for_every_type(sources, monkeypatch):
    # PostgreSQL table reads go through COPY ... TO STDOUT (CSV) parsed by Arrow; each type with
    # an exact CSV reading must come out as the row-by-row read gives it: NULL and '' apart, a
    # newline inside a text, booleans, dates, timestamps, NaN and every float digit; a numeric column
    # sends the whole table down the row-by-row path
    import sqlalchemy as sa

    import csindex._db as db

    engine = sa.create_engine(sources["postgres"])
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS typed; DROP TABLE IF EXISTS typed_numeric")
        conn.exec_driver_sql(
            "CREATE TABLE typed (resp_id bigint, \"SAT1\" smallint, \"SAT2\" integer, \"LOY1\" real, "
            "\"LOY2\" double precision, ok boolean, note text, code varchar(5), day date, at timestamp, "
            "weight double precision)")
        conn.exec_driver_sql(
            "INSERT INTO typed VALUES "
            "(1, 7, 8, 6.5, 0.1, true, '', 'a', '2024-01-31', '2024-01-31 08:09:10.123456', 1.5),"
            "(2, NULL, 5, NULL, 'NaN', false, NULL, NULL, NULL, NULL, 0.75),"
            "(3, 10, 1, 2, '1e-300', NULL, E'two\\nlines, \"quoted\"', '007', '1999-12-31', "
            "'2000-01-01 00:00:00', 2),"
            "(4, 3, 9, 4.25, 0.30000000000000004, true, 'x', 'b', '2024-02-29', '2024-02-29 23:59:59', 1)")
        conn.exec_driver_sql("CREATE TABLE typed_numeric AS SELECT *, 1.10::numeric AS amount FROM typed")
    engine.dispose()
    calls = []
    real = db._postgres_copy
    monkeypatch.setattr(db, "_postgres_copy", lambda *args: calls.append(real(*args)) or calls[-1])
    codebook = {"scale": [0, 10], "items": {"resp_id": {"role": "id"}, "weight": {"role": "weight"}},
                "constructs": {"SAT": ["SAT1", "SAT2"]}}
    copied = load_survey(sources["postgres"], codebook, table="typed", on_invalid="nan")
    assert calls[-1] is not None and calls[-1].num_rows == 4  # the COPY path was taken
    queried = load_survey(sources["postgres"], codebook, query="SELECT * FROM typed WHERE resp_id > :lo;",
                          params={"lo": 0}, on_invalid="nan")
    assert calls[-1] is not None and calls[-1].num_rows == 4  # a query with a parameter: COPY as well
    monkeypatch.setattr(db, "_postgres_copy", lambda *args: calls.append(None))  # row by row from here
    rows = load_survey(sources["postgres"], codebook, query="SELECT * FROM typed", on_invalid="nan")
    assert_frame_equal(copied.responses, rows.responses)
    assert_frame_equal(queried.responses, rows.responses)
    monkeypatch.setattr(db, "_postgres_copy", lambda *args: calls.append(real(*args)) or calls[-1])
    r = copied.responses
    assert r["note"].tolist()[:1] == [""] and pd.isna(r["note"].iloc[1]) and r["note"].iloc[2] == 'two\nlines, "quoted"'
    assert r["code"].iloc[2] == "007" and np.isnan(r["LOY2"].iloc[1]) and r["LOY2"].iloc[2] == 1e-300
    assert r["LOY2"].iloc[0] == 0.1 and r["LOY2"].iloc[3] == 0.30000000000000004 and r["LOY1"].iloc[0] == 6.5
    numeric = load_survey(sources["postgres"], codebook, table="typed_numeric", on_invalid="nan")
    assert calls[-1] is None  # numeric: row by row
    assert numeric.responses["amount"].tolist() == [1.1] * 4
    assert_frame_equal(numeric.responses.drop(columns="amount"), r)


def test_a_table_read_leaves_the_callers_connection_as_it_was(sources):
    # the COPY read sets DateStyle and float digits for itself only (a rolled-back savepoint):
    # a caller's connection, inside its own transaction, keeps its settings and its work
    import sqlalchemy as sa

    engine = sa.create_engine(sources["postgres"])
    with engine.connect() as conn:
        conn.exec_driver_sql("SET DateStyle = 'SQL, DMY'")
        conn.exec_driver_sql("CREATE TEMP TABLE mine (x int)")
        conn.exec_driver_sql("INSERT INTO mine VALUES (1)")
        survey = load_survey(conn, CODEBOOK, table="responses")
        assert survey.n == 40
        assert conn.exec_driver_sql("SHOW DateStyle").scalar() == "SQL, DMY"
        assert conn.exec_driver_sql("SELECT count(*) FROM mine").scalar() == 1  # the caller's transaction goes on
    engine.dispose()


def test_a_query_by_copy_keeps_literal_percent_signs_and_binds_values_as_values(sources, monkeypatch):
    # the query is compiled for psycopg (':lo' -> '%(lo)s', a literal '%' -> '%%') and COPY binds
    # the values by psycopg's quoting: the same rows as row by row, a quote in a value stays data
    import csindex._db as db

    query = "SELECT * FROM responses WHERE city LIKE 'Ch%' AND \"SAT1\" >= :lo AND \"SAT2\" >= :lo"
    copied = load_survey(sources["postgres"], CODEBOOK, query=query, params={"lo": 2})
    monkeypatch.setattr(db, "_postgres_copy", lambda *args: None)
    rows = load_survey(sources["postgres"], CODEBOOK, query=query, params={"lo": 2})
    assert_frame_equal(copied.responses, rows.responses)
    assert 0 < copied.n < 40 and set(copied.responses["city"]) == {"Chengdu"}
    monkeypatch.undo()
    with pytest.raises(SurveyDataError, match="no row matched"):
        load_survey(sources["postgres"], CODEBOOK, query="SELECT * FROM responses WHERE city = :c",
                    params={"c": "Chengdu' OR '1'='1"})
    with pytest.raises(SurveyDataError, match="refused the read"):  # a name the query lacks: the row read's error
        load_survey(sources["postgres"], CODEBOOK, query="SELECT * FROM responses WHERE \"SAT1\" >= :lo",
                    params={"high": 2})


def test_a_query_failing_on_a_row_is_a_csindex_error(sources):
    # the plan without rows passes; COPY fails on the first row with SAT1 = SAT2 (1/0): the
    # database's words in a SurveyDataError, and the connection still works afterwards
    import sqlalchemy as sa

    engine = sa.create_engine(sources["postgres"])
    with engine.connect() as conn:
        with pytest.raises(SurveyDataError, match="refused the read: division by zero"):
            load_survey(conn, CODEBOOK, query='SELECT *, 1 / ("SAT1" - "SAT2") AS ratio FROM responses')
        assert load_survey(conn, CODEBOOK, table="responses").n == 40
    engine.dispose()


def test_hosting_style_urls_and_an_unreachable_server(sources):
    # 'postgres://' (as hosting services hand URLs out) reads as 'postgresql://'; a server that is
    # not there is a SurveyDataError saying to check the URL, not the table or the query
    url = sources["postgres"]
    hosted = "postgres://" + url.split("://", 1)[1]
    assert_frame_equal(load_survey(hosted, CODEBOOK, table="responses").responses,
                       load_survey(url, CODEBOOK, table="responses").responses)
    port = int(url.rsplit("port=", 1)[1])
    with pytest.raises(SurveyDataError, match=r"Could not read from the database .*Check the URL \(host, port, "
                                              r"database, user, password\) and that the server is running"):
        load_survey(url.replace(f"port={port}", f"port={port + 1}"), CODEBOOK, table="responses")
