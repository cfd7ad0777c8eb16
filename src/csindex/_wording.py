"""Item roles read from question wording (labels), for platform exports whose columns are Q1, Q2, ...

One place for the wording rules: :meth:`csindex.codebook.Codebook.infer` reads an item's role
from its question text when the column name gives none, and the report finds the NPS item
with :func:`nps_item` (column name first, else the one 0-10 item asking about recommending).
The patterns are deliberately narrow (English and Chinese): a label that merely mentions
satisfaction ("Satisfaction with the seat") stays a perception item.

>>> role_from_label("Overall, how satisfied are you with the airline?")
('overall_satisfaction', 'overall satisfaction')
>>> role_from_label("How likely is it that you would recommend us to a friend?")
('loyalty', 'likelihood to recommend')
>>> role_from_label("Satisfaction with the seat") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

__all__ = ["RECOMMEND", "NPS_NAMES", "role_from_label", "nps_item"]

#: a likelihood-to-recommend question, by its wording (the NPS item of a platform export)
RECOMMEND = re.compile(r"\brecommend|推荐", re.I)
#: column names that are the NPS item whatever their label
NPS_NAMES = ("NPS", "nps", "ltr", "LTR", "recommend")

#: (role, what the wording asks, pattern), tried in this order; recommending is loyalty,
#: the role :func:`csindex.codebook.role_from_name` gives a column named ``NPS``
_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("loyalty", "likelihood to recommend", RECOMMEND),
    ("overall_satisfaction", "overall satisfaction", re.compile(
        r"\boverall\b.*\bsatisf|\bhow satisfied are you overall\b|\bsatisfied overall\b"
        r"|总体满意|总体上.{0,30}满意|总体而言.{0,30}满意", re.I | re.S)),
    ("loyalty", "likelihood to come back", re.compile(
        r"\blikely\b.*\b(again|continue|renew|repurchase|buy again)\b|再次|继续使用", re.I | re.S)),
)


def role_from_label(label: Any) -> tuple[str, str] | None:
    """The role a question text implies, with what it asks; None when it implies none.

    ``"overall ... satisf"`` (总体满意) is overall satisfaction; ``"likely ... again/continue/
    renew/repurchase"`` (再次, 继续使用) and any question about recommending (推荐) loyalty.

    Examples
    --------
    >>> role_from_label("您再次选择本航空公司的可能性有多大？")
    ('loyalty', 'likelihood to come back')
    >>> role_from_label("总体上，您对本次航班满意吗？")[0]
    'overall_satisfaction'
    """
    if label is None or (isinstance(label, float) and label != label):
        return None
    text = str(label)
    for role, asks, pattern in _RULES:
        if pattern.search(text):
            return role, asks
    return None


def nps_item(items: pd.DataFrame, columns: Iterable[str]) -> str | None:
    """The NPS item: a column named ``NPS`` (``ltr``, ``recommend``), else the one 0-10 item
    whose label (``label_en`` or ``label_zh``) asks about recommending; None when there is
    none or more than one.

    Parameters
    ----------
    items : DataFrame
        :attr:`csindex.codebook.Codebook.items`.
    columns : iterable of str
        Columns of the responses.

    Examples
    --------
    >>> items = pd.DataFrame({"label_en": ["Would you recommend us?", "Seat"], "label_zh": ["", ""],
    ...                       "scale_min": [0.0, 1.0], "scale_max": [10.0, 5.0]}, index=["Q3", "Q1"])
    >>> nps_item(items, ["Q1", "Q3"])
    'Q3'
    """
    cols = set(map(str, columns))
    for name in NPS_NAMES:
        if name in cols:
            return name
    asked = [str(i) for i, row in items.iterrows()
             if row["scale_min"] == 0 and row["scale_max"] == 10 and str(i) in cols
             and any(RECOMMEND.search(str(row[c] or "")) for c in ("label_en", "label_zh"))]
    return asked[0] if len(asked) == 1 else None
