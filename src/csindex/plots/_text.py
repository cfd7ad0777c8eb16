"""The texts the plots draw, keyed by message id, with their English defaults.

Every chart function takes ``texts=`` (message id -> text) so that a caller (the report,
in another language) passes the words to draw instead of translating what was drawn.
Ids absent from ``texts`` fall back to :data:`TEXTS`.

Examples
--------
>>> text(None, "axis.index")
'Index (0-100)'
>>> text({"axis.index": "指数（0–100）"}, "axis.index")
'指数（0–100）'
>>> text(None, "ratio.bands_title", tol=0.05)
'Bands (tol = 0.05)'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["TEXTS", "text"]

#: message id -> English text drawn by csindex.plots
TEXTS: dict[str, str] = {
    "axis.index": "Index (0-100)",
    "axis.importance": "Importance",
    "axis.performance": "Performance",
    "axis.wave": "Wave",
    "axis.respondents": "Respondents",
    "axis.share": "Share",
    "axis.share_pct": "Share (%)",
    "axis.impact": "Impact on the satisfaction index (index points per attribute point)",
    "axis.attribute_performance": "Performance (0-100)",
    "quadrant.high_x_low_y": "Concentrate here",
    "quadrant.high_x_high_y": "Keep up the good work",
    "quadrant.low_x_low_y": "Low priority",
    "quadrant.low_x_high_y": "Possible overkill",
    "loyalty.high_x_high_y": "Loyalty",
    "loyalty.high_x_low_y": "Latent loyalty",
    "loyalty.low_x_high_y": "Spurious loyalty",
    "loyalty.low_x_low_y": "No loyalty",
    "loyalty.attitude": "Relative attitude",
    "loyalty.patronage": "Repeat patronage",
    "ratio.x": "C = b / a (perceived / expected)",
    "ratio.title": "Distribution of C = b/a",
    "ratio.share_x": "Share of respondents (%)",
    "ratio.bands_title": "Bands (tol = {tol:g})",
    "band.unmet": "unmet",
    "band.dissatisfied": "dissatisfied",
    "band.fairly satisfied": "fairly satisfied",
    "band.very satisfied": "very satisfied",
    "path.r2": "R² = {value:.2f}",
    "path.loadings": "λ {lo:.2f}–{hi:.2f}",
    "priority.recommended": "recommended",
    "priority.other": "other attributes",
}


def text(texts: Mapping[str, str] | None, key: str, **fmt: Any) -> str:
    """The text for message id ``key``: ``texts[key]`` when given, else the English default."""
    value = (texts or {}).get(key) or TEXTS[key]
    return value.format(**fmt) if fmt else value
