"""The batched PLS engine (``csindex.pls._algorithm``) piece by piece, against numpy by hand.

These tests pin the parts that the end-to-end reference tests see only through their effect:
the weighted moments in row chunks, the three stopping rules, the freezing of resamples that
converged early in a stacked run, the inner weighting schemes, isolated constructs, the
structural step (R², total effects) and consistent PLS's ``rho_A``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex.pls._algorithm import Layout, _criterion, _inner_weights, consistent, finalize, moments, wold
from csindex.spec import ModelSpec

CHAIN = """
A =~ a1 + a2 + a3
B =~ b1 + b2 + b3
C =~ c1 + c2
B ~ A
C ~ A + B
"""


def _chain_data(n: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 0.6 * a + 0.8 * rng.normal(size=n)
    c = 0.3 * a + 0.5 * b + 0.7 * rng.normal(size=n)
    cols = {}
    for name, f, k in (("a", a, 3), ("b", b, 3), ("c", c, 2)):
        for i in range(1, k + 1):
            cols[f"{name}{i}"] = (0.5 + 0.2 * i) * f + rng.normal(size=n)
    return pd.DataFrame(cols)


def _layout(model: str) -> Layout:
    return Layout.from_spec(ModelSpec.coerce(model))


def _corr(X: np.ndarray) -> np.ndarray:
    _, S = moments(X)
    sd = np.sqrt(np.diag(S))
    return S / np.outer(sd, sd)


# ------------------------------------------------------------------ moments
def test_moments_match_numpy_in_chunks_and_with_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(101, 4)) + np.array([1e6, -3.0, 0.0, 50.0])
    w = rng.uniform(0.1, 3.0, 101)
    m, S = moments(X)
    np.testing.assert_allclose(m, X.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(S, np.cov(X, rowvar=False, bias=True), rtol=1e-9, atol=1e-12)
    m7, S7 = moments(X, chunk=7)
    np.testing.assert_allclose(m7, m, rtol=1e-14)
    np.testing.assert_allclose(S7, S, rtol=1e-9, atol=1e-12)
    mw, Sw = moments(X, w, chunk=7)
    np.testing.assert_allclose(mw, np.average(X, axis=0, weights=w), rtol=1e-14)
    np.testing.assert_allclose(Sw, np.cov(X, rowvar=False, aweights=w, bias=True), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(Sw, Sw.T, rtol=0, atol=0)


# ------------------------------------------------------------------ stopping rules
def test_criterion_of_each_rule_by_hand():
    old = np.array([[0.5, -0.2, 0.1]])
    new = np.array([[0.4, 0.3, -0.1]])
    sd = np.array([[2.0, 1.0, 3.0]])
    d = np.abs(new * sd) - np.abs(old * sd)  # -0.2, 0.1, 0
    assert _criterion(old, new, sd, "max_abs")[0] == pytest.approx(0.2)
    assert _criterion(old, new, sd, "sum_abs")[0] == pytest.approx(0.3)
    assert _criterion(old, new, sd, "sum_squared")[0] == pytest.approx((d**2).sum())
    assert _criterion(old, new, sd, "sum_squared")[0] == pytest.approx(0.05)


@pytest.mark.parametrize("rule", ["max_abs", "sum_abs", "sum_squared"])
def test_stacked_run_equals_one_run_per_resample(rule):
    """Resamples that converge early are frozen while the others iterate on: the stacked
    result equals running each covariance matrix alone, iteration count included."""
    df = _chain_data()
    layout = _layout(CHAIN)
    X = df[list(layout.items)].to_numpy()
    rng = np.random.default_rng(2)
    stack = np.stack([_corr(X[rng.integers(0, len(X), len(X))]) for _ in range(6)])
    tol = 1e-9 if rule == "sum_squared" else 1e-6
    together = wold(stack, layout, tol=tol, max_iter=200, rule=rule)
    alone = [wold(stack[b:b + 1], layout, tol=tol, max_iter=200, rule=rule) for b in range(6)]
    assert together.converged.all()
    assert len(set(together.iterations.tolist())) > 1  # some froze before others
    for b, one in enumerate(alone):
        np.testing.assert_allclose(together.weights[b], one.weights[0], rtol=1e-12, atol=1e-14)
        assert together.iterations[b] == one.iterations[0]
        assert together.final_change[b] == pytest.approx(one.final_change[0], rel=1e-9, abs=1e-300)
        assert one.final_change[0] < tol
    # weights give unit-variance proxies
    var = np.einsum("bi,bij,bj->b", together.weights * (layout.block == 0), stack, together.weights * (layout.block == 0))
    np.testing.assert_allclose(var, 1.0, rtol=1e-12)


def test_stopping_rule_and_max_iter_bookkeeping():
    df = _chain_data()
    layout = _layout(CHAIN)
    R = _corr(df[list(layout.items)].to_numpy())[None]
    short = wold(R, layout, tol=1e-12, max_iter=2, rule="sum_squared")
    assert not short.converged[0] and short.iterations[0] == 2
    assert short.final_change[0] >= 1e-12 and np.isfinite(short.weights).all()
    full = wold(R, layout, tol=1e-12, max_iter=500, rule="sum_squared")
    loose = wold(R, layout, tol=1e-4, max_iter=500, rule="sum_squared")
    assert full.converged[0] and loose.converged[0]
    assert loose.iterations[0] < full.iterations[0] < 500
    assert full.final_change[0] < 1e-12 <= short.final_change[0]
    # one more update from converged weights changes them by less than the tolerance
    again = wold(R, layout, tol=1e-12, max_iter=full.iterations[0] + 5, rule="sum_squared")
    np.testing.assert_allclose(again.weights, full.weights, rtol=0, atol=1e-12)


# ------------------------------------------------------------------ inner weighting schemes
def test_inner_weights_of_each_scheme_by_hand():
    layout = _layout(CHAIN)  # A -> B, A -> C, B -> C
    C = np.array([[[1.0, 0.5, -0.4], [0.5, 1.0, 0.3], [-0.4, 0.3, 1.0]]])
    adj = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]], dtype=float)
    np.testing.assert_array_equal(_inner_weights(C, layout, "centroid")[0], np.sign(C[0]) * adj)
    np.testing.assert_allclose(_inner_weights(C, layout, "factorial")[0], C[0] * adj)
    E = _inner_weights(C.copy(), layout, "path")[0]
    # successors enter by correlation: E[B, A] = cor(A, B), E[C, A] = cor(A, C), E[C, B] = cor(B, C)
    assert (E[1, 0], E[2, 0], E[2, 1]) == (pytest.approx(0.5), pytest.approx(-0.4), pytest.approx(0.3))
    # predecessors by multiple regression: B on A is 0.5; C on (A, B)
    beta = np.linalg.solve(C[0][:2, :2], C[0][:2, 2])
    assert E[0, 1] == pytest.approx(0.5)
    assert (E[0, 2], E[1, 2]) == (pytest.approx(beta[0]), pytest.approx(beta[1]))
    assert np.diag(E).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("scheme", ["centroid", "factorial", "path"])
def test_isolated_construct_keeps_unit_weights(scheme):
    df = _chain_data().assign(h1=lambda d: d["a1"] + 1.0, h2=lambda d: d["c2"] * 2)
    model = CHAIN + "H =~ h1 + h2\n"
    layout = _layout(model)
    R = _corr(df[list(layout.items)].to_numpy())[None]
    it = wold(R, layout, scheme=scheme, tol=1e-10, max_iter=300)
    sl = layout.slices[layout.constructs.index("H")]
    Rh = R[0, sl, sl]
    unit = 1.0 / np.sqrt(Rh.sum())
    np.testing.assert_allclose(it.weights[0, sl], [unit, unit], rtol=1e-12)


# ------------------------------------------------------------------ structural step
def test_r_squared_and_total_effects_by_hand():
    df = _chain_data()
    layout = _layout(CHAIN)
    R = _corr(df[list(layout.items)].to_numpy())[None]
    fe = finalize(wold(R, layout, tol=1e-12, max_iter=500).weights, R, layout)
    C = fe.construct_cor[0]
    b_ab = C[0, 1]
    b_c = np.linalg.solve(C[:2, :2], C[:2, 2])
    assert fe.paths[0, 0, 1] == pytest.approx(b_ab)
    assert fe.paths[0, [0, 1], 2] == pytest.approx(b_c)
    assert fe.r_squared[0, 1] == pytest.approx(b_ab**2)
    assert fe.r_squared[0, 2] == pytest.approx(b_c @ C[:2, 2])
    assert np.isnan(fe.r_squared[0, 0])
    assert fe.total[0, 0, 2] == pytest.approx(b_c[0] + b_ab * b_c[1])  # direct + indirect
    assert fe.total[0, 0, 1] == pytest.approx(b_ab) and fe.total[0, 1, 2] == pytest.approx(b_c[1])
    assert fe.signs[0].tolist() == [1.0, 1.0, 1.0]
    # loadings are cor(item, own proxy)
    res = csindex.fit_pls(df, CHAIN, tol=1e-12, max_iter=500)
    proxy = res.scores["A"].to_numpy()
    lam = res.loadings.set_index("item")["estimate"]
    assert lam["a2"] == pytest.approx(np.corrcoef(df["a2"], proxy)[0, 1], abs=1e-10)


def test_consistent_rho_a_by_hand():
    df = _chain_data()
    layout = _layout(CHAIN)
    R = _corr(df[list(layout.items)].to_numpy())[None]
    fe = finalize(wold(R, layout, tol=1e-12, max_iter=500).weights, R, layout)
    fc, rho = consistent(fe, R, layout)
    for j, sl in enumerate(layout.slices):
        w = fe.weights[0, sl]
        Rj = R[0, sl, sl]
        off = Rj - np.diag(np.diag(Rj))
        ww = np.outer(w, w)
        c2 = (w @ off @ w) / (w @ (ww - np.diag(np.diag(ww))) @ w)
        assert rho[0, j] == pytest.approx((w @ w) ** 2 * c2, rel=1e-10)
        np.testing.assert_allclose(fc.loadings[0, sl], np.sqrt(c2) * w, rtol=1e-10)
    q = np.sqrt(rho[0])
    expect = fe.construct_cor[0] / np.outer(q, q)
    np.fill_diagonal(expect, 1.0)
    np.testing.assert_allclose(fc.construct_cor[0], expect, rtol=1e-12)
    assert fc.paths[0, 0, 1] == pytest.approx(expect[0, 1])
    np.testing.assert_array_equal(fc.weights, fe.weights)


# ------------------------------------------------------------------ Mode B
@pytest.mark.parametrize("scheme", ["centroid", "factorial", "path"])
def test_mode_b_proxy_is_the_regression_of_its_inner_proxy(scheme):
    """With one structural neighbour, a Mode B block's converged proxy is (up to scale) the OLS
    fit of the neighbour's proxy on the block's items, so it correlates with that proxy as
    strongly as any composite of the block can (the multiple R). A Mode A block does not."""
    df = _chain_data()
    model_b = "A <~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nB ~ A"
    res = csindex.fit_pls(df, model_b, scheme=scheme, tol=1e-12, max_iter=1000)
    assert res.converged
    xa = df[["a1", "a2", "a3"]].to_numpy()
    xa = (xa - xa.mean(0)) / xa.std(0)
    yb = res.scores["B"].to_numpy()
    fitted = xa @ np.linalg.lstsq(xa, yb - yb.mean(), rcond=None)[0]
    assert abs(np.corrcoef(fitted, res.scores["A"])[0, 1]) == pytest.approx(1.0, abs=1e-9)
    mode_a = csindex.fit_pls(df, model_b.replace("<~", "=~"), scheme=scheme, tol=1e-12, max_iter=1000)
    assert abs(np.corrcoef(fitted, mode_a.scores["A"])[0, 1]) < 1 - 1e-6
    layout = _layout(model_b)
    assert layout.mode_b == (True, False) and layout.mode_b_slices == (slice(0, 3),)


def test_layout_bookkeeping_and_adjusted_r_squared():
    layout = _layout(CHAIN + "H =~ h1 + h2\n")
    assert layout.constructs == ("A", "B", "C", "H")
    assert layout.preds == ((), (0,), (0, 1), ()) and layout.succs == ((1, 2), (2,), (), ())
    assert layout.endogenous == (1, 2) and layout.isolated == (3,)
    assert layout.block.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 3, 3] and layout.starts.tolist() == [0, 3, 6, 8]
    assert layout.reg_pred.tolist() == [0, 0, 1] and layout.reg_tgt.tolist() == [1, 2, 2]
    w = np.arange(1.0, 11.0)[None]
    dense = layout.dense(w)
    assert dense.shape == (1, 10, 4) and dense.dtype == np.float64
    assert dense[0, 4, 1] == 5.0 and dense[0, 4].sum() == 5.0
    df = _chain_data()
    res = csindex.fit_pls(df, CHAIN, tol=1e-12, max_iter=500)
    r2 = res.r_squared.set_index("construct")
    n = len(df)
    for name, k in (("B", 1), ("C", 2)):
        assert r2.loc[name, "r_squared_adj"] == pytest.approx(1 - (1 - r2.loc[name, "r_squared"]) * (n - 1) / (n - k - 1))
    with pytest.raises(csindex.exceptions.SurveyDataError, match="at least 4"):
        csindex.fit_pls(df.iloc[:3], CHAIN)

