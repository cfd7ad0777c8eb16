"""Consistent PLS (PLSc) against R cSEM, plus the edge cases of the correction.

Reference: ``pls_satisfaction_cSEM_plsc.json`` (cSEM 0.4.0.9000, ``.disattenuate = TRUE``,
path scheme, Mode A everywhere, Dijkstra's correction factor). Its ``tight_tol`` run
(``max |Δw| < 1e-14``) is the target at 1e-8; the ``default_tol`` run (cSEM's ``1e-5``)
is matched with the same rule and tolerance.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex.exceptions import CollinearityWarning, DiscriminantValidityWarning

REF = "pls_satisfaction_cSEM_plsc"


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CollinearityWarning)
        warnings.simplefilter("ignore", DiscriminantValidityWarning)
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def plsc_ref(load_reference):
    return load_reference(REF)


@pytest.fixture(scope="module")
def plsc_tight(satisfaction_data, ecsi_syntax):
    return csindex.fit_pls(satisfaction_data, ecsi_syntax, consistent=True, tol=1e-14, max_iter=1000)


def _paths(res) -> dict[str, float]:
    return {f"{s}->{t}": v for s, t, v in res.paths[["source", "target", "estimate"]].itertuples(index=False)}


def test_reference_settings_are_what_we_reproduce(plsc_ref):
    s = plsc_ref["settings"]
    assert s["PLS_weight_scheme_inner"] == "path"
    assert s["PLS_approach_cf"] == "dist_squared_euclid"
    assert s["disattenuate"] is True
    assert s["convergence_criterion"].startswith("diff_absolute: max")


def test_plsc_matches_cSEM_tight_1e8(plsc_tight, plsc_ref):
    ref = plsc_ref["results"]["tight_tol"]
    res = plsc_tight
    assert res.converged and res.iterations == ref["iterations"] == 12
    w = res.weights.set_index("item")["estimate"]
    lam = res.loadings.set_index("item")["estimate"]
    assert set(lam.index) == set(ref["consistent_loadings"])
    for item, value in ref["outer_weights"].items():
        assert w[item] == pytest.approx(value, abs=1e-8), item
    for item, value in ref["consistent_loadings"].items():
        assert lam[item] == pytest.approx(value, abs=1e-8), item
    paths = _paths(res)
    assert set(paths) == set(ref["path_coefficients"])
    for key, value in ref["path_coefficients"].items():
        assert paths[key] == pytest.approx(value, abs=1e-8), key
    C = res.construct_correlations.set_index("construct")
    for a, row in ref["construct_correlations"].items():
        for b, value in row.items():
            assert C.loc[a, b] == pytest.approx(value, abs=1e-8), (a, b)
    r2 = res.r_squared.set_index("construct")["r_squared"]
    assert set(r2.index) == set(ref["r_squared"])
    for con, value in ref["r_squared"].items():
        assert r2[con] == pytest.approx(value, abs=1e-8), con
        assert res.r_squared_adj[con] == pytest.approx(ref["r_squared_adj"][con], abs=1e-8), con


def test_plsc_reliabilities_match_cSEM_1e8(plsc_tight, plsc_ref):
    ref = plsc_ref["results"]["tight_tol"]
    rel = _quiet(lambda: plsc_tight.quality.reliability).set_index("construct")
    w = plsc_tight.weights.set_index("item")["estimate"]
    for con, value in ref["reliabilities_rhoA"].items():
        assert rel.loc[con, "rho_a"] == pytest.approx(value, abs=1e-8), con
        # correction factor: rho_A = c^2 (w'w)^2 with the standardised weights
        items = plsc_tight.weights.query("construct == @con")["item"]
        ww = float((w[items] ** 2).sum())
        assert np.sqrt(rel.loc[con, "rho_a"]) / ww == pytest.approx(ref["correction_factor_c"][con], abs=1e-8)
        assert rel.loc[con, "alpha"] == pytest.approx(ref["cronbach_alpha"][con], abs=1e-8)
        assert rel.loc[con, "rho_c"] == pytest.approx(ref["joereskog_rho_from_consistent_loadings"][con], abs=1e-8)


def test_plsc_default_rule_matches_cSEM_default_run(satisfaction_data, ecsi_syntax, plsc_ref):
    """cSEM's default stopping rule (max |Δw| < 1e-5) stops after the same 5 updates."""
    ref = plsc_ref["results"]["default_tol"]
    res = csindex.fit_pls(satisfaction_data, ecsi_syntax, consistent=True, tol=1e-5, convergence="max_abs")
    assert res.converged and res.iterations == ref["iterations"] == 5
    paths = _paths(res)
    for key, value in ref["path_coefficients"].items():
        assert paths[key] == pytest.approx(value, abs=1e-10), key
    lam = res.loadings.set_index("item")["estimate"]
    for item, value in ref["consistent_loadings"].items():
        assert lam[item] == pytest.approx(value, abs=1e-10), item


def test_plsc_without_consistent_gives_plain_pls_loadings(satisfaction_data, ecsi_syntax, plsc_ref):
    ref = plsc_ref["results"]["tight_tol"]["pls_loadings_uncorrected"]
    res = csindex.fit_pls(satisfaction_data, ecsi_syntax, tol=1e-14, max_iter=1000)
    lam = res.loadings.set_index("item")["estimate"]
    for item, value in ref.items():
        assert lam[item] == pytest.approx(value, abs=1e-8), item


# ------------------------------------------------------------------ Mode B and single items
MIXED = """
IMAG =~ imag1 + imag2 + imag3 + imag4 + imag5
EXPE <~ expe1 + expe2 + expe3 + expe4 + expe5
QUAL =~ qual1
SAT  =~ sat1 + sat2 + sat3 + sat4
EXPE ~ IMAG
QUAL ~ EXPE
SAT  ~ IMAG + EXPE + QUAL
"""


def test_plsc_leaves_mode_b_and_single_item_blocks_uncorrected(satisfaction_data):
    """As cSEM: composites (Mode B) and single-indicator constructs get rho_A = 1, so their
    loadings stay the PLS loadings and only the Mode A multi-item blocks are disattenuated."""
    pls = _quiet(csindex.fit_pls, satisfaction_data, MIXED, tol=1e-14, max_iter=1000)
    plsc = _quiet(csindex.fit_pls, satisfaction_data, MIXED, consistent=True, tol=1e-14, max_iter=1000)
    rel = _quiet(lambda: plsc.quality.reliability).set_index("construct")
    assert rel.loc["EXPE", "rho_a"] == 1.0 and rel.loc["QUAL", "rho_a"] == 1.0
    rho = rel["rho_a"]
    assert 0.5 < rho["IMAG"] < 1 and 0.5 < rho["SAT"] < 1
    # weights are PLS's; Mode B and single-item loadings unchanged; others are c * w
    pd.testing.assert_frame_equal(plsc.weights, pls.weights)
    lam0 = pls.loadings.set_index("item")["estimate"]
    lam1 = plsc.loadings.set_index("item")["estimate"]
    for item in ["expe1", "expe2", "expe3", "expe4", "expe5", "qual1"]:
        assert lam1[item] == pytest.approx(lam0[item], abs=1e-12), item
    assert lam1["qual1"] == pytest.approx(1.0, abs=1e-12)
    assert not np.allclose(lam1[["sat1", "sat2"]], lam0[["sat1", "sat2"]], atol=1e-3)
    # construct correlations: proxy correlation / sqrt(rho_i rho_j), 1 for the uncorrected blocks
    C0, C1 = pls.construct_correlations.set_index("construct"), plsc.construct_correlations.set_index("construct")
    for a in C0.index:
        for b in C0.columns:
            expect = 1.0 if a == b else C0.loc[a, b] / np.sqrt(rho[a] * rho[b])
            assert C1.loc[a, b] == pytest.approx(expect, abs=1e-12), (a, b)
    assert np.isfinite(plsc.paths["estimate"]).all()
    assert np.isfinite(plsc.r_squared["r_squared"]).all()
    # paths are OLS on the corrected correlations
    Cx = C1.loc[["IMAG", "EXPE", "QUAL"], ["IMAG", "EXPE", "QUAL"]].to_numpy()
    beta = np.linalg.solve(Cx, C1.loc[["IMAG", "EXPE", "QUAL"], "SAT"].to_numpy())
    got = _paths(plsc)
    assert [got["IMAG->SAT"], got["EXPE->SAT"], got["QUAL->SAT"]] == pytest.approx(beta, abs=1e-12)


# ------------------------------------------------------------------ sign correction
def _reversed_block_data(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Block F: one strong item and three weaker reverse-keyed items. Starting from unit
    weights the PLS iteration settles on a proxy aligned with the strong item, so three of
    the four loadings come out negative unless the sign correction flips the block."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    g = 0.6 * f + 0.8 * rng.normal(size=n)
    return pd.DataFrame({
        "f1": f + 0.2 * rng.normal(size=n),
        "f2": -0.3 * f + rng.normal(size=n),
        "f3": -0.3 * f + rng.normal(size=n),
        "f4": -0.3 * f + rng.normal(size=n),
        "g1": g + 0.5 * rng.normal(size=n),
        "g2": g + 0.5 * rng.normal(size=n),
        "g3": g + 0.5 * rng.normal(size=n),
    })


def test_sign_correction_makes_most_loadings_positive():
    df = _reversed_block_data()
    model = "F =~ f1 + f2 + f3 + f4\nG =~ g1 + g2 + g3\nG ~ F"
    # without the correction the block would be mostly negative: check the raw iteration
    from csindex.pls._algorithm import Layout, finalize, moments, wold
    from csindex.spec import ModelSpec

    layout = Layout.from_spec(ModelSpec.coerce(model))
    X = df[list(layout.items)].to_numpy()
    _, S = moments(X)
    sd = np.sqrt(np.diag(S))
    R = (S / np.outer(sd, sd))[None]
    it = wold(R, layout, tol=1e-12, max_iter=500)
    raw = finalize(it.weights, R, layout, sign_fix=False)
    assert (raw.loadings[0, :4] < 0).sum() == 3  # the uncorrected block is mostly negative
    res = csindex.fit_pls(df, model, tol=1e-12, max_iter=500)
    lam = res.loadings.set_index("item")["estimate"]
    assert (lam[["f2", "f3", "f4"]] > 0).all() and lam["f1"] < 0
    assert (lam[["g1", "g2", "g3"]] > 0).all()
    np.testing.assert_allclose(lam.to_numpy()[:4], -raw.loadings[0, :4], atol=1e-12)
    # the path sign flips with the block: F now points the other way to G
    assert res.paths["estimate"].iloc[0] == pytest.approx(-raw.paths[0, 0, 1], abs=1e-12)
    assert res.paths["estimate"].iloc[0] < 0


# ------------------------------------------------------------------ convergence bookkeeping
@pytest.mark.parametrize("rule,tol,iterations", [
    ("max_abs", 1e-5, 5),      # cSEM default run: 5 iterations
    ("max_abs", 1e-14, 12),    # cSEM tight run: 12
    ("sum_squared", 1e-24, 11),  # R plspm tight run (tol 1e-24): 11
])
def test_iteration_counts_follow_the_stopping_rule(satisfaction_data, ecsi_syntax, rule, tol, iterations):
    res = csindex.fit_pls(satisfaction_data, ecsi_syntax, convergence=rule, tol=tol, max_iter=1000)
    assert res.converged is True
    assert res.iterations == iterations


@pytest.mark.parametrize("rule", ["max_abs", "sum_abs", "sum_squared"])
def test_every_rule_converges_and_reports_non_convergence(satisfaction_data, ecsi_syntax, rule):
    ok = csindex.fit_pls(satisfaction_data, ecsi_syntax, convergence=rule, tol=1e-10, max_iter=1000)
    assert ok.converged and 3 <= ok.iterations < 40
    with pytest.warns(csindex.exceptions.ConvergenceWarning, match="did not converge"):
        short = csindex.fit_pls(satisfaction_data, ecsi_syntax, convergence=rule, tol=1e-10, max_iter=2)
    assert short.converged is False and short.iterations == 2
