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
    cmp = compare_segments(airline, "route", bootstrap=50, n_permutations=50, seed=0)
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
    cmp = compare_segments(df, "g", weights="w", scale=(1, 10), bootstrap=100, n_permutations=100, seed=1)
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
    cmp = compare_segments(df, "g", scale=(1, 10), bootstrap=100, n_permutations=20000, seed=3)
    p = cmp.differences.iloc[0]["p_value"]
    # Monte Carlo p with R = 20,000: SD about sqrt(p(1-p)/R) < 0.002
    assert p == pytest.approx(exact, abs=0.006)


def test_bootstrap_se_and_ci_against_normal_theory():
    df = _two_groups(400, 300, 0.5, seed=11)
    cmp = compare_segments(df, "g", scale=(1, 10), bootstrap=4000, n_permutations=500, seed=5)
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
    # 300 simulated pairs of groups (n = 40 + 40, 1-10 answers) with no difference: the
    # permutation test at alpha = 0.05 must reject in 2%-8.5% of runs (binomial SD 1.26%).
    # 100 pairs with a true shift of 1 scale point (d ~ 0.55): power must exceed 50%.
    alpha = 0.05

    def p_value(shift, s):
        return compare_segments(_two_groups(40, 40, shift, seed=1000 + s), "g", scale=(1, 10), bootstrap=10,
                                n_permutations=199, seed=s).differences.iloc[0]["p_value"]

    null = np.array([p_value(0.0, s) for s in range(300)])
    alt = np.array([p_value(1.0, s) for s in range(100)])
    assert 0.02 <= np.mean(null < alpha) <= 0.085
    assert np.mean(alt < alpha) > 0.5


def test_comparison_reproducible_and_weights_travel():
    df = _two_groups(60, 50, 0.3, seed=2, weights=True)
    r1 = compare_segments(df, "g", weights="w", scale=(1, 10), bootstrap=300, n_permutations=300, seed=9)
    r2 = compare_segments(df, "g", weights="w", scale=(1, 10), bootstrap=300, n_permutations=300, seed=9)
    assert_frame_equal(r1.differences, r2.differences)
    r3 = compare_segments(df, "g", weights=False, scale=(1, 10), bootstrap=300, n_permutations=300, seed=9)
    assert r1.differences.iloc[0]["difference"] != r3.differences.iloc[0]["difference"]


def test_compare_segments_groups_and_errors(airline):
    cmp = compare_segments(airline, "route", groups=["regional", "domestic"], items=["SAT1", "SAT2"],
                           bootstrap=50, n_permutations=50, seed=0)
    assert set(cmp.differences["group_a"]) == {"regional"} and set(cmp.differences["group_b"]) == {"domestic"}
    np.testing.assert_array_equal(cmp.differences["p_value_holm"], cmp.differences["p_value"])
    with pytest.raises(SurveyDataError, match=r"Segment 'rgional' is not in the data.*Did you mean 'regional'"):
        compare_segments(airline, "route", groups=["rgional", "domestic"])
    with pytest.raises(ValueError, match="bootstrap"):
        compare_segments(airline, "route", bootstrap=5)


def test_holm_adjustment_hand_computed(airline):
    # three segments -> three pairs per construct; Holm by hand: sort p, multiply the i-th smallest by
    # (m - i + 1), take the running maximum, cap at 1 (e.g. p = (0.01, 0.04, 0.03) -> (0.03, 0.06, 0.06))
    cmp = compare_segments(airline, "route", items=["SAT1", "SAT2"], bootstrap=50, n_permutations=50, seed=0)
    for _, g in cmp.differences.groupby("construct"):
        p = g["p_value"].to_numpy()
        m = len(p)
        assert m == 3
        order = np.argsort(p)
        expected = np.empty(m)
        expected[order] = np.minimum(np.maximum.accumulate((m - np.arange(m)) * p[order]), 1.0)
        np.testing.assert_allclose(g["p_value_holm"], expected)


def test_compare_waves_detects_generator_shift(airline):
    # The generator (csindex/datasets/_generate.py) shifts wave-2 item means by WAVE2_SHIFT
    # raw points (PUNC +0.6, ENT +0.4, CATR -0.4 on the 1-10 scale = +6.7, +4.4, -4.4 index
    # points). Item offsets are redrawn per wave (block-mean noise SD ~1.6 points) and the
    # sampling SE of a difference is ~1.1, so the detected change must be within 3 points.
    from csindex.datasets._generate import WAVE2_SHIFT

    wave2 = csindex.datasets.airline_wave2()
    cmp = compare_waves(airline, wave2, bootstrap=500, n_permutations=500, seed=4)
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


# --------------------------------------------------------------------------- PLS multi-group analysis
from csindex.exceptions import InferenceWarning  # noqa: E402
from csindex.segments import MGAResult, micom, pls_mga  # noqa: E402

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


def test_mga_group_paths_equal_fitting_each_group_alone():
    df = _mga_data(120, 0.3, 0.5, seed=1)
    res = pls_mga(df, MGA_MODEL, "g", n_permutations=100, seed=0)
    assert isinstance(res, MGAResult)
    for g, col in (("a", "path_a"), ("b", "path_b")):
        alone = csindex.fit_pls(df[df["g"] == g], MGA_MODEL).paths
        np.testing.assert_allclose(res.paths[col].to_numpy(), alone["estimate"].to_numpy(), rtol=0, atol=1e-10)
        assert_frame_equal(res.results[g].paths, alone)
    assert res.paths.loc[0, "difference"] == pytest.approx(res.paths.loc[0, "path_b"] - res.paths.loc[0, "path_a"])


def test_mga_results_do_not_depend_on_n_jobs_or_backend():
    df = _mga_data(80, 0.4, 0.4, seed=2)
    base = pls_mga(df, MGA_MODEL, "g", n_permutations=300, seed=5, chunk_size=100)
    with joblib.parallel_backend("threading", n_jobs=2):
        par = pls_mga(df, MGA_MODEL, "g", n_permutations=300, seed=5, chunk_size=100, n_jobs=2)
    assert_frame_equal(base.paths, par.paths)
    assert_frame_equal(base.micom.table, par.micom.table)
    other = pls_mga(df, MGA_MODEL, "g", n_permutations=300, seed=6, chunk_size=100)
    assert not np.array_equal(base.paths["p_value"], other.paths["p_value"])


def test_mga_type_one_error_and_power():
    # Type-I error: 300 simulated data sets with equal paths (0.4 in both groups of 75);
    # the permutation test at alpha = 0.05 (199 permutations each) must reject in 2%-8.5%
    # of them (binomial SD 1.26%). Power: 100 data sets with paths 0.2 vs 0.6 (groups of
    # 150) must be rejected in more than 75%.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        null = [pls_mga(_mga_data(75, 0.4, 0.4, 1000 + s), MGA_MODEL, "g", n_permutations=199, seed=s)
                .paths.loc[0, "p_value"] for s in range(300)]
        alt = [pls_mga(_mga_data(150, 0.2, 0.6, 5000 + s), MGA_MODEL, "g", n_permutations=199, seed=s)
               .paths.loc[0, "p_value"] for s in range(100)]
    assert 0.02 <= np.mean(np.array(null) < 0.05) <= 0.085
    assert np.mean(np.array(alt) < 0.05) > 0.75


def test_micom_detects_non_invariant_composite_and_warns():
    # group b forms Q differently: its q3 is reverse-keyed (loads -0.8), e.g. a recoding
    # error in one segment -> q3's weight changes sign and the composites differ
    df = _mga_data(250, 0.4, 0.4, seed=4, loadings_b=(0.8, 0.8, -0.8))
    with pytest.warns(InferenceWarning, match=r"Compositional invariance \(MICOM step 2\) is not established for "
                                              r"construct 'Q'"):
        res = pls_mga(df, MGA_MODEL, "g", n_permutations=300, seed=1)
    t = res.micom.table.set_index("construct")
    assert not t.at["Q", "compositional_invariance"] and t.at["Q", "invariance"] == "none"
    assert t.at["Q", "c"] < t.at["Q", "c_critical"] and t.at["Q", "c_p_value"] < 0.05
    assert t.at["S", "compositional_invariance"]


def test_micom_step3_detects_mean_shift():
    # all S items of group b shifted by +0.5 (about 0.5 SD): unequal composite means for S only
    df = _mga_data(200, 0.4, 0.4, seed=4, shift_b=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InferenceWarning)  # invariance holds: no warning
        m = micom(df, MGA_MODEL, "g", n_permutations=400, seed=2)
    t = m.table.set_index("construct")
    assert m.compositional_invariance
    assert not t.at["S", "equal_means"] and t.at["S", "mean_difference"] > 0 and t.at["S", "mean_p_value"] < 0.01
    assert t.at["S", "invariance"] == "partial"
    assert t.at["Q", "equal_means"]
    assert t.at["S", "mean_ci_lower"] < 0 < t.at["S", "mean_ci_upper"]


def test_mga_group_choice_and_errors():
    df = _mga_data(40, 0.4, 0.4, seed=5)
    df["g3"] = np.tile(["x", "y", "z", "z"], 20)
    with pytest.raises(SurveyDataError, match=r"compares two groups.*3 segments.*groups=\(a, b\)"):
        pls_mga(df, MGA_MODEL, "g3", n_permutations=50)
    res = pls_mga(df, MGA_MODEL, "g3", groups=("z", "x"), n_permutations=50, seed=0)
    assert res.micom.groups == ("z", "x") and res.settings["n_a"] == 40 and res.settings["n_b"] == 20
    with pytest.raises(SurveyDataError, match="Segment 'w' is not in the data"):
        pls_mga(df, MGA_MODEL, "g3", groups=("w", "x"))
    with pytest.raises(ValueError, match="n_permutations"):
        pls_mga(df, MGA_MODEL, "g", n_permutations=3)


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


# --------------------------------------------------------------------------- trend across waves
from csindex.exceptions import SpecError  # noqa: E402
from csindex.segments import TrendResult, trend  # noqa: E402


@pytest.fixture(scope="module")
def wave2():
    return csindex.datasets.airline_wave2()


def test_trend_simple_indices_and_changes(airline, wave2):
    from csindex.datasets._generate import WAVE2_SHIFT

    t = trend({"2024": airline, "2025": wave2}, bootstrap=400, n_permutations=400, seed=3)
    assert isinstance(t, TrendResult) and t.waves == ["2024", "2025"]
    tab = t.table
    assert list(tab.columns) == ["wave", "construct", "n", "index", "ci_lower", "ci_upper", "change",
                                 "change_ci_lower", "change_ci_upper", "p_value"]
    assert list(tab["wave"].cat.categories) == ["2024", "2025"] and tab["wave"].cat.ordered
    for label, data in (("2024", airline), ("2025", wave2)):
        alone = csindex.simple_scores(data).constructs.set_index("construct")
        rows = tab[tab["wave"] == label].set_index("construct")
        np.testing.assert_array_equal(rows["index"], alone.loc[rows.index, "score"])
        np.testing.assert_array_equal(rows["ci_lower"], alone.loc[rows.index, "ci_lower"])
    assert tab.loc[tab["wave"] == "2024", ["change", "p_value"]].isna().all().all()
    w1 = tab[tab["wave"] == "2024"].set_index("construct")
    w2 = tab[tab["wave"] == "2025"].set_index("construct")
    np.testing.assert_allclose(w2["change"], w2["index"] - w1["index"], atol=1e-9)
    # designed shifts of the generator (see test_compare_waves_detects_generator_shift)
    for block in ("PUNC", "ENT", "CATR"):
        assert w2.at[block, "change"] == pytest.approx(100 * WAVE2_SHIFT[block] / 9, abs=3.0)
        assert w2.at[block, "p_value"] < 0.01
    assert len(t.changes(alpha=0.01)) >= 3


def test_trend_three_waves_changes_chain(airline, wave2):
    t = trend({"w1": airline, "w2": wave2, "w3": airline}, items=["SAT1", "SAT2", "SAT3"], bootstrap=200,
              n_permutations=200, seed=1)
    tab = t.table.set_index(["wave", "construct"])
    assert tab.loc[("w3", "SAT"), "change"] == pytest.approx(-tab.loc[("w2", "SAT"), "change"], abs=1e-9)
    assert tab.loc[("w3", "SAT"), "index"] == tab.loc[("w1", "SAT"), "index"]


def test_trend_pls_matches_fit_pls_and_detects_shift(airline, wave2):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = trend({"W1": airline, "W2": wave2}, method="pls", model="ccsi", bootstrap=100, n_permutations=300,
                  seed=2)
        spec = csindex.models.ccsi(airline)
        scale = {i: airline.scale(i) for i in spec.items}
        alone = {w: csindex.fit_pls(d, spec, bootstrap=100, seed=2, scale=scale).index.set_index("construct")
                 for w, d in (("W1", airline), ("W2", wave2))}
    tab = t.table
    for w in ("W1", "W2"):
        rows = tab[tab["wave"] == w].set_index("construct")
        np.testing.assert_array_equal(rows["index"], alone[w].loc[rows.index, "index"])
        np.testing.assert_array_equal(rows["ci_upper"], alone[w].loc[rows.index, "ci_upper"])
    w2 = tab[tab["wave"] == "W2"].set_index("construct")
    np.testing.assert_allclose(w2["change"], w2["index"] - tab[tab["wave"] == "W1"].set_index("construct")["index"],
                               atol=1e-12)
    # the batched permutation engine's observed index difference equals that of the two fits
    def stacked(survey, wave):
        part = survey.responses[list(spec.items)].reset_index(drop=True)
        w = np.ones(len(part)) if survey.weights is None else survey.weights.to_numpy(dtype=float)
        return part.assign(__wave__=wave, __weight__=w)

    pooled = pd.concat([stacked(airline, 0), stacked(wave2, 1)], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = pls_mga(pooled, spec, "__wave__", groups=(0, 1), n_permutations=20, seed=0, weights="__weight__",
                      min_size=2, scale=scale)
    engine = out.index.set_index("construct")["difference"]
    np.testing.assert_allclose(engine.loc[w2.index], w2["change"], atol=1e-8)
    assert ((w2["p_value"] > 0) & (w2["p_value"] <= 1)).all()
    # generator: SAT items +0.2 and LOY items +0.1 scale points in wave 2 (2.2 and 1.1 index points,
    # block-offset noise SD ~1.6 points) -> positive changes of about that size
    from csindex.datasets._generate import WAVE2_SHIFT

    assert w2.at["SAT", "change"] == pytest.approx(100 * WAVE2_SHIFT["SAT"] / 9, abs=3.0)
    assert w2.at["LOY", "change"] == pytest.approx(100 * WAVE2_SHIFT["LOY"] / 9, abs=3.0)
    assert w2.at["SAT", "change"] > 0 and w2.at["LOY", "change"] > 0
    assert (w2["change_ci_lower"] < w2["change"]).all() and (w2["change"] < w2["change_ci_upper"]).all()


def test_trend_plot_uses_trend_chart(airline, wave2):
    import matplotlib.pyplot as plt

    t = trend({"2024": airline, "2025": wave2}, items=["SAT1", "SAT2", "PUNC1"], bootstrap=50,
              n_permutations=50, seed=0)
    d = t.plot(["SAT", "PUNC"])
    assert sorted(d.lines_) == ["PUNC", "SAT"] and d.waves == ["2024", "2025"]
    assert len(d.bands_) == 2
    plt.close(d.figure_)
    with pytest.raises(SurveyDataError, match="'SATT' is not in the trend table"):
        t.plot(["SATT"])


def test_trend_errors(airline):
    with pytest.raises(SurveyDataError, match="needs a mapping"):
        trend([airline])
    with pytest.raises(SpecError, match="needs model="):
        trend({"a": airline}, method="pls")
    with pytest.raises(ValueError, match="'method' parameter of trend"):
        trend({"a": airline}, method="PLS-SEM")


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


@pytest.mark.parametrize("standardize", [True, False])
def test_mga_weighted_and_raw_match_fit_pls_alone(standardize):
    df = _mga_data(100, 0.3, 0.6, seed=8)
    df["w"] = np.random.default_rng(1).uniform(0.2, 3.0, len(df))
    res = pls_mga(df, MGA_MODEL, "g", weights="w", standardize=standardize, n_permutations=50, seed=0)
    for g, col in (("a", "path_a"), ("b", "path_b")):
        alone = csindex.fit_pls(df[df["g"] == g], MGA_MODEL, weights="w", standardize=standardize).paths
        np.testing.assert_allclose(res.paths[col].to_numpy(), alone["estimate"].to_numpy(), rtol=0, atol=1e-10)
    unweighted = pls_mga(df, MGA_MODEL, "g", standardize=standardize, n_permutations=50, seed=0)
    assert abs(unweighted.paths.loc[0, "path_a"] - res.paths.loc[0, "path_a"]) > 1e-4


def test_swapping_groups_negates_differences(airline):
    ab = compare_segments(airline, "gender", groups=["female", "male"], bootstrap=50, n_permutations=50, seed=1)
    ba = compare_segments(airline, "gender", groups=["male", "female"], bootstrap=50, n_permutations=50, seed=1)
    np.testing.assert_allclose(ab.differences["difference"], -ba.differences["difference"], atol=1e-12)
    np.testing.assert_array_equal(ab.differences["index_a"], ba.differences["index_b"])
    df = _mga_data(80, 0.3, 0.5, seed=9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)  # MICOM verdicts are not what this test checks
        m_ab = pls_mga(df, MGA_MODEL, "g", groups=("a", "b"), n_permutations=50, seed=0)
        m_ba = pls_mga(df, MGA_MODEL, "g", groups=("b", "a"), n_permutations=50, seed=0)
    np.testing.assert_allclose(m_ab.paths["difference"], -m_ba.paths["difference"], atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(scale=st.floats(0.1, 10.0), shift=st.floats(-5.0, 5.0))
def test_mga_invariant_to_affine_item_rescaling(scale, shift):
    # standardised PLS: rescaling an item (x -> a x + b, a > 0) changes no estimate or p-value
    df = _mga_data(60, 0.3, 0.5, seed=10)
    base = pls_mga(df, MGA_MODEL, "g", n_permutations=60, seed=2)
    df2 = df.assign(q1=df["q1"] * scale + shift, s2=df["s2"] * scale - shift)
    moved = pls_mga(df2, MGA_MODEL, "g", n_permutations=60, seed=2)
    np.testing.assert_allclose(moved.paths["difference"], base.paths["difference"], atol=1e-9)
    np.testing.assert_array_equal(moved.paths["p_value"], base.paths["p_value"])
    np.testing.assert_allclose(moved.micom.table["c"], base.micom.table["c"], atol=1e-9)


def test_waves_with_different_inferred_scales_raise():
    a = pd.DataFrame({"SAT1": [1.0, 5, 10, 7], "SAT2": [2.0, 4, 10, 6]})
    b = pd.DataFrame({"SAT1": [2.0, 3, 4, 3], "SAT2": [3.0, 2, 4, 5]})  # answers 2-5: inferred 1-5
    with pytest.raises(SurveyDataError, match=r"Item 'SAT1' has the scale 1-5 in wave 'wave 2' but 1-10"):
        compare_waves(a, b)
    ok = compare_waves(a, b, scale=(1, 10), bootstrap=20, n_permutations=20, seed=0)
    # hand-computed: SAT composite a = mean of (x-1)/9*100 over both items
    ia = np.mean((np.c_[a["SAT1"], a["SAT2"]] - 1) / 9 * 100)
    assert ok.differences.iloc[0]["index_a"] == pytest.approx(ia, rel=1e-12)


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


def test_mga_index_differences_match_group_fits():
    df = _mga_data(150, 0.4, 0.4, seed=4, shift_b=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        res = pls_mga(df, MGA_MODEL, "g", n_permutations=300, seed=3, scale=(-4, 4))
    idx = res.index.set_index("construct")
    for g, col in (("a", "index_a"), ("b", "index_b")):
        alone = csindex.fit_pls(df[df["g"] == g], MGA_MODEL, scale=(-4, 4)).index.set_index("construct")["index"]
        np.testing.assert_allclose(idx[col], alone.loc[idx.index], atol=1e-9)
        assert_frame_equal(res.results[g].index, csindex.fit_pls(df[df["g"] == g], MGA_MODEL, scale=(-4, 4)).index)
    # S items of group b are 0.5 higher (0.5 / 8 * 100 = 6.25 index points): detected; Q unchanged
    assert idx.at["S", "difference"] == pytest.approx(6.25, abs=2.0) and idx.at["S", "p_value"] < 0.01
    assert idx.at["Q", "p_value"] > 0.01


def _blas_threads(df):
    from threadpoolctl import threadpool_info

    return max([i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] or [1])


def test_segments_run_with_single_threaded_blas():
    pytest.importorskip("threadpoolctl")
    assert set(map_segments(_blas_threads, _frame(), "region").values()) == {1}
    assert set(map_segments(_blas_threads, _frame(), "region", n_jobs=2).values()) == {1}
