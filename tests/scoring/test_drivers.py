"""Driver weights: hand-computed cases, invariants, statsmodels brute force, parameter recovery."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import csindex
from csindex.exceptions import CollinearityWarning, SurveyDataError
from csindex.scoring.drivers import (
    dominance_from_r2,
    driver_weights,
    relative_weights,
    shapley_from_r2,
    subset_r2,
)

R2X = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.4], [0.6, 0.4, 1.0]])  # r12 = .5, r1y = .6, r2y = .4


def test_two_driver_shapley_and_dominance_by_hand():
    r2 = subset_r2(R2X)
    full = (0.36 + 0.16 - 2 * 0.6 * 0.4 * 0.5) / (1 - 0.25)
    assert r2 == pytest.approx([0.0, 0.36, 0.16, full])
    sh = shapley_from_r2(r2, 2)
    assert sh == pytest.approx([0.5 * 0.36 + 0.5 * (full - 0.16), 0.5 * 0.16 + 0.5 * (full - 0.36)])
    cond, gen, comp = dominance_from_r2(r2, 2)
    assert cond[0] == pytest.approx([0.36, full - 0.16])
    assert cond[1] == pytest.approx([0.16, full - 0.36])
    assert gen == pytest.approx(sh)
    assert comp.tolist() == [[False, True], [False, False]]


def test_two_driver_relative_weights_closed_form():
    rho, r1, r2 = 0.5, 0.6, 0.4
    a = (math.sqrt(1 + rho) + math.sqrt(1 - rho)) / 2  # Lambda* = [[a, c], [c, a]]
    c = (math.sqrt(1 + rho) - math.sqrt(1 - rho)) / 2
    det = a * a - c * c
    b1, b2 = (a * r1 - c * r2) / det, (a * r2 - c * r1) / det
    expected = [a * a * b1**2 + c * c * b2**2, c * c * b1**2 + a * a * b2**2]
    assert relative_weights(R2X) == pytest.approx(expected, abs=1e-12)


@pytest.fixture
def orthogonal() -> pd.DataFrame:
    # x1, x2 uncorrelated, y = 1.5 + x1 + .5 x2 exactly: r1^2 = .8, r2^2 = .2, R^2 = 1
    return pd.DataFrame({"X1": [1, -1, 1, -1], "Z1": [1, 1, -1, -1], "Y1": [3, 1, 2, 0]})


@pytest.mark.parametrize("method,expected", [
    ("shapley", [0.8, 0.2]), ("relative_weights", [0.8, 0.2]), ("pratt", [0.8, 0.2]),
    ("dominance", [0.8, 0.2]), ("ols", [math.sqrt(0.8), math.sqrt(0.2)]),
])
def test_orthogonal_drivers_by_hand(orthogonal, method, expected):
    res = driver_weights(orthogonal, target="Y1", drivers=["X1", "Z1"], method=method, scale=(-1, 3))
    assert res.weights["weight"].tolist() == pytest.approx(expected)
    assert res.r_squared["r_squared"].iloc[0] == pytest.approx(1.0)
    assert res.weights["share"].sum() == pytest.approx(1.0)
    assert res.regression.set_index("term").loc["X1", "coefficient"] == pytest.approx(1.0)
    assert res.regression.set_index("term").loc["Z1", "coefficient"] == pytest.approx(0.5)
    assert res.regression.set_index("term").loc["intercept", "coefficient"] == pytest.approx(1.5)
    assert res.regression.set_index("term").loc["X1", "vif"] == pytest.approx(1.0)


def _random_corr(seed: int, p: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(p + 1, p + 1)) * rng.uniform(0.2, 2.0)
    data = rng.normal(size=(60, p + 1)) @ mix
    return np.corrcoef(data, rowvar=False)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 7))
def test_shapley_equals_general_dominance_and_sums_to_r2(seed, p):
    corr = _random_corr(seed, p)
    r2 = subset_r2(corr)
    full = corr[:p, p] @ np.linalg.solve(corr[:p, :p], corr[:p, p])
    sh = shapley_from_r2(r2, p)
    _, gen, _ = dominance_from_r2(r2, p)
    assert sh == pytest.approx(gen, abs=1e-10)
    assert sh.sum() == pytest.approx(full, abs=1e-10)
    assert r2[-1] == pytest.approx(full, abs=1e-10)
    assert relative_weights(corr).sum() == pytest.approx(full, abs=1e-10)
    assert (relative_weights(corr) >= -1e-12).all()


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 5))
def test_batched_equals_single(seed, p):
    stack = np.stack([_random_corr(seed + i, p) for i in range(3)])
    r2 = subset_r2(stack)
    for i in range(3):
        assert r2[i] == pytest.approx(subset_r2(stack[i]), abs=1e-12)
    rw = relative_weights(stack)
    assert rw[1] == pytest.approx(relative_weights(stack[1]), abs=1e-12)


# --------------------------------------------------------------------------- independent implementation
SAT_DRIVERS = ["imag1", "imag2", "imag3", "expe1", "qual1", "qual2", "val1", "val2"]


def _brute_force_lmg(df, target, drivers, w=None):
    """LMG from statsmodels fits of every subset, averaged over orderings by the subset formula."""
    import statsmodels.api as sm

    p = len(drivers)
    y = df[target].to_numpy(float)
    r2 = {(): 0.0}
    for k in range(1, p + 1):
        for sub in itertools.combinations(range(p), k):
            x = sm.add_constant(df[[drivers[j] for j in sub]].to_numpy(float))
            fit = sm.OLS(y, x).fit() if w is None else sm.WLS(y, x, weights=w).fit()
            r2[sub] = fit.rsquared
    out = []
    for j in range(p):
        others = [i for i in range(p) if i != j]
        tot = 0.0
        for k in range(p):
            for sub in itertools.combinations(others, k):
                with_j = tuple(sorted((*sub, j)))
                tot += math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p) * (r2[with_j] - r2[sub])
        out.append(tot)
    return np.array(out), r2[tuple(range(p))]


def test_shapley_matches_statsmodels_brute_force(satisfaction_data):
    lmg, full = _brute_force_lmg(satisfaction_data, "sat1", SAT_DRIVERS)
    res = driver_weights(satisfaction_data, target="sat1", drivers=SAT_DRIVERS, method="shapley")
    assert np.abs(res.weights["weight"].to_numpy() - lmg).max() < 1e-8
    assert abs(res.r_squared["r_squared"].iloc[0] - full) < 1e-8


def test_weighted_shapley_matches_statsmodels_wls(satisfaction_data):
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(satisfaction_data))
    drivers = SAT_DRIVERS[:5]
    lmg, full = _brute_force_lmg(satisfaction_data, "sat1", drivers, w=w)
    res = driver_weights(satisfaction_data, target="sat1", drivers=drivers, weights=w)
    assert np.abs(res.weights["weight"].to_numpy() - lmg).max() < 1e-8
    assert abs(res.r_squared["r_squared"].iloc[0] - full) < 1e-8


def test_relative_weights_match_johnson_regressions(satisfaction_data):
    """Johnson (2000) done the long way: orthogonal Z = U V' from the SVD of the standardised
    drivers, y regressed on Z and each driver regressed on Z with statsmodels."""
    import statsmodels.api as sm

    x = satisfaction_data[SAT_DRIVERS].to_numpy(float)
    y = satisfaction_data["sat1"].to_numpy(float)
    xs = (x - x.mean(0)) / x.std(0)
    ys = (y - y.mean()) / y.std()
    u, _, vt = np.linalg.svd(xs, full_matrices=False)
    zmat = u @ vt * math.sqrt(len(x))
    beta = sm.OLS(ys, zmat).fit().params
    lam = np.column_stack([sm.OLS(xs[:, j], zmat).fit().params for j in range(len(SAT_DRIVERS))]).T
    eps = (lam**2) @ (beta**2)
    res = driver_weights(satisfaction_data, target="sat1", drivers=SAT_DRIVERS, method="relative_weights")
    assert np.abs(res.weights["weight"].to_numpy() - eps).max() < 1e-8


def test_regression_table_matches_statsmodels(satisfaction_data):
    import statsmodels.api as sm

    w = np.random.default_rng(5).uniform(0.5, 2.0, len(satisfaction_data))
    x = sm.add_constant(satisfaction_data[SAT_DRIVERS].to_numpy(float))
    y = satisfaction_data["sat1"].to_numpy(float)
    for wt in (None, w):
        fit = sm.OLS(y, x).fit() if wt is None else sm.WLS(y, x, weights=wt).fit()
        res = driver_weights(satisfaction_data, target="sat1", drivers=SAT_DRIVERS, method="ols",
                             weights=False if wt is None else wt)
        reg = res.regression
        assert reg["coefficient"].to_numpy() == pytest.approx(fit.params, abs=1e-9)
        assert reg["std_error"].to_numpy() == pytest.approx(fit.bse, rel=1e-8)
        assert reg["p_value"].to_numpy() == pytest.approx(fit.pvalues, rel=1e-6, abs=1e-12)
        assert res.r_squared["r_squared"].iloc[0] == pytest.approx(fit.rsquared, abs=1e-10)
        if wt is None:  # VIF: statsmodels' auxiliary regressions (with a constant) vs the inverse correlation
            from statsmodels.stats.outliers_influence import variance_inflation_factor

            vif = [variance_inflation_factor(x, j) for j in range(1, x.shape[1])]
            assert reg["vif"].to_numpy()[1:] == pytest.approx(vif, rel=1e-9)


def test_sampling_weights_equal_replicated_rows(satisfaction_data):
    df = satisfaction_data.iloc[:60].reset_index(drop=True)
    reps = np.random.default_rng(0).integers(1, 4, len(df))
    big = df.loc[df.index.repeat(reps)].reset_index(drop=True)
    a = driver_weights(df, target="sat1", drivers=SAT_DRIVERS[:4], weights=reps.astype(float))
    b = driver_weights(big, target="sat1", drivers=SAT_DRIVERS[:4])
    assert a.weights["weight"].to_numpy() == pytest.approx(b.weights["weight"].to_numpy(), abs=1e-12)
    assert a.regression["coefficient"].to_numpy() == pytest.approx(b.regression["coefficient"].to_numpy())


# --------------------------------------------------------------------------- recovery on the bundled sample
def test_airline_ranking_recovers_generator_order():
    """Truth (docs/dev/contracts.md): rho SAFE .85, CREW .80, PUNC .70, CABN .55, CATR .40, ENT .25.
    Clearly separated (gap >= .10): CREW > PUNC > CABN > CATR > ENT, and SAFE above PUNC;
    SAFE vs CREW (gap .05) is not asserted."""
    air = csindex.datasets.airline()
    dims = ["SAFE", "CREW", "PUNC", "CABN", "CATR", "ENT"]
    for target in ("QUAL", "SAT"):
        res = driver_weights(air, target=target, drivers=dims, method="shapley")
        w = res.weights.set_index("driver")["weight"]
        assert min(w["SAFE"], w["CREW"]) > w["PUNC"] > w["CABN"] > w["CATR"] > w["ENT"]
        assert set(res.weights["driver"][res.weights["rank"] <= 2]) == {"SAFE", "CREW"}


def test_dominance_tables_on_airline():
    air = csindex.datasets.airline()
    res = driver_weights(air, target="QUAL", drivers=["SAFE", "PUNC", "ENT"], method="dominance")
    sh = driver_weights(air, target="QUAL", drivers=["SAFE", "PUNC", "ENT"], method="shapley")
    assert res.weights["weight"].to_numpy() == pytest.approx(sh.weights["weight"].to_numpy(), abs=1e-12)
    assert res.conditional_dominance.mean(axis=1).to_numpy() == pytest.approx(res.weights["weight"].to_numpy())
    assert bool(res.complete_dominance.loc["SAFE", "ENT"]) and not bool(res.complete_dominance.loc["ENT", "SAFE"])
    assert "Complete dominance" in str(res.summary())


# --------------------------------------------------------------------------- options and errors
def test_bootstrap_seeded_and_covering(satisfaction_data):
    kw = dict(target="sat1", drivers=SAT_DRIVERS[:4], bootstrap=200, seed=11)
    a = driver_weights(satisfaction_data, **kw)
    b = driver_weights(satisfaction_data, **kw)
    pd.testing.assert_frame_equal(a.weights, b.weights)
    t = a.weights
    assert ((t["ci_lower"] <= t["weight"]) & (t["weight"] <= t["ci_upper"])).all()
    assert ((t["share_ci_lower"] <= t["share"]) & (t["share"] <= t["share_ci_upper"])).all()
    lo, hi = a.settings["r_squared_ci"]
    assert lo < a.r_squared["r_squared"].iloc[0] < hi
    assert a.settings["seed"] == 11


def test_constant_driver_named():
    df = pd.DataFrame({"A1": [1, 2, 3, 4, 5], "B1": [3, 3, 3, 3, 3], "Y1": [1, 3, 2, 5, 4]})
    with pytest.raises(SurveyDataError, match="'B1' is constant"):
        driver_weights(df, target="Y1", drivers=["A1", "B1"])


def test_collinear_drivers_error_and_warning():
    rng = np.random.default_rng(0)
    a = rng.normal(size=100)
    b = rng.normal(size=100)
    df = pd.DataFrame({"A1": a, "B1": b, "C1": a + b, "Y1": a + rng.normal(size=100)})
    with pytest.raises(SurveyDataError, match="perfectly collinear"):
        driver_weights(df, target="Y1", drivers=["A1", "B1", "C1"])
    df["C1"] = a + b + 0.05 * rng.normal(size=100)
    with pytest.warns(CollinearityWarning, match="variance inflation"):
        driver_weights(df, target="Y1", drivers=["A1", "B1", "C1"])


def test_negative_policy():
    df = pd.DataFrame({"A1": [1, 2, 3, 4, 5, 6], "B1": [1, 2, 2, 4, 5, 7], "Y1": [1, 1, 3, 3, 5, 4]})
    with pytest.warns(CollinearityWarning):
        res = driver_weights(df, target="Y1", drivers=["A1", "B1"], method="ols")
    neg = res.weights["weight"] < 0
    assert neg.any()  # B1's beta is negative given A1
    assert (res.weights.loc[neg, "share"] == 0).all()
    assert res.weights["share"].sum() == pytest.approx(1.0)
    with pytest.raises(SurveyDataError, match="negative"), pytest.warns(CollinearityWarning):
        driver_weights(df, target="Y1", drivers=["A1", "B1"], method="ols", negative="error")


def test_too_many_drivers_for_exact_shapley():
    df = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 22)), columns=[f"X{i}" for i in range(21)] + ["Y1"])
    with pytest.raises(SurveyDataError, match="relative_weights"):
        driver_weights(df, target="Y1", drivers=[f"X{i}" for i in range(21)])
    res = driver_weights(df, target="Y1", drivers=[f"X{i}" for i in range(21)], method="relative_weights")
    assert res.weights["weight"].sum() == pytest.approx(res.r_squared["r_squared"].iloc[0])


def test_target_list_and_unknown_names(orthogonal):
    df = orthogonal.assign(Y2=orthogonal["Y1"])
    res = driver_weights(df, target=["Y1", "Y2"], drivers=["X1", "Z1"])
    assert res.target == "Y1 + Y2" and res.r_squared["r_squared"].iloc[0] == pytest.approx(1.0)
    with pytest.raises(SurveyDataError, match="neither a column nor a construct"):
        driver_weights(df, target="Y1", drivers=["X1", "Q9"])
    with pytest.raises(SurveyDataError, match="drivers="):
        driver_weights(df, target="Y1")
    with pytest.raises(ValueError, match="method"):
        driver_weights(df, target="Y1", drivers=["X1"], method="lmg")


def test_index_from_shares_and_plot(orthogonal):
    import matplotlib.pyplot as plt

    df = pd.DataFrame({"A1": [1, 2, 3, 4, 5, 3], "B1": [2, 2, 3, 5, 4, 1], "Y1": [1, 2, 4, 5, 5, 2]})
    res = driver_weights(df, target="Y1", drivers=["A1", "B1"], scale=(1, 5))
    sh = res.weights.set_index("driver")["share"]
    expected = sh["A1"] * 100 * (3 - 1) / 4 + sh["B1"] * 100 * (17 / 6 - 1) / 4
    assert res.overall == pytest.approx(expected)
    disp = res.plot()
    assert disp.data["driver"].iloc[0] == sh.idxmax()
    plt.close(disp.figure_)


@settings(max_examples=10, deadline=None)
@given(st.floats(0.01, 100.0))
def test_weights_scale_invariant(factor):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(80, 3))
    df = pd.DataFrame({"A1": x[:, 0], "B1": x[:, 1], "C1": x[:, 2], "Y1": x @ [0.5, 0.2, 0.1] + rng.normal(size=80)})
    w = rng.uniform(0.2, 3.0, 80)
    a = driver_weights(df, target="Y1", drivers=["A1", "B1", "C1"], weights=w, method="relative_weights")
    b = driver_weights(df, target="Y1", drivers=["A1", "B1", "C1"], weights=w * factor, method="relative_weights")
    assert a.weights["weight"].to_numpy() == pytest.approx(b.weights["weight"].to_numpy(), rel=1e-9)
    assert a.regression["coefficient"].to_numpy() == pytest.approx(b.regression["coefficient"].to_numpy(), rel=1e-9)


def test_by_segment_equals_subset(satisfaction_data):
    seg = driver_weights(satisfaction_data, target="sat1", drivers=SAT_DRIVERS[:4], by="gender")
    part = satisfaction_data[satisfaction_data["gender"] == "male"].reset_index(drop=True)
    alone = driver_weights(part, target="sat1", drivers=SAT_DRIVERS[:4])
    assert seg["male"].weights["weight"].to_numpy() == pytest.approx(alone.weights["weight"].to_numpy())


def test_collinearity_advice_fits_the_method():
    # the report runs Shapley: advising "prefer method='shapley'" there told the reader to do what was done
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=100), rng.normal(size=100)
    df = pd.DataFrame({"A1": a, "B1": b, "C1": a + b + 0.05 * rng.normal(size=100), "Y1": a + rng.normal(size=100)})
    with pytest.warns(CollinearityWarning) as caught:
        driver_weights(df, target="Y1", drivers=["A1", "B1", "C1"], method="shapley")
    text = str(caught[0].message)
    assert "Prefer method" not in text and "Shapley shares" in text and text.startswith("Drivers 'A1', 'B1' and 'C1' have")
    with pytest.warns(CollinearityWarning, match="Prefer method='shapley'"):
        driver_weights(df, target="Y1", drivers=["A1", "B1", "C1"], method="ols")
