"""Survey-platform exports (issue 15 §2): Qualtrics CSV/TSV (3 header rows, 2 in the legacy
format) and SurveyMonkey (2 header rows) load as surveys, question texts become item labels, platform metadata columns
stay profile columns. Fixtures in tests/data follow the published export layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from csindex import load_survey
from csindex._platforms import (
    QUALTRICS_LEGACY_METADATA,
    QUALTRICS_METADATA,
    SURVEYMONKEY_METADATA,
    detect,
)

DATA = Path(__file__).parents[1] / "data"
MATRIX = "How satisfied are you with each of the following aspects of your flight?"


@pytest.fixture(scope="module", params=["qualtrics_export.csv", "qualtrics_export.tsv"])
def qualtrics(request):
    return load_survey(DATA / request.param)


def test_qualtrics_header_rows_become_names_labels_and_roles(qualtrics):
    s = qualtrics
    assert s.n == 8  # the question-text and ImportId rows are not respondents
    assert s.constructs == {"Q1": ["Q1_1", "Q1_2", "Q1_3"], "Q2": ["Q2"], "Q3": ["Q3_1", "Q3_2"]}
    items = s.codebook.items
    assert items.at["Q1_2", "label_en"] == f"{MATRIX} - Seat comfort"
    assert items.at["Q2", "label_en"] == "Overall, how satisfied are you with the airline?"
    assert s.codebook.id_column == "ResponseId"
    for col in QUALTRICS_METADATA:
        assert items.at[col, "role"] in ("profile", "id"), col
    assert items.at["Finished", "role"] == "profile" and items.at["Progress", "role"] == "profile"
    assert items.at["region", "role"] == "profile"  # embedded data
    assert s.scale("Q1_1") == (1.0, 7.0) and s.scale("Q3_1") == (1.0, 5.0)
    assert s.responses["Q1_1"].tolist() == [6.0, 4.0, 7.0, 5.0, 3.0, 6.0, 2.0, 7.0]
    assert s.responses["Q4"].iloc[2] == "Seat was fine.\nFood could be better, though"
    assert s.responses["StartDate"].iloc[0] == "2024-03-01 09:10:02"  # text, as exported
    assert s.validation.ok
    assert any("Qualtrics export recognised" in n for n in s.validation.notes)


def test_qualtrics_csv_and_tsv_give_the_same_survey():
    csv_s = load_survey(DATA / "qualtrics_export.csv")
    tsv_s = load_survey(DATA / "qualtrics_export.tsv")
    assert_frame_equal(csv_s.responses, tsv_s.responses)
    assert csv_s.codebook.items.equals(tsv_s.codebook.items)


def test_surveymonkey_two_header_rows():
    s = load_survey(DATA / "surveymonkey_export.csv")
    assert s.n == 8
    assert s.constructs == {"Q1": ["Q1_1", "Q1_2", "Q1_3"], "Q2": ["Q2"], "Q3": ["Q3"]}
    items = s.codebook.items
    assert items.at["Q1_3", "label_en"] == f"{MATRIX} - Punctuality"
    assert items.at["Q3", "label_en"].startswith("How likely is it that you would recommend")
    assert items.at["Q4", "role"] == "profile"  # open-ended text
    assert s.codebook.id_column == "Respondent ID"
    for col in (*SURVEYMONKEY_METADATA, "Custom Data 1"):
        assert items.at[col, "role"] in ("profile", "id"), col
    assert s.responses["Respondent ID"].iloc[0] == 114253464530
    assert s.scale("Q3") == (0.0, 10.0)
    assert np.allclose(s.responses["Q3"], [9, 3, 10, 7, 2, 8, 0, 9])


def test_codebook_given_keeps_metadata_as_profile_and_fills_labels():
    cb = {"scale": [1, 7], "constructs": {"SERVICE": ["Q1_1", "Q1_2", "Q1_3"]}}
    s = load_survey(DATA / "qualtrics_export.csv", cb)
    assert s.constructs == {"SERVICE": ["Q1_1", "Q1_2", "Q1_3"]}
    assert s.codebook.items.at["Q1_1", "label_en"] == f"{MATRIX} - Cabin crew"
    assert s.codebook.items.at["Duration (in seconds)", "role"] == "profile"


def test_plain_tables_are_not_mistaken_for_exports():
    assert detect([["SAT1", "SAT2"], ["7", "8"], ["6", "5"]]) is None
    assert detect([["Respondent", "Collector ID"], ["1", "2"]]) is None


LEGACY_V = [f"V{k}" for k in range(1, 11)]


def test_qualtrics_legacy_format_two_header_rows():
    s = load_survey(DATA / "qualtrics_legacy_export.csv")
    assert s.n == 8  # the question-text row is not a respondent
    assert s.constructs == {"Q1": ["Q1_1", "Q1_2", "Q1_3"], "Q2": ["Q2"], "Q3": ["Q3_1", "Q3_2"]}
    items = s.codebook.items
    assert list(items.index[:10]) == list(QUALTRICS_LEGACY_METADATA)  # V1 ... V10 take their row-2 names
    assert not set(LEGACY_V) & set(s.responses.columns)
    assert items.at["Q1_2", "label_en"] == f"{MATRIX}-Seat comfort"
    assert items.at["Q3_1", "label_en"] == "How likely are you to fly with us again?-On your next trip"
    assert items.at["Q2", "label_en"] == "Overall, how satisfied are you with the airline?"
    assert s.codebook.id_column == "ResponseID"
    assert items.at["ResponseID", "role"] == "id"
    for col in (*QUALTRICS_LEGACY_METADATA[1:], "region", "LocationLatitude", "LocationLongitude", "LocationAccuracy"):
        assert items.at[col, "role"] == "profile", col
    assert items.at["Q4", "role"] == "profile"  # open-ended text
    assert s.scale("Q1_1") == (1.0, 7.0) and s.scale("Q3_1") == (1.0, 5.0)
    assert s.responses["Q1_1"].tolist() == [6.0, 4.0, 7.0, 5.0, 3.0, 6.0, 2.0, 7.0]
    assert s.responses["ResponseID"].iloc[1] == "R_2a2B3c4D5e6F7g1"
    assert s.responses["Q4"].iloc[2] == "Seat was fine.\nFood could be better, though"
    assert any("Qualtrics (legacy format) export recognised (2 header rows)" in n for n in s.validation.notes)


def test_qualtrics_legacy_and_current_formats_give_the_same_ratings():
    legacy = load_survey(DATA / "qualtrics_legacy_export.csv")
    current = load_survey(DATA / "qualtrics_export.csv")
    rated = ["Q1_1", "Q1_2", "Q1_3", "Q2", "Q3_1", "Q3_2"]
    assert_frame_equal(legacy.responses[rated], current.responses[rated])
    assert legacy.constructs == current.constructs


def test_legacy_signature_needs_v1_to_v10_and_response_id():
    top = [*LEGACY_V, "Q1"]
    assert detect([top, ["ResponseID", *QUALTRICS_LEGACY_METADATA[1:], "Rate us"]]).names[-1] == "Q1"
    assert detect([top, ["Response ID", *QUALTRICS_LEGACY_METADATA[1:], "Rate us"]]) is None
    assert detect([[*LEGACY_V[:9], "Q1"], ["ResponseID", *QUALTRICS_LEGACY_METADATA[1:9], "Rate us"]]) is None
    assert detect([top, ["ResponseID", "x"]]) is None  # ragged second row


_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.lists(_cell, min_size=1, max_size=14),  # any header, or V1 ... V10 and more
                st.lists(_cell, max_size=4).map(lambda tail: [*LEGACY_V, *tail])).flatmap(
    lambda top: st.tuples(st.just(top), st.lists(_cell, min_size=len(top), max_size=len(top)))))
def test_a_text_second_row_without_the_legacy_signature_is_a_plain_table(rows):
    top, sub = rows
    if tuple(c.strip() for c in top[:10]) == tuple(LEGACY_V) and sub[0].strip() == "ResponseID":
        return  # the signature itself (hypothesis will not draw it, but say so)
    if top[0].strip() == "Respondent ID" and "Collector ID" in top:
        return  # SurveyMonkey's own signature
    assert detect([top, sub]) is None
    assert detect([top, sub, ["1"] * len(top)]) is None


def test_ordinary_csv_with_a_text_second_row_loads_as_plain_data(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("V1,V2,V3,SAT1,SAT2\nResponse,Set,Name,Quality,Price\na,b,c,7,8\nd,e,f,6,5\n", encoding="utf-8")
    s = load_survey(path, on_invalid="nan")
    assert s.n == 3 and list(s.responses.columns) == ["V1", "V2", "V3", "SAT1", "SAT2"]
    assert s.responses["V1"].tolist() == ["Response", "a", "d"]  # the text row is data
    assert np.isnan(s.responses["SAT1"].iloc[0]) and s.responses["SAT1"].iloc[1:].tolist() == [7.0, 6.0]
    assert not any("export recognised" in n for n in s.validation.notes)


# --------------------------------------------------------------------------- roles from question texts

_ROLES = {"Q1_1": "perception", "Q1_2": "perception", "Q1_3": "perception", "Q2": "overall_satisfaction"}


@pytest.mark.parametrize("name, loyalty", [
    ("qualtrics_export.csv", {"Q3_1": "loyalty", "Q3_2": "loyalty"}),
    ("qualtrics_legacy_export.csv", {"Q3_1": "loyalty", "Q3_2": "loyalty"}),
    ("surveymonkey_export.csv", {"Q3": "loyalty"}),
])
def test_platform_exports_get_their_roles_from_the_question_texts(name, loyalty):
    from csindex._wording import nps_item

    survey = load_survey(DATA / name)
    items = survey.codebook.items
    assert items.loc[survey.codebook.rated_items(), "role"].to_dict() == {**_ROLES, **loyalty}
    notes = survey.validation.notes
    assert ("'Q2' read as overall satisfaction from its question text ('Overall, how satisfied are you with the "
            "airline?'); give a codebook to set another role.") in notes
    recommend = name.startswith("surveymonkey")
    assert nps_item(items, survey.responses.columns) == ("Q3" if recommend else None)
    if recommend:
        assert any(n.startswith("'Q3' read as loyalty (likelihood to recommend; the NPS item)") for n in notes)
    else:
        assert any(n.startswith("'Q3_1' and 'Q3_2' read as loyalty (likelihood to come back) from their question")
                   for n in notes)


def test_a_codebook_given_decides_the_roles_of_an_export():
    survey = load_survey(DATA / "surveymonkey_export.csv",
                         codebook={"items": {c: {"construct": c, "role": "perception"} for c in ("Q2", "Q3")}})
    assert survey.codebook.items.loc[["Q2", "Q3"], "role"].tolist() == ["perception", "perception"]
    assert not [n for n in survey.validation.notes if "from its question text" in n]
