"""load_survey: file formats, encodings, bad input, on_invalid='nan', immutability, junk cells."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

import csindex
from csindex import datasets, io
from csindex.exceptions import CodebookError, CsindexError, MissingDependencyError, SurveyDataError
from csindex.io import detect_encoding, load_survey

SAMPLE = datasets.samples_dir() / "airline.csv"
CODEBOOK = datasets.airline_codebook_path()
ZH = {"male": "男", "female": "女"}


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """First 150 rows of the sample as written in the file, with Chinese text in a profile column."""
    df = pd.read_csv(SAMPLE, nrows=150)
    df["gender"] = df["gender"].map(ZH)
    return df


@pytest.fixture(scope="module")
def reference(raw: pd.DataFrame) -> csindex.Survey:
    return load_survey(raw, CODEBOOK)


def _rated(s: csindex.Survey) -> pd.DataFrame:
    return s.responses[s.items()]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_round_trip_encodings(tmp_path, raw, reference, encoding):
    path = tmp_path / f"s_{encoding}.csv"
    raw.to_csv(path, index=False, encoding=encoding)
    assert detect_encoding(path) == encoding
    s = load_survey(path, CODEBOOK)
    assert_frame_equal(_rated(s), _rated(reference))
    assert s.responses["gender"].tolist() == raw["gender"].tolist()
    assert set(s.responses["gender"]) == {"男", "女"}


def test_gbk_file_detected_as_gb18030(tmp_path, raw, reference):
    path = tmp_path / "gbk.csv"
    raw.to_csv(path, index=False, encoding="gbk")
    s = load_survey(path, CODEBOOK)
    assert_frame_equal(_rated(s), _rated(reference))
    assert s.responses["gender"].iloc[0] in ("男", "女")
    assert any("gb18030" in n for n in s.validation.notes)


def test_wrong_explicit_encoding_is_a_clear_error(tmp_path, raw):
    path = tmp_path / "gbk.csv"
    raw.to_csv(path, index=False, encoding="gb18030")
    with pytest.raises(SurveyDataError, match="not valid 'utf-8' text"):
        load_survey(path, CODEBOOK, encoding="utf-8")


def test_excel_round_trip(tmp_path, raw, reference):
    path = tmp_path / "s.xlsx"
    raw.head(40).to_excel(path, index=False)  # openpyxl is slow: a few rows suffice
    s = load_survey(path, CODEBOOK)
    assert_frame_equal(_rated(s), _rated(reference).head(40))
    assert s.responses["gender"].tolist() == raw["gender"].head(40).tolist()


def test_spss_round_trip_keeps_value_labels(tmp_path, raw, reference):
    pyreadstat = pytest.importorskip("pyreadstat")
    path = tmp_path / "s.sav"
    labels = {"SAT1": {1.0: "very dissatisfied", 5.0: "neutral", 10.0: "very satisfied"}}
    pyreadstat.write_sav(raw, str(path), variable_value_labels=labels,
                         column_labels={c: f"label of {c}" for c in raw.columns})
    s = load_survey(path, CODEBOOK)
    assert_frame_equal(_rated(s), _rated(reference))
    # file labels are kept and completed by the codebook's ("cannot answer" for 99)
    assert s.codebook.items.at["SAT1", "value_labels"] == {
        1.0: "very dissatisfied", 5.0: "neutral", 10.0: "very satisfied", 99.0: "cannot answer"}
    # without a codebook the SPSS variable labels become the item labels
    inferred = load_survey(path)
    assert inferred.codebook.items.at["IMAG1", "label_en"] == "label of IMAG1"
    assert inferred.codebook.items.at["SAT1", "value_labels"][10.0] == "very satisfied"


def test_stata_round_trip(tmp_path, raw, reference):
    pyreadstat = pytest.importorskip("pyreadstat")
    path = tmp_path / "s.dta"
    pyreadstat.write_dta(raw.assign(gender=raw["gender"].map({"男": "male", "女": "female"})), str(path))
    s = load_survey(path, CODEBOOK)
    assert_frame_equal(_rated(s), _rated(reference))


def test_parquet_round_trip(tmp_path, raw, reference):
    pytest.importorskip("pyarrow")
    path = tmp_path / "s.parquet"
    raw.to_parquet(path, index=False)
    s = load_survey(path, CODEBOOK)
    assert_frame_equal(_rated(s), _rated(reference))


def test_missing_optional_dependency_names_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "s.sav"
    path.write_bytes(b"$FL2@(#) not really spss")
    monkeypatch.setitem(sys.modules, "pyreadstat", None)  # makes "import pyreadstat" fail
    with pytest.raises(MissingDependencyError, match=r'pip install "csindex\[io\]"'):
        load_survey(path)


def test_dataframe_source_is_not_mutated(raw):
    before = raw.copy(deep=True)
    s = load_survey(raw, CODEBOOK)
    assert_frame_equal(raw, before)
    s.responses.loc[0, "IMAG1"] = -5.0
    assert_frame_equal(raw, before)


def test_non_string_column_names_are_not_renamed_in_place():
    df = pd.DataFrame({1: [1, 2], 2: [3, 4]})
    s = load_survey(df, scale=(1, 5))
    assert list(df.columns) == [1, 2]
    assert list(s.responses.columns) == ["1", "2"]


def test_categorical_ratings_are_numeric():
    df = pd.DataFrame({"Q1": pd.Categorical(["1", "5", "3"]), "city": pd.Categorical(["a", "b", "a"])})
    s = load_survey(df, scale=(1, 5))
    assert s.responses["Q1"].tolist() == [1.0, 5.0, 3.0]
    assert s.codebook.items.at["city", "role"] == "profile"


def test_missing_codes_and_reverse_coding():
    df = pd.DataFrame({"A1": [1, 99, 10], "A2": [2, 3, 99]})
    cb = {"scale": [1, 10], "missing_codes": [99], "items": {"A1": {"construct": "A", "reverse": True},
                                                              "A2": {"construct": "A"}}}
    s = load_survey(df, cb)
    assert s.responses["A1"].tolist()[0::2] == [10.0, 1.0]  # 11 - x
    assert np.isnan(s.responses.at[1, "A1"]) and np.isnan(s.responses.at[2, "A2"])
    assert s.validation.items["n_missing_code"].tolist() == [1, 1]
    assert s.validation.items["missing_share"].tolist() == pytest.approx([1 / 3, 1 / 3])


# ---------------------------------------------------------------- bad input, one test each
def test_value_off_the_scale():
    df = pd.DataFrame({"resp_id": [1, 2, 3, 4], "IMAG1": [5, 11, 3, 0], "IMAG2": [5, 6, 7, 8]})
    with pytest.raises(SurveyDataError) as err:
        load_survey(df, scale=(1, 10))
    msg = str(err.value)
    assert "'IMAG1'" in msg and "11 (data row 2)" in msg and "0 (data row 4)" in msg and "on_invalid='nan'" in msg
    s = load_survey(df, scale=(1, 10), on_invalid="nan")
    assert int(s.validation.items.at["IMAG1", "n_out_of_range"]) == 2
    assert s.responses["IMAG1"].isna().tolist() == [False, True, False, True]
    assert not s.validation.ok


def test_text_in_a_numeric_item():
    df = pd.DataFrame({"SAT1": ["5", "seven", "8", " "], "SAT2": [1, 2, 3, 4]})
    with pytest.raises(SurveyDataError) as err:
        load_survey(df, scale=(1, 10))
    msg = str(err.value)
    assert "'SAT1'" in msg and "'seven' (data row 2)" in msg and "non-numeric" in msg
    s = load_survey(df, scale=(1, 10), on_invalid="nan")
    assert int(s.validation.items.at["SAT1", "n_non_numeric"]) == 1  # a blank cell is just missing
    assert s.responses["SAT1"].tolist()[0::2] == [5.0, 8.0]


def test_item_named_by_codebook_missing_from_file():
    df = pd.DataFrame({"IMAG1": [1, 2], "IMAG2": [3, 4], "IMAG_3": [5, 6]})
    cb = {"scale": [1, 10], "constructs": {"IMAG": ["IMAG1", "IMAG2", "IMAG3"]}}
    with pytest.raises(CodebookError, match=r"lacks: 'IMAG3'\. Did you mean 'IMAG_3'\?"):
        load_survey(df, cb)


def test_duplicated_respondent_id():
    df = pd.DataFrame({"resp_id": [7, 8, 7, 9], "Q1": [1, 2, 3, 4]})
    with pytest.raises(SurveyDataError) as err:
        load_survey(df, scale=(1, 5))
    msg = str(err.value)
    assert "'resp_id'" in msg and "7 (data rows 1, 3)" in msg
    s = load_survey(df, scale=(1, 5), on_invalid="nan")
    assert s.validation.duplicated_ids.tolist() == [7]
    assert s.n == 4


@pytest.mark.parametrize("content", [b"", b"resp_id,IMAG1,IMAG2\n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(SurveyDataError, match="empty|no data rows"):
        load_survey(path)


def test_construct_with_no_items():
    df = pd.DataFrame({"Q1": [1, 2]})
    with pytest.raises(CodebookError, match="Construct 'value' has no items"):
        load_survey(df, {"constructs": {"quality": ["Q1"], "value": []}})


def test_bad_weights():
    df = pd.DataFrame({"weight": [1.0, -2.0, 1.0], "Q1": [1, 2, 3]})
    with pytest.raises(SurveyDataError, match="Weight column 'weight'.*-2"):
        load_survey(df, scale=(1, 5))


def test_missing_file_suggests_close_name(tmp_path):
    (tmp_path / "survey.csv").write_text("a\n1\n")
    with pytest.raises(SurveyDataError, match="Did you mean 'survey.csv'"):
        load_survey(tmp_path / "survy.csv")


def test_response_rate_against_target():
    df = pd.DataFrame({"Q1": [1, 2, 3, 4, 5, 1, 2]})
    s = load_survey(df, scale=(1, 5), n_invited=10)
    assert s.validation.response_rate == pytest.approx(0.7)
    assert s.validation.ok
    low = load_survey(df, scale=(1, 5), n_invited=20)
    assert low.validation.response_rate == pytest.approx(0.35)
    assert not low.validation.ok
    assert "below the target 70%" in low.validation.summary().to_text()
    with pytest.raises(SurveyDataError, match="n_invited"):
        load_survey(df, scale=(1, 5), n_invited=3)


def test_straight_liners_detected():
    rows = [[5] * 6, [1, 2, 3, 4, 5, 6], [7, 7, 7, 7, 7, np.nan], [3, 3, 3, np.nan, np.nan, np.nan]]
    df = pd.DataFrame(rows, columns=[f"Q{i}" for i in range(1, 7)])
    s = load_survey(df, scale=(1, 10))
    assert s.validation.straight_liners.tolist() == [0, 2]  # row 3 answered only 3 items
    # a single-item construct (here NPS on its own) does not break a straight line
    s2 = load_survey(df.assign(NPS=[1, 2, 3, 4]), scale=(1, 10))
    assert s2.validation.straight_liners.tolist() == [0, 2]


def test_bad_option_value():
    with pytest.raises(ValueError, match="'on_invalid' parameter of load_survey must be one of"):
        load_survey(pd.DataFrame({"Q1": [1]}), on_invalid="drop")


junk_cell = st.one_of(
    st.integers(-5, 120), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4), st.none(),
    st.booleans(),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(st.lists(junk_cell, min_size=3, max_size=3), min_size=0, max_size=6),
       on_invalid=st.sampled_from(["raise", "nan"]), with_scale=st.booleans())
def test_random_junk_gives_clean_error_or_valid_survey(cells, on_invalid, with_scale):
    df = pd.DataFrame(cells, columns=["IMAG1", "IMAG2", "note"]) if cells else pd.DataFrame(
        columns=["IMAG1", "IMAG2", "note"])
    before = df.copy()
    try:
        s = load_survey(df, scale=(1, 10) if with_scale else None, on_invalid=on_invalid)
    except CsindexError:
        return
    finally:
        assert_frame_equal(df, before)
    assert isinstance(s, csindex.Survey)
    assert s.n == len(df)
    for item in s.items():
        col = s.responses[item]
        assert col.dtype == np.float64
        lo, hi = s.codebook.items.loc[item, ["scale_min", "scale_max"]]
        if np.isnan(lo):  # no answers and no scale given: nothing to check against
            assert col.isna().all()
            continue
        assert ((col.dropna() >= lo) & (col.dropna() <= hi)).all()
    assert len(s.validation.items) == len(s.items())
