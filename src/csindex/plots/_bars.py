"""Bars of a few numbers with their intervals: the plot of results that are shares, rates or
differences (NPS categories, a return rate, index differences, AHP weights, ...)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..exceptions import ParameterError
from ._base import as_frame
from ._charts import driver_chart

__all__ = ["bar_plot"]


def bar_plot(table: pd.DataFrame, value: str, key: str, ci: tuple[str, str] | None = None,
             group: str | None = None, ax: Any = None) -> Any:
    """Bars of ``table[value]`` per ``table[key]`` with optional interval columns: the plot of
    results whose numbers are a few shares, rates or differences (:func:`csindex.plots.driver_chart`)."""
    table = as_frame(table, "table", "bar_plot")
    if not isinstance(key, str) or not isinstance(value, str):
        raise ParameterError(f"The 'key' and 'value' parameters of bar_plot must be column names. "
                             f"Got key={key!r}, value={value!r} instead.")
    if ci is not None and (isinstance(ci, str) or not isinstance(ci, (list, tuple)) or len(ci) != 2):
        raise ParameterError(f"The 'ci' parameter of bar_plot must be a pair of column names (lower, upper) or "
                             f"None. Got {ci!r} instead.")
    lo, hi = ci if ci is not None else (None, None)
    return driver_chart(table.rename(columns={key: "driver"}) if key != "driver" else table, value=value,
                        driver="driver", ci_lower=lo, ci_upper=hi, group=group, ax=ax)
