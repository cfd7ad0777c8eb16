"""Batched resampling kernels: weighted bootstrap means and label permutations.

One implementation for every bootstrap of a weighted mean (the NPS interval, the index
comparisons of :mod:`csindex.comparisons`). A bootstrap resample is represented by its row
counts (one multinomial draw), so a batch of resamples is one matrix product
``(counts * w) @ values``; a permutation of group labels is a batch of shuffled 0/1
vectors. Batches hold at most :data:`CHUNK_CELLS` cells: no Python loop over respondents or
single resamples.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CHUNK_CELLS", "weighted_means", "bootstrap_means", "permutation_differences"]

#: max cells of one batch of resampling weights (16 MB of float64)
CHUNK_CELLS = 2_000_000


def _as_columns(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """-> (values with NaN set to 0, 1.0 where a value is present), both (n, k)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    valid = ~np.isnan(values)
    return np.where(valid, values, 0.0), valid.astype(np.float64)


def _batch_means(weights: np.ndarray, cf: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Weighted column means for a batch: ``weights`` (R x n) per resample -> (R x k)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ cf) / (weights @ valid)


def weighted_means(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted column means of ``values`` (n x k, NaN = missing, left out per column).

    Examples
    --------
    >>> weighted_means(np.array([[1.0, np.nan], [3.0, 4.0]]), np.array([1.0, 3.0])).tolist()
    [2.5, 4.0]
    """
    cf, valid = _as_columns(values)
    return _batch_means(np.asarray(w, dtype=np.float64)[None, :], cf, valid)[0]


def bootstrap_means(values: np.ndarray, w: np.ndarray, bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """Weighted column means of ``bootstrap`` resamples of the rows (weights travel along).

    Parameters
    ----------
    values : array (n,) or (n, k)
        NaN = missing (left out of that column's mean).
    w : array (n,)
        Sampling weights (ones when unweighted).
    bootstrap : int
        Number of resamples R.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        (R, k) resampled means.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> draws = bootstrap_means(np.array([0.0, 100.0]), np.ones(2), 1000, rng)
    >>> draws.shape, sorted(set(draws[:, 0].tolist()))
    ((1000, 1), [0.0, 50.0, 100.0])
    """
    cf, valid = _as_columns(values)
    w = np.asarray(w, dtype=np.float64)
    n, k = cf.shape
    out = np.empty((bootstrap, k))
    chunk = max(1, min(bootstrap, CHUNK_CELLS // max(n, 1)))
    p = np.full(n, 1.0 / n)
    for start in range(0, bootstrap, chunk):  # batches of resamples
        stop = min(start + chunk, bootstrap)
        counts = rng.multinomial(n, p, size=stop - start).astype(np.float64)
        out[start:stop] = _batch_means(counts * w, cf, valid)
    return out


def permutation_differences(a: np.ndarray, w_a: np.ndarray, b: np.ndarray, w_b: np.ndarray,
                            n_permutations: int, rng: np.random.Generator) -> np.ndarray:
    """Differences ``mean_b - mean_a`` after reshuffling the group labels of the pooled rows.

    Group sizes are kept; weights travel with their rows. Returns (n_permutations, k).

    Examples
    --------
    >>> d = permutation_differences(np.zeros(3), np.ones(3), np.ones(3), np.ones(3), 200,
    ...                             np.random.default_rng(1))
    >>> bool((np.abs(d) <= 1).all()), d.shape
    (True, (200, 1))
    """
    cf_a, va = _as_columns(a)
    cf_b, vb = _as_columns(b)
    cf, valid = np.vstack([cf_a, cf_b]), np.vstack([va, vb])
    w = np.concatenate([np.asarray(w_a, dtype=np.float64), np.asarray(w_b, dtype=np.float64)])
    n, k = cf.shape
    base = np.concatenate([np.zeros(len(cf_a)), np.ones(len(cf_b))])
    out = np.empty((n_permutations, k))
    chunk = max(1, min(n_permutations, CHUNK_CELLS // max(n, 1)))
    for start in range(0, n_permutations, chunk):  # batches of permutations
        stop = min(start + chunk, n_permutations)
        in_b = rng.permuted(np.broadcast_to(base, (stop - start, n)), axis=1)
        out[start:stop] = _batch_means(in_b * w, cf, valid) - _batch_means((1.0 - in_b) * w, cf, valid)
    return out
