"""PLSpredict (k-fold) on an out-of-core source: folds are random groups of the rows, each
fold's model is fit from the total sums minus the fold's, and a second pass adds up the
held-out errors. The tables equal the in-memory ``plspredict`` given the same fold ids to
1e-10, on Parquet, DuckDB and Dask, through ``plspredict`` and ``PLSResult.predict``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_out_of_core import ECSI, _generate, _with_missing

import csindex
from csindex._sufficient import random_groups
from csindex.exceptions import MissingDataWarning, ParameterError
from csindex.pls._streaming_predict import fold_keys

TOL = 1e-10
OOS = ["pls_rmse", "pls_mae", "lm_rmse", "lm_mae", "q2_predict"]


@pytest.fixture(scope="module")
def data():
    return _with_missing(_generate(2000, 13), 4)


@pytest.fixture(scope="module")
def parquet_file(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("ooc_predict") / "responses.parquet"
    data.to_parquet(path, row_group_size=450)
    return path


def _in_memory(data, seed: int, k: int, reps: int, **kw):
    """The in-memory PLSpredict on the same folds (ids of every data row; dropped rows ignored)."""
    labels = np.stack([random_groups(np.arange(len(data)), k, key) for key in fold_keys(seed, reps)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return csindex.plspredict(data, ECSI, folds=labels, **kw)


def _assert_tables(a, b) -> None:
    assert b.items["item"].tolist() == a.items["item"].tolist()
    np.testing.assert_allclose(b.items[OOS], a.items[OOS], rtol=0, atol=TOL)
    np.testing.assert_allclose(b.in_sample[OOS[:4]], a.in_sample[OOS[:4]], rtol=0, atol=TOL)


@pytest.mark.parametrize("kw", [dict(), dict(technique="EA", benchmark="exogenous", scheme="factorial")])
def test_kfold_on_parquet_equals_in_memory_on_the_same_folds(data, parquet_file, kw):
    with pytest.warns(MissingDataWarning, match="dropped"):
        b = csindex.plspredict(parquet_file, ECSI, folds=5, repetitions=3, seed=11, **kw)
    a = _in_memory(data, 11, 5, 3, **kw)
    _assert_tables(a, b)
    assert b.settings["n_used"] == a.settings["n_used"] and b.settings["n_dropped"] == a.settings["n_dropped"] > 0
    assert b.settings["fold_method"] == "random-group" and b.settings["out_of_core"] == "parquet"
    assert b.settings["folds"] == b.settings["n_folds"] == 5 and b.settings["seed"] == 11
    assert b.settings["n_fits"] == 15 and b.predictions is None and b.folds is None
    assert (b.items["q2_predict"] > 0).all()
    # another seed: other folds, other numbers
    with pytest.warns(MissingDataWarning):
        c = csindex.plspredict(parquet_file, ECSI, folds=5, repetitions=3, seed=12, **kw)
    assert not np.allclose(c.items["pls_rmse"], b.items["pls_rmse"], rtol=1e-9, atol=0)


def test_same_numbers_from_duckdb_dask_and_result_predict(data, parquet_file):
    duckdb = pytest.importorskip("duckdb")
    dd = pytest.importorskip("dask.dataframe")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        ref = csindex.plspredict(parquet_file, ECSI, folds=10, repetitions=2, seed=3)
        rel = duckdb.connect().sql("SELECT * FROM read_parquet(?)", params=[str(parquet_file)])
        for source in (rel, dd.from_pandas(data, npartitions=3)):
            _assert_tables(ref, csindex.plspredict(source, ECSI, folds=10, repetitions=2, seed=3))
        fit = csindex.fit_pls(parquet_file, ECSI)
        _assert_tables(ref, fit.predict(folds=10, repetitions=2, seed=3))
    _assert_tables(_in_memory(data, 3, 10, 2), ref)


def test_out_of_core_predict_errors(parquet_file):
    for bad in ("loo", np.zeros(2000), 2.5):
        with pytest.raises(ParameterError, match="whole number of folds"):
            csindex.plspredict(parquet_file, ECSI, folds=bad)
    with pytest.raises(ParameterError, match="folds"):
        csindex.plspredict(parquet_file, ECSI, folds=1)
