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
from csindex.segments import SegmentResults, map_segments, segmentable, split_segments


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


# --------------------------------------------------------------------------- index comparisons
from itertools import combinations  # noqa: E402

from scipy import stats  # noqa: E402

from csindex.segments import IndexComparison, compare_segments, compare_waves  # noqa: E402


def _two_groups(n_a, n_b, shift, seed, weights=False):
    rng = np.random.default_rng(seed)
    x = np.clip(np.rint(np.concatenate([rng.normal(6.0, 1.8, n_a), rng.normal(6.0 + shift, 1.8, n_b)])), 1, 10)
    df = pd.DataFrame({"g": ["a"] * n_a + ["b"] * n_b, "SAT1": x})
    if weights:
        df["w"] = rng.uniform(0.3, 3.0, n_a + n_b)
    return df


def test_comparison_indices_equal_simple_scores_per_segment(airline):
    cmp = compare_segments(airline, "route", n_resamples=50, n_permutations=50, seed=0)
    assert isinstance(cmp, IndexComparison)
    parts = split_segments(airline, "route")
    d = cmp.differences
    assert list(d.drop_duplicates(["group_a", "group_b"])[["group_a", "group_b"]].itertuples(index=False, name=None)) \
        == list(combinations(parts, 2))
    for (a, b), rows in d.groupby(["group_a", "group_b"], sort=False):
        for g, col in ((a, "index_a"), (b, "index_b")):
            alone = csindex.simple_scores(parts[g]).constructs.set_index("construct")["score"]
            np.testing.assert_allclose(rows[col].to_numpy(), alone.loc[rows["construct"]].to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(rows["difference"], rows["index_b"] - rows["index_a"], rtol=1e-12)


def test_weighted_difference_hand_computed():
    df = pd.DataFrame({"g": ["a", "a", "a", "b", "b", "b"], "SAT1": [1.0, 4, 10, 2, 5, 8],
                       "w": [1.0, 2.0, 1.0, 3.0, 1.0, 1.0]})
    cmp = compare_segments(df, "g", weights="w", scale=(1, 10), n_resamples=100, n_permutations=100, seed=1)
    row = cmp.differences.iloc[0]
    # a: (1*1 + 4*2 + 10*1)/4 = 4.75 -> 100*(3.75/9); b: (2*3 + 5 + 8)/5 = 3.8 -> 100*(2.8/9)
    assert row["index_a"] == pytest.approx(100 * 3.75 / 9, rel=1e-12)
    assert row["index_b"] == pytest.approx(100 * 2.8 / 9, rel=1e-12)
    assert row["difference"] == pytest.approx(100 * (2.8 - 3.75) / 9, rel=1e-12)
    assert cmp.settings["weighted"] is True


def test_permutation_p_value_matches_exact_enumeration():
    # 4 + 4 respondents: all 70 relabellings enumerated by hand give the exact p-value
    a, b = [3.0, 5.0, 4.0, 6.0], [7.0, 8.0, 6.0, 9.0]
    df = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 4, "SAT1": a + b})
    x = np.array(a + b)
    obs = np.mean(b) - np.mean(a)
    perm_d = [x[list(set(range(8)) - set(s))].mean() - x[list(s)].mean() for s in combinations(range(8), 4)]
    exact = np.mean(np.abs(perm_d) >= abs(obs) - 1e-9)
    cmp = compare_segments(df, "g", scale=(1, 10), n_resamples=100, n_permutations=20000, seed=3)
    p = cmp.differences.iloc[0]["p_value"]
    # Monte Carlo p with R = 20,000: SD about sqrt(p(1-p)/R) < 0.002
    assert p == pytest.approx(exact, abs=0.006)


def test_bootstrap_se_and_ci_against_normal_theory():
    df = _two_groups(400, 300, 0.5, seed=11)
    cmp = compare_segments(df, "g", scale=(1, 10), n_resamples=4000, n_permutations=500, seed=5)
    row = cmp.differences.iloc[0]
    xa = 100 * (df.loc[df.g == "a", "SAT1"] - 1) / 9
    xb = 100 * (df.loc[df.g == "b", "SAT1"] - 1) / 9
    se = np.sqrt(xa.var(ddof=1) / len(xa) + xb.var(ddof=1) / len(xb))
    # the bootstrap SE estimates the same quantity; with R = 4,000 its Monte Carlo error is ~1.1%
    assert row["std_error"] == pytest.approx(se, rel=0.06)
    assert row["ci_lower"] == pytest.approx(row["difference"] - 1.96 * se, abs=0.2 * se)
    assert row["ci_upper"] == pytest.approx(row["difference"] + 1.96 * se, abs=0.2 * se)
    welch = stats.ttest_ind(xb, xa, equal_var=False).pvalue
    assert row["p_value"] == pytest.approx(welch, abs=0.02)


def test_permutation_test_type_one_error_and_power():
    # 400 simulated pairs of groups (n = 40 + 40, 1-10 answers). Under no difference the
    # permutation test at alpha = 0.05 must reject in 2.5%-8% of runs (binomial SD 1.1%);
    # with a true shift of 1 scale point (d ~ 0.55) power must exceed 50%.
    n_sim, alpha = 400, 0.05
    rejected = {0.0: 0, 1.0: 0}
    for shift in rejected:
        for s in range(n_sim):
            df = _two_groups(40, 40, shift, seed=1000 + s)
            p = compare_segments(df, "g", scale=(1, 10), n_resamples=10, n_permutations=199,
                                 seed=s).differences.iloc[0]["p_value"]
            rejected[shift] += p < alpha
    assert 0.025 <= rejected[0.0] / n_sim <= 0.08
    assert rejected[1.0] / n_sim > 0.5


def test_comparison_reproducible_and_weights_travel():
    df = _two_groups(60, 50, 0.3, seed=2, weights=True)
    r1 = compare_segments(df, "g", weights="w", scale=(1, 10), n_resamples=300, n_permutations=300, seed=9)
    r2 = compare_segments(df, "g", weights="w", scale=(1, 10), n_resamples=300, n_permutations=300, seed=9)
    assert_frame_equal(r1.differences, r2.differences)
    r3 = compare_segments(df, "g", weights=False, scale=(1, 10), n_resamples=300, n_permutations=300, seed=9)
    assert r1.differences.iloc[0]["difference"] != r3.differences.iloc[0]["difference"]


def test_compare_segments_groups_and_errors(airline):
    cmp = compare_segments(airline, "route", groups=["regional", "domestic"], items=["SAT1", "SAT2"],
                           n_resamples=50, n_permutations=50, seed=0)
    assert set(cmp.differences["group_a"]) == {"regional"} and set(cmp.differences["group_b"]) == {"domestic"}
    np.testing.assert_array_equal(cmp.differences["p_value_holm"], cmp.differences["p_value"])
    with pytest.raises(SurveyDataError, match=r"Segment 'rgional' is not in the data.*Did you mean 'regional'"):
        compare_segments(airline, "route", groups=["rgional", "domestic"])
    with pytest.raises(ValueError, match="n_resamples"):
        compare_segments(airline, "route", n_resamples=5)


def test_holm_adjustment_hand_computed():
    from csindex.segments import _holm

    # p = (0.01, 0.04, 0.03): sorted 0.01*3 = 0.03, 0.03*2 = 0.06, max(0.06, 0.04*1) = 0.06
    np.testing.assert_allclose(_holm(np.array([0.01, 0.04, 0.03])), [0.03, 0.06, 0.06])


def test_compare_waves_detects_generator_shift(airline):
    # The generator (csindex/datasets/_generate.py) shifts wave-2 item means by WAVE2_SHIFT
    # raw points (PUNC +0.6, ENT +0.4, CATR -0.4 on the 1-10 scale = +6.7, +4.4, -4.4 index
    # points). Item offsets are redrawn per wave (block-mean noise SD ~1.6 points) and the
    # sampling SE of a difference is ~1.1, so the detected change must be within 3 points.
    from csindex.datasets._generate import WAVE2_SHIFT

    wave2 = csindex.datasets.airline_wave2()
    cmp = compare_waves(airline, wave2, n_resamples=500, n_permutations=500, seed=4)
    d = cmp.differences.set_index("construct")
    for block in ("PUNC", "ENT", "CATR"):
        designed = 100 * WAVE2_SHIFT[block] / 9
        assert np.sign(d.at[block, "difference"]) == np.sign(designed)
        assert d.at[block, "difference"] == pytest.approx(designed, abs=3.0)
        assert d.at[block, "p_value"] < 0.01
        assert d.at[block, "ci_lower"] < d.at[block, "difference"] < d.at[block, "ci_upper"]
    assert set(d["group_a"]) == {"wave 1"} and set(d["group_b"]) == {"wave 2"}


def test_compare_waves_missing_items_named():
    a = pd.DataFrame({"SAT1": [1.0, 5, 7], "SAT2": [3.0, 4, 5]})
    b = pd.DataFrame({"SAT1": [2.0, 6, 8]})
    with pytest.raises(SurveyDataError, match=r"Wave 'wave 2' lacks items 'SAT2'"):
        compare_waves(a, b, scale=(1, 10))
