"""Importance-performance analysis against hand-computed quadrants and opportunity scores."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex.exceptions import SurveyDataError
from csindex.scoring.ipa import ipa


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame({
        "A1": [2, 1, 2], "B1": [5, 4, 4], "C1": [4, 4, 5], "D1": [1, 2, 1],
        "IMP_A1": [5, 5, 4], "IMP_B1": [1, 2, 2], "IMP_C1": [5, 4, 4], "IMP_D1": [2, 1, 1],
    })


ITEMS = ["A1", "B1", "C1", "D1"]


def test_quadrants_at_scale_midpoint(df):
    res = ipa(df, ITEMS, scale=(1, 5))  # importance pairs from the IMP_ prefix
    it = res.items.set_index("item")
    assert res.crosshair == (3.0, 3.0)
    assert it["importance"].tolist() == pytest.approx([14 / 3, 5 / 3, 13 / 3, 4 / 3])
    assert it["performance"].tolist() == pytest.approx([5 / 3, 13 / 3, 13 / 3, 4 / 3])
    assert it["quadrant"].tolist() == ["Concentrate here", "Possible overkill", "Keep up the good work", "Low priority"]
    assert it["importance_item"].tolist() == [f"IMP_{i}" for i in ITEMS]


def test_opportunity_score_by_hand(df):
    it = ipa(df, ITEMS, scale=(1, 5)).items.set_index("item")
    # A: all importance in {4,5} -> IMP 10, no performance in {4,5} -> SAT 0 -> 10 + 10
    assert it.loc["A1", "opportunity"] == pytest.approx(20)
    assert it.loc["B1", "opportunity"] == pytest.approx(0)  # IMP 0, SAT 10
    assert it.loc["C1", "opportunity"] == pytest.approx(10)  # IMP 10, SAT 10
    assert it.loc["D1", "importance_top2"] == 0 and it.loc["C1", "performance_top2"] == 1


def test_mean_median_and_fixed_crosshairs(df):
    assert ipa(df, ITEMS, scale=(1, 5), crosshair="mean").crosshair == pytest.approx((3.0, 35 / 12))
    assert ipa(df, ITEMS, scale=(1, 5), crosshair="median").crosshair == pytest.approx((3.0, 3.0))
    res = ipa(df, ITEMS, scale=(1, 5), crosshair=(14 / 3, 5 / 3))
    assert res.items.set_index("item").loc["A1", "quadrant"] == "Keep up the good work"  # on the cross-hair counts as high
    with pytest.raises(ValueError, match="crosshair"):
        ipa(df, ITEMS, scale=(1, 5), crosshair="centre")


def test_top_box_on_ten_point_scale():
    d = pd.DataFrame({"A1": [10, 9, 8, 1], "IMP_A1": [10, 10, 10, 7]})
    it = ipa(d, ["A1"], scale=(1, 10)).items.set_index("item")
    assert it.loc["A1", "performance_top2"] == pytest.approx(0.5)
    assert it.loc["A1", "opportunity"] == pytest.approx(7.5 + 2.5)


def test_sampling_weights(df):
    it = ipa(df, ITEMS, scale=(1, 5), weights=[2, 1, 1]).items.set_index("item")
    assert it.loc["A1", "importance"] == pytest.approx((10 + 5 + 4) / 4)
    assert it.loc["A1", "performance"] == pytest.approx((4 + 1 + 2) / 4)


def test_derived_importance_on_airline():
    air = csindex.datasets.airline()
    items = ["SAFE1", "CREW1", "PUNC1", "ENT1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ipa(air, items, importance_method="derived", target="QUAL")
        dw = csindex.driver_weights(air, target="QUAL", drivers=items)
    assert res.items["importance"].to_numpy() == pytest.approx(dw.weights["share"].to_numpy())
    assert res.crosshair[0] == pytest.approx(0.25)
    assert res.items["opportunity"].isna().all()
    assert "opportunity" in str(res.summary())


def test_errors(df):
    with pytest.raises(SurveyDataError, match="IMP_B1"):
        ipa(df.assign(IMP_B1=np.nan), ITEMS, scale=(1, 5))
    with pytest.raises(SurveyDataError, match="one importance item per"):
        ipa(df, ITEMS, ["IMP_A1"], scale=(1, 5))
    with pytest.raises(SurveyDataError, match="Q9"):
        ipa(df, ["Q9"], scale=(1, 5))


def test_plot_matches_quadrants(df):
    import matplotlib.pyplot as plt

    res = ipa(df, ITEMS, scale=(1, 5))
    disp = res.plot()
    assert disp.data["quadrant"].tolist() == res.items["quadrant"].tolist()
    plt.close(disp.figure_)


def test_airline_defaults():
    res = ipa(csindex.datasets.airline())
    assert res.crosshair == (5.5, 5.5)
    assert len(res.items) == len(csindex.datasets.airline().pairs("importance"))


def test_one_respondent():
    d = pd.DataFrame({"A1": [2], "IMP_A1": [5]})
    with pytest.warns(csindex.exceptions.InferenceWarning, match="A1"):
        res = ipa(d, ["A1"], scale=(1, 5))
    assert res.items.set_index("item").loc["A1", "quadrant"] == "Concentrate here"
    assert np.isnan(res.items.set_index("item").loc["A1", "performance_ci_lower"])
