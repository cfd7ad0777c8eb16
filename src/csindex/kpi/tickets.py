"""Service-ticket KPIs: complaint, response, resolution and first-contact-resolution rates.

:func:`ticket_kpis` summarises a ticket table per period and per channel (METHODS.md §7.5):
shares with Wilson intervals, median times with distribution-free order-statistic intervals.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"opened": pd.to_datetime(["2024-01-01 09:00", "2024-01-02 09:00"]),
...                   "first_response": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 12:00"]),
...                   "resolved": pd.to_datetime(["2024-01-01 12:00", None])})
>>> ticket_kpis(t, ticket_id=None, channel=None, complaint=None, contacts=None).overall[
...     ["n_tickets", "resolution_rate"]]
   n_tickets  resolution_rate
0          2              0.5
"""

from __future__ import annotations

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

__all__ = ["TicketKPIResult", "ticket_kpis", "median_interval"]


# --------------------------------------------------------------------------- service tickets

_TICKET_COLUMNS = (
    "n_tickets",
    "n_complaints",
    "complaint_rate",
    "complaint_rate_ci_lower",
    "complaint_rate_ci_upper",
    "n_responded",
    "response_time_median_h",
    "response_time_median_ci_lower_h",
    "response_time_median_ci_upper_h",
    "response_time_p90_h",
    "n_resolved",
    "resolution_rate",
    "resolution_rate_ci_lower",
    "resolution_rate_ci_upper",
    "n_first_contact_resolved",
    "fcr_rate",
    "fcr_rate_ci_lower",
    "fcr_rate_ci_upper",
    "resolution_time_median_h",
    "resolution_time_median_ci_lower_h",
    "resolution_time_median_ci_upper_h",
    "resolution_time_mean_h",
    "resolution_time_p90_h",
)


@dataclass(frozen=True, repr=False)
class TicketKPIResult(ResultMixin):
    """Service-ticket KPIs, overall, per period, per channel and per period and channel.

    Every table has the grouping columns (``by`` columns, then ``period`` and/or
    ``channel``) followed by these columns:

    - ``n_tickets``; ``n_complaints``, ``complaint_rate`` (complaints / tickets) with
      ``complaint_rate_ci_lower``/``_ci_upper``;
    - ``n_responded`` (tickets with a first response), ``response_time_median_h`` with
      ``response_time_median_ci_lower_h``/``_ci_upper_h``, ``response_time_p90_h`` (hours
      from opened to first response, among responded tickets);
    - ``n_resolved``, ``resolution_rate`` (resolved / tickets; a ticket never resolved
      counts as unresolved) with its CI;
    - ``n_first_contact_resolved``, ``fcr_rate`` (tickets resolved with one contact /
      tickets) with its CI;
    - ``resolution_time_median_h`` with its CI columns, ``resolution_time_mean_h``,
      ``resolution_time_p90_h`` (hours from opened to resolved, among resolved tickets).

    Percentiles (median, p90) interpolate linearly between order statistics (numpy's
    default, R's type 7). Rates have Wilson intervals; medians have distribution-free order-statistic
    intervals (ranks from Binomial(n, 1/2); ``[min, max]`` when n is too small to reach
    the level, e.g. n < 6 at 95 %), both at ``settings['confidence']``. Time KPIs of a group
    with no responded/resolved ticket are NaN (undefined), with ``n_responded`` /
    ``n_resolved`` = 0 beside them. Columns for a KPI whose input column was not given
    (``complaint=None``, ``contacts=None``) are left out; ``by_channel`` and
    ``by_period_channel`` are ``None`` when ``channel=None``.
    """

    overall: pd.DataFrame
    by_period: pd.DataFrame
    by_channel: pd.DataFrame | None
    by_period_channel: pd.DataFrame | None
    n_tickets: int
    settings: dict = field(default_factory=dict)

    def _default_counts(self) -> dict[str, Any]:
        return {"n_used": self.n_tickets, "n_dropped": 0}

    def plot(self, *, ax: Any = None) -> Any:
        """Complaint rate per period with its interval."""
        return bar_plot(self.by_period, "complaint_rate", "period", ci=("complaint_rate_ci_lower", "complaint_rate_ci_upper"), ax=ax)


    def summary(self) -> Summary:
        tables = {"Overall": self.overall, "By period": self.by_period}
        if self.by_channel is not None:
            tables["By channel"] = self.by_channel
        return Summary(
            "Service-ticket KPIs",
            facts={"n_tickets": self.n_tickets, "period": self.settings.get("period")},
            tables=tables,
            notes=("Times in hours; resolution times among resolved tickets only.",),
        )


def _ticket_ids(frame: pd.DataFrame, ticket_id: str | None) -> pd.Series:
    if ticket_id is None:
        return pd.Series(frame.index, index=frame.index)
    return frame[ticket_id]


def _as_timestamps(col: pd.Series, name: str, ids: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(col):
        return col
    parsed = pd.to_datetime(col, errors="coerce")
    bad = parsed.isna() & col.notna()
    if bad.any():
        raise SurveyDataError(
            f"Column {name!r} has values that are not timestamps for tickets {quote_list(ids[bad].tolist())}: "
            f"{quote_list(col[bad].astype(str).unique().tolist())}. Fix them or set them to missing."
        )
    return parsed


def median_interval(x: np.ndarray, confidence: float) -> tuple[float, float]:
    """Distribution-free CI of a median from order statistics (binomial(n, 1/2) ranks).

    ``[x_(j), x_(n-j+1)]`` with the largest j such that ``P(B <= j - 1) <= (1 - confidence) / 2``,
    so coverage is at least ``confidence``; when no such j >= 1 exists (n < 6 at 95 %) the
    interval is ``[min, max]``, whose coverage ``1 - 2**(1-n)`` is lower. NaN for n = 0.
    """
    n = len(x)
    if n == 0:
        return float("nan"), float("nan")
    xs = np.sort(x)
    cdf = bdtr(np.arange(n), n, 0.5)  # P(B <= k), k = 0..n-1
    ok = np.nonzero(cdf <= (1 - confidence) / 2)[0]
    j = int(ok[-1]) + 1 if len(ok) else 1  # 1-based rank of the lower limit
    j = min(j, (n + 1) // 2)
    return float(xs[j - 1]), float(xs[n - j])


def _ticket_stats(
    g: pd.DataFrame, has_complaint: bool, has_contacts: bool, confidence: float
) -> dict[str, float]:
    n = len(g)
    out: dict[str, float] = {"n_tickets": n}
    if has_complaint:
        k = int(g["_complaint"].sum())
        lo, hi = wilson_interval(k / n, n, confidence)
        out.update(n_complaints=k, complaint_rate=k / n, complaint_rate_ci_lower=float(lo), complaint_rate_ci_upper=float(hi))
    rt = g["_response_h"].dropna().to_numpy()
    rt_lo, rt_hi = median_interval(rt, confidence)
    out.update(
        n_responded=len(rt),
        response_time_median_h=float(np.median(rt)) if len(rt) else np.nan,
        response_time_median_ci_lower_h=rt_lo,
        response_time_median_ci_upper_h=rt_hi,
        response_time_p90_h=float(np.quantile(rt, 0.9)) if len(rt) else np.nan,
    )
    res = g["_resolution_h"].notna()
    k = int(res.sum())
    lo, hi = wilson_interval(k / n, n, confidence)
    out.update(n_resolved=k, resolution_rate=k / n, resolution_rate_ci_lower=float(lo), resolution_rate_ci_upper=float(hi))
    if has_contacts:
        f = int((res & (g["_contacts"] == 1)).sum())
        lo, hi = wilson_interval(f / n, n, confidence)
        out.update(n_first_contact_resolved=f, fcr_rate=f / n, fcr_rate_ci_lower=float(lo), fcr_rate_ci_upper=float(hi))
    tt = g["_resolution_h"].dropna().to_numpy()
    tt_lo, tt_hi = median_interval(tt, confidence)
    out.update(
        resolution_time_median_h=float(np.median(tt)) if len(tt) else np.nan,
        resolution_time_median_ci_lower_h=tt_lo,
        resolution_time_median_ci_upper_h=tt_hi,
        resolution_time_mean_h=float(np.mean(tt)) if len(tt) else np.nan,
        resolution_time_p90_h=float(np.quantile(tt, 0.9)) if len(tt) else np.nan,
    )
    return out


def _ticket_table(
    work: pd.DataFrame, keys: list[str], has_complaint: bool, has_contacts: bool, confidence: float
) -> pd.DataFrame:
    columns = [
        c
        for c in _TICKET_COLUMNS
        if (has_complaint or "complaint" not in c) and (has_contacts or not c.startswith(("fcr", "n_first_contact")))
    ]
    if keys:
        rows = [
            {**dict(zip(keys, key if isinstance(key, tuple) else (key,))), **_ticket_stats(g, has_complaint, has_contacts, confidence)}
            for key, g in work.groupby(keys, sort=True, observed=True, dropna=False)  # one row per group, not per ticket
        ]
    else:
        rows = [_ticket_stats(work, has_complaint, has_contacts, confidence)]
    table = pd.DataFrame(rows, columns=[*keys, *columns])
    for c in columns:
        table[c] = table[c].astype("int64" if c.startswith("n_") else float)
    return table


def _ticket_times(tickets: pd.DataFrame, ticket_id: str | None, opened: str, first_response: str,
                  resolved: str) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Ticket ids and the three timestamps, checked: every ticket opened, nothing before its opening."""
    ids = _ticket_ids(tickets, ticket_id)
    t_open = _as_timestamps(tickets[opened], opened, ids)
    t_first = _as_timestamps(tickets[first_response], first_response, ids)
    t_res = _as_timestamps(tickets[resolved], resolved, ids)
    if t_open.isna().any():
        raise SurveyDataError(
            f"Tickets {quote_list(ids[t_open.isna()].tolist())} have no {opened!r} time. "
            "Every ticket needs its opening time; fix or drop them."
        )
    bad_first = (t_first < t_open).fillna(False).astype(bool)
    bad_res = (t_res < t_open).fillna(False).astype(bool)
    if bad_first.any() or bad_res.any():
        problems = [
            f"{i!r} ({'; '.join(p for p, flag in ((f'{first_response} before {opened}', bf), (f'{resolved} before {opened}', br)) if flag)})"
            for i, bf, br in zip(ids[bad_first | bad_res], bad_first[bad_first | bad_res], bad_res[bad_first | bad_res])
        ]
        n_bad = len(problems)
        shown = ", ".join(problems[:5]) + (f", and {n_bad - 5} more" if n_bad > 5 else "")
        raise SurveyDataError(
            f"{n_bad} ticket{'s have' if n_bad > 1 else ' has'} timestamps out of order: {shown}. "
            "Fix the timestamps or drop the ticket."
        )
    return ids, t_open, t_first, t_res


def _ticket_flags(work: pd.DataFrame, tickets: pd.DataFrame, ids: pd.Series, t_res: pd.Series, channel: str | None,
                  complaint: str | None, contacts: str | None) -> pd.DataFrame:
    """Add the checked channel, complaint flag and contact count columns to ``work``."""
    if channel is not None:
        ch = tickets[channel]
        if ch.isna().any():
            raise SurveyDataError(
                f"Tickets {quote_list(ids[ch.isna()].tolist())} have no {channel!r}. Fill it (e.g. 'unknown') or pass channel=None."
            )
        work["channel"] = ch.astype(str)
    if complaint is not None:
        raw = tickets[complaint]
        flag = pd.to_numeric(raw.astype(object).replace({True: 1, False: 0}), errors="coerce")
        bad = ~flag.isin([0, 1])
        if bad.any():
            raise SurveyDataError(
                f"Column {complaint!r} must be True/False or 1/0; tickets {quote_list(ids[bad].tolist())} have "
                f"{quote_list(raw[bad].astype(str).unique().tolist())}. Recode them."
            )
        work["_complaint"] = flag.astype(int)
    if contacts is not None:
        cnt = pd.to_numeric(tickets[contacts], errors="coerce")
        resolved_mask = t_res.notna()
        bad = (cnt.isna() & resolved_mask) | (cnt.notna() & ((cnt < 1) | (cnt % 1 != 0)))
        if bad.any():
            raise SurveyDataError(
                f"Column {contacts!r} must be a whole number >= 1 for every resolved ticket; tickets "
                f"{quote_list(ids[bad].tolist())} have {quote_list(tickets[contacts][bad].astype(str).unique().tolist())}."
            )
        work["_contacts"] = cnt
    return work


def ticket_kpis(
    tickets: pd.DataFrame,
    *,
    ticket_id: str | None = "ticket_id",
    opened: str = "opened",
    first_response: str = "first_response",
    resolved: str = "resolved",
    channel: str | None = "channel",
    complaint: str | None = "complaint",
    contacts: str | None = "contacts",
    period: str = "M",
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
) -> TicketKPIResult:
    """Service KPIs from a ticket table, per period and per channel.

    Parameters
    ----------
    tickets : pandas.DataFrame
        One row per ticket (customer contact case). Not modified.
    ticket_id : str or None
        Column with the ticket id used in error messages; ``None`` uses the index.
    opened, first_response, resolved : str
        Timestamp columns (datetime, or text that :func:`pandas.to_datetime` parses).
        ``opened`` is required for every ticket; a missing ``first_response`` means not yet
        answered and a missing ``resolved`` means never resolved (counted as unresolved).
    channel : str or None
        Channel column (phone, e-mail, ...); ``None`` skips the per-channel tables.
    complaint : str or None
        Complaint flag (bool or 0/1); ``None`` skips the complaint KPIs.
    contacts : str or None
        Number of contacts the ticket needed (>= 1); a resolved ticket with 1 contact is
        a first-contact resolution. ``None`` skips FCR.
    period : str
        Pandas period alias for the period of the ``opened`` time: "M" month, "Q",
        "W", "D", "Y".
    by : str or list of str, optional
        Extra grouping columns (region, product line) added before period/channel.
    confidence : float
        Confidence level of the Wilson intervals of the rates.

    Returns
    -------
    TicketKPIResult

    Raises
    ------
    SurveyDataError
        A missing column; a ticket without an opened time; timestamps out of order (first
        response or resolution before opened; the message names the tickets); an invalid
        complaint flag or contact count.

    Notes
    -----
    METHODS.md §7.5: complaint rate = complaints / tickets; response time = first
    response - opened; resolution rate = resolved / tickets; FCR = resolved at the first
    contact / tickets; time to resolution = resolved - opened. Per-transaction complaint
    rates need transaction counts: divide ``n_complaints`` by them. Resolution times are
    among resolved tickets only, so they are biased low for recent periods with many
    open tickets.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({
    ...     "ticket_id": ["T1", "T2", "T3"],
    ...     "opened": pd.to_datetime(["2024-01-02 09:00", "2024-01-05 10:00", "2024-02-01 08:00"]),
    ...     "first_response": pd.to_datetime(["2024-01-02 10:00", "2024-01-05 13:00", None]),
    ...     "resolved": pd.to_datetime(["2024-01-02 12:00", None, None]),
    ...     "channel": ["phone", "email", "phone"],
    ...     "complaint": [True, False, True],
    ...     "contacts": [1, 2, 1],
    ... })
    >>> res = ticket_kpis(t)
    >>> res.by_period[["period", "n_tickets", "complaint_rate", "response_time_median_h", "resolution_rate"]]
        period  n_tickets  complaint_rate  response_time_median_h  resolution_rate
    0  2024-01          2             0.5                     2.0              0.5
    1  2024-02          1             1.0                     NaN              0.0
    """
    where = "ticket_kpis()"
    if not isinstance(tickets, pd.DataFrame):
        raise SurveyDataError(f"{where} needs a DataFrame of tickets, got {type(tickets).__name__}.")
    confidence = check_param("confidence", confidence, where=where)
    if by is not None and not isinstance(by, (str, list, tuple)):
        raise ParameterError(f"The 'by' parameter of {where} must be a column name or a list of them. Got {by!r} instead.")
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    for name, value in (("opened", opened), ("first_response", first_response), ("resolved", resolved)):
        if not isinstance(value, str):
            raise ParameterError(f"The {name!r} parameter of {where} must be a column name. Got {value!r} instead.")
    for name, value in (("ticket_id", ticket_id), ("channel", channel), ("complaint", complaint),
                        ("contacts", contacts), *(("by", c) for c in by_cols)):
        if value is not None and not isinstance(value, Hashable):
            raise ParameterError(f"The {name!r} parameter of {where} must be a column name or None. "
                                 f"Got {value!r} instead.")
    needed = {
        "ticket_id": ticket_id,
        "opened": opened,
        "first_response": first_response,
        "resolved": resolved,
        "channel": channel,
        "complaint": complaint,
        "contacts": contacts,
    }
    missing = [f"{v!r} ({k}=)" for k, v in needed.items() if v is not None and v not in tickets.columns]
    missing += [repr(c) + " (by=)" for c in by_cols if c not in tickets.columns]
    if missing:
        raise SurveyDataError(
            f"The ticket table has no column {', '.join(missing)}. Columns: {quote_list(tickets.columns, limit=10)}. "
            "Pass the right column names as keywords."
        )
    if tickets.empty:
        raise SurveyDataError("The ticket table is empty; ticket_kpis() needs at least one ticket.")
    ids, t_open, t_first, t_res = _ticket_times(tickets, ticket_id, opened, first_response, resolved)
    work = pd.DataFrame(index=tickets.index)
    for c in by_cols:
        work[c] = tickets[c]
    hours = pd.Timedelta(hours=1)
    work["_response_h"] = (t_first - t_open) / hours
    work["_resolution_h"] = (t_res - t_open) / hours
    try:
        work["period"] = t_open.dt.to_period(period)
    except (ValueError, TypeError) as exc:
        raise ParameterError(
            f"The 'period' parameter of {where} must be a pandas period alias such as 'M', 'Q', 'W', 'D' or 'Y'. "
            f"Got {period!r} instead."
        ) from exc
    work = _ticket_flags(work, tickets, ids, t_res, channel, complaint, contacts)
    has_c, has_k = complaint is not None, contacts is not None
    overall = _ticket_table(work, by_cols, has_c, has_k, confidence)
    by_period = _ticket_table(work, [*by_cols, "period"], has_c, has_k, confidence)
    by_channel = by_pc = None
    if channel is not None:
        by_channel = _ticket_table(work, [*by_cols, "channel"], has_c, has_k, confidence)
        by_pc = _ticket_table(work, [*by_cols, "period", "channel"], has_c, has_k, confidence)
    return TicketKPIResult(
        overall=overall,
        by_period=by_period,
        by_channel=by_channel,
        by_period_channel=by_pc,
        n_tickets=len(tickets),
        settings={"period": period, "by": by_cols, "confidence": float(confidence)},
    )
