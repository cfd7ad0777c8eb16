"""PLS path modeling (PLS-PM): Wold's algorithm in batched numpy, 0-100 indices,
quality criteria, a fast bootstrap and PLSpredict.

Examples
--------
>>> from csindex.pls import fit_pls, PLSResult
>>> callable(fit_pls)
True
"""

from __future__ import annotations

from .estimate import fit_pls
from .predict import PLSPredictResult, plspredict
from .results import PLSResult

__all__ = ["PLSPredictResult", "PLSResult", "fit_pls", "plspredict"]
