"""``missing="em"`` out of core: EM on per-pattern sums of one pass equals the in-memory EM
fit (estimates to 1e-8, the same counts, warnings and errors), on Parquet, DuckDB and Dask,
alone and with ``by=``; scores in the second pass are the conditional expectations."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_out_of_core import ECSI, _assert_same, _generate, _with_missing

import csindex
from csindex.exceptions import ParameterError, SurveyDataError

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
    with pytest.raises(ParameterError, match="bootstrap= with missing='em'"):
        csindex.fit_pls(path, ECSI, missing="em", bootstrap=10)
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
