"""``simple_scores(source, by=...)`` out of core: one streaming pass with one set of sums per
segment gives the same :class:`SegmentResults` as the in-memory ``simple_scores(df, by=...)``
(every table of every segment to 1e-10, the same order, sizes, settings, warnings and
errors), on a Parquet file, a DuckDB relation and a Dask DataFrame."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex.exceptions import ParameterError, SurveyDataError
from csindex.segments import SegmentResults

TOL = 1e-10


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 2500
    latent = rng.normal(size=n)
    cols = {}
    for c, k in {"IMAG": 3, "QUAL": 4, "SAT": 3, "LOY": 2}.items():
        for i in range(1, k + 1):
            cols[f"{c}{i}"] = np.clip(np.round(6.5 + 1.5 * latent + 1.2 * rng.normal(size=n)), 1, 10)
    df = pd.DataFrame(cols)
    for c in ("QUAL2", "SAT3"):  # missing answers
        df.loc[rng.random(n) < 0.05, c] = np.nan
    df["weight"] = rng.uniform(0.5, 2.0, size=n)
    df["region"] = rng.choice(["north", "south", "east"], size=n, p=[0.5, 0.3, 0.2])
    df["wave"] = rng.integers(1, 3, size=n)
    df.loc[df.index[:7], "region"] = None  # no segment value: left out with a warning
    return df


@pytest.fixture(scope="module")
def parquet_file(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("simple_by") / "responses.parquet"
    data.to_parquet(path, row_group_size=400)
    return path


def _run(source, **kw):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = csindex.simple_scores(source, scale=(1, 10), **kw)
    return res, [f"{w.category.__name__}: {w.message}" for w in rec]


def _assert_same(a: SegmentResults, b: SegmentResults) -> None:
    assert isinstance(b, SegmentResults) and list(b) == list(a)
    assert b.by == a.by and b.settings == a.settings
    pd.testing.assert_frame_equal(b.sizes, a.sizes)
    for key in a:
        ra, rb = a[key], b[key]
        assert {k: v for k, v in rb.settings.items() if k != "source"} == \
            {k: v for k, v in ra.settings.items() if k != "source"}
        for table in ("items", "constructs", "index"):
            pd.testing.assert_frame_equal(getattr(rb, table), getattr(ra, table), rtol=0, atol=TOL,
                                          check_exact=False)


@pytest.mark.parametrize("kw", [dict(by="region"), dict(by=["region", "wave"], weights=False),
                                dict(by="wave", weights="weight", by_construct=False, confidence=0.9)])
def test_segments_on_parquet_and_duckdb_equal_in_memory(data, parquet_file, kw):
    duckdb = pytest.importorskip("duckdb")
    a, warn_a = _run(data, **kw)
    b, warn_b = _run(parquet_file, **kw)
    assert warn_b == warn_a
    if "region" in (kw["by"] if isinstance(kw["by"], list) else [kw["by"]]):
        assert "7 rows with a missing segment value" in warn_a[0]
    _assert_same(a, b)
    assert b[list(b)[0]].settings["source"] == "parquet"
    rel = duckdb.connect().sql("SELECT * FROM read_parquet(?)", params=[str(parquet_file)])
    c, warn_c = _run(rel, **kw)
    assert warn_c == warn_a
    _assert_same(a, c)


def test_dask_and_positional_items_and_segment_options(data):
    dd = pytest.importorskip("dask.dataframe")
    items = ["SAT1", "SAT2", "SAT3", "LOY1"]
    a, _ = _run(data, by="region", items=items, n_jobs=2, min_segment_size=10)
    b, _ = _run(dd.from_pandas(data, npartitions=4), by="region", items=items, n_jobs=2, min_segment_size=10)
    assert a.settings["n_jobs"] == 2 and a.settings["min_size"] == 10
    _assert_same(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pos_a = csindex.simple_scores(data, items, by="wave", scale=(1, 10))
        pos_b = csindex.simple_scores(dd.from_pandas(data, npartitions=2), items, by="wave", scale=(1, 10))
    _assert_same(pos_a, pos_b)


def test_segment_rules_and_errors_as_in_memory(data, parquet_file, tmp_path):
    small = data.copy()
    small["region"] = pd.Categorical(small["region"], categories=["north", "south", "east", "west"])
    path = tmp_path / "categorical.parquet"
    small.to_parquet(path)
    with pytest.raises(SurveyDataError) as mem, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csindex.simple_scores(small, by="region", scale=(1, 10))
    with pytest.raises(SurveyDataError) as ooc, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csindex.simple_scores(path, by="region", scale=(1, 10))
    assert str(ooc.value) == str(mem.value) and "'west'" in str(ooc.value)
    # categorical order kept (not the order of appearance) once the empty category is dropped
    small["region"] = small["region"].cat.remove_unused_categories().cat.reorder_categories(["south", "east", "north"])
    small.to_parquet(path)
    a, _ = _run(small, by="region")
    b, _ = _run(path, by="region")
    assert list(b) == ["south", "east", "north"]
    _assert_same(a, b)
    # a segment below min_segment_size: the same error
    with pytest.raises(SurveyDataError, match="at least 900") as ooc, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csindex.simple_scores(parquet_file, by="region", scale=(1, 10), min_segment_size=900)
    with pytest.raises(SurveyDataError) as mem, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csindex.simple_scores(data, by="region", scale=(1, 10), min_segment_size=900)
    assert str(ooc.value) == str(mem.value)
    with pytest.raises(ParameterError, match="by= must name a column"):
        csindex.simple_scores(parquet_file, by=data["region"], scale=(1, 10))
    with pytest.raises(SurveyDataError, match="'REGION'"):
        csindex.simple_scores(parquet_file, by="REGION", scale=(1, 10))
    with pytest.raises(SurveyDataError, match="scale="):
        csindex.simple_scores(parquet_file, by="region")
    with pytest.raises(TypeError, match="bogus"):
        csindex.simple_scores(parquet_file, by="region", scale=(1, 10), bogus=1)
