"""PLS multi-group analysis (csindex.pls.mga; csindex.segments.micom / pls_mga): MICOM and the permutation test.

Moved from test_segments.py; the functions moved from csindex.segments to csindex.pls.mga.
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
from csindex.exceptions import InferenceWarning, SurveyDataError
from csindex.pls.mga import MGAResult, micom, pls_mga
from csindex.segments import compare_segments


@pytest.fixture(scope="module")
def airline():
    return csindex.datasets.airline()


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


def test_mga_index_differences_match_group_fits():
    df = _mga_data(150, 0.4, 0.4, seed=4, shift_b=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        res = pls_mga(df, MGA_MODEL, "g", n_permutations=300, seed=3, scale=(-4, 4))
    idx = res.index_differences.set_index("construct")
    for g, col in (("a", "index_a"), ("b", "index_b")):
        alone = csindex.fit_pls(df[df["g"] == g], MGA_MODEL, scale=(-4, 4)).index.set_index("construct")["index"]
        np.testing.assert_allclose(idx[col], alone.loc[idx.index], atol=1e-9)
        assert_frame_equal(res.results[g].index, csindex.fit_pls(df[df["g"] == g], MGA_MODEL, scale=(-4, 4)).index)
    # S items of group b are 0.5 higher (0.5 / 8 * 100 = 6.25 index points): detected; Q unchanged
    assert idx.at["S", "difference"] == pytest.approx(6.25, abs=2.0) and idx.at["S", "p_value"] < 0.01
    assert idx.at["Q", "p_value"] > 0.01
