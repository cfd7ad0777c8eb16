"""The satisfaction bands of C = b/a and of b − a: one classifier for the scores and the plots.

METHODS.md §0.1: ``C == 0`` unmet, ``C < 1 − tol`` dissatisfied, ``|C − 1| ≤ tol`` fairly
satisfied, ``C > 1 + tol`` very satisfied; disconfirmation ``D = b − a``: ``D < −tol`` negative,
``|D| ≤ tol`` confirmation, ``D > tol`` positive.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["RATIO_BANDS", "DIFFERENCE_BANDS", "classify_ratio", "classify_difference", "ratio_band_shares"]

RATIO_BANDS = ("unmet", "dissatisfied", "fairly satisfied", "very satisfied")
DIFFERENCE_BANDS = ("negative disconfirmation", "confirmation", "positive disconfirmation")


def classify_ratio(c: Any, tol: float = 0.05) -> np.ndarray:
    """Band code per ratio: 0 unmet, 1 dissatisfied, 2 fairly satisfied, 3 very satisfied, -1 NaN.

    Values within ``1e-9`` of the tolerance edge count as fairly satisfied (1.05 − 1 is not
    exactly 0.05 in floating point).

    Examples
    --------
    >>> classify_ratio([0.0, 0.8, 0.95, 1.0, 1.05, 1.2, float("nan")]).tolist()
    [0, 1, 2, 2, 2, 3, -1]
    """
    r = np.asarray(c, dtype=np.float64)
    eps = 1e-9 * max(tol, 1.0)
    with np.errstate(invalid="ignore"):
        out = (r >= 1.0 - tol - eps).view(np.int8) + (r > 1.0 + tol + eps).view(np.int8) + np.int8(1)
        out[r == 0] = 0
    out[np.isnan(r)] = -1
    return out


def classify_difference(d: np.ndarray, tol: float) -> np.ndarray:
    eps = 1e-9 * max(tol, 1.0)
    d = np.asarray(d, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out = (d >= -(tol + eps)).view(np.int8) + (d > tol + eps).view(np.int8)
    out[np.isnan(d)] = -1
    return out



def ratio_band_shares(ratios: Any, tol: float = 0.05) -> pd.Series:
    """Unweighted share of ratios per band (``unmet`` only when present), classified by
    :func:`classify_ratio`.

    Examples
    --------
    >>> ratio_band_shares([0.8, 0.9, 1.0, 1.02, 1.2, 1.3]).round(3).to_dict()
    {'dissatisfied': 0.333, 'fairly satisfied': 0.333, 'very satisfied': 0.333}
    """
    codes = classify_ratio(ratios, tol)
    codes = codes[codes >= 0]
    counts = np.bincount(codes, minlength=4).astype(np.float64)
    shares = pd.Series(counts / max(len(codes), 1), index=pd.Index(RATIO_BANDS, name="band"), name="share")
    return shares if counts[0] else shares.drop("unmet")
