"""The report's files: cells are data never formulas, the output folder is written safely.

Issue 12, sections 1 and 2, the report round trip of section 5 and the Shapley chart of
section 4.
"""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import csindex
from csindex._export import clean_frame, clean_text, sheet_names, write_csv, write_xlsx
from csindex.exceptions import CsindexError, ParameterError

openpyxl = pytest.importorskip("openpyxl")

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ["=1+1", "+cmd|' /C calc'!A0", "@SUM(A1)", "-x", "regional\x0bcode", "\tTab", "\rCR"]
#: how the writer must store them (the neutralisation documented in docs/user/report.md)
WRITTEN = ["'=1+1", "'+cmd|' /C calc'!A0", "'@SUM(A1)", "'-x", "regional\\x0bcode", "'\tTab", "'\nCR"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ILLEGAL = {chr(c) for c in [*range(9), 11, 12, *range(14, 32)]}


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "csindex", *args], capture_output=True, text=True, cwd=cwd, check=False,
                          env=env, timeout=300)


def _hostile_survey(n: int = 120, seed: int = 3) -> csindex.Survey:
    """Labels, construct names, an item name and segment values that look like formulas or
    hold control characters."""
    rng = np.random.default_rng(seed)
    lat = rng.normal(size=(n, 2))

    def item(x: np.ndarray) -> np.ndarray:
        return np.clip(np.round(5.5 + 2 * (0.8 * x + 0.6 * rng.normal(size=n))), 1, 10).astype(int)

    df = pd.DataFrame({"A1": item(lat[:, 0]), "A2": item(lat[:, 0]), "B1": item(lat[:, 1]), "-B2": item(lat[:, 1]),
                       "OS1": item(lat.sum(1) / 2), "OS2": item(lat.sum(1) / 2),
                       "region": np.array(HOSTILE)[np.arange(n) % len(HOSTILE)]})
    cb = {"scale": [1, 10], "constructs": {'=HYPERLINK("x")': ["A1", "A2"], "@B\x0b": ["B1", "-B2"]},
          "items": {"A1": {"label_en": HOSTILE[0]}, "A2": {"label_en": HOSTILE[1]}, "B1": {"label_en": HOSTILE[2]},
                    "-B2": {"label_en": HOSTILE[3]},
                    "OS1": {"role": "overall_satisfaction", "construct": "OS", "label_en": HOSTILE[4]},
                    "OS2": {"role": "overall_satisfaction", "construct": "OS", "label_en": HOSTILE[5]},
                    "region": {"role": "profile", "label_en": HOSTILE[6]}}}
    return csindex.load_survey(df, cb)


def _small_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({f"Q{i}": rng.integers(1, 6, 60) for i in range(1, 4)})


def _report(tmp: Path, **kw):
    kw.setdefault("excel", False)
    return csindex.report(_small_frame(), scale=(1, 5), out=tmp, bootstrap=0, progress=False, **kw)


# --------------------------------------------------------------------------- the writer


def test_clean_text_follows_the_documented_rules():
    assert [clean_text(t) for t in HOSTILE] == WRITTEN
    assert clean_text("=~") == "=~"  # the lavaan operator: inert, kept
    assert clean_text("==1") == "'==1"
    assert clean_text("a=b") == "a=b" and clean_text("") == "" and clean_text("'x") == "'x"
    assert clean_text("a\r\nb\rc") == "a\nb\nc"
    assert clean_text("\x00\x1f\ufffe") == "\\x00\\x1f\\ufffe"
    assert clean_text("x\x00") == "x\\x00"


def test_clean_frame_keeps_numbers_and_missing_values():
    df = pd.DataFrame({"t": ["-x", None, 3, float("nan")], "v": [-0.5, -1.0, np.nan, 2.0],
                       "i": pd.array([-1, None, 2, 3], dtype="Int64")}, index=pd.Index(list("abcd"), name="=k"))
    out = clean_frame(df)
    assert list(out.columns) == ["'=k", "t", "v", "i"]
    assert out["t"].tolist()[0] == "'-x" and out["t"].tolist()[1] is None and out["t"].tolist()[2] == 3
    assert math.isnan(out["t"].tolist()[3])
    assert out["v"].tolist()[:2] == [-0.5, -1.0] and out["v"].dtype == np.float64
    assert out["i"].tolist()[0] == -1
    assert df.index.name == "=k" and df["t"].iloc[0] == "-x"  # the caller's frame is untouched


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(
    ["=", "+", "-", "@", "~", "\t", "\r", "\n", "\x0b", "\x00", "\ufffe", "\ud800"]), max_size=8)),
    min_size=1, max_size=12))
def test_text_columns_are_cleaned_cell_by_cell(cells):
    # clean_frame tests text columns with one vectorised regex and cleans only the flagged
    # cells: every cell must still read exactly as clean_text of it
    out = clean_frame(pd.DataFrame({"t": pd.Series(cells, dtype=object)}))["t"].tolist()
    assert out == [None if c is None else clean_text(c) for c in cells]


def test_xlsx_text_is_string_cells_and_numbers_stay_numbers(tmp_path):
    big = 9007199254740993
    df = pd.DataFrame({"op": ["=~", "#N/A", "=SUM(1)", "ok"], "lhs": ["-x", "a\x0bb", "\rz", "t\tt"],
                       "v": [-0.5, np.inf, np.nan, -2.0], "id": [big, 1, -3, 4], "flag": [True, False, True, False]})
    path = write_xlsx(tmp_path / "t.xlsx", {"est/1": df})
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[sheet_names(["est/1"])[0]]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["op", "lhs", "v", "id", "flag"]
    assert [r[0] for r in rows[1:]] == ["=~", "#N/A", "'=SUM(1)", "ok"]
    assert [r[1] for r in rows[1:]] == ["'-x", "a\\x0bb", "'\nz", "t\tt"]
    assert [r[2] for r in rows[1:]] == [-0.5, "inf", None, -2.0]
    assert [r[3] for r in rows[1:]] == [str(big), 1, -3, 4]  # beyond 2**53: text, exact
    assert [r[4] for r in rows[1:]] == [True, False, True, False]
    types = [c.data_type for row in ws.iter_rows() for c in row]
    assert "f" not in types and "e" not in types
    assert [c.data_type for c in ws["B"]][1:] == ["s"] * 4


def test_csv_text_is_neutralised_and_numbers_are_not(tmp_path):
    df = pd.DataFrame({"=h": ["=1+1", "-x", "ok"], "v": [-1.5, 2.0, -3.0]})
    text = write_csv(tmp_path / "t.csv", df).read_text(encoding="utf-8")
    assert text == "'=h,v\n'=1+1,-1.5\n'-x,2.0\nok,-3.0\n"


def test_every_tabular_writer_goes_through_the_export_module():
    """No other module of the package calls to_csv/to_excel/ExcelWriter or builds workbooks."""
    offenders = []
    for path in (ROOT / "src" / "csindex").rglob("*.py"):
        if path.name == "_export.py":
            continue
        text = path.read_text(encoding="utf-8")
        for needle in (".to_csv(", ".to_excel(", "ExcelWriter", "Workbook(", "csv.writer("):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


# --------------------------------------------------------------------------- report round trip


def _expected(v):
    if isinstance(v, str):
        return clean_text(v)
    return v


def _same_number(got, want) -> bool:
    if want is None or (isinstance(want, float) and math.isnan(want)) or want is pd.NA:
        return got in (None, "")
    if isinstance(want, (bool, np.bool_)):
        return got in (bool(want), str(bool(want)))
    return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-12)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile") / "out"
    res = csindex.report(_hostile_survey(), by="region", bootstrap=0, out=out, excel=True, progress=False)
    return res


def test_round_trip_every_csv_cell_reads_back_as_the_neutralised_text(hostile_report):
    res = hostile_report
    assert {"segment_scores", "construct_scores", "driver_weights", "item_scores"} <= set(res.tables)
    seen_text = set()
    for name, df in res.tables.items():
        frame = df if isinstance(df.index, pd.RangeIndex) else df.reset_index()
        with open(res.out / f"{name}.csv", encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == [clean_text(str(c)) for c in frame.columns], name
        assert len(rows) == len(frame) + 1, name
        for r, record in enumerate(frame.itertuples(index=False)):
            for c, want in enumerate(record):
                got = rows[r + 1][c]
                if isinstance(want, str):
                    assert got == clean_text(want), (name, r, c)
                    seen_text.add(got)
                else:
                    assert _same_number(got, want), (name, r, c, got, want)
        for row in rows:  # the invariant, whatever the table: no live formula, no control character
            for cell in row:
                assert not (ILLEGAL & set(cell)), (name, cell)
                if cell.startswith(TRIGGERS) and cell != "=~":
                    float(cell)  # only numbers may start with "-" or "+"
    assert set(WRITTEN) <= seen_text  # segment values
    assert {"'=HYPERLINK(\"x\")", "'@B\\x0b", "'-B2"} <= seen_text  # construct and item names


def test_round_trip_every_xlsx_cell_reads_back_and_no_formula(hostile_report):
    res = hostile_report
    wb = openpyxl.load_workbook(res.excel, data_only=True)
    names = sheet_names(list(res.tables))
    assert wb.sheetnames == names
    n_formula = 0
    seen_text = set()
    for sheet, (name, df) in zip(names, res.tables.items()):
        ws = wb[sheet]
        frame = df if isinstance(df.index, pd.RangeIndex) else df.reset_index()
        rows = [[c.value for c in row] for row in ws.iter_rows()]
        n_formula += sum(c.data_type == "f" for row in ws.iter_rows() for c in row)
        assert rows[0] == [clean_text(str(c)) for c in frame.columns], name
        for r, record in enumerate(frame.itertuples(index=False)):
            for c, want in enumerate(record):
                got = rows[r + 1][c]
                if isinstance(want, str):
                    assert got == clean_text(want), (name, r, c)
                    seen_text.add(got)
                else:
                    assert _same_number(got, want), (name, r, c, got, want)
    assert n_formula == 0
    assert set(WRITTEN) <= seen_text


def test_sem_operator_is_a_string_cell(tmp_path):
    """`csindex report --method sem --bootstrap 0`: '=~' reads back as '=~', never a formula."""
    res = csindex.report(out=tmp_path / "o", method="sem", bootstrap=0, excel=True, progress=False)
    wb = openpyxl.load_workbook(res.excel, data_only=True)
    ws = wb["sem_estimates"]
    header = [c.value for c in ws[1]]
    ops = {row[header.index("op")] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert "=~" in ops and None not in ops
    assert sum(c.data_type == "f" for s in wb for row in s.iter_rows() for c in row) == 0
    with open(tmp_path / "o" / "sem_estimates.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert "=~" in {r["op"] for r in rows}


def test_control_character_in_a_segment_does_not_crash_the_workbook(tmp_path):
    df = _small_frame().assign(seg=["regional\x0bcode", "b"] * 30)
    res = csindex.report(df, scale=(1, 5), by="seg", out=tmp_path / "o", bootstrap=0, excel=True, progress=False)
    cells = {c.value for row in openpyxl.load_workbook(res.excel)["segment_scores"].iter_rows() for c in row}
    assert "regional\\x0bcode" in cells


# --------------------------------------------------------------------------- output folder


def test_symlink_inside_out_is_refused_and_the_victim_untouched(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").symlink_to("../victim.txt")
    with pytest.raises(ParameterError, match="index.html.*symbolic link"):
        _report(out)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert (out / "index.html").is_symlink()
    r = _run_cli("report", "--out", "out", "--bootstrap", "0", "--quiet", cwd=tmp_path)
    assert r.returncode == 1 and "symbolic link" in r.stderr and "index.html" in r.stderr
    assert victim.read_text(encoding="utf-8") == "precious"


def test_symlinked_csv_entry_found_after_the_analysis_is_refused_too(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "out"
    _report(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "item_scores.csv").unlink()
    (out / "item_scores.csv").symlink_to(victim)
    before.pop("item_scores.csv")
    with pytest.raises(ParameterError, match="item_scores.csv"):
        _report(out)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert {p.name: p.read_bytes() for p in out.iterdir() if not p.is_symlink()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary folder left


def test_stale_files_of_the_previous_manifest_are_removed_user_files_kept(tmp_path):
    out = tmp_path / "out"
    first = csindex.report(out=out, method="both", bootstrap=0, excel=False, progress=False)
    manifest = json.loads((out / "results.json").read_text(encoding="utf-8"))["manifest"]
    assert "sem_estimates.csv" in manifest and "pls_paths.csv" in manifest
    assert sorted(manifest) == sorted(p.name for p in out.iterdir())
    (out / "my_notes.csv").write_text("mine\n", encoding="utf-8")
    (out / "sem_extra.csv").write_text("also mine\n", encoding="utf-8")  # looks like ours, is not listed
    assert first.excel is None
    csindex.report(out=out, method="pls", bootstrap=0, excel=False, progress=False)
    names = {p.name for p in out.iterdir()}
    assert not {n for n in names if n.startswith("sem_") and n != "sem_extra.csv"}
    assert {"my_notes.csv", "sem_extra.csv", "pls_paths.csv", "index.html", "results.json"} <= names
    assert (out / "my_notes.csv").read_text(encoding="utf-8") == "mine\n"
    manifest2 = json.loads((out / "results.json").read_text(encoding="utf-8"))["manifest"]
    assert names - set(manifest2) == {"my_notes.csv", "sem_extra.csv"}


def test_out_as_a_link_to_a_folder_is_followed_a_broken_link_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    res = _report(tmp_path / "link")
    assert (real / "index.html").is_file() and res.out == real.resolve()
    assert (tmp_path / "link").is_symlink()
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(ParameterError, match="broken symbolic link"):
        _report(tmp_path / "dangling")
    assert not (tmp_path / "nowhere").exists()


def test_a_folder_where_a_stale_file_was_is_kept(tmp_path):
    out = tmp_path / "out"
    _report(out, by="Q1")
    (out / "segment_scores.csv").unlink()
    (out / "segment_scores.csv").mkdir()
    (out / "segment_scores.csv" / "mine.txt").write_text("x", encoding="utf-8")
    _report(out)
    assert (out / "segment_scores.csv" / "mine.txt").read_text(encoding="utf-8") == "x"
    with pytest.raises(ParameterError, match="is a folder"):
        _report(out, by="Q1")  # would write a file of that name


def test_a_tampered_manifest_never_deletes_other_files(tmp_path):
    out = tmp_path / "out"
    _report(out)
    outside = tmp_path / "outside.csv"
    outside.write_text("x", encoding="utf-8")
    (out / "notes.txt").write_text("x", encoding="utf-8")
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    payload["manifest"] += ["../outside.csv", "notes.txt", str(outside), ".hidden.csv"]
    (out / "results.json").write_text(json.dumps(payload), encoding="utf-8")
    _report(out)
    assert outside.exists() and (out / "notes.txt").exists()


def test_failure_mid_report_leaves_the_previous_output_intact(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _report(out, excel=True)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    from csindex.report import _headline

    def boom(ctx, sec):
        raise KeyboardInterrupt  # not caught by the section runner: aborts the report

    monkeypatch.setattr(_headline, "build_overview", boom)
    with pytest.raises(KeyboardInterrupt):
        _report(out, excel=True, by="Q1")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    monkeypatch.undo()

    def broken_workbook(path, tables):
        Path(path).write_bytes(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(sys.modules["csindex.report"], "write_xlsx", broken_workbook)
    with pytest.raises(OSError, match="disk full"):
        _report(out, excel=True, by="Q1")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the temporary folder is gone


def test_failure_while_moving_files_in_rolls_back(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _report(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_replace = os.replace
    calls = {"n": 0}

    def flaky(src, dst):
        calls["n"] += 1
        if calls["n"] == len(before) + 3:  # after the old files are set aside and some new ones moved in
            raise OSError("device vanished")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError, match="device vanished"):
        _report(out, by="Q1")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_new_output_folder_appears_whole_with_usual_permissions(tmp_path):
    res = _report(tmp_path / "a" / "b")
    assert res.index_html.exists() and res.out == (tmp_path / "a" / "b").absolute()
    mode = (tmp_path / "a" / "b").stat().st_mode & 0o777
    assert mode == 0o777 & ~_umask()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b"]


def test_only_the_target_writable_stages_inside_it(tmp_path, monkeypatch):
    """out="." in a folder whose parent is read-only: the staging folder goes inside out."""
    out = tmp_path / "p" / "out"
    out.mkdir(parents=True)
    (out / "mine.txt").write_text("x", encoding="utf-8")
    from csindex.report import _files

    real_access = os.access
    monkeypatch.setattr(_files.os, "access",
                        lambda path, mode: False if Path(path) == out.parent else real_access(path, mode))
    staged_in = []
    real_mkdtemp = _files.tempfile.mkdtemp

    def spy(prefix, dir):
        staged_in.append(Path(dir))
        return real_mkdtemp(prefix=prefix, dir=dir)

    monkeypatch.setattr(_files.tempfile, "mkdtemp", spy)
    monkeypatch.chdir(out)
    res = _report(Path("."))
    assert staged_in and all(d.resolve() == out for d in staged_in)
    assert res.out == out and (out / "index.html").is_file() and (out / "mine.txt").exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    monkeypatch.setattr(_files.os, "access", lambda path, mode: False)
    with pytest.raises(ParameterError, match="cannot write into"):
        _report(out)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_out_is_checked_before_the_analysis(tmp_path, monkeypatch):
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    report_module = sys.modules["csindex.report"]

    def no_analysis(*a, **k):
        raise AssertionError("the analysis ran")

    monkeypatch.setattr(report_module, "_load", no_analysis)
    with pytest.raises(ParameterError, match="empty"):
        csindex.report(out="", progress=False)
    with pytest.raises(ParameterError, match="existing file"):
        csindex.report(out=tmp_path / "file.txt", progress=False)
    with pytest.raises(ParameterError, match="which is a file"):
        csindex.report(out=tmp_path / "file.txt" / "sub", progress=False)
    with pytest.raises(ParameterError, match="folder path"):
        csindex.report(out=3, progress=False)
    assert issubclass(ParameterError, CsindexError)


def test_cli_out_empty_and_out_file(tmp_path):
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    r = _run_cli("report", "--out", "", "--quiet", cwd=tmp_path)
    assert r.returncode == 2 and "--out" in r.stderr and "empty" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]
    r = _run_cli("report", "--out", "file.txt", "--quiet", cwd=tmp_path)
    assert r.returncode == 1 and "existing file" in r.stderr
    assert (tmp_path / "file.txt").read_text(encoding="utf-8") == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


# --------------------------------------------------------------------------- Shapley section


def _noise_driver_survey() -> csindex.Survey:
    """A driver unrelated to satisfaction: its Shapley share (about 9e-5) lies below its
    bootstrap percentile interval, as bootstrap shares are biased upwards near zero."""
    n = 300
    rng = np.random.default_rng(13)
    a, b, c = rng.normal(size=(3, n))
    sat = 0.7 * a + 0.4 * b + rng.normal(scale=0.6, size=n)

    def items(x, pre):
        return {f"{pre}{j + 1}": np.clip(np.round(5.5 + 1.8 * (0.8 * x + 0.6 * rng.normal(size=n))), 1, 10).astype(int)
                for j in range(2)}

    df = pd.DataFrame({**items(a, "A"), **items(b, "B"), **items(c, "C"), **items(sat, "OS")})
    cb = {"scale": [1, 10], "constructs": {"A": ["A1", "A2"], "B": ["B1", "B2"], "C": ["C1", "C2"]},
          "items": {"OS1": {"role": "overall_satisfaction", "construct": "OS"},
                    "OS2": {"role": "overall_satisfaction", "construct": "OS"}}}
    return csindex.load_survey(df, cb)


def test_driver_section_accepts_a_share_outside_its_percentile_interval(tmp_path):
    res = csindex.report(_noise_driver_survey(), out=tmp_path / "o", bootstrap=200, seed=1, excel=False,
                         progress=False)
    w = res.tables["driver_weights"].set_index("driver")
    outside = (w["share"] < w["share_ci_lower"]) | (w["share"] > w["share_ci_upper"])
    assert outside["C"]  # the case of the issue: a tiny share below its own interval
    assert w.loc["C", "share"] < 1e-3
    status = res.sections.set_index("id").loc["drivers"]
    assert status["status"] == "ok", status["note"]


def test_driver_chart_draws_the_interval_as_given():
    import matplotlib.pyplot as plt

    t = pd.DataFrame({"driver": ["A", "B", "C"], "share": [0.6, 0.4 - 2.7e-6, 2.7e-6],
                      "lo": [0.5, 0.3, 1e-5], "hi": [0.7, 0.5, 0.02]})
    d = csindex.plots.driver_chart(t, value="share", ci_lower="lo", ci_upper="hi")
    segments = d.errorbars_.lines[2][0].get_segments()
    spans = sorted((round(s[0][0], 6), round(s[1][0], 6)) for s in segments)
    assert spans == [(0.001, 2.0), (30.0, 50.0), (50.0, 70.0)]  # percent: exactly [lower, upper]
    plt.close(d.figure_)
    with pytest.raises(CsindexError, match="lower bound of the interval exceeds the upper bound for 'C'"):
        csindex.plots.driver_chart(t.assign(lo=[0.5, 0.3, 0.03]), value="share", ci_lower="lo", ci_upper="hi")
