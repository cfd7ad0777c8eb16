"""Translations are data: locale files keyed by message id, charts given their words."""

from __future__ import annotations

import json
import re
import string
from importlib import resources
from pathlib import Path

import pytest

import csindex
from csindex.plots import TEXTS
from csindex.report._i18n import LANGS, Labels, messages


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_message_id_has_both_languages():
    en, zh = messages("en"), messages("zh")
    assert set(en) == set(zh)
    assert not [k for k, v in {**en, **zh}.items() if not v.strip()]


def test_placeholders_agree_between_languages():
    en, zh = messages("en"), messages("zh")
    bad = [k for k in en if _fields(en[k]) != _fields(zh[k])]
    assert bad == []


def test_chinese_messages_are_chinese():
    en, zh = messages("en"), messages("zh")
    same = [k for k in en if en[k] == zh[k] and re.search(r"[A-Za-z]{4,}", en[k])]
    # identical texts are only formulas, abbreviations and symbols
    assert not [k for k in same if not re.fullmatch(r"[A-Za-z²ρλ=+\-−·/()%. {}:,0-9_]+", en[k]) or len(en[k]) > 20], same


def test_every_plot_text_id_is_in_the_locales():
    for lang in LANGS:
        texts = Labels(lang).plot_texts()
        assert set(texts) == set(TEXTS)


def test_locale_files_are_package_data():
    for lang in LANGS:
        path = resources.files("csindex.report").joinpath("locales", f"{lang}.json")
        assert json.loads(path.read_text(encoding="utf-8"))
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    assert "report/locales/*.json" in pyproject.read_text(encoding="utf-8")


def test_plots_draw_the_words_they_are_given():
    import matplotlib
    import matplotlib.pyplot as plt
    import pandas as pd
    from matplotlib.text import Text

    matplotlib.use("Agg")
    zh = Labels("zh").plot_texts()
    t = pd.DataFrame({"wave": ["a", "b"], "construct": ["SAT", "SAT"], "index": [70.0, 72.0]})
    d = csindex.plots.trend_chart(t, texts=zh)
    drawn = {x.get_text() for x in d.figure_.findobj(Text)}
    plt.close(d.figure_)
    assert {"调查期", "指数（0–100）"} <= drawn and "Wave" not in drawn
    d = csindex.plots.index_chart(pd.DataFrame({"construct": ["A", "B"], "index": [60.0, 70.0]}), texts=zh)
    assert d.ax_.get_ylabel() == "指数（0–100）"
    plt.close(d.figure_)


@pytest.mark.parametrize("lang", LANGS)
def test_construct_names_come_from_locale_or_codebook(lang):
    s = csindex.datasets.airline()
    L = Labels(lang, s.codebook.items)
    assert L.construct("PUNC") == {"en": "Punctuality", "zh": "准点"}[lang]
    assert L.construct("EXP_CREW") == {"en": "Expectation: Crew", "zh": "预期：乘务服务"}[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_ecsi_codes_get_the_names_of_the_template_constructs_they_are_taken_as(lang):
    # mobi.csv comes without a codebook: its ECSI codes must read as words, and as the same words
    # as the template construct each is mapped to (CUEX = EXPE, PERQ = QUAL, ...), so the tables of
    # the data and of the index model name a construct alike
    L = Labels(lang)
    pairs = {"IMAG": "IMAG", "CUEX": "EXPE", "PERQ": "QUAL", "PERV": "VAL", "CUSA": "SAT", "CUSCO": "COMP",
             "CUSL": "LOY"}
    for code, template in pairs.items():
        assert L.construct(code) == L.construct(template) != code
    assert L.construct("PERQ") == {"en": "Perceived quality", "zh": "感知质量"}[lang]
    # a lower-case 'comp' of the data is no complaints construct (corp_rep_data: competence)
    assert L.construct("comp") == "comp"
    assert L.construct("cusa") == L.construct("SAT")


def test_names_in_a_sentence_read_as_a_list():
    assert Labels("en").join(["Value", "Image", "Quality"]) == "Value, Image and Quality"
    assert Labels("en").join(["Value"]) == "Value"
    assert Labels("zh").join(["感知价值", "企业形象"]) == "感知价值和企业形象"



@pytest.mark.parametrize("name", ["reference/mobi.csv", "reference/corp_rep_data.csv", "data/qualtrics_export.csv",
                                  "data/qualtrics_legacy_export.csv", "data/surveymonkey_export.csv"])
def test_data_quality_notes_of_the_loader_are_translated_for_the_chinese_page(name):
    import warnings

    from csindex.report._notes import notes_shown

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        survey = csindex.load_survey(Path(__file__).resolve().parents[1] / name)
    notes = list(survey.validation.summary().notes)
    shown, kept = notes_shown(notes, Labels("zh"))
    assert kept == [] and len(shown) == len(notes) > 0
    english = re.compile(r"\b(inferred|scale|Construct|Column|export|codes|observed|encoding|and \d+ more)\b")
    assert [s for s in shown if english.search(s)] == []
    assert all(re.search(r"[\u4e00-\u9fff]", s) for s in shown)
    assert notes_shown(notes, Labels("en")) == (notes, [])  # the English page keeps the loader's own words


def test_an_untranslated_note_is_counted_on_the_chinese_page():
    from csindex.report._notes import notes_shown

    shown, kept = notes_shown(["Something new the loader says."], Labels("zh"))
    assert shown == [] and kept == ["Something new the loader says."]


def test_tables_never_show_a_negative_zero():
    # corp_rep_data: perf_global's expected gain of -0.004 showed as "-0.0"
    import pandas as pd

    from csindex.report._format import display, num_text

    assert num_text(-0.004, 1) == "0.0" and num_text(-0.06, 1) == "-0.1" and num_text(-0.0004) == "0.000"
    shown = display(pd.DataFrame({"gain": [-0.004, 2.5], "gain_ci_lower": [-0.04, 1.0], "gain_ci_upper": [0.3, 4.0],
                                  "top2_share": [-0.0001, 0.5]}))
    assert list(shown["gain"]) == ["0.0", "2.5"] and shown["gain_interval"][0] == "[0.0, 0.3]"
    assert list(shown["top2_share"]) == ["0.0%", "50.0%"]


def test_a_question_text_as_a_name_ends_its_sentence_itself():
    # a platform export's target is its question ("... with the airline?"): no "?." in the page
    en, zh = Labels("en"), Labels("zh")
    target = "Overall, how satisfied are you with the airline?"
    text = en("im_intro", target=target, n=8, total=8, r2=0.5, k=3)
    assert "airline?." not in text and "R² = 0.50 of Overall, how satisfied are you with the airline? Intervals" in text
    assert zh("m_intro", model="您满意吗？", paths="A → B") == "模型：您满意吗？路径：A → B。"
    assert en("im_intro", target="Satisfaction", n=8, total=8, r2=0.5, k=3).count("of Satisfaction. Intervals") == 1
