"""Maximum-likelihood covariance structure engine (numpy only; used by :mod:`csindex.sem`; no pandas, no semopy).

The model is LISREL's "all-y" form

    Sigma(theta) = Lambda (I - B)^-1 Psi (I - B)^-T Lambda' + Theta

with ``Lambda`` (p x m) the loadings, ``B`` (m x m) the structural paths
(``B[t, s]`` is the path s -> t), ``Psi`` (m x m) the (residual) variances and
covariances of the latent variables and ``Theta`` (p x p) those of the item residuals.

The discrepancy minimised is lavaan's ML fit function (times two)

    F(theta) = log|Sigma| + tr(S Sigma^-1) - log|S| - p,

with ``S`` the sample covariance with divisor N (lavaan's ``likelihood = "normal"``), so
that chi-square = N F at the minimum. Every free parameter enters one or more cells of
the four matrices; the derivative of Sigma with respect to any single cell has the
form ``u v' + v u'`` (rank two), which gives closed forms for the gradient
``g_k = 2 u_k' G v_k`` with ``G = Sigma^-1 - Sigma^-1 S Sigma^-1`` and for the expected
(Fisher) information ``H_kl = tr(Sigma^-1 dSigma_k Sigma^-1 dSigma_l)
= 2 (<u_k,u_l><v_k,v_l> + <u_k,v_l><v_k,u_l>)`` with ``<x,y> = x' Sigma^-1 y``.

Estimation is Fisher scoring with step halving, finished by Newton steps on the
exact Hessian (finite differences of the analytic gradient, evaluated as one batch),
so the solution is converged to the precision of double arithmetic, not to an
optimiser tolerance. Everything is batched over a leading axis (bootstrap
resamples are estimated together).
"""


from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..exceptions import SpecError
from ..spec import Mode

# matrix codes
LAM, BET, PSI, THE = 0, 1, 2, 3


@dataclass
class Param:
    """One row of the parameter table (lavaan naming)."""

    lhs: str
    op: str
    rhs: str
    mat: int
    row: int
    col: int
    free: bool
    value: float = 0.0          # fixed value (free parameters: ignored)
    label: str = ""
    index: int = -1             # index into theta for free parameters


@dataclass
class Structure:
    """Matrix layout of a model: observed and latent names, parameter table."""

    observed: list[str]
    latent: list[str]
    params: list[Param]
    n_free: int = 0
    # per free *cell* (a parameter may fill several cells through a shared label)
    cell_mat: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    cell_row: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    cell_col: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    cell_par: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    base: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def p(self) -> int:
        return len(self.observed)

    @property
    def m(self) -> int:
        return len(self.latent)

    def finalize(self) -> None:
        """Number the free parameters (labels shared) and build the fixed-value matrices."""
        p, m = self.p, self.m
        lam = np.zeros((p, m))
        bet = np.zeros((m, m))
        psi = np.zeros((m, m))
        the = np.zeros((p, p))
        mats = (lam, bet, psi, the)
        labels: dict[str, int] = {}
        k = 0
        cells = []
        for par in self.params:
            if par.free:
                if par.label and par.label in labels:
                    par.index = labels[par.label]
                else:
                    par.index = k
                    if par.label:
                        labels[par.label] = k
                    k += 1
                cells.append((par.mat, par.row, par.col, par.index))
            else:
                mats[par.mat][par.row, par.col] = par.value
                if par.mat in (PSI, THE):
                    mats[par.mat][par.col, par.row] = par.value
        self.n_free = k
        arr = np.array(cells, dtype=int).reshape(-1, 4)
        self.cell_mat, self.cell_row, self.cell_col, self.cell_par = arr.T
        self.base = mats

    # ------------------------------------------------------------------ matrices
    def matrices(self, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """Batched (Lambda, B, Psi, Theta) for ``theta`` of shape (R, q)."""
        theta = np.atleast_2d(theta)
        r = theta.shape[0]
        assert self.base is not None
        out = [np.repeat(b[None], r, axis=0) for b in self.base]
        for code in (LAM, BET, PSI, THE):
            sel = self.cell_mat == code
            if not sel.any():
                continue
            rows, cols, pars = self.cell_row[sel], self.cell_col[sel], self.cell_par[sel]
            out[code][:, rows, cols] = theta[:, pars]
            if code in (PSI, THE):
                out[code][:, cols, rows] = theta[:, pars]
        return tuple(out)

    def implied(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Implied covariance and the intermediate products (batched)."""
        lam, bet, psi, the = self.matrices(theta)
        m = self.m
        a = np.linalg.inv(np.eye(m)[None] - bet)                 # (I - B)^-1
        c = a @ psi @ np.swapaxes(a, 1, 2)                        # latent covariance
        la = lam @ a
        lc = lam @ c
        sigma = lc @ np.swapaxes(lam, 1, 2) + the
        return {"lam": lam, "bet": bet, "psi": psi, "the": the, "a": a, "c": c, "la": la, "lc": lc,
                "sigma": sigma}

    def rank_two(self, mats: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Vectors u, v (R, n_cells, p) with dSigma/dcell = u v' + v u'.

        Lambda[i, j]: u = e_i, v = (Lambda C)[:, j];  B[i, j] (path j -> i):
        u = (Lambda A)[:, i], v = (Lambda C)[:, j];  Psi[i, j]: u = (Lambda A)[:, i],
        v = (Lambda A)[:, j] (halved on the diagonal);  Theta[i, j]: u = e_i, v = e_j
        (halved on the diagonal); A = (I - B)^-1, C = A Psi A'.
        """
        r = mats["sigma"].shape[0]
        p = self.p
        n = len(self.cell_mat)
        u = np.zeros((r, n, p))
        v = np.zeros((r, n, p))
        la = np.swapaxes(mats["la"], 1, 2)          # (r, m, p): rows are columns of Lambda A
        lc = np.swapaxes(mats["lc"], 1, 2)
        rows, cols, code = self.cell_row, self.cell_col, self.cell_mat
        half = np.where(rows == cols, 0.5, 1.0)
        k = np.flatnonzero(code == LAM)
        u[:, k, rows[k]] = 1.0
        v[:, k] = lc[:, cols[k]]
        k = np.flatnonzero(code == BET)
        u[:, k] = la[:, rows[k]]
        v[:, k] = lc[:, cols[k]]
        k = np.flatnonzero(code == PSI)
        u[:, k] = la[:, rows[k]]
        v[:, k] = la[:, cols[k]] * half[k][None, :, None]
        k = np.flatnonzero(code == THE)
        u[:, k, rows[k]] = 1.0
        v[:, k, cols[k]] = half[k]
        return u, v

    def jacobian_cells(self) -> np.ndarray:
        """Indicator (n_cells, q) mapping cells to free parameters."""
        n = len(self.cell_mat)
        j = np.zeros((n, self.n_free))
        j[np.arange(n), self.cell_par] = 1.0
        return j


def ml_objective(sigma: np.ndarray, s: np.ndarray, logdet_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """F_ML (batched) and Sigma^-1; +inf where Sigma is not positive definite."""
    p = sigma.shape[-1]
    try:
        chol = np.linalg.cholesky(sigma)
        logdet = 2.0 * np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)
        inv = np.linalg.inv(sigma)
        bad = np.zeros(len(sigma), bool)
    except np.linalg.LinAlgError:
        # some member is not positive definite: find which, one by one
        bad = np.array([np.linalg.eigvalsh(x)[0] <= 0 if np.all(np.isfinite(x)) else True for x in sigma])
        safe = np.where(bad[:, None, None], np.eye(p)[None], sigma)
        logdet = np.linalg.slogdet(safe)[1]
        inv = np.linalg.inv(safe)
    f = logdet + np.einsum("rij,rji->r", s, inv) - logdet_s - p
    f = np.where(bad | ~np.isfinite(f), np.inf, f)
    return f, inv


def gradient_information(structure: Structure, theta: np.ndarray, s: np.ndarray, logdet_s: np.ndarray,
                         info: bool = True) -> dict[str, np.ndarray]:
    """F, gradient dF/dtheta and expected information H = E[d2F] (batched)."""
    mats = structure.implied(theta)
    f, inv = ml_objective(mats["sigma"], s, logdet_s)
    g_mat = inv - inv @ s @ inv
    u, v = structure.rank_two(mats)
    jac = structure.jacobian_cells()
    gu = v @ g_mat                                   # G symmetric
    g_cells = 2.0 * np.sum(u * gu, axis=-1)
    out = {"f": f, "grad": g_cells @ jac, "sigma": mats["sigma"], "inv": inv, "mats": mats}
    if info:
        iu = u @ inv
        iv = v @ inv
        ut, vt = np.swapaxes(u, 1, 2), np.swapaxes(v, 1, 2)
        uu = iu @ ut
        vv = iv @ vt
        uv = iu @ vt
        h_cells = 2.0 * (uu * vv + uv * np.swapaxes(uv, 1, 2))
        out["info"] = jac.T[None] @ h_cells @ jac[None]
    return out


@dataclass
class FitState:
    theta: np.ndarray
    f: np.ndarray
    grad: np.ndarray
    info: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray


def fit_ml(structure: Structure, s: np.ndarray, theta0: np.ndarray, *, max_iter: int = 500,
           tol: float = 1e-10, newton: bool = True, newton_switch: float = 1e-7) -> FitState:
    """Minimise F_ML for each of R sample covariances ``s`` (R, p, p) from ``theta0`` (R, q).

    Fisher scoring with step halving until the largest absolute gradient element is below
    ``newton_switch`` (or the step stalls), then Newton steps on the exact Hessian (when
    ``newton``); a member has converged when its largest gradient element is below ``tol``.
    """
    s = np.asarray(s, dtype=float)
    logdet_s = np.linalg.slogdet(s)[1]

    def fun(x: np.ndarray, idx: np.ndarray, info: bool) -> dict[str, np.ndarray]:
        return gradient_information(structure, x, s[idx], logdet_s[idx], info=info)

    return optimize(fun, theta0, max_iter=max_iter, tol=tol, newton=newton, newton_switch=newton_switch)


def optimize(fun, x0: np.ndarray, *, max_iter: int, tol: float, newton: bool,
             newton_switch: float = 1e-7, scoring_limit: int = 150, newton_limit: int = 30) -> FitState:
    """Batched Fisher scoring with step halving, then batched Newton steps.

    ``fun(x, idx, info)`` returns ``f``, ``grad`` (and with ``info`` the expected Hessian)
    of the batch members ``idx`` (rows of ``x``; ``idx`` may repeat a member). Scoring
    runs until a member's largest gradient element is below ``newton_switch`` (or it
    stalls, or after ``scoring_limit`` iterations); Newton steps on the exact Hessian
    (central differences of the analytic gradient, evaluated in batches) finish it, with
    the scoring direction where the Hessian is not positive definite. A member has
    converged when its largest gradient element is below ``tol``.
    """
    x = np.array(x0, dtype=float, copy=True)
    r = x.shape[0]
    all_idx = np.arange(r)
    st = fun(x, all_idx, True)
    f, grad, info = st["f"].copy(), st["grad"].copy(), st["info"].copy()
    iters = np.zeros(r, int)
    switch = newton_switch if newton else 0.0
    active = np.isfinite(f) & (np.abs(grad).max(axis=1) >= tol)
    for it in range(max_iter):
        if newton and it >= scoring_limit:
            break                         # slow linear convergence: let Newton finish
        active &= np.abs(grad).max(axis=1) >= max(tol, switch)
        if not active.any():
            break
        idx = np.flatnonzero(active)
        step = _solve(info[idx], -grad[idx])
        accepted, new = _line_search(fun, x[idx], f[idx], step, idx)
        stalled = ~accepted | (np.abs(new["f"] - f[idx]) <= 1e-15 * np.maximum(1.0, np.abs(f[idx])))
        keep = idx[accepted]
        x[keep] = new["x"][accepted]
        f[keep] = new["f"][accepted]
        grad[keep] = new["grad"][accepted]
        info[keep] = new["info"][accepted]
        iters[idx] += 1
        active[idx[stalled]] = False      # no further progress by scoring: hand over to Newton
    budget = max_iter - int(iters.max(initial=0))
    if newton and budget > 0:
        alive = np.isfinite(f) & (np.abs(grad).max(axis=1) >= tol)
        for _step in range(min(budget, newton_limit)):
            if not alive.any():
                break
            idx = np.flatnonzero(alive)
            hess = _batched_hessian(fun, x[idx], idx)
            pd_ok = np.linalg.eigvalsh(hess)[:, 0] > 0
            step = np.empty((len(idx), x.shape[1]))
            if pd_ok.any():
                step[pd_ok] = _solve(hess[pd_ok], -grad[idx][pd_ok])
            if (~pd_ok).any():                  # not positive definite: scoring direction
                step[~pd_ok] = _solve(info[idx][~pd_ok], -grad[idx][~pd_ok])
            accepted, new = _line_search(fun, x[idx], f[idx], step, idx, halvings=8)
            better = accepted & (np.abs(new["grad"]).max(axis=1) < np.abs(grad[idx]).max(axis=1) * 1.0001)
            keep = idx[better]
            x[keep] = new["x"][better]
            f[keep] = new["f"][better]
            grad[keep] = new["grad"][better]
            info[keep] = new["info"][better]
            iters[keep] += 1
            alive[idx[~better]] = False
            alive &= np.abs(grad).max(axis=1) >= tol
    converged = np.isfinite(f) & (np.abs(grad).max(axis=1) < tol)
    return FitState(x, f, grad, info, iters, converged)


def _line_search(fun, x0, f0, step, idx, halvings: int = 12):
    """Step halving: accept the first trial that does not increase f (batched)."""
    tiny = 1e-14 * np.maximum(1.0, np.abs(f0))
    first = fun(x0 + step, idx, True)
    out = {"x": x0 + step, "f": first["f"].copy(), "grad": first["grad"].copy(), "info": first["info"].copy()}
    accepted = first["f"] <= f0 + tiny
    alpha = 1.0
    pending = ~accepted
    for _ in range(halvings):
        if not pending.any():
            break
        alpha /= 2
        sel = np.flatnonzero(pending)
        xt = x0[sel] + alpha * step[sel]
        ft = fun(xt, idx[sel], False)["f"]
        ok = ft <= f0[sel] + tiny[sel]
        if ok.any():
            good = sel[ok]
            full = fun(xt[ok], idx[good], True)
            out["x"][good] = xt[ok]
            out["f"][good] = full["f"]
            out["grad"][good] = full["grad"]
            out["info"][good] = full["info"]
            accepted[good] = True
            pending[good] = False
    return accepted, out


def _batched_hessian(fun, xs: np.ndarray, idx: np.ndarray, h: float = 1e-5, max_rows: int = 2048) -> np.ndarray:
    """Exact Hessians of several members by central differences of the analytic gradient."""
    r, k = xs.shape
    steps = h * np.maximum(1.0, np.abs(xs))                      # (r, k)
    eye = np.eye(k)
    out = np.empty((r, k, k))
    per = max(1, max_rows // (2 * k))
    for a in range(0, r, per):
        b = min(r, a + per)
        xa, sa = xs[a:b], steps[a:b]
        plus = xa[:, None, :] + eye[None] * sa[:, :, None]         # (m, k, k)
        minus = xa[:, None, :] - eye[None] * sa[:, :, None]
        both = np.concatenate([plus, minus], axis=1).reshape(-1, k)
        ids = np.repeat(idx[a:b], 2 * k)
        g = fun(both, ids, False)["grad"].reshape(b - a, 2 * k, k)
        hess = (g[:, :k] - g[:, k:]) / (2 * sa[:, :, None])
        out[a:b] = 0.5 * (hess + np.swapaxes(hess, 1, 2))
    return out


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.einsum("rij,rj->ri", np.linalg.pinv(a), b)


def richardson_hessian(grad, x: np.ndarray, h: float = 1e-4, chunk: int = 256) -> np.ndarray:
    """Hessian at ``x`` from a batched analytic gradient ``grad(X) -> (R, k)``: central
    differences with steps ``h`` and ``2h`` combined by Richardson extrapolation
    (``(4 H_h - H_2h) / 3``, error O(h^4)): on the flat ECSI likelihood a plain central
    difference with h = 1e-5 leaves ~5e-6 relative error in the sandwich standard errors,
    this one ~3e-7 (the precision of lavaan's own numerical Hessian)."""
    k = x.shape[0]
    base = np.maximum(1.0, np.abs(x))
    steps = np.concatenate([h * base, 2 * h * base])
    eye = np.vstack([np.diag(h * base), np.diag(2 * h * base)])
    pts = np.vstack([x[None] + eye, x[None] - eye])
    g = np.vstack([grad(pts[a:a + chunk]) for a in range(0, len(pts), chunk)])
    diff = (g[:2 * k] - g[2 * k:]) / (2 * steps[:, None])
    hess = (4 * diff[:k] - diff[k:]) / 3
    return 0.5 * (hess + hess.T)


def numerical_hessian(structure: Structure, theta: np.ndarray, s: np.ndarray, logdet_s: np.ndarray,
                      h: float = 1e-4) -> np.ndarray:
    """Hessian of F for one parameter vector (:func:`richardson_hessian` of the analytic gradient)."""
    def grad(xs: np.ndarray) -> np.ndarray:
        r = len(xs)
        return gradient_information(structure, xs, np.repeat(s[None], r, axis=0), np.repeat(logdet_s, r),
                                    info=False)["grad"]

    return richardson_hessian(grad, theta, h)


# --------------------------------------------------------------------------- model building

def _parse_modifier(mod: str | None) -> tuple[str, float | None, str]:
    """lavaan term modifier -> ("fixed", value, "") / ("free", None, label) / ("free", None, "")."""
    if mod is None:
        return "default", None, ""
    text = mod.strip()
    if text.upper() == "NA":
        return "free", None, ""
    try:
        return "fixed", float(text), ""
    except ValueError:
        pass
    if text.startswith(("start(", "equal(")):
        raise ValueError(text)
    return "free", None, text


def build_structure(spec) -> Structure:
    """Parameter table with lavaan's ``sem()`` defaults for a reflective ModelSpec.

    Defaults: the first loading of each construct is fixed to 1 (marker), residual
    variances of every item and (residual) variances of every construct are free,
    covariances among exogenous constructs are free, residual covariances among
    endogenous constructs are zero unless declared with ``~~``. A single-item construct
    has its item's residual variance fixed to 0. Modifiers: ``1*x`` fixes, ``NA*x``
    frees, a name (``a*x``) labels the parameter; equal labels are one parameter.
    """
    formative = [b.name for b in spec.blocks if b.mode is Mode.FORMATIVE]
    if formative:
        raise SpecError(
            f"Construct(s) {formative!r} are formative ('<~'); covariance-based SEM cannot estimate "
            "composites. Declare them reflective ('=~') or use fit_pls()."
        )
    latent = list(spec.constructs)
    observed = list(spec.items)
    li = {n: k for k, n in enumerate(latent)}
    oi = {n: k for k, n in enumerate(observed)}
    mods = {}
    for key, val in spec.modifiers:
        try:
            mods[key] = _parse_modifier(val)
        except ValueError:
            raise SpecError(f"The modifier {val!r} in '{key[0]} {key[1]} {val}*{key[2]}' is not supported; "
                            "use a number (fixed), NA (free) or a label.") from None
    params: list[Param] = []
    for b in spec.blocks:
        for k, item in enumerate(b.items):
            kind, value, label = mods.get((b.name, "=~", item), ("default", None, ""))
            if kind == "default":
                free, val = (k > 0), 1.0
            else:
                free, val = kind == "free", (value if value is not None else 1.0)
            params.append(Param(b.name, "=~", item, LAM, oi[item], li[b.name], free, val, label))
    order = spec.topological_order
    for target in latent:
        for source, t in spec.paths:
            if t != target:
                continue
            kind, value, label = mods.get((target, "~", source), ("default", None, ""))
            free = kind != "fixed"
            params.append(Param(target, "~", source, BET, li[target], li[source], free,
                                value if value is not None else 0.0, label))
    declared: set[frozenset] = set()
    user_var: dict[str, tuple[str, float | None, str]] = {}
    for a, b in spec.covariances:
        kind, value, label = mods.get((a, "~~", b), ("default", None, ""))
        if a == b:
            user_var[a] = (kind, value, label)
            continue
        declared.add(frozenset((a, b)))
        free = kind != "fixed"
        if a in li and b in li:
            params.append(Param(a, "~~", b, PSI, li[a], li[b], free, value or 0.0, label))
        elif a in oi and b in oi:
            params.append(Param(a, "~~", b, THE, oi[a], oi[b], free, value or 0.0, label))
        else:
            raise SpecError(f"Covariance {a!r} ~~ {b!r} links a construct and an item; CB-SEM supports "
                            "covariances between two constructs or between two items.")
    single = {b.items[0] for b in spec.blocks if len(b.items) == 1}
    for item in observed:
        kind, value, label = user_var.get(item, ("default", None, ""))
        if kind == "default":
            free, val = item not in single, 0.0
        else:
            free, val = kind == "free", value or 0.0
        params.append(Param(item, "~~", item, THE, oi[item], oi[item], free, val, label))
    for c in latent:
        kind, value, label = user_var.get(c, ("default", None, ""))
        free = kind != "fixed"
        params.append(Param(c, "~~", c, PSI, li[c], li[c], free, value if value is not None else 0.0, label))
    exo = [c for c in order if c in spec.exogenous]
    exo = [c for c in latent if c in exo]
    for x in range(len(exo)):
        for y in range(x + 1, len(exo)):
            if frozenset((exo[x], exo[y])) not in declared:
                params.append(Param(exo[x], "~~", exo[y], PSI, li[exo[x]], li[exo[y]], True, 0.0))
    st = Structure(observed, latent, params)
    st.finalize()
    return st


def start_values(structure: Structure, spec, s: np.ndarray) -> np.ndarray:
    """Starting values from the sample covariance (one-factor solutions per block, then
    regressions among the implied construct covariances)."""
    p, m = structure.p, structure.m
    oi = {n: k for k, n in enumerate(structure.observed)}
    li = {n: k for k, n in enumerate(structure.latent)}
    lam = np.zeros((p, m))
    var_lat = np.ones(m)
    fixed = {(par.mat, par.row, par.col): par.value for par in structure.params if not par.free}
    for b in spec.blocks:
        j = li[b.name]
        idx = [oi[i] for i in b.items]
        sb = s[np.ix_(idx, idx)]
        if len(idx) == 1:
            load = np.array([1.0])
            v = sb[0, 0]
        else:
            w, vec = np.linalg.eigh(sb)
            load = vec[:, -1] * np.sqrt(max(w[-1], 1e-8))
            if load.sum() < 0:
                load = -load
            v = 1.0
        marker = next((k for k, i in enumerate(idx) if (LAM, i, j) in fixed and fixed[(LAM, i, j)] != 0), None)
        if marker is not None and abs(load[marker]) > 1e-8:
            scale = fixed[(LAM, idx[marker], j)] / load[marker]
            load = load * scale
            v = v / scale**2
        lam[idx, j] = load
        var_lat[j] = v
    # construct covariances from between-block item covariances
    phi = np.diag(var_lat)
    for a in spec.constructs:
        for b in spec.constructs:
            ja, jb = li[a], li[b]
            if ja >= jb:
                continue
            ia = [oi[i] for i in spec.block_items[a]]
            ib = [oi[i] for i in spec.block_items[b]]
            num = s[np.ix_(ia, ib)]
            den = np.outer(lam[ia, ja], lam[ib, jb])
            ok = np.abs(den) > 1e-8
            val = float(np.mean(num[ok] / den[ok])) if ok.any() else 0.0
            phi[ja, jb] = phi[jb, ja] = val
    # make phi positive definite: shrink correlations
    d = np.sqrt(np.diag(phi))
    corr = phi / np.outer(d, d)
    w, vec = np.linalg.eigh(corr)
    if w[0] < 0.05:
        corr = vec @ np.diag(np.maximum(w, 0.05)) @ vec.T
        dd = np.sqrt(np.diag(corr))
        corr = corr / np.outer(dd, dd)
        phi = corr * np.outer(d, d)
    bet = np.zeros((m, m))
    psi = phi.copy()
    for t in spec.endogenous:
        jt = li[t]
        preds = [li[c] for c in spec.predecessors(t)]
        coef = np.linalg.solve(phi[np.ix_(preds, preds)], phi[preds, jt])
        bet[jt, preds] = coef
        psi[jt, jt] = max(phi[jt, jt] - coef @ phi[preds, jt], 0.05 * phi[jt, jt])
    the = np.diag(np.maximum(np.diag(s) - np.diag(lam @ phi @ lam.T), 0.05 * np.diag(s)))
    mats = (lam, bet, psi, the)
    theta = np.zeros(structure.n_free)
    for par in structure.params:
        if par.free:
            if par.mat in (PSI, THE) and par.row != par.col:
                val = mats[par.mat][par.row, par.col] if par.mat == PSI else 0.0
            else:
                val = mats[par.mat][par.row, par.col]
            theta[par.index] = val
    return theta


