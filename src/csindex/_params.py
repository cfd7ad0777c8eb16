"""Option validation: each option's constraint is declared once, every error reads the same.

After scikit-learn's ``_param_validation``: constraints are data (:class:`Interval`,
:class:`Options`, :class:`Count`, ...), :data:`COMMON` declares the options many functions share
(``confidence``, ``bootstrap``, ``seed``, ``n_jobs``, ...), and :func:`validate_params`
checks a function's arguments against them before the function runs. Every failure is a
:class:`~csindex.exceptions.ParameterError` (a ``CsindexError`` and ``ValueError``) with one
message template: "The 'x' parameter of f must be ... Got y instead."

:func:`renamed` accepts an old spelling of an option for one release with a ``FutureWarning``.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ._validation import did_you_mean, quote_list
from .exceptions import ParameterError

__all__ = [
    "Constraint", "Interval", "Options", "Count", "Boolean", "Instance", "AnyOf", "SeedLike", "ScaleRange",
    "COMMON", "check_param", "validate_params", "renamed",
]

F = TypeVar("F", bound=Callable[..., Any])


class Constraint:
    """A rule an option value must follow; ``describe()`` completes "must be ..."."""

    def is_satisfied_by(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def convert(self, value: Any) -> Any:
        """The value to pass on once satisfied (e.g. a numpy int as a Python int)."""
        return value


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class Interval(Constraint):
    """A real number in an interval; ``closed`` is "both", "left", "right" or "neither".

    Examples
    --------
    >>> Interval(0, 1, closed="neither").is_satisfied_by(0.95)
    True
    >>> Interval(0, 1, closed="neither").describe()
    'a number strictly between 0 and 1'
    """

    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def is_satisfied_by(self, value: Any) -> bool:
        if not _is_real(value) or not math.isfinite(float(value)):
            return False
        v = float(value)
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and (v < self.low or (v == self.low and not left)):
            return False
        if self.high is not None and (v > self.high or (v == self.high and not right)):
            return False
        return True

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            if self.closed == "neither":
                return f"a number strictly between {self.low:g} and {self.high:g}"
            if self.closed == "both":
                return f"a number from {self.low:g} to {self.high:g}"
            lo = "[" if self.closed == "left" else "("
            hi = "]" if self.closed == "right" else ")"
            return f"a number in {lo}{self.low:g}, {self.high:g}{hi}"
        if self.low is not None:
            op = ">=" if self.closed in ("both", "left") else ">"
            return f"a finite number {op} {self.low:g}"
        if self.high is not None:
            op = "<=" if self.closed in ("both", "right") else "<"
            return f"a finite number {op} {self.high:g}"
        return "a finite number"

    def convert(self, value: Any) -> Any:
        return float(value)


@dataclass(frozen=True)
class Count(Constraint):
    """A whole number (int, numpy integer) with ``minimum <= value``; ``True`` and 2.7 fail.

    Examples
    --------
    >>> Count(0).is_satisfied_by(True), Count(0).is_satisfied_by(2.7), Count(0).is_satisfied_by(5)
    (False, False, True)
    """

    minimum: int = 0
    maximum: int | None = None

    def is_satisfied_by(self, value: Any) -> bool:
        if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
            return False
        return value >= self.minimum and (self.maximum is None or value <= self.maximum)

    def describe(self) -> str:
        if self.maximum is not None:
            return f"a whole number from {self.minimum} to {self.maximum}"
        return f"a whole number >= {self.minimum}"

    def convert(self, value: Any) -> Any:
        return int(value)


@dataclass(frozen=True)
class Options(Constraint):
    """One of a fixed set of values (strings mostly).

    Examples
    --------
    >>> Options("path", "centroid").describe()
    "one of 'path' or 'centroid'"
    """

    choices: tuple[Any, ...]

    def __init__(self, *choices: Any) -> None:
        object.__setattr__(self, "choices", tuple(choices))

    def is_satisfied_by(self, value: Any) -> bool:
        try:
            return value in self.choices
        except TypeError:  # unhashable or incomparable value
            return False

    def describe(self) -> str:
        return f"one of {quote_list(self.choices, limit=12, conj='or')}"

    def hint(self, value: Any) -> str:
        return did_you_mean(value, [str(c) for c in self.choices]) if isinstance(value, str) else ""


@dataclass(frozen=True)
class Boolean(Constraint):
    """``True`` or ``False`` (numpy bools too)."""

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))

    def describe(self) -> str:
        return "True or False"

    def convert(self, value: Any) -> Any:
        return bool(value)


@dataclass(frozen=True)
class Instance(Constraint):
    """An instance of one of ``types``; ``None`` when ``types`` contains ``type(None)``."""

    types: tuple[type, ...]
    label: str

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, self.types)

    def describe(self) -> str:
        return self.label


@dataclass(frozen=True)
class AnyOf(Constraint):
    """Satisfied when any of the constraints is; ``None`` is allowed with ``none_ok``."""

    constraints: tuple[Constraint, ...]
    none_ok: bool = False

    def __init__(self, *constraints: Constraint, none_ok: bool = False) -> None:
        object.__setattr__(self, "constraints", tuple(constraints))
        object.__setattr__(self, "none_ok", none_ok)

    def _first(self, value: Any) -> Constraint | None:
        return next((c for c in self.constraints if c.is_satisfied_by(value)), None)

    def is_satisfied_by(self, value: Any) -> bool:
        return (value is None and self.none_ok) or self._first(value) is not None

    def describe(self) -> str:
        parts = [c.describe() for c in self.constraints] + (["None"] if self.none_ok else [])
        return ", ".join(parts[:-1]) + " or " + parts[-1] if len(parts) > 1 else parts[0]

    def convert(self, value: Any) -> Any:
        first = self._first(value)
        return value if first is None else first.convert(value)


@dataclass(frozen=True)
class SeedLike(Constraint):
    """A non-negative int, a :class:`numpy.random.Generator` or ``None``."""

    def is_satisfied_by(self, value: Any) -> bool:
        return value is None or isinstance(value, np.random.Generator) or Count(0).is_satisfied_by(value)

    def describe(self) -> str:
        return "a non-negative int, a numpy Generator or None"


#: Options shared by many public functions, declared once.
def _scale_pair(value: Any, ordered: bool = True) -> tuple[float, float] | None:
    if isinstance(value, (str, bytes, Mapping)):
        return None
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (lo, hi) if math.isfinite(lo) and math.isfinite(hi) and (lo < hi or not ordered) else None


@dataclass(frozen=True)
class ScaleRange(Constraint):
    """A rating scale ``(min, max)``: finite numbers with min < max; with ``per_item`` also a
    dict item -> (min, max); ``None`` (scale from the codebook or the data) passes. With
    ``ordered=False`` min >= max passes (for callers that name the offending items themselves).

    Examples
    --------
    >>> ScaleRange().is_satisfied_by((1, 10)), ScaleRange().is_satisfied_by((1, float("inf")))
    (True, False)
    """

    per_item: bool = False
    ordered: bool = True

    def is_satisfied_by(self, value: Any) -> bool:
        if value is None:
            return True
        if isinstance(value, Mapping):
            return self.per_item and all(_scale_pair(v, self.ordered) is not None for v in value.values())
        return _scale_pair(value, self.ordered) is not None

    def describe(self) -> str:
        pair = "a (min, max) pair of finite numbers" + (" with min < max" if self.ordered else "")
        return pair + (", a dict item -> (min, max)," if self.per_item else "") + " or None"

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Mapping):
            return {k: _scale_pair(v, self.ordered) for k, v in value.items()}
        return _scale_pair(value, self.ordered)


COMMON: dict[str, Constraint] = {
    "confidence": Interval(0, 1, closed="neither"),
    "bootstrap": Count(0),
    "n_permutations": Count(1),
    "seed": SeedLike(),
    "n_jobs": AnyOf(Count(1), Options(-1), none_ok=True),
    "progress": AnyOf(Boolean(), none_ok=True),
    "tol": Interval(0, None, closed="neither"),
    "max_iter": Count(1),
}


def check_param(name: str, value: Any, constraint: Constraint | None = None, where: str = "this function") -> Any:
    """Check one option and return it (converted, e.g. a numpy int to ``int``).

    ``constraint`` defaults to the shared declaration in :data:`COMMON`.

    Examples
    --------
    >>> check_param("confidence", 0.9, where="fit_pls")
    0.9
    >>> check_param("confidence", 1, where="fit_pls")
    Traceback (most recent call last):
    ...
    csindex.exceptions.ParameterError: The 'confidence' parameter of fit_pls must be a number strictly between 0 and 1. Got 1 instead.
    """
    rule = COMMON[name] if constraint is None else constraint
    if rule.is_satisfied_by(value):
        return rule.convert(value)
    hint = rule.hint(value) if isinstance(rule, Options) else ""
    raise ParameterError(
        f"The {name!r} parameter of {where} must be {rule.describe()}. Got {value!r} instead.{hint}"
    )


def validate_params(constraints: Mapping[str, Constraint] | None = None, *, common: tuple[str, ...] = (),
                    where: str | None = None) -> Callable[[F], F]:
    """Decorator: check the named arguments of each call before the function runs.

    Parameters
    ----------
    constraints : mapping of str to Constraint
        Options specific to the function.
    common : tuple of str
        Names of shared options whose constraint comes from :data:`COMMON`.
    where : str
        Name in messages (defaults to the function's name).

    Examples
    --------
    >>> @validate_params({"scheme": Options("path", "centroid")}, common=("confidence",))
    ... def fit(data=None, *, scheme="path", confidence=0.95):
    ...     return scheme, confidence
    >>> fit(scheme="centroid")
    ('centroid', 0.95)
    >>> fit(scheme="paht")
    Traceback (most recent call last):
    ...
    csindex.exceptions.ParameterError: The 'scheme' parameter of fit must be one of 'path' or 'centroid'. Got 'paht' instead. Did you mean 'path'?
    """
    rules: dict[str, Constraint] = {name: COMMON[name] for name in common}
    rules.update(constraints or {})

    def decorate(func: F) -> F:
        sig = inspect.signature(func)
        unknown = set(rules) - set(sig.parameters)
        if unknown:  # a programming error in csindex itself, caught at import time
            raise TypeError(f"validate_params names parameters {sorted(unknown)} that {func.__name__} lacks")
        label = where or func.__name__

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = sig.bind_partial(*args, **kwargs)
            except TypeError:
                return func(*args, **kwargs)  # let Python report the wrong call
            for name, value in bound.arguments.items():
                rule = rules.get(name)
                if rule is not None:
                    bound.arguments[name] = check_param(name, value, rule, label)
            return func(*bound.args, **bound.kwargs)

        wrapper.__signature__ = sig  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def renamed(**old_to_new: str) -> Callable[[F], F]:
    """Decorator: accept an old option name for one release, with a ``FutureWarning``.

    Examples
    --------
    >>> import warnings
    >>> @renamed(n_resamples="bootstrap")
    ... def f(*, bootstrap=0):
    ...     return bootstrap
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     f(n_resamples=5), caught[0].category.__name__
    (5, 'FutureWarning')
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise ParameterError(
                            f"{func.__name__} got both {old!r} and {new!r}; {old!r} is the old name of "
                            f"{new!r}. Pass only {new!r}."
                        )
                    warnings.warn(
                        f"The {old!r} parameter of {func.__name__} is renamed {new!r}; {old!r} will stop "
                        "working in the next release.",
                        FutureWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
