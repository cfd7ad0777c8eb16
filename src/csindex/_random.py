"""One seed resolver for every random procedure (bootstrap, permutations, folds).

Like scikit-learn's ``check_random_state``, but the result also carries the seed to record:
every result stores an ``int`` in ``settings["seed"]`` that reproduces the run exactly,
whatever the caller passed (an int, a :class:`numpy.random.Generator` or ``None``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .exceptions import ParameterError

__all__ = ["ResolvedSeed", "resolve_seed"]

_MAX_SEED = 2**63 - 1


class ResolvedSeed(NamedTuple):
    """A generator and the non-negative ``int`` seed that recreates it."""

    rng: np.random.Generator
    seed: int


def resolve_seed(seed: Any, where: str = "this function") -> ResolvedSeed:
    """Turn ``seed`` into a generator plus the ``int`` seed to record.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None
        An int is used as is; a Generator is asked for a fresh int (so the caller's generator
        advances, as with any draw); ``None`` draws an int from OS entropy.
    where : str
        The public function, for the error message.

    Returns
    -------
    ResolvedSeed
        ``rng`` is ``numpy.random.default_rng(seed)`` and ``seed`` the recorded int.

    Raises
    ------
    ParameterError
        (a ``CsindexError`` and ``ValueError``) for a negative int, a bool, a float or any other type.

    Examples
    --------
    >>> from csindex._random import resolve_seed
    >>> a, b = resolve_seed(7), resolve_seed(7)
    >>> a.seed, float(a.rng.random()) == float(b.rng.random())
    (7, True)
    >>> import numpy as np
    >>> r = resolve_seed(np.random.default_rng(1))
    >>> float(resolve_seed(r.seed).rng.random()) == float(np.random.default_rng(r.seed).random())
    True
    """
    if isinstance(seed, np.random.Generator):
        value = int(seed.integers(0, _MAX_SEED))
    elif seed is None:
        value = int(np.random.SeedSequence().entropy % _MAX_SEED)  # type: ignore[operator]
    elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        value = int(seed)
    else:
        raise ParameterError(
            f"The 'seed' parameter of {where} must be a non-negative int, a numpy Generator or None. "
            f"Got {seed!r} instead."
        )
    return ResolvedSeed(np.random.default_rng(value), value)
