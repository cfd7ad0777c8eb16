"""Quality criteria against seminr 2.3.4, cSEM and R plspm on the ECSI satisfaction data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex.exceptions import CollinearityWarning, DiscriminantValidityWarning

TIGHT = dict(tol=1e-14, max_iter=1000)


@pytest.fixture(scope="module")
def fitted(satisfaction_data, ecsi_syntax):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscriminantValidityWarning)
        out = {}
        for scheme in ("path", "factorial", "centroid"):
            res = csindex.fit_pls(satisfaction_data, ecsi_syntax, scheme=scheme, **TIGHT)
            res.quality
            out[scheme] = res
        return out


@pytest.mark.parametrize("tool,scheme", [("seminr", "path"), ("seminr", "factorial"), ("cSEM", "path"),
                                         ("cSEM", "centroid"), ("cSEM", "factorial")])
def test_reliability_matches(fitted, load_reference, tool, scheme):
    ref = load_reference(f"pls_satisfaction_{tool}_{scheme}_std")["results"]["tight_tol"]
    rel = fitted[scheme].quality.reliability.set_index("construct")
    rho_c = ref.get("composite_reliability_rhoC") or ref["joereskog_rho_rhoC"]
    rho_a = ref.get("rhoA") or ref["rhoA_from_PLSc_run"]
    for con in rel.index:
        assert rel.at[con, "alpha"] == pytest.approx(ref["cronbach_alpha"][con], abs=1e-8)
        assert rel.at[con, "rho_c"] == pytest.approx(rho_c[con], abs=1e-8)
        assert rel.at[con, "rho_a"] == pytest.approx(rho_a[con], abs=1e-8)
        assert rel.at[con, "ave"] == pytest.approx(ref["ave"][con], abs=1e-8)


@pytest.mark.parametrize("tool,scheme", [("seminr", "path"), ("cSEM", "path"), ("cSEM", "centroid")])
def test_htmt_matches(fitted, load_reference, tool, scheme):
    ref = load_reference(f"pls_satisfaction_{tool}_{scheme}_std")["results"]["tight_tol"]["htmt"]
    ht = fitted[scheme].quality.htmt
    got = {frozenset((a, b)): v for a, b, v in ht[["construct_a", "construct_b", "estimate"]].itertuples(index=False)}
    assert len(got) == len(ref) == 15
    for key, value in ref.items():
        assert got[frozenset(key.split("|"))] == pytest.approx(value, abs=1e-8), key


@pytest.mark.parametrize("tool,scheme", [("cSEM", "path"), ("cSEM", "centroid"), ("plspmR", "path"),
                                         ("plspmR", "factorial"), ("plspmR", "centroid")])
def test_gof_matches(fitted, load_reference, tool, scheme):
    ref = load_reference(f"pls_satisfaction_{tool}_{scheme}_std")["results"]["tight_tol"]["gof"]
    assert fitted[scheme].quality.gof == pytest.approx(ref, abs=1e-8)


@pytest.mark.parametrize("scheme", ["path", "centroid", "factorial"])
def test_plspm_preset_dg_rho_redundancy_communality(satisfaction_data, ecsi_syntax, load_reference, scheme):
    ref = load_reference(f"pls_satisfaction_plspmR_{scheme}_std")["results"]["tight_tol"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscriminantValidityWarning)
        q = csindex.fit_pls(satisfaction_data, ecsi_syntax, scheme=scheme, preset="plspm", **TIGHT).quality
    rel = q.reliability.set_index("construct")
    for con, value in ref["dillon_goldstein_rho_pca"].items():
        assert rel.at[con, "rho_c"] == pytest.approx(value, abs=1e-8)
        assert rel.at[con, "alpha"] == pytest.approx(ref["cronbach_alpha"][con], abs=1e-8)
    red = q.redundancy.set_index("construct")["redundancy"]
    for con, value in ref["mean_redundancy"].items():
        if con in red.index:
            assert red[con] == pytest.approx(value, abs=1e-8)
        else:
            assert value == 0  # exogenous
    comm = q.communality.set_index("item")["communality"]
    for item, value in ref["communalities"].items():
        assert comm[item] == pytest.approx(value, abs=1e-8)


def test_f_squared_matches_seminr(fitted, load_reference):
    ref = load_reference("pls_satisfaction_seminr_path_std")["results"]["tight_tol"]["fsquare"]
    f2 = {f"{s}->{t}": v for s, t, v in fitted["path"].quality.f_squared.itertuples(index=False)}
    for key, value in ref.items():
        assert f2[key] == pytest.approx(value, abs=1e-8), key


def test_fornell_larcker_and_vif_by_hand(fitted):
    res = fitted["path"]
    q = res.quality
    ave = q.reliability.set_index("construct")["ave"]
    fl = q.fornell_larcker
    for con in ave.index:
        assert fl.loc[con, con] == pytest.approx(np.sqrt(ave[con]))
    scores = res.scores
    assert fl.loc["SAT", "VAL"] == pytest.approx(np.corrcoef(scores["SAT"], scores["VAL"])[0, 1], abs=1e-12)
    # VIF of VAL among SAT's predictors: regress VAL on IMAG, EXPE, QUAL scores
    X = np.column_stack([np.ones(res.n), scores[["IMAG", "EXPE", "QUAL"]].to_numpy()])
    y = scores["VAL"].to_numpy()
    resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    r2 = 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))
    vif = q.vif.set_index(["source", "target"])["vif"]
    assert vif[("VAL", "SAT")] == pytest.approx(1 / (1 - r2), rel=1e-10)


def test_srmr_by_hand(fitted, satisfaction_data):
    """SRMR from its definition with explicit loops over item pairs."""
    res = fitted["path"]
    items = list(res.loadings["item"])
    R = satisfaction_data[items].corr().to_numpy()
    lam = res.loadings["estimate"].to_numpy()
    con = list(res.loadings["construct"])
    Cs = res.construct_correlations.set_index("construct")
    total, count = 0.0, 0
    for i in range(len(items)):
        for k in range(i + 1):
            implied = 1.0 if i == k else lam[i] * lam[k] * (1.0 if con[i] == con[k] else Cs.loc[con[i], con[k]])
            total += (R[i, k] - implied) ** 2
            count += 1
    assert res.quality.srmr == pytest.approx(np.sqrt(total / count), abs=1e-12)


def test_collinear_predictors_warn():
    rng = np.random.default_rng(3)
    a = rng.normal(size=300)
    b = a + 0.1 * rng.normal(size=300)
    c = a + b + rng.normal(size=300)
    df = pd.DataFrame({"a1": a, "a2": a + 0.1 * rng.normal(size=300), "b1": b, "b2": b + 0.1 * rng.normal(size=300),
                       "c1": c, "c2": c + rng.normal(size=300)})
    res = csindex.fit_pls(df, "A =~ a1 + a2\nB =~ b1 + b2\nC =~ c1 + c2\nC ~ A + B")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiscriminantValidityWarning)
        with pytest.warns(CollinearityWarning, match="'A' -> 'C'"):
            res.quality


def test_htmt2_by_hand(fitted, satisfaction_data):
    """HTMT2: geometric means of absolute correlations (Roemer, Schuberth & Henseler 2021)."""
    from itertools import combinations
    from statistics import geometric_mean

    q = fitted["path"].quality
    R = satisfaction_data.drop(columns=["gender"]).corr().abs()
    a_items = [f"imag{k}" for k in range(1, 6)]
    b_items = [f"expe{k}" for k in range(1, 6)]
    het = geometric_mean([R.loc[i, j] for i in a_items for j in b_items])
    mono_a = geometric_mean([R.loc[i, j] for i, j in combinations(a_items, 2)])
    mono_b = geometric_mean([R.loc[i, j] for i, j in combinations(b_items, 2)])
    h2 = q.htmt2.set_index(["construct_a", "construct_b"])["estimate"]
    assert h2[("EXPE", "IMAG")] == pytest.approx(het / np.sqrt(mono_a * mono_b), abs=1e-12)
    assert len(h2) == 15
