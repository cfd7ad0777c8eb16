"""MLR with missing data (FIML) against R lavaan 0.6-14, ``estimator = "MLR", missing = "ml"``.

Data: the ECSI satisfaction data with a deterministic MAR pattern on six items
(``tests/reference/satisfaction_missing.csv``, written by ``tools/make_satisfaction_missing.py``);
reference: ``cbsem_satisfaction_missing_lavaan_mlr_fiml.json`` (``tools/lavaan_mlr_fiml.R``).

Two kinds of checks, as for complete data (test_sem_robust.py). End to end: ``fit_sem`` against
lavaan's tight run (BFGS, reltol 1e-16). The ECSI likelihood is flat (EXPE-QUAL r = 0.99):
csindex's optimum has a slightly *higher* log-likelihood than lavaan's tight run and differs from it
by ~1e-4 in the worst-determined estimates, which moves the robust SEs by as much. Formula level:
csindex's sandwich, Yuan-Bentler scaling and FIML-corrected (Zhang & Savalei) statistics evaluated
at lavaan's tight estimates and lavaan's EM (h1) moments, against the numbers lavaan reports there.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex.exceptions import DiscriminantValidityWarning
from csindex.sem import _engine, fiml
from csindex.sem._fit_indices import robust_indices, scaled_indices

# lavaan fitMeasures -> csindex fit_indices, with the end-to-end tolerance (relative)
END_TO_END = {
    "chisq": ("chi2", 1e-9), "baseline.chisq": ("baseline_chi2", 1e-9),
    "chisq.scaled": ("chi2_scaled", 2e-6), "chisq.scaling.factor": ("scaling_factor", 2e-6),
    "baseline.chisq.scaled": ("baseline_chi2_scaled", 1e-7),
    "baseline.chisq.scaling.factor": ("baseline_scaling_factor", 1e-7),
    "cfi.scaled": ("cfi_scaled", 1e-6), "tli.scaled": ("tli_scaled", 1e-6), "rmsea.scaled": ("rmsea_scaled", 2e-6),
    "rmsea.ci.lower.scaled": ("rmsea_ci_lower_scaled", 2e-6), "rmsea.ci.upper.scaled": ("rmsea_ci_upper_scaled", 2e-6),
    "cfi.robust": ("cfi_robust", 1e-7), "tli.robust": ("tli_robust", 1e-7), "rmsea.robust": ("rmsea_robust", 1e-6),
    "rmsea.ci.lower.robust": ("rmsea_ci_lower_robust", 1e-6), "rmsea.ci.upper.robust": ("rmsea_ci_upper_robust", 1e-6),
    "srmr": ("srmr", 1e-6), "logl": ("logl", 1e-12),
}
FIMLC = {"XX3": "chi2_fimlc", "c.hat3": "scaling_factor_fimlc", "XX3.null": "baseline_chi2_fimlc",
         "c.hat3.null": "baseline_scaling_factor_fimlc"}


@pytest.fixture(scope="module")
def ref(load_reference):
    return load_reference("cbsem_satisfaction_missing_lavaan_mlr_fiml")


@pytest.fixture(scope="module")
def holes(reference_path):
    return pd.read_csv(reference_path("satisfaction_missing.csv"))


@pytest.fixture(scope="module")
def res(ref, holes):
    with pytest.warns(DiscriminantValidityWarning):
        return csindex.fit_sem(holes, ref["model"]["lavaan_syntax"], estimator="MLR", missing="fiml")


def _key(r) -> str:
    return f"{r.lhs} {r.op} {r.rhs}".strip()


def test_data_file_is_the_generators_output(ref, holes, satisfaction_data, repo_script):
    tool = repo_script("tools/make_satisfaction_missing.py")
    made = tool.with_missing(satisfaction_data)
    pd.testing.assert_frame_equal(made.astype({c: float for c in made.columns if c != "gender"}),
                                  holes.astype({c: float for c in holes.columns if c != "gender"}))
    assert holes.isna().sum().to_dict() == {**{c: 0 for c in holes.columns}, **ref["dataset"]["missing"]}


def test_estimates_and_robust_standard_errors_end_to_end(ref, res):
    tight = ref["results"]["auxiliary_tight_optimisation"]
    pe = tight["parameter_estimates"]
    rows = {_key(r): r for r in res.estimates.itertuples()}
    assert sorted(rows) == sorted(pe)                          # 76 parameters + 27 intercepts
    free = {k: v for k, v in pe.items() if v["se"]}
    assert all(rows[k].estimate == v["est"] for k, v in pe.items() if k not in free)   # fixed: 1 and 0
    worst_est = max(abs(rows[k].estimate - v["est"]) / abs(v["est"]) for k, v in free.items())
    worst_se = max(abs(rows[k].std_error - v["se"]) / v["se"] for k, v in free.items())
    assert worst_est < 2e-4 and worst_se < 5e-4               # measured 8.8e-5 and 1.7e-4
    # csindex's optimum is at least as good as lavaan's tight run
    assert res.fit_indices["logl"] >= tight["fit_measures"]["logl"] - 1e-9
    assert res.settings["se"] == ref["settings"]["se"] and res.settings["test"] == ref["settings"]["test"]
    assert res.settings["information"] == ref["settings"]["information"][0]


def test_scaled_and_robust_fit_indices_end_to_end(ref, res):
    tight = ref["results"]["auxiliary_tight_optimisation"]
    fm = tight["fit_measures"]
    for lav, (key, rel) in END_TO_END.items():
        assert res.fit_indices[key] == pytest.approx(fm[lav], rel=rel), key
    for lav, key in FIMLC.items():
        # lavaan's EM (h1) moments stop ~1e-5 short of the EM optimum; T3 depends on them to first order
        assert res.fit_indices[key] == pytest.approx(tight["fiml_corrected"][lav], rel=1e-6), key
    assert res.fit_indices["df"] == fm["df"] and res.fit_indices["baseline_df"] == fm["baseline.df"]
    assert res.fit_indices["rmsea_pvalue_robust"] == pytest.approx(fm["rmsea.pvalue.robust"], abs=1e-12)
    assert res.fit_indices["scaling_factor_h1"] == pytest.approx(
        tight["tests"]["yuan.bentler.mplus"]["scaling.factor.h1"], rel=1e-7)


def test_summary_shows_the_robust_indices_as_lavaan_prints_them(ref, res):
    fm = ref["results"]["auxiliary_tight_optimisation"]["fit_measures"]
    facts = res.summary().facts
    for name, lav in (("CFI", "cfi.robust"), ("TLI", "tli.robust"), ("RMSEA", "rmsea.robust")):
        assert facts[f"{name} (robust)"] == pytest.approx(fm[lav], rel=1e-6), name


def _lavaan_point(ref, res, holes):
    """csindex's structure, data patterns, lavaan's tight (theta, mu) and lavaan's EM moments."""
    tight = ref["results"]["auxiliary_tight_optimisation"]
    pe = tight["parameter_estimates"]
    st = _engine.build_structure(res.spec)
    items = list(st.observed)
    theta = np.zeros(st.n_free)
    for par in st.params:
        if par.free:
            theta[par.index] = pe[f"{par.lhs} {par.op} {par.rhs}"]["est"]
    mu = np.array([pe[f"{i} ~1"]["est"] for i in items])
    p = len(items)
    s_h1 = np.zeros((p, p))
    rows, cols = np.triu_indices(p)                          # lavaan's vech: column-wise lower triangle
    s_h1[cols, rows] = s_h1[rows, cols] = tight["h1"]["cov_vech"]
    mu_h1 = np.array([tight["h1"]["mean"][i] for i in items])
    x = holes[items].to_numpy(float)
    return st, fiml.missing_patterns(x), x, np.concatenate([theta, mu]), mu_h1, s_h1


def test_robust_formulas_at_lavaan_tight_estimates(ref, res, holes):
    tight = ref["results"]["auxiliary_tight_optimisation"]
    st, pat, x, phi, mu_h1, s_h1 = _lavaan_point(ref, res, holes)
    rob = fiml.robust_fiml(st, pat, x, phi, fiml.fiml_hessian(st, pat, phi), mu_h1, s_h1)
    se = np.sqrt(np.diag(rob["vcov"]))
    pe = tight["parameter_estimates"]
    names = {p.index: f"{p.lhs} {p.op} {p.rhs}" for p in st.params if p.free}
    names.update({st.n_free + k: f"{i} ~1" for k, i in enumerate(st.observed)})
    worst = max(abs(se[k] - pe[name]["se"]) / pe[name]["se"] for k, name in names.items())
    assert worst < 1e-6                                       # both tools differentiate numerically (measured 1.7e-7)
    yb = tight["tests"]["yuan.bentler.mplus"]
    assert rob["scaling_factor"] == pytest.approx(yb["scaling.factor"], rel=1e-8)
    assert rob["scaling_factor_h1"] == pytest.approx(yb["scaling.factor.h1"], rel=1e-12)   # closed form
    assert rob["scaling_factor_h0"] == pytest.approx(yb["scaling.factor.h0"], rel=1e-8)
    mu0 = np.nanmean(x, axis=0)
    var0 = np.nanvar(x, axis=0)
    c_base = fiml.robust_fiml_baseline(pat, x, mu0, var0, rob["trace_h1"])
    assert c_base == pytest.approx(tight["baseline_tests"]["yuan.bentler.mplus"]["scaling.factor"], rel=1e-8)
    zs = fiml.fiml_corrected(st, pat, phi, mu_h1, s_h1, (mu0, var0), rob["h1_information"])
    fc = tight["fiml_corrected"]
    assert zs["chi2"] == pytest.approx(fc["XX3"], rel=1e-12)
    assert zs["scaling_factor"] == pytest.approx(fc["c.hat3"], rel=1e-12)
    assert zs["baseline_scaling_factor"] == pytest.approx(fc["c.hat3.null"], rel=1e-12)
    # lavaan's independence-model estimates come from its optimiser (csindex: closed form)
    assert zs["baseline_chi2"] == pytest.approx(fc["XX3.null"], rel=1e-7)


def test_robust_indices_from_lavaans_statistics(ref):
    tight = ref["results"]["auxiliary_tight_optimisation"]
    fm, fc = tight["fit_measures"], tight["fiml_corrected"]
    fit = pd.Series({"chi2": fm["chisq"], "df": fm["df"], "ntotal": fm["ntotal"], "baseline_chi2": fm["baseline.chisq"],
                     "baseline_df": fm["baseline.df"]})
    out = scaled_indices(fit, fm["chisq.scaling.factor"], fm["baseline.chisq.scaling.factor"],
                         robust=(fc["XX3"], fc["c.hat3"], fc["XX3.null"], fc["c.hat3.null"]))
    for lav in ("cfi.robust", "tli.robust", "rmsea.robust", "cfi.scaled", "tli.scaled", "rmsea.scaled"):
        assert out[lav.replace(".", "_")] == pytest.approx(fm[lav], rel=1e-12), lav
    for lav in ("rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled"):
        assert out[lav.replace(".", "_")] == pytest.approx(fm[lav], rel=1e-6), lav     # lavaan's uniroot
    assert out["rmsea_pvalue_robust"] == pytest.approx(fm["rmsea.pvalue.robust"], abs=1e-12)


@pytest.fixture(scope="module")
def res_ml(ref, holes):
    with pytest.warns(DiscriminantValidityWarning):
        return csindex.fit_sem(holes, ref["model"]["lavaan_syntax"], missing="fiml")


def test_plain_ml_robust_indices_end_to_end(ref, res, res_ml):
    """``estimator="ML"``: lavaan still reports cfi/tli/rmsea.robust with missing data, from the
    FIML-corrected statistic with the normal-theory Gamma (its "V6")."""
    ml = ref["results"]["plain_ml_fiml"]["tight"]
    fm = ml["fit_measures"]
    for lav in ("cfi.robust", "tli.robust"):
        assert res_ml.fit_indices[lav.replace(".", "_")] == pytest.approx(fm[lav], rel=1e-7), lav     # 2e-8
    for lav in ("rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust"):
        assert res_ml.fit_indices[lav.replace(".", "_")] == pytest.approx(fm[lav], rel=1e-6), lav     # 1.2e-7
    assert res_ml.fit_indices["rmsea_pvalue_robust"] == pytest.approx(fm["rmsea.pvalue.robust"], abs=1e-12)
    for lav, key in FIMLC.items():
        assert res_ml.fit_indices[key] == pytest.approx(ml["fiml_corrected_v6"][lav], rel=1e-6), key
    assert res_ml.fit_indices["chi2_fimlc"] == pytest.approx(res.fit_indices["chi2_fimlc"], rel=1e-12)
    assert not any(k.endswith("_scaled") for k in res_ml.fit_indices.index)        # no scaled test for ML


def test_plain_ml_fiml_corrected_at_lavaan_tight_estimates(ref, res, holes):
    ml = ref["results"]["plain_ml_fiml"]["tight"]
    assert ml["max_abs_est_diff_vs_mlr_tight"] == 0                 # same optimiser run as the MLR one
    st, pat, x, phi, mu_h1, s_h1 = _lavaan_point(ref, res, holes)
    info = fiml.saturated_information(pat, mu_h1, s_h1)
    baseline = (np.nanmean(x, axis=0), np.nanvar(x, axis=0))
    zs = fiml.fiml_corrected(st, pat, phi, mu_h1, s_h1, baseline, (info, np.linalg.inv(info), None))
    fc = ml["fiml_corrected_v6"]
    assert zs["scaling_factor"] == pytest.approx(fc["c.hat3"], rel=1e-12)
    assert zs["baseline_scaling_factor"] == pytest.approx(fc["c.hat3.null"], rel=1e-12)
    assert zs["chi2"] == pytest.approx(fc["XX3"], rel=1e-12)
    fit = pd.Series({"chi2": ml["fit_measures"]["chisq"], "df": fc["df3"], "ntotal": ml["fit_measures"]["ntotal"],
                     "baseline_chi2": ml["fit_measures"]["baseline.chisq"], "baseline_df": fc["df3.null"]})
    out = robust_indices(fit, fc["XX3"], fc["c.hat3"], fc["XX3.null"], fc["c.hat3.null"])
    for lav in ("cfi.robust", "tli.robust", "rmsea.robust"):
        assert out[lav.replace(".", "_")] == pytest.approx(ml["fit_measures"][lav], rel=1e-12), lav


def _duplication(p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, cols = np.tril_indices(p)
    dup = np.zeros((p * p, len(rows)))
    for k, (i, j) in enumerate(zip(rows, cols)):
        dup[i * p + j, k] = dup[j * p + i, k] = 1.0
    return dup, rows, cols


def test_fiml_corrected_scaling_on_complete_data_is_the_unstructured_satorra_bentler_trace(satisfaction_data):
    """On complete data the EM moments are the sample moments and the means are saturated, so
    c3 = tr(U Gamma) / df with ``W = 1/2 D'(S^-1 x S^-1) D`` at S (unstructured),
    ``U = W - W Delta (Delta' W Delta)^-1 Delta' W`` and Gamma the covariance (divisor N) of
    vech(d_i d_i'): brute force with duplication matrices and a finite-difference Delta."""
    model = "IMAG =~ imag1 + imag2 + imag3\nSAT =~ sat1 + sat2 + sat3\nLOY =~ loy1 + loy2 + loy3\nSAT ~ IMAG\nLOY ~ SAT"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", csindex.exceptions.CsindexWarning)
        res = csindex.fit_sem(satisfaction_data, model, estimator="MLR", missing="fiml")
    st = _engine.build_structure(res.spec)
    rows = {_key(r): r.estimate for r in res.estimates.itertuples()}
    theta = np.zeros(st.n_free)
    for par in st.params:
        if par.free:
            theta[par.index] = rows[f"{par.lhs} {par.op} {par.rhs}"]
    x = satisfaction_data[list(st.observed)].to_numpy(float)
    p = x.shape[1]
    s = np.cov(x.T, ddof=0)
    dup, r, c = _duplication(p)
    v = np.linalg.inv(s)
    w = 0.5 * dup.T @ np.kron(v, v) @ dup
    d = x - x.mean(axis=0)
    z = d[:, r] * d[:, c]
    gamma = np.cov(z.T, ddof=0)

    def vech_sigma(t):
        return st.implied(t[None])["sigma"][0][r, c]

    h = 1e-6
    delta = np.column_stack([(vech_sigma(theta + h * e) - vech_sigma(theta - h * e)) / (2 * h)
                             for e in np.eye(st.n_free)])
    delta_b = (r == c)[:, None] * (np.arange(p)[None, :] == r[:, None])        # variances of the baseline

    def scaling(dl, df):
        u = w - w @ dl @ np.linalg.solve(dl.T @ w @ dl, dl.T @ w)
        return np.trace(u @ gamma) / df

    assert res.fit_indices["scaling_factor_fimlc"] == pytest.approx(scaling(delta, len(r) - st.n_free), rel=1e-7)
    assert res.fit_indices["baseline_scaling_factor_fimlc"] == pytest.approx(
        scaling(delta_b.astype(float), p * (p - 1) / 2), rel=1e-10)
