"""``PLSResult``: tidy tables of a PLS path model fit."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .._results import INDEX_COLUMNS
from .._summary import Summary, SummaryMixin
from .._validation import check_option, did_you_mean, quote_list
from ..exceptions import InferenceWarning, ParameterError, SpecError, SurveyDataError
from ..spec import ModelSpec
from .bootstrap import effect_pairs, path_pairs
from .quality import compute_quality

__all__ = ["PLSResult"]

_BOOT_COLS = ["std_error", "t_value", "p_value", "ci_lower", "ci_upper"]


@dataclass(frozen=True, repr=False, eq=False)
class PLSResult(SummaryMixin):
    """The result of :func:`csindex.fit_pls`.

    Attributes
    ----------
    spec : ModelSpec
        The estimated model.
    settings : dict
        Estimation settings (scheme, standardize, tol, max_iter, convergence rule,
        missing policy, preset, weighted, scale source, ``n_used`` and ``n_dropped``
        respondents; ``em_iterations`` and ``em_converged`` under ``missing="em"``;
        bootstrap size, CI type, confidence and resolved seed after a bootstrap).
    n : int
        Respondents used.
    iterations : int
        Weight updates until the stopping rule held.
    converged : bool
        Whether the stopping rule held within ``max_iter``.
    missing : dict
        ``policy, n_total, rows_affected, cells_missing, rows_dropped, cells_imputed``
        (and ``n_patterns, em_iterations, em_converged`` when EM imputed answers).

    Tables (all tidy DataFrames, float64 estimates; after a bootstrap also
    ``std_error, t_value, p_value, ci_lower, ci_upper``): :attr:`paths`,
    :attr:`weights`, :attr:`loadings`, :attr:`effects`, :attr:`index` (the standard index
    table ``construct, index, std_error, ci_lower, ci_upper``), :attr:`r_squared`
    (``construct, r_squared, r_squared_adj``); wide tables with their key column first
    :attr:`cross_loadings` (``item``), :attr:`construct_correlations` (``construct``);
    respondent tables (rows keep the data's index) :attr:`scores`, :attr:`index_scores`;
    quality criteria :attr:`quality`; :meth:`ipma`.
    """

    spec: ModelSpec
    settings: dict[str, Any]
    n: int
    iterations: int
    converged: bool
    missing: dict[str, Any]
    _layout: Any = field(default=None)
    _prep: Any = field(default=None)
    _mean: np.ndarray = field(default=None)
    _S: np.ndarray = field(default=None)
    _stats: Any = field(default=None)
    _boot: Any = field(default=None)

    @classmethod
    def _build(cls, *, spec, layout, prep, mean, S, stats, settings, boot) -> PLSResult:
        n_used = int(prep.X.shape[0]) if prep.X is not None else int(prep.n)
        settings = {**settings, "n_used": n_used,
                    "n_dropped": int(prep.missing.get("n_total", n_used)) - n_used,
                    "seed": settings.get("seed")}
        return cls(spec=spec, settings=settings, n=n_used, iterations=int(stats.iteration.iterations[0]),
                   converged=bool(stats.iteration.converged[0]), missing=dict(prep.missing), _layout=layout,
                   _prep=prep, _mean=mean, _S=S, _stats=stats, _boot=boot)

    # ------------------------------------------------------------------ helpers
    def _with_boot(self, frame: pd.DataFrame, key: str) -> pd.DataFrame:
        if self._boot is None:
            return frame
        extra = self._boot.table(key)
        if extra is None:
            return frame
        out = pd.concat([frame.reset_index(drop=True), extra.reset_index(drop=True)], axis=1)
        return out

    @property
    def _fe(self):
        return self._stats.final

    @property
    def _path_pairs(self) -> list[tuple[int, int]]:
        return path_pairs(self.spec, self._layout)

    @property
    def _effect_pairs(self) -> list[tuple[int, int]]:
        """(source, target) pairs linked by at least one directed path, topological order."""
        return effect_pairs(self.spec, self._layout)

    # ------------------------------------------------------------------ tables
    @cached_property
    def paths(self) -> pd.DataFrame:
        """Path coefficients: ``source, target, estimate`` (standardised OLS coefficients)."""
        L = self._layout
        pairs = self._path_pairs
        df = pd.DataFrame({"source": [L.constructs[s] for s, _ in pairs],
                           "target": [L.constructs[t] for _, t in pairs],
                           "estimate": [float(self._fe.paths[0, s, t]) for s, t in pairs]})
        return self._with_boot(df, "paths")

    @cached_property
    def weights(self) -> pd.DataFrame:
        """Outer weights: ``construct, item, estimate``.

        On standardised items (``standardize=True``) or on the centred raw items
        (``standardize=False``); either way the construct score has unit variance.
        """
        L = self._layout
        df = pd.DataFrame({"construct": [L.constructs[b] for b in L.block], "item": list(L.items),
                           "estimate": self._fe.weights[0].astype(float)})
        return self._with_boot(df, "weights")

    @cached_property
    def loadings(self) -> pd.DataFrame:
        """Outer loadings (item-score correlations): ``construct, item, estimate``."""
        L = self._layout
        df = pd.DataFrame({"construct": [L.constructs[b] for b in L.block], "item": list(L.items),
                           "estimate": self._fe.loadings[0].astype(float)})
        return self._with_boot(df, "loadings")

    @cached_property
    def cross_loadings(self) -> pd.DataFrame:
        """Correlation of every item (rows) with every construct score (columns)."""
        L = self._layout
        df = pd.DataFrame(self._fe.cross_loadings[0], columns=list(L.constructs))
        df.insert(0, "item", list(L.items))
        return df

    @cached_property
    def construct_correlations(self) -> pd.DataFrame:
        """Correlations between the construct scores (first column ``construct``)."""
        L = self._layout
        df = pd.DataFrame(self._fe.construct_cor[0], columns=list(L.constructs))
        df.insert(0, "construct", list(L.constructs))
        return df

    @cached_property
    def effects(self) -> pd.DataFrame:
        """Direct, indirect and total effects: ``source, target, direct, indirect, total``
        for every pair joined by a directed path (total = ``(I - B)⁻¹ - I``). After a
        bootstrap the added columns (``std_error`` ... ``ci_upper``) refer to the total effect."""
        L = self._layout
        pairs = self._effect_pairs
        B = self._fe.paths[0]
        T = self._fe.total[0]
        df = pd.DataFrame({"source": [L.constructs[s] for s, _ in pairs],
                           "target": [L.constructs[t] for _, t in pairs],
                           "direct": [float(B[s, t]) for s, t in pairs],
                           "indirect": [float(T[s, t] - B[s, t]) for s, t in pairs],
                           "total": [float(T[s, t]) for s, t in pairs]})
        return self._with_boot(df, "total")

    @cached_property
    def r_squared(self) -> pd.DataFrame:
        """R² of each endogenous construct: ``construct, r_squared, r_squared_adj``.

        Adjusted R² is ``1 - (1 - R²)(n - 1)/(n - k - 1)`` with ``k`` predictors.
        """
        L = self._layout
        r2 = np.array([float(self._fe.r_squared[0, j]) for j in L.endogenous], dtype=float)
        k = np.array([len(L.preds[j]) for j in L.endogenous], dtype=float)
        adj = 1.0 - (1.0 - r2) * (self.n - 1) / (self.n - k - 1)
        return pd.DataFrame({"construct": [L.constructs[j] for j in L.endogenous], "r_squared": r2,
                             "r_squared_adj": adj})

    @property
    def r_squared_adj(self) -> pd.Series:
        """Adjusted R² as a Series indexed by construct (also the ``r_squared_adj`` column of
        :attr:`r_squared`)."""
        t = self.r_squared
        return pd.Series(t["r_squared_adj"].to_numpy(), index=pd.Index(t["construct"], name="construct"),
                         name="r_squared_adj", dtype=float)

    @cached_property
    def scores(self) -> pd.DataFrame:
        """Standardised construct scores (respondent × construct), mean 0 and unit
        variance (population divisor N; sample divisor N - 1 under the seminr and
        smartpls presets). Rows keep the data's index.

        Under ``missing="em"`` missing answers are replaced by their conditional
        expectation given the respondent's observed answers; the scores then have mean 0
        and a variance below 1 (the unit variance holds for the EM covariance)."""
        self._need_rows("scores", "scores")
        L = self._layout
        X = self._prep.X
        sd = np.sqrt(np.diag(self._S))
        Z = (X - self._mean) / sd if self.settings["standardize"] else X - self._mean
        Y = Z @ L.dense(self._fe.weights)[0]
        if self.settings.get("preset") in ("seminr", "smartpls"):
            Y = Y * np.sqrt((self.n - 1) / self.n)
        return pd.DataFrame(Y, index=self._prep.rows, columns=list(L.constructs))

    # ------------------------------------------------------------------ 0-100 index
    @cached_property
    def index_weights(self) -> pd.DataFrame:
        """Weights of the 0-100 index: ``construct, item, estimate`` (sum 1 per construct).

        Unstandardised outer weights (``w / sd``; the weights themselves when fit with
        ``standardize=False``) times the item's scale range, normalised per block.
        """
        L = self._layout
        return pd.DataFrame({"construct": [L.constructs[b] for b in L.block], "item": list(L.items),
                             "estimate": self._stats.index_weights[0].astype(float)})

    @cached_property
    def index(self) -> pd.DataFrame:
        """ACSI-style 0-100 index per construct, the standard index table ``construct, index,
        std_error, ci_lower, ci_upper`` (bootstrap standard error and percentile/BCa interval;
        NaN without a bootstrap, ``settings["bootstrap"] == 0``). No t or p value: testing
        "index = 0" on a 0-100 scale answers no question.

        ``index_j = Σ_i w̃_i (x̄_i - min_i)/(max_i - min_i)·100`` with the index weights
        (Fornell et al. 1996; see the user guide).
        """
        L = self._layout
        neg = self.index_weights.query("estimate < 0")
        if len(neg):
            warnings.warn(
                f"Construct(s) {quote_list(sorted(set(neg['construct'])))} have negative outer weights "
                f"(item(s) {quote_list(list(neg['item']))}); their 0-100 index can leave [0, 100].",
                InferenceWarning, stacklevel=3)
        df = pd.DataFrame({"construct": list(L.constructs), "index": self._stats.index[0].astype(float)})
        df = self._with_boot(df, "index")
        for col in ("std_error", "ci_lower", "ci_upper"):
            if col not in df:
                df[col] = np.nan
        return df[list(INDEX_COLUMNS)]

    @cached_property
    def index_scores(self) -> pd.DataFrame:
        """Per-respondent 0-100 construct scores (respondent × construct); their
        (weighted) mean is :attr:`index`."""
        self._need_rows("index_scores", "index")
        L = self._layout
        p = self._prep
        rel = (p.X - p.lo) / (p.hi - p.lo) * 100.0
        return pd.DataFrame(rel @ L.dense(self._stats.index_weights)[0], index=p.rows, columns=list(L.constructs))

    def _need_rows(self, table: str, kind: str) -> None:
        if self._prep.X is None:
            raise SurveyDataError(
                f"PLSResult.{table}: this model was fit out of core ({self.settings.get('out_of_core')} source), so "
                f"the rows are not in memory. Score them in a second pass over the source: "
                f"res.stream_scores(kind={kind!r}) returns a DataFrame (a lazy Dask DataFrame for a Dask source), "
                f"res.stream_scores(kind={kind!r}, path='scores.parquet') writes them batch by batch.")

    def stream_scores(self, kind: str = "scores", path: Any = None) -> Any:
        """Respondent scores of an out-of-core fit, computed in a second pass over its source.

        Parameters
        ----------
        kind : {"scores", "index"}
            Standardised construct scores (as :attr:`scores`) or 0-100 scores (as
            :attr:`index_scores`).
        path : str or Path, optional
            Write the scores to this Parquet file batch by batch (nothing held in memory)
            and return the path; without it return a DataFrame (rows in source order; a lazy
            Dask DataFrame for a Dask source). Rows left out of the fit (listwise) get NaN.

        Returns
        -------
        DataFrame, dask DataFrame or Path

        Examples
        --------
        >>> import numpy as np, pandas as pd, csindex, tempfile, os
        >>> rng = np.random.default_rng(1)
        >>> q = rng.normal(size=300); s = 0.6 * q + 0.8 * rng.normal(size=300)
        >>> df = pd.DataFrame({"q1": q + rng.normal(size=300), "q2": q + rng.normal(size=300),
        ...                    "s1": s + rng.normal(size=300), "s2": s + rng.normal(size=300)})
        >>> path = os.path.join(tempfile.mkdtemp(), "data.parquet"); df.to_parquet(path)
        >>> res = csindex.fit_pls(path, "Q =~ q1 + q2\\nS =~ s1 + s2\\nS ~ Q")
        >>> sc = res.stream_scores()
        >>> bool(np.allclose(sc.to_numpy(), csindex.fit_pls(df, res.spec).scores.to_numpy()))
        True
        """
        from .._validation import check_option

        check_option("kind", kind, ("scores", "index"), "PLSResult.stream_scores")
        if self._prep.X is not None:
            return self.scores if kind == "scores" else self.index_scores
        from ._streaming import stream_scores

        return stream_scores(self, kind, path)

    def _resolve_construct(self, name: str) -> str:
        cons = self._layout.constructs
        if name in cons:
            return name
        low = {c.lower(): c for c in cons}
        if name.lower() in low:
            return low[name.lower()]
        aliases = {"satisfaction": "sat", "loyalty": "loy", "quality": "qual", "value": "val",
                   "image": "imag", "expectation": "expe", "complaints": "comp"}
        key = aliases.get(name.lower())
        if key:
            hits = [c for c in cons if c.lower().startswith(key)]
            if len(hits) == 1:
                return hits[0]
        raise SpecError(f"The model has no construct {name!r}. Constructs: {quote_list(cons)}.{did_you_mean(name, cons)}")

    def ipma(self, target: str = "satisfaction", *, level: str = "construct") -> pd.DataFrame:
        """Importance-performance map (ACSI priority matrix) for ``target``.

        Importance is the unstandardised total effect on the 0-100 scale (a one-point
        gain in the driver's index moves the target's index by ``importance`` points);
        performance is the driver's 0-100 index (Ringle & Sarstedt 2016; METHODS.md §6.2).
        At ``level="item"`` importance is the item's index weight times its construct's
        unstandardised total effect and performance the item's mean on 0-100.

        Returns
        -------
        DataFrame
            ``construct, importance, performance`` (``construct, item, importance,
            performance`` at item level), drivers with a total effect on the target.

        Examples
        --------
        >>> import numpy as np, pandas as pd, csindex
        >>> rng = np.random.default_rng(0)
        >>> q = rng.normal(size=300); s = 0.5 * q + rng.normal(size=300)
        >>> df = pd.DataFrame({"q1": q, "q2": q + rng.normal(size=300), "s1": s, "s2": s + rng.normal(size=300)})
        >>> df = (df - df.min()) / (df.max() - df.min()) * 9 + 1
        >>> res = csindex.fit_pls(df, "Q =~ q1 + q2\\nSAT =~ s1 + s2\\nSAT ~ Q", scale=(1, 10))
        >>> list(res.ipma("satisfaction").columns)
        ['construct', 'importance', 'performance']
        """
        check_option("level", level, ("construct", "item"), "PLSResult.ipma")
        L = self._layout
        tgt = L.constructs.index(self._resolve_construct(target))
        # SD of the 0-100 construct scores from the item covariance (the empirical SD of
        # ``index_scores`` when no answer is imputed; the model SD under missing="em")
        p = self._prep
        Wd = L.dense(self._stats.index_weights)[0] * (100.0 / (p.hi - p.lo))[:, None]
        sd = np.sqrt(np.einsum("ij,ik,kj->j", Wd, self._S, Wd))
        Bs = self._fe.paths[0]
        Bu = Bs * sd[None, :] / np.where(sd[:, None] > 0, sd[:, None], np.nan)
        Bu = np.nan_to_num(Bu * (Bs != 0))
        Tu = np.linalg.inv(np.eye(L.J) - Bu) - np.eye(L.J)
        drivers = [s for s, t in self._effect_pairs if t == tgt]
        if not drivers:
            raise SpecError(f"No construct has an effect on {L.constructs[tgt]!r}; it is exogenous.")
        perf = self._stats.index[0]
        if level == "construct":
            return pd.DataFrame({"construct": [L.constructs[s] for s in drivers],
                                 "importance": [float(Tu[s, tgt]) for s in drivers],
                                 "performance": [float(perf[s]) for s in drivers]})
        item_perf = (self._mean - p.lo) / (p.hi - p.lo) * 100.0
        rows = []
        iw = self._stats.index_weights[0]
        for s in drivers:
            for k in range(L.slices[s].start, L.slices[s].stop):
                rows.append((L.constructs[s], L.items[k], float(iw[k] * Tu[s, tgt]), float(item_perf[k])))
        return pd.DataFrame(rows, columns=["construct", "item", "importance", "performance"])

    # ------------------------------------------------------------------ prediction
    def predict(self, *, folds: Any = 10, technique: str = "DA", repetitions: int | None = None, seed: Any = None,
                benchmark: str = "seminr") -> Any:
        """PLSpredict for this model on the respondents it used (:func:`csindex.plspredict`).

        The data are the rows this fit used, after its missing-data policy (with
        ``missing="mean"`` the imputed values, imputed once on the full sample; call
        :func:`csindex.plspredict` on the raw data for a listwise analysis). For a fit on an
        out-of-core source (``missing="listwise"``) the source is read twice more: k-fold
        only, the folds random groups of the rows (see :func:`csindex.plspredict`). The training
        fits reuse this fit's scheme, tolerance, iteration limit and stopping rule; every
        fold is fit on standardised items (as seminr), and sampling weights are not used.

        Returns
        -------
        PLSPredictResult

        Examples
        --------
        >>> import numpy as np, pandas as pd, csindex
        >>> rng = np.random.default_rng(2)
        >>> q = rng.normal(size=60); s = 0.7 * q + 0.7 * rng.normal(size=60)
        >>> df = pd.DataFrame({"q1": q + rng.normal(size=60), "q2": q + rng.normal(size=60),
        ...                    "s1": s + rng.normal(size=60), "s2": s + rng.normal(size=60)})
        >>> res = csindex.fit_pls(df, "Q =~ q1 + q2\\nS =~ s1 + s2\\nS ~ Q")
        >>> res.predict(folds="loo").items["item"].tolist()
        ['s1', 's2']
        """
        from .predict import plspredict

        st = self.settings
        if self._prep.X is None:  # out of core: k-fold in two passes over the source (folds = random groups)
            if st["missing"] != "listwise":
                raise ParameterError(
                    f"PLSResult.predict: this model was fit out of core with missing={st['missing']!r}; out of core, "
                    "PLSpredict uses the complete rows (listwise) and cannot re-use the imputed ones. Call "
                    "csindex.plspredict(source, model, folds=k) for the listwise analysis.")
            data = self._prep.source.obj
        else:
            data = pd.DataFrame(self._prep.X, index=self._prep.rows, columns=list(self._layout.items))
        return plspredict(data, self.spec, folds=folds, technique=technique, repetitions=repetitions, seed=seed,
                          benchmark=benchmark, scheme=st["scheme"], tol=st["tol"], max_iter=st["max_iter"],
                          convergence=st["convergence"])

    # ------------------------------------------------------------------ plots
    def plot(self, *, ax: Any = None, labels: Mapping[str, str] | None = None, ci: bool | None = None) -> Any:
        """Path diagram (:func:`csindex.plots.path_diagram`): coefficients, R², and after a
        bootstrap significance stars and CIs.

        Returns
        -------
        csindex.plots.PathDiagramDisplay
        """
        from ..plots import path_diagram

        return path_diagram(self.paths, self.r_squared, layers=self.spec, ax=ax, labels=labels,
                            ci=ci if self._boot is not None else False)

    def plot_ipma(self, target: str = "satisfaction", *, level: str = "construct", crosshair: Any = "mean",
                  ax: Any = None) -> Any:
        """Importance-performance map (:func:`csindex.plots.priority_matrix`) of :meth:`ipma`.

        Returns
        -------
        csindex.plots.PriorityMatrixDisplay
        """
        from ..plots import priority_matrix

        table = self.ipma(target, level=level)
        name = "item" if level == "item" else "construct"
        return priority_matrix(table.rename(columns={name: "name"}), crosshair=crosshair, ax=ax,
                               title=f"IPMA: {self._resolve_construct(target)}")

    def plot_index(self, *, ax: Any = None) -> Any:
        """0-100 indices with their bootstrap CIs (:func:`csindex.plots.index_chart`).

        Returns
        -------
        csindex.plots.IndexChartDisplay
        """
        from ..plots import index_chart

        return index_chart(self.index, ax=ax)

    # ------------------------------------------------------------------ quality
    @cached_property
    def quality(self):
        """Quality criteria (:class:`csindex.pls.quality.PLSQuality`): reliability
        (alpha, rho_C, rho_A, AVE), Fornell-Larcker, HTMT, communality, redundancy, GoF,
        SRMR and the VIF of the structural predictors."""
        return compute_quality(self)

    # ------------------------------------------------------------------ summary
    def summary(self) -> Summary:
        """Settings, paths, R², index and, after a bootstrap, its failures."""
        facts = {"respondents": self.n, "scheme": self.settings["scheme"],
                 "standardized": self.settings["standardize"], "iterations": self.iterations,
                 "converged": self.converged, "weighted": self.settings["weighted"]}
        if self.settings.get("consistent"):
            facts["consistent (PLSc)"] = True
        if self.missing.get("rows_affected"):
            facts["missing"] = (f"{self.missing['rows_affected']} respondents ({self.missing['policy']})")
            if self.missing.get("cells_imputed"):
                facts["missing"] += f", {self.missing['cells_imputed']} answers imputed"
        notes: list[str] = []
        if self._boot is not None:
            facts["bootstrap"] = f"{self._boot.n_valid} of {self._boot.n_requested} resamples ({self.settings['ci']})"
            if self._boot.n_failed:
                notes.append(f"{self._boot.n_failed} bootstrap resamples did not converge or were degenerate and "
                             "were excluded.")
        tables = {"Paths": self.paths, "R squared": self.r_squared, "Index (0-100)": self.index}
        return Summary("PLS path model", facts=facts, tables=tables, notes=tuple(notes))

    @property
    def bootstrap(self):
        """The bootstrap draws and failure counts (None without a bootstrap)."""
        return self._boot
