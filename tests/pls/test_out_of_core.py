"""Out-of-core fits: ``fit_pls`` and ``simple_scores`` on a Parquet file, a Parquet folder, a
DuckDB relation and a Dask DataFrame (also on a ``LocalCluster`` of processes) equal the
in-memory fit on the same rows to 1e-10."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex.exceptions import MissingDataWarning, ParameterError, SurveyDataError

ECSI = """
IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4
EXPE =~ EXPE1 + EXPE2 + EXPE3
QUAL =~ QUAL1 + QUAL2 + QUAL3 + QUAL4 + QUAL5
VAL =~ VAL1 + VAL2
SAT =~ SAT1 + SAT2 + SAT3
LOY =~ LOY1 + LOY2
EXPE ~ IMAG
QUAL ~ EXPE
VAL ~ EXPE + QUAL
SAT ~ IMAG + EXPE + QUAL + VAL
LOY ~ IMAG + SAT
"""
BLOCKS = {"IMAG": 4, "EXPE": 3, "QUAL": 5, "VAL": 2, "SAT": 3, "LOY": 2}
TOL = 1e-10


def _generate(n: int, seed: int) -> pd.DataFrame:
    """ECSI population model, items on 1-10 (int8) and a sampling weight."""
    rng = np.random.default_rng(seed)
    imag = rng.normal(size=n)
    expe = 0.5 * imag + 0.87 * rng.normal(size=n)
    qual = 0.6 * expe + 0.8 * rng.normal(size=n)
    val = 0.3 * expe + 0.5 * qual + 0.75 * rng.normal(size=n)
    sat = 0.2 * imag + 0.1 * expe + 0.4 * qual + 0.3 * val + 0.6 * rng.normal(size=n)
    loy = 0.3 * imag + 0.5 * sat + 0.7 * rng.normal(size=n)
    eta = {"IMAG": imag, "EXPE": expe, "QUAL": qual, "VAL": val, "SAT": sat, "LOY": loy}
    cols = {}
    for c, k in BLOCKS.items():
        for i in range(1, k + 1):
            x = 0.8 * eta[c] + 0.6 * rng.normal(size=n)
            cols[f"{c}{i}"] = np.clip(np.round(6.5 + 1.6 * x), 1, 10).astype(np.int8)
    df = pd.DataFrame(cols)
    df["weight"] = rng.uniform(0.5, 2.0, size=n)
    return df


def _with_missing(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = df.copy()
    for c in ("QUAL2", "SAT1", "LOY2"):
        vals = out[c].astype("Int8")
        vals[rng.random(len(out)) < 0.04] = pd.NA
        out[c] = vals
    return out


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return _generate(3000, 7)


@pytest.fixture(scope="module")
def parquet_file(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("ooc") / "responses.parquet"
    data.to_parquet(path, row_group_size=700)
    return path


@pytest.fixture(scope="module")
def parquet_folder(data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ooc_folder") / "lake"
    folder.mkdir()
    for k, part in enumerate(np.array_split(np.arange(len(data)), 3)):
        data.iloc[part].to_parquet(folder / f"part-{k}.parquet")
    return folder


def _assert_same(a, b, tol=TOL):
    """Every table computed from the fit agrees to ``tol``."""
    assert a.n == b.n and a.settings["n_used"] == b.settings["n_used"]
    assert a.settings["n_dropped"] == b.settings["n_dropped"]
    assert a.missing == b.missing
    for name in ("paths", "weights", "loadings", "index_weights"):
        np.testing.assert_allclose(getattr(b, name)["estimate"], getattr(a, name)["estimate"], rtol=0, atol=tol)
    np.testing.assert_allclose(b.index["index"], a.index["index"], rtol=0, atol=tol)
    np.testing.assert_allclose(b.r_squared[["r_squared", "r_squared_adj"]], a.r_squared[["r_squared", "r_squared_adj"]],
                               rtol=0, atol=tol)
    np.testing.assert_allclose(b.construct_correlations.iloc[:, 1:], a.construct_correlations.iloc[:, 1:],
                               rtol=0, atol=tol)
    np.testing.assert_allclose(b.effects["total"], a.effects["total"], rtol=0, atol=tol)
    np.testing.assert_allclose(b.quality.reliability[["alpha", "rho_c", "rho_a", "ave"]],
                               a.quality.reliability[["alpha", "rho_c", "rho_a", "ave"]], rtol=0, atol=tol)
    np.testing.assert_allclose(b.ipma("SAT")[["importance", "performance"]],
                               a.ipma("SAT")[["importance", "performance"]], rtol=0, atol=tol)


@pytest.mark.parametrize("engine", ["auto", "pyarrow"])
def test_parquet_file_equals_in_memory(data, parquet_file, engine, monkeypatch):
    # "auto" reads the Parquet files with DuckDB when it is installed, "pyarrow" with pyarrow.dataset
    monkeypatch.setattr("csindex._sufficient.PARQUET_ENGINE", engine)
    a = csindex.fit_pls(data, ECSI)
    b = csindex.fit_pls(parquet_file, ECSI)
    assert b.converged and b.iterations == a.iterations
    assert b.settings["out_of_core"] == "parquet"
    _assert_same(a, b)
    # the index is a real 0-100 number, not a default
    assert 40 < float(b.index.set_index("construct").loc["SAT", "index"]) < 80


@pytest.mark.parametrize("engine", ["auto", "pyarrow"])
def test_parquet_folder_weighted_equals_in_memory(data, parquet_folder, engine, monkeypatch):
    monkeypatch.setattr("csindex._sufficient.PARQUET_ENGINE", engine)
    a = csindex.fit_pls(data, ECSI, weights="weight", standardize=False, scale=(1, 10))
    b = csindex.fit_pls(parquet_folder, ECSI, weights="weight", standardize=False, scale=(1, 10))
    assert b.settings["weighted"] and b.settings["scale_source"] == "argument"
    _assert_same(a, b)


@pytest.mark.parametrize("policy", ["listwise", "mean"])
def test_missing_answers_equal_in_memory(data, tmp_path, policy):
    df = _with_missing(data, 3)
    path = tmp_path / "missing.parquet"
    df.to_parquet(path, row_group_size=1000)
    with pytest.warns(MissingDataWarning) as rec_a:
        a = csindex.fit_pls(df, ECSI, missing=policy, weights="weight")
    with pytest.warns(MissingDataWarning) as rec_b:
        b = csindex.fit_pls(path, ECSI, missing=policy, weights="weight")
    # the same counts and items; the advice differs (EM needs the data in memory)
    head = str(rec_a[0].message).split(" Use missing=")[0]
    assert str(rec_b[0].message).split(" Use missing=")[0] == head
    assert b.missing["rows_affected"] > 200
    _assert_same(a, b)
    # second pass: scores of the rows used, NaN for the rows a listwise fit left out
    sc = b.stream_scores()
    idx = b.stream_scores(kind="index")
    if policy == "listwise":
        used = df[list(a.spec.items)].notna().all(axis=1).to_numpy()
        assert np.isnan(sc.to_numpy()[~used]).all()
    else:
        used = np.ones(len(df), dtype=bool)
    np.testing.assert_allclose(sc.to_numpy()[used], a.scores.to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(idx.to_numpy()[used], a.index_scores.to_numpy(), rtol=0, atol=1e-9)


def test_duckdb_relation_equals_in_memory(data, parquet_file):
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_parquet('{parquet_file.as_posix()}')")
    a = csindex.fit_pls(data, ECSI, weights="weight")
    b = csindex.fit_pls(rel, ECSI, weights="weight")
    assert b.settings["out_of_core"] == "duckdb"
    _assert_same(a, b)
    # a filtered relation equals the in-memory fit on the same subset
    sub = con.sql(f"SELECT * FROM read_parquet('{parquet_file.as_posix()}') WHERE \"SAT1\" >= 5")
    _assert_same(csindex.fit_pls(data[data["SAT1"] >= 5], ECSI), csindex.fit_pls(sub, ECSI))
    con.close()


def test_dask_dataframe_and_local_cluster(data):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    ddf = dd.from_pandas(data, npartitions=4)
    a = csindex.fit_pls(data, ECSI)
    b = csindex.fit_pls(ddf, ECSI)
    _assert_same(a, b)
    boot = dict(bootstrap=100, seed=3, bootstrap_groups=50)
    ref = csindex.fit_pls(data.assign(region=data["SAT1"] > 6), ECSI, by="region")
    ref_boot = csindex.fit_pls(ddf, ECSI, **boot)
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, \
            distributed.Client(cluster):
        c = csindex.fit_pls(ddf, ECSI)
        lazy = c.stream_scores()
        scores = lazy.compute()
        # the random-group bootstrap and segments on the cluster: the same numbers as in this process
        c_boot = csindex.fit_pls(dd.from_pandas(data, npartitions=5), ECSI, **boot)
        c_by = csindex.fit_pls(dd.from_pandas(data.assign(region=data["SAT1"] > 6), npartitions=3), ECSI,
                               by="region")
    # other partitions (5 vs 4), so another first batch and centring shift: equal to the last bits
    np.testing.assert_allclose(c_boot.paths["std_error"], ref_boot.paths["std_error"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(c_boot.index["ci_lower"], ref_boot.index["ci_lower"], rtol=1e-12, atol=0)
    assert list(c_by) == list(ref) == [False, True]
    for key in ref:
        _assert_same(ref[key], c_by[key])
    # integer items: the partition sums are exact, so the cluster gives the very same numbers
    np.testing.assert_array_equal(c.paths["estimate"], b.paths["estimate"])
    np.testing.assert_array_equal(c.index["index"], b.index["index"])
    np.testing.assert_allclose(scores.to_numpy(), a.scores.to_numpy(), rtol=0, atol=1e-9)


def test_respondent_tables_name_the_second_pass(parquet_file, tmp_path):
    b = csindex.fit_pls(parquet_file, ECSI)
    with pytest.raises(SurveyDataError, match=r"stream_scores\(kind='scores'\)"):
        _ = b.scores
    with pytest.raises(SurveyDataError, match=r"stream_scores\(kind='index'\)"):
        _ = b.index_scores
    out = b.stream_scores(kind="index", path=tmp_path / "index.parquet")
    back = pd.read_parquet(out)
    assert list(back.columns) == list(b.spec.constructs) and len(back) == b.n
    np.testing.assert_allclose(back.mean().to_numpy(), b.index["index"].to_numpy(), rtol=0, atol=1e-9)


def test_out_of_core_errors(parquet_file, tmp_path):
    with pytest.raises(ParameterError, match="missing='mean'"):  # out of core PLSpredict is listwise
        csindex.fit_pls(parquet_file, ECSI, missing="mean").predict()
    with pytest.raises(SurveyDataError, match="'NOPE1'"):
        csindex.fit_pls(parquet_file, "A =~ NOPE1 + IMAG1\nB =~ SAT1 + SAT2\nB ~ A")
    with pytest.raises(SurveyDataError, match="does not exist"):
        csindex.fit_pls(tmp_path / "absent.parquet", ECSI)
    with pytest.raises(ParameterError, match="column"):
        csindex.fit_pls(parquet_file, ECSI, weights=np.ones(3000))
    with pytest.raises(SurveyDataError, match="'REGION'"):
        csindex.fit_pls(parquet_file, ECSI, by="REGION")
    with pytest.raises(ParameterError, match="whole number of folds"):  # LOO needs the rows in memory
        csindex.plspredict(parquet_file, ECSI, folds="loo")


@pytest.mark.parametrize("weights", [None, "weight"])
def test_simple_scores_on_sources(data, parquet_file, parquet_folder, weights):
    duckdb = pytest.importorskip("duckdb")
    dd = pytest.importorskip("dask.dataframe")
    con = duckdb.connect()
    relation = con.sql("SELECT * FROM read_parquet(?)", params=[str(parquet_file)])
    a = csindex.simple_scores(data, scale=(1, 10), weights=weights)
    for source in (parquet_file, parquet_folder, relation, dd.from_pandas(data, npartitions=3)):
        b = csindex.simple_scores(source, scale=(1, 10), weights=weights)
        assert b.items["item"].tolist() == a.items["item"].tolist()
        for col in ("n", "mean", "std", "top2_share", "score", "std_error", "ci_lower"):
            np.testing.assert_allclose(b.items[col], a.items[col], rtol=0, atol=TOL)
        for col in ("n", "score", "std_error", "top2_share"):
            np.testing.assert_allclose(b.constructs[col], a.constructs[col], rtol=0, atol=TOL)
        np.testing.assert_allclose(b.index["index"], a.index["index"], rtol=0, atol=TOL)
    with pytest.raises(SurveyDataError, match="scale="):
        csindex.simple_scores(parquet_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bad = data.copy()
        bad.loc[5, "SAT1"] = 11
    path = parquet_file.parent / "bad.parquet"
    bad.to_parquet(path)
    with pytest.raises(SurveyDataError, match="'SAT1'"):
        csindex.simple_scores(path, scale=(1, 10))
