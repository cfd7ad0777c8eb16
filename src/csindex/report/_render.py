"""Render the report: one self-contained HTML page, results.json, CSV files and an Excel workbook.

Nothing here computes a statistic; it formats what the section builders collected. CSV and
Excel files are written by :mod:`csindex._export` (text cells are data, never formulas).
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: viewport width (CSS px) up to which a figure's phone-width drawing is shown: the full path
#: diagram (about 830 px) shrinks below 9 px text in columns narrower than about 640 px
_NARROW_SCREEN = 900

CSS = """
:root{--fg:#1f2933;--muted:#52606d;--line:#d9e2ec;--accent:#1f5f99;--bg:#f7f9fb;--warn:#8a5a00}
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans","Segoe UI",Helvetica,Arial,"Liberation Sans","DejaVu Sans","Noto Sans CJK SC",
"Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;color:var(--fg);background:#fff;line-height:1.5;
font-size:15px}
html:lang(zh) body{font-family:"Noto Sans","Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
"Segoe UI",Helvetica,Arial,sans-serif}
header{background:var(--accent);color:#fff;padding:24px 32px}
header h1{margin:0 0 4px 0;font-size:26px}
header p{margin:0;opacity:.9}
.wrap{display:flex;align-items:flex-start}
nav{position:sticky;top:0;min-width:230px;max-width:260px;padding:16px 12px 16px 24px;font-size:14px;
max-height:100vh;overflow:auto}
nav ol{padding-left:18px;margin:4px 0}
nav a{color:var(--accent);text-decoration:none}
main{flex:1;min-width:0;padding:8px 32px 48px 16px;max-width:1100px}
section{border-top:1px solid var(--line);padding-top:8px;margin-top:16px}
h2{color:var(--accent);font-size:21px;margin:12px 0 8px}
h3{font-size:16px;margin:18px 0 6px}
figure{margin:12px 0 20px 0}
figure .fig{max-width:100%;overflow-x:auto}
figure img{max-width:100%;height:auto;border:1px solid var(--line);border-radius:4px;background:#fff;display:block}
figure picture img{min-width:var(--floor-wide)}
figcaption{color:var(--muted);font-size:13px;margin-top:4px}
table.csindex-table{border-collapse:collapse;font-size:13px;margin:6px 0 16px 0;display:block;overflow-x:auto;
max-width:100%}
table.csindex-table th,table.csindex-table td{border-bottom:1px solid var(--line);padding:3px 8px;
text-align:right;white-space:nowrap}
table.csindex-table th{background:var(--bg);text-align:center;white-space:normal;vertical-align:bottom;
min-width:4em}
html:lang(zh) table.csindex-table th{min-width:6em}
table.csindex-table td.txt{text-align:left;white-space:normal;min-width:7em;max-width:34em}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:160px;background:var(--bg)}
.card .v{font-size:24px;font-weight:600;color:var(--accent)}
.card .k{font-size:12px;color:var(--muted)}
.card .ci{font-size:12px;color:var(--muted)}
.note{color:var(--muted);font-style:italic}
details.notes{margin:6px 0 10px 0}details.notes summary{cursor:pointer;color:var(--accent)}
.warn{color:var(--warn);font-size:13px}
.facts{margin:6px 0 12px 0;padding-left:20px}
ol.improve li{margin:4px 0}
footer{color:var(--muted);font-size:12px;padding:16px 32px;border-top:1px solid var(--line)}
.headline{border:2px solid var(--accent);border-radius:8px;padding:12px 18px;margin:12px 0;background:var(--bg)}
.headline .k{font-size:15px;font-weight:600;color:var(--accent)}
.headline .v{font-size:40px;font-weight:700;color:var(--accent);line-height:1.1}
.headline .d{font-size:13px;color:var(--muted)}
dl.formulas dt{font-weight:600;margin-top:8px}
dl.formulas dd{margin:2px 0 6px 18px}
@media (max-width:760px){.wrap{display:block}nav{position:static;max-width:none;max-height:none}
main{padding:8px 12px 32px 12px}header{padding:16px}}
@media print{nav{display:none}}
"""
CSS += f"@media (max-width: {_NARROW_SCREEN}px){{figure picture img{{min-width:var(--floor-narrow)}}}}\n"


@dataclass
class Block:
    """One piece of a section: kind in {"p", "facts", "table", "figure", "list", "cards", "note", "h3"}."""

    kind: str
    content: Any
    caption: str = ""


@dataclass
class Section:
    """A report section: what it shows, or why it is not shown."""

    id: str
    title: str
    status: str = "ok"  # "ok" | "skipped" | "failed"
    note: str = ""
    blocks: list[Block] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def p(self, text: str) -> None:
        self.blocks.append(Block("p", text))

    def h3(self, text: str) -> None:
        self.blocks.append(Block("h3", text))

    def add(self, kind: str, content: Any, caption: str = "") -> None:
        self.blocks.append(Block(kind, content, caption))


# --------------------------------------------------------------------------- formatting


def _fmt_number(value: Any, digits: int = 3) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "✓" if value else "✗"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "–"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        if v != 0 and abs(v) < 10 ** (-digits):
            return f"{v:.2e}"
        if abs(v) >= 1000:
            return f"{v:,.1f}"
        return f"{v:.{digits}f}"
    return str(value)


_NUMERIC_TEXT = re.compile(r"^(?:[-+−<>≤≥\[(–✓✗]|\d)")


def table_html(df: pd.DataFrame, *, digits: int = 3, max_rows: int = 60,
               more: str = "… {n} more rows in the CSV and Excel files.") -> str:
    """A DataFrame as an escaped HTML table (numbers right-aligned, text left-aligned)."""
    frame = df
    extra = ""
    if len(frame) > max_rows:
        extra = f'<p class="note">{html.escape(more.format(n=len(frame) - max_rows))}</p>'
        frame = frame.head(max_rows)
    show_index = not isinstance(frame.index, pd.RangeIndex)
    head = ["<tr>"]
    if show_index:
        head.append(f"<th>{html.escape(str(frame.index.name or ''))}</th>")
    head += [f"<th>{_unbroken_ranges(html.escape(str(c)))}</th>" for c in frame.columns]
    head.append("</tr>")
    rows = []
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    for idx, row in zip(frame.index, frame.itertuples(index=False)):
        cells = []
        if show_index:
            cells.append(f'<td class="txt">{html.escape(str(idx))}</td>')
        for value, num in zip(row, numeric):
            if num or isinstance(value, (int, float, np.number)):
                cells.append(f"<td>{html.escape(_fmt_number(value, digits))}</td>")
            else:
                text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
                cls = "" if _NUMERIC_TEXT.match(text) else ' class="txt"'  # pre-formatted numbers stay right-aligned
                cells.append(f'<td{cls}>{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="csindex-table"><thead>{"".join(head)}</thead><tbody>{"".join(rows)}</tbody></table>'
            + extra)


def _facts_html(facts: Mapping[str, Any]) -> str:
    items = "".join(
        f"<li><b>{html.escape(str(k))}</b>: {html.escape(_fmt_number(v) if not isinstance(v, str) else v)}</li>"
        for k, v in facts.items()
    )
    return f'<ul class="facts">{items}</ul>'


def _cards_html(cards: Sequence[tuple[str, str, str]]) -> str:
    out = ['<div class="cards">']
    for label, value, ci in cards:
        out.append(f'<div class="card"><div class="k">{html.escape(label)}</div><div class="v">{html.escape(value)}'
                   f'</div><div class="ci">{html.escape(ci)}</div></div>')
    out.append("</div>")
    return "".join(out)


_MIN_FIGURE_TEXT_PX = 9.0  # a figure scales down to the column, but never below this text size


def _min_text_px(content: dict[str, Any]) -> float:
    """The smallest text of a figure at its natural size, in CSS px."""
    return float(content.get("min_text_pt", 0.0)) * float(content.get("dpi", 100)) / 72.0


def _floor(content: dict[str, Any]) -> int:
    """The narrowest a figure is shown (CSS px): its smallest text stays 9 px."""
    width, min_px = round(content["width"]), _min_text_px(content)
    return min(width, math.ceil(width * _MIN_FIGURE_TEXT_PX / min_px) + 1) if min_px > 0 else width


def _figure_html(content: Any, caption: str, number: int, word: str) -> str:
    """A figure at its natural size, scaled down to a narrower column (``max-width:100%``,
    ``height:auto``) as far as its smallest text stays 9 CSS px (``min-width``); only a figure
    wider than that scrolls in its box."""
    alt = html.escape(caption or f"figure {number}")
    if isinstance(content, str):
        img = f'<img src="{content}" alt="{alt}">'
    elif "narrow" in content:  # a phone-width drawing below _NARROW_SCREEN px, the full one above
        small = content["narrow"]
        min_px = min(_min_text_px(content), _min_text_px(small))
        img = (f'<picture><source media="(max-width: {_NARROW_SCREEN}px)" srcset="{small["uri"]}" '
               f'width="{round(small["width"])}" height="{round(small["height"])}">'
               f'<img src="{content["uri"]}" alt="{alt}" width="{round(content["width"])}" '
               f'height="{round(content["height"])}" style="--floor-wide:{_floor(content)}px;'
               f'--floor-narrow:{_floor(small)}px" data-min-text-px="{min_px:.2f}"></picture>')
    else:
        img = (f'<img src="{content["uri"]}" alt="{alt}" width="{round(content["width"])}" '
               f'height="{round(content["height"])}" style="min-width:{_floor(content)}px" '
               f'data-min-text-px="{_min_text_px(content):.2f}">')
    return (f'<figure><div class="fig">{img}</div><figcaption>{html.escape(word)} {number}. '
            f'{html.escape(caption)}</figcaption></figure>')


def _unbroken_ranges(text: str) -> str:
    """``text`` whose number ranges ("0–100") never break at the dash when a header wraps."""
    return re.sub(r"(\d)–(\d)", "\\1–\u2060\\2", text)


def render_html(*, title: str, subtitle: str, lang: str, sections: Sequence[Section], labels: Any,
                footer: str) -> str:
    """The whole page as one string (CSS inline, figures as data: URIs, no external reference)."""
    fig_no = 0
    body: list[str] = []
    toc: list[str] = []
    for sec in sections:
        toc.append(f'<li><a href="#{sec.id}">{html.escape(sec.title)}</a></li>')
        part = [f'<section id="{sec.id}"><h2>{html.escape(sec.title)}</h2>']
        if sec.status != "ok":
            word = labels("skipped") if sec.status == "skipped" else labels("failed")
            part.append(f'<p class="note">{html.escape(word)}: {html.escape(sec.note)}</p>')
        for block in sec.blocks:
            if block.kind == "p":
                part.append(f"<p>{html.escape(block.content)}</p>")
            elif block.kind == "html":  # trusted markup built by the section code (escaped there)
                part.append(block.content)
            elif block.kind == "h3":
                part.append(f"<h3>{html.escape(block.content)}</h3>")
            elif block.kind == "note":
                part.append(f'<p class="note">{html.escape(block.content)}</p>')
            elif block.kind == "facts":
                part.append(_facts_html({labels.fact(str(k)): v for k, v in block.content.items()}))
            elif block.kind == "cards":
                part.append(_cards_html(block.content))
            elif block.kind == "table":
                if block.caption:
                    part.append(f"<h3>{html.escape(block.caption)}</h3>")
                part.append(table_html(block.content, more=labels("more_rows")))
            elif block.kind == "figure":
                fig_no += 1
                part.append(_figure_html(block.content, block.caption, fig_no, labels("figure")))
            elif block.kind == "list":
                part.append('<ol class="improve">' + "".join(f"<li>{li}</li>" for li in block.content) + "</ol>")
            else:  # pragma: no cover - programming error
                raise ValueError(f"unknown block kind {block.kind!r}")
        if sec.warnings:
            part.append(f'<p class="warn"><b>{html.escape(labels("warnings"))}:</b></p><ul class="warn">'
                        + "".join(f"<li>{html.escape(w)}</li>" for w in sec.warnings) + "</ul>")
        part.append("</section>")
        body.append("".join(part))
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # belt and braces: the page references nothing outside itself; forbid it anyway
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
        'style-src \'unsafe-inline\'">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>\n"
        f'<div class="wrap"><nav><b>{html.escape(labels("contents"))}</b><ol>{"".join(toc)}</ol></nav>\n'
        f"<main>\n{chr(10).join(body)}\n</main></div>\n"
        f"<footer>{html.escape(footer)}</footer>\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- machine-readable files


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        v = float(obj)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (Path,)):
        return str(obj)
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    return str(obj)


def clean_json(obj: Any) -> Any:
    """Recursively replace NaN/inf by None and numpy scalars by Python ones."""
    if isinstance(obj, Mapping):
        return {str(k): clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_json(v) for v in obj]
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, (np.generic, Path)):
        return _json_default(obj)
    return obj


def table_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    frame = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df
    return clean_json(json.loads(frame.to_json(orient="records", date_format="iso", default_handler=str)))


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    text = json.dumps(clean_json(payload), ensure_ascii=False, indent=1, default=_json_default, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
