"""fit_pls(missing="em"): EM moments against direct maximum likelihood, equality with listwise
on complete data, conditional-expectation scores, weights, bootstrap, and a seeded recovery
study (em beats listwise and mean under MAR)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

import csindex
from csindex import _em
from csindex._em import em_normal, patterns
from csindex.exceptions import ConvergenceWarning, EstimationError, MissingDataWarning
from csindex.pls._algorithm import moments
from csindex.pls._missing import prepare_em, resample_moments

SMALL = "Q =~ q1 + q2 + q3\nS =~ s1 + s2\nL =~ l1 + l2\nS ~ Q\nL ~ S + Q"


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 300
    q = rng.normal(size=n)
    s = 0.6 * q + 0.8 * rng.normal(size=n)
    lo = 0.5 * s + 0.3 * q + 0.8 * rng.normal(size=n)
    cols = {f"q{k}": q for k in (1, 2, 3)} | {f"s{k}": s for k in (1, 2)} | {f"l{k}": lo for k in (1, 2)}
    return pd.DataFrame({c: np.clip(np.round(6 + 1.5 * (v + 0.7 * rng.normal(size=n))), 1, 10)
                         for c, v in cols.items()})


def _with_holes(df: pd.DataFrame, seed: int = 3, share: float = 0.08) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    vals = df.to_numpy(dtype=float, copy=True)
    vals[rng.random(vals.shape) < share] = np.nan
    return pd.DataFrame(vals, columns=df.columns, index=df.index)


def _negloglik(theta: np.ndarray, X: np.ndarray, w: np.ndarray) -> float:
    """Observed-data negative log-likelihood of N(mu, LL'), vectorised over patterns."""
    p = X.shape[1]
    mu = theta[:p]
    L = np.zeros((p, p))
    L[np.tril_indices(p)] = theta[p:]
    L[np.diag_indices(p)] = np.exp(np.diag(L))
    S = L @ L.T
    obs = ~np.isnan(X)
    total = 0.0
    for pat in np.unique(obs, axis=0):
        rows = (obs == pat).all(axis=1)
        o = np.flatnonzero(pat)
        D = X[np.ix_(rows, o)] - mu[o]
        Soo = S[np.ix_(o, o)]
        quad = np.einsum("ij,jk,ik->i", D, np.linalg.inv(Soo), D)
        total += w[rows] @ (0.5 * (quad + np.linalg.slogdet(Soo)[1] + len(o) * np.log(2 * np.pi)))
    return total


@pytest.mark.parametrize("weighted", [False, True])
def test_em_equals_direct_maximum_likelihood(weighted):
    rng = np.random.default_rng(5)
    n = 80
    X = rng.multivariate_normal([1.0, 2.0, 0.5], [[1, 0.6, 0.3], [0.6, 2, 0.4], [0.3, 0.4, 1.5]], size=n)
    X[rng.random(n) < 0.25, 1] = np.nan
    X[rng.random(n) < 0.2, 0] = np.nan
    X[rng.random(n) < 0.15, 2] = np.nan
    X = X[~np.isnan(X).all(axis=1)]
    w = rng.uniform(0.5, 2.0, size=X.shape[0]) if weighted else np.ones(X.shape[0])
    em = em_normal(X, w if weighted else None)
    assert em.converged[0] and patterns(X).G >= 5
    p = X.shape[1]
    start = np.concatenate([np.nanmean(X, axis=0), np.zeros(p * (p + 1) // 2)])
    fit = minimize(_negloglik, start, args=(X, w), method="BFGS", options={"gtol": 1e-10, "maxiter": 10_000})
    L = np.zeros((p, p))
    L[np.tril_indices(p)] = fit.x[p:]
    L[np.diag_indices(p)] = np.exp(np.diag(L))
    np.testing.assert_allclose(em.mean[0], fit.x[:p], atol=1e-6)
    np.testing.assert_allclose(em.cov[0], L @ L.T, atol=1e-6)
    # the EM solution is at least as likely as the optimiser's
    Lem = np.linalg.cholesky(em.cov[0])
    theta = np.concatenate([em.mean[0], np.where(np.eye(p, dtype=bool), np.log(np.diag(Lem)), Lem)[np.tril_indices(p)]])
    assert _negloglik(theta, X, w) <= fit.fun + 1e-9


def test_em_moments_on_complete_data_equal_the_sample_moments():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 6)) * 2 + 6
    w = rng.uniform(0.2, 3, size=400)
    for weights in (None, w):
        em = em_normal(X, weights)
        mean, S = moments(X, weights)
        np.testing.assert_allclose(em.mean[0], mean, atol=1e-10, rtol=0)
        np.testing.assert_allclose(em.cov[0], S, atol=1e-10, rtol=0)


def test_em_equals_listwise_on_complete_data(small):
    w = np.random.default_rng(4).uniform(0.5, 2, size=len(small))
    for weights in (None, w):
        a = csindex.fit_pls(small, SMALL, missing="em", weights=weights)
        b = csindex.fit_pls(small, SMALL, missing="listwise", weights=weights)
        for key in ("paths", "weights", "loadings", "index"):
            num = getattr(a, key).select_dtypes("number").to_numpy()
            np.testing.assert_allclose(num, getattr(b, key).select_dtypes("number").to_numpy(), atol=1e-10, rtol=0)
        np.testing.assert_allclose(a.scores.to_numpy(), b.scores.to_numpy(), atol=1e-10, rtol=0)
        assert a.settings["n_used"] == len(small) and a.settings["n_dropped"] == 0
        assert a.settings["em_iterations"] == 0 and a.settings["em_converged"]


def test_em_fit_uses_every_respondent_and_conditional_expectations(small):
    d = _with_holes(small)
    d.iloc[7] = np.nan  # a respondent without any answer
    n_aff = int(d.isna().any(axis=1).sum())
    cells = int(d.drop(index=d.index[7]).isna().sum().sum())
    with pytest.warns(MissingDataWarning, match=rf"{n_aff} of 300 respondents .*imputed {cells} cells.*1 respondents with no"):
        res = csindex.fit_pls(d, SMALL, missing="em", scale=(1, 10))
    assert res.n == 299 and res.settings["n_used"] == 299 and res.settings["n_dropped"] == 1
    assert res.settings["em_converged"] and res.settings["em_iterations"] > 1
    assert res.missing["cells_imputed"] == cells and res.missing["rows_dropped"] == 1
    assert res.scores.shape == (299, 3) and not res.scores.isna().any().any()
    assert d.index[7] not in res.scores.index
    # the moments are the EM estimates of the 299 respondents
    em = em_normal(d.drop(index=d.index[7]).to_numpy(dtype=float))
    np.testing.assert_allclose(res._mean, em.mean[0], atol=1e-12)
    np.testing.assert_allclose(res._S, em.cov[0], atol=1e-12)
    # a respondent's missing answers: E[x_m | x_o] by hand
    X = d.to_numpy(dtype=float)
    i = int(np.flatnonzero(np.isnan(X).any(axis=1) & ~np.isnan(X).all(axis=1))[0])
    m, o = np.isnan(X[i]), ~np.isnan(X[i])
    mu, S = em.mean[0], em.cov[0]
    xhat = X[i].copy()
    xhat[m] = mu[m] + S[np.ix_(m, o)] @ np.linalg.solve(S[np.ix_(o, o)], X[i, o] - mu[o])
    rel = (xhat - 1) / 9 * 100
    iw = res.index_weights
    expect = [float(iw.loc[iw.construct == c, "estimate"].to_numpy() @ rel[[list(d.columns).index(it) for it in
                                                                             iw.loc[iw.construct == c, "item"]]])
              for c in ("Q", "S", "L")]
    np.testing.assert_allclose(res.index_scores.loc[d.index[i]].to_numpy(), expect, atol=1e-9)
    # at the EM fixed point the completed data average to the EM means: index = mean index score
    np.testing.assert_allclose(res.index_scores.mean().to_numpy(), res.index["index"].to_numpy(), atol=1e-6)


def test_em_with_sampling_weights_equals_duplicated_rows(small):
    d = _with_holes(small, seed=8)
    w = np.random.default_rng(1).integers(1, 4, size=len(d))
    dup = d.loc[d.index.repeat(w)].reset_index(drop=True)
    with pytest.warns(MissingDataWarning):
        a = csindex.fit_pls(d, SMALL, missing="em", weights=w.astype(float), scale=(1, 10))
    with pytest.warns(MissingDataWarning):
        b = csindex.fit_pls(dup, SMALL, missing="em", scale=(1, 10))
    np.testing.assert_allclose(a._S, b._S, atol=1e-9)
    np.testing.assert_allclose(a.paths["estimate"], b.paths["estimate"], atol=1e-9)
    np.testing.assert_allclose(a.index["index"], b.index["index"], atol=1e-9)
    assert a.settings["weighted"] and a.n == len(d)


def test_em_on_the_sample_uses_all_1000_respondents():
    survey = csindex.datasets.airline()
    with pytest.warns(MissingDataWarning, match=r"282 of 1000 respondents .*324 cells.*all 1000 respondents"):
        res = csindex.fit_pls(survey, "ccsi", missing="em")
    assert res.settings["n_used"] == 1000 and res.n == 1000 and res.settings["n_dropped"] == 0
    assert res.settings["missing"] == "em" and res.settings["em_converged"]
    assert res.scores.shape[0] == 1000 and not res.scores.isna().any().any()
    with pytest.warns(MissingDataWarning, match="dropped"):
        lw = csindex.fit_pls(survey, "ccsi")
    assert lw.settings["n_used"] == 718 and lw.settings["n_dropped"] == 282
    assert not np.allclose(res.index["index"], lw.index["index"])


def test_em_bootstrap_resample_equals_em_on_the_materialised_resample(small):
    d = _with_holes(small, seed=9)
    X = d.to_numpy(dtype=float)
    report = {"rows_affected": int(np.isnan(X).any(axis=1).sum()), "cells_missing": int(np.isnan(X).sum())}
    with pytest.warns(MissingDataWarning):
        _, _, _, fit = prepare_em(X, None, d.index, list(d.columns), report, ["x"], stacklevel=2)
    counts = np.random.default_rng(0).multinomial(len(d), np.full(len(d), 1 / len(d)), size=3)
    mu, S, ok = resample_moments(fit, None, counts)
    assert ok.all()
    for b in range(3):
        em = em_normal(np.repeat(X, counts[b], axis=0))
        np.testing.assert_allclose(mu[b], em.mean[0], atol=2e-6)  # resamples stop at EM_RESAMPLE_TOL
        np.testing.assert_allclose(S[b], em.cov[0], atol=2e-6)


def test_em_bootstrap_runs_and_is_reproducible_across_workers(small):
    d = _with_holes(small, seed=10)
    with pytest.warns(MissingDataWarning):
        a = csindex.fit_pls(d, SMALL, missing="em", bootstrap=60, seed=4, progress=False, chunk_size=20)
    with pytest.warns(MissingDataWarning):
        b = csindex.fit_pls(d, SMALL, missing="em", bootstrap=60, seed=4, progress=False, chunk_size=20, n_jobs=2)
    pd.testing.assert_frame_equal(a.paths, b.paths)  # the chunks, not the workers, fix the draws
    assert a.bootstrap.n_valid == 60 and a.settings["seed"] == 4
    assert ((a.paths["ci_lower"] < a.paths["estimate"]) & (a.paths["estimate"] < a.paths["ci_upper"])).all()
    assert (a.index["std_error"] > 0).all()


def test_em_nonconvergence_warns_with_counts(small, monkeypatch):
    monkeypatch.setattr(_em, "EM_MAX_ITER", 2)
    d = _with_holes(small, seed=12, share=0.2)
    cells = int(d.isna().sum().sum())
    with pytest.warns(MissingDataWarning), \
            pytest.warns(ConvergenceWarning, match=rf"EM .*within 2 iterations.*{cells} missing cells of 300"):
        res = csindex.fit_pls(d, SMALL, missing="em")
    assert res.settings["em_converged"] is False and res.settings["em_iterations"] == 2


# ---------------------------------------------------------------- recovery (seeded, small)
def test_em_beats_listwise_and_mean_under_mar_20_percent(repo_script):
    bench = repo_script("benchmarks/bench_missing.py")
    truth = bench.population(n=100_000, seed=1)
    # bench.run records every fit's warnings (not silenced) and counts the MissingDataWarnings
    table, n_fits, n_warned = bench.run(reps=12, n=400, seed=7, mechanisms=("MAR",), rates=(0.2,), truth=truth)
    assert n_warned == n_fits == 36
    t = table.set_index("method")
    for col in ("path_rmse", "index_rmse"):
        assert t.at["em", col] < t.at["mean", col] and t.at["em", col] < t.at["listwise", col], t
    assert abs(t.at["em", "index_bias"]) < abs(t.at["mean", "index_bias"]) < abs(t.at["listwise", "index_bias"])
    assert t.at["em", "n_used"] == 400 and t.at["listwise", "n_used"] < 300


def test_em_with_perfectly_collinear_items_names_them(small):
    d = _with_holes(small.assign(q3=small["q1"]), seed=14, share=0.1)
    with pytest.raises(EstimationError, match=r"'q1' and 'q3' .*collinear"):
        csindex.fit_pls(d, SMALL, missing="em")


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), scale=st.floats(0.1, 10), shift=st.floats(-50, 50))
def test_em_is_affine_equivariant_and_order_free(seed, scale, shift):
    rng = np.random.default_rng(seed)
    X = rng.multivariate_normal(np.zeros(3), [[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]], size=40)
    X[rng.random(X.shape) < 0.2] = np.nan
    X = X[~np.isnan(X).all(axis=1)]
    base = em_normal(X)
    moved = em_normal(X * scale + shift)
    perm = em_normal(X[rng.permutation(len(X))])
    np.testing.assert_allclose(moved.mean[0], base.mean[0] * scale + shift, atol=1e-6 * (scale + abs(shift)))
    np.testing.assert_allclose(moved.cov[0], base.cov[0] * scale ** 2, atol=1e-6 * scale ** 2)
    np.testing.assert_allclose(perm.mean[0], base.mean[0], atol=1e-8)
    np.testing.assert_allclose(perm.cov[0], base.cov[0], atol=1e-8)
