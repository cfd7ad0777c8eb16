"""C = b/a, b − a and bands against hand-computed numbers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import csindex
from csindex.exceptions import InferenceWarning, MissingDataWarning, SurveyDataError
from csindex.scoring.ratio import classify_ratio, disconfirmation, ratio_index

T_975_2 = 4.302652729911275  # t quantile, 2 df (tables)
Z_975 = 1.959963984540054


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame({
        "CREW1": [4, 5, 3, 2], "EXP_CREW1": [5, 5, 3, 0],
        "CREW2": [2, 4, np.nan, 3], "EXP_CREW2": [4, 4, 2, 3],
    })


def _run(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", MissingDataWarning)
        return ratio_index(df, perceived=["CREW1", "CREW2"], expected=["EXP_CREW1", "EXP_CREW2"], scale=(0, 5), **kw)


def test_item_ratios_by_hand(df):
    res = _run(df)
    it = res.items.set_index("item")
    # CREW1: row 3 has a = 0 -> left out; C = .8, 1, 1
    assert it.loc["CREW1", "n"] == 3
    assert it.loc["CREW1", "n_nonpositive"] == 1
    assert it.loc["CREW1", "n_missing"] == 0
    assert it.loc["CREW1", "mean_ratio"] == pytest.approx(2.8 / 3)
    assert it.loc["CREW1", "ratio_of_means"] == pytest.approx(12 / 13)
    assert it.loc["CREW1", "mean_difference"] == pytest.approx(-1 / 3)
    # CREW2: row 2 has no b; C = .5, 1, 1
    assert it.loc["CREW2", "n_missing"] == 1
    assert it.loc["CREW2", "mean_ratio"] == pytest.approx(2.5 / 3)
    assert it.loc["CREW2", "ratio_of_means"] == pytest.approx(9 / 11)
    # default aggregation is ratio_of_means
    assert it.loc["CREW1", "ratio"] == pytest.approx(12 / 13)
    assert res.settings["n_invalid"] == 2 and res.settings["n_nonpositive"] == 1
    assert np.isnan(res.ratios.loc[3, "CREW1"]) and res.ratios.loc[0, "CREW2"] == 0.5
    assert res.differences.loc[0, "CREW1"] == -1


def test_item_intervals_by_hand(df):
    it = _run(df).items.set_index("item")
    # mean ratio: values .8 1 1, sd^2 = .026667/2, se = sqrt(var/3)
    se = math.sqrt((0.4 / 3) ** 2 * 1.5 / 2 / 3)  # SS = (2/15)^2 + 2 (1/15)^2 = 6/225
    assert se == pytest.approx(math.sqrt(6 / 225 / 2 / 3))
    assert it.loc["CREW1", "mean_ratio_std_error"] == pytest.approx(se)
    assert it.loc["CREW1", "mean_ratio_ci_lower"] == pytest.approx(2.8 / 3 - T_975_2 * se)
    # ratio of means: linearised z_i = (b_i - R a_i) / mean(a), R = 12/13, mean(a) = 13/3
    r, ma = 12 / 13, 13 / 3
    z = np.array([4 - r * 5, 5 - r * 5, 3 - r * 3]) / ma
    se_r = math.sqrt(((z - z.mean()) ** 2).sum() / 2 / 3)
    assert it.loc["CREW1", "ratio_of_means_std_error"] == pytest.approx(se_r)
    assert it.loc["CREW1", "ratio_of_means_ci_upper"] == pytest.approx(r + T_975_2 * se_r)


def test_constructs_and_overall_by_hand(df):
    res = _run(df)
    row = res.constructs.set_index("construct").loc["CREW"]
    # respondent means of C: .65, 1, 1 (only CREW1), 1 (only CREW2)
    assert row["mean_ratio"] == pytest.approx(3.65 / 4)
    # respondent mean b: 3, 4.5, 3, 3 ; mean a: 4.5, 4.5, 3, 3
    assert row["ratio_of_means"] == pytest.approx(13.5 / 15)
    assert res.constructs["construct"].iloc[-1] == "overall"
    assert res.overall == pytest.approx(13.5 / 15)
    assert _run(df, aggregation="mean_ratio").overall == pytest.approx(3.65 / 4)


def test_bands_with_wilson_interval(df):
    res = _run(df)
    b = res.bands.set_index(["level", "name", "measure", "band"])
    assert b.loc[("item", "CREW1", "ratio", "dissatisfied"), "share"] == pytest.approx(1 / 3)
    assert b.loc[("item", "CREW1", "ratio", "fairly satisfied"), "share"] == pytest.approx(2 / 3)
    assert b.loc[("item", "CREW1", "ratio", "unmet"), "share"] == 0
    p, n, z = 1 / 3, 3, Z_975
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert b.loc[("item", "CREW1", "ratio", "dissatisfied"), "ci_lower"] == pytest.approx(centre - half)
    assert b.loc[("item", "CREW1", "ratio", "dissatisfied"), "ci_upper"] == pytest.approx(centre + half)
    # differences: -1, 0, 0 -> 1/3 negative, 2/3 confirmation
    assert b.loc[("item", "CREW1", "difference", "negative disconfirmation"), "share"] == pytest.approx(1 / 3)
    assert b.loc[("item", "CREW1", "difference", "confirmation"), "share"] == pytest.approx(2 / 3)
    # overall respondent ratios .65 1 1 1
    assert b.loc[("overall", "overall", "ratio", "fairly satisfied"), "share"] == pytest.approx(0.75)
    assert res.items.set_index("item").loc["CREW2", "band"] == "dissatisfied"  # 9/11 = .818


def test_tolerance_and_unmet():
    assert classify_ratio([0.94, 0.95, 1.05, 1.06], tol=0.05).tolist() == [1, 2, 2, 3]
    assert classify_ratio([0.94, 1.0, 1.06], tol=0.1).tolist() == [2, 2, 2]
    df = pd.DataFrame({"Q1": [0, 5], "EXP_Q1": [5, 5]})
    res = ratio_index(df, ["Q1"], ["EXP_Q1"], scale=(0, 10))
    b = res.bands.set_index(["level", "name", "measure", "band"])["share"]
    assert b[("item", "Q1", "ratio", "unmet")] == 0.5


def test_sampling_weights(df):
    res = _run(df, weights=[1, 2, 1, 1])
    assert res.items.set_index("item").loc["CREW1", "mean_ratio"] == pytest.approx((0.8 + 2 + 1) / 4)
    assert res.items.set_index("item").loc["CREW1", "ratio_of_means"] == pytest.approx((4 + 10 + 3) / (5 + 10 + 3))
    assert res.settings["weighted"]


def test_a_zero_warns_and_counts(df):
    with pytest.warns(MissingDataWarning, match="EXP_CREW1"):
        ratio_index(df, ["CREW1"], ["EXP_CREW1"], scale=(0, 5))


def test_no_numpy_warning_leaks(df):
    df = df.copy()
    df.loc[:, "EXP_CREW2"] = [0, 0, 0, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", MissingDataWarning)
        warnings.simplefilter("ignore", InferenceWarning)
        res = ratio_index(df, ["CREW1", "CREW2"], ["EXP_CREW1", "EXP_CREW2"], scale=(0, 5))
    assert res.items.set_index("item").loc["CREW2", "n"] == 1


def test_all_missing_item_raises(df):
    df = df.assign(CREW2=np.nan)
    with pytest.raises(SurveyDataError, match="CREW2"):
        ratio_index(df, ["CREW1", "CREW2"], ["EXP_CREW1", "EXP_CREW2"], scale=(0, 5))


def test_one_respondent():
    df = pd.DataFrame({"Q1": [4], "EXP_Q1": [5]})
    with pytest.warns(InferenceWarning):
        res = ratio_index(df, ["Q1"], ["EXP_Q1"], scale=(1, 5))
    assert res.items.set_index("item").loc["Q1", "ratio_of_means"] == 0.8
    assert np.isnan(res.items.set_index("item").loc["Q1", "mean_ratio_ci_lower"])


def test_bad_input():
    df = pd.DataFrame({"Q1": [4, 3], "EXP_Q1": [5, 4]})
    with pytest.raises(SurveyDataError, match="one reference item per perceived"):
        ratio_index(df, ["Q1"], ["EXP_Q1", "Q1"])
    with pytest.raises(SurveyDataError, match="Q9"):
        ratio_index(df, ["Q9"], ["EXP_Q1"])
    with pytest.raises(ValueError, match="aggregation"):
        ratio_index(df, ["Q1"], ["EXP_Q1"], aggregation="median")
    neg = pd.DataFrame({"Q1": [-1, 2], "EXP_Q1": [1, 2]})
    with pytest.raises(SurveyDataError, match="negative"):
        ratio_index(neg, ["Q1"], ["EXP_Q1"], scale=(-3, 3))


def test_pairs_from_codebook_and_input_untouched(df):
    before = df.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        res = ratio_index(df, scale=(0, 5))  # EXP_ prefix -> expectation pairs
    assert list(res.items["item"]) == ["CREW1", "CREW2"]
    assert list(res.items["reference_item"]) == ["EXP_CREW1", "EXP_CREW2"]
    pd.testing.assert_frame_equal(df, before)
    air = csindex.datasets.airline()
    res = ratio_index(air, perceived=["SAFE1"])
    assert res.items.set_index("item").loc["SAFE1", "reference_item"] == "EXP_SAFE1"
    assert res.settings["weighted"]  # the airline sample carries sampling weights


def test_desired_reference_same_code_path():
    df = pd.DataFrame({"Q1": [4, 5, 2], "WANT_Q1": [5, 5, 4]})
    res = disconfirmation(df, ["Q1"], ["WANT_Q1"], reference="desired", scale=(1, 5), diff_tol=0.5)
    assert res.settings["reference"] == "desired"
    assert res.items.set_index("item").loc["Q1", "mean_difference"] == pytest.approx(-1)
    b = res.bands.set_index(["level", "name", "measure", "band"])["share"]
    assert b[("item", "Q1", "difference", "confirmation")] == pytest.approx(1 / 3)


def test_constructs_override_and_summary_plot(df):
    import matplotlib.pyplot as plt

    res = _run(df, constructs={"A": ["CREW1"], "B": ["CREW2"]})
    assert list(res.constructs["construct"]) == ["A", "B", "overall"]
    assert res.constructs.set_index("construct").loc["A", "mean_ratio"] == pytest.approx(2.8 / 3)
    assert "Satisfaction ratio" in str(res.summary())
    disp = res.plot()
    assert disp.shares["fairly satisfied"] == pytest.approx(0.75)
    plt.close(disp.figure_)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 7), st.integers(1, 7)), min_size=2, max_size=30))
def test_ratio_of_means_equals_mean_ratio_when_a_constant_property(pairs):
    b = [p[0] for p in pairs]
    df = pd.DataFrame({"Q1": b, "EXP_Q1": [4] * len(b)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        res = ratio_index(df, ["Q1"], ["EXP_Q1"], scale=(1, 7))
    assert res.items.set_index("item").loc["Q1", "mean_ratio"] == pytest.approx(np.mean(b) / 4)
    assert res.items.set_index("item").loc["Q1", "ratio_of_means"] == pytest.approx(np.mean(b) / 4)
    shares = res.bands.query("level == 'item' and measure == 'ratio'")["share"]
    assert shares.sum() == pytest.approx(1.0)


def test_weighted_band_shares_and_effective_n(df):
    res = _run(df, weights=[1, 2, 1, 1])
    b = res.bands.set_index(["level", "name", "measure", "band"])
    # CREW1 ratios .8 (w 1), 1 (w 2), 1 (w 1): dissatisfied 1/4, fairly satisfied 3/4, n_eff = 16/6
    p, n = 0.25, 16 / 6
    assert b.loc[("item", "CREW1", "ratio", "dissatisfied"), "share"] == pytest.approx(p)
    centre = (p + Z_975**2 / (2 * n)) / (1 + Z_975**2 / n)
    half = Z_975 * math.sqrt(p * (1 - p) / n + Z_975**2 / (4 * n**2)) / (1 + Z_975**2 / n)
    assert b.loc[("item", "CREW1", "ratio", "dissatisfied"), "ci_lower"] == pytest.approx(centre - half)
    assert b.loc[("item", "CREW1", "ratio", "dissatisfied"), "n"] == 3


@settings(max_examples=10, deadline=None)
@given(st.floats(0.01, 100.0))
def test_weights_scale_invariant(factor):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"Q1": rng.integers(1, 8, 50), "EXP_Q1": rng.integers(1, 8, 50)})
    w = rng.uniform(0.2, 3.0, 50)
    a = ratio_index(df, ["Q1"], ["EXP_Q1"], scale=(1, 7), weights=w)
    b = ratio_index(df, ["Q1"], ["EXP_Q1"], scale=(1, 7), weights=w * factor)
    cols = ["mean_ratio", "ratio_of_means", "mean_ratio_ci_lower", "ratio_of_means_ci_upper", "mean_difference"]
    assert a.items[cols].to_numpy() == pytest.approx(b.items[cols].to_numpy(), rel=1e-9)
    assert a.bands["ci_lower"].to_numpy() == pytest.approx(b.bands["ci_lower"].to_numpy(), rel=1e-9, abs=1e-12)


def test_by_segment_equals_subset():
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"Q1": rng.integers(1, 8, 40), "EXP_Q1": rng.integers(1, 8, 40),
                       "grp": np.repeat(["a", "b"], 20)})
    seg = ratio_index(df, ["Q1"], ["EXP_Q1"], scale=(1, 7), by="grp")
    alone = ratio_index(df[df["grp"] == "b"].reset_index(drop=True), ["Q1"], ["EXP_Q1"], scale=(1, 7))
    assert seg["b"].overall == pytest.approx(alone.overall)


# --------------------------------------------------------------------------- tests that bite (issue 12 §6)
T_975_3 = 3.182446305284263  # t quantile, 3 df (tables)


@pytest.fixture
def above() -> pd.DataFrame:
    """Perceived above expected: D = 2, 0, 1, 0 (positive disconfirmation); C = 5/3, 1, 5/4, 1."""
    return pd.DataFrame({"Q1": [5, 4, 5, 3], "EXP_Q1": [3, 4, 4, 3]})


def test_every_interval_bound_by_hand_when_b_exceeds_a(above):
    res = ratio_index(above, ["Q1"], ["EXP_Q1"], scale=(1, 5))
    it = res.items.set_index("item").loc["Q1"]
    c = np.array([5 / 3, 1.0, 1.25, 1.0])
    se_c = c.std(ddof=1) / 2
    assert it["mean_ratio"] == pytest.approx(c.mean())
    assert it["mean_ratio_std_error"] == pytest.approx(se_c)
    assert it["mean_ratio_ci_lower"] == pytest.approx(c.mean() - T_975_3 * se_c)
    assert it["mean_ratio_ci_upper"] == pytest.approx(c.mean() + T_975_3 * se_c)
    r, ma = 17 / 14, 3.5
    z = (np.array([5, 4, 5, 3]) - r * np.array([3, 4, 4, 3])) / ma
    se_r = z.std(ddof=1) / 2
    assert it["ratio_of_means"] == pytest.approx(r)
    assert it["ratio_of_means_std_error"] == pytest.approx(se_r)
    assert it["ratio_of_means_ci_lower"] == pytest.approx(r - T_975_3 * se_r)
    assert it["ratio_of_means_ci_upper"] == pytest.approx(r + T_975_3 * se_r)
    d = np.array([2.0, 0.0, 1.0, 0.0])
    se_d = d.std(ddof=1) / 2
    assert it["mean_difference"] == pytest.approx(0.75)
    assert it["difference_ci_lower"] == pytest.approx(0.75 - T_975_3 * se_d)
    assert it["difference_ci_upper"] == pytest.approx(0.75 + T_975_3 * se_d)
    assert (it["mean_perceived"], it["mean_reference"]) == (pytest.approx(4.25), pytest.approx(3.5))
    assert (it["n"], it["n_missing"], it["n_nonpositive"]) == (4, 0, 0)
    assert it["band"] == "very satisfied"
    assert it["disconfirmation"] == "positive disconfirmation"
    # one item: its construct row and the overall row repeat the item's numbers
    cols = ["mean_ratio", "mean_ratio_ci_upper", "ratio_of_means_ci_lower", "difference_ci_lower",
            "difference_ci_upper", "mean_difference"]
    for name in ("Q", "overall"):
        row = res.constructs.set_index("construct").loc[name]
        assert row[cols].astype(float).tolist() == pytest.approx(it[cols].astype(float).tolist())
        assert row["disconfirmation"] == "positive disconfirmation" and row["n_items"] == 1
    assert res.overall == pytest.approx(r)


def test_positive_disconfirmation_bands_and_diff_tol(above):
    res = ratio_index(above, ["Q1"], ["EXP_Q1"], scale=(1, 5))
    b = res.bands.set_index(["level", "name", "measure", "band"])["share"]
    for level, name in (("item", "Q1"), ("overall", "overall")):
        assert b[(level, name, "difference", "positive disconfirmation")] == pytest.approx(0.5)
        assert b[(level, name, "difference", "confirmation")] == pytest.approx(0.5)
        assert b[(level, name, "difference", "negative disconfirmation")] == 0
        assert b[(level, name, "ratio", "very satisfied")] == pytest.approx(0.5)
        assert b[(level, name, "ratio", "fairly satisfied")] == pytest.approx(0.5)
    # |D| <= 1 is confirmation with diff_tol = 1: only D = 2 stays positive
    wide = ratio_index(above, ["Q1"], ["EXP_Q1"], scale=(1, 5), diff_tol=1.0)
    wb = wide.bands.set_index(["level", "name", "measure", "band"])["share"]
    assert wb[("item", "Q1", "difference", "positive disconfirmation")] == pytest.approx(0.25)
    assert wide.items["disconfirmation"].iloc[0] == "confirmation"  # mean D = .75 <= 1
    assert wide.settings["diff_tol"] == 1.0


def test_default_tolerance_is_five_percent():
    """C = 26/25 = 1.04 is 'fairly satisfied' under the default tol = 0.05, 'very satisfied' under 0."""
    df = pd.DataFrame({"Q1": [26, 26, 24], "EXP_Q1": [25, 25, 25]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        res = ratio_index(df, ["Q1"], ["EXP_Q1"], scale=(1, 30))
        strict = ratio_index(df, ["Q1"], ["EXP_Q1"], scale=(1, 30), tol=0.0)
    assert res.settings["tol"] == 0.05
    b = res.bands.set_index(["level", "name", "measure", "band"])["share"]
    assert b[("item", "Q1", "ratio", "fairly satisfied")] == pytest.approx(1.0)  # 1.04, 1.04, 0.96
    sb = strict.bands.set_index(["level", "name", "measure", "band"])["share"]
    assert sb[("item", "Q1", "ratio", "very satisfied")] == pytest.approx(2 / 3)
    assert sb[("item", "Q1", "ratio", "dissatisfied")] == pytest.approx(1 / 3)
    assert res.items["band"].iloc[0] == "fairly satisfied" and strict.items["band"].iloc[0] == "very satisfied"


def test_band_interval_bounds_for_every_share(above):
    """Each band row's Wilson bounds, including the 0 and 1 shares, and the counts."""
    res = ratio_index(above, ["Q1"], ["EXP_Q1"], scale=(1, 5))
    rows = res.bands[(res.bands["level"] == "item")]
    assert len(rows) == 7 and (rows["n"] == 4).all()
    for _, row in rows.iterrows():
        p, n = row["share"], 4
        if p == 0:
            assert row["ci_lower"] == 0
        else:
            centre = (p + Z_975**2 / (2 * n)) / (1 + Z_975**2 / n)
            half = Z_975 * math.sqrt(p * (1 - p) / n + Z_975**2 / (4 * n**2)) / (1 + Z_975**2 / n)
            assert row["ci_lower"] == pytest.approx(centre - half)
            assert row["ci_upper"] == pytest.approx(centre + half)
    assert set(res.bands["level"]) == {"item", "construct", "overall"}


def test_construct_grouping_and_level_rows():
    df = pd.DataFrame({"A1": [4, 2], "EXP_A1": [4, 4], "A2": [3, 3], "EXP_A2": [2, 3],
                       "B1": [1, 5], "EXP_B1": [2, 5]})
    res = ratio_index(df, ["A1", "A2", "B1"], ["EXP_A1", "EXP_A2", "EXP_B1"], scale=(1, 5),
                      constructs={"A": ["A1", "A2"], "B": ["B1"]})
    cons = res.constructs.set_index("construct")
    assert cons.index.tolist() == ["A", "B", "overall"]
    assert cons["n_items"].tolist() == [2, 1, 3]
    # construct A per respondent: mean C over A1, A2 = (1 + 1.5)/2, (.5 + 1)/2
    assert cons.loc["A", "mean_ratio"] == pytest.approx(((1 + 1.5) / 2 + (0.5 + 1) / 2) / 2)
    # ratio of means of the respondents' average b and a: (3.5 + 2.5)/(3 + 3.5)
    assert cons.loc["A", "ratio_of_means"] == pytest.approx(6 / 6.5)
    assert cons.loc["B", "mean_difference"] == pytest.approx(-0.5)
    # overall: respondent means of C over 3 items
    c1 = np.mean([1, 1.5, 0.5])
    c2 = np.mean([0.5, 1, 1])
    assert cons.loc["overall", "mean_ratio"] == pytest.approx((c1 + c2) / 2)
    assert res.items.set_index("item")["construct"].tolist() == ["A", "A", "B"]
    b = res.bands.set_index(["level", "name", "measure", "band"])["share"]
    assert b[("construct", "B", "ratio", "dissatisfied")] == pytest.approx(0.5)
    assert b[("construct", "B", "ratio", "fairly satisfied")] == pytest.approx(0.5)
    assert res.settings["n_used"] == 2 and res.settings["n_dropped"] == 0


def test_row_blocks_give_the_same_numbers(monkeypatch):
    """600 respondents read in blocks of 256 rows: every count and statistic equals one block."""
    import csindex.scoring._common as common

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"Q1": rng.integers(1, 8, 600), "EXP_Q1": rng.integers(0, 8, 600),
                       "Q2": rng.integers(1, 8, 600), "EXP_Q2": rng.integers(1, 8, 600)}).astype(float)
    df.loc[rng.random(600) < 0.1, "Q2"] = np.nan
    kw = dict(perceived=["Q1", "Q2"], expected=["EXP_Q1", "EXP_Q2"], scale=(0, 7), weights=rng.uniform(0.5, 2, 600))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        one = ratio_index(df, **kw)
        monkeypatch.setattr(common, "CHUNK_ELEMENTS", 1)
        assert len(list(common.row_chunks(600, 2))) == 3
        blocks = ratio_index(df, **kw)
    pd.testing.assert_frame_equal(one.items, blocks.items, rtol=1e-12)
    pd.testing.assert_frame_equal(one.constructs, blocks.constructs, rtol=1e-12)
    pd.testing.assert_frame_equal(one.bands, blocks.bands, rtol=1e-12)
    assert one.settings == blocks.settings
    valid1 = df["EXP_Q1"] > 0
    valid2 = df["Q2"].notna()
    assert blocks.settings["n_used"] == int((valid1 | valid2).sum())
    assert blocks.settings["n_nonpositive"] == int((df["EXP_Q1"] == 0).sum())
    assert blocks.settings["n_invalid"] == int((~valid1).sum() + (~valid2).sum())


def test_plot_of_a_construct_and_messages_name_the_function(df):
    import matplotlib.pyplot as plt

    res = _run(df)
    disp = res.plot("CREW")
    assert disp.figure_ is not None
    plt.close(disp.figure_)
    with pytest.raises(SurveyDataError, match="neither 'overall'"):
        res.plot("NOPE")
    with pytest.raises(SurveyDataError, match=r"ratio_index\(\) needs one reference item per perceived"):
        ratio_index(df, ["CREW1", "CREW2"], ["EXP_CREW1"], scale=(0, 5))
    with pytest.raises(SurveyDataError, match="weights passed to ratio_index"):
        ratio_index(df, ["CREW1"], ["EXP_CREW1"], scale=(0, 5), weights=[1, 1])
    with pytest.raises(csindex.exceptions.ParameterError, match="'confidence' parameter of ratio_index"):
        ratio_index(df, ["CREW1"], ["EXP_CREW1"], scale=(0, 5), confidence=1.5)
    with pytest.raises(csindex.exceptions.ParameterError, match="'tol' parameter of ratio_index"):
        ratio_index(df, ["CREW1"], ["EXP_CREW1"], scale=(0, 5), tol=-0.1)


def test_item_errors_name_the_items_and_the_function(df):
    with pytest.raises(SurveyDataError, match=r"perceived items passed to ratio_index\(\) name columns.*'CREW9'"):
        ratio_index(df, ["CREW9"], ["EXP_CREW1"], scale=(0, 5))
    with pytest.raises(SurveyDataError, match=r"reference items passed to ratio_index\(\) name columns.*'EXP_9'"):
        ratio_index(df, ["CREW1"], ["EXP_9"], scale=(0, 5))
    # a negative rating in the last row of the second item: the message names that item only
    neg = df.copy()
    neg.loc[3, "CREW2"] = -1
    with pytest.raises(SurveyDataError, match=r"Perceived items 'CREW2' have negative"):
        ratio_index(neg, ["CREW1", "CREW2"], ["EXP_CREW1", "EXP_CREW2"], scale=(-1, 5))


def test_perceived_items_without_a_codebook_pair_are_named():
    air = csindex.datasets.airline()
    # SAT1 has no expectation item in the codebook: the error names it (not a KeyError)
    with pytest.raises(SurveyDataError, match="links no expectation item to 'SAT1'"):
        ratio_index(air, perceived=["CREW1", "SAT1"])
    res = ratio_index(air, perceived=["CREW1"])
    assert res.items["reference_item"].tolist() == ["EXP_CREW1"]


def test_disconfirmation_defaults_and_passes_options_on():
    df = pd.DataFrame({"Q1": [4, 5, 2, 3], "WANT_Q1": [5, 5, 4, 2]})
    res = disconfirmation(df, ["Q1"], ["WANT_Q1"], scale=(1, 5), confidence=0.8)
    assert res.settings["reference"] == "expected" and res.settings["confidence"] == 0.8
    assert res.items.set_index("item").at["Q1", "mean_difference"] == pytest.approx(-0.5)
