"""No chart the report draws has overlapping text (rendered bounding boxes of every text)."""

from __future__ import annotations

import pytest

import csindex
from csindex.plots._base import overlapping_texts
from csindex.report import _sections


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_overlapping_text_in_any_report_chart(tmp_path, monkeypatch, lang):
    seen: list[tuple[str, str, list[tuple[str, str]]]] = []
    phones: list[tuple[str, str, list[tuple[str, str]]]] = []
    original = _sections.Context.figure

    def checked(self, sec, shown, caption, narrow=None):
        fig = getattr(shown, "figure_", None) or shown
        seen.append((sec.id, caption, overlapping_texts(fig)))
        if narrow is not None:  # the phone-width drawing of the same chart
            phones.append((sec.id, caption, overlapping_texts(getattr(narrow, "figure_", None) or narrow)))
        return original(self, sec, shown, caption, narrow=narrow)

    monkeypatch.setattr(_sections.Context, "figure", checked)
    samples = csindex.datasets.samples_dir()
    # wave 2 with wave 1 as the previous wave and a segment split: every chart type the report draws
    res = csindex.report(samples / "airline_wave2.csv", codebook=csindex.datasets.airline_codebook_path(),
                         previous=samples / "airline.csv", by="route", lang=lang, bootstrap=50, seed=3,
                         out=tmp_path, excel=False, progress=False)
    assert len(seen) == res.n_figures >= 12
    assert {sid for sid, _, _ in seen} >= {"improve", "trend", "simple-scores", "segments", "kpi", "ratio", "dual-ipa",
                                          "drivers", "model", "index", "ipma"}
    overlaps = [(sid, cap, pairs) for sid, cap, pairs in seen + phones if pairs]
    assert overlaps == []
    assert [sid for sid, _, _ in phones] == ["model"]  # the path diagram's phone drawing, checked too


def test_detector_finds_the_old_index_chart_overlap():
    """The detector is not vacuous: long names on a narrow chart overlap when not wrapped/rotated."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(range(3), [60, 70, 65])
    ax.set_xticks(range(3), ["Expectation", "Perceived quality", "Value for money"])
    assert overlapping_texts(fig)
    plt.close(fig)
