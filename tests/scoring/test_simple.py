"""Simple method and satisfaction rate against hand-computed numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import csindex
from csindex.exceptions import ParameterError, SurveyDataError
from csindex.scoring.simple import from_frequencies, satisfaction_rate, simple_scores

T_975_3 = 3.182446305284263  # t quantile, 3 df (tables)
Z_975 = 1.959963984540054


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame({"SAT1": [1, 3, 5, 5], "SAT2": [2, 4, 4, 5]})


def test_item_rows_by_hand(df):
    res = simple_scores(df, scale=(1, 5))
    row = res.items.set_index("item").loc["SAT1"]
    # mean 3.5; deviations -2.5 -.5 1.5 1.5 -> SS 11, s^2 = 11/3; se = s/2
    se = math.sqrt(11 / 3) / 2
    assert row["n"] == 4
    assert row["mean"] == pytest.approx(3.5)
    assert row["std"] == pytest.approx(math.sqrt(11 / 3))
    assert row["top2_share"] == pytest.approx(0.5)
    assert row["score"] == pytest.approx(62.5)
    assert row["std_error"] == pytest.approx(100 * se / 4)
    assert row["ci_lower"] == pytest.approx(100 * (3.5 - T_975_3 * se - 1) / 4)
    assert row["ci_upper"] == pytest.approx(100 * (3.5 + T_975_3 * se - 1) / 4)
    assert res.items.set_index("item").loc["SAT2", "top2_share"] == pytest.approx(0.75)


def test_construct_and_overall_rows_by_hand(df):
    res = simple_scores(df, scale=(1, 5))
    c = res.constructs.set_index("construct")
    assert list(c.index) == ["SAT", "overall"]
    # respondent composites (0-100): (0+25)/2, (50+75)/2, (100+75)/2, (100+100)/2
    comp = np.array([12.5, 62.5, 87.5, 100.0])
    se = comp.std(ddof=1) / 2
    assert c.loc["SAT", "score"] == pytest.approx(65.625)
    assert c.loc["SAT", "mean"] == pytest.approx(3.625)
    assert c.loc["SAT", "top2_share"] == pytest.approx((0 + 0.5 + 1 + 1) / 4)
    assert c.loc["SAT", "ci_lower"] == pytest.approx(65.625 - T_975_3 * se)
    assert c.loc["SAT", "n_items"] == 2
    assert c.loc["overall", "score"] == pytest.approx(65.625)
    assert list(res.constructs.columns) == ["construct", "n_items", "n", "mean", "top2_share", "score", "std_error",
                                            "ci_lower", "ci_upper", "scale_min", "scale_max"]


def test_missing_answers_use_answered_items_only():
    d = pd.DataFrame({"A1": [1, np.nan, 5], "A2": [3, 5, np.nan]})
    res = simple_scores(d, scale=(1, 5))
    # composites: (0+50)/2=25, 100, 100
    assert res.constructs.set_index("construct").loc["A", "score"] == pytest.approx(75.0)
    assert res.items.set_index("item").loc["A1", "n"] == 2


def test_weighted_mean_and_kish_interval():
    d = pd.DataFrame({"Q1": [1, 3, 5, 5]})
    w = np.array([1.0, 1.0, 2.0, 4.0])
    res = simple_scores(d, weights=w, scale=(1, 5))
    row = res.items.iloc[0]
    mean = (1 + 3 + 10 + 20) / 8
    n_eff = 8**2 / (1 + 1 + 4 + 16)
    var = (3.25**2 + 1.25**2 + 2 * 0.75**2 + 4 * 0.75**2) / 8 * n_eff / (n_eff - 1)
    assert row["mean"] == pytest.approx(4.25) == pytest.approx(mean)
    assert row["std_error"] == pytest.approx(100 * math.sqrt(var / n_eff) / 4)
    assert row["top2_share"] == pytest.approx(6 / 8)
    assert res.settings["weighted"] is True


def test_airline_default_items_and_weights():
    s = csindex.datasets.airline()
    res = simple_scores(s)
    assert not any(i.startswith(("EXP_", "IMP_")) for i in res.items["item"])
    assert "NPS" in set(res.items["item"]) and res.settings["weighted"] is True
    unweighted = simple_scores(s, weights=False)
    sat1 = unweighted.items.set_index("item").loc["SAT1"]
    assert sat1["mean"] == pytest.approx(s.responses["SAT1"].mean())
    assert sat1["n"] == s.responses["SAT1"].notna().sum()
    by_col = simple_scores(s, weights="weight")
    pd.testing.assert_frame_equal(by_col.items, res.items)
    one = simple_scores(s, ["SAT1", "SAT2"], by_construct=False)
    assert one.constructs["construct"].tolist() == ["all", "overall"]


def test_input_frame_unchanged(df):
    before = df.copy()
    simple_scores(df, scale=(1, 5))
    satisfaction_rate(df, scale=(1, 5))
    pd.testing.assert_frame_equal(df, before)


def test_bad_inputs():
    with pytest.raises(SurveyDataError, match="no valid answers"):
        simple_scores(pd.DataFrame({"A1": [np.nan, np.nan], "A2": [1.0, 2.0]}), scale=(1, 5))
    with pytest.raises(SurveyDataError, match="'SAT9'"):
        simple_scores(csindex.datasets.airline(), ["SAT9"])
    with pytest.raises(SurveyDataError, match="weights passed to simple_scores.. have 1 negative"):
        simple_scores(pd.DataFrame({"A1": [1, 2]}), weights=[1, -1], scale=(1, 5))
    with pytest.raises(SurveyDataError, match="3 entries but there are 2 respondents"):
        simple_scores(pd.DataFrame({"A1": [1, 2]}), weights=[1, 1, 1], scale=(1, 5))
    with pytest.raises(ParameterError, match="'confidence' parameter of simple_scores"):
        simple_scores(pd.DataFrame({"A1": [1, 2]}), confidence=95)
    with pytest.raises(ParameterError, match="'confidence' parameter of satisfaction_rate"):
        satisfaction_rate(pd.DataFrame({"A1": [1, 2]}), confidence=1.0, scale=(1, 5))


def test_frequency_table_matches_raw_answers():
    ft = from_frequencies(pd.DataFrame({1: [1, 0], 2: [0, 1], 3: [1, 0], 4: [0, 2], 5: [2, 1]},
                                       index=["SAT1", "SAT2"]), scale=(1, 5))
    a = simple_scores(ft)
    b = simple_scores(pd.DataFrame({"SAT1": [1, 3, 5, 5], "SAT2": [2, 4, 4, 5]}), scale=(1, 5))
    cols = ["item", "n", "mean", "std", "top2_share", "score", "std_error", "ci_lower", "ci_upper"]
    pd.testing.assert_frame_equal(a.items[cols], b.items[cols])
    pooled = a.constructs.set_index("construct").loc["SAT"]
    assert pooled["n"] == 8 and pooled["mean"] == pytest.approx((1 + 3 + 5 + 5 + 2 + 4 + 4 + 5) / 8)
    rate = satisfaction_rate(ft).items.set_index("item")
    assert rate.loc["SAT1", "rate"] == pytest.approx(0.5) and rate.loc["SAT2", "n_satisfied"] == 3


def test_frequency_table_errors():
    with pytest.raises(SurveyDataError, match="negative"):
        from_frequencies({"Q1": {1: 2, 2: -1}})
    with pytest.raises(SurveyDataError, match="outside the scale"):
        from_frequencies({"Q1": {1: 2, 99: 1}}, scale=(1, 5))
    with pytest.raises(SurveyDataError, match="scale points"):
        from_frequencies(pd.DataFrame({"low": [1], "high": [2]}, index=["Q1"]))


def test_satisfaction_rate_wilson_by_hand():
    d = pd.DataFrame({"SAT1": [1, 4, 5, 5, 3]})
    row = satisfaction_rate(d, scale=(1, 5)).items.iloc[0]
    p, n, z2 = 0.6, 5, Z_975**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_975 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    assert (row["n"], row["n_satisfied"], row["rate"]) == (5, 3, pytest.approx(0.6))
    assert row["ci_lower"] == pytest.approx(centre - half)
    assert row["ci_upper"] == pytest.approx(centre + half)
    codes = satisfaction_rate(d, satisfied=[5], scale=(1, 5)).items.iloc[0]
    assert codes["rate"] == pytest.approx(0.4)


def test_satisfaction_rate_needs_threshold_off_1_to_5():
    s = csindex.datasets.airline()
    with pytest.raises(SurveyDataError, match=r"'SAT1' is on a 1-10 scale.*threshold="):
        satisfaction_rate(s)
    res = satisfaction_rate(s, threshold=8, weights=False)
    sat1 = res.items.set_index("item").loc["SAT1"]
    x = s.responses["SAT1"].dropna()
    assert sat1["rate"] == pytest.approx((x >= 8).mean())
    assert res.items["item"].tolist() == ["SAT1", "SAT2", "SAT3"]
    with pytest.raises(ValueError, match="both satisfied= and threshold="):
        satisfaction_rate(s, threshold=8, satisfied=[9, 10])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(1, 7), min_size=2, max_size=2), min_size=2, max_size=30))
def test_scores_stay_on_0_100(rows):
    d = pd.DataFrame(rows, columns=["A1", "A2"])
    res = simple_scores(d, scale=(1, 7), weights=False)
    for table in (res.items, res.constructs):
        assert table["score"].between(0, 100).all()
        assert table["top2_share"].between(0, 1).all()
        assert (table["ci_lower"].fillna(-np.inf) <= table["score"] + 1e-9).all()


@pytest.mark.filterwarnings("ignore::csindex.exceptions.InferenceWarning")
def test_weights_series_aligned_by_label_not_position():
    """Issue 12: a weights Series is matched to respondents by index label."""
    d = pd.DataFrame({"A1": [1.0, 5.0]})
    w = pd.Series([1.0, 0.0], index=[1, 0])  # respondent 1 (rating 5) weight 1, respondent 0 weight 0
    assert simple_scores(d, scale=(1, 5), weights=w).items["mean"].iloc[0] == pytest.approx(5.0)
    with pytest.raises(SurveyDataError, match="index does not match"):
        simple_scores(d, scale=(1, 5), weights=pd.Series([1.0, 1.0], index=[5, 6]))
    from csindex.scoring.ratio import ratio_index

    r = ratio_index(pd.DataFrame({"Q1": [2.0, 4.0], "EXP_Q1": [4.0, 4.0]}), ["Q1"], ["EXP_Q1"], scale=(1, 5),
                    weights=pd.Series([1.0, 0.0], index=[1, 0]))
    assert r.overall == pytest.approx(1.0)
