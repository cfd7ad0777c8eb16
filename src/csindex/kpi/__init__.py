"""Loyalty, service and survey-management KPIs.

Split by concept:

* :mod:`csindex.kpi.loyalty` -- :func:`nps`, :func:`recommendation_rate`,
  :func:`repurchase_rate`, :func:`loyalty_matrix` (respondent-level values, sampling
  weights, confidence intervals);
* :mod:`csindex.kpi.tickets` -- :func:`ticket_kpis` (a ticket table per period and channel);
* :mod:`csindex.kpi.fieldwork` -- :func:`return_rate` and :func:`followup_compliance`
  (the 70 % return-rate rule; follow-ups 1 month, 3 months and 1 year after delivery).

:func:`compare_indices` (the difference between two groups' scores or NPS) lives in
:mod:`csindex.comparisons`, with the other index comparisons on one kernel and one sign
convention (``difference = b - a``). ``csindex.kpi.compare_indices`` keeps working: the
comparisons layer sits above the KPIs, so it is re-exported on first access.

Definitions follow METHODS.md §7.3-§7.5. Every function returns a frozen result with a
``summary()``; tables are tidy DataFrames with fixed snake_case columns.

Examples
--------
>>> import csindex
>>> res = csindex.nps([10, 9, 9, 8, 7, 3, 10, 6])
>>> res.score
25.0
>>> res.promoters, res.passives, res.detractors
(0.5, 0.25, 0.25)
"""

from __future__ import annotations

import importlib
from typing import Any

from .fieldwork import FollowupResult, ReturnRateResult, followup_compliance, return_rate
from .loyalty import (
    LOYALTY_CATEGORIES,  # noqa: F401 - importable as before
    LoyaltyMatrixResult,
    NPSResult,
    RateResult,
    loyalty_matrix,
    nps,
    recommendation_rate,
    repurchase_rate,
)
from .tickets import TicketKPIResult, ticket_kpis

__all__ = [
    "NPSResult",
    "RateResult",
    "LoyaltyMatrixResult",
    "TicketKPIResult",
    "ReturnRateResult",
    "FollowupResult",
    "IndexComparisonResult",
    "nps",
    "recommendation_rate",
    "repurchase_rate",
    "loyalty_matrix",
    "ticket_kpis",
    "return_rate",
    "followup_compliance",
    "compare_indices",
]

#: names that moved up to :mod:`csindex.comparisons` (a higher layer: resolved on access)
_MOVED = {"compare_indices": "csindex.comparisons", "IndexComparisonResult": "csindex.comparisons"}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        value = getattr(importlib.import_module(_MOVED[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'csindex.kpi' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
