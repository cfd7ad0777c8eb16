"""Data checks shared by the single- and multi-group fits."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._params import ScaleRange, check_param
from .._validation import quote_list
from ..exceptions import EstimationError, InferenceWarning, SurveyDataError
from ._engine import Structure


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _warn(message: str, category: type[Warning]) -> None:
    """Warn at the first caller outside csindex (however many wrappers sit in between)."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


# --------------------------------------------------------------------------- data
def _resolve_data(data: Any) -> tuple[pd.DataFrame, pd.Series | None, Any]:
    if hasattr(data, "responses") and hasattr(data, "codebook"):
        return data.responses, getattr(data, "weights", None), data
    if isinstance(data, pd.DataFrame):
        return data, None, None
    raise SurveyDataError(f"fit_sem() needs a pandas DataFrame or a csindex Survey, got {type(data).__name__}.")


def _scale_bounds(items: list[str], x: np.ndarray, scale: Any, survey: Any) -> tuple[np.ndarray, np.ndarray, str]:
    scale = check_param("scale", scale, ScaleRange(per_item=True, ordered=False), "fit_sem")
    if scale is not None:
        if isinstance(scale, Mapping):
            missing = [i for i in items if i not in scale]
            if missing:
                raise SurveyDataError(f"scale= gives no bounds for item(s) {quote_list(missing)}.")
            lo = np.array([float(scale[i][0]) for i in items])
            hi = np.array([float(scale[i][1]) for i in items])
        else:
            lo = np.full(len(items), float(scale[0]))
            hi = np.full(len(items), float(scale[1]))
        src = "given"
    elif survey is not None:
        bounds = [survey.scale(i) for i in items]
        lo = np.array([b[0] for b in bounds])
        hi = np.array([b[1] for b in bounds])
        src = "codebook"
    else:
        lo = np.full(len(items), float(np.nanmin(x)))
        hi = np.full(len(items), float(np.nanmax(x)))
        src = "inferred"
    bad = [i for i, a, b in zip(items, lo, hi) if not b > a]
    if bad:
        raise SurveyDataError(f"Item(s) {quote_list(bad)} have an empty scale (max <= min). Pass scale=(min, max).")
    return lo, hi, src


def _check_sample_cov(s: np.ndarray, items: list[str], n: int) -> None:
    var = np.diag(s)
    const = [i for i, v in zip(items, var) if v <= 1e-12 * max(1.0, float(np.max(var)))]
    if const:
        raise EstimationError(
            f"Item(s) {quote_list(const)} have zero variance in the data used; a covariance model cannot "
            "use a constant item. Remove it from the model."
        )
    if n <= len(items):
        raise EstimationError(
            f"Only {n} complete observations for {len(items)} items: the sample covariance matrix is singular. "
            "Use more data or fewer items."
        )
    d = 1 / np.sqrt(var)
    r = s * np.outer(d, d)
    if np.linalg.eigvalsh(r)[0] < 1e-8:
        w, vec = np.linalg.eigh(r)
        v = np.abs(vec[:, 0])
        involved = [items[k] for k in np.argsort(-v) if v[k] > 0.1][:6]
        raise EstimationError(
            "The sample covariance matrix is not positive definite (smallest eigenvalue of the correlation "
            f"matrix {w[0]:.2e}): items {quote_list(involved)} are linearly dependent. Remove one of them."
        )


def _moments(x: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    if w is None:
        mean = x.mean(axis=0)
        xc = x - mean
        return mean, xc.T @ xc / len(x)
    mean = w @ x
    xc = x - mean
    return mean, (xc * w[:, None]).T @ xc


def _param_name(structure: Structure, k: int) -> str:
    for par in structure.params:
        if par.free and par.index == k:
            return f"{par.lhs} {par.op} {par.rhs}"
    return f"parameter {k}"


def _invert_information(structure: Structure, info: np.ndarray, n: int,
                        extra_names: list[str] | None = None) -> np.ndarray:
    """Covariance of the estimates ``(2/N) info^-1`` (``info`` = information of F_ML).

    Raises only when the model is not identified: a free parameter that does not enter the
    likelihood (a zero row), or an information matrix singular to machine precision. A
    nearly singular one (an improper or empirically under-identified solution) is inverted
    with an :class:`~csindex.exceptions.InferenceWarning` naming the parameters involved;
    variances that come out negative give NaN standard errors (the reason goes to
    ``settings["se_note"]`` through the result's notes), as lavaan reports them.
    """
    info = 0.5 * (info + info.T)
    names = [_param_name(structure, k) for k in range(structure.n_free)] + list(extra_names or [])
    names += [f"parameter {k}" for k in range(len(names), len(info))]
    scale = max(float(np.abs(info).max()), 1e-300)
    zero = [names[k] for k in np.flatnonzero(np.abs(info).max(axis=1) <= 1e-14 * scale)]
    if zero:
        raise EstimationError(
            f"The model is not identified: parameter(s) {quote_list(zero)} do not enter the likelihood "
            "(no item depends on them). Remove them or fix them to a value."
        )
    w, vec = np.linalg.eigh(info)
    if w[0] > 1e-10 * w[-1]:
        cov = 2.0 / n * np.linalg.inv(info)
        # lavaan's check: a vcov eigenvalue below -eps^(3/4) (rounding at a huge condition number)
        if np.linalg.eigvalsh(0.5 * (cov + cov.T))[0] >= -np.finfo(float).eps ** 0.75:
            return cov
    v = np.abs(vec[:, 0])
    involved = [names[k] for k in np.argsort(-v) if v[k] > 0.1][:6]
    if w[0] <= 1e-14 * w[-1]:
        raise EstimationError(
            "The model is not identified: the information matrix is singular (eigenvalue "
            f"{w[0]:.2e}). Parameters involved: {quote_list(involved)}. Fix a loading or a variance of the "
            "construct(s) concerned, or give constructs at least two (three for a lone construct) items."
        )
    cov = 2.0 / n * np.linalg.inv(info)
    bad = np.flatnonzero(np.diag(cov) < 0)
    cov[bad, :] = np.nan
    cov[:, bad] = np.nan
    _warn(
        f"The information matrix is nearly singular (smallest eigenvalue {w[0]:.2e}, {w[0] / w[-1]:.1e} of the "
        f"largest): the estimates of {quote_list(involved)} are poorly determined and their standard errors "
        "unreliable" + (f"; {len(bad)} standard error(s) do not exist (negative variance) and are NaN" if len(bad)
                        else "") + ". The solution may be improper or the model empirically under-identified.",
        InferenceWarning,
    )
    return cov
