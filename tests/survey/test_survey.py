"""Survey and Validation objects: the contract accessors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex._summary import Summary
from csindex.exceptions import SurveyDataError


@pytest.fixture(scope="module")
def survey() -> csindex.Survey:
    return csindex.datasets.airline()


def test_responses_numeric_items_and_profile_as_read(survey):
    r = survey.responses
    assert r.shape == (1000, 111)
    for item in survey.items():
        assert r[item].dtype == np.float64
    assert not (r[survey.items()] == 99).any().any()
    assert r["gender"].iloc[0] in ("male", "female")
    assert r["resp_id"].iloc[0] == 100001


def test_constructs_items_scale(survey):
    c = survey.constructs
    assert c["CABN"] == [f"CABN{i}" for i in range(1, 9)]
    assert c["EXP_PUNC"] == ["EXP_PUNC1", "EXP_PUNC2", "EXP_PUNC3"]
    assert "resp_id" not in sum(c.values(), [])
    assert survey.items(role="loyalty") == ["LOY1", "LOY2", "NPS"]
    assert survey.items(role="importance", construct="IMP_ENT") == [f"IMP_ENT{i}" for i in range(1, 6)]
    assert survey.items(role="profile")[:2] == ["age", "gender"]
    assert survey.scale("IMAG2") == (1.0, 10.0)
    with pytest.raises(SurveyDataError, match=r"no item 'IMAG'\. Did you mean 'IMAG\d'"):
        survey.scale("IMAG")
    with pytest.raises(SurveyDataError, match="no response scale"):
        survey.scale("gender")
    with pytest.raises(SurveyDataError, match="Did you mean 'CABN'"):
        survey.items(construct="CABIN")
    with pytest.raises(ValueError, match="'role' parameter"):
        survey.items(role="satisfaction")


def test_pairs(survey):
    exp = survey.pairs("expectation")
    imp = survey.pairs(role="importance")
    assert len(exp) == len(imp) == 4 + 8 + 3 + 5 + 3 + 3 + 3
    assert ("CABN8", "EXP_CABN8") in exp and ("PRICE3", "IMP_PRICE3") in imp
    assert all(b == f"EXP_{a}" for a, b in exp)
    with pytest.raises(ValueError):
        survey.pairs("loyalty")


def test_weights_aligned(survey):
    w = survey.weights
    assert isinstance(w, pd.Series) and w.index.equals(survey.responses.index)
    assert w.mean() == pytest.approx(1.0, abs=1e-3)
    assert csindex.load_survey(pd.DataFrame({"Q1": [1, 2]}), scale=(1, 5)).weights is None


def test_validation_object(survey):
    v = survey.validation
    assert v.n == 1000 and v.ok and v.response_rate is None
    assert list(v.items.columns[:6]) == ["n_valid", "n_missing", "missing_share", "n_missing_code",
                                         "n_out_of_range", "n_non_numeric"]
    assert (v.items["n_valid"] + v.items["n_missing"] == 1000).all()
    assert len(v.straight_liners) >= 2 and len(v.duplicated_ids) == 0
    s = v.summary()
    assert isinstance(s, Summary) and s.facts["respondents"] == 1000
    assert "straight-liners" in s.to_markdown()
    rate = csindex.datasets.airline(n_invited=1250).validation
    assert rate.response_rate == pytest.approx(0.8) and "meets the 70% target" in rate.summary().to_text()


def test_survey_is_frozen_and_summarises(survey):
    with pytest.raises(dataclasses.FrozenInstanceError):
        survey.responses = None  # type: ignore[misc]
    text = repr(survey)
    assert "respondents: 1000" in text and "CABN" in text
