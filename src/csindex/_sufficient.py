"""Out-of-core sources and the sufficient statistics of the item covariance, in one pass.

Everything the covariance-based PLS engine and the simple scores need is additive over
respondents: weighted counts, sums and cross-products of the items, and counts of the
missing answers. This module reads a table that need not fit in memory batch by batch and
adds those sums up, never holding more than one batch of rows:

* a Parquet file or a folder of Parquet files (the files ``pyarrow.dataset`` discovers, read
  by DuckDB's Parquet reader when DuckDB is installed -- about 1.5x faster here -- else by
  ``pyarrow.dataset``; Arrow record batches decoded on the readers' threads while numpy works
  on the previous batch);
* a DuckDB relation (``duckdb.sql(...)``, ``con.table(...)``; Arrow record batches);
* a Dask DataFrame (each partition is reduced where it lives, on the workers of a
  ``dask.distributed`` cluster when a client is active; the partial sums are added).

The cross-products are accumulated about a fixed integer shift ``c`` (the rounded item means
of the first batch), ``Σ w (x - c)(x - c)'``, so the final ``S = M/Σw - d d'`` loses no
precision. Integer items without missing answers and without weights take an exact path:
``x - c`` are small integers whose products and batch sums stay below 2**24, so a float32
matrix product (half the memory traffic of float64) gives them exactly.

The same pass can keep the sums apart: per random group of rows (:class:`GroupedCrossProducts`,
groups from a seeded permutation of the row position, :func:`random_groups`, for the
random-group bootstrap) and per segment (:class:`SegmentedStates`, for ``by=``); a state that
wants positions or segment columns gets the whole batch and the global position of its rows.

Nothing here is specific to PLS; :mod:`csindex.pls._streaming` and
:func:`csindex.simple_scores` build on it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._deps import require
from ._validation import did_you_mean, quote_list
from .exceptions import SurveyDataError

__all__ = ["Source", "is_source", "open_source", "CrossProducts", "GroupedCrossProducts", "SegmentedStates",
           "random_groups", "BATCH_ROWS"]

#: rows per Arrow record batch (27 items: 7 MB of int8)
BATCH_ROWS = 262_144
#: how the one pass reads a Parquet path: "auto" (DuckDB's reader when DuckDB is installed,
#: else pyarrow.dataset) or "pyarrow"; the sums, and so the fit, are the same either way
PARQUET_ENGINE = "auto"
#: rows per matrix product in the exact integer path (28 x 65,536 float32 = 7 MB, cache sized)
PRODUCT_ROWS = 65_536
_EXACT = float(2**24)  # float32 represents every integer up to 2**24 exactly


def is_source(obj: Any) -> bool:
    """Whether ``obj`` is an out-of-core table: a Parquet path (file or folder), a
    ``pyarrow.dataset.Dataset``, a DuckDB relation or a Dask DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> is_source("responses.parquet"), is_source(pd.DataFrame())
    (True, False)
    """
    if isinstance(obj, (str, os.PathLike)):
        p = Path(obj)
        return p.suffix.lower() in (".parquet", ".pq") or p.is_dir()
    mod = type(obj).__module__ or ""
    if mod.startswith("duckdb") and (hasattr(obj, "to_arrow_reader") or hasattr(obj, "fetch_record_batch")):
        return True
    if mod.startswith("dask") and hasattr(obj, "to_delayed") and hasattr(obj, "columns"):
        return True
    return mod.startswith("pyarrow") and type(obj).__name__.endswith("Dataset")


def _quote(name: str) -> str:
    """A SQL identifier quoted by the standard rule (double quotes, inner quotes doubled)."""
    return '"' + str(name).replace('"', '""') + '"'


@dataclass
class Source:
    """An out-of-core table read batch by batch (see :func:`open_source`)."""

    kind: str  # "parquet", "duckdb" or "dask"
    obj: Any
    columns: list[str]
    label: str

    def check_columns(self, names: Sequence[str], what: str = "model item") -> None:
        """Raise :class:`SurveyDataError` naming the columns the source lacks."""
        absent = [n for n in names if n not in self.columns]
        if absent:
            raise SurveyDataError(
                f"The {self.label} has no column(s) {quote_list(absent)} ({what}s).{did_you_mean(absent[0], self.columns)}"
                f" Its columns: {quote_list(self.columns[:30])}.")

    # ------------------------------------------------------------------ batches
    def batches(self, names: Sequence[str], batch_rows: int = BATCH_ROWS) -> Iterator[Any]:
        """Arrow record batches (Parquet, DuckDB) or pandas partitions (Dask) of ``names``."""
        names = list(names)
        if self.kind == "parquet":
            # Arrow decodes on its own threads; little read-ahead keeps the memory to a few batches
            yield from self.obj.to_batches(columns=names, batch_size=batch_rows, use_threads=True,
                                           batch_readahead=2, fragment_readahead=1)
        elif self.kind == "duckdb":
            rel = self.obj.project(", ".join(_quote(n) for n in names))
            reader = rel.to_arrow_reader(batch_rows) if hasattr(rel, "to_arrow_reader") else \
                rel.fetch_record_batch(batch_rows)
            yield from reader
        else:
            for part in self.obj[names].to_delayed():
                yield part.compute()

    def first(self, names: Sequence[str]) -> np.ndarray:
        """The first non-empty batch as a ``(p, n)`` array (for the shift)."""
        for b in self.batches(names, 8192):
            Xt = columns_matrix(b, names)
            if Xt.shape[1]:
                return Xt
        return np.empty((len(names), 0))

    def _dictionary(self, names: Sequence[str]) -> bool:
        """Whether any of the columns ``names`` of a Parquet dataset is dictionary encoded (categorical)."""
        import pyarrow as pa

        schema = self.obj.schema
        return any(pa.types.is_dictionary(schema.field(n).type) for n in names if n in schema.names)

    def _duckdb_scan(self) -> Source | None:
        """The same Parquet files as a DuckDB relation (when DuckDB is installed and
        :data:`PARQUET_ENGINE` allows it); the files are the ones pyarrow discovered."""
        if PARQUET_ENGINE == "pyarrow" or not hasattr(self.obj, "files"):
            return None
        try:
            import duckdb
        except ImportError:
            return None
        rel = duckdb.connect().sql("SELECT * FROM read_parquet(?)", params=[list(self.obj.files)])
        return Source("duckdb", rel, [str(c) for c in rel.columns], self.label)

    def reduce(self, names: Sequence[str], weight: str | None, make: Callable[[], Any],
               extra: Sequence[str] = ()) -> Any:
        """Run ``state.add(Xt, w)`` over all rows and return the summed state.

        Parquet and DuckDB are read in this process; a Dask DataFrame is reduced partition by
        partition with ``dask.delayed`` (on the cluster when a distributed client is active)
        and the partial states are merged. A state with an ``add_part(part, Xt, w, start)``
        method (:class:`GroupedCrossProducts`, :class:`SegmentedStates`) gets the whole batch
        (with the ``extra`` columns) and the global position ``start`` of its first row; for a
        Dask DataFrame the partitions' offsets then come from a first, cheap pass counting
        their rows (one column), so the positions do not depend on the partitioning.
        """
        cols = list(dict.fromkeys(list(names) + ([weight] if weight else []) + list(extra)))
        # DuckDB decodes Parquet faster than pyarrow.dataset here (bench_out_of_core), but reads a
        # categorical (dictionary) segment column as text: pyarrow keeps its categories and their order
        scan = self._duckdb_scan() if self.kind == "parquet" and not self._dictionary(extra) else None
        if scan is not None:
            return scan.reduce(names, weight, make, extra)
        if self.kind == "dask":
            dask = require("dask", "Out-of-core fits on a Dask DataFrame")
            parts = self.obj[cols].to_delayed()
            offsets = [0] * len(parts)
            if hasattr(make(), "add_part"):
                lengths = dask.compute(*[dask.delayed(len)(p) for p in self.obj[[cols[0]]].to_delayed()])
                offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64).tolist()
            tasks = [dask.delayed(_reduce_part)(p, list(names), weight, make, off) for p, off in zip(parts, offsets)]
            return dask.delayed(_merge_states)(tasks).compute()
        state = make()
        start = 0
        with one_blas_thread():
            for b in self.batches(cols):
                start += _add(state, b, list(names), weight, start)
        return state


def _add(state: Any, part: Any, names: list[str], weight: str | None, start: int = 0) -> int:
    Xt = columns_matrix(part, names)
    w = None
    if weight:
        w = columns_matrix(part, [weight])[0].astype(np.float64)
        if not (np.all(np.isfinite(w)) and np.all(w >= 0)):
            raise SurveyDataError(f"The weight column {weight!r} holds missing, infinite or negative values; "
                                  "sampling weights must be finite and >= 0.")
    if hasattr(state, "add_part"):
        state.add_part(part, Xt, w, np.arange(start, start + Xt.shape[1], dtype=np.int64))
    else:
        state.add(Xt, w)
    return Xt.shape[1]


def _reduce_part(part: Any, names: list[str], weight: str | None, make: Callable[[], Any], start: int = 0) -> Any:
    state = make()
    with one_blas_thread():
        _add(state, part, names, weight, start)
    return state


_CONTROLLER: list[Any] = []


def one_blas_thread() -> Any:
    """A context that holds BLAS to one thread.

    For the skinny ``(p, n) @ (n, p)`` products over many rows (the streaming pass, the
    in-memory covariance): measured on 1,000,000 x 27 rows on this 2-core machine, one
    thread is as fast as two when the machine is quiet and faster when another process
    keeps a core busy (OpenBLAS threads then wait for each other; ``benchmarks/bench_pls.py
    --busy``), and in the streaming pass Arrow's decoding threads need the other core. The
    threadpoolctl controller is built once (building it scans the loaded libraries, about
    0.5 ms; a limit on a built one costs microseconds)."""
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


def _merge_states(states: list[Any]) -> Any:
    out = states[0]
    for s in states[1:]:
        out.merge(s)
    return out


def columns_matrix(part: Any, names: Sequence[str]) -> np.ndarray:
    """The columns ``names`` of an Arrow record batch / table or a pandas frame as one ``(p, n)``
    array: integers stay integers when no value is missing, else float64 with NaN."""
    if hasattr(part, "schema") and hasattr(part, "column"):  # Arrow record batch or table
        arrays = [part.column(n).to_numpy(zero_copy_only=False) for n in names]
    else:  # pandas
        arrays = []
        for n in names:
            s = part[n]
            if getattr(s.dtype, "kind", "O") in "iub" or s.dtype.kind == "f":
                arrays.append(s.to_numpy())
            elif s.isna().any():
                arrays.append(s.to_numpy(dtype=np.float64, na_value=np.nan) if _numeric(s) else s.to_numpy())
            else:
                arrays.append(s.to_numpy(dtype=s.dtype.numpy_dtype) if hasattr(s.dtype, "numpy_dtype")
                              else s.to_numpy())
    bad = [n for n, a in zip(names, arrays) if a.dtype.kind not in "iubf"]
    if bad:
        raise SurveyDataError(f"Column(s) {quote_list(bad)} are not numeric; the model items must hold numeric "
                              "ratings (recode them in the source).")
    n = len(arrays[0]) if arrays else 0
    if all(a.dtype.kind in "iub" for a in arrays):
        dt = np.result_type(*[a.dtype for a in arrays])
        out = np.empty((len(arrays), n), dtype=dt)
    else:
        out = np.empty((len(arrays), n), dtype=np.float64)
    for k, a in enumerate(arrays):
        out[k] = a
    return out


def _numeric(s: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(s.dtype))


def open_source(obj: Any, where: str = "this function") -> Source:
    """Wrap a Parquet path, ``pyarrow.dataset.Dataset``, DuckDB relation or Dask DataFrame.

    Raises
    ------
    SurveyDataError
        The path does not exist or holds no Parquet data.
    MissingDependencyError
        pyarrow (``csindex[io]``) is not installed.

    Examples
    --------
    >>> import os, tempfile, pandas as pd
    >>> path = os.path.join(tempfile.mkdtemp(), "r.parquet")
    >>> pd.DataFrame({"SAT1": [7, 9], "SAT2": [8, 10]}).to_parquet(path)
    >>> src = open_source(path)
    >>> src.kind, src.columns
    ('parquet', ['SAT1', 'SAT2'])
    """
    mod = type(obj).__module__ or ""
    if mod.startswith("duckdb"):
        return Source("duckdb", obj, [str(c) for c in obj.columns], "DuckDB relation")
    if mod.startswith("dask"):
        return Source("dask", obj, [str(c) for c in obj.columns], "Dask DataFrame")
    ds = require("pyarrow.dataset", f"Reading Parquet data in {where}")
    if isinstance(obj, (str, os.PathLike)):
        path = Path(obj)
        if not path.exists():
            raise SurveyDataError(f"{where}: the Parquet source {str(path)!r} does not exist. Give a .parquet file "
                                  "or a folder of Parquet files.")
        dataset = ds.dataset(str(path), format="parquet")
        if not dataset.files:
            raise SurveyDataError(f"{where}: the folder {str(path)!r} holds no Parquet files.")
        label = f"Parquet {'folder' if path.is_dir() else 'file'} {path.name!r}"
    else:
        dataset, label = obj, "Arrow dataset"
    return Source("parquet", dataset, [str(c) for c in dataset.schema.names], label)


@dataclass
class CrossProducts:
    """Weighted sums of ``z = x - shift`` and ``z z'`` with missing-answer counts (additive).

    ``policy="listwise"`` leaves out rows with a missing item; ``policy="mean"`` keeps them
    with the (weighted) item mean filled in. Filling in changes ``z`` to
    ``z + M δ`` (``M`` the missing indicator, ``δ`` the mean's offset from the shift, known
    only at the end), so the pass also adds ``Σ w z M'`` and ``Σ w M M'`` and
    :meth:`finish` expands ``Σ w (z + Mδ)(z + Mδ)'`` exactly.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).integers(1, 11, size=(1000, 3))
    >>> state = CrossProducts(integer_shift(X[:100].T))
    >>> for block in np.array_split(X, 4):
    ...     state.add(block.T)
    >>> mean, S = state.finish()
    >>> bool(np.allclose(mean, X.mean(axis=0)) and np.allclose(S, np.cov(X.T, bias=True)))
    True
    """

    shift: np.ndarray
    policy: str = "listwise"
    p: int = field(init=False)

    def __post_init__(self) -> None:
        p = self.p = len(self.shift)
        self.n_total = 0
        self.n_used = 0
        self.rows_affected = 0
        self.sw = 0.0
        self.sw2 = 0.0
        self.sz = np.zeros(p)
        self.zz = np.zeros((p, p))
        self.miss = np.zeros(p, dtype=np.int64)
        self.lo = np.full(p, np.inf)
        self.hi = np.full(p, -np.inf)
        self.swo = np.zeros(p)  # Σ w over answered cells (mean policy)
        self.zm = np.zeros((p, p))
        self.mm = np.zeros((p, p))
        self.swm = np.zeros(p)
        self.has_inf = np.zeros(p, dtype=bool)

    # ------------------------------------------------------------------ add
    def add(self, Xt: np.ndarray, w: np.ndarray | None = None) -> None:
        """Add a ``(p, n)`` block of rows (NaN = missing) with optional weights ``(n,)``."""
        n = Xt.shape[1]
        if n == 0:
            return
        self.n_total += n
        if Xt.dtype.kind in "iub" and w is None:
            self.swo += n
            self._add_int(Xt)
            return
        X = Xt.astype(np.float64, copy=False)
        valid = ~np.isnan(X)
        self.has_inf |= np.isinf(X).any(axis=1)
        rowok = valid.all(axis=0)
        n_bad = int(n - rowok.sum())
        wv = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
        if n_bad:
            self.rows_affected += n_bad
            self.miss += (~valid).sum(axis=1)
        if self.policy == "listwise" or not n_bad:
            if n_bad:
                X, wv = X[:, rowok], wv[rowok]
            self.swo += wv.sum()
            self._bounds(X)
            Z = X - self.shift[:, None]
            wz = Z if w is None else Z * wv
            self.zz += wz @ Z.T
            self.sz += wz.sum(axis=1)
            self.sw += wv.sum()
            self.sw2 += wv @ wv
            self.n_used += X.shape[1]
            return
        # mean policy with missing answers in this block
        self._bounds(np.where(valid, X, np.nan))
        Z0 = np.where(valid, X - self.shift[:, None], 0.0)
        M = (~valid).astype(np.float64)
        wz = Z0 * wv
        self.zz += wz @ Z0.T
        self.zm += wz @ M.T
        self.mm += (M * wv) @ M.T
        self.swm += M @ wv
        self.swo += valid @ wv
        self.sz += wz.sum(axis=1)
        self.sw += wv.sum()
        self.sw2 += wv @ wv
        self.n_used += n

    def _bounds(self, X: np.ndarray) -> None:
        if X.shape[1]:
            self.lo = np.fmin(self.lo, np.nanmin(np.where(np.isnan(X), np.inf, X), axis=1))
            self.hi = np.fmax(self.hi, np.nanmax(np.where(np.isnan(X), -np.inf, X), axis=1))

    def _add_int(self, Xt: np.ndarray) -> None:
        """Integer rows without weights: exact float32 products of ``x - shift``.

        The block is shifted into a float32 buffer with an extra row of ones, so one matrix
        product gives both ``Σ z z'`` and ``Σ z`` (its last column)."""
        n, p = Xt.shape[1], self.p
        self.lo = np.fmin(self.lo, Xt.min(axis=1))
        self.hi = np.fmax(self.hi, Xt.max(axis=1))
        exact = self.exact_rows(self.lo, self.hi)
        if not exact:
            self._add_wide_int(Xt)
            return
        step = min(n, PRODUCT_ROWS, exact)
        buf = np.empty((p + 1, step), dtype=np.float32)
        buf[p] = 1.0
        sh = self.shift.astype(np.float32)[:, None]
        for r0 in range(0, n, step):
            m = min(step, n - r0)
            Z = buf if m == step else np.ascontiguousarray(buf[:, :m])
            np.subtract(Xt[:, r0:r0 + m], sh, out=Z[:p], casting="unsafe")
            G = np.dot(Z, Z.T)  # BLAS syrk; here several times faster than matmul's gemm
            self.zz += G[:p, :p]
            self.sz += G[:p, p]
        self.sw += n
        self.sw2 += n
        self.n_used += n

    def exact_rows(self, lo: np.ndarray, hi: np.ndarray) -> int:
        """Rows whose float32 products and sums of ``x - shift`` stay exact integers, for items
        within ``[lo, hi]`` (0: not possible, the values are too large)."""
        big = float(max(np.abs(hi - self.shift).max(), np.abs(lo - self.shift).max(), 1.0))
        if not np.all(self.shift == np.round(self.shift)) or big > 2**11:
            return 0
        return max(1, int(_EXACT / (big * big)) - 1)

    def add_gram(self, G: np.ndarray, m: int, lo: np.ndarray, hi: np.ndarray) -> None:
        """Add ``m`` unweighted integer rows given by their exact product ``G = [z; 1][z; 1]'``
        (the rows lie within ``[lo, hi]``)."""
        p = self.p
        self.zz += G[:p, :p]
        self.sz += G[:p, p]
        self.n_total += m
        self.n_used += m
        self.sw += m
        self.sw2 += m
        self.swo += m
        self.lo = np.fmin(self.lo, lo)
        self.hi = np.fmax(self.hi, hi)

    def _add_wide_int(self, Xt: np.ndarray) -> None:
        """Integer rows whose values are too large for the exact float32 path."""
        Z = Xt.astype(np.float64) - self.shift[:, None]
        self.zz += Z @ Z.T
        self.sz += Z.sum(axis=1)
        self.sw += Xt.shape[1]
        self.sw2 += Xt.shape[1]
        self.n_used += Xt.shape[1]

    # ------------------------------------------------------------------ combine
    def merge(self, other: CrossProducts) -> CrossProducts:
        """Add another state (same shift and policy), e.g. from another Dask partition."""
        if not np.array_equal(self.shift, other.shift):  # pragma: no cover - internal misuse
            raise ValueError("CrossProducts.merge needs the same shift")
        for name in ("n_total", "n_used", "rows_affected", "sw", "sw2", "sz", "zz", "miss", "swo", "zm", "mm",
                     "swm"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.lo = np.fmin(self.lo, other.lo)
        self.hi = np.fmax(self.hi, other.hi)
        self.has_inf |= other.has_inf
        return self

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """The weighted mean and the population (divisor Σw) covariance of the rows used."""
        sz, zz = self.sz, self.zz
        if self.policy == "mean" and self.rows_affected:
            with np.errstate(invalid="ignore", divide="ignore"):
                delta = self.sz / self.swo  # item mean (answered cells) minus the shift
            delta = np.where(self.swo > 0, delta, 0.0)
            sz = self.sz + delta * self.swm
            zm = self.zm * delta[None, :]
            zz = self.zz + zm + zm.T + self.mm * np.outer(delta, delta)
        d = sz / self.sw
        S = zz / self.sw - np.outer(d, d)
        return self.shift + d, (S + S.T) / 2.0


def integer_shift(Xt: np.ndarray) -> np.ndarray:
    """Rounded column means of a ``(p, n)`` block, ignoring NaN (0 for an empty column)."""
    X = Xt.astype(np.float64, copy=False)
    valid = ~np.isnan(X)
    cnt = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(cnt > 0, np.where(valid, X, 0.0).sum(axis=1) / np.maximum(cnt, 1), 0.0)
    return np.round(np.where(np.isfinite(m), m, 0.0))


# --------------------------------------------------------------------------- groups and segments
_M1, _M2, _GOLD = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser (Steele, Lea & Flood 2014): a bijective hash of uint64 values."""
    with np.errstate(over="ignore"):
        z = x + _GOLD
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def random_groups(pos: np.ndarray, groups: int, key: int) -> np.ndarray:
    """The random group (``0 .. groups-1``) of the rows at global positions ``pos``.

    The rows are cut into consecutive blocks of ``groups`` positions, and each block is dealt
    out to the groups by a random permutation: the rank of a keyed hash of the position
    among the block's hashes. So the groups are equal in size (up to one row), the
    assignment is a function of the position and ``key`` only -- the same for any batch
    size, file layout or number of Dask partitions -- and reproducible from the seed.

    Examples
    --------
    >>> g = random_groups(np.arange(1000), 10, key=42)
    >>> np.bincount(g).tolist()
    [100, 100, 100, 100, 100, 100, 100, 100, 100, 100]
    >>> bool((random_groups(np.arange(500, 700), 10, key=42) == g[500:700]).all())
    True
    """
    pos = np.asarray(pos, dtype=np.int64)
    if pos.size == 0:
        return np.zeros(0, dtype=np.int64)
    b0, b1 = int(pos.min()) // groups, int(pos.max()) // groups
    cells = np.arange(b0 * groups, (b1 + 1) * groups, dtype=np.uint64)
    h = _mix(cells ^ _mix(np.full(1, key, dtype=np.uint64))).reshape(-1, groups)
    rank = np.empty(h.shape, dtype=np.int64)
    np.put_along_axis(rank, np.argsort(h, axis=1), np.arange(groups, dtype=np.int64)[None, :], axis=1)
    return rank.ravel()[pos - b0 * groups]


class GroupedCrossProducts:
    """:class:`CrossProducts` of ``groups`` random groups of the rows (:func:`random_groups`).

    The statistics of the whole table are the sum of the groups'
    (:meth:`total`); a random-group bootstrap re-weights the groups (:meth:`stacked` gives
    their additive fields as ``(groups, ...)`` arrays). Memory: ``groups`` states of a few
    ``p x p`` matrices.

    Examples
    --------
    >>> X = np.random.default_rng(0).integers(1, 11, size=(1000, 3))
    >>> state = GroupedCrossProducts(integer_shift(X[:100].T), "listwise", groups=20, key=1)
    >>> for k, block in enumerate(np.array_split(np.arange(1000), 3)):
    ...     state.add_part(None, X[block].T, None, block)
    >>> mean, S = state.total().finish()
    >>> bool(np.allclose(S, np.cov(X.T, bias=True))), state.stacked()["sw"].tolist()[:3]
    (True, [50.0, 50.0, 50.0])
    """

    FIELDS = ("sw", "sz", "zz", "swo", "zm", "mm", "swm")

    def __init__(self, shift: np.ndarray, policy: str, groups: int, key: int) -> None:
        self.groups, self.key = int(groups), int(key)
        self.parts = [CrossProducts(shift, policy) for _ in range(self.groups)]

    def add_part(self, part: Any, Xt: np.ndarray, w: np.ndarray | None, pos: np.ndarray) -> None:
        """Add a ``(p, n)`` block whose rows sit at global positions ``pos``."""
        if Xt.shape[1] == 0:
            return
        g = random_groups(pos, self.groups, self.key)
        order = np.argsort(g.astype(np.int16 if self.groups < 2**15 else np.int64), kind="stable")
        cuts = np.searchsorted(g[order], np.arange(self.groups + 1))
        Xs = np.take(Xt, order, axis=1)  # several times faster than Xt[:, order]
        nonempty = np.flatnonzero(np.diff(cuts))
        if Xt.dtype.kind in "iub" and w is None:  # the exact integer path, one shift for the whole batch
            lo, hi = Xt.min(axis=1), Xt.max(axis=1)
            first = self.parts[0]
            if int(np.diff(cuts).max()) <= first.exact_rows(lo, hi):
                p = first.p
                Z = np.empty((p + 1, Xs.shape[1]), dtype=np.float32)
                Z[p] = 1.0
                np.subtract(Xs, first.shift.astype(np.float32)[:, None], out=Z[:p], casting="unsafe")
                for k in nonempty:
                    Zk = Z[:, cuts[k]:cuts[k + 1]]
                    self.parts[k].add_gram(np.dot(Zk, Zk.T), int(cuts[k + 1] - cuts[k]), lo, hi)
                return
        ws = None if w is None else w[order]
        for k in nonempty:
            a, b = cuts[k], cuts[k + 1]
            self.parts[k].add(Xs[:, a:b], None if ws is None else ws[a:b])

    def merge(self, other: GroupedCrossProducts) -> GroupedCrossProducts:
        for mine, theirs in zip(self.parts, other.parts):
            mine.merge(theirs)
        return self

    def total(self) -> CrossProducts:
        """The state of all rows (the sum of the groups)."""
        out = CrossProducts(self.parts[0].shift, self.parts[0].policy)
        for part in self.parts:
            out.merge(part)
        return out

    def stacked(self) -> dict[str, np.ndarray]:
        """The groups' additive sums as arrays with the group first."""
        return {name: np.stack([np.asarray(getattr(p, name), dtype=np.float64) for p in self.parts])
                for name in self.FIELDS}


class SegmentedStates:
    """One state per segment (the values of the ``by`` columns), filled in the same pass.

    Each batch's segment columns are factorised (pandas ``groupby(...).indices``); the rows of
    a segment are added to its state in one call (a loop over the batch's segments, never
    over rows). Rows with a missing segment value are counted in ``n_missing`` and left out.
    ``categories`` keeps the category order of a single categorical segment column.
    """

    def __init__(self, by: Sequence[str], make: Callable[[], Any]) -> None:
        self.by, self.make = list(by), make
        self.states: dict[Any, Any] = {}
        self.n_missing = 0
        self.n_total = 0
        self.categories: list[Any] | None = None

    def add_part(self, part: Any, Xt: np.ndarray, w: np.ndarray | None, pos: np.ndarray) -> None:
        import pandas as pd

        if hasattr(part, "schema") and hasattr(part, "column"):  # Arrow
            codes = pd.DataFrame({c: part.column(c).to_pandas() for c in self.by})
        else:
            codes = part[self.by].reset_index(drop=True)
        self.n_total += len(codes)
        first = codes[self.by[0]]
        if len(self.by) == 1 and isinstance(first.dtype, pd.CategoricalDtype):
            seen = self.categories or []
            self.categories = seen + [c for c in first.cat.categories if c not in seen]
        miss = codes.isna().any(axis=1).to_numpy()
        self.n_missing += int(miss.sum())
        groups = codes.groupby(self.by, sort=False, observed=True, dropna=True).indices
        for key, rows in groups.items():
            parts = key if isinstance(key, tuple) else (key,)
            parts = tuple(p.item() if isinstance(p, np.generic) else p for p in parts)
            key = parts[0] if len(self.by) == 1 else parts
            state = self.states.get(key)
            if state is None:
                state = self.states[key] = self.make()
            rows = np.asarray(rows, dtype=np.int64)
            sub_w = None if w is None else w[rows]
            if hasattr(state, "add_part"):
                state.add_part(None, Xt[:, rows], sub_w, pos[rows])
            else:
                state.add(Xt[:, rows], sub_w)

    def merge(self, other: SegmentedStates) -> SegmentedStates:
        for key, state in other.states.items():
            if key in self.states:
                self.states[key].merge(state)
            else:
                self.states[key] = state
        self.n_missing += other.n_missing
        self.n_total += other.n_total
        if other.categories is not None:
            seen = self.categories or []
            self.categories = seen + [c for c in other.categories if c not in seen]
        return self
