"""The data-quality notes of the loader (English sentences) in the report's language.

The codebook inference, the file readers and the survey validation describe what they did in
English sentences (``survey.validation.summary().notes``). A Chinese page shows the common ones
translated (the locale ids ``dq.*``: the same facts, the names kept); a note without a
translation is counted on the page and kept in English in results.json.
"""

from __future__ import annotations

import re
from typing import Any

_Q = r"'([^']*)'"
_LIST = r"\(((?:'[^']*'(?:, | and |, and )?)+(?:\d+ more)?)\)"

#: (locale id, pattern of the English note); a pattern's groups are passed to the text by position
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((key, re.compile(pattern)) for key, pattern in (
    ("dq.inferred", r"No codebook given: (\d+) items? in (\d+) constructs? inferred from column-name prefixes "
                    + _LIST + r"\.$"),
    ("dq.scale_codes", r"Construct " + _Q + r" " + _LIST + r": scale (\S+)-(\S+) inferred from the data "
                       r"\(observed (\S+)-(\S+)\); (.+) stands? apart from it and (?:were|was) taken as (?:a )?likely "
                       r"'cannot answer' codes? \(.*\)\.?$"),
    ("dq.scale", r"Construct " + _Q + r" " + _LIST + r": scale (\S+)-(\S+) inferred from the data "
                 r"\(observed (\S+)-(\S+)\)\.$"),
    ("dq.no_answers", r"Construct " + _Q + r" " + _LIST + r" has no answers; its scale is unknown\.$"),
    ("dq.id", r"Column " + _Q + r" was taken as the respondent id\.$"),
    ("dq.weight", r"Column " + _Q + r" was taken as the sampling weight\.$"),
    ("dq.not_rating", r"Numeric column " + _Q + r" does not look like a rating item .*kept as a profile column\.$"),
    ("dq.codes", r"Construct " + _Q + r" \((.*)\): value\(s\) (.+) \((\d+) cells?\) stand apart from the inferred "
                 r"scale (\S+)-(\S+) and were treated as likely missing codes.*$"),
    ("dq.platform", r"(.+?) export recognised \((\d+) header rows\): question "
                    r"texts used as item labels; (\d+) platform metadata columns kept as profile columns\.$"),
    ("dq.profile_names", r"('.*) kept as profile columns? by (?:their names|its name) \(demographics, groups\), "
                         r"though coded like ratings; give a codebook to rate them\.$"),
    ("dq.dummy", r"('.*) holds? only the codes (.+): read as group or yes/no codes and kept as profile "
                 r"columns?, not rated; give a codebook to rate (?:them|it)\.$"),
    ("dq.encoding", r"File read with encoding " + _Q + r"\.$"),
    ("dq.role_sat", r"('.*) read as overall satisfaction from (?:its|their) question text \('(.*)'\); "
                    r"give a codebook to set another role\.$"),
    ("dq.role_nps", r"('.*) read as loyalty \(likelihood to recommend; the NPS item\) from its question text "
                    r"\('(.*)'\); give a codebook to set another role\.$"),
    ("dq.role_loyalty", r"('.*) read as loyalty \([^;]*\) from (?:its|their) question text \('(.*)'\); "
                        r"give a codebook to set another role\.$"),
    ("dq.out_of_range", r"Item " + _Q + r" has (\d+) values? outside the scale (\S+)-(\S+)\.$"),
    ("dq.non_numeric", r"Item " + _Q + r" has (\d+) non-numeric values?\.$"),
))


def _names(text: str, L: Any) -> str:
    """A quoted English list ("'A', 'B' and 2 more") as a list of the report's language."""
    names = re.findall(_Q, text)
    more = re.search(r"(\d+) more", text)
    joined = L("list_sep").join(names)
    return L("dq.more", names=joined, n=int(more.group(1))) if more else joined


def translate(note: str, L: Any) -> str | None:
    """``note`` in the report's language (None when it has no translation)."""
    for key, pattern in _PATTERNS:
        match = pattern.match(" ".join(note.split()))
        if match is not None:
            args = [_names(g, L) if g is not None and g.startswith("'") else g for g in match.groups()]
            return L(key).format(*args)
    return None


def notes_shown(notes: list[str], L: Any) -> tuple[list[str], list[str]]:
    """(notes to show on the page, notes kept for results.json only): every note in English; the
    translated ones in another language, the rest counted."""
    if L.lang == "en":
        return list(notes), []
    shown, kept = [], []
    for note in notes:
        text = translate(note, L)
        (shown if text is not None else kept).append(text if text is not None else note)
    return shown, kept


__all__ = ["translate", "notes_shown"]
