"""csindex.report(): sections, embedded figures, no network references, results.json, CSV/Excel, zh, CLI."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex import cli
from csindex.exceptions import CsindexError, SurveyDataError

SRC = Path(__file__).resolve().parents[2] / "src"

SECTION_IDS = ["overview", "improve", "data-quality", "simple-scores", "kpi", "ratio", "dual-ipa", "drivers",
               "model", "index", "ipma", "appendix-quality", "appendix-formulas", "about"]

@pytest.fixture(scope="module")
def en(tmp_path_factory):
    out = tmp_path_factory.mktemp("report-en")
    start = time.perf_counter()
    res = csindex.report(out=out, bootstrap=100, seed=7, progress=False)
    return res, out, time.perf_counter() - start


@pytest.fixture(scope="module")
def zh(tmp_path_factory):
    out = tmp_path_factory.mktemp("report-zh")
    res = csindex.report(out=out, lang="zh", bootstrap=0, seed=7, progress=False)
    return res, out


def _html(out: Path) -> str:
    return (out / "index.html").read_text(encoding="utf-8")


def _svg_size(data: bytes) -> tuple[float, float]:
    """Width and height (CSS px) of an SVG's root element; the figure must be vector, self-contained."""
    text = data.decode("utf-8")
    root = re.search(r"<svg\b[^>]*>", text)
    assert root is not None and text.lstrip().startswith(("<?xml", "<!DOCTYPE", "<svg"))
    size = re.search(r'\bwidth="([0-9.]+)px"[^>]*\bheight="([0-9.]+)px"', root.group(0))
    assert size is not None, root.group(0)
    assert "<script" not in text and "<image" not in text  # vector only, nothing executable
    return float(size.group(1)), float(size.group(2))


# --------------------------------------------------------------------------- page content


def test_every_section_present_and_computed(en):
    res, out, _ = en
    page = _html(out)
    for sid in SECTION_IDS:
        assert f'<section id="{sid}">' in page, sid
        assert f'href="#{sid}"' in page  # table of contents
    status = res.sections.set_index("id")["status"]
    assert list(res.sections["id"]) == SECTION_IDS
    for sid in SECTION_IDS:
        assert status[sid] == "ok", (sid, res.sections.set_index("id").loc[sid, "note"])
    assert not (res.sections["status"] == "failed").any(), res.sections[res.sections["status"] == "failed"]


def test_headings_name_the_methods(en):
    _, out, _ = en
    text = re.sub(r"<[^>]+>", " ", _html(out))
    for needle in ["Data quality", "Simple-method scores", "C = b/a", "Net Promoter Score"]:
        assert needle in text, needle
    for needle in ["IPA", "Shapley", "R²", "index", "Priority matrix", "Reliability", "What to improve first",
                   "Appendix B: methods and formulas", "HTMT", "VIF", "f²", "Direct, indirect and total effects"]:
        assert needle in text, needle


def test_figures_are_embedded_svgs_shown_at_their_natural_size(en):
    res, out, _ = en
    page = _html(out)
    imgs = re.findall(r'<img src="(data:image/svg\+xml;base64,[^"]+)" alt="[^"]*" width="(\d+)" height="(\d+)"',
                      page)
    assert len(imgs) == res.n_figures == len(re.findall(r"<img ", page))
    assert len(imgs) >= 6
    for uri, width, height in imgs:
        w, h = _svg_size(base64.b64decode(uri.split(",", 1)[1]))
        assert w > 100 and h > 100
        assert (int(width), int(height)) == (round(w), round(h))


def test_no_external_references(en):
    _, out, _ = en
    page = _html(out)
    refs = re.findall(r'\b(?:src|href)\s*=\s*["\']([^"\']*)', page, flags=re.I)
    assert refs, "expected links of the table of contents"
    bad = [r for r in refs if not (r.startswith("data:") or r.startswith("#"))]
    assert bad == []
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", page, flags=re.I)
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    assert not re.search(r"url\(\s*['\"]?(?!data:)", page)
    assert "img-src data:" in page  # the CSP forbids anything else


# --------------------------------------------------------------------------- files


def test_results_json_key_numbers(en):
    res, out, _ = en
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert payload["settings"]["bootstrap"] == 100 and payload["settings"]["seed"] == 7
    key = payload["key_numbers"]
    survey = csindex.datasets.airline()
    assert key["n_respondents"] == 1000
    simple = csindex.simple_scores(survey).constructs.set_index("construct")
    assert key["overall_score"] == pytest.approx(simple.loc["overall", "score"], abs=1e-9)
    assert key["nps"] == pytest.approx(csindex.kpi.nps(survey.responses["NPS"], weights=survey.weights.to_numpy(),
                                                       scale="0-10").score, abs=1e-9)
    assert 0 < key["overall_score"] < 100 and -100 <= key["nps"] <= 100
    assert key["ratio_overall"] == pytest.approx(csindex.ratio_index(survey).overall, abs=1e-12)
    assert [s["id"] for s in payload["sections"]] == SECTION_IDS
    assert set(payload["tables"]) == set(res.tables)
    rows = payload["tables"]["construct_scores"]
    assert rows[-1]["construct"] == "overall" and rows[-1]["score"] == pytest.approx(key["overall_score"])


def test_csv_files_match_tables(en):
    res, out, _ = en
    assert {p.name for p in res.csv_files} == {f"{n}.csv" for n in res.tables}
    for name, table in res.tables.items():
        back = pd.read_csv(out / f"{name}.csv")
        frame = table.reset_index() if not isinstance(table.index, pd.RangeIndex) else table
        assert back.shape == frame.shape, name
        assert list(back.columns) == [str(c) for c in frame.columns]
    scores = pd.read_csv(out / "construct_scores.csv").set_index("construct")
    assert scores.loc["overall", "score"] == pytest.approx(res.key_numbers["overall_score"])


def test_excel_workbook_one_sheet_per_table(en):
    openpyxl = pytest.importorskip("openpyxl")
    res, out, _ = en
    assert res.excel == out / "csindex-report.xlsx"
    wb = openpyxl.load_workbook(res.excel, read_only=True)
    assert len(wb.sheetnames) == len(res.tables)
    assert "construct_scores" in wb.sheetnames and "validation_items" in wb.sheetnames
    back = pd.read_excel(res.excel, sheet_name="construct_scores")
    assert back["construct"].iloc[-1] == "overall"
    assert back["score"].iloc[-1] == pytest.approx(res.key_numbers["overall_score"])


def test_excel_false_and_missing_openpyxl(tmp_path, monkeypatch):
    df = pd.DataFrame({"SAT1": [1, 3, 5, 5], "SAT2": [2, 4, 4, 5]})
    res = csindex.report(df, scale=(1, 5), out=tmp_path / "a", excel=False, progress=False)
    assert res.excel is None and not (tmp_path / "a" / "csindex-report.xlsx").exists()
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import fails as if not installed
    with pytest.raises(csindex.exceptions.MissingDependencyError, match=r'csindex\[io\]'):
        csindex.report(df, scale=(1, 5), out=tmp_path / "b", excel=True, progress=False)
    res = csindex.report(df, scale=(1, 5), out=tmp_path / "c", progress=False)  # None: skipped quietly
    assert res.excel is None and (tmp_path / "c" / "index.html").exists()


# --------------------------------------------------------------------------- language


def test_chinese_report(zh):
    res, out = zh
    page = _html(out)
    assert '<html lang="zh-CN">' in page
    text = re.sub(r"<[^>]+>", " ", page)
    for needle in ["顾客满意度分析报告", "数据质量", "简单方法得分", "满意度比值 C = b/a", "目录"]:
        assert needle in text, needle
    assert "乘务员礼貌" in text  # codebook label_zh of CREW1
    assert "<th>维度</th>" in page and "<th>得分</th>" in page
    assert "Data quality" not in text
    assert res.sections.set_index("id").loc["data-quality", "title"] == "数据质量"
    assert "驱动因素" in text


# --------------------------------------------------------------------------- inputs and behaviour


def test_minimal_data_skips_sections_with_reasons(tmp_path):
    df = pd.DataFrame({"SAT1": [1, 3, 5, 5, 2], "SAT2": [2, 4, 4, 5, 3]})
    before = df.copy()
    res = csindex.report(df, scale=(1, 5), out=tmp_path, excel=False, progress=False)
    pd.testing.assert_frame_equal(df, before)  # caller's frame untouched
    status = res.sections.set_index("id")
    assert status.loc["simple-scores", "status"] == "ok"
    assert status.loc["ratio", "status"] == "skipped" and "expectation" in status.loc["ratio", "note"]
    assert status.loc["model", "status"] == "skipped"
    assert not (res.sections["status"] == "failed").any()
    scores = pd.read_csv(tmp_path / "construct_scores.csv").set_index("construct")
    assert scores.loc["SAT", "score"] == pytest.approx(100 * (np.mean([1, 3, 5, 5, 2, 2, 4, 4, 5, 3]) - 1) / 4)


def test_bad_inputs_raise_csindex_errors(tmp_path):
    with pytest.raises(SurveyDataError, match="data="):
        csindex.report(123, out=tmp_path)
    with pytest.raises(SurveyDataError, match="codebook="):
        csindex.report(codebook="cb.json", out=tmp_path)
    with pytest.raises(ValueError, match="method"):
        csindex.report(method="lisrel", out=tmp_path)
    with pytest.raises(ValueError, match="lang"):
        csindex.report(lang="fr", out=tmp_path)
    with pytest.raises(ValueError, match="bootstrap"):
        csindex.report(bootstrap=-1, out=tmp_path)
    with pytest.raises(CsindexError, match="no_such_model"):
        csindex.report(model="no_such_model", out=tmp_path)
    with pytest.raises(SurveyDataError, match="does not exist"):
        csindex.report(tmp_path / "nope.csv", out=tmp_path)


def test_no_figures_left_open_and_rcparams_unchanged(tmp_path):
    import matplotlib
    import matplotlib.pyplot as plt

    before = (plt.get_fignums(), dict(matplotlib.rcParams))
    df = pd.DataFrame({"SAT1": [1, 3, 5, 5, 2], "SAT2": [2, 4, 4, 5, 3]})
    csindex.report(df, scale=(1, 5), out=tmp_path, excel=False, progress=False, lang="zh")
    assert plt.get_fignums() == before[0]
    assert dict(matplotlib.rcParams) == before[1]


def test_result_object(en):
    res, out, elapsed = en
    assert res.index_html == out / "index.html" and res.results_json == out / "results.json"
    text = repr(res)
    assert "csindex report" in text and "index.html" in text
    with pytest.raises(Exception):
        res.n_figures = 0  # frozen
    assert elapsed < 60


def test_report_name_is_the_function():
    code = ("import inspect, csindex; f = csindex.report; print(inspect.isfunction(f), f.__name__); "
            "from csindex.report import ReportResult; import csindex as c; print(callable(c.report))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == ["True", "report", "True"]


# --------------------------------------------------------------------------- CLI


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "csindex", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180)


def test_cli_quiet_in_empty_folder(tmp_path):
    start = time.perf_counter()
    proc = _run(["report", "--quiet"], cwd=tmp_path)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    page = (tmp_path / "csindex-report" / "index.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<img src="data:image/svg\+xml;base64,', page)) >= 6
    assert elapsed < 60
    payload = json.loads((tmp_path / "csindex-report" / "results.json").read_text(encoding="utf-8"))
    assert payload["settings"]["bootstrap"] == 1000  # the documented default


def test_cli_options_in_process(tmp_path, capsys):
    out = tmp_path / "zh-report"
    code = cli.main(["report", "--lang", "zh", "--bootstrap", "0", "--seed", "3", "--out", str(out), "--quiet"])
    assert code == 0 and capsys.readouterr().out == ""
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert payload["settings"]["lang"] == "zh" and payload["settings"]["seed"] == 3
    assert payload["settings"]["bootstrap"] == 0


def test_cli_prints_where_the_report_is(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "s.csv"
    pd.DataFrame({"SAT1": [1, 3, 5, 5], "SAT2": [2, 4, 4, 5]}).to_csv(data, index=False)
    assert cli.main(["report", str(data), "--scale", "1", "5", "--out", "r"]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == f"Report written to {(tmp_path / 'r' / 'index.html').resolve()}"


@pytest.mark.parametrize("args, needle", [
    (["report", "missing.csv"], "does not exist"),
    (["report", "--model", "no_such_model"], "no_such_model"),
])
def test_cli_bad_input_one_error_line(tmp_path, capsys, args, needle):
    monkey_cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code = cli.main(args)
    finally:
        os.chdir(monkey_cwd)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith("csindex: error: ") and needle in err[0]


def test_cli_bad_option_usage_error(tmp_path):
    proc = _run(["report", "--method", "lisrel"], cwd=tmp_path)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    proc = _run(["report", "--bootstrap", "-5"], cwd=tmp_path)
    assert proc.returncode == 2 and "--bootstrap" in proc.stderr
    for bad in ("0", "-2", "two"):
        proc = _run(["report", "--n-jobs", bad], cwd=tmp_path)
        assert proc.returncode == 2 and "--n-jobs" in proc.stderr and "-1 (all cores)" in proc.stderr


# --------------------------------------------------------------------------- models, priorities, robustness


def test_improve_first_comes_from_improvement_priorities(en):
    res, out, _ = en
    key = res.key_numbers
    pri = res.tables["improvement_priorities"]
    assert key["improve_first"] == list(pri[pri["recommended"]]["attribute"])
    assert key["improve_first"][0] == "PRICE"  # the generator's strongest low-performing lever
    assert key["improve_first_labels"][0] == "Price/value"
    section = _html(out).split('<section id="improve">', 1)[1].split("</section>", 1)[0]
    assert "<h2>What to improve first</h2>" in section
    sentences = re.findall(r"<li>(.*?)</li>", section.split('<ol class="improve">', 1)[1].split("</ol>", 1)[0])
    assert len(sentences) == 3
    first = pri.iloc[0]
    assert sentences[0].startswith(f"Price/value: performance {first['performance']:.0f}/100, impact {first['impact']:.2f}")
    assert f"lifts the index by about {5 * first['impact']:.1f} points" in sentences[0]
    # each sentence names the gain it is ranked by (a lower-ranked attribute can lift more per point)
    for sentence, row in zip(sentences, pri[pri["recommended"]].itertuples()):
        assert f"and reaching 100 by about {row.gain:.1f} (the ranking&#x27;s expected gain;" in sentence
    assert "Not separable" in section
    for code in ("PRICE", "PUNC", "CABN", "CREW", "EXP_CREW"):  # labels, never raw codes
        assert f">{code}<" not in section
    overview = _html(out).split('<section id="overview">', 1)[1].split("</section>", 1)[0]
    assert "( →)" not in overview and "()" not in overview
    assert "What to improve first</b>: Price/value" in overview


def test_overview_leads_with_the_satisfaction_index(en):
    res, out, _ = en
    overview = _html(out).split('<section id="overview">', 1)[1].split("</section>", 1)[0]
    text = re.sub(r"<[^>]+>", "|", overview)
    first = [t.strip() for t in text.split("|") if t.strip()]
    assert first[0] == "Overview" and first[1] == "Satisfaction index"
    assert first[2] == f"{res.key_numbers['pls_satisfaction_index']:.1f}"
    head = res.key_numbers["headline_index"]
    assert head["n_used"] == res.key_numbers["pls_n_used"] and head["model"] == "CCSI" and head["method"] == "PLS"
    assert f"n = {head['n_used']:,} of 1,000 respondents used" in overview and "CCSI index model, PLS" in overview
    for measure in ("Simple score", "CSI, dual evaluation", "C = b/a", "Net Promoter Score"):
        assert measure in text
    assert "<h3>Other measures</h3>" in overview


def test_readable_tables(en):
    _, out, _ = en
    page = _html(out)
    heads = set(re.findall(r"<th>([^<]*)</th>", page))
    for raw in ("n_valid", "top2_share", "ratio_of_means_ci_lower", "weighted_count", "p_value", "t_value"):
        assert raw not in heads, raw
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert not [c for c in cells if re.search(r"\de-\d", c)]  # no 4.20e-27
    assert "&lt; 0.001" in page
    assert not re.search(r"\d\.\d{3}</td>", page.split('id="simple-scores"', 1)[1].split("</section>", 1)[0])
    index_sec = page.split('<section id="index">', 1)[1].split("</section>", 1)[0]
    assert "p-value" not in index_sec and "<th>t</th>" not in index_sec
    assert "Warning" not in page.split("<footer>")[0].replace("Warnings", "")  # no warning class names
    assert "MissingDataWarning" not in page and "loyalty_matrix()" not in page
    header = page.split("<header>", 1)[1].split("</header>", 1)[0]
    assert "Data: airline.csv" in header and "/" not in header.replace("</h1>", "").replace("</p>", "")
    assert "unmet" in page and "C is 0" in page  # every band explained
    assert "null hypothesis HTMT = 1" in page


def test_pls_numbers_match_fit_pls(en):
    res, _, _ = en
    survey = csindex.datasets.airline()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = csindex.fit_pls(survey, csindex.models.ccsi(survey), bootstrap=100, seed=7, progress=False, missing="em")
    idx = fit.index.set_index("construct")
    assert res.key_numbers["pls_satisfaction_index"] == pytest.approx(idx.loc["SAT", "index"], abs=1e-12)
    assert fit.settings["n_used"] == survey.n == 1000  # missing="em" is the report's default: every respondent
    lo, hi = res.key_numbers["pls_satisfaction_index_ci"]
    assert (lo, hi) == pytest.approx((idx.loc["SAT", "ci_lower"], idx.loc["SAT", "ci_upper"]), abs=1e-12)
    assert lo < res.key_numbers["pls_satisfaction_index"] < hi
    assert res.key_numbers["pls_r_squared"] == pytest.approx(fit.r_squared.set_index("construct")["r_squared"].to_dict(), abs=1e-12)
    paths = res.tables["pls_paths"]
    assert {"std_error", "ci_lower", "ci_upper", "p_value"} <= set(paths.columns)  # bootstrapped


def test_method_sem_only(tmp_path):
    res = csindex.report(out=tmp_path, method="sem", bootstrap=0, excel=False, progress=False)
    status = res.sections.set_index("id")
    assert status.loc["model", "status"] == "ok" and status.loc["index", "status"] == "ok"
    assert status.loc["ipma", "status"] == "skipped" and "PLS" in status.loc["ipma", "note"]
    assert "pls_paths" not in res.tables and "sem_paths" in res.tables and "sem_fit" in res.tables
    survey = csindex.datasets.airline()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sem = csindex.fit_sem(survey, csindex.models.ccsi(survey), missing="fiml")
    assert res.key_numbers["sem_fit"]["cfi"] == pytest.approx(float(sem.fit_indices["cfi"]), abs=1e-12)
    assert res.key_numbers["sem_n_used"] == survey.n == 1000  # FIML: every respondent, as the PLS side's EM
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "CFI" in page and "RMSEA" in page


def test_cli_with_codebook_and_model_file(tmp_path, capsys):
    from csindex import datasets

    data = datasets.samples_dir() / "airline.csv"
    cb = datasets.airline_codebook_path()
    syntax = tmp_path / "model.txt"
    syntax.write_text("QUAL =~ QUAL1 + QUAL2 + QUAL3\nSAT =~ SAT1 + SAT2 + SAT3\nLOY =~ LOY1 + LOY2\n"
                      "SAT ~ QUAL\nLOY ~ SAT\n", encoding="utf-8")
    out = tmp_path / "r"
    code = cli.main(["report", str(data), "--codebook", str(cb), "--model", str(syntax), "--method", "both",
                     "--bootstrap", "50", "--out", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().err
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert payload["settings"]["model"] == "model.txt" and payload["settings"]["method"] == "both"
    assert set(payload["key_numbers"]["pls_r_squared"]) == {"SAT", "LOY"}
    assert set(payload["key_numbers"]["sem_r_squared"]) == {"SAT", "LOY"}
    assert payload["key_numbers"]["pls_ipma_target"] == "SAT"
    out2 = tmp_path / "r2"
    assert cli.main(["report", str(data), "--codebook", str(cb), "--model", "ecsi", "--bootstrap", "0",
                     "--out", str(out2), "--quiet"]) == 0
    payload = json.loads((out2 / "results.json").read_text(encoding="utf-8"))
    assert payload["settings"]["model"] == "ECSI"
    assert ["IMAG", "LOY"] in [[r["source"], r["target"]] for r in payload["tables"]["pls_paths"]]


def test_progress_bar_only_when_asked(tmp_path, capsys):
    df = pd.DataFrame({"SAT1": [1, 3, 5, 5, 2], "SAT2": [2, 4, 4, 5, 3]})
    csindex.report(df, scale=(1, 5), out=tmp_path / "a", excel=False, progress=True)
    err = capsys.readouterr().err
    assert "csindex report" in err and "step" in err
    csindex.report(df, scale=(1, 5), out=tmp_path / "b", excel=False, progress=False)
    assert capsys.readouterr().err == ""


def test_failing_section_is_reported_not_fatal(tmp_path, capsys, monkeypatch):
    import importlib

    def broken(ctx, sec):
        raise csindex.exceptions.EstimationError("The engine gave up on purpose.")

    # report() looks its builders up in the module csindex.report
    monkeypatch.setattr(importlib.import_module("csindex.report"), "build_quality", broken)
    df = pd.DataFrame({"SAT1": [1, 3, 5, 5, 2], "SAT2": [2, 4, 4, 5, 3]})
    data = tmp_path / "s.csv"
    df.to_csv(data, index=False)
    assert cli.main(["report", str(data), "--scale", "1", "5", "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert "could not be computed: The engine gave up on purpose." in err
    payload = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    failed = [s for s in payload["sections"] if s["status"] == "failed"]
    assert [s["id"] for s in failed] == ["data-quality"]
    assert "gave up on purpose" in (tmp_path / "r" / "index.html").read_text(encoding="utf-8")


def test_chinese_figure_texts_passed_as_data():
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    from csindex.report._i18n import Labels

    t = pd.DataFrame({"name": ["a", "b", "c"], "importance": [0.1, 0.3, 0.2], "performance": [50, 60, 70]})
    d = csindex.plots.priority_matrix(t, texts=Labels("zh").plot_texts())
    texts = {x.get_text().split("\n")[0] for x in d.figure_.findobj(Text)}
    plt.close(d.figure_)
    assert {"重点改进区", "优势保持区", "次要改进区", "过度投入区", "重要性", "表现"} <= texts
    assert not texts & {"Concentrate here", "Importance"}


def test_on_invalid_nan_reports_the_bad_cells(tmp_path, capsys):
    data = tmp_path / "bad.csv"
    pd.DataFrame({"SAT1": [1, 3, 5, 7, 2], "SAT2": [2, 4, 4, 5, 3]}).to_csv(data, index=False)
    assert cli.main(["report", str(data), "--scale", "1", "5", "--out", str(tmp_path / "a"), "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'SAT1'" in err[0] and "outside the scale" in err[0]
    assert cli.main(["report", str(data), "--scale", "1", "5", "--on-invalid", "nan", "--out", str(tmp_path / "b"),
                     "--quiet"]) == 0
    items = pd.read_csv(tmp_path / "b" / "validation_items.csv").set_index("item")
    assert items.loc["SAT1", "n_out_of_range"] == 1 and items.loc["SAT1", "n_valid"] == 4
    scores = pd.read_csv(tmp_path / "b" / "item_scores.csv").set_index("item")
    assert scores.loc["SAT1", "mean"] == pytest.approx(np.mean([1, 3, 5, 2]))


def test_scores_by_segment(tmp_path, capsys):
    assert cli.main(["report", "--by", "route", "--bootstrap", "0", "--out", str(tmp_path), "--quiet"]) == 0
    payload = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    ids = [s["id"] for s in payload["sections"]]
    assert ids[ids.index("simple-scores") + 1] == "segments"
    assert payload["settings"]["by"] == "route"
    from csindex.segments import split_segments

    parts = split_segments(csindex.datasets.airline(), "route")
    scores = payload["key_numbers"]["segment_overall_scores"]
    assert set(scores) == {str(k) for k in parts}
    for route, part in parts.items():  # each group's score is the simple method on that group alone
        alone = csindex.simple_scores(part).constructs.set_index("construct")
        assert scores[str(route)] == pytest.approx(alone.loc["overall", "score"], abs=1e-9)
    table = pd.read_csv(tmp_path / "segment_scores.csv")
    assert set(table["segment"]) == {"domestic", "international", "regional"}
    with pytest.raises(SurveyDataError, match="rout"):
        csindex.report(by="rout", out=tmp_path / "x", progress=False)


# --------------------------------------------------------------------------- waves, missing, fonts


def test_report_with_previous_wave_via_cli(tmp_path, capsys):
    samples = csindex.datasets.samples_dir()
    out = tmp_path / "w"
    assert cli.main(["report", str(samples / "airline_wave2.csv"), "--previous", str(samples / "airline.csv"),
                     "--codebook", str(csindex.datasets.airline_codebook_path()), "--bootstrap", "100",
                     "--out", str(out), "--quiet"]) == 0
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    ids = [s["id"] for s in payload["sections"]]
    assert ids[:3] == ["overview", "improve", "trend"]
    change = payload["key_numbers"]["wave_change"]
    assert change["construct"] == "SAT"
    assert change["ci"][0] < change["change"] < change["ci"][1] and 0 <= change["p_value"] <= 1
    assert change["index"] == pytest.approx(payload["key_numbers"]["pls_satisfaction_index"], abs=1e-9)
    attrs = pd.read_csv(out / "wave_attribute_changes.csv").set_index("construct")
    # the generator shifts punctuality up (+0.6 on 1-10) and catering down (-0.4) in wave 2
    assert attrs.loc["PUNC", "difference"] > 3 and attrs.loc["PUNC", "p_value"] < 0.01
    assert attrs.loc["CATR", "difference"] < -2 and attrs.loc["CATR", "p_value"] < 0.05
    page = (out / "index.html").read_text(encoding="utf-8")
    trend = page.split('<section id="trend">', 1)[1].split("</section>", 1)[0]
    assert "Change of the satisfaction index" in trend and "<img" in trend and "Punctuality" in trend
    assert "Change since the previous wave</b>: the satisfaction index changed by" in page


def test_report_wave_column(tmp_path):
    samples = csindex.datasets.samples_dir()
    w1 = pd.read_csv(samples / "airline.csv").copy().assign(wave=2024)
    w2 = pd.read_csv(samples / "airline_wave2.csv").copy().assign(wave=2025)
    both = pd.concat([w1, w2], ignore_index=True)
    survey = csindex.load_survey(both, csindex.datasets.airline_codebook_path())
    res = csindex.report(survey, wave="wave", out=tmp_path, bootstrap=50, excel=False, progress=False)
    assert res.key_numbers["n_respondents"] == 300
    assert res.settings["previous_wave"] == "2024"
    assert res.sections.set_index("id").loc["trend", "status"] == "ok"
    with pytest.raises(SurveyDataError, match="wave"):
        csindex.report(survey, wave="wav", out=tmp_path / "x", progress=False)


def test_cli_missing_option(tmp_path, capsys):
    assert cli.main(["report", "--missing", "mean", "--bootstrap", "0", "--out", str(tmp_path / "m"), "--quiet"]) == 0
    payload = json.loads((tmp_path / "m" / "results.json").read_text(encoding="utf-8"))
    assert payload["settings"]["missing"] == "mean"
    assert payload["key_numbers"]["pls_n_used"] == 1000  # mean replacement keeps every respondent
    page = (tmp_path / "m" / "index.html").read_text(encoding="utf-8")
    assert "<b>Missing answers</b>: replaced by the item mean" in page  # the fact names it once
    from csindex.report import missing_options

    code = cli.main(["report", "--missing", "em", "--bootstrap", "0", "--out", str(tmp_path / "e"), "--quiet"])
    if "em" in missing_options():
        assert code == 0
    else:
        assert code == 2 and "--missing em is not available" in capsys.readouterr().err


def test_chinese_report_without_cjk_font_warns_once_on_the_console(tmp_path, capsys, monkeypatch):
    from csindex.plots import _base

    monkeypatch.setattr(_base, "find_cjk_font", lambda: None)
    assert cli.main(["report", "--lang", "zh", "--bootstrap", "0", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "fonts-noto-cjk" in line]
    assert len(lines) == 1 and lines[0].startswith("csindex: warning:")
    assert "Glyph" not in err
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", page.split("<main>", 1)[1])
    assert "Glyph" not in text and "fonts-noto-cjk" not in text and "CJK" not in text


def test_chinese_report_has_no_untranslated_english_label(zh):
    res, out = zh
    page = _html(out)
    body = page.split("<main>", 1)[1].split("</main>", 1)[0]
    body = re.sub(r'<img [^>]*>', " ", body)
    text = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    from csindex.report._i18n import messages

    en = messages("en")
    zh_msg = messages("zh")
    # every headline, caption, header and category label the English report uses must not appear in the
    # Chinese page, except texts identical in both languages (formulas, abbreviations)
    leaked = [v for k, v in en.items() if "{" not in v and len(v) > 3 and v != zh_msg[k]
              and re.search(r"[A-Za-z]{4,}", v) and re.search(rf"(?<![A-Za-z]){re.escape(v)}(?![A-Za-z])", text)]
    assert leaked == []
    heads = re.findall(r"<th>([^<]*)</th>", body)
    assert not [h for h in heads if re.fullmatch(r"[a-z_]+", h)]  # no raw column names


def test_previous_and_wave_together_is_a_parameter_error(tmp_path):
    with pytest.raises(csindex.exceptions.ParameterError, match="not both"):
        csindex.report(previous=csindex.datasets.airline_wave2(), wave="route", out=tmp_path, progress=False)
