"""The loader at its edges (issue 12 §3-§5): the same bytes give the same Survey at every file
size, the content picks the reader, ids stay exact, codes are never silently ratings, every
failure is a CsindexError."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import csindex
from csindex import _csv
from csindex.codebook import Codebook
from csindex.exceptions import CodebookError, CsindexError, ParameterError, SurveyDataError
from csindex.io import load_survey

CITIES_ASCII = ["Shanghai", "Guangzhou", "Chengdu"]
CITIES_ZH = ["北京", "上海", "深圳"]
NA_WORDS = ["None", "null", "NA", ""]


def _block_text(n_ascii_bytes: int, rng: np.random.Generator) -> str:
    """Rows with ASCII text for the first ``n_ascii_bytes``, then Chinese text and missing-value words."""
    lines, size, k = [], 0, 0
    while size < n_ascii_bytes:
        a, b, c = rng.integers(1, 11, 3)
        line = f"{a},{b},{c},{CITIES_ASCII[k % 3]}\n"
        lines.append(line)
        size += len(line)
        k += 1
    for j in range(400):
        a, b = rng.integers(1, 11, 2)
        missing = NA_WORDS[j % 4]
        lines.append(f"{a},{b},{missing},{CITIES_ZH[j % 3]}\n")
    return "".join(lines)


def _write(path, header: str, block: str, repeats: int, encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(header)
        for _ in range(repeats):
            fh.write(block)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_same_bytes_same_survey_at_1_and_20_mib(tmp_path, encoding):
    # issue 12 §3: above 16 MiB the old reader turned GB18030 text after the first MiB into
    # bytes and read None/null/NA as "non-numeric"; below it they were missing values.
    block = _block_text((1 << 20) + 4096, np.random.default_rng(5))  # non-ASCII only after the first MiB
    header = "SAT1,SAT2,SAT3,city\n"
    small_path, big_path = tmp_path / "small.csv", tmp_path / "big.csv"
    _write(small_path, header, block, 1, encoding)
    repeats = 20
    _write(big_path, header, block, repeats, encoding)
    assert small_path.stat().st_size > 1 << 20 and big_path.stat().st_size > 19 << 20  # old threshold: 16 MiB
    small = load_survey(small_path, scale=(1, 10))
    big = load_survey(big_path, scale=(1, 10))
    m = small.n
    assert big.n == repeats * m
    for k in (0, repeats - 1):
        part = big.responses.iloc[k * m:(k + 1) * m].reset_index(drop=True)
        assert_frame_equal(part, small.responses)
    tail = small.responses.tail(400)
    assert list(tail["city"].iloc[:3]) == CITIES_ZH  # text, never bytes
    assert tail["SAT3"].isna().sum() == 400  # None, null, NA and empty are all missing
    assert small.validation.items.loc["SAT3", "n_non_numeric"] == 0
    assert big.validation.items.loc["SAT3", "n_missing"] == repeats * small.validation.items.loc["SAT3", "n_missing"]


def test_int16_hint_dropped_when_a_later_value_does_not_fit(tmp_path, monkeypatch):
    n = 6000
    df = pd.DataFrame({"resp_id": np.arange(1, n + 1), "A1": np.arange(n) % 5 + 1, "A2": (np.arange(n) * 7) % 5 + 1,
                       "big": np.where(np.arange(n) < 5500, 3, 50000), "age": np.arange(n) % 60 + 18,
                       "city": ["x"] * n})
    path = tmp_path / "big.csv"
    df.to_csv(path, index=False)
    whole = load_survey(path, scale=(1, 5))
    monkeypatch.setattr(_csv, "_PROBE_BYTES", 4096)  # probe only the first rows: 'big' looks like a code column
    probed = load_survey(path, scale=(1, 5))
    assert_frame_equal(probed.responses, whole.responses)
    assert probed.responses["big"].max() == 50000
    assert probed.responses["age"].dtype == np.int64  # a narrowed profile column is widened back


@pytest.mark.parametrize("probe", [None, 64])
def test_duplicated_headers_refused_at_every_size(tmp_path, monkeypatch, probe):
    # below 16 MiB the old reader renamed the second SAT1 to SAT1.1 (a new construct)
    if probe:
        monkeypatch.setattr(_csv, "_PROBE_BYTES", probe)
    path = tmp_path / "dup.csv"
    path.write_text("SAT1,SAT1,SAT2\n" + "7,8,9\n" * 50, encoding="utf-8")
    with pytest.raises(SurveyDataError, match="duplicated column names: 'SAT1'"):
        load_survey(path)


def test_tsv_with_commas_in_header_texts(tmp_path):
    path = tmp_path / "s.tsv"
    path.write_text("Q1 How satisfied, overall?\tQ2 Value, for money\tcity\n7\t8\tBeijing\n5\t6\tShanghai\n",
                    encoding="utf-8")
    s = load_survey(path, scale=(1, 10))
    assert list(s.responses.columns) == ["Q1 How satisfied, overall?", "Q2 Value, for money", "city"]
    assert s.responses["city"].tolist() == ["Beijing", "Shanghai"]


def test_separator_sniffing_respects_quoting(tmp_path):
    # every header text holds two semicolons inside quotes; the real separator is the comma
    path = tmp_path / "s.csv"
    path.write_text('"a;b;c","d;e;f","SAT1"\n1,2,3\n4,5,6\n', encoding="utf-8")
    s = load_survey(path, scale=(1, 10))
    assert list(s.responses.columns) == ["a;b;c", "d;e;f", "SAT1"]
    # and the other way round: commas inside quotes, the separator is the semicolon
    path.write_text('x;y\n"1,5";2\n"2,5";3\n', encoding="utf-8")
    s = load_survey(path)
    assert list(s.responses.columns) == ["x", "y"]
    assert s.responses["x"].tolist() == ["1,5", "2,5"] and s.responses["y"].tolist() == [2.0, 3.0]


@pytest.mark.parametrize("kind", ["parquet", "xlsx", "sav"])
def test_content_decides_the_reader(tmp_path, kind):
    df = pd.DataFrame({"resp_id": [1, 2, 3], "SAT1": [7, 8, 9], "SAT2": [6, 5, 4]})
    path = tmp_path / "misnamed.csv"
    if kind == "parquet":
        df.to_parquet(path, index=False)
    elif kind == "xlsx":
        df.to_excel(path, index=False, engine="openpyxl")
    else:
        pyreadstat = pytest.importorskip("pyreadstat")
        pyreadstat.write_sav(df, str(path))
    s = load_survey(path, scale=(1, 10))
    assert s.responses["SAT1"].tolist() == [7.0, 8.0, 9.0]
    assert list(s.responses.columns) == ["resp_id", "SAT1", "SAT2"]
    assert any("named .csv but holds" in n for n in s.validation.notes)


@pytest.mark.parametrize("content, match", [
    (b"PK\x03\x04garbage that is not a zip", "damaged ZIP"),
    (b"\x1f\x8b\x08\x00\x00\x00", "gzip"),
    (b"\x00\x01\x02binary\x00", "binary content"),
])
def test_archives_and_binary_refused_by_name(tmp_path, content, match):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(SurveyDataError, match=match) as err:
        load_survey(path)
    assert "x.csv" in str(err.value)


def test_long_integer_ids_stay_exact(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("resp_id,A1,A2\n9007199254740993,1,2\n9007199254740992,3,4\n,5,6\n", encoding="utf-8")
    s = load_survey(path)  # used to be read as float and refused as duplicated
    ids = s.responses["resp_id"]
    assert ids.iloc[0] == 9007199254740993 and ids.iloc[1] == 9007199254740992 and pd.isna(ids.iloc[2])
    assert len(s.validation.duplicated_ids) == 0
    assert any("without an id" in n for n in s.validation.notes)
    # ids too long for int64 are kept as text, digit for digit
    path.write_text("resp_id,A1\n123456789012345678901,1\n123456789012345678902,2\n", encoding="utf-8")
    assert load_survey(path).responses["resp_id"].tolist() == ["123456789012345678901", "123456789012345678902"]


def test_top_level_codes_and_labels_apply_to_items_listed_under_constructs():
    df = pd.DataFrame({"A1": [7, 99], "A2": [4, 5]})
    s = load_survey(df, {"scale": [1, 10], "missing_codes": [99], "value_labels": {1: "poor", 10: "excellent"},
                         "constructs": {"A": ["A1", "A2"]}})
    assert s.responses["A1"].tolist()[0] == 7.0 and np.isnan(s.responses["A1"].iloc[1])
    assert s.validation.items.loc["A1", "n_missing_code"] == 1
    assert s.codebook.items.loc["A2", "value_labels"] == {1.0: "poor", 10.0: "excellent"}


def test_missing_code_inside_the_scale_same_in_int_and_float_columns():
    cb = {"scale": [0, 10], "missing_codes": [0], "constructs": {"A": ["A1", "A2"]}}
    as_int = load_survey(pd.DataFrame({"A1": [0, 5, 10], "A2": [1, 2, 3]}), cb)
    as_float = load_survey(pd.DataFrame({"A1": [0.0, 5.0, 10.0], "A2": [1.0, 2.0, np.nan]}), cb)
    assert np.isnan(as_int.responses["A1"].iloc[0]) and np.isnan(as_float.responses["A1"].iloc[0])
    assert_frame_equal(as_int.responses[["A1"]], as_float.responses[["A1"]])
    assert as_int.validation.items.loc["A1", "n_missing_code"] == 1
    assert any("inside the scale" in n for n in as_int.validation.notes)


@pytest.mark.parametrize("codes, scale", [([9], (1, 7)), ([99], (1, 7)), ([999], (1, 5)), ([-1], (1, 7)),
                                          ([9, 99], (1, 7))])
def test_values_apart_from_the_battery_flagged_as_likely_codes(codes, scale):
    rng = np.random.default_rng(1)
    lo, hi = scale
    data = rng.integers(lo, hi + 1, size=(200, 3)).astype(float)
    data[[0, 1], 0] = lo
    data[[2, 3], 1] = hi
    for k, code in enumerate(codes):
        data[10 + 3 * k:13 + 3 * k, 0] = code
    df = pd.DataFrame(data, columns=["A1", "A2", "A3"])
    s = load_survey(df)
    v = s.validation
    assert not v.ok and v.summary().facts["status"] != "valid"
    table = v.likely_missing_codes
    assert table["construct"].tolist() == ["A"]
    assert table["codes"].iloc[0] == ", ".join(f"{c:g}" for c in sorted(codes))
    assert (table["scale_min"].iloc[0], table["scale_max"].iloc[0]) == scale  # not widened to 1-10
    assert table["n_cells"].iloc[0] == 3 * len(codes)
    assert any(f"inferred scale {lo}-{hi}" in p for p in v.problems())
    assert s.scale("A1") == scale
    assert s.responses["A1"].iloc[10:13].isna().all()


def test_no_flag_when_the_values_fill_the_scale():
    df = pd.DataFrame({"A1": [1, 4, 8, 9, 10, 2], "A2": [3, 5, 6, 7, 9, 1]})
    s = load_survey(df)
    assert s.validation.ok and len(s.validation.likely_missing_codes) == 0
    assert s.scale("A1") == (1.0, 10.0)
    # a declared codebook never triggers the flag
    s = load_survey(pd.DataFrame({"A1": [1, 7, 99], "A2": [2, 3, 4]}),
                    {"scale": [1, 7], "missing_codes": [99], "constructs": {"A": ["A1", "A2"]}})
    assert s.validation.ok


def test_inf_is_an_error_naming_where(tmp_path):
    with pytest.raises(SurveyDataError, match=r"Column 'A1' .* 1 infinite value: inf \(data row 2\)"):
        load_survey(pd.DataFrame({"A1": [1.0, np.inf], "A2": [2.0, 3.0]}))
    path = tmp_path / "inf.csv"
    path.write_text("A1,A2,note\n1,2,x\n-inf,3,y\n", encoding="utf-8")
    with pytest.raises(SurveyDataError, match="'A1'.*infinite"):
        load_survey(path, on_invalid="nan")
    with pytest.raises(SurveyDataError, match="'weight'"):
        load_survey(pd.DataFrame({"A1": [1, 2], "A2": [2, 3], "weight": ["1", "inf"]}))
    with pytest.raises(CodebookError, match="finite"):
        load_survey(pd.DataFrame({"A1": [1, 2]}), {"scale": [1, float("inf")], "constructs": {"A": ["A1"]}})
    with pytest.raises(ParameterError, match="'scale' parameter of load_survey"):
        load_survey(pd.DataFrame({"A1": [1, 2]}), scale=(1, float("inf")))


def test_weights_series_aligned_by_index_or_refused():
    s = load_survey(pd.DataFrame({"A1": [1, 5], "A2": [1, 5]}), scale=(1, 5))
    reversed_labels = pd.Series([1.0, 0.0], index=[1, 0])  # weight 1 for the respondent answering 5
    with pytest.warns(csindex.exceptions.InferenceWarning):
        res = csindex.simple_scores(s, weights=reversed_labels)
    assert res.constructs.set_index("construct").loc["A", "mean"] == 5.0
    with pytest.raises(SurveyDataError, match="index does not match"):
        csindex.simple_scores(s, weights=pd.Series([1.0, 1.0], index=[7, 0]))


def test_short_and_long_rows_named(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("A1,A2,A3\n1,2,3\n4,5\n", encoding="utf-8")
    with pytest.raises(SurveyDataError, match=r"has 2 fields but the header has 3"):
        load_survey(path)


# ---------------------------------------------------------------- every loader failure is a CsindexError
def _corrupt_xlsx(tmp_path):
    path = tmp_path / "bad.xlsx"
    good = tmp_path / "good.xlsx"
    pd.DataFrame({"A1": [1, 2]}).to_excel(good, index=False, engine="openpyxl")
    path.write_bytes(good.read_bytes()[:300])  # a truncated workbook: BadZipFile inside openpyxl
    return path, {}


def _corrupt_sav(tmp_path):
    pytest.importorskip("pyreadstat")
    path = tmp_path / "bad.sav"
    path.write_bytes(b"$FL2@(#) SPSS DATA FILE" + b"\x00" * 40)  # ReadstatError
    return path, {}


def _bad_encoding(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("A1,A2\n1,2\n", encoding="utf-8")
    return path, {"encoding": "no-such-codec"}


def _gbk_codebook(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("A1,A2\n1,2\n", encoding="utf-8")
    cb = tmp_path / "codebook.yaml"
    cb.write_bytes("constructs:\n  满意度: [A1, A2]\n".encode("gbk"))
    return path, {"codebook": cb}


def _directory(tmp_path):
    return tmp_path, {}


def _codebook_directory(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("A1,A2\n1,2\n", encoding="utf-8")
    (tmp_path / "cbdir").mkdir()
    return path, {"codebook": tmp_path / "cbdir"}


def _sheet_none(tmp_path):
    path = tmp_path / "s.xlsx"
    pd.DataFrame({"A1": [1, 2]}).to_excel(path, index=False, engine="openpyxl")
    return path, {"sheet": None}


def _unknown_sheet(tmp_path):
    path, _ = _sheet_none(tmp_path)
    return path, {"sheet": "Responses"}


def _bad_on_invalid(tmp_path):
    return pd.DataFrame({"A1": [1, 2]}), {"on_invalid": "x"}


FAILURES = {
    "BadZipFile": (_corrupt_xlsx, SurveyDataError, "bad.xlsx"),
    "ReadstatError": (_corrupt_sav, SurveyDataError, "bad.sav"),
    "LookupError": (_bad_encoding, ParameterError, "no-such-codec"),
    "UnicodeDecodeError": (_gbk_codebook, CodebookError, "not UTF-8"),
    "IsADirectoryError": (_directory, SurveyDataError, "is a folder"),
    "codebook folder": (_codebook_directory, CodebookError, "is a folder"),
    "AttributeError": (_sheet_none, ParameterError, "'sheet' parameter"),
    "unknown sheet": (_unknown_sheet, SurveyDataError, "s.xlsx"),
    "on_invalid": (_bad_on_invalid, ParameterError, "'on_invalid' parameter of load_survey"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_loader_failures_are_csindex_errors_naming_the_file(tmp_path, case):
    make, error, match = FAILURES[case]
    source, options = make(tmp_path)
    with pytest.raises(error, match=match) as err:
        load_survey(source, **options)
    assert isinstance(err.value, CsindexError)
    if case in ("BadZipFile", "ReadstatError"):
        assert err.value.__cause__ is not None  # raised from the reader's exception


def test_codebook_file_errors_name_the_file(tmp_path):
    cb = tmp_path / "cb.yaml"
    cb.write_bytes("constructs:\n  满意度: [A1]\n".encode("gbk"))
    with pytest.raises(CodebookError, match=r"cb\.yaml.*Save it as UTF-8"):
        Codebook.from_file(cb)


@pytest.mark.parametrize("option, value", [("n_invited", 2.5), ("n_invited", True), ("response_rate_target", 1.5),
                                           ("sep", ",,"), ("sheet", 1.5)])
def test_bad_options_are_parameter_errors(tmp_path, option, value):
    path = tmp_path / "s.csv"
    path.write_text("A1,A2\n1,2\n3,4\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=f"'{option}' parameter of load_survey"):
        load_survey(path, **{option: value})


def test_narrowed_profile_column_with_empty_cells(tmp_path, monkeypatch):
    # found by the fuzz test: a small-integer column with an empty cell after the probe
    path = tmp_path / "s.csv"
    path.write_bytes(b'0000\n0\n0\n0\n-1\n""\n')
    whole = load_survey(path)
    monkeypatch.setattr(_csv, "_PROBE_BYTES", 16)
    probed = load_survey(path)
    assert_frame_equal(probed.responses, whole.responses)
    assert probed.responses["0000"].dtype == np.float64 and probed.responses["0000"].isna().sum() == 1
