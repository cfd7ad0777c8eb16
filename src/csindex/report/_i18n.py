"""Texts of the report in English and Chinese, read from locale files keyed by message id.

``locales/en.json`` and ``locales/zh.json`` map message ids to texts:

* plain ids (``sec_overview``, ``im_sentence``, ...) -- headings, captions, sentences;
* ``col.<column>`` -- display headers of table columns (the files keep the column names);
* ``fact.<key>``, ``value.<value>``, ``band.<band>``, ``quadrant.<name>`` -- labels of
  facts and of category values shown in tables;
* ``construct.<NAME>`` -- display names of common constructs (codebook labels win);
* ``plot.<id>`` -- the words the charts draw, passed to ``csindex.plots`` functions as
  ``texts=`` (the plots never get translated after drawing).

Both files hold the same ids (a test checks it).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from ..models import AMBIGUOUS_CODES

LANGS = ("en", "zh")


@lru_cache(maxsize=None)
def messages(lang: str) -> dict[str, str]:
    """Message id -> text of one language (read once from the package's locale file)."""
    text = resources.files("csindex.report").joinpath("locales", f"{lang}.json").read_text(encoding="utf-8")
    return json.loads(text)


def _common_prefix_label(labels: list[str]) -> str:
    """The words every label starts with ("Crew courtesy", "Crew appearance" -> "Crew")."""
    words = [lab.split() for lab in labels if lab]
    if not words:
        return ""
    prefix = []
    for group in zip(*words):
        if len(set(w.lower() for w in group)) != 1:
            break
        prefix.append(group[0])
    return " ".join(prefix).rstrip(" :,;-–—：")


#: a question's text and its sub-item joined by a dash or colon ("...your flight? - Cabin crew")
_SUB_ITEM = re.compile(r"\s*[-–—:：]\s*(\S.*)$", re.S)


def without_prefix(label: str, prefix: str) -> str:
    """``label`` without the question text ``prefix`` that its construct's name repeats, when a dash
    or colon separates them ("How satisfied ...? - Cabin crew" -> "Cabin crew"); else ``label``.

    >>> without_prefix("How satisfied are you? - Cabin crew", "How satisfied are you?")
    'Cabin crew'
    >>> without_prefix("Crew courtesy", "Crew")
    'Crew courtesy'
    """
    if not prefix or not label.startswith(prefix):
        return label
    rest = _SUB_ITEM.match(label[len(prefix):])
    return rest.group(1).strip() if rest else label


#: where a matrix question's text ends and a row's begins: "...? - Row", "...?-Row", "... - Row", "...: Row"
_ROW_START = re.compile(r"\?\s*[-–—:：]\s*|\s+[-–—]\s+|[:：]\s*")


def _row_start(labels: list[str]) -> int:
    """Where the rows of one matrix question begin in its items' labels (after the question text
    they all share and the dash or colon that ends it); 0 when they share no such question."""
    ends = [m.end() for m in _ROW_START.finditer(os.path.commonprefix(labels))] if len(labels) > 1 else []
    if not ends or not all(lab[ends[-1]:].strip() for lab in labels):
        return 0
    return ends[-1]


def row_texts(labels: list[str]) -> list[str]:
    """The rows of one matrix question from its items' labels: each label without the question
    text they all share, up to the dash or colon that ends it; the labels as given when they
    share no such question.

    >>> row_texts(["How was it?-Cabin crew", "How was it?-Seat comfort"])
    ['Cabin crew', 'Seat comfort']
    >>> row_texts(["Your in-flight Wi-Fi - Wi-Fi speed", "Your in-flight Wi-Fi - Wi-Fi price"])
    ['Wi-Fi speed', 'Wi-Fi price']
    >>> row_texts(["Crew courtesy", "Crew appearance"])
    ['Crew courtesy', 'Crew appearance']
    """
    start = _row_start(labels)
    return [lab[start:].strip() for lab in labels] if start else list(labels)


def question_text(labels: list[str]) -> str:
    """The question text the labels of one matrix question's rows share ("How was it?" for
    "How was it?-Cabin crew" and "How was it?-Seat comfort"); "" when they share none."""
    start = _row_start(labels)
    return labels[0][:start].rstrip(" -–—:：") if start else ""


#: template codes named only when written exactly so (:data:`csindex.models.AMBIGUOUS_CODES`)
_EXACT_ONLY = frozenset(code.upper() for code in AMBIGUOUS_CODES)


def ambiguous(names: Any) -> set[str]:
    """The construct codes among ``names`` that only a template names for sure (COMP)."""
    return {str(n) for n in names if str(n).upper() in _EXACT_ONLY}


#: a full stop right after a question or exclamation mark (a question text as a name, then ".")
_SENTENCE_AFTER_QUESTION = re.compile(r"([?？!！])[.。]")


class Labels:
    """Texts and labels in one language, with item labels from a codebook."""

    def __init__(self, lang: str, codebook_items: pd.DataFrame | None = None) -> None:
        self.lang = lang
        self._items = codebook_items
        self._msg = messages(lang)
        #: construct codes shown as written (a user's model's COMP is competence as often as complaints)
        self.as_written: set[str] = set()

    def __call__(self, key: str, **fmt: Any) -> str:
        text = self._msg[key]
        # a name that is a question ("Overall, how satisfied ...?") ends a sentence itself
        return _SENTENCE_AFTER_QUESTION.sub(r"\1", text.format(**fmt)) if fmt else text

    def get(self, key: str, default: str) -> str:
        return self._msg.get(key, default)

    def item(self, name: str) -> str:
        """The item's codebook label in the report language (its name when it has none)."""
        items = self._items
        if items is not None and name in items.index:
            col = "label_zh" if self.lang == "zh" else "label_en"
            value = items.at[name, col] if col in items.columns else ""
            if isinstance(value, str) and value.strip():
                return value.strip()
        return str(name)

    def row(self, name: str) -> str:
        """An item's row text within the question its construct's items share ("Cabin crew" for
        "How satisfied ...? - Cabin crew"); else its label (:meth:`item`). Without labels in the
        report's language the English ones give the rows (a row's words beat its column name)."""
        items = self._items
        if items is None or name not in items.index or "construct" not in items.columns:
            return self.item(name)
        members = [str(i) for i in items.index[items["construct"] == items.at[name, "construct"]]]
        labels = [self.item(i) for i in members]
        if labels == members and "label_en" in items.columns:
            labels = [str(items.at[i, "label_en"] or "").strip() or i for i in members]
        return row_texts(labels)[members.index(name)]

    def item_or_construct(self, name: str) -> str:
        """An item's codebook label; else the construct's name (a one-item construct named like its
        item, such as CUSCO, reads as its construct: Complaints)."""
        if self._items is not None and name in self._items.index:
            label = self.item(name)
            if label != str(name):
                return label
        return self.construct(name)

    def construct(self, name: str) -> str:
        """Display name of a construct: the locale's name for common constructs, else the words
        its items' codebook labels share, else its name."""
        key = str(name)
        if key in self.as_written:
            return key
        for k in (key, key.upper(), key.lower()):
            if k != key and k in _EXACT_ONLY:
                continue
            if f"construct.{k}" in self._msg:
                return self._msg[f"construct.{k}"]
        items = self._items
        if items is not None and "construct" in items.columns:
            members = [str(i) for i in items.index[items["construct"] == key]]
            linked = self._linked_construct(members)
            if linked is not None and linked != key:
                first = self.item(members[0])
                for sep in (":", "："):
                    if sep in first:
                        return f"{first.split(sep)[0].strip()}{sep}{' ' if sep == ':' else ''}{self.construct(linked)}"
            labels = [self.item(i) for i in members]
            prefix, question = _common_prefix_label(labels), question_text(labels)
            if len(question) > len(prefix) and question.startswith(prefix):  # "...flight?-Cabin crew"
                prefix = question
            if prefix and self.lang == "en":
                return prefix
            if len(members) == 1:
                return self.item(members[0])
        return key

    def _linked_construct(self, members: list[str]) -> str | None:
        """The one construct that the ``attribute`` links of ``members`` point to (expectation or
        importance items of an attribute), else None."""
        items = self._items
        if items is None or "attribute" not in items.columns or not members:
            return None
        targets = {str(items.at[m, "attribute"] or "").strip() for m in members}
        if "" in targets or not targets <= set(map(str, items.index)):
            return None
        cons = {str(items.at[t, "construct"] or t) for t in targets}
        return cons.pop() if len(cons) == 1 else None

    def join(self, names: list[str]) -> str:
        """``names`` as a list in a sentence: "A, B and C" (en), "A、B和C" (zh)."""
        names = [str(n) for n in names]
        if len(names) < 2:
            return "".join(names)
        return self("list_sep").join(names[:-1]) + self("list_and") + names[-1]

    def quadrant(self, name: str) -> str:
        return self._msg.get(f"quadrant.{name}", name)

    def band(self, name: str) -> str:
        return self._msg.get(f"band.{name}", name)

    def fact(self, key: str) -> str:
        return self._msg.get(f"fact.{key}", key)

    def plot_texts(self) -> dict[str, str]:
        """Message id -> text for the ``texts=`` argument of the csindex.plots functions."""
        return {k[5:]: v for k, v in self._msg.items() if k.startswith("plot.")}

    def columns(self, df: pd.DataFrame, **fmt: Any) -> pd.DataFrame:
        """Copy of ``df`` with plain column headers and category values in the report language."""
        cols = [c for c in ("category", "band", "quadrant", "disconfirmation") if c in df.columns]
        if cols:
            df = df.copy()
            for c in cols:
                df[c] = [self._msg.get(f"value.{v}", self._msg.get(f"band.{v}", self._msg.get(f"quadrant.{v}", v)))
                         if isinstance(v, str) else v for v in df[c]]

        def header(c: Any) -> str:
            text = self._msg.get(f"col.{c}", str(c))
            return text.format(**fmt) if fmt and "{" in text else text

        return df.rename(columns={c: header(c) for c in df.columns})

    def mapping(self, names: Mapping[str, str] | list[str]) -> dict[str, str]:
        return {str(n): self.item_or_construct(str(n)) for n in names}


def _ids_match() -> bool:  # pragma: no cover - used by tests and the release check
    return set(messages("en")) == set(messages("zh"))


__all__ = ["LANGS", "Labels", "ambiguous", "messages"]
