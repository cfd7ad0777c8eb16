"""Covariance-based structural equation modelling (CB-SEM) with lavaan's definitions.

Laid out like :mod:`csindex.pls`: ``_engine`` (the ML / Fisher-scoring engine, numpy
only), ``estimate`` (:func:`fit_sem`), ``results`` (:class:`SEMResult`), ``bootstrap``,
``fiml`` (full-information ML), ``multigroup`` (:func:`fit_sem_multigroup`) and
``_semopy`` (the semopy adapter, the only module importing semopy, lazily).

Examples
--------
>>> from csindex.sem import fit_sem, fit_sem_multigroup, SEMResult
>>> callable(fit_sem)
True
"""

from __future__ import annotations

from .estimate import fit_sem
from .multigroup import InvarianceModel, MultiGroupSEMResult, fit_sem_multigroup
from .results import SEMResult

__all__ = ["SEMResult", "MultiGroupSEMResult", "InvarianceModel", "fit_sem", "fit_sem_multigroup"]
