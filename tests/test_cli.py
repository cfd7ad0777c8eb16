"""The csindex command line: subprocess runs as a user would, plus fast in-process checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from csindex import cli

SRC = Path(__file__).resolve().parents[1] / "src"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "csindex", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def bad_csv(tmp_path: Path) -> Path:
    path = tmp_path / "bad.csv"
    pd.DataFrame({"resp_id": [1, 2, 3], "IMAG1": [5, 11, 7], "IMAG2": [6, 7, 8]}).to_csv(path, index=False)
    return path


def test_validate_bad_csv_subprocess(tmp_path, bad_csv):
    proc = run(["validate", bad_csv.name, "--scale", "1", "10"], cwd=tmp_path)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "IMAG1" in proc.stderr and "Traceback" not in out
    error_lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(error_lines) == 1 and error_lines[0].startswith("csindex: error: Item 'IMAG1'")
    assert "out-of-range cells: 1" in proc.stdout  # the validation summary is printed too


def test_report_in_empty_folder_subprocess(tmp_path):
    proc = run(["report"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "csindex-report"
    assert out.is_dir() and str(out / "index.html") in proc.stdout
    files = {p.name for p in out.iterdir()}
    assert {"index.html", "results.json", "construct_scores.csv"} <= files
    scores = pd.read_csv(out / "construct_scores.csv")
    assert scores["construct"].iloc[-1] == "overall" and scores["score"].between(0, 100).all()


def test_help_subprocess(tmp_path):
    proc = run(["--help"], cwd=tmp_path)
    assert proc.returncode == 0 and "report" in proc.stdout and "validate" in proc.stdout


def test_debug_shows_traceback(tmp_path, bad_csv):
    proc = run(["--debug", "validate", bad_csv.name, "--scale", "1", "10"], cwd=tmp_path)
    assert proc.returncode != 0 and "Traceback" in proc.stderr and "SurveyDataError" in proc.stderr


def test_validate_good_file_exits_0(tmp_path, capsys):
    path = tmp_path / "good.csv"
    pd.DataFrame({"resp_id": [1, 2], "IMAG1": [5, 10], "IMAG2": [6, 7]}).to_csv(path, index=False)
    assert cli.main(["validate", str(path), "--scale", "1", "10"]) == 0
    out = capsys.readouterr()
    assert "status: valid" in out.out and out.err == ""


def test_validate_missing_file_one_line(tmp_path, capsys):
    assert cli.main(["validate", str(tmp_path / "nope.csv")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not exist" in err[0]


def test_validate_with_codebook_naming_missing_item(tmp_path, capsys, bad_csv):
    cb = tmp_path / "cb.json"
    cb.write_text('{"scale": [1, 10], "constructs": {"IMAG": ["IMAG1", "IMAG2", "IMAG3"]}}', encoding="utf-8")
    assert cli.main(["validate", str(bad_csv), "--codebook", str(cb)]) == 1
    err = capsys.readouterr().err
    assert "'IMAG3'" in err and "Traceback" not in err


def test_report_quiet_and_out_dir(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "s.csv"
    pd.DataFrame({"SAT1": [1, 3, 5, 5], "SAT2": [2, 4, 4, 5]}).to_csv(data, index=False)
    assert cli.main(["report", str(data), "--scale", "1", "5", "--out", "mine", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    scores = pd.read_csv(tmp_path / "mine" / "construct_scores.csv")
    assert scores.set_index("construct").loc["SAT", "score"] == pytest.approx(65.625)


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "usage: csindex" in capsys.readouterr().out


# ---------------------------------------------------------------- unreadable input is exit 1, never 3
def _good_csv(tmp_path: Path) -> Path:
    path = tmp_path / "s.csv"
    pd.DataFrame({"SAT1": [1, 3, 5, 5], "SAT2": [2, 4, 4, 5]}).to_csv(path, index=False)
    return path


def _corrupt_xlsx(tmp_path: Path) -> list[str]:
    good = tmp_path / "good.xlsx"
    pd.DataFrame({"SAT1": [1, 2]}).to_excel(good, index=False, engine="openpyxl")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(good.read_bytes()[:300])
    return [str(bad)]


def _corrupt_sav(tmp_path: Path) -> list[str]:
    bad = tmp_path / "bad.sav"
    bad.write_bytes(b"$FL2@(#) SPSS DATA FILE" + b"\x00" * 40)
    return [str(bad)]


def _bad_encoding(tmp_path: Path) -> list[str]:
    return [str(_good_csv(tmp_path)), "--encoding", "no-such-codec"]


def _gbk_codebook(tmp_path: Path) -> list[str]:
    cb = tmp_path / "cb.yaml"
    cb.write_bytes("constructs:\n  满意度: [SAT1, SAT2]\n".encode("gbk"))
    return [str(_good_csv(tmp_path)), "--codebook", str(cb)]


def _folder(tmp_path: Path) -> list[str]:
    return [str(tmp_path)]


def _codebook_folder(tmp_path: Path) -> list[str]:
    (tmp_path / "cbdir").mkdir()
    return [str(_good_csv(tmp_path)), "--codebook", str(tmp_path / "cbdir")]


@pytest.mark.parametrize("make", [_corrupt_xlsx, _corrupt_sav, _bad_encoding, _gbk_codebook, _folder, _codebook_folder],
                         ids=["BadZipFile", "ReadstatError", "LookupError", "UnicodeDecodeError", "IsADirectoryError",
                              "codebook folder"])
def test_validate_unreadable_input_exits_1(tmp_path, capsys, make):
    if make is _corrupt_sav:
        pytest.importorskip("pyreadstat")
    args = make(tmp_path)
    assert cli.main(["validate", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("csindex: error: ") and "internal error" not in err


def test_report_with_gbk_model_file_exits_1(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "model.txt"
    model.write_bytes("# 满意度模型\nSAT =~ SAT1 + SAT2\n".encode("gbk"))
    code = cli.main(["report", str(_good_csv(tmp_path)), "--scale", "1", "5", "--model", str(model),
                     "--bootstrap", "0", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "UTF-8" in err and "internal error" not in err


def test_report_on_the_ecsi_mobi_data_takes_the_template_by_construct_names(tmp_path, capsys):
    # the classic ECSI "mobi" data (Tenenhaus et al. 2005) names its constructs by the ECSI
    # codes (IMAG, CUEX, PERQ, PERV, CUSA, CUSCO, CUSL) and comes without a codebook
    from conftest import reference_path

    code = cli.main(["report", str(reference_path("mobi.csv")), "--model", "ecsi", "--bootstrap", "0",
                 "--out", str(tmp_path / "r"), "--n-jobs", "1"])
    err = capsys.readouterr().err
    assert code == 0
    assert "csindex: warning: The codebook has no 'index_construct' column; the ECSI template takes the " \
           "constructs by their names: IMAG = image, CUEX = expectation, PERQ = quality, PERV = value, " \
           "CUSA = satisfaction, CUSCO = complaints, CUSL = loyalty." in err
    payload = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    status = {s["id"]: s["status"] for s in payload["sections"]}
    assert status["model"] == status["index"] == status["ipma"] == "ok"
    paths = {(r["source"], r["target"]) for r in payload["tables"]["pls_paths"]}
    assert ("SAT", "LOY") in paths and ("COMP", "LOY") in paths and len(paths) == 12  # ECSI with complaints


def test_report_without_a_model_says_on_the_console_which_template_fits(tmp_path, capsys):
    # satisfaction.csv names its constructs imag, expe, qual, val, sat, loy: without --model the
    # report has no index; the console says which option would give one
    from conftest import reference_path

    code = cli.main(["report", str(reference_path("satisfaction.csv")), "--bootstrap", "0",
                     "--out", str(tmp_path / "r"), "--n-jobs", "1"])
    err = capsys.readouterr().err
    assert code == 0
    notes = [line for line in err.splitlines() if line.startswith("csindex: note:")]
    assert len(notes) == 1 and "--model ccsi" in notes[0] and "imag, expe, qual, val, sat and loy" in notes[0]
    code = cli.main(["report", str(reference_path("satisfaction.csv")), "--model", "ecsi", "--bootstrap", "0",
                     "--out", str(tmp_path / "r2"), "--n-jobs", "1"])
    assert code == 0 and "csindex: note:" not in capsys.readouterr().err


def test_validate_prints_shares_in_percent_scales_whole_and_counts_the_other_problems(capsys):
    from conftest import reference_path

    code = cli.main(["validate", str(reference_path("corp_rep_data.csv"))])
    out, err = capsys.readouterr()
    assert code == 1
    assert "missing share (all rated cells): 0.1%" in out
    row = next(line.split() for line in out.splitlines() if line.startswith("cusl_2 "))
    assert row[3] == "1.2%" and row[-2:] == ["1", "7"]  # 4 of 344 missing; scale 1-7, not 1.0000 7.0000
    assert "0.0000" not in out
    # two constructs hold likely missing codes: the error line names the first and counts the other
    assert err.count("csindex: error:") == 1 and err.rstrip().endswith("(1 more problem above)")


def test_errors_name_the_command_line_options_not_the_python_ones(capsys):
    # the library says by='region' and drop=(...); the command line has --by region and model files
    from conftest import reference_path

    assert cli.main(["report", str(reference_path("mobi.csv")), "--by", "region", "--bootstrap", "0", "--quiet"]) == 1
    assert "csindex: error: --by region is not a column of the survey." in capsys.readouterr().err
    assert cli.main(["report", str(reference_path("corp_rep_data.csv")), "--model", "ecsi", "--bootstrap", "0",
                     "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "drop=" not in err and "write the model without it in a lavaan-style file for --model" in err
    # words of other functions and of the Python hint stay as they are
    assert cli._one_line("Prefer method='shapley' or 'relative_weights'.") == \
        "Prefer method='shapley' or 'relative_weights'."
    assert cli._one_line("Drop the redundant item(s), or use missing='listwise'.") == \
        "Drop the redundant item(s), or use --missing listwise."
    assert cli._one_line("run again with --model ccsi (model='ccsi' in Python)") == \
        "run again with --model ccsi (model='ccsi' in Python)"
