"""Index comparisons (csindex.comparisons): one kernel, one sign convention (difference = b - a).

compare_indices's tests moved here from test_kpi.py (the function moved from csindex.kpi);
compare_segments, compare_waves and trend are tested in test_segments.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import csindex
from csindex.comparisons import compare_indices, compare_segments, compare_waves, trend
from csindex.exceptions import ParameterError, SurveyDataError

Z95 = 1.959963984540054  # standard normal 97.5% quantile


# --------------------------------------------------------------------------- one sign convention
def _two_groups():
    rng = np.random.default_rng(3)
    a = np.clip(rng.normal(75, 10, 120), 0, 100).round()
    b = np.clip(rng.normal(33, 10, 80), 0, 100).round()
    return a, b, pd.DataFrame({"SAT1": np.r_[a, b], "group": ["first"] * 120 + ["second"] * 80})


def test_compare_indices_and_compare_segments_give_the_same_sign():
    # one item on a 0-100 scale: the simple-method index is its mean, so both functions estimate the
    # same difference; both must report second - first (b - a), here about 33 - 75 = -42
    a, b, df = _two_groups()
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
    a, b, _ = _two_groups()
    wa = pd.DataFrame({"SAT1": a})
    wb = pd.DataFrame({"SAT1": b})
    res = compare_waves(wa, wb, items=["SAT1"], scale=(0, 100), bootstrap=100, n_permutations=100, seed=0)
    assert res.differences["difference"].iloc[0] == pytest.approx(b.mean() - a.mean())
    assert compare_indices(a, b, bootstrap=100, seed=0).difference == pytest.approx(b.mean() - a.mean())


# --------------------------------------------------------------------------- bootstrap= everywhere
def test_old_n_resamples_name_warns_and_still_works():
    a, b, df = _two_groups()
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
    a, b, df = _two_groups()
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
