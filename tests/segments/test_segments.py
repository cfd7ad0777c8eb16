"""Segments and waves (csindex.segments): splitting, per-segment runs, comparisons, MGA, trends.

The central property: a segment's result is exactly the result of running the same
function on that segment alone (same arguments, same seed), for any n_jobs or backend.
"""

from __future__ import annotations

import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

import csindex
from csindex.exceptions import MissingDataWarning, SurveyDataError
from csindex.segments import SegmentResults, map_segments, pls_mga, segmentable, split_segments


@pytest.fixture(scope="module")
def airline():
    return csindex.datasets.airline()


def _frame(n=12):
    return pd.DataFrame({
        "region": ["N", "S", "E"] * (n // 3),
        "kind": ["a", "b"] * (n // 2),
        "SAT1": np.arange(n, dtype=float) % 10 + 1,
    })


# --------------------------------------------------------------------------- split_segments
def test_split_by_column_sorted_and_complete():
    df = _frame()
    parts = split_segments(df, "region")
    assert list(parts) == ["E", "N", "S"]
    assert all(len(p) == 4 for p in parts.values())
    # the original rows, original index, nothing lost or duplicated
    idx = np.sort(np.concatenate([p.index.to_numpy() for p in parts.values()]))
    assert (idx == np.arange(12)).all()
    assert (parts["N"]["region"] == "N").all()


def test_split_does_not_mutate_caller():
    df = _frame()
    before = df.copy()
    parts = split_segments(df, "region")
    parts["N"].loc[:, "SAT1"] = -1.0
    assert_frame_equal(df, before)


def test_split_by_list_gives_tuple_keys():
    parts = split_segments(_frame(), ["region", "kind"])
    assert list(parts)[:2] == [("E", "a"), ("E", "b")]
    assert len(parts) == 6 and sum(len(p) for p in parts.values()) == 12


def test_split_by_series_aligned_by_index():
    df = _frame().set_index(pd.Index(np.arange(100, 112)))
    s = (df["SAT1"] > 5).map({True: "high", False: "low"}).rename("level")
    parts = split_segments(df, s.sample(frac=1.0, random_state=1))  # shuffled: aligned by index
    assert list(parts) == ["high", "low"]
    assert (parts["high"]["SAT1"] > 5).all() and (parts["low"]["SAT1"] <= 5).all()


def test_split_misaligned_series_raises():
    df = _frame()
    with pytest.raises(SurveyDataError, match="index does not match"):
        split_segments(df, pd.Series(["a"] * 5))


def test_split_numeric_keys_are_python_scalars_in_order():
    df = pd.DataFrame({"g": [3, 1, 2, 1, 2, 3], "x": np.arange(6.0)})
    parts = split_segments(df, "g")
    assert list(parts) == [1, 2, 3] and all(type(k) is int for k in parts)


def test_split_categorical_uses_category_order_and_rejects_empty():
    df = pd.DataFrame({"size": pd.Categorical(["small", "large", "small", "large"],
                                              categories=["small", "large"], ordered=True), "x": [1.0, 2, 3, 4]})
    assert list(split_segments(df, "size")) == ["small", "large"]
    df2 = df.assign(size=df["size"].cat.add_categories(["huge"]))
    with pytest.raises(SurveyDataError, match=r"size='huge' has no respondents.*remove_unused_categories"):
        split_segments(df2, "size")


def test_split_missing_segment_values_warned_and_left_out():
    df = _frame()
    df.loc[[0, 4], "region"] = None
    with pytest.warns(MissingDataWarning, match=r"^2 rows with a missing segment value \('region'\)"):
        parts = split_segments(df, "region")
    assert sum(len(p) for p in parts.values()) == 10


def test_split_small_segment_error_names_segment_and_fix():
    df = pd.DataFrame({"g": ["a", "a", "a", "b"], "x": [1.0, 2, 3, 4]})
    with pytest.raises(SurveyDataError, match=r"Segment g='b' has only 1 respondent; at least 2.*min_size="):
        split_segments(df, "g")
    assert list(split_segments(df, "g", min_size=1)) == ["a", "b"]


def test_split_unknown_column_suggests():
    with pytest.raises(SurveyDataError, match=r"'regoin' is not in the data\. Did you mean 'region'\?"):
        split_segments(_frame(), "regoin")


def test_split_survey_keeps_codebook_and_weights(airline):
    parts = split_segments(airline, "route")
    assert list(parts) == ["domestic", "international", "regional"]
    for key, seg in parts.items():
        assert isinstance(seg, csindex.Survey)
        assert seg.codebook is airline.codebook
        rows = airline.responses.index[airline.responses["route"] == key]
        assert seg.responses.index.equals(rows)
        assert seg.weights is not None and seg.weights.index.equals(rows)
        np.testing.assert_array_equal(seg.weights.to_numpy(), airline.weights.loc[rows].to_numpy())
        assert seg.validation.n == len(rows) == seg.n
        # per-segment missing counts are recomputed from the segment's rows
        assert seg.validation.items.at["ENT1", "n_missing"] == int(airline.responses.loc[rows, "ENT1"].isna().sum())
    assert sum(p.n for p in parts.values()) == airline.n


# --------------------------------------------------------------------------- map_segments
def _mean_sat(df, *, column="SAT1", shift=0.0):
    return float(df[column].mean()) + shift


def test_map_segments_results_equal_running_alone():
    df = _frame()
    res = map_segments(_mean_sat, df, "region", shift=1.0)
    assert isinstance(res, SegmentResults)
    for key, part in split_segments(df, "region").items():
        assert res[key] == _mean_sat(part, shift=1.0)
    assert list(res.sizes["n"]) == [4, 4, 4]


def test_segment_results_is_read_only_mapping():
    res = map_segments(_mean_sat, _frame(), "region")
    with pytest.raises(TypeError):
        res.results["X"] = 1.0  # type: ignore[index]
    with pytest.raises(KeyError, match="No segment 'Q'"):
        res["Q"]
    assert "N" in res and len(res) == 3 and res.segments == ["E", "N", "S"]
    assert "Results per segment" in repr(res)


def test_frame_scalar_and_dataframe_attributes():
    res = map_segments(_mean_sat, _frame(), "region")
    tab = res.frame()
    assert list(tab.columns) == ["segment", "value"]
    assert list(tab["segment"]) == ["E", "N", "S"]


def _bootstrap_mean(df, *, seed=None, n_resamples=200, n_jobs=1):
    rng = np.random.default_rng(seed)
    x = df["SAT1"].to_numpy()
    idx = rng.integers(0, len(x), size=(n_resamples, len(x)))
    return float(x[idx].mean(axis=1).std())


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_same_seed_every_segment_any_n_jobs(n_jobs):
    df = pd.DataFrame({"g": np.repeat(["a", "b", "c"], 30), "SAT1": np.random.default_rng(0).normal(size=90)})
    res = map_segments(_bootstrap_mean, df, "g", n_jobs=n_jobs, seed=42)
    for key, part in split_segments(df, "g").items():
        assert res[key] == _bootstrap_mean(part, seed=42)


def test_generator_seed_is_copied_per_segment():
    df = pd.DataFrame({"g": np.repeat(["a", "b"], 20), "SAT1": np.arange(40.0)})
    gen = np.random.default_rng(7)
    res = map_segments(_bootstrap_mean, df, "g", seed=gen)
    for key, part in split_segments(df, "g").items():
        assert res[key] == _bootstrap_mean(part, seed=np.random.default_rng(7))


def test_threading_backend_gives_identical_results():
    df = pd.DataFrame({"g": np.repeat(["a", "b", "c"], 30), "SAT1": np.random.default_rng(1).normal(size=90)})
    base = map_segments(_bootstrap_mean, df, "g", seed=3)
    with joblib.parallel_backend("threading", n_jobs=2):
        threaded = map_segments(_bootstrap_mean, df, "g", n_jobs=2, seed=3)
    assert dict(base) == dict(threaded)


def _fails_in_b(df):
    if (df["g"] == "b").all():
        raise SurveyDataError("Item 'SAT1' has no valid answers.")
    return 1.0


def test_error_in_segment_names_the_segment():
    df = pd.DataFrame({"g": ["a", "a", "b", "b"], "SAT1": [1.0, 2, 3, 4]})
    with pytest.raises(SurveyDataError, match=r"^Segment g='b': Item 'SAT1' has no valid answers\.$"):
        map_segments(_fails_in_b, df, "g")


def test_simple_scores_per_segment_equal_alone(airline):
    res = map_segments(csindex.simple_scores, airline, ["route", "gender"])
    parts = split_segments(airline, ["route", "gender"])
    assert list(res) == list(parts) and len(res) == 6
    stacked = res.frame("constructs")
    assert {"segment", "route", "gender"} <= set(stacked.columns)
    for key, part in parts.items():
        alone = csindex.simple_scores(part)
        got = stacked[stacked["segment"] == key].drop(columns=["segment", "route", "gender"]).reset_index(drop=True)
        assert_frame_equal(got, alone.constructs)
        assert_frame_equal(res[key].items, alone.items)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["x", "y", "z"]), st.floats(-5, 5)), min_size=6, max_size=40))
def test_property_segments_partition_rows(rows):
    df = pd.DataFrame(rows, columns=["g", "v"])
    counts = df["g"].value_counts()
    if counts.min() < 2:
        with pytest.raises(SurveyDataError):
            split_segments(df, "g")
        return
    parts = split_segments(df, "g")
    assert sorted(parts) == list(parts) == sorted(counts.index)
    for k, p in parts.items():
        assert len(p) == counts[k]
        assert_frame_equal(p, df[df["g"] == k])


# --------------------------------------------------------------------------- segmentable
@segmentable
def _scored(df, *, column="SAT1", n_jobs=1):
    """Doc."""
    return float(df[column].max())


def test_segmentable_by_runs_per_segment_and_without_by_as_usual():
    df = _frame()
    assert _scored(df) == df["SAT1"].max()
    res = _scored(df, by="region", n_jobs=2)
    assert isinstance(res, SegmentResults)
    assert dict(res) == {k: float(p["SAT1"].max()) for k, p in split_segments(df, "region").items()}
    assert "by" in __import__("inspect").signature(_scored).parameters
    assert _scored.__doc__ == "Doc."


def test_no_warnings_for_clean_split():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        split_segments(_frame(), "region")


# --------------------------------------------------------------------------- by= on the scoring functions
def test_simple_scores_by_equals_each_segment_alone(airline):
    res = csindex.simple_scores(airline, ["SAT1", "SAT2", "LOY1"], by="gender", n_jobs=2)
    assert isinstance(res, SegmentResults) and list(res) == ["female", "male"]
    items = res.frame("items")
    for key, part in split_segments(airline, "gender").items():
        alone = csindex.simple_scores(part, ["SAT1", "SAT2", "LOY1"])
        assert_frame_equal(items[items["segment"] == key].drop(columns="segment").reset_index(drop=True), alone.items)
        assert_frame_equal(res[key].constructs, alone.constructs)
        assert res[key].settings == alone.settings


def test_simple_scores_by_weighted_segment_differs_from_unweighted(airline):
    # the segment keeps its sampling weights: weights=False must change the numbers
    w = csindex.simple_scores(airline, by="route")["regional"].constructs["score"]
    u = csindex.simple_scores(airline, by="route", weights=False)["regional"].constructs["score"]
    assert not np.allclose(w, u)


def test_satisfaction_rate_by(airline):
    res = csindex.satisfaction_rate(airline, threshold=8, by="route")
    for key, part in split_segments(airline, "route").items():
        assert_frame_equal(res[key].items, csindex.satisfaction_rate(part, threshold=8).items)


# --------------------------------------------------------------------------- by= on the other analyses
import dataclasses  # noqa: E402

DRIVERS = ["SAFE", "CREW", "PUNC", "CABN", "CATR", "ENT"]


def _assert_same_result(got, alone):
    """Every tidy DataFrame and scalar field of two result dataclasses is exactly equal."""
    assert type(got) is type(alone)
    n_frames = 0
    for f in dataclasses.fields(alone):
        a, b = getattr(got, f.name), getattr(alone, f.name)
        if isinstance(b, pd.DataFrame):
            assert_frame_equal(a, b)
            n_frames += 1
        elif isinstance(b, (float, int, str, tuple)) and not f.name.startswith("_"):
            assert a == b or (a != a and b != b), f.name
    assert n_frames > 0


@pytest.mark.parametrize("func, kwargs", [
    ("ratio_index", {}),
    ("dual_evaluation", {}),
    ("ipa", {}),
    ("driver_weights", {"target": "QUAL", "drivers": DRIVERS, "bootstrap": 200, "seed": 7}),
])
def test_scoring_by_equals_each_segment_alone(airline, func, kwargs):
    f = getattr(csindex, func)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = f(airline, by="route", n_jobs=2, **kwargs)
        parts = split_segments(airline, "route")
        assert isinstance(res, SegmentResults) and list(res) == list(parts)
        for key, part in parts.items():
            _assert_same_result(res[key], f(part, **kwargs))


def test_scoring_by_stacks_tidy_frames(airline):
    res = csindex.ipa(airline, by="gender")
    items = res.frame("items")
    assert list(items.columns[:1]) == ["segment"]
    assert len(items) == sum(len(r.items) for r in res.values())


def test_kano_by():
    df = pd.DataFrame({"F1": [1, 2, 3, 1, 1, 5], "D1": [3, 5, 5, 5, 4, 1], "g": ["x", "x", "x", "y", "y", "y"]})
    res = csindex.kano(df, ["F1"], ["D1"], by="g")
    for key, part in split_segments(df, "g").items():
        _assert_same_result(res[key], csindex.kano(part, ["F1"], ["D1"]))


def test_fit_sem_by_equals_each_segment_alone(airline):
    spec = csindex.models.ccsi(airline)
    data = airline.responses.dropna(subset=list(spec.items))
    res = csindex.fit_sem(data, spec, by="gender", scale=(1, 10))
    assert list(res) == ["female", "male"]
    for key, part in split_segments(data, "gender").items():
        alone = csindex.fit_sem(part, spec, scale=(1, 10))
        assert_frame_equal(res[key].paths, alone.paths)
        assert_frame_equal(res[key].estimates, alone.estimates)
    paths = res.frame("paths")
    assert set(paths["segment"]) == {"female", "male"}


# --------------------------------------------------------------------------- two-group PLS data
MGA_MODEL = "Q =~ q1 + q2 + q3\nS =~ s1 + s2 + s3\nS ~ Q"


def _mga_data(n, beta_a, beta_b, seed, *, loadings_b=(0.8, 0.8, 0.8), shift_b=0.0):
    """Two groups of n: Q -> S with a true standardised path beta_g; items load 0.8."""
    rng = np.random.default_rng(seed)
    g = np.repeat(["a", "b"], n)
    q = rng.normal(size=2 * n)
    beta = np.where(g == "a", beta_a, beta_b)
    s = beta * q + np.sqrt(1 - beta**2) * rng.normal(size=2 * n)
    lam_q = np.where(g[:, None] == "a", 0.8, np.asarray(loadings_b)[None, :])
    d = {f"q{k + 1}": lam_q[:, k] * q + np.sqrt(1 - lam_q[:, k] ** 2) * rng.normal(size=2 * n) for k in range(3)}
    d |= {f"s{k}": 0.8 * s + 0.6 * rng.normal(size=2 * n) + np.where(g == "b", shift_b, 0.0) for k in (1, 2, 3)}
    d["g"] = g
    return pd.DataFrame(d)


# --------------------------------------------------------------------------- Dask
def _pls_frame():
    rng = np.random.default_rng(11)
    n = 600
    q = rng.normal(size=n)
    s = 0.5 * q + 0.85 * rng.normal(size=n)
    d = {f"q{k}": 0.8 * q + 0.6 * rng.normal(size=n) for k in (1, 2, 3)}
    d |= {f"s{k}": 0.8 * s + 0.6 * rng.normal(size=n) for k in (1, 2, 3)}
    d["region"] = np.tile(["north", "south", "east"], n // 3)
    return pd.DataFrame(d)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed (optional extra "
                                                            "csindex[dask]); the Dask backend cannot be tested")
    pytest.importorskip("dask", reason="dask is not installed (optional extra csindex[dask])")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=40)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_backend_identical_results(dask_client, airline):
    # map_segments and fit_pls(by=..., bootstrap=...) on a 2-worker LocalCluster (separate
    # processes) give exactly the numbers of a sequential run with the same seed
    df = _pls_frame()
    model = MGA_MODEL
    seq_simple = map_segments(csindex.simple_scores, airline, "route")
    seq_pls = csindex.fit_pls(df, model, by="region", bootstrap=200, seed=3, chunk_size=50)
    seq_mga = pls_mga(df, model, "region", groups=("north", "south"), n_permutations=200, seed=4, chunk_size=50)
    from distributed import get_task_stream

    with get_task_stream(dask_client) as stream, joblib.parallel_backend("dask"):
        dsk_simple = map_segments(csindex.simple_scores, airline, "route")  # unchanged call
        dsk_pls = csindex.fit_pls(df, model, by="region", bootstrap=200, seed=3, chunk_size=50, n_jobs=2)
        dsk_mga = pls_mga(df, model, "region", groups=("north", "south"), n_permutations=200, seed=4,
                          chunk_size=50)
    # the work really ran on the cluster: fit_pls(by=) sends its 3 segments as tasks (each
    # segment's bootstrap runs inside its task), pls_mga its 4 permutation chunks
    assert len(stream.data) >= 3 + 4
    assert len({t["worker"] for t in stream.data}) == 2
    assert_frame_equal(dsk_simple.frame("constructs"), seq_simple.frame("constructs"))
    assert list(dsk_pls) == list(seq_pls) == ["east", "north", "south"]
    for key in seq_pls:
        assert_frame_equal(dsk_pls[key].paths, seq_pls[key].paths)
        assert_frame_equal(dsk_pls[key].index, seq_pls[key].index)
    assert_frame_equal(dsk_mga.paths, seq_mga.paths)
    assert_frame_equal(dsk_mga.micom.table, seq_mga.micom.table)


def test_results_pickle_round_trip(airline):
    import pickle

    res = csindex.simple_scores(airline, by="route")
    back = pickle.loads(pickle.dumps(res))
    assert list(back) == list(res)
    assert_frame_equal(back.frame("constructs"), res.frame("constructs"))
    with pytest.raises(TypeError):
        back.results["x"] = 1  # type: ignore[index]


def test_decorated_function_warnings_point_at_the_caller():
    df = pd.DataFrame({"SAT1": [3.0], "SAT2": [4.0]})
    with pytest.warns(csindex.exceptions.InferenceWarning) as rec:
        csindex.simple_scores(df, scale=(1, 5))
    assert {r.filename for r in rec} == {__file__}
    with warnings.catch_warnings():
        warnings.simplefilter("error", csindex.exceptions.InferenceWarning)
        with pytest.raises(csindex.exceptions.InferenceWarning):
            csindex.simple_scores(df, scale=(1, 5))


def test_frame_of_scalar_and_bool_attributes():
    df = _mga_data(60, 0.3, 0.5, seed=12)
    res = csindex.fit_pls(df, MGA_MODEL, by="g")
    conv = res.frame("converged")
    assert list(conv.columns) == ["segment", "converged"] and conv["converged"].all()
    n = res.frame("n")
    assert n["n"].tolist() == [60, 60]
    with pytest.raises(AttributeError, match="has no attribute 'pahts'. Did you mean 'paths'"):
        res.frame("pahts")


def test_progress_bar_over_segments(capsys):
    res = map_segments(_mean_sat, _frame(), "region", progress=True)
    err = capsys.readouterr().err
    assert "segments (_mean_sat)" in err and "3/3" in err
    assert dict(res) == dict(map_segments(_mean_sat, _frame(), "region", progress=False))


def _inner_backend(df):
    from joblib.parallel import get_active_backend

    return type(get_active_backend()[0]).__name__


def test_parallel_segments_run_inner_joblib_sequentially():
    # segments in parallel: a bootstrap inside a segment must not submit nested tasks
    with joblib.parallel_backend("threading", n_jobs=2):
        res = map_segments(_inner_backend, _frame(), "region", n_jobs=2)
    assert set(res.values()) == {"SequentialBackend"}
    # segments one after another: the function's own parallelism is left alone
    with joblib.parallel_backend("threading", n_jobs=2):
        res = map_segments(_inner_backend, _frame(), "region", n_jobs=1)
    assert set(res.values()) == {"ThreadingBackend"}


def test_segmentable_positional_arguments(airline):
    res = csindex.simple_scores(airline, ["SAT1", "SAT2"], by="route")
    assert list(res["regional"].items["item"]) == ["SAT1", "SAT2"]
    with pytest.raises(TypeError, match="takes 2 positional arguments but 3 were given"):
        csindex.simple_scores(airline, ["SAT1"], True, by="route")


def test_plot_index_per_segment(airline):
    import matplotlib.pyplot as plt

    res = csindex.simple_scores(airline, by="route")
    d = res.plot_index(["SAT", "LOY"])
    assert d.figure_ is not None
    plt.close(d.figure_)
    df = _mga_data(60, 0.3, 0.5, seed=12)
    pls = csindex.fit_pls(df, MGA_MODEL, by="g", scale=(-4, 4))
    d = pls.plot_index()
    plt.close(d.figure_)
    with pytest.raises(SurveyDataError, match="'XX' is not in the results"):
        res.plot_index(["XX"])


def _blas_threads(df):
    from threadpoolctl import threadpool_info

    return max([i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] or [1])


def test_segments_run_with_single_threaded_blas():
    pytest.importorskip("threadpoolctl")
    assert set(map_segments(_blas_threads, _frame(), "region").values()) == {1}
    assert set(map_segments(_blas_threads, _frame(), "region", n_jobs=2).values()) == {1}
