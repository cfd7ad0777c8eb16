"""PLSpredict against seminr 2.3.4 ``predict_pls`` and against brute-force refits.

References (``tests/reference``, vendored from the shared reference set): ``pls_satisfaction_seminr_predict_loocv.json``
(leave-one-out) and ``pls_satisfaction_seminr_predict_kfold10.json`` (10 folds, the fold of
every row in ``settings.fold_of_row``). Their ``tight_tol`` runs (every training fold
converged to machine precision) are matched at 1e-8; Q²predict is the file's own
SmartPLS/Shmueli (2019) computation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csindex
from csindex.exceptions import MissingDataWarning, ParameterError, SpecError

TIGHT = dict(tol=1e-14, max_iter=1000)
OOS = [("pls_oos_rmse", "pls_rmse"), ("pls_oos_mae", "pls_mae"), ("lm_oos_rmse", "lm_rmse"),
       ("lm_oos_mae", "lm_mae"), ("q2predict", "q2_predict")]
INS = [("pls_is_rmse", "pls_rmse"), ("pls_is_mae", "pls_mae"), ("lm_is_rmse", "lm_rmse"), ("lm_is_mae", "lm_mae")]
ROWS = [("pls_oos", "predictions"), ("lm_oos", "lm_predictions"), ("naive_training_mean", "naive_predictions"),
        ("pls_in_sample", "in_sample_predictions"), ("actual", "actual")]
CASES = [(f, t) for f in ("loocv", "kfold10") for t in ("DA", "EA")]


def _folds(ref, case):
    return "loo" if case == "loocv" else np.asarray(ref["settings"]["fold_of_row"])


@pytest.fixture(scope="module")
def refs(load_reference):
    return {c: load_reference(f"pls_satisfaction_seminr_predict_{c}") for c in ("loocv", "kfold10")}


@pytest.mark.parametrize("case,technique", CASES, ids=[f"{c}-{t}" for c, t in CASES])
def test_matches_seminr_predict_pls_1e8(satisfaction_data, ecsi_syntax, refs, case, technique):
    ref = refs[case]
    out = ref["results"]["tight_tol"][f"predict_{technique}"]
    res = csindex.plspredict(satisfaction_data, ecsi_syntax, folds=_folds(ref, case), technique=technique, **TIGHT)
    items = res.items.set_index("item")
    ins = res.in_sample.set_index("item")
    assert list(res.items.columns) == ["item", "construct", "pls_rmse", "pls_mae", "lm_rmse", "lm_mae", "q2_predict"]
    assert list(items.index) == list(out["per_item"])  # the 22 items of the endogenous constructs, same order
    for item, row in out["per_item"].items():
        assert items.loc[item, "construct"] == row["construct"]
        for key, col in OOS:
            assert items.loc[item, col] == pytest.approx(row[key], abs=1e-8), (item, key)
        for key, col in INS:
            assert ins.loc[item, col] == pytest.approx(row[key], abs=1e-8), (item, key)
    first = out["first10_rows"]
    for key, attr in ROWS:
        table = getattr(res, attr)
        for item, values in first[key].items():
            np.testing.assert_allclose(table[item].to_numpy()[:10], values, rtol=0, atol=1e-8, err_msg=f"{key} {item}")
    assert res.settings["n_used"] == 250 and res.settings["n_not_converged"] == 0
    assert res.settings["n_fits"] == (250 if case == "loocv" else 10)


@pytest.mark.parametrize("technique", ["DA", "EA"])
def test_default_settings_close_to_seminr(satisfaction_data, ecsi_syntax, refs, technique):
    out = refs["loocv"]["results"]["tight_tol"][f"predict_{technique}"]["per_item"]
    items = csindex.plspredict(satisfaction_data, ecsi_syntax, folds="loo", technique=technique).items
    items = items.set_index("item")
    for item, row in out.items():
        assert items.loc[item, "pls_rmse"] == pytest.approx(row["pls_oos_rmse"], abs=1e-6)
        assert items.loc[item, "q2_predict"] == pytest.approx(row["q2predict"], abs=1e-6)


def test_loo_naive_benchmark_and_sse(satisfaction_data, ecsi_syntax, refs):
    """Q²predict's denominator uses the training mean; in LOO it is (N/(N-1))² times the full-sample SSE."""
    out = refs["loocv"]["results"]["tight_tol"]["predict_DA"]["per_item"]
    res = csindex.plspredict(satisfaction_data, ecsi_syntax, folds="loo", **TIGHT)
    y, naive = res.actual, res.naive_predictions
    n = len(y)
    for item, row in out.items():
        sse_naive = float(((y[item] - naive[item]) ** 2).sum())
        assert sse_naive == pytest.approx(row["sse_naive_training_mean"], abs=1e-8)
        full = float(((y[item] - y[item].mean()) ** 2).sum())
        assert sse_naive == pytest.approx(full * (n / (n - 1)) ** 2, rel=1e-12)
        sse = float(((y[item] - res.predictions[item]) ** 2).sum())
        assert sse == pytest.approx(row["sse_pls_oos"], abs=1e-7)


def test_ea_equals_da_where_all_predecessors_are_exogenous(satisfaction_data, ecsi_syntax):
    da = csindex.plspredict(satisfaction_data, ecsi_syntax, folds=5, repetitions=1, seed=3).items.set_index("item")
    ea = csindex.plspredict(satisfaction_data, ecsi_syntax, folds=5, repetitions=1, seed=3,
                            technique="EA").items.set_index("item")
    expe = [f"expe{k}" for k in range(1, 6)]  # EXPE ~ IMAG only
    pd.testing.assert_frame_equal(da.loc[expe], ea.loc[expe])
    assert not np.allclose(da.loc["sat1", "pls_rmse"], ea.loc["sat1", "pls_rmse"])
    pd.testing.assert_series_equal(da["lm_rmse"], ea["lm_rmse"])  # the benchmark does not depend on the technique


# ------------------------------------------------------------------ brute force on simulated data
MIXED = "X =~ x1 + x2 + x3\nF <~ f1 + f2\nY =~ y1 + y2\nZ =~ z1\nY ~ X + F\nZ ~ Y + X"


def _sim(n=90, seed=11):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    f = rng.normal(size=n)
    y = 0.5 * x + 0.4 * f + 0.7 * rng.normal(size=n)
    z = 0.6 * y + 0.2 * x + 0.7 * rng.normal(size=n)
    cols = {f"x{k}": x + 0.8 * rng.normal(size=n) for k in (1, 2, 3)}
    cols |= {"f1": f + 0.5 * rng.normal(size=n), "f2": rng.normal(size=n) + 0.3 * f}
    cols |= {f"y{k}": y + 0.6 * rng.normal(size=n) for k in (1, 2)}
    cols |= {"z1": z}
    return pd.DataFrame(cols) * 1.5 + 4.0


def _manual_predictions(df, model, folds, technique):
    """One fit_pls per fold (the slow way) and seminr's prediction formula."""
    out = pd.DataFrame(index=df.index, columns=["y1", "y2", "z1"], dtype=float)
    lm = out.copy()
    for k in np.unique(folds):
        train, test = df[folds != k], df[folds == k]
        res = csindex.fit_pls(train, model, tol=1e-13, max_iter=1000)
        m, s = train.mean(), train.std(ddof=1)
        z = (test - m) / s
        w = res.weights.set_index("item")["estimate"]
        scores = pd.DataFrame({c: z[g["item"]] @ w[g["item"]] for c, g in res.weights.groupby("construct")})
        P = res.paths
        coef = {(r.source, r.target): r.estimate for r in P.itertuples()}
        if technique == "DA":
            ys = sum(coef[(s_, "Y")] * scores[s_] for s_ in ("X", "F"))
            zs = sum(coef[(s_, "Z")] * scores[s_] for s_ in ("Y", "X"))
        else:
            ys = sum(coef[(s_, "Y")] * scores[s_] for s_ in ("X", "F"))
            zs = coef[("Y", "Z")] * ys + coef[("X", "Z")] * scores["X"]
        lam = res.loadings.set_index("item")["estimate"]
        for item, sc in (("y1", ys), ("y2", ys), ("z1", zs)):
            out.loc[test.index, item] = m[item] + s[item] * lam[item] * sc
            preds = [c for c in df.columns if not c.startswith(item[0])]
            A = np.column_stack([np.ones(len(train)), train[preds]])
            beta = np.linalg.lstsq(A, train[item], rcond=None)[0]
            lm.loc[test.index, item] = np.column_stack([np.ones(len(test)), test[preds]]) @ beta
    return out, lm


@pytest.mark.parametrize("technique", ["DA", "EA"])
def test_batched_folds_equal_fold_by_fold_refits(technique):
    """Mode B block, single-item construct, uneven explicit folds: the downdated batch
    equals refitting each training fold with fit_pls."""
    df = _sim()
    folds = np.random.default_rng(0).integers(0, 4, size=len(df))
    res = csindex.plspredict(df, MIXED, folds=folds, technique=technique, tol=1e-13, max_iter=1000)
    pls, lm = _manual_predictions(df, MIXED, folds, technique)
    np.testing.assert_allclose(res.predictions.to_numpy(), pls.to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.lm_predictions.to_numpy(), lm.to_numpy(), rtol=0, atol=1e-9)
    assert res.settings["folds"] == "explicit" and res.settings["n_folds"] == 4


def test_exogenous_benchmark_uses_exogenous_items_only():
    df = _sim()
    folds = np.arange(len(df)) % 3
    res = csindex.plspredict(df, MIXED, folds=folds, benchmark="exogenous")
    exo = ["x1", "x2", "x3", "f1", "f2"]
    for k in range(3):
        train, test = df[folds != k], df[folds == k]
        A = np.column_stack([np.ones(len(train)), train[exo]])
        for item in ("y1", "z1"):
            beta = np.linalg.lstsq(A, train[item], rcond=None)[0]
            expect = np.column_stack([np.ones(len(test)), test[exo]]) @ beta
            np.testing.assert_allclose(res.lm_predictions.loc[test.index, item], expect, atol=1e-9)
    seminr = csindex.plspredict(df, MIXED, folds=folds)
    assert not np.allclose(seminr.lm_predictions["z1"], res.lm_predictions["z1"])
    pd.testing.assert_frame_equal(seminr.predictions, res.predictions)


# ------------------------------------------------------------------ folds and seeds
def test_kfold_default_is_ten_by_ten_and_seeded():
    df = _sim(n=100)
    a = csindex.plspredict(df, MIXED, seed=5)
    b = csindex.plspredict(df, MIXED, seed=5)
    c = csindex.plspredict(df, MIXED, seed=6)
    assert a.folds.shape == (10, 100) and a.settings["repetitions"] == 10 and a.settings["n_folds"] == 10
    assert a.settings["seed"] == 5 and a.settings["n_fits"] == 100
    assert all(np.bincount(r, minlength=10).tolist() == [10] * 10 for r in a.folds)
    pd.testing.assert_frame_equal(a.items, b.items)
    assert not np.allclose(a.items["pls_rmse"], c.items["pls_rmse"])
    # repetitions average the predictions: equal to the mean of the single-repetition runs
    reps = [csindex.plspredict(df, MIXED, folds=a.folds[r]) for r in range(10)]
    mean_pred = sum(r.predictions for r in reps) / 10
    np.testing.assert_allclose(a.predictions.to_numpy(), mean_pred.to_numpy(), atol=1e-12)
    again = csindex.plspredict(df, MIXED, folds=a.folds)
    pd.testing.assert_frame_equal(again.items, a.items)
    gen = csindex.plspredict(df, MIXED, folds=4, repetitions=2, seed=np.random.default_rng(1))
    assert isinstance(gen.settings["seed"], int) and gen.folds.shape == (2, 100)


def test_loo_is_deterministic_and_labels_are_free(satisfaction_data, ecsi_syntax):
    a = csindex.plspredict(satisfaction_data, ecsi_syntax, folds="loo")
    assert a.settings["seed"] is None and a.settings["folds"] == "loo" and a.settings["n_fits"] == 250
    df = _sim(n=60)
    ids = np.arange(60) % 3
    x = csindex.plspredict(df, MIXED, folds=ids)
    y = csindex.plspredict(df, MIXED, folds=np.array(["c", "a", "b"])[ids])
    np.testing.assert_allclose(x.predictions.to_numpy(), y.predictions.to_numpy(), atol=1e-12)


def test_result_method_equals_function(satisfaction_data, ecsi_syntax):
    fit = csindex.fit_pls(satisfaction_data, ecsi_syntax, tol=1e-12, max_iter=500)
    via_method = fit.predict(folds="loo", technique="EA")
    direct = csindex.plspredict(satisfaction_data, ecsi_syntax, folds="loo", technique="EA", tol=1e-12, max_iter=500)
    pd.testing.assert_frame_equal(via_method.items, direct.items)
    assert "PLSpredict" in via_method.summary().to_text()


def test_missing_rows_are_dropped_and_explicit_folds_follow():
    df = _sim(n=60)
    df.loc[[3, 17], "y1"] = np.nan
    ids = np.arange(60) % 3
    with pytest.warns(MissingDataWarning, match="2 of 60"):
        res = csindex.plspredict(df, MIXED, folds=ids)
    assert res.settings["n_used"] == 58 and res.settings["n_dropped"] == 2
    assert 3 not in res.predictions.index
    clean = csindex.plspredict(df.dropna(), MIXED, folds=ids[df.notna().all(axis=1).to_numpy()])
    pd.testing.assert_frame_equal(res.items, clean.items)
    with pytest.warns(MissingDataWarning):
        kf = csindex.plspredict(df, MIXED, folds=10, repetitions=2, seed=0)
    assert kf.folds.shape == (2, 58)
    assert all(sorted(set(np.bincount(r).tolist())) == [5, 6] for r in kf.folds)  # 58 rows: sizes 5 and 6


@pytest.mark.parametrize("kwargs,match", [
    (dict(folds="bogus"), "'folds' parameter"),
    (dict(folds=1), "from 2 to the number of rows used"),
    (dict(folds=61), "from 2 to the number of rows used"),
    (dict(folds=True), "'folds' parameter"),
    (dict(folds=np.zeros(59)), "one entry per data row"),
    (dict(folds=np.full(60, 0.5)), "one entry per data row"),
    (dict(folds=np.zeros(60)), "at least 2 folds"),
    (dict(folds="loo", repetitions=3), "deterministic"),
    (dict(technique="XX"), "'technique' parameter"),
    (dict(benchmark="lm"), "'benchmark' parameter"),
    (dict(repetitions=0), "'repetitions' parameter"),
    (dict(seed=-1), "'seed' parameter"),
    (dict(tol=0), "'tol' parameter"),
])
def test_bad_options_raise_parameter_error(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        csindex.plspredict(_sim(n=60), MIXED, **kwargs)


def test_model_without_paths_is_refused():
    with pytest.raises(SpecError, match="structural path"):
        csindex.plspredict(_sim(n=60), "X =~ x1 + x2 + x3")


# ------------------------------------------------------------------ invariants


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scale=st.lists(st.floats(0.2, 20.0), min_size=8, max_size=8),
       shift=st.lists(st.floats(-50.0, 50.0), min_size=8, max_size=8),
       technique=st.sampled_from(["DA", "EA"]), seed=st.integers(0, 2**16))
def test_predictions_are_equivariant_to_item_rescaling(scale, shift, technique, seed):
    """Items are standardised per training fold, so an affine recoding of the items recodes
    the predictions the same way and leaves Q²predict unchanged (PLS and LM alike)."""
    df = _sim(n=50, seed=seed)
    scale, shift = np.asarray(scale), np.asarray(shift)
    moved = df * scale + shift
    a = csindex.plspredict(df, MIXED, folds=5, repetitions=1, seed=1, technique=technique, tol=1e-12)
    b = csindex.plspredict(moved, MIXED, folds=5, repetitions=1, seed=1, technique=technique, tol=1e-12)
    cols = list(a.predictions.columns)
    k = [list(df.columns).index(c) for c in cols]
    for attr in ("predictions", "lm_predictions", "naive_predictions"):
        np.testing.assert_allclose(getattr(b, attr).to_numpy(), getattr(a, attr).to_numpy() * scale[k] + shift[k],
                                   rtol=1e-7, atol=1e-7 * (1 + np.abs(shift).max()))
    np.testing.assert_allclose(b.items["q2_predict"], a.items["q2_predict"], atol=1e-8)
    np.testing.assert_allclose(b.items["pls_rmse"], a.items["pls_rmse"] * scale[k], rtol=1e-7)
