"""PLS path modeling (PLS-PM): Wold's algorithm in batched numpy, 0-100 indices,
quality criteria and a fast bootstrap.

Examples
--------
>>> from csindex.pls import fit_pls, PLSResult
>>> callable(fit_pls)
True
"""

from __future__ import annotations

from .estimate import fit_pls
from .results import PLSResult

__all__ = ["fit_pls", "PLSResult"]
