"""``fit_pls(source, model, by=...)`` out of core: one pass with sums per segment gives the same
:class:`SegmentResults` as the in-memory ``by=`` (every segment to 1e-10, same order, sizes,
settings, warnings and errors), on a Parquet file and a DuckDB relation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_out_of_core import ECSI, _assert_same, _generate, _with_missing

import csindex
from csindex.exceptions import MissingDataWarning, ParameterError, SurveyDataError
from csindex.segments import SegmentResults


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    df = _generate(2400, 11)
    rng = np.random.default_rng(5)
    df["region"] = rng.choice(["north", "south", "east"], size=len(df), p=[0.5, 0.3, 0.2])
    df["wave"] = rng.integers(1, 3, size=len(df))
    return df


@pytest.fixture(scope="module")
def parquet_file(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("ooc_by") / "responses.parquet"
    data.to_parquet(path, row_group_size=500)
    return path


def _assert_same_segments(a: SegmentResults, b: SegmentResults) -> None:
    assert isinstance(b, SegmentResults)
    assert list(b) == list(a) and b.by == a.by
    pd.testing.assert_frame_equal(b.sizes, a.sizes)
    assert b.settings == a.settings
    for key in a:
        _assert_same(a[key], b[key])


def test_by_on_parquet_and_duckdb_equals_in_memory(data, parquet_file):
    duckdb = pytest.importorskip("duckdb")
    a = csindex.fit_pls(data, ECSI, by="region", weights="weight")
    b = csindex.fit_pls(parquet_file, ECSI, by="region", weights="weight")
    _assert_same_segments(a, b)
    assert list(b) == ["east", "north", "south"] and b.sizes["n"].sum() == len(data)
    rel = duckdb.connect().sql("SELECT * FROM read_parquet(?)", params=[str(parquet_file)])
    _assert_same_segments(a, csindex.fit_pls(rel, ECSI, by="region", weights="weight"))
    # the segment's 0-100 index is the segment's, not the whole source's
    north = data[data["region"] == "north"]
    ref = csindex.fit_pls(north, ECSI, weights="weight")
    np.testing.assert_allclose(b["north"].index["index"], ref.index["index"], rtol=0, atol=1e-10)


def test_by_several_columns_and_missing_answers(data, tmp_path):
    df = _with_missing(data, 4)
    path = tmp_path / "missing.parquet"
    df.to_parquet(path, row_group_size=700)
    with pytest.warns(MissingDataWarning):
        a = csindex.fit_pls(df, ECSI, by=["region", "wave"], missing="mean")
    with pytest.warns(MissingDataWarning):
        b = csindex.fit_pls(path, ECSI, by=["region", "wave"], missing="mean")
    assert list(b)[:2] == [("east", 1), ("east", 2)] and len(b) == 6
    _assert_same_segments(a, b)


def test_missing_segment_values_warn_as_in_memory(data, tmp_path):
    df = data.copy()
    df.loc[df.index[:37], "region"] = None
    path = tmp_path / "seg_missing.parquet"
    df.to_parquet(path)
    with pytest.warns(MissingDataWarning, match="37 rows with a missing segment value") as rec_a:
        a = csindex.fit_pls(df, ECSI, by="region")
    with pytest.warns(MissingDataWarning, match="37 rows with a missing segment value") as rec_b:
        b = csindex.fit_pls(path, ECSI, by="region")
    assert [str(r.message) for r in rec_a] == [str(r.message) for r in rec_b]
    assert {r.filename for r in rec_b} == {__file__}  # the warning points at the caller, as in memory
    with pytest.warns(MissingDataWarning, match="37 rows with a missing segment value") as rec_s:
        csindex.simple_scores(path, by="region", scale=(1, 10))
    assert {r.filename for r in rec_s} == {__file__}
    _assert_same_segments(a, b)
    df["region"] = None
    df.to_parquet(path)
    with pytest.raises(SurveyDataError, match="missing for every row"):
        csindex.fit_pls(path, ECSI, by="region")


def test_small_and_empty_segments_fail_as_in_memory(data, tmp_path):
    df = data.copy()
    df.loc[df.index[5], "region"] = "island"  # one respondent: below the segment minimum of 2
    path = tmp_path / "small.parquet"
    df.to_parquet(path, row_group_size=500)
    with pytest.raises(SurveyDataError) as mem:
        csindex.fit_pls(df, ECSI, by="region")
    with pytest.raises(SurveyDataError) as ooc:
        csindex.fit_pls(path, ECSI, by="region")
    assert str(ooc.value) == str(mem.value) and "has only 1 respondent" in str(ooc.value)
    # four respondents: a segment, but too few for PLS -- the fit's error, named by segment
    df.loc[df.index[5:9], "region"] = "island"
    df.to_parquet(path, row_group_size=500)
    with pytest.raises(SurveyDataError) as mem:
        csindex.fit_pls(df, ECSI, by="region")
    with pytest.raises(SurveyDataError) as ooc:
        csindex.fit_pls(path, ECSI, by="region")
    assert str(ooc.value) == str(mem.value) and str(ooc.value).startswith("Segment region='island': Only 4")
    # an unused category of a categorical column is an empty segment, in category order
    df = data.copy()
    df["region"] = pd.Categorical(df["region"], categories=["south", "west", "north", "east"])
    df.to_parquet(path, row_group_size=500)
    with pytest.raises(SurveyDataError) as mem:
        csindex.fit_pls(df, ECSI, by="region")
    with pytest.raises(SurveyDataError) as ooc:
        csindex.fit_pls(path, ECSI, by="region")
    assert str(ooc.value) == str(mem.value) and "region='west' has no respondents" in str(ooc.value)
    df["region"] = df["region"].cat.remove_unused_categories()
    df.to_parquet(path, row_group_size=500)
    b = csindex.fit_pls(path, ECSI, by="region")
    assert list(b) == ["south", "north", "east"]
    _assert_same_segments(csindex.fit_pls(df, ECSI, by="region"), b)


def test_by_errors_name_the_column(parquet_file):
    with pytest.raises(SurveyDataError, match="'regoin'"):
        csindex.fit_pls(parquet_file, ECSI, by="regoin")
    with pytest.raises(ParameterError, match="by="):
        csindex.fit_pls(parquet_file, ECSI, by=pd.Series(["a", "b"]))


def test_by_with_random_group_bootstrap(data, parquet_file):
    duckdb = pytest.importorskip("duckdb")
    b = csindex.fit_pls(parquet_file, ECSI, by="region", bootstrap=200, seed=4, bootstrap_groups=50)
    rel = duckdb.connect().sql("SELECT * FROM read_parquet(?)", params=[str(parquet_file)])
    c = csindex.fit_pls(rel, ECSI, by="region", bootstrap=200, seed=4, bootstrap_groups=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = csindex.fit_pls(data, ECSI, by="region")
    for key in a:
        res = b[key]
        assert res.settings["bootstrap_method"] == "random-group" and res.settings["bootstrap_groups"] == 50
        np.testing.assert_allclose(res.paths["estimate"], a[key].paths["estimate"], rtol=0, atol=1e-10)
        np.testing.assert_array_equal(res.paths["std_error"], c[key].paths["std_error"])
        assert (res.paths["std_error"] > 0).all() and (res.index["ci_lower"] < res.index["index"]).all()
