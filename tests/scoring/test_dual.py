"""Dual evaluation (classic D1/D2, improved I1/I2) and AHP against hand-computed numbers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex.exceptions import InferenceWarning, SurveyDataError
from csindex.scoring.dual import ahp_weights, dual_evaluation

Z_975 = 1.959963984540054


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame({"Q1": [4, 5], "Q2": [2, 3], "IMP_Q1": [5, 5], "IMP_Q2": [3, 1],
                         "EXP_Q1": [5, 5], "EXP_Q2": [4, 3]})


def _dual(df, **kw):
    kw.setdefault("scale", (1, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return dual_evaluation(df, satisfaction=["Q1", "Q2"], **kw)


def test_classic_aggregate_by_hand(df):
    res = _dual(df, importance=["IMP_Q1", "IMP_Q2"])
    # mean importance 5 and 2 -> W = 5/7, 2/7; mean satisfaction 4.5, 2.5
    assert res.weights["weight"].tolist() == pytest.approx([5 / 7, 2 / 7])
    assert res.weights["weight"].sum() == pytest.approx(1.0)
    assert res.weights["mean_importance"].tolist() == pytest.approx([5, 2])
    assert res.index_raw == pytest.approx((5 * 4.5 + 2 * 2.5) / 7)
    assert res.overall == pytest.approx((5 * 87.5 + 2 * 37.5) / 7)
    assert res.items.set_index("item").loc["Q1", "score"] == pytest.approx(87.5)
    assert res.items["contribution"].sum() == pytest.approx(res.overall)
    assert res.settings["variant"] == "D1"


def test_classic_respondent_by_hand(df):
    res = _dual(df, aggregation="respondent")  # importance pairs from the IMP_ prefix
    # respondent 1: (5*4 + 3*2)/8, respondent 2: (5*5 + 1*3)/6
    assert res.index_raw == pytest.approx((26 / 8 + 28 / 6) / 2)
    # 0-100: (5*75 + 3*25)/8 = 56.25 and (5*100 + 1*50)/6
    assert res.overall == pytest.approx((56.25 + 550 / 6) / 2)
    assert res.std_error == pytest.approx(abs(550 / 6 - 56.25) / 2)
    assert res.weights["weight"].tolist() == pytest.approx([(5 / 8 + 5 / 6) / 2, (3 / 8 + 1 / 6) / 2])
    assert res.settings["variant"] == "D2"
    assert res.overall != pytest.approx(_dual(df).overall)  # D1 != D2


def test_aggregate_se_equals_respondent_sd_with_fixed_weights():
    d = pd.DataFrame({"Q1": [4, 5, 2], "Q2": [2, 3, 5]})
    res = dual_evaluation(d, satisfaction=["Q1", "Q2"], importance_method={"Q1": 1, "Q2": 1}, scale=(1, 5))
    per = 0.5 * 100 * (d["Q1"] - 1) / 4 + 0.5 * 100 * (d["Q2"] - 1) / 4
    assert res.overall == pytest.approx(per.mean())
    assert res.std_error == pytest.approx(per.std(ddof=1) / math.sqrt(3))
    z = 1.959963984540054
    assert res.ci_lower == pytest.approx(per.mean() - z * per.std(ddof=1) / math.sqrt(3))


def test_constant_importance_gives_equal_weights(df):
    d = df.assign(IMP_Q1=4, IMP_Q2=4)
    res = _dual(d, importance=["IMP_Q1", "IMP_Q2"])
    assert res.weights["weight"].tolist() == pytest.approx([0.5, 0.5])
    assert res.overall == pytest.approx((87.5 + 37.5) / 2)
    fixed = _dual(d, importance_method={"Q1": 1, "Q2": 1})
    assert res.std_error == pytest.approx(fixed.std_error)  # constant importance adds no variance


def test_constant_sum(df):
    d = csindex.load_survey(df.assign(IMP_Q1=[60, 50], IMP_Q2=[40, 50]))  # points are not on the 1-5 scale
    res = _dual(d, importance=["IMP_Q1", "IMP_Q2"], importance_method="constant_sum")
    assert res.weights["weight"].tolist() == pytest.approx([0.55, 0.45])
    with pytest.raises(SurveyDataError, match="negative"):
        _dual(csindex.load_survey(df.assign(IMP_Q1=[60, 50], IMP_Q2=[-1, 50])), importance=["IMP_Q1", "IMP_Q2"], importance_method="constant_sum")


def test_sampling_weights(df):
    res = _dual(df, importance=["IMP_Q1", "IMP_Q2"], weights=[1, 3])
    # mean importance 5 and (3 + 3)/4 = 1.5; mean satisfaction (4 + 15)/4, (2 + 9)/4
    assert res.weights["weight"].tolist() == pytest.approx([5 / 6.5, 1.5 / 6.5])
    assert res.index_raw == pytest.approx((5 * 4.75 + 1.5 * 2.75) / 6.5)


def test_improved_i1_aggregate_and_respondent(df):
    res = _dual(df, method="improved")
    c = np.array([4.5 / 5, 2.5 / 3.5])
    w = np.array([5 / 7, 2 / 7])
    assert res.items["score"].tolist() == pytest.approx(c.tolist())
    assert res.index_raw == pytest.approx(w @ c)
    assert res.overall == pytest.approx(100 * w @ c)
    assert res.settings["variant"] == "I1"
    resp = _dual(df, method="improved", aggregation="respondent")
    # respondent 1: C = .8, .5 with importance 5, 3; respondent 2: C = 1, 1
    assert resp.index_raw == pytest.approx(((5 * 0.8 + 3 * 0.5) / 8 + 1.0) / 2)
    assert resp.overall == pytest.approx(100 * resp.index_raw)


def test_improved_i2_gap(df):
    res = _dual(df, method="improved", variant="I2")
    assert res.index_raw == pytest.approx((5 * -0.5 + 2 * -1.0) / 7)
    assert res.overall == pytest.approx(100 * res.index_raw / 4)


def test_ahp_weights_by_hand():
    res = ahp_weights([[1, 3], [1 / 3, 1]], ["a", "b"])
    assert res.weights["weight"].tolist() == pytest.approx([0.75, 0.25])
    assert res.consistency_ratio == 0
    cons = ahp_weights([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]])
    assert cons.weights["weight"].tolist() == pytest.approx([4 / 7, 2 / 7, 1 / 7])
    assert cons.lambda_max == pytest.approx(3.0)
    a = np.array([[1, 3, 0.5], [1 / 3, 1, 0.25], [2, 4, 1]])
    res = ahp_weights(a)
    lam = max(np.linalg.eigvals(a).real)
    assert res.consistency_index == pytest.approx((lam - 3) / 2)
    assert res.consistency_ratio == pytest.approx((lam - 3) / 2 / 0.58)
    bad = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    with pytest.raises(SurveyDataError, match="consistency ratio"):
        ahp_weights(bad)
    assert ahp_weights(bad, max_cr=None).consistency_ratio > 0.1
    with pytest.raises(SurveyDataError, match="not reciprocal"):
        ahp_weights([[1, 2], [2, 1]])


def test_ahp_provider(df):
    mat = pd.DataFrame([[1, 3], [1 / 3, 1]], index=["Q1", "Q2"], columns=["Q1", "Q2"])
    res = _dual(df, importance_method="ahp", ahp_matrix=mat)
    assert res.weights["weight"].tolist() == pytest.approx([0.75, 0.25])
    assert res.overall == pytest.approx(0.75 * 87.5 + 0.25 * 37.5)
    assert res.ahp.consistency_ratio == 0
    with pytest.raises(SurveyDataError, match="ahp_matrix"):
        _dual(df, importance_method="ahp")


def test_derived_provider_uses_driver_shares():
    air = csindex.datasets.airline()
    items = ["SAFE1", "CREW1", "ENT1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = dual_evaluation(air, satisfaction=items, importance_method="derived", target="QUAL")
        dw = csindex.driver_weights(air, target="QUAL", drivers=items)
    assert res.weights["weight"].to_numpy() == pytest.approx(dw.weights["share"].to_numpy())


def test_airline_defaults_from_codebook():
    air = csindex.datasets.airline()
    res = dual_evaluation(air)
    assert len(res.weights) == len(air.pairs("importance"))
    assert res.weights["weight"].sum() == pytest.approx(1.0)
    assert 0 < res.overall < 100 and res.ci_lower < res.overall < res.ci_upper
    assert res.settings["weighted"]


def test_edge_cases(df):
    with pytest.raises(SurveyDataError, match="IMP_Q2"):
        _dual(df.assign(IMP_Q2=np.nan), importance=["IMP_Q1", "IMP_Q2"])
    with pytest.raises(SurveyDataError, match="Q2"):
        _dual(df.assign(Q2=np.nan), importance=["IMP_Q1", "IMP_Q2"])
    with pytest.raises(ValueError, match="importance_method"):
        _dual(df, importance_method="regression")
    one = pd.DataFrame({"Q1": [4], "IMP_Q1": [5]})
    with pytest.warns(InferenceWarning):
        res = dual_evaluation(one, satisfaction=["Q1"], scale=(1, 5))
    assert res.overall == pytest.approx(75.0)


def test_summary_and_plot(df):
    import matplotlib.pyplot as plt

    res = _dual(df)
    assert "unconfirmed" in str(res.summary())
    disp = res.plot()
    assert set(disp.data["name"]) == {"Q1", "Q2"}
    plt.close(disp.figure_)


@pytest.mark.parametrize("method", ["classic", "improved"])
def test_linearised_se_agrees_with_bootstrap(method):
    """The delta-method SE of the D1/I1 index (importance means included) against a plain
    bootstrap of the whole computation."""
    rng = np.random.default_rng(5)
    n = 300
    s = rng.integers(1, 6, (n, 3)).astype(float)
    imp = np.clip(s + rng.integers(-2, 3, (n, 3)), 1, 5).astype(float)
    s[rng.random((n, 3)) < 0.1] = np.nan
    imp[rng.random((n, 3)) < 0.1] = np.nan
    d = pd.DataFrame(np.column_stack([s, imp, rng.integers(2, 6, (n, 3))]),
                     columns=["Q1", "Q2", "Q3", "IMP_Q1", "IMP_Q2", "IMP_Q3", "EXP_Q1", "EXP_Q2", "EXP_Q3"])
    kw = dict(satisfaction=["Q1", "Q2", "Q3"], scale=(1, 5), method=method, weights=False)
    res = dual_evaluation(d, **kw)
    boot = [dual_evaluation(d.iloc[rng.integers(0, n, n)].reset_index(drop=True), **kw).overall for _ in range(200)]
    assert res.std_error == pytest.approx(np.std(boot, ddof=1), rel=0.2)


def test_frequency_table_variant_d3():
    from csindex.scoring.simple import from_frequencies

    # Q1: one answer at each of 3, 4, 5 (mean 4); Q2: two at 2, one at 5 (mean 3)
    # IMP_Q1: all 5 (mean 5); IMP_Q2: 3 and 1 split (mean 2.5 from 1,1 at 2 and 3)
    ft = from_frequencies({"Q1": {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}, "Q2": {1: 0, 2: 2, 3: 0, 4: 0, 5: 1},
                           "IMP_Q1": {1: 0, 2: 0, 3: 0, 4: 0, 5: 3}, "IMP_Q2": {1: 0, 2: 1, 3: 1, 4: 0, 5: 0}},
                          scale=(1, 5))
    res = dual_evaluation(ft, satisfaction=["Q1", "Q2"], importance=["IMP_Q1", "IMP_Q2"])
    assert res.weights["weight"].tolist() == pytest.approx([5 / 7.5, 2.5 / 7.5])
    assert res.index_raw == pytest.approx((5 * 4 + 2.5 * 3) / 7.5)
    assert res.overall == pytest.approx((5 * 75 + 2.5 * 50) / 7.5)
    assert res.settings["variant"] == "D3"
    # same numbers as the respondent-level D1 on the equivalent answers (complete data)
    df = pd.DataFrame({"Q1": [3, 4, 5], "Q2": [2, 2, 5], "IMP_Q1": [5, 5, 5], "IMP_Q2": [2, 3, np.nan]})
    d1 = dual_evaluation(df, satisfaction=["Q1", "Q2"], scale=(1, 5), weights=False)
    assert d1.overall == pytest.approx(res.overall)
    # SE with independent items: W1^2 var(s1) + W2^2 var(s2) + importance terms
    w = np.array([5, 2.5]) / 7.5
    s100 = np.array([75.0, 50.0])
    var_s = np.array([1.0 / 3, 3.0 / 3]) * (100 / 4) ** 2  # sample variances 1 and 3, over n = 3
    var_i = np.array([0.0, 0.5 / 2])
    expected = np.sqrt((w**2 * var_s).sum() + (((s100 - res.overall) / 7.5) ** 2 * var_i).sum())
    assert res.std_error == pytest.approx(expected)
    with pytest.raises(SurveyDataError, match="aggregate"):
        dual_evaluation(ft, satisfaction=["Q1", "Q2"], importance=["IMP_Q1", "IMP_Q2"], aggregation="respondent")


# --------------------------------------------------------------------------- tests that bite (issue 12 §6)
def _delta_se(f, x: np.ndarray) -> float:
    """Linearisation SE of ``f(column means)`` on complete data: sqrt(n/(n-1) Σ u²), u = ∇f·(x − x̄)/n,
    with the gradient by central differences (independent of the package's analytic formulas)."""
    n, q = x.shape
    m = x.mean(axis=0)
    grad = np.array([(f(m + h) - f(m - h)) / 2e-6 for h in np.eye(q) * 1e-6])
    u = (x - m) @ grad / n
    return float(np.sqrt(n / (n - 1) * (u**2).sum()))


@pytest.fixture
def rich() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 40
    return pd.DataFrame({
        "Q1": rng.integers(1, 6, n), "Q2": rng.integers(1, 6, n), "Q3": rng.integers(2, 6, n),
        "IMP_Q1": rng.integers(1, 6, n), "IMP_Q2": rng.integers(1, 6, n), "IMP_Q3": rng.integers(1, 6, n),
        "EXP_Q1": rng.integers(2, 6, n), "EXP_Q2": rng.integers(1, 6, n), "EXP_Q3": rng.integers(3, 6, n),
    }).astype(float)


def _stated(rich, **kw):
    return dual_evaluation(rich, satisfaction=["Q1", "Q2", "Q3"], importance=["IMP_Q1", "IMP_Q2", "IMP_Q3"],
                           expected=["EXP_Q1", "EXP_Q2", "EXP_Q3"], scale=(1, 5), weights=False, **kw)


def test_classic_aggregate_se_by_delta_method(rich):
    x = rich[["Q1", "Q2", "Q3", "IMP_Q1", "IMP_Q2", "IMP_Q3"]].to_numpy()

    def f(m):
        w = m[3:] / m[3:].sum()
        return float(w @ (100 * (m[:3] - 1) / 4))

    res = _stated(rich)
    assert res.overall == pytest.approx(f(x.mean(axis=0)))
    assert res.std_error == pytest.approx(_delta_se(f, x), rel=1e-6)
    assert res.ci_lower == pytest.approx(res.overall - Z_975 * res.std_error)
    assert res.ci_upper == pytest.approx(res.overall + Z_975 * res.std_error)


def test_improved_i2_se_by_delta_method(rich):
    x = rich[["Q1", "Q2", "Q3", "EXP_Q1", "EXP_Q2", "EXP_Q3", "IMP_Q1", "IMP_Q2", "IMP_Q3"]].to_numpy()

    def f(m):
        w = m[6:] / m[6:].sum()
        return float(100 * w @ (m[:3] - m[3:6]) / 4)

    res = _stated(rich, method="improved", variant="I2")
    assert res.overall == pytest.approx(f(x.mean(axis=0)))
    assert res.index_raw == pytest.approx(f(x.mean(axis=0)) * 4 / 100)
    assert res.std_error == pytest.approx(_delta_se(f, x), rel=1e-6)
    assert res.ci_upper - res.ci_lower == pytest.approx(2 * Z_975 * res.std_error)
    assert res.items["score"].tolist() == pytest.approx((x[:, :3].mean(0) - x[:, 3:6].mean(0)).tolist())
    assert res.items["mean_expected"].tolist() == pytest.approx(x[:, 3:6].mean(0).tolist())
    assert res.items["expected_item"].tolist() == ["EXP_Q1", "EXP_Q2", "EXP_Q3"]


def test_improved_i1_se_by_delta_method(rich):
    x = rich[["Q1", "Q2", "Q3", "EXP_Q1", "EXP_Q2", "EXP_Q3", "IMP_Q1", "IMP_Q2", "IMP_Q3"]].to_numpy()

    def f(m):
        w = m[6:] / m[6:].sum()
        return float(100 * w @ (m[:3] / m[3:6]))

    res = _stated(rich, method="improved")
    assert res.overall == pytest.approx(f(x.mean(axis=0)))
    assert res.std_error == pytest.approx(_delta_se(f, x), rel=1e-6)


def test_fixed_weights_delta_se_and_weights_below_one(rich):
    """Explicit weights that do not sum to 1 (0.6, 0.2, 0.2 -> 0.6, 0.2, 0.2; 3, 1, 1 the same)."""
    x = rich[["Q1", "Q2", "Q3"]].to_numpy()
    w = np.array([0.6, 0.2, 0.2])

    def f(m):
        return float(w @ (100 * (m - 1) / 4))

    kw = dict(satisfaction=["Q1", "Q2", "Q3"], scale=(1, 5), weights=False)
    res = dual_evaluation(rich, importance_method={"Q1": 0.6, "Q2": 0.2, "Q3": 0.2}, **kw)
    same = dual_evaluation(rich, importance_method=pd.Series({"Q3": 1.0, "Q2": 1.0, "Q1": 3.0}), **kw)
    assert res.weights["weight"].tolist() == pytest.approx(w.tolist())
    assert res.overall == pytest.approx(f(x.mean(axis=0)))
    assert res.std_error == pytest.approx(_delta_se(f, x), rel=1e-6)
    assert same.overall == pytest.approx(res.overall) and same.std_error == pytest.approx(res.std_error)
    assert res.settings["importance_method"] == "explicit"
    assert res.weights["importance_item"].tolist() == ["", "", ""]
    assert np.isnan(res.weights["mean_importance"]).all()
    small = dual_evaluation(rich, importance_method={"Q1": 0.06, "Q2": 0.02, "Q3": 0.0}, **kw)
    assert small.weights["weight"].tolist() == pytest.approx([0.75, 0.25, 0.0])
    with pytest.raises(SurveyDataError, match="non-negative"):
        dual_evaluation(rich, importance_method={"Q1": 1.0, "Q2": -0.5, "Q3": 1.0}, **kw)
    with pytest.raises(SurveyDataError, match="sum to 0"):
        dual_evaluation(rich, importance_method={"Q1": 0.0, "Q2": 0.0, "Q3": 0.0}, **kw)
    with pytest.raises(SurveyDataError, match="Q3"):
        dual_evaluation(rich, importance_method={"Q1": 1.0, "Q2": 1.0}, **kw)


def test_respondent_aggregation_with_fixed_weights_and_t_interval(rich):
    kw = dict(satisfaction=["Q1", "Q2", "Q3"], scale=(1, 5), weights=False, aggregation="respondent")
    res = dual_evaluation(rich, importance_method={"Q1": 2.0, "Q2": 1.0, "Q3": 1.0}, **kw)
    csi = (100 * (rich[["Q1", "Q2", "Q3"]].to_numpy() - 1) / 4) @ np.array([0.5, 0.25, 0.25])
    n = len(csi)
    se = csi.std(ddof=1) / math.sqrt(n)
    t = 2.0226909117347285  # t quantile, 39 df
    assert res.overall == pytest.approx(csi.mean())
    assert res.std_error == pytest.approx(se)
    assert res.ci_lower == pytest.approx(csi.mean() - t * se)
    assert res.ci_upper == pytest.approx(csi.mean() + t * se)
    assert res.weights["weight"].tolist() == pytest.approx([0.5, 0.25, 0.25])
    assert res.settings["variant"] == "D2" and res.settings["n_used"] == n


def test_improved_respondent_i2_and_i1(rich):
    x = rich[["Q1", "Q2", "Q3"]].to_numpy()
    e = rich[["EXP_Q1", "EXP_Q2", "EXP_Q3"]].to_numpy()
    imp = rich[["IMP_Q1", "IMP_Q2", "IMP_Q3"]].to_numpy()
    share = imp / imp.sum(axis=1, keepdims=True)
    gap = (share * (x - e)).sum(axis=1)
    res = _stated(rich, method="improved", variant="I2", aggregation="respondent")
    assert res.index_raw == pytest.approx(gap.mean())
    assert res.overall == pytest.approx(100 * gap.mean() / 4)
    assert res.std_error == pytest.approx(100 / 4 * gap.std(ddof=1) / math.sqrt(len(gap)))
    assert res.items["score"].tolist() == pytest.approx((x - e).mean(axis=0).tolist())
    assert res.weights["weight"].tolist() == pytest.approx(share.mean(axis=0).tolist())
    ratio = (share * (x / e)).sum(axis=1)
    r1 = _stated(rich, method="improved", aggregation="respondent")
    assert r1.index_raw == pytest.approx(ratio.mean())
    assert r1.overall == pytest.approx(100 * ratio.mean())
    assert r1.std_error == pytest.approx(100 * ratio.std(ddof=1) / math.sqrt(len(ratio)))


def _freq():
    from csindex.scoring.simple import from_frequencies

    # Q1: 3, 4, 5; Q2: 2, 2, 5; EXP_Q1: 4, 4, 5; EXP_Q2: 3, 3, 3; IMP_Q1: 5 x3; IMP_Q2: 2, 3
    return from_frequencies({"Q1": {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}, "Q2": {1: 0, 2: 2, 3: 0, 4: 0, 5: 1},
                             "EXP_Q1": {1: 0, 2: 0, 3: 0, 4: 2, 5: 1}, "EXP_Q2": {1: 0, 2: 0, 3: 3, 4: 0, 5: 0},
                             "IMP_Q1": {1: 0, 2: 0, 3: 0, 4: 0, 5: 3}, "IMP_Q2": {1: 0, 2: 1, 3: 1, 4: 0, 5: 0}},
                            scale=(1, 5))


def test_frequency_table_improved_variances_by_hand():
    ft = _freq()
    ms, me = np.array([4.0, 3.0]), np.array([13 / 3, 3.0])
    vs = np.array([1.0, 3.0]) / 3  # sample variances over n = 3
    ve = np.array([1 / 3, 0.0]) / 3
    mi, vi = np.array([5.0, 2.5]), np.array([0.0, 0.5 / 2])
    w = mi / mi.sum()
    kw = dict(satisfaction=["Q1", "Q2"], importance=["IMP_Q1", "IMP_Q2"], expected=["EXP_Q1", "EXP_Q2"],
              method="improved")
    i2 = dual_evaluation(ft, variant="I2", **kw)
    gap = ms - me
    raw = w @ gap
    var = (w**2 * (vs + ve)).sum() + (((gap - raw) / mi.sum()) ** 2 * vi).sum()
    assert i2.index_raw == pytest.approx(raw)
    assert i2.overall == pytest.approx(100 * raw / 4)
    assert i2.std_error == pytest.approx(100 / 4 * math.sqrt(var))
    assert i2.ci_lower == pytest.approx(i2.overall - Z_975 * i2.std_error)
    assert i2.settings["variant"] == "I2" and i2.settings["source"] == "frequencies"
    i1 = dual_evaluation(ft, **kw)
    c = ms / me
    raw1 = w @ c
    var1 = (w**2 * (vs / me**2 + ve * ms**2 / me**4)).sum() + (((c - raw1) / mi.sum()) ** 2 * vi).sum()
    assert i1.index_raw == pytest.approx(raw1)
    assert i1.overall == pytest.approx(100 * raw1)
    assert i1.std_error == pytest.approx(100 * math.sqrt(var1))
    assert i1.ci_upper == pytest.approx(i1.overall + Z_975 * i1.std_error)
    assert i1.items["mean_expected"].tolist() == pytest.approx(me.tolist())
    assert i1.items["n"].tolist() == [3, 3]


def test_frequency_table_fixed_weights():
    ft = _freq()
    ex = dual_evaluation(ft, satisfaction=["Q1", "Q2"], importance_method={"Q1": 0.3, "Q2": 0.1})
    w = np.array([0.75, 0.25])
    s100 = np.array([75.0, 50.0])
    vs = np.array([1.0, 3.0]) / 3 * (100 / 4) ** 2
    assert ex.overall == pytest.approx(w @ s100)
    assert ex.std_error == pytest.approx(math.sqrt((w**2 * vs).sum()))
    ahp = dual_evaluation(ft, satisfaction=["Q1", "Q2"], importance_method="ahp", ahp_matrix=[[1, 3], [1 / 3, 1]])
    assert ahp.overall == pytest.approx(ex.overall) and ahp.ahp is not None
    with pytest.raises(SurveyDataError, match="non-negative"):
        dual_evaluation(ft, satisfaction=["Q1", "Q2"], importance_method={"Q1": 0.3, "Q2": -0.1})
    with pytest.raises(SurveyDataError, match="ahp_matrix"):
        dual_evaluation(ft, satisfaction=["Q1", "Q2"], importance_method="ahp")
    with pytest.raises(SurveyDataError, match="expected="):
        dual_evaluation(ft, satisfaction=["Q1", "Q2"], importance=["IMP_Q1", "IMP_Q2"], method="improved")
    with pytest.raises(SurveyDataError, match="respondent-level"):
        dual_evaluation(ft, satisfaction=["Q1", "Q2"], importance_method="constant_sum")
    with pytest.raises(SurveyDataError, match="no rows"):
        dual_evaluation(ft, satisfaction=["Q1", "Q9"], importance=["IMP_Q1", "IMP_Q2"])


def test_weighted_aggregate_se_scales_with_weights(rich):
    """Sampling weights: the index is the weighted one; multiplying every weight by a constant
    changes nothing; integer weights equal repeating the rows in the index (not in the SE)."""
    w = np.tile([1.0, 2.0], len(rich) // 2)
    kw = dict(satisfaction=["Q1", "Q2", "Q3"], importance=["IMP_Q1", "IMP_Q2", "IMP_Q3"], scale=(1, 5))
    r1 = dual_evaluation(rich, weights=w, **kw)
    r2 = dual_evaluation(rich, weights=5 * w, **kw)
    rep = dual_evaluation(rich.loc[rich.index.repeat(w.astype(int))].reset_index(drop=True), weights=False, **kw)
    assert r1.overall == pytest.approx(rep.overall)
    assert r1.overall == pytest.approx(r2.overall) and r1.std_error == pytest.approx(r2.std_error)
    assert r1.settings["weighted"] and not rep.settings["weighted"]
    assert r1.std_error > rep.std_error  # fewer independent respondents than the repeated frame


def test_nonpositive_expectations_are_left_out_and_counted():
    df = pd.DataFrame({"Q1": [4, 5, 3], "Q2": [2, 3, 4], "IMP_Q1": [5, 5, 5], "IMP_Q2": [3, 1, 2],
                       "EXP_Q1": [5, 0, 3], "EXP_Q2": [4, 3, 4]})
    from csindex.exceptions import MissingDataWarning

    with pytest.warns(MissingDataWarning, match="1 expectation ratings are <= 0"):
        res = dual_evaluation(df, satisfaction=["Q1", "Q2"], expected=["EXP_Q1", "EXP_Q2"], method="improved",
                              scale=(0, 5))
    it = res.items.set_index("item")
    assert it.loc["Q1", "n"] == 2 and it.loc["Q2", "n"] == 3
    assert it.loc["Q1", "score"] == pytest.approx(7 / 8)  # (4 + 3)/(5 + 3): row 2 left out
    i2 = dual_evaluation(df, satisfaction=["Q1", "Q2"], expected=["EXP_Q1", "EXP_Q2"], method="improved",
                         variant="I2", scale=(0, 5))
    assert i2.items.set_index("item").loc["Q1", "n"] == 3  # a gap is defined for E = 0


@pytest.mark.parametrize("kw", [
    dict(method="classic"), dict(method="classic", aggregation="respondent"),
    dict(method="improved"), dict(method="improved", variant="I2", aggregation="respondent"),
    dict(method="classic", importance_method="constant_sum"),
])
def test_row_blocks_give_the_same_numbers(monkeypatch, kw):
    """600 respondents read in blocks of 256 rows (both passes): the same index, SE and counts."""
    import csindex.scoring._common as common

    rng = np.random.default_rng(4)
    cols = ["Q1", "Q2", "IMP_Q1", "IMP_Q2", "EXP_Q1", "EXP_Q2"]
    df = pd.DataFrame(rng.integers(1, 6, (600, 6)), columns=cols).astype(float)
    df.loc[rng.random(600) < 0.1, "Q2"] = np.nan
    df.loc[:9, ["Q1", "Q2"]] = np.nan  # ten respondents answer nothing
    args = dict(satisfaction=["Q1", "Q2"], importance=["IMP_Q1", "IMP_Q2"], expected=["EXP_Q1", "EXP_Q2"],
                scale=(1, 5), weights=rng.uniform(0.5, 2, 600), **kw)
    one = dual_evaluation(df, **args)
    monkeypatch.setattr(common, "CHUNK_ELEMENTS", 1)
    blocks = dual_evaluation(df, **args)
    assert blocks.overall == pytest.approx(one.overall, rel=1e-12)
    assert blocks.std_error == pytest.approx(one.std_error, rel=1e-10)
    pd.testing.assert_frame_equal(one.items, blocks.items, rtol=1e-12)
    assert blocks.settings == one.settings
    assert blocks.settings["n_used"] == 590 and blocks.settings["n_dropped"] == 10


def test_ahp_edges_tolerance_numeric_text_and_large_matrices():
    # reciprocity is checked to 0.1 %: 2 x 0.51 = 1.02 is refused, 2 x 0.5004 = 1.0008 accepted
    with pytest.raises(SurveyDataError, match="not reciprocal"):
        ahp_weights([[1, 2], [0.51, 1]])
    assert ahp_weights([[1, 2], [0.5004, 1]]).weights["weight"].iloc[0] == pytest.approx(2 / 3, abs=1e-3)
    # numeric text (a matrix read from a CSV) is read as numbers
    txt = ahp_weights([["1", "2"], ["0.5", "1"]], ["a", "b"])
    assert txt.weights["weight"].tolist() == pytest.approx([2 / 3, 1 / 3])
    # beyond Saaty's table (n > 15) the last random index, 1.59, is used
    rng = np.random.default_rng(0)
    n = 16
    v = rng.uniform(1, 9, n)
    a = np.outer(v, 1 / v)
    a[0, 1] *= 1.5
    a[1, 0] = 1 / a[0, 1]
    res = ahp_weights(a, max_cr=None)
    lam = max(np.linalg.eigvals(a).real)
    assert res.consistency_index == pytest.approx((lam - n) / (n - 1))
    assert res.consistency_ratio == pytest.approx((lam - n) / (n - 1) / 1.59)
    assert res.consistency_ratio > 0
    assert res.settings["n_used"] == n and res.settings["max_cr"] is None


def test_frequency_table_ahp_max_cr_and_tables():
    ft = _freq()
    two = [[1, 9], [1 / 9, 1]]  # two attributes are always consistent (CR = 0)
    assert dual_evaluation(ft, satisfaction=["Q1", "Q2"], importance_method="ahp", ahp_matrix=two).ahp is not None
    from csindex.scoring.simple import from_frequencies

    ft3 = from_frequencies({"Q1": {1: 0, 2: 1, 3: 1}, "Q2": {1: 1, 2: 1, 3: 0}, "Q3": {1: 0, 2: 0, 3: 2}},
                           scale=(1, 3))
    incons = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    with pytest.raises(SurveyDataError, match="consistency ratio"):
        dual_evaluation(ft3, satisfaction=["Q1", "Q2", "Q3"], importance_method="ahp", ahp_matrix=incons)
    ok = dual_evaluation(ft3, satisfaction=["Q1", "Q2", "Q3"], importance_method="ahp", ahp_matrix=incons,
                         max_cr=None, confidence=0.9)
    assert ok.weights["weight"].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3])
    assert ok.settings["confidence"] == 0.9 and ok.settings["variant"] == "D3"
    z90 = 1.6448536269514722
    assert ok.ci_upper - ok.ci_lower == pytest.approx(2 * z90 * ok.std_error)
    stated = dual_evaluation(ft, satisfaction=["Q1", "Q2"], importance=["IMP_Q1", "IMP_Q2"])
    wt = stated.weights.set_index("item")
    assert wt["importance_item"].tolist() == ["IMP_Q1", "IMP_Q2"]
    assert wt["mean_importance"].tolist() == pytest.approx([5.0, 2.5])
    assert stated.items["contribution"].tolist() == pytest.approx((wt["weight"] * stated.items["score"].to_numpy()).tolist())
    assert stated.settings["importance_method"] == "stated" and stated.settings["weighted"] is False


def test_aggregate_se_with_missing_answers_by_available_case_delta_method(rich):
    """With missing answers every item mean has its own respondents: the influence of a
    respondent on mean j is (x - mean_j) / n_j over the respondents who answered j."""
    rng = np.random.default_rng(8)
    d = rich.copy()
    cols = ["Q1", "Q2", "Q3", "IMP_Q1", "IMP_Q2", "IMP_Q3"]
    for c, share in zip(cols, (0.1, 0.2, 0.0, 0.3, 0.05, 0.15)):
        d.loc[rng.random(len(d)) < share, c] = np.nan
    d.loc[d[["Q1", "Q2", "Q3"]].isna().all(axis=1), "Q3"] = 3.0  # everyone answers something
    x = d[cols].to_numpy()
    m = np.nanmean(x, axis=0)
    cnt = (~np.isnan(x)).sum(axis=0)

    def f(mm):
        w = mm[3:] / mm[3:].sum()
        return float(w @ (100 * (mm[:3] - 1) / 4))

    grad = np.array([(f(m + h) - f(m - h)) / 2e-6 for h in np.eye(6) * 1e-6])
    u = np.nansum((x - m) / cnt * grad, axis=1)
    n = len(x)
    se = float(np.sqrt(n / (n - 1) * (u**2).sum()))
    res = dual_evaluation(d, satisfaction=["Q1", "Q2", "Q3"], importance=["IMP_Q1", "IMP_Q2", "IMP_Q3"],
                          scale=(1, 5), weights=False)
    assert res.overall == pytest.approx(f(m))
    assert res.std_error == pytest.approx(se, rel=1e-6)
    assert res.weights["mean_importance"].tolist() == pytest.approx(m[3:].tolist())
    assert res.items["n"].tolist() == cnt[:3].tolist()


def test_frequency_table_tables_and_checks():
    ft = _freq()
    kw = dict(satisfaction=["Q1", "Q2"], importance=["IMP_Q1", "IMP_Q2"])
    stated = dual_evaluation(ft, **kw)
    assert stated.ahp is None
    assert stated.settings["note"].startswith("frequency tables carry no link between items")
    assert stated.settings["note"].endswith("independent")
    imp = dual_evaluation(ft, expected=["EXP_Q1", "EXP_Q2"], method="improved", **kw)
    assert imp.items["expected_item"].tolist() == ["EXP_Q1", "EXP_Q2"]
    with pytest.raises(SurveyDataError, match="importance= with one row per satisfaction row"):
        dual_evaluation(ft, satisfaction=["Q1", "Q2"], importance=["IMP_Q1"])
    with pytest.raises(SurveyDataError, match="expected= \\(one row per item\\)"):
        dual_evaluation(ft, expected=["EXP_Q1"], method="improved", **kw)
    with pytest.raises(SurveyDataError, match="needs satisfaction="):
        dual_evaluation(ft, importance=["IMP_Q1", "IMP_Q2"])


def test_ahp_default_max_cr_names_and_settings():
    mid = [[1, 2, 1 / 2], [1 / 2, 1, 2], [2, 1 / 2, 1]]  # CR = 0.43
    with pytest.raises(SurveyDataError, match="consistency ratio 0.431 > 0.1"):
        ahp_weights(mid)
    res = ahp_weights(mid, max_cr=0.5)
    assert res.consistency_ratio == pytest.approx(0.431034, abs=1e-6)
    assert res.settings == {"n_used": 3, "n_dropped": 0, "seed": None, "max_cr": 0.5}
    mat = pd.DataFrame([[1, 3], [1 / 3, 1]], index=["x", "y"], columns=["x", "y"])
    assert ahp_weights(mat).weights["attribute"].tolist() == ["x", "y"]
    assert ahp_weights(mat, ["crew", "food"]).weights["attribute"].tolist() == ["crew", "food"]
    assert ahp_weights([[1, 3], [1 / 3, 1]]).weights["attribute"].tolist() == ["0", "1"]
    with pytest.raises(SurveyDataError, match="2 rows but 3 names"):
        ahp_weights([[1, 3], [1 / 3, 1]], ["a", "b", "c"])
    with pytest.raises(SurveyDataError, match="square"):
        ahp_weights([[1, 3, 1]])
    with pytest.raises(SurveyDataError, match="positive numbers"):
        ahp_weights([[1, -3], [-1 / 3, 1]])


def test_zero_weights_drop_respondents_and_named_errors(rich):
    kw = dict(satisfaction=["Q1", "Q2", "Q3"], importance=["IMP_Q1", "IMP_Q2", "IMP_Q3"], scale=(1, 5))
    w = np.ones(len(rich))
    w[:5] = 0.0  # zero-weight respondents count for nothing, not even in the n/(n-1) correction
    zero = dual_evaluation(rich, weights=w, **kw)
    dropped = dual_evaluation(rich.iloc[5:].reset_index(drop=True), weights=False, **kw)
    assert zero.overall == pytest.approx(dropped.overall)
    assert zero.std_error == pytest.approx(dropped.std_error, rel=1e-12)
    with pytest.raises(SurveyDataError, match="importance items passed to dual_evaluation name columns.*'IMP_Q9'"):
        dual_evaluation(rich, satisfaction=["Q1"], importance=["IMP_Q9"], scale=(1, 5))
    with pytest.raises(SurveyDataError, match="positive numbers"):
        ahp_weights([[1, 0], [0, 1]])


def test_ahp_matrix_as_dataframe_is_read_by_its_labels(df):
    # the matrix lists Q2 first: its labels, not the satisfaction order, decide which weight is whose
    mat = pd.DataFrame([[1, 1 / 3], [3, 1]], index=["Q2", "Q1"], columns=["Q2", "Q1"])
    res = _dual(df, importance_method="ahp", ahp_matrix=mat)
    assert res.weights.set_index("item")["weight"].to_dict() == pytest.approx({"Q1": 0.75, "Q2": 0.25})


def test_index_table_and_settings_of_the_frequency_variant():
    from csindex.scoring.simple import from_frequencies

    ft = from_frequencies({"Q1": {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}, "Q2": {1: 0, 2: 2, 3: 0, 4: 0, 5: 1},
                           "IMP_Q1": {1: 0, 2: 0, 3: 0, 4: 0, 5: 3}, "IMP_Q2": {1: 0, 2: 1, 3: 1, 4: 0, 5: 0}},
                          scale=(1, 5))
    res = dual_evaluation(ft, satisfaction=["Q1", "Q2"], importance=["IMP_Q1", "IMP_Q2"])
    assert res.settings["n_used"] == 3 and res.settings["n_dropped"] == 0
    assert res.index["construct"].tolist() == ["overall"]
    assert res.index["index"].iloc[0] == pytest.approx(res.overall)


def test_respondent_with_zero_importance_everywhere_carries_no_weight():
    # 0-10 importance: respondent 3 rates every attribute 0, so D2 has no weights for them
    base = pd.DataFrame({"Q1": [8, 6], "Q2": [4, 6], "IMP_Q1": [6, 2], "IMP_Q2": [2, 6]})
    extra = pd.concat([base, pd.DataFrame({"Q1": [10], "Q2": [0], "IMP_Q1": [0], "IMP_Q2": [0]})],
                      ignore_index=True)
    kw = dict(satisfaction=["Q1", "Q2"], importance=["IMP_Q1", "IMP_Q2"], scale=(0, 10), aggregation="respondent",
              weights=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = dual_evaluation(base, **kw)
        b = dual_evaluation(extra, **kw)
    assert b.weights["weight"].to_numpy() == pytest.approx(a.weights["weight"].to_numpy())
    assert b.overall == pytest.approx(a.overall)  # not pulled towards 0 by a weightless respondent


def test_frequency_table_ahp_matrix_as_dataframe_is_read_by_its_labels():
    # the frequency path too: the matrix lists Q2 first, its labels decide whose weight is whose
    mat = pd.DataFrame([[1, 1 / 3], [3, 1]], index=["Q2", "Q1"], columns=["Q2", "Q1"])
    res = dual_evaluation(_freq(), satisfaction=["Q1", "Q2"], importance_method="ahp", ahp_matrix=mat)
    assert res.weights.set_index("item")["weight"].to_dict() == pytest.approx({"Q1": 0.75, "Q2": 0.25})
    assert res.overall == pytest.approx(0.75 * 75.0 + 0.25 * 50.0)  # item scores 75 and 50 (means 4 and 3)


def test_satisfaction_items_come_from_the_codebook_pairs_only_without_importance_items(df):
    # fixed weights need no importance ratings: the codebook's pairs (Q1-IMP_Q1, Q2-IMP_Q2) name the items
    fixed = {"Q1": 0.75, "Q2": 0.25}
    res = dual_evaluation(df, importance_method=fixed, scale=(1, 5))
    assert res.items["item"].tolist() == ["Q1", "Q2"]
    assert res.overall == pytest.approx(_dual(df, importance_method=fixed).overall)
    assert res.overall == pytest.approx(0.75 * 87.5 + 0.25 * 37.5)
    # importance items given but not used by the method: which satisfaction items they go with is unsaid
    with pytest.raises(SurveyDataError, match="needs satisfaction="):
        dual_evaluation(df, importance=["IMP_Q1", "IMP_Q2"], importance_method=fixed, scale=(1, 5))


def test_constant_sum_respondent_giving_no_points_has_no_importance():
    # respondents 1-2 split 100 points 60/40 and 20/80; respondent 3 gives 0 points to both
    d = csindex.load_survey(pd.DataFrame({"Q1": [4, 5, 3], "Q2": [2, 3, 1], "IMP_Q1": [60, 20, 0],
                                          "IMP_Q2": [40, 80, 0]}))  # points are not on the 1-5 scale
    kw = dict(satisfaction=["Q1", "Q2"], importance=["IMP_Q1", "IMP_Q2"], importance_method="constant_sum",
              scale=(1, 5), weights=False)
    res = dual_evaluation(d, **kw)
    wt = res.weights.set_index("item")
    assert wt["mean_importance"].tolist() == pytest.approx([0.4, 0.6])  # shares of respondents 1-2 only
    assert wt["weight"].tolist() == pytest.approx([0.4, 0.6])
    assert res.overall == pytest.approx(0.4 * 100 * (4 - 1) / 4 + 0.6 * 100 * (2 - 1) / 4)
