"""Index comparisons (csindex.comparisons): one kernel, one sign convention (difference = b - a).

compare_indices's tests moved here from test_kpi.py (the function moved from csindex.kpi);
compare_segments, compare_waves and trend (moved from test_segments.py) are imported through the
public facade csindex.segments, which must keep working.
"""

from __future__ import annotations

import math
import warnings
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal
from scipy import stats

import csindex
from csindex.comparisons import compare_indices
from csindex.exceptions import ParameterError, SpecError, SurveyDataError
from csindex.segments import (SegmentComparisonResult, TrendResult, compare_segments, compare_waves, pls_mga,
                              split_segments, trend)

Z95 = 1.959963984540054  # standard normal 97.5% quantile


@pytest.fixture(scope="module")
def airline():
    return csindex.datasets.airline()


# --------------------------------------------------------------------------- one sign convention
def _far_apart_groups():
    rng = np.random.default_rng(3)
    a = np.clip(rng.normal(75, 10, 120), 0, 100).round()
    b = np.clip(rng.normal(33, 10, 80), 0, 100).round()
    return a, b, pd.DataFrame({"SAT1": np.r_[a, b], "group": ["first"] * 120 + ["second"] * 80})


def test_compare_indices_and_compare_segments_give_the_same_sign():
    # one item on a 0-100 scale: the simple-method index is its mean, so both functions estimate the
    # same difference; both must report second - first (b - a), here about 33 - 75 = -42
    a, b, df = _far_apart_groups()
    by_values = compare_indices(a, b, bootstrap=200, seed=1)
    by_segments = compare_segments(df, "group", items=["SAT1"], scale=(0, 100), bootstrap=200,
                                   n_permutations=200, seed=1).differences
    row = by_segments[by_segments["construct"] == "overall"].iloc[0]
    assert (row["group_a"], row["group_b"]) == ("first", "second")
    assert by_values.difference == pytest.approx(b.mean() - a.mean())
    assert row["difference"] == pytest.approx(by_values.difference)
    assert by_values.difference < -30 and row["difference"] < -30
    assert row["index_a"] == pytest.approx(by_values.estimate_a)


def test_compare_waves_change_is_later_minus_earlier():
    a, b, _ = _far_apart_groups()
    wa = pd.DataFrame({"SAT1": a})
    wb = pd.DataFrame({"SAT1": b})
    res = compare_waves(wa, wb, items=["SAT1"], scale=(0, 100), bootstrap=100, n_permutations=100, seed=0)
    assert res.differences["difference"].iloc[0] == pytest.approx(b.mean() - a.mean())
    assert compare_indices(a, b, bootstrap=100, seed=0).difference == pytest.approx(b.mean() - a.mean())


# --------------------------------------------------------------------------- bootstrap= everywhere
def test_old_n_resamples_name_warns_and_still_works():
    a, b, df = _far_apart_groups()
    with pytest.warns(FutureWarning, match="'n_resamples' parameter of compare_indices is renamed 'bootstrap'"):
        old = compare_indices(a, b, n_resamples=50, seed=2)
    assert old.settings["bootstrap"] == 50
    assert old.ci == compare_indices(a, b, bootstrap=50, seed=2).ci
    with pytest.warns(FutureWarning, match="renamed 'bootstrap'"):
        cmp = compare_segments(df, "group", items=["SAT1"], scale=(0, 100), n_resamples=50, n_permutations=50,
                               seed=2)
    assert cmp.settings["bootstrap"] == 50
    with pytest.warns(FutureWarning, match="renamed 'bootstrap'"):
        csindex.nps([10, 9, 3, 7], method="bootstrap", n_resamples=50, seed=1)
    with pytest.raises(ParameterError, match="both 'n_resamples' and 'bootstrap'"):
        compare_indices(a, b, n_resamples=50, bootstrap=50)


def test_trend_has_one_resample_option():
    air, w2 = csindex.datasets.airline(), csindex.datasets.airline_wave2()
    t = trend({"1": air, "2": w2}, items=["SAT1", "SAT2"], bootstrap=60, n_permutations=60, seed=0)
    assert t.settings["bootstrap"] == 60 and "n_resamples" not in t.settings
    with pytest.warns(FutureWarning, match="renamed 'bootstrap'"):
        old = trend({"1": air, "2": w2}, items=["SAT1", "SAT2"], n_resamples=60, n_permutations=60, seed=0)
    pd.testing.assert_frame_equal(old.table, t.table)


def test_bad_options_are_parameter_errors():
    a, b, df = _far_apart_groups()
    for call in (lambda: compare_indices(a, b, confidence=1.0),
                 lambda: compare_indices(a, b, method="perm"),
                 lambda: compare_segments(df, "group", bootstrap=5),
                 lambda: compare_segments(df, "group", groups=["first"]),
                 lambda: compare_waves(df, df, labels=("x", "x"))):
        with pytest.raises(ParameterError):
            call()


# --------------------------------------------------------------------------- compare_indices (moved from csindex.kpi)


def test_compare_indices_exact_permutation_p_value():
    a, b = [80, 75, 90, 85, 70], [60, 65, 70, 55, 62]
    res = compare_indices(a, b, method="permutation", bootstrap=20000, seed=5)
    assert res.estimate_a == 80.0 and res.estimate_b == pytest.approx(62.4)
    assert res.difference == pytest.approx(-17.6)  # b - a
    # of the C(10,5) = 252 equally likely splits, 4 reach |d| >= 17.6 (the two 70s swap)
    assert res.p_value == pytest.approx(4 / 252, abs=0.004)
    # normal CI from sd_a^2/n_a + sd_b^2/n_b
    se = math.sqrt(np.var(a, ddof=1) / 5 + np.var(b, ddof=1) / 5)
    assert res.std_error == pytest.approx(se)
    assert res.ci == pytest.approx((-17.6 - Z95 * se, -17.6 + Z95 * se))


def test_compare_indices_nps_and_weights():
    res = compare_indices([10, 10, 10, 0], [10, 0, 0, 0], statistic="nps", bootstrap=200, seed=1)
    assert res.estimate_a == pytest.approx(50.0) and res.estimate_b == pytest.approx(-50.0)
    assert res.difference == pytest.approx(-100.0)
    w = compare_indices([100, 0], [50, 50], weights_a=[3, 1], bootstrap=100, seed=1)
    assert w.estimate_a == pytest.approx(75.0) and w.difference == pytest.approx(-25.0)


def test_compare_indices_bootstrap_reproducible_and_se():
    rng = np.random.default_rng(0)
    a, b = rng.normal(70, 10, 300), rng.normal(68, 10, 200)
    r1 = compare_indices(a, b, bootstrap=2000, seed=42)
    r2 = compare_indices(a, b, bootstrap=2000, seed=42)
    assert (r1.ci, r1.p_value) == (r2.ci, r2.p_value)
    assert r1.ci_lower < r1.difference < r1.ci_upper
    analytic = math.sqrt(a.var(ddof=1) / 300 + b.var(ddof=1) / 200)
    assert r1.std_error == pytest.approx(analytic, rel=0.1)
    same_w = compare_indices(a, b, weights_a=np.full(300, 2.0), weights_b=np.ones(200), bootstrap=2000, seed=42)
    assert same_w.difference == pytest.approx(r1.difference)
    assert "Index comparison" in str(r1.summary())


def test_compare_indices_errors():
    with pytest.raises(SurveyDataError, match="Group 'b' has no valid values"):
        compare_indices([1, 2], [np.nan])
    with pytest.raises(ValueError, match="bootstrap"):
        compare_indices([1, 2], [3, 4], bootstrap=5)
    with pytest.raises(SurveyDataError, match="outside the NPS scale"):
        compare_indices([11], [5], statistic="nps", bootstrap=10)


def _rejection_rate(shift: float, n_sims: int, n: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    rejected = 0
    for _ in range(n_sims):  # independent simulated studies
        a = rng.normal(60, 15, n)
        b = rng.normal(60 - shift, 15, n)
        res = compare_indices(a, b, method="permutation", bootstrap=199, seed=rng)
        rejected += res.p_value <= 0.05
    return rejected / n_sims


def test_permutation_type_one_error_near_five_percent():
    # 400 simulations under H0 (same distribution, n = 15 per group, R = 199 permutations).
    # The Monte-Carlo SE of a true 5% rate is sqrt(.05 * .95 / 400) = 1.09 points; accept
    # 5% +- 3 SE, i.e. [1.73%, 8.27%].
    rate = _rejection_rate(0.0, 400, 15, seed=2024)
    tol = 3 * math.sqrt(0.05 * 0.95 / 400)
    assert abs(rate - 0.05) <= tol, rate


def test_permutation_power_with_true_difference():
    # a true difference of 1.5 SD with n = 15 per group has power ~0.99 at the 5% level
    assert _rejection_rate(22.5, 100, 15, seed=7) >= 0.9


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0, 100), min_size=2, max_size=20),
    st.lists(st.floats(0, 100), min_size=2, max_size=20),
    st.sampled_from(["bootstrap", "permutation"]),
)
def test_compare_indices_property(a, b, method):
    res = compare_indices(a, b, method=method, bootstrap=50, seed=0)
    assert res.difference == pytest.approx(np.mean(b) - np.mean(a), abs=1e-9)
    assert 0.0 < res.p_value <= 1.0
    assert res.ci_lower <= res.ci_upper


# --------------------------------------------------------------------------- index comparisons


def _two_groups(n_a, n_b, shift, seed, weights=False):
    rng = np.random.default_rng(seed)
    x = np.clip(np.rint(np.concatenate([rng.normal(6.0, 1.8, n_a), rng.normal(6.0 + shift, 1.8, n_b)])), 1, 10)
    df = pd.DataFrame({"g": ["a"] * n_a + ["b"] * n_b, "SAT1": x})
    if weights:
        df["w"] = rng.uniform(0.3, 3.0, n_a + n_b)
    return df


def test_comparison_indices_equal_simple_scores_per_segment(airline):
    cmp = compare_segments(airline, "route", bootstrap=50, n_permutations=50, seed=0)
    assert isinstance(cmp, SegmentComparisonResult)
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
    # The generator shifts wave-2 item means by airline_truth()['wave2_shift']
    # raw points (PUNC +0.6, ENT +0.4, CATR -0.4 on the 1-10 scale = +6.7, +4.4, -4.4 index
    # points). Item offsets are redrawn per wave (block-mean noise SD ~1.6 points) and the
    # sampling SE of a difference is ~1.1, so the detected change must be within 3 points.
    shift = csindex.datasets.airline_truth()["wave2_shift"]

    wave2 = csindex.datasets.airline_wave2()
    cmp = compare_waves(airline, wave2, bootstrap=500, n_permutations=500, seed=4)
    d = cmp.differences.set_index("construct")
    for block in ("PUNC", "ENT", "CATR"):
        designed = 100 * shift[block] / 9
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


# --------------------------------------------------------------------------- trend across waves


@pytest.fixture(scope="module")
def wave2():
    return csindex.datasets.airline_wave2()


def test_trend_simple_indices_and_changes(airline, wave2):
    shift = csindex.datasets.airline_truth()["wave2_shift"]

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
        assert w2.at[block, "change"] == pytest.approx(100 * shift[block] / 9, abs=3.0)
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
    engine = out.index_differences.set_index("construct")["difference"]
    np.testing.assert_allclose(engine.loc[w2.index], w2["change"], atol=1e-8)
    assert ((w2["p_value"] > 0) & (w2["p_value"] <= 1)).all()
    # generator: SAT items +0.2 and LOY items +0.1 scale points in wave 2 (2.2 and 1.1 index points,
    # block-offset noise SD ~1.6 points) -> positive changes of about that size
    shift = csindex.datasets.airline_truth()["wave2_shift"]

    assert w2.at["SAT", "change"] == pytest.approx(100 * shift["SAT"] / 9, abs=3.0)
    assert w2.at["LOY", "change"] == pytest.approx(100 * shift["LOY"] / 9, abs=3.0)
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


def test_waves_with_different_inferred_scales_raise():
    a = pd.DataFrame({"SAT1": [1.0, 5, 10, 7], "SAT2": [2.0, 4, 10, 6]})
    b = pd.DataFrame({"SAT1": [2.0, 3, 4, 3], "SAT2": [3.0, 2, 4, 5]})  # answers 2-5: inferred 1-5
    with pytest.raises(SurveyDataError, match=r"Item 'SAT1' has the scale 1-5 in wave 'wave 2' but 1-10"):
        compare_waves(a, b)
    ok = compare_waves(a, b, scale=(1, 10), bootstrap=20, n_permutations=20, seed=0)
    # hand-computed: SAT composite a = mean of (x-1)/9*100 over both items
    ia = np.mean((np.c_[a["SAT1"], a["SAT2"]] - 1) / 9 * 100)
    assert ok.differences.iloc[0]["index_a"] == pytest.approx(ia, rel=1e-12)


# --------------------------------------------------------------------------- layers
def test_lower_layers_do_not_load_the_comparisons_or_the_facade():
    import subprocess
    import sys

    code = ("import sys, csindex._segmenting, csindex.scoring.simple, csindex.scoring.dual, csindex.kpi, csindex.pls; "
            "print(sorted(m for m in sys.modules if m in ('csindex.comparisons', 'csindex.segments', "
            "'csindex.pls.mga', 'csindex.sem', 'csindex.report')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_function_level_imports_dodge_a_cycle():
    # in the modules of this split, only heavy or optional dependencies are imported inside functions
    import ast
    import pathlib

    src = pathlib.Path(csindex.__file__).parent
    files = [src / "_segmenting.py", src / "_resampling.py", src / "comparisons.py", src / "segments.py",
             src / "pls" / "mga.py", src / "pls" / "segments.py", *sorted((src / "kpi").glob("*.py")),
             *sorted((src / "scoring").glob("*.py"))]
    lazy_ok = ("plots", "statsmodels", "tqdm", "matplotlib", "importlib")
    found = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        funcs = [f for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for node in (n for f in funcs for n in ast.walk(f)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                name = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                if not (name or "").startswith(lazy_ok):
                    found.append(f"{path.name}:{node.lineno} {name}")
    assert found == []


def test_old_comparison_class_name_warns():
    import csindex.comparisons as comparisons
    import csindex.segments as segments

    for module in (comparisons, segments):
        with pytest.warns(FutureWarning, match="SegmentComparisonResult"):
            assert module.IndexComparison is SegmentComparisonResult
