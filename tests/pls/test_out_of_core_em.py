"""``missing="em"`` out of core: EM on per-pattern sums of one pass equals the in-memory EM
fit (estimates to 1e-8, the same counts, warnings and errors), on Parquet, DuckDB and Dask,
alone and with ``by=``; scores in the second pass are the conditional expectations; the
random-group bootstrap re-runs EM per resample on the groups' pattern sums (standard errors
as the in-memory row bootstrap's within the random-group tolerance, the same numbers from
every source)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_out_of_core import ECSI, _assert_same, _generate, _with_missing

import csindex
from csindex.exceptions import SurveyDataError

TOL = 1e-8


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    df = _with_missing(_generate(2500, 17), 6)
    df.loc[df.index[:4], [c for c in df.columns if c != "weight"]] = pd.NA  # no answer at all: dropped
    rng = np.random.default_rng(2)
    df.loc[df.index[rng.random(len(df)) < 0.05], "VAL1"] = np.nan  # a float item with missing answers
    df["region"] = rng.choice(["a", "b"], size=len(df))
    return df


@pytest.fixture(scope="module")
def parquet_file(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("ooc_em") / "responses.parquet"
    data.to_parquet(path, row_group_size=600)
    return path


def _fit(source, **kw):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = csindex.fit_pls(source, ECSI, missing="em", **kw)
    return res, [f"{w.category.__name__}: {w.message}" for w in rec]


@pytest.mark.parametrize("weights", [None, "weight"])
def test_em_on_parquet_equals_in_memory(data, parquet_file, weights):
    a, warn_a = _fit(data, weights=weights)
    b, warn_b = _fit(parquet_file, weights=weights)
    assert warn_b == warn_a and "EM estimated the item means" in warn_a[0]
    assert b.missing == a.missing and b.missing["rows_dropped"] == 4 and b.missing["n_patterns"] > 5
    assert b.settings["em_iterations"] == a.settings["em_iterations"] > 2 and b.settings["em_converged"]
    _assert_same(a, b, tol=TOL)
    # second pass: missing answers completed by E[x_m | x_o]; rows without answers get no score
    sc = b.stream_scores()
    assert np.isnan(sc.to_numpy()[:4]).all()
    np.testing.assert_allclose(sc.to_numpy()[4:], a.scores.to_numpy(), rtol=0, atol=1e-8)
    idx = b.stream_scores(kind="index")
    np.testing.assert_allclose(idx.to_numpy()[4:], a.index_scores.to_numpy(), rtol=0, atol=1e-8)


def test_em_on_duckdb_and_dask_and_by(data, parquet_file):
    duckdb = pytest.importorskip("duckdb")
    dd = pytest.importorskip("dask.dataframe")
    a, _ = _fit(data)
    rel = duckdb.connect().sql("SELECT * FROM read_parquet(?)", params=[str(parquet_file)])
    for source in (rel, dd.from_pandas(data, npartitions=3)):
        b, _ = _fit(source)
        _assert_same(a, b, tol=TOL)
    seg_a, _ = _fit(data, by="region")
    seg_b, _ = _fit(parquet_file, by="region")
    assert list(seg_b) == list(seg_a) == ["a", "b"]
    assert seg_b.settings == seg_a.settings
    for key in seg_a:
        _assert_same(seg_a[key], seg_b[key], tol=TOL)


def test_em_without_missing_answers_and_errors(data, tmp_path):
    complete = data.dropna()
    path = tmp_path / "complete.parquet"
    complete.to_parquet(path)
    a, warn_a = _fit(complete)
    b, warn_b = _fit(path)
    assert warn_a == warn_b == [] and b.settings["em_iterations"] == 0 and b.settings["em_converged"]
    _assert_same(a, b, tol=1e-10)
    empty = data.copy()
    empty["SAT2"] = np.nan
    path = tmp_path / "no_sat2.parquet"
    empty.to_parquet(path)
    with pytest.raises(SurveyDataError) as mem, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csindex.fit_pls(empty, ECSI, missing="em")
    with pytest.raises(SurveyDataError) as ooc:
        csindex.fit_pls(path, ECSI, missing="em")
    assert str(ooc.value) == str(mem.value) and "'SAT2'" in str(ooc.value)


BOOT_COLS = ["std_error", "t_value", "p_value", "ci_lower", "ci_upper"]


def test_em_bootstrap_se_recover_the_row_bootstrap(tmp_path):
    """Same data and tolerance as the random-group test without missing answers
    (test_out_of_core_bootstrap): each SE within 20 %, on average within 6 %."""
    df = _with_missing(_generate(5000, 21), 6)
    path = tmp_path / "em_boot.parquet"
    df.to_parquet(path, row_group_size=900)
    a, _ = _fit(df, bootstrap=2000, seed=8)
    b, warn_b = _fit(path, bootstrap=2000, seed=8, bootstrap_groups=400)
    assert "EM estimated the item means" in warn_b[0]
    assert b.settings["bootstrap_method"] == "random-group" and b.settings["missing"] == "em"
    assert b.bootstrap.n_valid == 2000
    np.testing.assert_allclose(b.paths["estimate"], a.paths["estimate"], rtol=0, atol=1e-8)
    for table in ("paths", "index", "loadings"):
        r = getattr(b, table)["std_error"].to_numpy() / getattr(a, table)["std_error"].to_numpy()
        assert np.all(np.abs(r - 1) < 0.20), (table, r)
        assert abs(r.mean() - 1) < 0.06, (table, r.mean())


def test_em_bootstrap_same_numbers_from_every_source(data, parquet_file):
    duckdb = pytest.importorskip("duckdb")
    dd = pytest.importorskip("dask.dataframe")
    kw = dict(bootstrap=200, seed=4, bootstrap_groups=60, weights="weight")
    ref, _ = _fit(parquet_file, **kw)
    assert ref.bootstrap.n_valid == 200 and ref.settings["bootstrap_groups"] == 60
    rel = duckdb.connect().sql("SELECT * FROM read_parquet(?)", params=[str(parquet_file)])
    for source in (rel, dd.from_pandas(data, npartitions=4)):
        res, _ = _fit(source, **kw)
        for table in ("paths", "index", "loadings"):
            cols = [c for c in BOOT_COLS if c in getattr(ref, table).columns]
            np.testing.assert_allclose(getattr(res, table)[cols], getattr(ref, table)[cols], rtol=1e-10, atol=1e-12)
    other, _ = _fit(parquet_file, **dict(kw, seed=5))
    assert not np.allclose(other.paths["std_error"], ref.paths["std_error"], rtol=1e-6, atol=0)
    # with by=: one set of group pattern sums per segment, BCa from the delete-a-group jackknife
    seg, _ = _fit(parquet_file, by="region", bootstrap=100, seed=4, bootstrap_groups=40, ci="bca")
    assert list(seg) == ["a", "b"]
    for key in seg:
        assert seg[key].settings["ci"] == "bca" and seg[key].bootstrap.jackknife["paths"].shape[0] == 40
        assert (seg[key].paths["std_error"] > 0).all()
