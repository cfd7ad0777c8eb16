"""fit_pls option validation (issue 12 §4): every bad option is a ParameterError, tiny samples
are refused or flagged."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex.exceptions import CsindexError, InferenceWarning, ParameterError, SurveyDataError

MODEL = "Q =~ q1 + q2 + q3\nS =~ s1 + s2 + s3\nL =~ l1 + l2 + l3\nS ~ Q\nL ~ S"


def _data(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q = rng.normal(size=n)
    s = 0.6 * q + 0.8 * rng.normal(size=n)
    lo = 0.5 * s + 0.8 * rng.normal(size=n)
    return pd.DataFrame({f"{name}{k}": f + 0.7 * rng.normal(size=n)
                         for name, f in (("q", q), ("s", s), ("l", lo)) for k in (1, 2, 3)})


@pytest.mark.parametrize("option,value", [
    ("max_iter", 0), ("max_iter", 2.5), ("tol", -1), ("tol", 0), ("tol", float("nan")),
    ("confidence", 1), ("confidence", 0), ("bootstrap", -1), ("bootstrap", True), ("bootstrap", 2.7),
    ("scheme", "bogus"), ("seed", -3), ("seed", 1.5), ("chunk_size", 0), ("consistent", "yes"),
    ("standardize", None), ("convergence", "abs"), ("progress", "on"),
])
def test_bad_option_is_parameter_error_naming_it(option, value):
    with pytest.raises(ParameterError, match=f"'{option}' parameter of fit_pls") as info:
        csindex.fit_pls(_data(50), MODEL, **{option: value})
    assert isinstance(info.value, CsindexError) and isinstance(info.value, ValueError)
    assert f"Got {value!r} instead" in str(info.value)


def test_valid_numpy_scalars_are_accepted():
    res = csindex.fit_pls(_data(60), MODEL, max_iter=np.int64(50), tol=np.float64(1e-9), bootstrap=np.int32(3),
                          seed=np.int64(1), consistent=np.bool_(False))
    assert res.converged and res.settings["bootstrap"] == 3 and res.settings["seed"] == 1
    assert isinstance(res.settings["max_iter"], int)


def test_fewer_respondents_than_items_warns():
    with pytest.warns(InferenceWarning, match=r"Only 5 complete respondents for 9 model items"):
        csindex.fit_pls(_data(5), MODEL)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InferenceWarning)
        csindex.fit_pls(_data(9), MODEL)  # n == p: no warning


def test_fewer_than_three_respondents_refused():
    with pytest.raises(SurveyDataError, match="Only 2 complete respondents"):
        csindex.fit_pls(_data(2), MODEL)
