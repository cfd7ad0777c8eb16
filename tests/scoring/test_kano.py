"""Kano classification against the evaluation table and hand-computed coefficients."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.exceptions import MissingDataWarning, SurveyDataError
from csindex.scoring.kano import kano

# rows functional 1..5, columns dysfunctional 1..5 (Kano et al. 1984)
TABLE = ["QAAAO", "RIIIM", "RIIIM", "RIIIM", "RRRRQ"]


def test_every_cell_of_the_evaluation_table():
    f, d = np.meshgrid(np.arange(1, 6), np.arange(1, 6), indexing="ij")
    df = pd.DataFrame({"F1": f.ravel(), "D1": d.ravel()})
    res = kano(df, ["F1"], ["D1"])
    assert "".join(res.respondents["F1"]) == "".join(TABLE)


def test_shares_modal_better_worse_by_hand():
    # attribute X: A A O M I -> better (2+1)/5, worse -(1+1)/5, modal A
    df = pd.DataFrame({"FX": [1, 1, 1, 2, 3], "DX": [3, 4, 5, 5, 3]})
    res = kano(df, ["FX"], ["DX"], attributes=["X"])
    row = res.attributes.set_index("attribute").loc["X"]
    assert row["A"] == pytest.approx(0.4) and row["O"] == pytest.approx(0.2) and row["M"] == pytest.approx(0.2)
    assert row["category"] == "A" and row["category_name"] == "attractive"
    assert row["better"] == pytest.approx(3 / 5)
    assert row["worse"] == pytest.approx(-2 / 5)
    assert row[["A", "O", "M", "I", "R", "Q"]].sum() == pytest.approx(1.0)


def test_tie_break_and_weights():
    # one M and one A: tie -> M by default (M > O > A > I)
    df = pd.DataFrame({"F1": [2, 1], "D1": [5, 2]})
    assert kano(df, ["F1"], ["D1"]).attributes.set_index("attribute").loc["F1", "category"] == "M"
    assert kano(df, ["F1"], ["D1"], tie_break="AOMIRQ").attributes.set_index("attribute").loc["F1", "category"] == "A"
    res = kano(df, ["F1"], ["D1"], weights=[1, 3])
    assert res.attributes.set_index("attribute").loc["F1", "category"] == "A"
    assert res.attributes.set_index("attribute").loc["F1", "A"] == pytest.approx(0.75)
    assert res.attributes.set_index("attribute").loc["F1", "worse"] == pytest.approx(-0.25)


def test_missing_and_codes():
    df = pd.DataFrame({"F1": [1, np.nan, 2], "D1": [5, 5, 5]})
    res = kano(df, ["F1"], ["D1"])
    assert res.attributes.set_index("attribute").loc["F1", "n"] == 2
    assert pd.isna(res.respondents["F1"].tolist()[1])
    assert res.settings["n_missing"] == 1
    # codes 5..1 reversed (5 = like)
    df2 = pd.DataFrame({"F1": [5], "D1": [1]})
    assert kano(df2, ["F1"], ["D1"], codes={5: 1, 4: 2, 3: 3, 2: 4, 1: 5}).respondents.iloc[0, 0] == "O"


def test_errors():
    df = pd.DataFrame({"F1": [1, 7], "D1": [5, 5]})
    with pytest.raises(SurveyDataError, match="'F1' has answers 7"):
        kano(df, ["F1"], ["D1"])
    with pytest.raises(SurveyDataError, match="pair up"):
        kano(df, ["F1"], ["D1", "F1"])
    only_q = pd.DataFrame({"F1": [1, 5], "D1": [1, 5]})
    with pytest.warns(MissingDataWarning, match="undefined"):
        res = kano(only_q, ["F1"], ["D1"])
    assert res.attributes.set_index("attribute").loc["F1", "category"] == "Q"


def test_summary_and_plot():
    import matplotlib.pyplot as plt

    df = pd.DataFrame({"F1": [1, 1, 2], "D1": [5, 3, 5], "F2": [2, 2, 3], "D2": [5, 5, 3]})
    res = kano(df, ["F1", "F2"], ["D1", "D2"])
    assert "Kano" in str(res.summary())
    disp = res.plot()
    assert len(disp.data) == 2
    plt.close(disp.figure_)


def test_one_respondent_and_input_untouched():
    df = pd.DataFrame({"F1": [1], "D1": [5]})
    before = df.copy()
    res = kano(df, ["F1"], ["D1"])
    assert res.attributes.set_index("attribute").loc["F1", "category"] == "O"
    assert res.attributes.set_index("attribute").loc["F1", "better"] == 1 and res.attributes.set_index("attribute").loc["F1", "worse"] == -1
    pd.testing.assert_frame_equal(df, before)
