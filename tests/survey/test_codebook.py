"""Codebook: file formats, validation of the codebook itself, inference from the data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from csindex.codebook import COLUMNS, Codebook, role_from_name
from csindex.datasets import airline_codebook_path
from csindex.exceptions import CodebookError, ParameterError

CONTRACT_COLUMNS = ["construct", "role", "label_en", "label_zh", "scale_min", "scale_max", "reverse", "attribute",
                    "index_construct"]


def test_items_table_has_contract_columns():
    cb = Codebook.from_file(airline_codebook_path())
    assert list(cb.items.columns[:9]) == CONTRACT_COLUMNS
    assert list(cb.items.columns) == list(COLUMNS)
    assert cb.items.index.name == "item"
    assert cb.items.at["EXP_CREW1", "attribute"] == "CREW1"
    assert cb.items.at["IMP_SAFE2", "role"] == "importance"
    assert cb.items.at["PRICE2", "index_construct"] == "value"
    assert cb.items.at["SAT1", "label_zh"] == "总体满意度"
    assert bool(cb.items.at["CABN8", "reverse"]) is True
    assert cb.items.at["NPS", "scale_min"] == 0.0
    assert cb.items.at["IMAG1", "missing_codes"] == (99.0,)
    assert cb.id_column == "resp_id" and cb.weight_column == "weight"


def test_yaml_and_json_files_give_the_same_codebook(tmp_path):
    spec = {"scale": [1, 5], "missing_codes": [9],
            "items": {"id": {"role": "id"}, "A1": {"construct": "A", "label": "first", "reverse": True},
                      "A2": {"construct": "A", "scale": [0, 10]}}}
    import yaml

    (tmp_path / "cb.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (tmp_path / "cb.json").write_text(json.dumps(spec), encoding="utf-8")
    a = Codebook.from_file(tmp_path / "cb.yaml")
    b = Codebook.from_file(tmp_path / "cb.json")
    pd.testing.assert_frame_equal(a.items, b.items)
    assert a.items.at["A1", "label_en"] == "first"
    assert (a.items.at["A2", "scale_min"], a.items.at["A2", "scale_max"]) == (0.0, 10.0)
    assert a.items.at["A1", "scale_max"] == 5.0 and a.items.at["A1", "missing_codes"] == (9.0,)
    assert a.constructs == {"A": ["A1", "A2"]}


def test_list_format_and_constructs_section():
    cb = Codebook.from_dict({"scale": [1, 7], "items": [{"name": "Q1", "role": "loyalty"}],
                             "constructs": {"LOY": ["Q1", "Q2"]}})
    assert cb.constructs == {"LOY": ["Q1", "Q2"]}
    assert cb.items.at["Q1", "role"] == "loyalty" and cb.items.at["Q2", "role"] == "perception"


def test_to_dict_round_trip():
    cb = Codebook.from_file(airline_codebook_path())
    again = Codebook.from_dict(cb.to_dict())
    pd.testing.assert_frame_equal(again.items, cb.items)


@pytest.mark.parametrize("spec, match", [
    ({"items": {"Q1": {"role": "percepton"}}}, r"role 'percepton'.*Did you mean 'perception'"),
    ({"items": {"Q1": {"construct": "A", "scale": [5, 1]}}}, "minimum must be below the maximum"),
    ({"items": {"Q1": {"construct": "A", "lable": "x"}}}, r"unknown field 'lable'\. Did you mean 'label'"),
    ({"items": {"E1": {"construct": "E", "role": "expectation", "attribute": "Q9"}}}, "'Q9'"),
    ({"constructs": {"A": []}}, "Construct 'A' has no items"),
    ({"items": {"Q1": {"construct": "A"}}, "constructs": {"B": ["Q1"]}}, "listed in construct 'B'"),
    ({"items": {"Q1": {"construct": "A", "reverse": "yes"}}}, "reverse='yes'"),
    ({"items": {"age": {"role": "profile", "reverse": True}}}, "only rated items"),
    ({"name": "x"}, "neither 'items' nor 'constructs'"),
])
def test_malformed_codebook(spec, match):
    with pytest.raises(CodebookError, match=match):
        Codebook.from_dict(spec)


@pytest.mark.parametrize(("codes", "n", "rated"), [
    ((1, 2), 30, False), ((0, 1), 40, False), ((2,), 30, False),  # group dummies, yes/no answers
    ((1, 2), 29, True),                                            # too few answers to tell
    ((1, 2, 3), 60, True), ((1, 3), 40, True), ((2, 3), 40, True),  # a rating scale's codes
])
def test_two_code_columns_are_group_or_yes_no_codes_not_ratings(codes, n, rated):
    # the corporate-reputation data's mga_1..mga_4 hold 1/2 only: rescaled on an inferred 1-5
    # scale they read as a "score" of 12 out of 100; a dummy is a profile column
    rng = np.random.default_rng(0)
    values = rng.choice(codes, size=n).astype(float)
    values[: len(codes)] = codes  # every code present
    df = pd.DataFrame({"mga_1": values, "mga_2": values[::-1].copy(), "QUAL1": rng.integers(1, 8, n)})
    cb = Codebook.infer(df)
    it = cb.items
    assert it.at["QUAL1", "role"] == "perception"
    notes = " ".join(cb.inferred)
    if rated:
        assert it.at["mga_1", "role"] == it.at["mga_2", "role"] == "perception" and it.at["mga_1", "construct"] == "mga"
        assert "yes/no codes" not in notes
    else:
        assert it.at["mga_1", "role"] == it.at["mga_2", "role"] == "profile" and it.at["mga_1", "construct"] == ""
        assert np.isnan(it.at["mga_1", "scale_min"])
        shown = " and ".join(f"'{c:g}'" for c in sorted(set(codes))) if len(codes) == 2 else f"'{codes[0]:g}'"
        assert (f"'mga_1' and 'mga_2' hold only the codes {shown}: read as group or yes/no codes and kept as "
                "profile columns, not rated; give a codebook to rate them.") in notes


def test_a_codebook_rates_two_code_columns():
    df = pd.DataFrame({"mga_1": [1.0, 2.0] * 20, "QUAL1": [3.0, 4.0] * 20})
    cb = Codebook.from_dict({"items": {"mga_1": {"construct": "MGA"}, "QUAL1": {"construct": "QUAL"}}})
    assert cb.items.at["mga_1", "role"] == "perception"
    assert Codebook.infer(df).items.at["mga_1", "role"] == "profile"


def test_missing_or_broken_file(tmp_path):
    with pytest.raises(CodebookError, match="does not exist"):
        Codebook.from_file(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CodebookError, match="Could not parse"):
        Codebook.from_file(bad)
    with pytest.raises(CodebookError, match="must be a path"):
        Codebook.coerce(42)


def test_inference_from_prefixes_and_values():
    df = pd.DataFrame({
        "resp_id": [1, 2, 3],
        "weight": [1.0, 0.5, 1.5],
        "IMAG1": [1, 5, 99], "IMAG2": [2, 3, 4],
        "SAT1": [6, 7, 2],
        "EXP_CREW1": [3, 4, 5], "CREW1": [1, 2, 3],
        "NPS": [0, 10, 9],
        "age": [23, 45, 67],          # numeric but not a rating: profile
        "city": ["a", "b", "c"],
    })
    cb = Codebook.infer(df)
    it = cb.items
    assert it.at["resp_id", "role"] == "id" and it.at["weight", "role"] == "weight"
    assert it.at["IMAG1", "construct"] == "IMAG" and it.at["IMAG1", "missing_codes"] == (99.0,)
    assert (it.at["IMAG1", "scale_min"], it.at["IMAG1", "scale_max"]) == (1.0, 5.0)
    assert (it.at["SAT1", "scale_min"], it.at["SAT1", "scale_max"]) == (1.0, 7.0)
    assert it.at["SAT1", "role"] == "overall_satisfaction"
    assert it.at["EXP_CREW1", "role"] == "expectation" and it.at["EXP_CREW1", "attribute"] == "CREW1"
    assert (it.at["NPS", "role"], it.at["NPS", "scale_min"], it.at["NPS", "scale_max"]) == ("loyalty", 0.0, 10.0)
    assert it.at["age", "role"] == "profile" and np.isnan(it.at["age", "scale_min"])
    assert it.at["city", "role"] == "profile"
    notes = " ".join(cb.inferred)
    assert "No codebook given" in notes and "'99' stands apart from it and was taken as a likely 'cannot answer' code" in notes and "'age'" in notes


@pytest.mark.parametrize("name, expected", [
    ("IMAG3", {"construct": "IMAG", "role": "perception"}),
    ("Q1_2", {"construct": "Q1", "role": "perception"}),
    ("csat_2", {"construct": "csat", "role": "overall_satisfaction"}),
    ("CUSL1", {"construct": "CUSL", "role": "loyalty"}),
    ("nps", {"construct": "nps", "role": "loyalty"}),
    ("EXP_CREW1", {"construct": "EXP_CREW", "role": "expectation", "attribute": "CREW1"}),
    ("imp_seat2", {"construct": "imp_seat", "role": "importance", "attribute": "seat2"}),
    ("IMP_", {"construct": "IMP_", "role": "perception"}),  # a prefix alone names no attribute
])
def test_role_from_name(name, expected):
    assert role_from_name(name) == expected


def test_role_from_name_refuses_a_non_string():
    with pytest.raises(ParameterError, match="'name' parameter of role_from_name must be a column name"):
        role_from_name(3)


def test_role_from_name_is_what_inference_fills():
    df = pd.DataFrame({c: [1, 3, 5] for c in ("IMAG1", "IMAG2", "Q1_2", "CSAT1", "LOY2", "NPS", "EXP_CREW1",
                                               "IMP_SEAT1")})
    items = Codebook.infer(df).items
    for name in df.columns:
        implied = role_from_name(name)
        assert items.loc[name, list(implied)].to_dict() == implied, name


def test_inference_with_given_scale():
    cb = Codebook.infer(pd.DataFrame({"Q1": [2, 3], "Q2": [3, 4]}), scale=(1, 10))
    assert cb.items["scale_max"].tolist() == [10.0, 10.0]


def test_inference_keeps_coded_demographics_and_groups_as_profile_columns():
    # corp_rep_data.csv codes age (1-6), education (1-4), servicetype (1-2) and serviceprovider (1-4)
    # as small integers: they are no rating items, and taking them as constructs made the report's
    # attribute models collinear
    df = pd.DataFrame({"age": [1, 3, 6, 2], "education": [1, 2, 4, 3], "servicetype": [1, 2, 2, 1],
                       "serviceprovider": [1, 4, 2, 3], "sample_type": [1, 2, 3, 4],
                       "qual_1": [3, 5, 6, 7], "qual_2": [2, 5, 7, 6], "cusa": [4, 5, 6, 7], "group1": [1, 2, 3, 4]})
    cb = Codebook.infer(df)
    it = cb.items
    assert (it.loc[["age", "education", "servicetype", "serviceprovider", "sample_type"], "role"] == "profile").all()
    assert it.at["qual_1", "role"] == "perception" and it.at["cusa", "role"] == "overall_satisfaction"
    assert it.at["group1", "role"] == "perception"  # a numbered column is an item whatever its name
    note = next(n for n in cb.inferred if "kept as profile columns by their names" in n)
    assert "'age'" in note and "'servicetype'" in note


# --------------------------------------------------------------------------- roles from question texts


_SINGLES = {"Q2": "Q2", "Q3": "Q3"}  # separate questions, as a platform export reads them


def _rated(n: int = 6) -> dict[str, list[int]]:
    return {"Q1_1": [1, 2, 3, 4, 5, 4][:n], "Q1_2": [2, 3, 4, 5, 4, 3][:n], "Q2": [3, 4, 5, 4, 2, 1][:n],
            "Q3": [0, 3, 7, 9, 10, 8][:n]}


@pytest.mark.parametrize("label, role", [
    ("Overall, how satisfied are you with the airline?", "overall_satisfaction"),
    ("How satisfied are you overall with our service?", "overall_satisfaction"),
    ("How likely are you to fly with us again?", "loyalty"),
    ("How likely are you to renew your contract?", "loyalty"),
    ("How likely is it that you would recommend us to a friend or colleague?", "loyalty"),
    ("总体满意度", "overall_satisfaction"),
    ("总体上，您对本次航班满意吗？", "overall_satisfaction"),
    ("您再次乘坐本航空公司航班的可能性有多大？", "loyalty"),
    ("您会继续使用我们的服务吗？", "loyalty"),
    ("您向亲友推荐本航空公司的可能性有多大？", "loyalty"),
    # mentions satisfaction or likelihood in another sense: stays a perception item
    ("Satisfaction with the seat", "perception"),
    ("How satisfied are you with each of the following aspects of your flight? - Cabin crew", "perception"),
    ("How likely was the flight to leave on time?", "perception"),
    ("座椅满意度", "perception"),
])
def test_inference_reads_a_role_from_the_question_text(label, role):
    df = pd.DataFrame(_rated())
    cb = Codebook.infer(df, labels={"Q2": label}, construct_of=_SINGLES)
    assert cb.items.at["Q2", "role"] == role
    assert cb.items.at["Q2", "label_en"] == label
    read = [n for n in cb.inferred if "from its question text" in n]
    if role == "perception":
        assert read == []
    else:
        assert len(read) == 1 and read[0].startswith(f"'Q2' read as {role.replace('_', ' ')}")
        assert read[0].endswith(f" from its question text ({label!r}); give a codebook to set another role.")


def test_names_decide_before_the_question_text():
    df = pd.DataFrame({"SAT1": [1, 2, 3, 4], "LOY1": [2, 3, 4, 5], "IMAG1": [3, 4, 5, 2], "EXP_IMAG1": [3, 4, 5, 5]})
    labels = {"SAT1": "How likely are you to buy again?", "LOY1": "Overall, how satisfied are you?",
              "IMAG1": "Overall satisfaction with the brand image?", "EXP_IMAG1": "Overall, how satisfied do you expect"}
    cb = Codebook.infer(df, labels=labels)
    assert cb.items["role"].to_dict() == {"SAT1": "overall_satisfaction", "LOY1": "loyalty",
                                          "IMAG1": "overall_satisfaction", "EXP_IMAG1": "expectation"}
    # IMAG1's name gives no role (perception is the default), so its wording decides
    assert [n.split(" read as")[0] for n in cb.inferred if "question text" in n] == ["'IMAG1'"]


def test_the_nps_item_is_named_in_the_note_and_found_once():
    from csindex._wording import nps_item

    df = pd.DataFrame(_rated())
    cb = Codebook.infer(df, labels={"Q3": "How likely is it that you would recommend us?"}, construct_of=_SINGLES)
    assert cb.items.at["Q3", "role"] == "loyalty"
    assert any(n.startswith("'Q3' read as loyalty (likelihood to recommend; the NPS item)") for n in cb.inferred)
    assert nps_item(cb.items, df.columns) == "Q3"
    # a 1-5 recommend item is loyalty but not the NPS item
    cb5 = Codebook.infer(df, labels={"Q2": "Would you recommend us?"}, construct_of=_SINGLES)
    assert cb5.items.at["Q2", "role"] == "loyalty" and nps_item(cb5.items, df.columns) is None
    assert any(n.startswith("'Q2' read as loyalty (likelihood to recommend) from") for n in cb5.inferred)


def test_a_matrix_question_takes_a_role_only_when_its_rows_agree():
    df = pd.DataFrame({"Q5_1": [1, 2, 3, 4], "Q5_2": [2, 3, 4, 5], "Q6_1": [1, 2, 3, 4], "Q6_2": [2, 3, 4, 5]})
    labels = {"Q5_1": "How likely are you to fly with us again? - Next trip",
              "Q5_2": "How likely are you to fly with us again? - Within a year",
              "Q6_1": "Overall, how satisfied are you?", "Q6_2": "Seat comfort"}
    cb = Codebook.infer(df, labels=labels)
    assert cb.items["role"].to_dict() == {"Q5_1": "loyalty", "Q5_2": "loyalty", "Q6_1": "perception",
                                          "Q6_2": "perception"}
    assert any("'Q6_1' and 'Q6_2' (construct 'Q6') do not agree on a role" in n for n in cb.inferred)


def test_without_labels_inference_is_unchanged():
    df = pd.DataFrame(_rated())
    assert Codebook.infer(df).items.equals(Codebook.infer(df, labels={}).items)
    assert set(Codebook.infer(df).items["role"]) == {"perception"}
