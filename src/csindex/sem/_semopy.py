"""The semopy adapter: the only module of csindex that imports semopy (lazily)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import EstimationError
from ..spec import ModelSpec
from . import _engine as eng


# --------------------------------------------------------------------------- semopy
def _semopy_model(spec: ModelSpec):
    import semopy

    return semopy.Model(spec.to_semopy())


def _semopy_solution(spec: ModelSpec, structure: eng.Structure, cov: pd.DataFrame, n: int, max_iter: int,
                     obj: str = "MLW") -> np.ndarray:
    """Optimise with semopy (SLSQP, ftol 1e-12) on the sample covariance (divisor N) and map
    its solution onto csindex's parameters."""
    model = _semopy_model(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(cov=cov, n_samples=n, obj=obj, solver="SLSQP",
                  options={"ftol": 1e-12, "maxiter": max(max_iter, 10000)})
    return _theta_from_semopy_matrices(structure, model)


def _theta_from_semopy_matrices(structure: eng.Structure, model: Any) -> np.ndarray:
    """Read the estimates from semopy's fitted matrices (faster than ``inspect()``, which also
    computes standard errors)."""
    mats = {eng.LAM: (model.mx_lambda, model.names_lambda), eng.BET: (model.mx_beta, model.names_beta),
            eng.PSI: (model.mx_psi, model.names_psi), eng.THE: (model.mx_theta, model.names_theta)}
    pos = {code: ({n: k for k, n in enumerate(names[0])}, {n: k for k, n in enumerate(names[1])})
           for code, (_, names) in mats.items()}
    rows_of = {eng.LAM: structure.observed, eng.BET: structure.latent, eng.PSI: structure.latent,
               eng.THE: structure.observed}
    cols_of = {eng.LAM: structure.latent, eng.BET: structure.latent, eng.PSI: structure.latent,
               eng.THE: structure.observed}
    theta = np.zeros(structure.n_free)
    for par in structure.params:
        if not par.free:
            continue
        rname, cname = rows_of[par.mat][par.row], cols_of[par.mat][par.col]
        rmap, cmap = pos[par.mat]
        if rname not in rmap or cname not in cmap:
            raise EstimationError(f"semopy did not report the parameter '{par.lhs} {par.op} {par.rhs}'.")
        theta[par.index] = mats[par.mat][0][rmap[rname], cmap[cname]]
    return theta


