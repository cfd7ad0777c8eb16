"""The result of :func:`csindex.fit_sem`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._results import ResultMixin
from .._summary import Summary
from .._validation import did_you_mean
from ..exceptions import EstimationError, SpecError
from ..spec import ModelSpec
from .modindices import modification_indices

__all__ = ["SEMResult"]

_TITLES = {"ML": "maximum likelihood", "MLR": "robust ML, Yuan-Bentler", "MLM": "robust ML, Satorra-Bentler"}


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, repr=False)
class SEMResult(ResultMixin):
    """Result of :func:`fit_sem`.

    Attributes
    ----------
    estimates : pandas.DataFrame
        One row per parameter in lavaan's order and naming (``SAT ~ VAL``, ``sat1 ~1`` for an
        intercept with ``missing="fiml"``,
        ``IMAG =~ imag2``, ``sat1 ~~ sat1``, ``SAT ~~ SAT``): ``lhs, op, rhs,
        estimate, std_error, z_value, p_value, ci_lower, ci_upper, std_lv, std_all,
        std_all_se, free, label`` (lavaan's ``parameterEstimates`` + ``standardizedSolution``; Wald CI);
        with ``bootstrap > 0`` also ``boot_se, boot_lower, boot_upper`` (percentile).
        Fixed parameters have NaN standard errors (there is none).
    fit_indices : pandas.Series
        ``npar, ntotal, fmin, chi2, df, pvalue, baseline_chi2, baseline_df,
        baseline_pvalue, cfi, tli, nfi, ifi, rni, rmsea, rmsea_ci_lower, rmsea_ci_upper,
        rmsea_pvalue, srmr, srmr_mplus, rmr, gfi, agfi, logl, unrestricted_logl, aic, bic,
        bic2, ecvi`` with lavaan's definitions. ``estimator="MLR"``/``"MLM"`` add
        ``chi2_scaled, df_scaled, pvalue_scaled, scaling_factor, baseline_chi2_scaled,
        baseline_scaling_factor, cfi_scaled, tli_scaled, rmsea_scaled`` (with interval and
        p-value) and ``cfi_robust, tli_robust, rmsea_robust`` (with interval and p-value); MLR
        also ``scaling_factor_h1, scaling_factor_h0``. FIML adds the covariance-only
        ``srmr_nomean, srmr_mplus_nomean, rmr_nomean``.
    paths : pandas.DataFrame
        The structural paths: ``source, target, estimate, std_error, z_value, p_value,
        ci_lower, ci_upper, std_all, std_all_se``.
    r_squared : pandas.DataFrame
        ``construct, r_squared``: R² of each endogenous construct (``1 - psi / var``).
    effects : pandas.DataFrame
        ``source, target, direct, indirect, total`` (unstandardised), their delta-method
        standard errors ``indirect_se, total_se`` and the standardised ``total_std``; with
        ``bootstrap > 0`` also percentile intervals ``indirect_lower, indirect_upper,
        total_lower, total_upper``.
    scores : pandas.DataFrame
        Regression (Thurstone) factor scores ``(x - mean) Sigma^-1 Lambda Phi``, indexed
        like the rows used.
    index : pandas.DataFrame
        ``construct, index, std_error, ci_lower, ci_upper``: the 0-100 index of each
        construct (factor-score weights of its own items normalised to sum 1, applied to
        the items' mean scores rescaled with their scale bounds).
    weights : pandas.DataFrame
        ``construct, item, weight, normalized_weight``: the factor-score regression weights.
    latent_correlations : pandas.DataFrame
        Model-implied correlations of the constructs (first column ``construct``).
    implied_cov, sample_cov : pandas.DataFrame
        Model-implied and sample (divisor N) covariance of the items (first column ``item``).
    spec : ModelSpec
    n : int
        Number of observations used.
    converged : bool
    iterations : int
    settings : dict
        ``estimator, missing, engine, information, bootstrap, bootstrap_failed, seed,
        confidence, n_used, n_dropped, scale, weighted, runtime_s`` and ``notes``; ``seed``
        is the int that reproduces the bootstrap (None without bootstrap). MLR/MLM add
        ``se, test`` and the traces of the scaled test.
    """

    estimates: pd.DataFrame
    fit_indices: pd.Series
    paths: pd.DataFrame
    r_squared: pd.DataFrame
    effects: pd.DataFrame
    scores: pd.DataFrame
    index: pd.DataFrame
    weights: pd.DataFrame
    latent_correlations: pd.DataFrame
    implied_cov: pd.DataFrame
    sample_cov: pd.DataFrame
    spec: ModelSpec
    n: int
    converged: bool
    iterations: int
    settings: Mapping[str, Any] = field(default_factory=dict)
    _fit: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _tables: ClassVar[Mapping[str, str]] = {"implied_cov": "item", "sample_cov": "item",
                                            "latent_correlations": "construct"}

    def summary(self) -> Summary:
        """Fit indices, structural paths, R², index and the measurement model."""
        fi = self.fit_indices
        facts = {
            "observations": self.n,
            "estimator": self.settings.get("estimator", "ML"),
            "chi2": float(fi["chi2"]), "df": int(fi["df"]) if np.isfinite(fi["df"]) else fi["df"],
            "p-value": float(fi["pvalue"]), "CFI": float(fi["cfi"]), "TLI": float(fi["tli"]),
            "RMSEA": float(fi["rmsea"]),
            "RMSEA 90% CI": f"[{fi['rmsea_ci_lower']:.4f}, {fi['rmsea_ci_upper']:.4f}]",
            "SRMR": float(fi["srmr"]), "converged": self.converged,
        }
        if "chi2_scaled" in fi.index:
            facts.update({"chi2 (scaled)": float(fi["chi2_scaled"]), "scaling factor": float(fi["scaling_factor"]),
                          "CFI (scaled)": float(fi["cfi_scaled"]), "RMSEA (scaled)": float(fi["rmsea_scaled"])})
        # the robust indices (Savalei 2018; FIML: Zhang & Savalei 2023) estimate the population
        # CFI/TLI/RMSEA, which the scaled ones do not: lavaan prints them too
        facts.update({f"{name} (robust)": float(fi[key]) for name, key in
                      (("CFI", "cfi_robust"), ("TLI", "tli_robust"), ("RMSEA", "rmsea_robust"))
                      if key in fi.index and np.isfinite(fi[key])})
        meas = self.estimates[self.estimates["op"] == "=~"][
            ["lhs", "rhs", "estimate", "std_error", "p_value", "std_all"]]
        r2 = self.r_squared
        return Summary(
            f"Covariance-based SEM ({_TITLES.get(self.settings.get('estimator', 'ML'), 'maximum likelihood')})",
            facts=facts,
            tables={"Structural paths": self.paths, "R-squared": r2, "Index (0-100)": self.index,
                    "Loadings": meas.reset_index(drop=True)},
            notes=tuple(self.settings.get("notes", ())),
        )

    def plot(self, *, ax: Any = None, labels: Mapping[str, str] | None = None, ci: bool | None = False) -> Any:
        """Path diagram of the structural model (csindex.plots.path_diagram) with
        standardised coefficients (``std_all``), significance stars and R².

        Returns
        -------
        csindex.plots.PathDiagramDisplay
        """
        from ..plots import path_diagram

        tab = self.paths[["source", "target", "std_all", "p_value"]].rename(columns={"std_all": "estimate"})
        r2 = self.r_squared.set_index("construct")["r_squared"]
        return path_diagram(tab, r2, layers=self.spec, ax=ax, labels=labels, ci=ci)

    def modification_indices(self, minimum: float = 0.0) -> pd.DataFrame:
        """Modification indices of every parameter the model could add, as lavaan's ``modindices()``.

        Parameters
        ----------
        minimum : float, default 0
            Leave out candidates with a smaller modification index (lavaan's ``minimum.value``).

        Returns
        -------
        pandas.DataFrame
            ``lhs, op, rhs, mi, epc, sepc_lv, sepc_all``, largest ``mi`` first: the chi-square
            (1 df) drop expected from freeing the parameter, its expected value (``epc``) and
            the standardised expected change (see :mod:`csindex.sem.modindices`).

        Raises
        ------
        EstimationError
            For a FIML fit (the score test needs the complete-data sample covariance).

        Examples
        --------
        >>> import csindex
        >>> survey = csindex.datasets.airline()
        >>> data = survey.responses.dropna(subset=list(csindex.models.ccsi(survey).items))
        >>> mi = csindex.fit_sem(data, csindex.models.ccsi(survey)).modification_indices()
        >>> mi.columns.tolist()
        ['lhs', 'op', 'rhs', 'mi', 'epc', 'sepc_lv', 'sepc_all']
        """
        fit = self._fit
        if not fit or fit.get("missing") != "listwise":
            raise EstimationError(
                "modification_indices() needs a complete-data fit (missing='listwise'); refit with "
                "missing='listwise' to screen the model."
            )
        table = modification_indices(fit["structure"], fit["theta"], fit["s"], fit["n"])
        return table[table["mi"] >= minimum].reset_index(drop=True)

    def parameter(self, name: str) -> pd.Series:
        """The estimates row of a parameter named as lavaan prints it (``"SAT ~ VAL"``)."""
        key = " ".join(name.split())
        names = (self.estimates["lhs"] + " " + self.estimates["op"] + " " + self.estimates["rhs"]).str.strip()
        hit = self.estimates[names == key]
        if hit.empty:
            raise SpecError(f"The model has no parameter {name!r}.{did_you_mean(key, names.tolist())}")
        return hit.iloc[0]


