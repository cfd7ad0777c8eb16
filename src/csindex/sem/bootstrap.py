"""Bootstrap of a CB-SEM fit: resamples estimated together in batches."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from ..exceptions import InferenceWarning
from . import _engine as eng
from ._data import _warn


# --------------------------------------------------------------------------- bootstrap
def _bootstrap(structure, spec, theta, x, w, n_boot, rng, progress, confidence, estimates, index_df, lo, hi):
    from tqdm.auto import tqdm

    n, p = x.shape
    chunk = max(1, min(n_boot, 200))
    thetas = np.full((n_boot, structure.n_free), np.nan)
    idx_all = rng.integers(0, n, size=(n_boot, n))
    index_boot = np.full((n_boot, len(spec.blocks)), np.nan)
    li = {c: k for k, c in enumerate(structure.latent)}
    oi = {i: k for k, i in enumerate(structure.observed)}
    show = progress if progress is not None else (n_boot >= 500 and _stderr_tty())
    bar = tqdm(total=n_boot, desc="bootstrap", disable=not show, leave=False)
    failed = 0
    for start in range(0, n_boot, chunk):
        sel = idx_all[start:start + chunk]
        xb = x[sel]                                              # (r, n, p)
        if w is None:
            mb = xb.mean(axis=1)
            xc = xb - mb[:, None, :]
            sb = np.swapaxes(xc, 1, 2) @ xc / n
        else:
            wb = w[sel]
            wb = wb / wb.sum(axis=1, keepdims=True)
            mb = np.einsum("rn,rnp->rp", wb, xb)
            xc = xb - mb[:, None, :]
            sb = np.swapaxes(xc * wb[:, :, None], 1, 2) @ xc
        r = len(sel)
        fs = eng.fit_ml(structure, sb, np.repeat(theta[None], r, axis=0), max_iter=300, tol=1e-7,
                        newton_switch=1e-5)
        ok = fs.converged & np.isfinite(fs.f)
        failed += int((~ok).sum())
        th = np.where(ok[:, None], fs.theta, np.nan)
        thetas[start:start + r] = th
        # index per resample: factor-score weights of each block, applied to resampled item means
        mats = structure.implied(np.where(ok[:, None], fs.theta, theta[None]))
        fsw = mats["c"] @ np.swapaxes(mats["lam"], 1, 2) @ np.linalg.inv(mats["sigma"])
        for k, b in enumerate(spec.blocks):
            idx = [oi[i] for i in b.items]
            wj = fsw[:, li[b.name], :][:, idx]
            wn = wj / wj.sum(axis=1, keepdims=True)
            resc = (mb[:, idx] - lo[idx]) / (hi[idx] - lo[idx]) * 100
            index_boot[start:start + r, k] = np.where(ok, np.sum(resc * wn, axis=1), np.nan)
        bar.update(r)
    bar.close()
    alpha = (1 - confidence) / 2
    good = np.isfinite(thetas).all(axis=1)
    tb = thetas[good]
    boot_se = np.full(len(estimates), np.nan)
    boot_lo = np.full(len(estimates), np.nan)
    boot_hi = np.full(len(estimates), np.nan)
    if len(tb) > 1:
        se_all = tb.std(axis=0, ddof=1)
        q_lo = np.quantile(tb, alpha, axis=0)
        q_hi = np.quantile(tb, 1 - alpha, axis=0)
        for k, par in enumerate(structure.params):
            if par.free:
                boot_se[k], boot_lo[k], boot_hi[k] = se_all[par.index], q_lo[par.index], q_hi[par.index]
    estimates = estimates.assign(boot_se=boot_se, boot_lower=boot_lo, boot_upper=boot_hi)
    ib = index_boot[good]
    if len(ib) > 1:
        index_df = index_df.assign(
            std_error=ib.std(axis=0, ddof=1),
            ci_lower=np.quantile(ib, alpha, axis=0),
            ci_upper=np.quantile(ib, 1 - alpha, axis=0),
        )
    if failed:
        _warn(f"{failed} of {n_boot} bootstrap resamples did not converge and were dropped.",
                      InferenceWarning)
    return estimates, index_df, {"failed": failed, "thetas": tb}


def _bootstrap_effects(structure, effects: pd.DataFrame, thetas: np.ndarray, confidence: float) -> pd.DataFrame:
    """Percentile intervals of the indirect and total effects over the bootstrap estimates."""
    if len(thetas) < 2 or effects.empty:
        return effects
    m = structure.m
    bet = structure.matrices(thetas)[eng.BET]
    total = np.linalg.inv(np.eye(m)[None] - bet) - np.eye(m)[None]
    indirect = total - bet
    li = {c: k for k, c in enumerate(structure.latent)}
    ti = np.array([li[t] for t in effects["target"]])
    si = np.array([li[s] for s in effects["source"]])
    alpha = (1 - confidence) / 2
    ind, tot = indirect[:, ti, si], total[:, ti, si]
    return effects.assign(
        indirect_lower=np.quantile(ind, alpha, axis=0), indirect_upper=np.quantile(ind, 1 - alpha, axis=0),
        total_lower=np.quantile(tot, alpha, axis=0), total_upper=np.quantile(tot, 1 - alpha, axis=0),
    )


def _stderr_tty() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


