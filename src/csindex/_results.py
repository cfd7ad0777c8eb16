"""The result contract every csindex result class follows (``docs/dev/results.md``).

* Class names end in ``Result``.
* Every table is tidy: a plain ``RangeIndex`` and its key as a column (``item``,
  ``construct``, ``driver``, ...), never only as the index.
* ``index`` is always the 0–100 index table with the columns :data:`INDEX_COLUMNS`
  (``construct, index, std_error, ci_lower, ci_upper``; extra columns may follow).
* ``r_squared`` is always a table.
* ``settings`` always holds ``n_used``, ``n_dropped`` and ``seed`` (the resolved int seed, or
  ``None`` when nothing random ran).
* ``summary()`` returns a :class:`~csindex._summary.Summary`; ``plot()`` returns a Display.

:class:`ResultMixin` enforces the table and settings rules when a result is built, so every
estimator gets them from one place instead of each module remembering them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._summary import SummaryMixin

__all__ = ["INDEX_COLUMNS", "REQUIRED_SETTINGS", "ResultMixin", "ScalarTable", "index_table", "tidy",
           "deprecated_aliases"]

INDEX_COLUMNS = ("construct", "index", "std_error", "ci_lower", "ci_upper")
REQUIRED_SETTINGS = ("n_used", "n_dropped", "seed")


class ScalarTable(pd.DataFrame):
    """A one-headline table that still reads as its old scalar for one release.

    ``DualEvaluationResult.index`` and ``DriverWeightsResult.index`` / ``.r_squared`` used to be
    floats. They are now tables, as everywhere else; ``float(res.index)`` and
    ``f"{res.index:.1f}"`` keep working with a ``FutureWarning`` naming the replacement.
    Anything derived from it (``.loc``, ``.round()``, ...) is a plain DataFrame.
    """

    _metadata = ["_scalar_column", "_replacement"]

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def _scalar(self) -> float:
        warnings.warn(
            f"Using this table as a number is deprecated; it is a table now. Use {self._replacement} instead.",
            FutureWarning,
            stacklevel=3,
        )
        return float(self[self._scalar_column].iloc[0])

    def __float__(self) -> float:
        return self._scalar()

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        return format(self._scalar(), spec)


def scalar_table(frame: pd.DataFrame, column: str, replacement: str) -> ScalarTable:
    """Wrap a one-row table so that ``float()``/format specs still give ``frame[column]``."""
    out = ScalarTable(frame)
    out._scalar_column = column
    out._replacement = replacement
    return out


def index_table(construct: Any, index: Any, std_error: Any = np.nan, ci_lower: Any = np.nan,
                ci_upper: Any = np.nan, **extra: Any) -> pd.DataFrame:
    """The standard 0–100 index table (columns :data:`INDEX_COLUMNS`, then ``extra``).

    Examples
    --------
    >>> index_table(["SAT"], [71.25], 0.5, 70.3, 72.2).columns.tolist()
    ['construct', 'index', 'std_error', 'ci_lower', 'ci_upper']
    """
    cols = {"construct": np.atleast_1d(np.asarray(construct, dtype=object)).astype(str)}
    n = len(cols["construct"])
    for name, value in (("index", index), ("std_error", std_error), ("ci_lower", ci_lower), ("ci_upper", ci_upper)):
        cols[name] = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
    for name, value in extra.items():
        cols[name] = value
    return pd.DataFrame(cols)


def tidy(frame: pd.DataFrame, key: str | None = None) -> pd.DataFrame:
    """The key as a column and a fresh ``RangeIndex`` (no-op for an already tidy table)."""
    if isinstance(frame.index, pd.RangeIndex) and frame.index.name is None:
        return frame
    names = [n for n in frame.index.names if n is not None]
    if names and not any(n in frame.columns for n in names):
        return frame.reset_index()
    if key is not None and key not in frame.columns:
        out = frame.reset_index(drop=False)
        return out.rename(columns={out.columns[0]: key})
    return frame.reset_index(drop=True)


class ResultMixin(SummaryMixin):
    """Applies the result contract at construction (tables tidy, settings complete).

    Subclasses are frozen dataclasses; they list their table attributes and keys in
    ``_tables`` ({attribute: key column}).
    """

    _tables: ClassVar[Mapping[str, str]] = {}

    def __post_init__(self) -> None:
        for attr, key in self._tables.items():
            value = getattr(self, attr, None)
            if isinstance(value, pd.DataFrame):
                object.__setattr__(self, attr, tidy(value, key))
        settings = dict(getattr(self, "settings", None) or {})
        for name, value in self._default_counts().items():
            settings.setdefault(name, value)
        for name in REQUIRED_SETTINGS:
            settings.setdefault(name, None)
        object.__setattr__(self, "settings", settings)

    def _default_counts(self) -> dict[str, Any]:
        """``n_used``/``n_dropped`` from the result's own counts, for results that keep them
        as attributes (overridden by those classes)."""
        return {}


def deprecated_aliases(module_name: str, aliases: Mapping[str, Any]) -> Any:
    """A module ``__getattr__`` serving old class names with a ``FutureWarning``.

    Examples
    --------
    >>> getattr_ = deprecated_aliases("m", {"Old": int})
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     getattr_("Old") is int, w[0].category.__name__
    (True, 'FutureWarning')
    """

    def __getattr__(name: str) -> Any:
        if name in aliases:
            new = aliases[name]
            warnings.warn(
                f"{module_name}.{name} is renamed {new.__name__}; the old name will stop working in the next release.",
                FutureWarning,
                stacklevel=2,
            )
            return new
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__
