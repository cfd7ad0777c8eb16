"""Loader fuzz test (issue 12 §5): generated CSV bytes give a valid Survey or a CsindexError.

Encodings, separators, quoting styles, byte-order marks, missing-value words, separators and
newlines inside quoted text, and sizes on both sides of every internal threshold of the CSV
reader (the int16 probe, the separator-sniffing window and the decoding chunk are lowered to a
few bytes so that small files cross them). Same bytes, any threshold: the same Survey.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

import csindex
from csindex import _csv
from csindex.exceptions import CsindexError
from csindex.io import load_survey

ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]
TEXT = st.text(alphabet=st.sampled_from(list("abc xyz,;|\t\"'\n\r0123456789.-+=éü北京满意")), max_size=8)
CELL = st.one_of(
    st.integers(-5, 120).map(str),
    st.sampled_from(["", "NA", "None", "null", "99", "9", "-1", "inf", "nan", "1e3", " 7 ", "7.5", "True",
                     "9007199254740993", "2024-01-05", "2024-01-05 10:11:12"]),
    TEXT,
)
HEADER = st.one_of(st.sampled_from(["resp_id", "weight", "SAT1", "SAT2", "IMAG1", "IMAG2", "NPS", "city", "Q1_3",
                                    "满意度1", ""]), TEXT)


@st.composite
def csv_files(draw):
    n_cols = draw(st.integers(1, 5))
    header = draw(st.lists(HEADER, min_size=n_cols, max_size=n_cols))
    n_rows = draw(st.integers(0, 30))
    repeat = draw(st.sampled_from([1, 1, 8]))  # repeated rows push the file past the lowered thresholds
    rows = draw(st.lists(st.lists(CELL, min_size=n_cols, max_size=n_cols), min_size=n_rows, max_size=n_rows))
    ragged = draw(st.booleans()) and rows
    if ragged:
        rows[-1] = rows[-1][:-1] or ["x", "y"]
    sep = draw(st.sampled_from([",", "\t", ";", "|"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, quoting=quoting, lineterminator=newline)
    writer.writerow(header)
    for _ in range(repeat):
        writer.writerows(rows)
    encoding = draw(st.sampled_from(ENCODINGS))
    data = buf.getvalue().encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:  # a few bytes of damage
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data


def _load(path: Path, probe: int, sniff: int, chunk: int = 16 << 20, **kw):
    with mock.patch.object(_csv, "_PROBE_BYTES", probe), mock.patch.object(_csv, "_SNIFF_BYTES", sniff), \
            mock.patch.object(_csv, "_CHUNK", chunk):
        try:
            return load_survey(path, **kw)
        except CsindexError as exc:
            return exc


def _max_rows(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") + 1  # any line break ends a row


def _check(result, n_rows_max: int) -> None:
    if isinstance(result, CsindexError):
        assert str(result)  # every error says something
        return
    assert isinstance(result, csindex.Survey)
    assert result.n <= n_rows_max
    for item in result.items():
        col = result.responses[item]
        assert col.dtype == np.float64 and not np.isinf(col).any()
        lo, hi = result.scale(item) if not col.isna().all() else (-np.inf, np.inf)
        assert ((col.dropna() >= lo) & (col.dropna() <= hi)).all()
    for col in result.responses.columns:
        assert not result.responses[col].map(lambda v: isinstance(v, bytes)).any()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=csv_files(), probe=st.sampled_from([16, 200, 1 << 20]), sniff=st.sampled_from([8, 100, 64 << 10]),
       chunk=st.sampled_from([7, 64, 16 << 20]), on_invalid=st.sampled_from(["raise", "nan"]))
def test_generated_csv_bytes_give_a_survey_or_a_csindex_error(data, probe, sniff, chunk, on_invalid):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.csv"
        path.write_bytes(data)
        result = _load(path, probe, sniff, chunk, on_invalid=on_invalid)
        _check(result, _max_rows(data))
        # the same bytes give the same answer whatever the int16-probe threshold
        again = _load(path, 1 << 20, sniff, chunk, on_invalid=on_invalid)
        if isinstance(result, CsindexError):
            assert isinstance(again, CsindexError) and type(again) is type(result)
        else:
            assert not isinstance(again, CsindexError), again
            assert_frame_equal(result.responses, again.responses)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300), probe=st.sampled_from([16, 1 << 20]))
def test_arbitrary_bytes_give_a_survey_or_a_csindex_error(data, probe):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "junk.csv"
        path.write_bytes(data)
        _check(_load(path, probe, 64 << 10, on_invalid="nan"), _max_rows(data))


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_fuzz_generator_covers_every_encoding(tmp_path, encoding):
    # a plain file in each encoding is read back exactly (the fuzz test only checks "no crash")
    text = "SAT1,SAT2,city\n7,8,Zürich\n5,NA,Genève\n"
    path = tmp_path / "s.csv"
    path.write_bytes(text.encode(encoding))
    s = load_survey(path, scale=(1, 10))
    assert s.responses["city"].tolist() == ["Zürich", "Genève"]
    assert np.isnan(s.responses["SAT2"].iloc[1])
