"""Index-model templates: path structures as published, item filling, dropping, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex.exceptions import SpecError, SurveyDataError
from csindex.models import TEMPLATE_PATHS, acsi, ccsi, ecsi, items_from_survey, scsb, template

SIX = {
    "image": ["im1", "im2"],
    "expectation": ["ex1", "ex2"],
    "quality": ["qu1", "qu2"],
    "value": ["va1", "va2"],
    "satisfaction": ["sa1", "sa2"],
    "loyalty": ["lo1", "lo2"],
}


def test_ccsi_paths_are_the_methods_reconstruction():
    # METHODS.md 5.5, written out independently of the module's table
    expected = {
        ("IMAG", "EXPE"), ("IMAG", "QUAL"), ("IMAG", "VAL"), ("IMAG", "SAT"),
        ("EXPE", "QUAL"), ("EXPE", "VAL"), ("EXPE", "SAT"),
        ("QUAL", "VAL"), ("QUAL", "SAT"), ("VAL", "SAT"), ("SAT", "LOY"),
    }
    spec = ccsi(SIX)
    assert set(spec.paths) == expected
    assert len(spec.paths) == 11
    assert spec.constructs == ("IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY")
    assert "NOT confirmed" in csindex.models.TEMPLATE_SOURCES["ccsi"]
    assert "not confirmed" in ccsi.__doc__


def test_ecsi_matches_reference_syntax(ecsi_syntax):
    from csindex.spec import ModelSpec

    ref = ModelSpec.from_lavaan(ecsi_syntax)
    blocks = {"image": ref.block_items["IMAG"], "expectation": ref.block_items["EXPE"],
              "quality": ref.block_items["QUAL"], "value": ref.block_items["VAL"],
              "satisfaction": ref.block_items["SAT"], "loyalty": ref.block_items["LOY"]}
    assert ecsi(blocks) == ref
    assert len(ecsi(blocks).paths) == 10


def test_ecsi_with_complaints_is_the_mobi_model():
    spec = ecsi({**SIX, "complaints": ["co1"]})
    assert ("SAT", "COMP") in spec.paths and ("COMP", "LOY") in spec.paths
    assert len(spec.paths) == 12


def test_acsi_full_and_without_complaints():
    five = {k: v for k, v in SIX.items() if k != "image"}
    full = acsi({**five, "complaints": ["c1"]})
    assert set(full.paths) == {
        ("EXPE", "QUAL"), ("EXPE", "VAL"), ("EXPE", "SAT"), ("QUAL", "VAL"), ("QUAL", "SAT"),
        ("VAL", "SAT"), ("SAT", "COMP"), ("SAT", "LOY"), ("COMP", "LOY"),
    }
    short = acsi(five)
    assert "COMP" not in short.constructs
    assert set(short.paths) == set(full.paths) - {("SAT", "COMP"), ("COMP", "LOY")}


def test_scsb_aliases_and_paths():
    spec = scsb({"expectations": ["e1"], "performance": ["p1", "p2"], "SAT": ["s1", "s2"],
                 "voice": ["v1"], "loyalty": ["l1", "l2"]})
    assert set(spec.paths) == {("EXPE", "VAL"), ("EXPE", "SAT"), ("VAL", "SAT"),
                               ("SAT", "COMP"), ("SAT", "LOY"), ("COMP", "LOY")}
    assert spec.block_items["VAL"] == ("p1", "p2")
    assert spec.block_items["COMP"] == ("v1",)


def test_from_airline_survey_codebook():
    survey = csindex.datasets.airline()
    mapping = items_from_survey(survey)
    assert mapping == {
        "image": ["IMAG1", "IMAG2", "IMAG3"], "expectation": ["EXPE1", "EXPE2", "EXPE3"],
        "quality": ["QUAL1", "QUAL2", "QUAL3"], "value": ["PRICE1", "PRICE2", "PRICE3"],
        "satisfaction": ["SAT1", "SAT2", "SAT3"], "loyalty": ["LOY1", "LOY2"],
    }
    spec = ccsi(survey)
    spec.check_data(survey.responses.columns)
    # ACSI from the same survey: image is not an ACSI construct and is ignored
    assert "IMAG" not in acsi(survey).constructs


def test_missing_required_construct_names_it():
    five = {k: v for k, v in SIX.items() if k != "value"}
    with pytest.raises(SpecError, match=r"needs items for 'value'.*drop=\('value',\)"):
        ccsi(five)


def test_drop_reroutes_predecessors_to_successors():
    five = {k: v for k, v in SIX.items() if k != "value"}
    spec = ccsi(five, drop=["value"])
    assert "VAL" not in spec.constructs
    # IMAG -> VAL -> SAT, EXPE -> VAL -> SAT, QUAL -> VAL -> SAT were already direct paths
    assert set(spec.paths) == {("IMAG", "EXPE"), ("IMAG", "QUAL"), ("IMAG", "SAT"), ("EXPE", "QUAL"),
                               ("EXPE", "SAT"), ("QUAL", "SAT"), ("SAT", "LOY")}
    # dropping expectations in the ECSI reroutes image to quality and value
    no_exp = ecsi({k: v for k, v in SIX.items() if k != "expectation"}, drop=["expectation"])
    assert ("IMAG", "QUAL") in no_exp.paths and ("IMAG", "VAL") in no_exp.paths


def test_unknown_and_extra_constructs():
    with pytest.raises(SpecError, match="unknown construct 'satisfacton'.*Did you mean 'satisfaction'"):
        ccsi({**SIX, "satisfacton": ["x"]})
    with pytest.raises(SpecError, match="has no construct 'complaints'"):
        ccsi({**SIX, "complaints": ["c1"]})
    with pytest.raises(SpecError, match="Unknown index model 'nscb'"):
        template("nscb", SIX)
    with pytest.raises(SpecError, match="drop= names 'image'"):
        scsb(SIX, drop=["image"])


def test_paths_override():
    spec = ccsi(SIX, paths=[*TEMPLATE_PATHS["ccsi"], ("value", "loyalty")])
    assert ("VAL", "LOY") in spec.paths and len(spec.paths) == 12
    with pytest.raises(SpecError, match="'trust', which is not an index construct"):
        ccsi(SIX, paths=[("trust", "SAT")])


def test_items_from_survey_errors():
    survey = csindex.load_survey(pd.DataFrame({"A1": [1, 2, 3], "A2": [2, 3, 4]}))
    with pytest.raises(SurveyDataError, match="No item of the survey has an index construct"):
        items_from_survey(survey)
    with pytest.raises(SurveyDataError, match="needs a Survey or a Codebook"):
        items_from_survey(42)


def test_template_by_construct_names_when_the_codebook_has_no_index_constructs():
    rng = np.random.default_rng(0)
    cols = {f"{c}{i}": rng.integers(1, 11, 40) for c in ("IMAG", "CUEX", "PERQ", "PERV", "CUSA", "CUSL")
            for i in (1, 2, 3)}
    survey = csindex.load_survey(pd.DataFrame(cols))
    with pytest.warns(csindex.CsindexWarning, match="IMAG = image, CUEX = expectation, PERQ = quality, "
                                                    "PERV = value, CUSA = satisfaction, CUSL = loyalty"):
        spec = ecsi(survey)
    assert spec.constructs == ("IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY")
    assert [b.items for b in spec.blocks if b.name == "SAT"] == [("CUSA1", "CUSA2", "CUSA3")]
    # two recognisable constructs, or none for satisfaction: the original error stands
    few = csindex.load_survey(pd.DataFrame({k: v for k, v in cols.items() if k[:4] in ("CUSA", "CUSL", "ABCD")}))
    with pytest.raises(SurveyDataError, match="No item of the survey has an index construct"):
        ecsi(few)
    nosat = csindex.load_survey(pd.DataFrame({k: v for k, v in cols.items() if not k.startswith("CUSA")}))
    with pytest.raises(SurveyDataError, match="No item of the survey has an index construct"):
        ecsi(nosat)
