"""The report on surveys other than the bundled airline sample: what a reader sees on the page.

mobi.csv (ECSI codes, no codebook), satisfaction.csv (lower-case ECSI names), corp_rep_data.csv
(no index model) and the platform exports: words where a reader expects words, one name per
construct, sections skipped with a reason and a fix the reader can act on.
"""

from __future__ import annotations

import html
import json
import re
import warnings
from pathlib import Path

import pytest

import csindex
from conftest import reference_path

DATA = Path(__file__).resolve().parents[1] / "data"


def _run(tmp_path_factory, name: str, data: Path, bootstrap: int = 0, **kw) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csindex.report(data, out=out, bootstrap=bootstrap, seed=1, progress=False, **kw)
    page = (out / "index.html").read_text(encoding="utf-8")
    return page, json.loads((out / "results.json").read_text(encoding="utf-8"))


def _text(page: str) -> str:
    """The words of the page (no figures, styles or tags)."""
    page = re.sub(r"<(svg|style|script)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


@pytest.fixture(scope="module")
def mobi_ecsi(tmp_path_factory):
    return _run(tmp_path_factory, "mobi-ecsi", reference_path("mobi.csv"), bootstrap=40, model="ecsi")


def test_engine_notes_name_constructs_as_the_tables_do(mobi_ecsi):
    # the HTMT note came from the engine with the template's codes ('QUAL'/'IMAG'), which are
    # neither the data's names (PERQ, IMAG) nor the table's words (Perceived quality, Image)
    page, res = mobi_ecsi
    notes = [n for sec in res["key_numbers"]["notes"].values() for n in sec]
    htmt = next(n for n in notes if n.startswith("HTMT above"))
    assert "Perceived quality/Image" in htmt and "'QUAL'" not in htmt
    assert "'QUAL'" not in _text(page) and "Perceived quality/Image" in _text(page)


def test_the_not_separable_note_joins_the_names_as_a_sentence(mobi_ecsi):
    page, _ = mobi_ecsi
    note = next(line for line in _text(page).splitlines() if line.startswith("Not separable"))
    assert re.match(r"Not separable: the expected gains of [A-Z][\w ]+ and [A-Z][\w ]+ overlap with those of", note), note


@pytest.fixture(scope="module")
def sat_plain(tmp_path_factory):
    return _run(tmp_path_factory, "sat-plain", reference_path("satisfaction.csv"))


def _fact(page: str, name: str) -> str:
    match = re.search(r"<li><b>" + re.escape(name) + r"</b>: ?(.*?)</li>", page)
    assert match is not None, name
    return html.unescape(match.group(1))


def test_settings_say_none_and_name_the_options_in_words(sat_plain):
    page, res = sat_plain
    assert _fact(page, "Segments by") == "none"
    assert _fact(page, "Previous wave") == "none"
    assert _fact(page, "Model") == "none"
    assert _fact(page, "Method") == "PLS path modeling"
    assert _fact(page, "Missing answers in PLS") == "EM estimation"
    assert _fact(page, "Language") == "English"
    assert res["settings"]["method"] == "pls" and res["settings"]["by"] is None  # the files keep the codes


@pytest.fixture(scope="module")
def qualtrics(tmp_path_factory):
    return _run(tmp_path_factory, "qualtrics", DATA / "qualtrics_export.csv")


def _rows(page: str, caption: str) -> list[list[str]]:
    """Cells of the table shown under the heading ``caption``."""
    part = page.rsplit(f">{caption}<", 1)[1].split("</table>", 1)[0]  # the table caption, not a heading
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", part, flags=re.S) if "<td" in row]


def test_platform_question_texts_name_constructs_without_a_dangling_dash(qualtrics):
    page, _ = qualtrics
    names = [row[0] for row in _rows(page, "Construct scores")]
    assert "How satisfied are you with each of the following aspects of your flight?" in names
    assert not [n for n in names if n.rstrip().endswith(("-", "–", ":"))]


def test_item_table_shows_the_sub_item_not_the_question_again(qualtrics):
    page, _ = qualtrics
    rows = _rows(page, "Item scores")
    shown = {row[0]: row[1] for row in rows}
    assert shown["Cabin crew"] == "How satisfied are you with each of the following aspects of your flight?"
    assert shown["Within a year"] == "How likely are you to fly with us again?"
    # a single-item construct keeps its whole question
    assert "Overall, how satisfied are you with the airline?" in shown


def _note(page: str, section: str) -> str:
    part = page.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
    return " ".join(_text(part).split())


def test_without_a_model_the_page_says_which_template_fits_and_how_to_ask_for_it(sat_plain):
    # satisfaction.csv's constructs imag, expe, qual, val, sat, loy are the CCSI/ECSI ones by name:
    # the reader learns the option that fits them, in the CLI's words, not "pass model=(..., a ModelSpec)"
    page, _ = sat_plain
    note = _note(page, "model")
    assert "imag, expe, qual, val, sat and loy" in note and "--model ccsi" in note
    assert "ModelSpec" not in page
    # the later model sections point there instead of repeating it
    for sec in ("index", "ipma", "appendix-quality"):
        assert "Index model: fit and paths" in _note(page, sec) and "--model" not in _note(page, sec)
    assert "No index model was fitted" in _note(page, "overview")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_without_a_model_or_named_constructs_the_page_lists_the_choices(qualtrics, tmp_path, lang):
    page, _ = qualtrics if lang == "en" else _run_plain(tmp_path, DATA / "qualtrics_export.csv", lang)
    note = _note(page, "model")
    assert "--model" in note and "ccsi" in note and "lavaan" in note and "ModelSpec" not in note


def _run_plain(out: Path, data: Path, lang: str) -> tuple[str, dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csindex.report(data, out=out, bootstrap=0, seed=1, progress=False, lang=lang)
    return (out / "index.html").read_text(encoding="utf-8"), {}


@pytest.fixture(scope="module")
def mobi_zh(tmp_path_factory):
    return _run(tmp_path_factory, "mobi-zh", reference_path("mobi.csv"), model="ecsi", lang="zh")


def test_chinese_page_on_data_without_codebook_has_no_english_sentences(mobi_zh):
    page, _ = mobi_zh
    body = _text(page.split("<main>", 1)[1].split("</main>", 1)[0])
    # names (CUEX1, PLS, HTMT, results.json) may stay; English sentences may not
    sentences = re.findall(r"[A-Za-z]{3,}(?: [A-Za-z]{2,}){3,}", body)
    assert sentences == []
    assert "预期质量" in _note(page, "simple-scores") and "CUEX</td>" not in page  # ECSI codes in words


CORP_MODEL = """
COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""


def _headline(page: str) -> tuple[str, str]:
    box = page.split('<div class="headline">', 1)[1].split("</div></div>", 1)[0]
    label = html.unescape(re.search(r'<div class="k">(.*?)</div>', box).group(1))
    return label, " ".join(_text(box).split())


@pytest.mark.parametrize("model, label, construct", [
    (CORP_MODEL, "Satisfaction index", "Satisfaction"),  # CUSA is satisfaction: the headline, not CUSL
    ("COMP =~ comp_1 + comp_2 + comp_3\nCUSL =~ cusl_1 + cusl_2 + cusl_3\nCUSL ~ COMP", "Loyalty index (0–100)",
     "Loyalty"),  # no satisfaction construct: the index is named for what it is
])
def test_headline_of_a_user_model_names_the_construct_it_shows(tmp_path, model, label, construct):
    out = tmp_path / "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = csindex.report(reference_path("corp_rep_data.csv"), model=model, out=out, bootstrap=0, seed=1,
                             progress=False, excel=False)
    page = (out / "index.html").read_text(encoding="utf-8")
    shown, text = _headline(page)
    assert shown == label
    assert f"the construct “{construct}”" in text
    # the model's COMP is competence: shown as written, not as the templates' Complaints
    paths = _rows(page, "Path coefficients")
    assert paths[0][0] == "COMP" and "Complaints" not in _text(page)
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert payload["key_numbers"]["satisfaction_construct"] == ("CUSA" if "CUSA" in model else "CUSL")
    assert res.index_html == out / "index.html"


def test_model_hint_names_csi_constructs_only():
    from csindex.report._models import model_hint

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sat = csindex.load_survey(reference_path("satisfaction.csv"))
        corp = csindex.load_survey(reference_path("corp_rep_data.csv"))
    assert model_hint(sat) == ("imag", "expe", "qual", "val", "sat", "loy")
    # comp (competence), perf, cusa, cusl match aliases of the index constructs, but without
    # expectation or image this is no CSI model: no template is suggested
    assert model_hint(corp) == ()


@pytest.fixture(scope="module")
def corp_plain(tmp_path_factory):
    return _run(tmp_path_factory, "corp-plain", reference_path("corp_rep_data.csv"))


def test_many_notes_on_how_the_data_was_read_are_folded_and_problems_stay_in_view(corp_plain, qualtrics):
    page, _ = corp_plain
    part = page.split('id="data-quality"', 1)[1].split("</section>", 1)[0]
    folded = re.search(r'<details class="notes"><summary>How the data was read: (\d+) notes.*?</summary>(.*?)</details>',
                       part, flags=re.S)
    assert folded is not None and int(folded.group(1)) == folded.group(2).count('<p class="note">') > 6
    assert "No codebook given" in folded.group(2)
    outside = part.replace(folded.group(0), "")
    assert "stand apart from the inferred scale" in outside  # the likely missing codes: a problem, shown
    # the Qualtrics export's 8 notes (2 of them the roles read from question texts) fold too
    assert "<details" in qualtrics[0].split('id="data-quality"', 1)[1].split("</section>", 1)[0]



def test_corporate_reputation_data_gets_its_attributes_ranked(corp_plain):
    # the demographics are profile columns now, and the one-item target cusa is found again
    _, res = corp_plain
    status = {s["id"]: s["status"] for s in res["sections"]}
    assert status["improve"] == "ok"
    assert not {"age", "education", "servicetype"} & set(res["key_numbers"]["improve_first"])


def test_a_platform_export_s_recommend_question_gives_the_nps(tmp_path_factory):
    # SurveyMonkey names the column Q3; its text asks how likely one would recommend us, on 0-10
    page, res = _run(tmp_path_factory, "surveymonkey", DATA / "surveymonkey_export.csv")
    status = {s["id"]: s["status"] for s in res["sections"]}
    assert status["kpi"] == "ok"
    values = csindex.load_survey(DATA / "surveymonkey_export.csv").responses["Q3"].astype(float)
    expected = 100 * ((values >= 9).mean() - (values <= 6).mean())
    assert res["key_numbers"]["nps"] == pytest.approx(expected)
    assert "How likely is it that you would recommend" in _note(page, "kpi")


def test_a_one_item_construct_named_like_its_item_reads_as_its_construct(mobi_ecsi):
    # mobi's complaints are one item CUSCO in construct CUSCO: the construct tables said "CUSCO"
    # while the item table called its construct "Complaints"
    page, _ = mobi_ecsi
    constructs = [row[0] for row in _rows(page, "Construct scores")]
    assert "Complaints" in constructs and "CUSCO" not in constructs
    assert "Complaints" in [row[0] for row in _rows(page, "Driver weights")]
    items = {row[0]: row[1] for row in _rows(page, "Item scores")}
    assert items["CUSCO"] == "Complaints" and items["PERQ1"] == "Perceived quality"


def test_loyalty_section_without_an_nps_item_says_why_there_is_no_nps(mobi_ecsi):
    page, res = mobi_ecsi
    assert "nps" not in res["key_numbers"]
    assert "No Net Promoter Score: it needs a 0–10 likelihood-to-recommend question" in _note(page, "kpi")


def test_model_section_says_which_survey_construct_each_template_construct_took(mobi_ecsi, mobi_zh):
    note = _note(mobi_ecsi[0], "model")
    assert ("The ECSI template took the survey's constructs by their names: CUEX → Expectation, PERQ → Perceived "
            "quality, PERV → Value, CUSA → Satisfaction, CUSCO → Complaints and CUSL → Loyalty.") in note
    assert "IMAG → " not in note  # same name: nothing to say
    assert "CUEX → 预期质量" in _note(mobi_zh[0], "model")


def test_missing_answers_chart_shows_only_constructs_with_missing_answers(corp_plain):
    # corp_rep_data: 2 of 14 constructs have missing answers; the chart drew 12 empty rows
    import base64

    page, _ = corp_plain
    part = page.split('id="data-quality"', 1)[1].split("</section>", 1)[0]
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', part).group(1)).decode()
    assert "Loyalty" in svg and "Satisfaction" in svg
    assert "csor_global" not in svg and "switch" not in svg


def test_segments_coded_as_numbers_are_named_with_their_column(tmp_path):
    out = tmp_path / "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csindex.report(reference_path("corp_rep_data.csv"), by="servicetype", out=out, bootstrap=0, seed=1,
                       progress=False, excel=False)
    page = (out / "index.html").read_text(encoding="utf-8")
    segments = {row[0] for row in _rows(page, "Scores by segment")}
    assert segments == {"servicetype 1", "servicetype 2"}


def test_unweighted_surveys_show_no_weighted_counts(mobi_ecsi, tmp_path):
    # "Weighted respondents 95.00" beside "Respondents 95" only repeats the count
    page, res = mobi_ecsi
    assert "Weighted respondents" not in page
    assert "weighted_count" in res["tables"]["loyalty_segments"][0]  # the files keep the column


def test_sections_skipped_for_want_of_a_satisfaction_question_say_how_to_name_one(tmp_path_factory):
    # columns Q1_1 ... Q3_2 and no question worded as overall satisfaction: the reader learns which
    # column names, wordings (or codebook role) make a question the overall satisfaction
    text = (DATA / "qualtrics_export.csv").read_text(encoding="utf-8-sig")
    data = tmp_path_factory.mktemp("no-sat") / "export.csv"
    data.write_text(text.replace("Overall, how satisfied are you with the airline?", "How was the airline?"),
                    encoding="utf-8")
    page, _ = _run(tmp_path_factory, "no-sat-report", data)
    for sec in ("improve", "drivers"):
        note = _note(page, sec)
        assert "a column named like SAT1, CSAT or CUSA" in note and "at least two rated attributes" in note
        assert "a question worded like 'Overall, how satisfied are you with …'" in note


@pytest.fixture(scope="module")
def surveymonkey(tmp_path_factory):
    return _run(tmp_path_factory, "surveymonkey-roles", DATA / "surveymonkey_export.csv")


@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
    return _run(tmp_path_factory, "qualtrics-legacy", DATA / "qualtrics_legacy_export.csv")


#: the rows of the platform fixtures' aspects matrix Q1 (the question texts after the dash)
ROWS = {"Q1_1": "Cabin crew", "Q1_2": "Seat comfort", "Q1_3": "Punctuality"}


@pytest.mark.parametrize("which", ["qualtrics", "legacy", "surveymonkey"])
def test_platform_exports_take_the_rows_of_the_aspects_matrix_as_the_attributes(which, request):
    # Q2 asks "Overall, how satisfied ...": the overall satisfaction; the aspects of the flight are
    # rows of one matrix question Q1, one construct: drivers and priorities weigh its rows, each
    # named by its row text (neither Q1_1 nor the whole question), and say so
    page, res = request.getfixturevalue(which)
    status = {s["id"]: s["status"] for s in res["sections"]}
    assert status["drivers"] == status["improve"] == "ok"
    rows = set(ROWS.values())
    assert {r[0] for r in _rows(page, "Driver weights")} == rows
    assert {r[0] for r in _rows(page, "Impact and performance of the service attributes")} == rows
    assert set(res["key_numbers"]["driver_shares"]) == set(ROWS)  # the files keep the item names
    assert set(res["key_numbers"]["improve_first_labels"]) <= rows
    # three attributes: the chance of being in the top 2 (the top 3 of 3 is certain and says nothing)
    p_top = [r["p_top_k"] for r in res["tables"]["improvement_priorities"]]
    assert len(p_top) == 3 and sum(p_top) == pytest.approx(2.0) and min(p_top) < 1.0
    assert "in the top 2 in " in page and "in the top 3 in " not in page
    for sec in ("improve", "drivers"):
        note = _note(page, sec)
        assert ("The rows of the matrix question How satisfied are you with each of the following aspects of your "
                "flight? (Cabin crew, Seat comfort and Punctuality) are taken as the attributes, each on its own; "
                "to group them otherwise, give a codebook that names each row's construct.") in note
        assert "Q1_1" not in note and "give a codebook with each aspect" not in note
    assert "'Q2' read as overall satisfaction from its question text" in _note(page, "data-quality")


def test_the_nps_of_a_platform_export_is_a_loyalty_item_not_a_perception_item(surveymonkey):
    # as the bundled sample's NPS column: loyalty, scored as its own construct, never an attribute
    page, res = surveymonkey
    survey = csindex.load_survey(DATA / "surveymonkey_export.csv")
    assert survey.items(role="perception") == ["Q1_1", "Q1_2", "Q1_3"]
    assert survey.codebook.items.at["Q3", "role"] == "loyalty"
    assert csindex.datasets.airline().codebook.items.at["NPS", "role"] == "loyalty"
    items = {r["item"]: r["construct"] for r in res["tables"]["item_scores"]}
    assert items["Q3"] == "Q3" and [i for i, c in items.items() if c == "Q1"] == ["Q1_1", "Q1_2", "Q1_3"]
    assert res["key_numbers"]["nps"] is not None
    assert "'Q3' read as loyalty (likelihood to recommend; the NPS item)" in _note(page, "data-quality")
    # the overview's definition of the simple score says what it averages (as on the bundled sample)
    assert "Mean of the rated items (perception, overall satisfaction and loyalty; not expectation" in page


#: the codebook splitting the aspects matrix: one construct per row
SPLIT = {"Q1_1": "CREW", "Q1_2": "SEAT", "Q1_3": "PUNC"}
PLATFORM_EXPORTS = ["qualtrics_export.csv", "qualtrics_legacy_export.csv", "surveymonkey_export.csv"]


@pytest.fixture(scope="module")
def split_and_rows(tmp_path_factory):
    """name -> (the report with a codebook splitting the matrix rows, the report without one),
    both with a bootstrap; computed on first use."""
    runs: dict[str, tuple] = {}

    def get(name: str) -> tuple:
        if name not in runs:
            # the inferred codebook with the rows as constructs of their own: roles, scales and labels kept
            table = csindex.load_survey(DATA / name).codebook.items
            items = {c: {"construct": SPLIT.get(c, c), "role": table.at[c, "role"], "label_en": table.at[c, "label_en"],
                         "scale_min": float(table.at[c, "scale_min"]), "scale_max": float(table.at[c, "scale_max"])}
                     for c in csindex.load_survey(DATA / name).codebook.rated_items()}
            runs[name] = (_run(tmp_path_factory, "split-" + name[:-4], DATA / name, bootstrap=60, codebook={"items": items}),
                          _run(tmp_path_factory, "rows-" + name[:-4], DATA / name, bootstrap=60))
        return runs[name]

    return get


@pytest.mark.parametrize("name", PLATFORM_EXPORTS)
def test_with_each_aspect_its_own_construct_the_export_gets_drivers_and_priorities(split_and_rows, name):
    # a codebook splitting the matrix rows; Q2 and the loyalty question keep the roles read from their wording
    (page, res), _ = split_and_rows(name)
    status = {s["id"]: s["status"] for s in res["sections"]}
    assert status["drivers"] == status["improve"] == "ok"
    assert set(res["key_numbers"]["driver_shares"]) == {"CREW", "SEAT", "PUNC"}
    assert sum(res["key_numbers"]["driver_shares"].values()) == pytest.approx(1.0)
    assert set(res["key_numbers"]["improve_first"]) <= {"CREW", "SEAT", "PUNC"}
    assert "rows of the matrix question" not in _note(page, "drivers")  # constructs given: no rows taken


@pytest.mark.parametrize("name", PLATFORM_EXPORTS)
def test_the_rows_as_attributes_give_the_numbers_of_a_codebook_splitting_them(split_and_rows, name):
    (_, split), (_, rows) = split_and_rows(name)
    for table, column in (("driver_weights", "driver"), ("improvement_priorities", "attribute")):
        got = {SPLIT[r.pop(column)]: r for r in rows["tables"][table]}
        want = {r.pop(column): r for r in split["tables"][table]}
        assert set(got) == set(want) == {"CREW", "SEAT", "PUNC"}
        for attr, row in want.items():
            assert set(got[attr]) == set(row)
            for key, value in row.items():
                if isinstance(value, float):
                    assert got[attr][key] == pytest.approx(value, abs=1e-10, nan_ok=True), (table, attr, key)
                else:
                    assert got[attr][key] == value, (table, attr, key)
    assert rows["key_numbers"]["driver_r_squared"] == pytest.approx(split["key_numbers"]["driver_r_squared"], abs=1e-10)


@pytest.mark.parametrize(("row", "value"), [("Q1_2", "5"), ("Q1_3", "")])
def test_a_matrix_row_answered_alike_or_not_at_all_skips_the_sections_naming_it(tmp_path_factory, row, value):
    import csv
    import io

    table = list(csv.reader(io.StringIO((DATA / "qualtrics_export.csv").read_text(encoding="utf-8-sig"))))
    j = table[0].index(row)
    for line in table[3:]:  # Qualtrics: three header rows
        line[j] = value
    data = tmp_path_factory.mktemp("flat-row") / "export.csv"
    with data.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(table)
    page, res = _run(tmp_path_factory, "flat-row-report", data, bootstrap=20)
    status = {s["id"]: s["status"] for s in res["sections"]}
    assert status["drivers"] == status["improve"] == "skipped"
    for sec in ("improve", "drivers"):
        note = _note(page, sec)
        assert ("a row that every respondent answered alike or nobody answered cannot be weighed: "
                f"{ROWS[row]}.") in note
    assert status["kpi"] == status["overview"] == status["simple-scores"] == "ok"  # the rest of the report is written
    scored = {r["item"] for r in res["tables"]["item_scores"]}
    if value == "":  # the row nobody answered is left out of the simple scores, and the page says so
        assert row not in scored and scored >= {"Q1_1", "Q1_2", "Q2"}
        assert "Not scored, as nobody answered: " in page and f"{ROWS[row]}." in page.split("Not scored, as nobody answered: ")[1][:200]
    else:
        assert row in scored and "Not scored, as nobody answered" not in page


def test_expectation_and_importance_sections_say_how_such_columns_are_named(mobi_ecsi):
    from csindex.codebook import role_from_name

    page, _ = mobi_ecsi
    assert "columns named EXP_ plus the rated item (EXP_CREW1 for CREW1)" in _note(page, "ratio")
    assert "columns named IMP_ plus the rated item (IMP_CREW1 for CREW1)" in _note(page, "dual-ipa")
    # what the notes promise is what the loader does
    assert role_from_name("EXP_CREW1") == {"construct": "EXP_CREW", "role": "expectation", "attribute": "CREW1"}
    assert role_from_name("IMP_CREW1")["role"] == "importance"


def test_roles_read_from_question_texts_are_told_in_chinese_too():
    from csindex.report._i18n import Labels
    from csindex.report._notes import translate

    notes = csindex.load_survey(DATA / "surveymonkey_export.csv").validation.notes
    zh = Labels("zh")
    read = [translate(n, zh) for n in notes if "from its question text" in n]
    assert read == ["根据题目文字（“Overall, how satisfied are you with the airline?”）将 Q2 视为总体满意度题；如需其他角色，请提供编码簿。",
                    "根据题目文字（“How likely is it that you would recommend our airline to a friend or colleague?”）将 Q3 "
                    "视为忠诚度题（推荐可能性，即 NPS 题）；如需其他角色，请提供编码簿。"]
    loyalty = next(n for n in csindex.load_survey(DATA / "qualtrics_export.csv").validation.notes if "Q3_1" in n
                   and "read as" in n)
    assert translate(loyalty, zh).endswith("将 Q3_1、Q3_2 视为忠诚度题；如需其他角色，请提供编码簿。")


def test_the_chinese_page_says_the_matrix_rows_are_the_attributes_in_chinese(tmp_path_factory):
    page, res = _run(tmp_path_factory, "qualtrics-zh", DATA / "qualtrics_export.csv", lang="zh")
    status = {s["id"]: s["status"] for s in res["sections"]}
    assert status["drivers"] == status["improve"] == "ok"
    for sec in ("improve", "drivers"):
        assert "矩阵题Q1的各行（Cabin crew、Seat comfort和Punctuality）分别作为单独的属性；如需其他分组，请提供编码簿" in _note(page, sec)
    assert {r[0] for r in _rows(page, "驱动因素权重")} == set(ROWS.values())
    assert "notes" not in res["key_numbers"] or "data-quality" not in res["key_numbers"]["notes"]