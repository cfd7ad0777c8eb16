"""Hypothesis property tests of fit_pls invariances and bootstrap determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csindex

MODEL = "Q =~ q1 + q2 + q3\nS =~ s1 + s2\nL =~ l1 + l2\nS ~ Q\nL ~ Q + S"
ITEMS = ["q1", "q2", "q3", "s1", "s2", "l1", "l2"]


def _data(seed: int, n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q = rng.normal(size=n)
    s = 0.6 * q + 0.8 * rng.normal(size=n)
    lo = 0.3 * q + 0.5 * s + 0.7 * rng.normal(size=n)
    cols = {"q1": q, "q2": q, "q3": q, "s1": s, "s2": s, "l1": lo, "l2": lo}
    return pd.DataFrame({k: v + rng.uniform(0.4, 1.0) * rng.normal(size=n) for k, v in cols.items()})


def _numbers(res) -> np.ndarray:
    return np.concatenate([res.paths["estimate"], res.weights["estimate"], res.loadings["estimate"],
                           res.r_squared["r_squared"].to_numpy()])


COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=30, **COMMON)
@given(seed=st.integers(0, 10_000), item=st.sampled_from(ITEMS),
       a=st.floats(0.01, 100.0), b=st.floats(-1000.0, 1000.0),
       scheme=st.sampled_from(["path", "centroid", "factorial"]))
def test_affine_rescaling_of_an_item(seed, item, a, b, scheme):
    df = _data(seed)
    base = csindex.fit_pls(df, MODEL, scheme=scheme, tol=1e-12, max_iter=1000)
    moved = csindex.fit_pls(df.assign(**{item: a * df[item] + b}), MODEL, scheme=scheme, tol=1e-12, max_iter=1000)
    np.testing.assert_allclose(_numbers(moved), _numbers(base), atol=1e-8)
    np.testing.assert_allclose(moved.scores.to_numpy(), base.scores.to_numpy(), atol=1e-8)


@settings(max_examples=30, **COMMON)
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 2**32 - 1), standardize=st.booleans())
def test_column_order(seed, perm_seed, standardize):
    df = _data(seed).assign(extra=1.0)
    cols = list(np.random.default_rng(perm_seed).permutation(df.columns))
    a = csindex.fit_pls(df, MODEL, standardize=standardize)
    b = csindex.fit_pls(df[cols], MODEL, standardize=standardize)
    np.testing.assert_allclose(_numbers(b), _numbers(a), atol=1e-12)
    pd.testing.assert_frame_equal(a.index, b.index, atol=1e-10, rtol=0)


@settings(max_examples=30, **COMMON)
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 2**32 - 1), standardize=st.booleans())
def test_respondent_order(seed, perm_seed, standardize):
    df = _data(seed)
    perm = np.random.default_rng(perm_seed).permutation(len(df))
    a = csindex.fit_pls(df, MODEL, standardize=standardize, tol=1e-12, max_iter=1000)
    b = csindex.fit_pls(df.iloc[perm], MODEL, standardize=standardize, tol=1e-12, max_iter=1000)
    np.testing.assert_allclose(_numbers(b), _numbers(a), atol=1e-10)
    # scores follow their respondents
    np.testing.assert_allclose(b.scores.loc[df.index].to_numpy(), a.scores.to_numpy(), atol=1e-10)


@settings(max_examples=15, **COMMON)
@given(seed=st.integers(0, 2**63 - 1), data_seed=st.integers(0, 1000), B=st.integers(2, 60),
       chunk=st.integers(1, 25))
def test_bootstrap_same_seed_identical(seed, data_seed, B, chunk):
    df = _data(data_seed, n=60)
    a = csindex.fit_pls(df, MODEL, bootstrap=B, seed=seed, chunk_size=chunk, progress=False)
    b = csindex.fit_pls(df, MODEL, bootstrap=B, seed=seed, chunk_size=chunk, progress=False)
    for key, draws in a.bootstrap.draws.items():
        np.testing.assert_array_equal(draws, b.bootstrap.draws[key])
    pd.testing.assert_frame_equal(a.paths, b.paths)


@settings(max_examples=3, **COMMON)
@given(seed=st.integers(0, 2**32 - 1), B=st.integers(20, 80))
def test_bootstrap_n_jobs_independent(seed, B):
    df = _data(1, n=60)
    a = csindex.fit_pls(df, MODEL, bootstrap=B, seed=seed, chunk_size=16, progress=False, n_jobs=1)
    b = csindex.fit_pls(df, MODEL, bootstrap=B, seed=seed, chunk_size=16, progress=False, n_jobs=2)
    for key, draws in a.bootstrap.draws.items():
        np.testing.assert_array_equal(draws, b.bootstrap.draws[key])
    pd.testing.assert_frame_equal(a.loadings, b.loadings)


def test_numpy_generator_seed_is_resolved_and_recorded():
    df = _data(3, n=60)
    a = csindex.fit_pls(df, MODEL, bootstrap=10, seed=np.random.default_rng(42), progress=False)
    b = csindex.fit_pls(df, MODEL, bootstrap=10, seed=a.settings["seed"], progress=False)
    np.testing.assert_array_equal(a.bootstrap.draws["paths"], b.bootstrap.draws["paths"])
    with pytest.raises(ValueError, match="seed"):
        csindex.fit_pls(df, MODEL, bootstrap=10, seed=-1, progress=False)
