"""A printable summary shared by every result object.

``Summary`` holds titled tables (DataFrames) and key/value facts. Results build
one in ``summary()``; ``__repr__`` and ``_repr_html_`` come from it, so a result
prints well in a terminal and in a notebook. Nothing here prints.

Examples
--------
>>> import pandas as pd
>>> s = Summary("Demo", facts={"n": 3}, tables={"Paths": pd.DataFrame({"estimate": [0.5]})})
>>> print(s.to_text())  # doctest: +NORMALIZE_WHITESPACE
Demo
====
n: 3
<BLANKLINE>
Paths
-----
   estimate
0       0.5
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Summary", "SummaryMixin"]


@dataclass(frozen=True)
class Summary:
    """Titled facts and tables, rendered as text, Markdown or HTML."""

    title: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    float_format: str = "{:.4f}"

    def _fmt(self, value: Any) -> str:
        if isinstance(value, float):
            return self.float_format.format(value)
        return str(value)

    def to_text(self) -> str:
        """Plain-text rendering."""
        out = [self.title, "=" * len(self.title)]
        out += [f"{k}: {self._fmt(v)}" for k, v in self.facts.items()]
        for name, table in self.tables.items():
            out += ["", name, "-" * len(name), table.to_string(float_format=lambda x: self._fmt(float(x)))]
        if self.notes:
            out += ["", *[f"Note: {n}" for n in self.notes]]
        return "\n".join(out)

    def to_markdown(self) -> str:
        """Markdown rendering (pipe tables, no extra dependency)."""
        out = [f"## {self.title}", ""]
        out += [f"- **{k}**: {self._fmt(v)}" for k, v in self.facts.items()]
        for name, table in self.tables.items():
            out += ["", f"### {name}", "", _markdown_table(table, self._fmt)]
        if self.notes:
            out += [""] + [f"> {n}" for n in self.notes]
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        """HTML rendering (a fragment, escaped)."""
        out = [f"<h3>{html.escape(self.title)}</h3>"]
        if self.facts:
            out.append("<ul>" + "".join(
                f"<li><b>{html.escape(str(k))}</b>: {html.escape(self._fmt(v))}</li>" for k, v in self.facts.items()
            ) + "</ul>")
        for name, table in self.tables.items():
            out.append(f"<h4>{html.escape(name)}</h4>")
            out.append(table.to_html(float_format=lambda x: self._fmt(float(x)), border=0, classes="csindex-table"))
        for n in self.notes:
            out.append(f"<p><i>{html.escape(n)}</i></p>")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()


def _markdown_table(df: pd.DataFrame, fmt: Any) -> str:
    frame = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    sep = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(fmt(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, sep, *rows])


class SummaryMixin:
    """Gives a result ``__repr__`` and ``_repr_html_`` from its ``summary()``."""

    def summary(self) -> Summary:  # pragma: no cover - overridden
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.summary().to_text()

    def _repr_html_(self) -> str:
        return self.summary().to_html()
