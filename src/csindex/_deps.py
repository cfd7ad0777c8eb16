"""Lazy import of optional dependencies with an error that names the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from .exceptions import MissingDependencyError

# module name -> (pip package, csindex extra)
_EXTRAS: dict[str, tuple[str, str]] = {
    "pyreadstat": ("pyreadstat", "io"),
    "openpyxl": ("openpyxl", "io"),
    "pyarrow": ("pyarrow", "io"),
    "sqlalchemy": ("sqlalchemy", "db"),
    "psycopg": ("psycopg[binary]", "db"),
    "duckdb": ("duckdb", "db"),
    "dask": ("dask[distributed]", "dask"),
    "distributed": ("dask[distributed]", "dask"),
}


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"pyreadstat"``.
    purpose : str
        What needs it, used in the message, e.g. ``"Reading SPSS files"``.

    Examples
    --------
    >>> require("math", "Arithmetic").sqrt(4.0)
    2.0
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package, extra = _EXTRAS.get(module, (module, ""))
        how = f'pip install "csindex[{extra}]"' if extra else f"pip install {package}"
        raise MissingDependencyError(
            f"{purpose} needs the optional package {package!r}, which is not installed. "
            f"Install it with: {how}."
        ) from exc
