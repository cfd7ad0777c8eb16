"""Survey-management rules: questionnaire return rate and follow-up contact compliance.

The textbook rules (METHODS.md §7.5): a questionnaire return rate of at least 70 %, and
follow-up contacts 1 month, 3 months and 1 year after delivery.

Examples
--------
>>> res = return_rate(140, 200)
>>> res.rate, res.target_met
(0.7, True)
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import bdtr  # the binomial cdf; scipy.stats costs 0.5 s of import

from .._params import check_param
from .._results import ResultMixin
from ..plots import bar_plot
from .._summary import Summary
from .._validation import quote_list
from .._weighted import wilson_interval
from ..exceptions import ParameterError, SurveyDataError

__all__ = ["ReturnRateResult", "FollowupResult", "return_rate", "followup_compliance"]


# --------------------------------------------------------------------------- survey management


@dataclass(frozen=True, repr=False)
class ReturnRateResult(ResultMixin):
    """Questionnaire return rate against a target.

    Attributes
    ----------
    rate, ci_lower, ci_upper : float
        returned / invited and its Wilson interval.
    returned, invited : int
    target : float
    target_met : bool
        ``rate >= target`` (the point estimate).
    p_value_below_target : float
        Exact one-sided binomial p-value of H0 "the true rate is >= target"; small values
        mean the rate is significantly below the target.
    settings : dict
    """

    rate: float
    ci_lower: float
    ci_upper: float
    returned: int
    invited: int
    target: float
    target_met: bool
    p_value_below_target: float
    settings: dict = field(default_factory=dict)

    def _default_counts(self) -> dict[str, Any]:
        return {"n_used": self.invited, "n_dropped": 0}

    def plot(self, *, ax: Any = None) -> Any:
        """The return rate with its interval as one bar (the target is in the summary)."""
        return bar_plot(pd.DataFrame({"kpi": ["return rate"], "rate": [self.rate], "ci_lower": [self.ci_lower], "ci_upper": [self.ci_upper]}), "rate", "kpi", ci=("ci_lower", "ci_upper"), ax=ax)


    @property
    def ci(self) -> tuple[float, float]:
        """``(ci_lower, ci_upper)``."""
        return (self.ci_lower, self.ci_upper)

    def summary(self) -> Summary:
        return Summary(
            "Questionnaire return rate",
            facts={
                "rate": self.rate,
                "CI": f"[{self.ci_lower:.4f}, {self.ci_upper:.4f}]",
                "returned": self.returned,
                "invited": self.invited,
                "target": self.target,
                "target_met": self.target_met,
                "p_value_below_target": self.p_value_below_target,
            },
        )


def _count(value: Any, name: str) -> int:
    if (isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating))
            or not np.isfinite(value) or value != int(value) or value < 0):
        raise SurveyDataError(f"{name} must be a whole number >= 0. Got {value!r} instead.")
    return int(value)


def _timestamp(value: Any) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if ts is pd.NaT:
        raise ParameterError("The 'as_of' parameter of followup_compliance must be a date such as '2024-06-01' "
                             f"or a pandas Timestamp. Got {value!r} instead.")
    return ts


def return_rate(
    returned: int,
    invited: int,
    *,
    target: float = 0.70,
    confidence: float = 0.95,
) -> ReturnRateResult:
    """Questionnaire return rate (valid returned / distributed) against the 70 % target.

    Parameters
    ----------
    returned : int
        Valid questionnaires returned.
    invited : int
        Questionnaires distributed (invitations sent).
    target : float
        Target rate in 0..1; the textbook rule is at least 70 % (METHODS.md §7.5).
    confidence : float
        Level of the Wilson interval.

    Returns
    -------
    ReturnRateResult

    Raises
    ------
    SurveyDataError
        Counts not whole numbers, ``invited == 0``, or ``returned > invited``.

    Examples
    --------
    >>> res = return_rate(63, 100)
    >>> res.rate, res.target_met
    (0.63, False)
    >>> round(res.p_value_below_target, 4)
    0.0799
    """
    where = "return_rate()"
    confidence = check_param("confidence", confidence, where=where)
    k, n = _count(returned, "returned"), _count(invited, "invited")
    if n == 0:
        raise SurveyDataError("invited is 0: no questionnaire was distributed, so the return rate is undefined.")
    if k > n:
        raise SurveyDataError(f"returned ({k}) is larger than invited ({n}). Check the counts.")
    if not isinstance(target, (int, float)) or not 0.0 <= float(target) <= 1.0:
        raise ParameterError(f"The 'target' parameter of {where} must be a share in 0..1 (0.70 for 70 %). Got {target!r} instead.")
    rate = k / n
    lo, hi = wilson_interval(rate, n, confidence)
    return ReturnRateResult(
        rate=float(rate),
        ci_lower=float(lo),
        ci_upper=float(hi),
        returned=k,
        invited=n,
        target=float(target),
        target_met=bool(rate >= target),
        p_value_below_target=float(bdtr(k, n, target)),
        settings={"confidence": float(confidence)},
    )


_OFFSET_RE = re.compile(r"^\s*(\d+)\s*([DWMY])\s*$", re.IGNORECASE)


def _offset(spec: Any, name: str) -> pd.DateOffset:
    if isinstance(spec, pd.DateOffset):
        return spec
    m = _OFFSET_RE.match(str(spec))
    if not m:
        raise ParameterError(
            f"{name} entries must look like '30D', '2W', '1M', '3M' or '1Y' (number + D/W/M/Y). Got {spec!r} instead."
        )
    k, unit = int(m.group(1)), m.group(2).upper()
    return {"D": pd.DateOffset(days=k), "W": pd.DateOffset(weeks=k), "M": pd.DateOffset(months=k), "Y": pd.DateOffset(years=k)}[unit]


@dataclass(frozen=True, repr=False)
class FollowupResult(ResultMixin):
    """Follow-up schedule compliance.

    Attributes
    ----------
    milestones : pandas.DataFrame
        One row per milestone: ``milestone, n_due, n_on_time, n_late, n_overdue,
        n_pending, on_time_rate, ci_lower, ci_upper``. ``n_due`` counts deliveries whose
        window has closed by ``as_of`` (on time + late + overdue); ``on_time_rate`` =
        ``n_on_time / n_due`` with a Wilson interval (NaN when ``n_due`` is 0).
    detail : pandas.DataFrame
        One row per delivery and milestone: ``delivery, customer, delivery_date,
        milestone, due_date, window_start, window_end, contact_date, status`` with status
        ``on_time`` (a contact inside the window), ``late`` (the first contact after the
        window, before the next milestone's window), ``overdue`` (window closed, no such
        contact) or ``pending`` (window not closed by ``as_of``, no contact yet).
    overdue : pandas.DataFrame
        The ``overdue`` rows of ``detail`` with ``days_overdue`` (``as_of - window_end``).
    as_of : pandas.Timestamp
    settings : dict
    """

    milestones: pd.DataFrame
    detail: pd.DataFrame
    overdue: pd.DataFrame
    as_of: pd.Timestamp
    settings: dict = field(default_factory=dict)

    def _default_counts(self) -> dict[str, Any]:
        return {"n_used": int(self.detail["delivery"].nunique()), "n_dropped": 0}

    def plot(self, *, ax: Any = None) -> Any:
        """On-time rate per follow-up milestone with its interval."""
        return bar_plot(self.milestones.dropna(subset=["on_time_rate"]), "on_time_rate", "milestone", ci=("ci_lower", "ci_upper"), ax=ax)


    def summary(self) -> Summary:
        return Summary(
            "Follow-up schedule compliance",
            facts={"as_of": str(self.as_of.date()), "n_overdue": len(self.overdue), "window": self.settings.get("window")},
            tables={"Milestones": self.milestones},
        )


def _dates(frame: pd.DataFrame, col: str, name: str) -> pd.Series:
    """A date column parsed to datetime64[ns]; missing or unreadable dates are refused, rows named."""
    raw = frame[col]
    parsed = raw if pd.api.types.is_datetime64_any_dtype(raw) else pd.to_datetime(raw, errors="coerce")
    if parsed.isna().any():
        rows = frame.index[parsed.isna()].tolist()
        raise SurveyDataError(
            f"Column {col!r} of the {name} table has missing or unreadable dates in rows {quote_list(rows)}. "
            "Fix or drop those rows."
        )
    return parsed.astype("datetime64[ns]")


def _followup_detail(dlv: pd.DataFrame, con: pd.DataFrame, names: list[str], offsets: list[pd.DateOffset],
                     win: pd.Timedelta, as_of_ts: pd.Timestamp) -> pd.DataFrame:
    """One row per delivery and milestone: due date, window, first on-time / late contact and status."""
    parts = []
    for k, (name, off) in enumerate(zip(names, offsets)):  # loop over milestones (a handful), not deliveries
        part = dlv.copy()
        part["milestone"] = name
        part["_m"] = k
        part["due_date"] = part["delivery_date"] + off
        parts.append(part)
    det = pd.concat(parts, ignore_index=True)
    det["window_start"] = det["due_date"] - win
    det["window_end"] = det["due_date"] + win
    # the late period of a milestone ends where the next milestone's window starts
    nxt = det[["_row", "_m", "window_start"]].copy()
    nxt["_m"] -= 1
    det = det.merge(nxt.rename(columns={"window_start": "_late_end"}), on=["_row", "_m"], how="left")
    det["_late_end"] = det["_late_end"].fillna(pd.Timestamp.max)
    pairs = det[["_row", "_m", "customer", "window_start", "window_end", "_late_end"]].merge(con, on="customer", how="inner")
    in_win = pairs[(pairs["contact_date"] >= pairs["window_start"]) & (pairs["contact_date"] <= pairs["window_end"])]
    late = pairs[(pairs["contact_date"] > pairs["window_end"]) & (pairs["contact_date"] < pairs["_late_end"])
                 & (pairs["contact_date"] <= as_of_ts)]
    first_in = in_win.groupby(["_row", "_m"])["contact_date"].min().rename("_on_time_contact")
    first_late = late.groupby(["_row", "_m"])["contact_date"].min().rename("_late_contact")
    det = det.join(first_in, on=["_row", "_m"]).join(first_late, on=["_row", "_m"])
    on_time = det["_on_time_contact"].notna() & (det["_on_time_contact"] <= as_of_ts)
    closed = det["window_end"] < as_of_ts
    status = np.select(
        [on_time, ~closed, det["_late_contact"].notna()], ["on_time", "pending", "late"], default="overdue"
    )
    det["status"] = pd.Categorical(status, categories=["on_time", "late", "overdue", "pending"])
    det["contact_date"] = det["_on_time_contact"].where(on_time, det["_late_contact"].where(status == "late"))
    return det


def followup_compliance(
    deliveries: pd.DataFrame,
    contacts: pd.DataFrame,
    *,
    customer: str = "customer_id",
    delivery_date: str = "delivery_date",
    contact_date: str = "contact_date",
    delivery_id: str | None = None,
    schedule: Sequence[str] = ("1M", "3M", "1Y"),
    window: str | pd.Timedelta = "14D",
    as_of: Any = None,
    confidence: float = 0.95,
) -> FollowupResult:
    """Compliance with the follow-up schedule: contacts due 1 month, 3 months, 1 year after delivery.

    Parameters
    ----------
    deliveries : pandas.DataFrame
        One row per delivery, with ``customer`` and ``delivery_date`` columns.
    contacts : pandas.DataFrame
        One row per follow-up contact, with ``customer`` and ``contact_date`` columns.
    customer, delivery_date, contact_date : str
        Column names.
    delivery_id : str or None
        Column identifying a delivery (used in ``detail``/``overdue``); ``None`` uses the index.
    schedule : sequence of str
        Milestones after delivery, as number + unit (D, W, M, Y). Default: the textbook
        rule of 1 month, 3 months and 1 year (METHODS.md §7.5).
    window : str or pandas.Timedelta
        Tolerance either side of a due date: a contact within ``due ± window`` is on time
        (default 14 days).
    as_of : date-like, optional
        Evaluation date: windows ending after it are ``pending``, and contacts after it
        are ignored. Default: the latest delivery or contact date in the data.
    confidence : float
        Level of the Wilson intervals.

    Returns
    -------
    FollowupResult

    Raises
    ------
    SurveyDataError
        Missing columns, or dates that are missing or not dates (naming the rows).

    Notes
    -----
    Contacts are matched to deliveries by customer. A customer with several deliveries
    whose windows overlap can have one contact count for more than one delivery.

    Examples
    --------
    >>> import pandas as pd
    >>> deliveries = pd.DataFrame({"customer_id": ["A", "B"],
    ...                            "delivery_date": pd.to_datetime(["2024-01-10", "2024-01-20"])})
    >>> contacts = pd.DataFrame({"customer_id": ["A", "A", "B"],
    ...                          "contact_date": pd.to_datetime(["2024-02-12", "2024-04-10", "2024-03-15"])})
    >>> res = followup_compliance(deliveries, contacts, schedule=("1M", "3M"), as_of="2024-06-01")
    >>> res.milestones[["milestone", "n_due", "n_on_time", "n_late", "n_overdue", "on_time_rate"]]
      milestone  n_due  n_on_time  n_late  n_overdue  on_time_rate
    0        1M      2          1       1          0           0.5
    1        3M      2          1       0          1           0.5
    """
    where = "followup_compliance()"
    confidence = check_param("confidence", confidence, where=where)
    for name, value in (("customer", customer), ("delivery_date", delivery_date), ("contact_date", contact_date),
                        ("delivery_id", delivery_id)):
        if not isinstance(value, Hashable) or (value is None and name != "delivery_id"):
            raise ParameterError(f"The {name!r} parameter of {where} must be a column name. Got {value!r} instead.")
    for frame, name, cols in (
        (deliveries, "deliveries", (customer, delivery_date) + ((delivery_id,) if delivery_id else ())),
        (contacts, "contacts", (customer, contact_date)),
    ):
        if not isinstance(frame, pd.DataFrame):
            raise SurveyDataError(f"{name} must be a DataFrame, got {type(frame).__name__}.")
        absent = [c for c in cols if c not in frame.columns]
        if absent:
            raise SurveyDataError(
                f"The {name} table has no column {quote_list(absent)}. Columns: {quote_list(frame.columns, limit=10)}. "
                "Pass the right names with customer=, delivery_date=, contact_date=."
            )
    if deliveries.empty:
        raise SurveyDataError("The deliveries table is empty; nothing is due.")
    if isinstance(schedule, str) or not isinstance(schedule, Sequence):
        raise ParameterError("The 'schedule' parameter of followup_compliance must be a list of milestones such as "
                             f"('1M', '3M', '1Y'). Got {schedule!r} instead.")
    offsets = [_offset(s, "schedule") for s in schedule]
    if not offsets:
        raise ParameterError("schedule is empty; give at least one milestone such as '1M'.")
    try:
        win = pd.Timedelta(window) if not isinstance(window, pd.Timedelta) else window
    except (TypeError, ValueError):
        win = pd.NaT
    if win is pd.NaT:
        raise ParameterError(f"The 'window' parameter of followup_compliance must be a duration such as '14D' "
                             f"or a pandas Timedelta. Got {window!r} instead.")
    if win < pd.Timedelta(0):
        raise ParameterError(f"window must be >= 0. Got {window!r} instead.")

    d_dates = _dates(deliveries, delivery_date, "deliveries")
    c_dates = _dates(contacts, contact_date, "contacts")
    dlv = pd.DataFrame(
        {
            "delivery": deliveries[delivery_id].to_numpy() if delivery_id else deliveries.index.to_numpy(),
            "customer": deliveries[customer].to_numpy(),
            "delivery_date": d_dates.to_numpy(),
        }
    )
    dlv["_row"] = np.arange(len(dlv))
    con = pd.DataFrame({"customer": contacts[customer].to_numpy(), "contact_date": c_dates.to_numpy()})
    as_of_ts = (
        pd.Timestamp(max(d_dates.max(), c_dates.max() if len(c_dates) else d_dates.max()))
        if as_of is None
        else _timestamp(as_of)
    )
    names = [str(s) for s in schedule]
    det = _followup_detail(dlv, con, names, offsets, win, as_of_ts)
    det = det.sort_values(["_row", "_m"], kind="stable").reset_index(drop=True)
    counts = pd.crosstab(det["_m"], det["status"], dropna=False).reindex(index=range(len(names)), fill_value=0)
    n_on, n_late, n_over, n_pend = (counts[c].to_numpy() for c in ("on_time", "late", "overdue", "pending"))
    n_due = n_on + n_late + n_over
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n_due > 0, n_on / np.maximum(n_due, 1), np.nan)
    lo, hi = wilson_interval(rate, np.where(n_due > 0, n_due, np.nan), confidence)
    milestones = pd.DataFrame(
        {
            "milestone": names,
            "n_due": n_due.astype("int64"),
            "n_on_time": n_on.astype("int64"),
            "n_late": n_late.astype("int64"),
            "n_overdue": n_over.astype("int64"),
            "n_pending": n_pend.astype("int64"),
            "on_time_rate": rate.astype(float),
            "ci_lower": np.where(n_due > 0, lo, np.nan),
            "ci_upper": np.where(n_due > 0, hi, np.nan),
        }
    )
    detail = det[["delivery", "customer", "delivery_date", "milestone", "due_date", "window_start", "window_end",
                  "contact_date", "status"]].copy()
    overdue = detail[detail["status"] == "overdue"].drop(columns=["contact_date", "status"]).reset_index(drop=True)
    overdue["days_overdue"] = ((as_of_ts - overdue["window_end"]) / pd.Timedelta(days=1)).astype(float)
    return FollowupResult(
        milestones=milestones,
        detail=detail,
        overdue=overdue,
        as_of=as_of_ts,
        settings={"schedule": tuple(names), "window": str(win), "confidence": float(confidence)},
    )
