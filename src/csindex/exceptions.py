"""Every csindex exception and warning, in one place.

All user-facing errors subclass both :class:`CsindexError` and a builtin
(``ValueError`` mostly) so that existing ``except ValueError`` clauses keep
working.

Examples
--------
>>> from csindex.exceptions import SurveyDataError, CsindexError
>>> try:
...     raise SurveyDataError("Item 'IMAG1' has values outside the scale 1-10: 11 (1 row).")
... except CsindexError as err:
...     print(type(err).__name__, "-", err)
SurveyDataError - Item 'IMAG1' has values outside the scale 1-10: 11 (1 row).
"""

from __future__ import annotations

__all__ = [
    "CsindexError",
    "SurveyError",
    "SurveyDataError",
    "CodebookError",
    "SpecError",
    "ParameterError",
    "EstimationError",
    "ConvergenceError",
    "MissingDependencyError",
    "CsindexWarning",
    "MissingDataWarning",
    "ConvergenceWarning",
    "CollinearityWarning",
    "HeywoodWarning",
    "DiscriminantValidityWarning",
    "InferenceWarning",
]


class CsindexError(Exception):
    """Base class of every error raised by csindex."""


class SurveyError(CsindexError, ValueError):
    """Base class of errors about survey data or its codebook."""


class SurveyDataError(SurveyError):
    """The survey data is invalid: a value off the scale, text in a numeric item,
    a missing column, a duplicated id, an empty file, ..."""


class CodebookError(SurveyError):
    """The codebook is malformed or disagrees with the data."""


class SpecError(CsindexError, ValueError):
    """A model specification is invalid (syntax, unknown construct, cycle, ...)."""


class ParameterError(CsindexError, ValueError):
    """A function option has an invalid value (a confidence of 1, a negative resample count,
    an unknown scheme, ...); the message names the option, the function and what is allowed."""


class EstimationError(CsindexError, RuntimeError):
    """An estimator could not produce a valid result (singular matrix, engine failure, ...)."""


class ConvergenceError(EstimationError):
    """An iterative estimator did not converge and no valid result exists."""


class MissingDependencyError(CsindexError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class CsindexWarning(UserWarning):
    """Base class of every warning issued by csindex."""


class MissingDataWarning(CsindexWarning):
    """Rows or cells were dropped or imputed; the message gives the counts."""


class ConvergenceWarning(CsindexWarning):
    """An iterative estimator stopped at its iteration limit; results may be inaccurate."""


class CollinearityWarning(CsindexWarning):
    """Predictors are highly collinear (VIF above the threshold); coefficients are unstable."""


class HeywoodWarning(CsindexWarning):
    """An improper solution: a variance estimate is negative or fixed at its zero bound."""


class DiscriminantValidityWarning(CsindexWarning):
    """Two constructs correlate so highly that they may not be distinct."""


class InferenceWarning(CsindexWarning):
    """A statistical result is valid but its inference is questionable (e.g. failed resamples)."""
