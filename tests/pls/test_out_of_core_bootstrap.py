"""Random-group bootstrap of an out-of-core PLS fit.

* recovery: on data simulated from the ECSI population model, the random-group standard errors
  of the paths and the 0-100 indices agree with the in-memory row bootstrap's (measured over 10
  simulated data sets, n = 5,000, B = 2,000: ratio mean 0.99, sd 0.052 with 200 groups, 0.042
  with 400 groups; the largest deviation 19 % and 12 %);
* the same numbers from a Parquet file, a Parquet folder, a DuckDB relation and a Dask DataFrame
  (any partitioning) for the same seed: a row's group depends only on its position;
* weighted and mean-imputed sources; BCa from the delete-a-group jackknife;
* bad ``bootstrap`` / ``bootstrap_groups`` values are ParameterErrors naming the option.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_out_of_core import ECSI, _generate, _with_missing

import csindex
from csindex._sufficient import random_groups
from csindex.exceptions import MissingDataWarning, ParameterError
from csindex.pls.bootstrap import BootstrapResult

BOOT_COLS = ["std_error", "t_value", "p_value", "ci_lower", "ci_upper"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return _generate(5000, 21)


@pytest.fixture(scope="module")
def parquet_file(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("ooc_boot") / "responses.parquet"
    data.to_parquet(path, row_group_size=900)
    return path


def _ratios(a, b, table: str) -> np.ndarray:
    return getattr(b, table)["std_error"].to_numpy() / getattr(a, table)["std_error"].to_numpy()


def test_random_group_se_recover_the_row_bootstrap(data, parquet_file):
    a = csindex.fit_pls(data, ECSI, bootstrap=2000, seed=8)
    b = csindex.fit_pls(parquet_file, ECSI, bootstrap=2000, seed=8, bootstrap_groups=400)
    assert b.settings["bootstrap_method"] == "random-group" and b.settings["bootstrap_groups"] == 400
    assert b.settings["bootstrap"] == 2000 and b.settings["seed"] == 8
    assert isinstance(b.bootstrap, BootstrapResult) and b.bootstrap.n_valid == 2000
    # the same tables, the same columns as the in-memory bootstrap
    for table in ("paths", "weights", "loadings", "effects", "index"):
        assert list(getattr(b, table).columns) == list(getattr(a, table).columns)
    for table in ("paths", "index", "loadings"):
        r = _ratios(a, b, table)
        assert np.all(np.abs(r - 1) < 0.20), (table, r)  # each SE within 20 %
        assert abs(r.mean() - 1) < 0.06, (table, r.mean())  # on average within 6 %
    # intervals: about estimate +- 1.96 SE, centred like the row bootstrap's
    idx_a, idx_b = a.index.set_index("construct"), b.index.set_index("construct")
    np.testing.assert_allclose(idx_b["ci_upper"] - idx_b["ci_lower"], idx_a["ci_upper"] - idx_a["ci_lower"], rtol=0.25)
    assert ((idx_b["ci_lower"] < idx_b["index"]) & (idx_b["index"] < idx_b["ci_upper"])).all()


def test_the_tolerance_is_not_vacuous(data, parquet_file):
    """With only 10 groups the SE has 9 degrees of freedom (relative error about 24 %): the
    tolerance of the recovery test then fails."""
    a = csindex.fit_pls(data, ECSI, bootstrap=1000, seed=2)
    b = csindex.fit_pls(parquet_file, ECSI, bootstrap=1000, seed=2, bootstrap_groups=10)
    r = _ratios(a, b, "paths")
    # 10 groups: an SE with 9 degrees of freedom scatters far more than with 400 groups
    assert np.abs(r - 1).max() > 0.2


def test_same_numbers_from_every_source(data, parquet_file, tmp_path):
    duckdb = pytest.importorskip("duckdb")
    dd = pytest.importorskip("dask.dataframe")
    folder = tmp_path / "lake"
    folder.mkdir()
    for k, rows in enumerate(np.array_split(np.arange(len(data)), 4)):
        data.iloc[rows].to_parquet(folder / f"part-{k}.parquet", row_group_size=333)
    ref = csindex.fit_pls(parquet_file, ECSI, bootstrap=300, seed=5, bootstrap_groups=100)
    rel = duckdb.connect().sql("SELECT * FROM read_parquet(?)", params=[str(parquet_file)])
    sources = [folder, rel, dd.from_pandas(data, npartitions=3), dd.from_pandas(data, npartitions=7)]
    for source in sources:
        res = csindex.fit_pls(source, ECSI, bootstrap=300, seed=5, bootstrap_groups=100)
        # integer items: exact sums per group; only the centring shift (the rounded means of the
        # first batch) can differ between sources, which moves the last bits
        for table in ("paths", "index", "loadings"):
            cols = [c for c in BOOT_COLS if c in getattr(ref, table).columns]
            np.testing.assert_allclose(getattr(res, table)[cols], getattr(ref, table)[cols], rtol=1e-10, atol=1e-300)
    other = csindex.fit_pls(parquet_file, ECSI, bootstrap=300, seed=6, bootstrap_groups=100)
    assert not np.allclose(other.paths["std_error"], ref.paths["std_error"], rtol=1e-6, atol=0)


def test_group_assignment_depends_only_on_position():
    pos = np.arange(10_007)
    g = random_groups(pos, 200, key=99)
    sizes = np.bincount(g, minlength=200)
    assert sizes.min() == 50 and sizes.max() == 51  # balanced: 10,007 = 50 x 200 + 7
    pieces = np.concatenate([random_groups(p, 200, key=99) for p in np.array_split(pos, [1, 333, 5000, 9999])])
    np.testing.assert_array_equal(pieces, g)
    assert not np.array_equal(random_groups(pos, 200, key=100), g)
    # not consecutive blocks: neighbouring rows land in different groups
    assert np.mean(g[1:] == g[:-1]) < 0.02


@settings(max_examples=60, deadline=None)
@given(start=st.integers(0, 10**12), n=st.integers(1, 3000), groups=st.integers(10, 500),
       cuts=st.lists(st.integers(0, 3000), max_size=5), key=st.integers(0, 2**64 - 1))
def test_groups_are_balanced_and_batch_free(start, n, groups, cuts, key):
    pos = np.arange(start, start + n)
    g = random_groups(pos, groups, key)
    assert g.min() >= 0 and g.max() < groups
    pieces = np.split(pos, sorted(c for c in cuts if c < n))
    np.testing.assert_array_equal(np.concatenate([random_groups(p, groups, key) for p in pieces]), g)
    # every full block of ``groups`` consecutive positions is a permutation of the groups
    first = -(-start // groups) * groups
    block = np.arange(first, first + groups)
    if block[-1] < start + n:
        assert sorted(random_groups(block, groups, key).tolist()) == list(range(groups))


def test_weighted_and_mean_imputed_sources(data, tmp_path):
    df = _with_missing(data, 9)
    path = tmp_path / "weighted.parquet"
    df.to_parquet(path, row_group_size=1000)
    with pytest.warns(MissingDataWarning):
        a = csindex.fit_pls(df, ECSI, bootstrap=1500, seed=3, weights="weight", missing="mean")
    with pytest.warns(MissingDataWarning):
        b = csindex.fit_pls(path, ECSI, bootstrap=1500, seed=3, weights="weight", missing="mean",
                            bootstrap_groups=400)
    np.testing.assert_allclose(b.paths["estimate"], a.paths["estimate"], rtol=0, atol=1e-10)
    assert b.settings["weighted"] and b.settings["missing"] == "mean"
    for table in ("paths", "index"):
        r = _ratios(a, b, table)
        assert np.all(np.abs(r - 1) < 0.25), (table, r)
        assert abs(r.mean() - 1) < 0.08, (table, r.mean())
    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.connect().sql("SELECT * FROM read_parquet(?)", params=[str(path)])
    with pytest.warns(MissingDataWarning):
        c = csindex.fit_pls(rel, ECSI, bootstrap=1500, seed=3, weights="weight", missing="mean",
                            bootstrap_groups=400)
    np.testing.assert_allclose(c.paths[BOOT_COLS], b.paths[BOOT_COLS], rtol=1e-9, atol=1e-12)


def test_bca_from_the_delete_a_group_jackknife(parquet_file):
    b = csindex.fit_pls(parquet_file, ECSI, bootstrap=400, seed=1, ci="bca", bootstrap_groups=50)
    assert b.settings["ci"] == "bca"
    assert b.bootstrap.jackknife["paths"].shape == (50, len(b.paths))
    p = b.paths
    assert ((p["ci_lower"] < p["estimate"]) & (p["estimate"] < p["ci_upper"])).all()
    pct = csindex.fit_pls(parquet_file, ECSI, bootstrap=400, seed=1, bootstrap_groups=50)
    np.testing.assert_array_equal(pct.paths["std_error"], p["std_error"])  # same draws
    assert not np.array_equal(pct.paths["ci_lower"], p["ci_lower"])


def test_bad_bootstrap_options_name_the_option(parquet_file, data, tmp_path):
    for bad in (5, 0, -1, 2.5, True, "200"):
        with pytest.raises(ParameterError, match="bootstrap_groups"):
            csindex.fit_pls(parquet_file, ECSI, bootstrap=10, bootstrap_groups=bad)
    for bad in (-1, 2.5, "10"):
        with pytest.raises(ParameterError, match="bootstrap"):
            csindex.fit_pls(parquet_file, ECSI, bootstrap=bad)
    small = tmp_path / "small.parquet"
    data.iloc[:300].to_parquet(small)
    with pytest.raises(ParameterError, match=r"bootstrap_groups=200 .* at least 400 respondents"):
        csindex.fit_pls(small, ECSI, bootstrap=10)
    res = csindex.fit_pls(small, ECSI, bootstrap=50, bootstrap_groups=100, seed=0)
    assert res.settings["bootstrap_groups"] == 100
