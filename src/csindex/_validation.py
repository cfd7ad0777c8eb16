"""Helpers that assemble error messages; the only place message formatting lives."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from .exceptions import ParameterError


def quote_list(values: Iterable[Any], limit: int = 5, conj: str = "and") -> str:
    """Quote values with ``repr`` and join them, stopping after ``limit``.

    Examples
    --------
    >>> quote_list(["a", "b"])
    "'a' and 'b'"
    >>> quote_list(list("abcdefg"))
    "'a', 'b', 'c', 'd', 'e', and 2 more"
    >>> quote_list(["x"])
    "'x'"
    """
    vals = [repr(v) for v in values]
    if len(vals) > limit:
        return ", ".join(vals[:limit]) + f", and {len(vals) - limit} more"
    if len(vals) <= 1:
        return "".join(vals)
    return ", ".join(vals[:-1]) + f" {conj} " + vals[-1]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return " Did you mean 'x'?" for the closest candidate, or "".

    Examples
    --------
    >>> did_you_mean("satisfation", ["satisfaction", "value"])
    " Did you mean 'satisfaction'?"
    >>> did_you_mean("zzz", ["satisfaction"])
    ''
    """
    matches = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f" Did you mean {matches[0]!r}?" if matches else ""


def check_option(name: str, value: Any, allowed: Sequence[Any], where: str) -> Any:
    """Validate that ``value`` is one of ``allowed``.

    Raises
    ------
    ParameterError
        (a ``CsindexError`` and ``ValueError``) with the message "The 'name' parameter of where must be one of ...".

    Examples
    --------
    >>> check_option("scheme", "path", ("path", "centroid"), "fit_pls")
    'path'
    >>> check_option("scheme", "paht", ("path", "centroid"), "fit_pls")
    Traceback (most recent call last):
    ...
    csindex.exceptions.ParameterError: The 'scheme' parameter of fit_pls must be one of 'path' or 'centroid'. Got 'paht' instead. Did you mean 'path'?
    """
    if value not in allowed:
        hint = did_you_mean(value, [str(a) for a in allowed]) if isinstance(value, str) else ""
        raise ParameterError(
            f"The {name!r} parameter of {where} must be one of {quote_list(allowed, limit=10, conj='or')}. "
            f"Got {value!r} instead.{hint}"
        )
    return value
