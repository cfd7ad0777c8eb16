"""Path diagram of a structural model (PLS or SEM): constructs left to right by layer,
consecutive layers stacked into one column when the row would be wider than ``max_width``."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Mapping, Sequence
from math import comb
from typing import Any

import numpy as np
import pandas as pd

from .._params import Interval, check_param
from .._validation import quote_list
from ..exceptions import SpecError, SurveyDataError
from ._base import (
    Display,
    as_frame,
    boxes_overlap,
    get_renderer,
    has_cjk,
    numeric_column,
    require_columns,
    text_extent_px,
)
from ._text import text as _t

# geometry in data units (1 unit = 1 inch at the natural figure size); node size and
# layer distance adapt to the label lengths, see PathDiagramDisplay._geometry
_NODE_PT = 10.5  # node label font size at the natural size
_EDGE_PT = 9.0  # coefficient font size at the natural size
_CHAR_EM = 0.62  # average advance of a Latin character, in em (CJK characters: 1 em)
_RADS = (0.0, 0.07, -0.07, 0.14, -0.14, 0.2, -0.2, 0.24, -0.24, 0.3, -0.3, 0.34, -0.34, 0.4, -0.4, 0.46, -0.46, 0.53, -0.53, 0.6, -0.6, 0.7, -0.7, 0.8, -0.8)
_RADS_COLUMN = (0.0, 0.35, -0.35, 0.5, -0.5, 0.7, -0.7, 0.9, -0.9, 1.1, -1.1)  # arrows within a column
_MAX_HEIGHT = 14.0  # tallest folding preferred; taller figures (a layer of many constructs) keep the font
_MAX_FIG_HEIGHT = 32.0  # tallest figure (in) drawn at the natural size
_MAX_PARTITIONS = 20000  # contiguous layer groupings tried when folding; beyond that a greedy split
_LABEL_TS = tuple(0.5 + sign * k * 0.04 for k in range(10) for sign in ((1,) if k == 0 else (-1, 1)))


def stars(p: float) -> str:
    """Significance stars: ``***`` p < .001, ``**`` p < .01, ``*`` p < .05.

    Examples
    --------
    >>> [stars(p) for p in (0.0004, 0.004, 0.04, 0.4)]
    ['***', '**', '*', '']
    """
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def longest_path_layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> list[tuple[str, ...]]:
    """Group ``nodes`` by their longest distance from a node without predecessors.

    Raises :class:`~csindex.exceptions.SpecError` when the edges form a cycle.

    Examples
    --------
    >>> longest_path_layers(["A", "B", "C"], [("A", "B"), ("A", "C"), ("B", "C")])
    [('A',), ('B',), ('C',)]
    """
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    succs: dict[str, list[str]] = {n: [] for n in nodes}
    for s, t in edges:
        preds[t].append(s)
        succs[s].append(t)
    indeg = {n: len(preds[n]) for n in nodes}
    queue = [n for n in nodes if indeg[n] == 0]
    depth = {n: 0 for n in queue}
    seen = 0
    while queue:
        n = queue.pop(0)
        seen += 1
        for t in succs[n]:
            depth[t] = max(depth.get(t, 0), depth[n] + 1)
            indeg[t] -= 1
            if indeg[t] == 0:
                queue.append(t)
    if seen < len(nodes):
        cyc = [n for n in nodes if indeg[n] > 0]
        raise SpecError(
            f"The paths passed to path_diagram form a cycle through {quote_list(cyc)}; a path diagram "
            "needs a recursive (acyclic) structural model. Pass layers= to place the constructs yourself."
        )
    n_layers = max(depth.values()) + 1 if depth else 0
    return [tuple(n for n in nodes if depth[n] == k) for k in range(n_layers)]


def fold_layers(
    layers: Sequence[Sequence[str]], edges: Sequence[tuple[str, str]], n_columns: int
) -> list[list[tuple[str, ...]]]:
    """Group consecutive ``layers`` into at most ``n_columns`` columns.

    The layers of a column are stacked top to bottom, so a long causal chain fits a
    bounded width. Among the contiguous groupings, the one with the fewest constructs
    in its tallest column is taken; ties go to the grouping with the fewest arrows that
    would run through another construct of their column, then the fewest arrows that
    jump over a whole column.

    Examples
    --------
    >>> chain = [("IMAG",), ("EXPE",), ("QUAL",), ("VAL",), ("SAT",), ("COMP",), ("LOY",)]
    >>> edges = [("IMAG", "EXPE"), ("IMAG", "SAT"), ("IMAG", "LOY"), ("EXPE", "QUAL"), ("EXPE", "VAL"),
    ...          ("EXPE", "SAT"), ("QUAL", "VAL"), ("QUAL", "SAT"), ("VAL", "SAT"), ("SAT", "LOY"),
    ...          ("SAT", "COMP"), ("COMP", "LOY")]  # the ECSI model with complaints
    >>> [[n for layer in col for n in layer] for col in fold_layers(chain, edges, 3)]
    [['IMAG', 'EXPE', 'QUAL'], ['VAL', 'SAT'], ['COMP', 'LOY']]
    """
    return _fold_candidates(layers, edges, n_columns, 1)[0]


def _fold_candidates(
    layers: Sequence[Sequence[str]], edges: Sequence[tuple[str, str]], n_columns: int, n_best: int
) -> list[list[tuple[str, ...]]]:
    """The ``n_best`` best contiguous groupings of ``layers`` into columns (see :func:`fold_layers`)."""
    layers = [tuple(layer) for layer in layers]
    n = len(layers)
    k = max(1, min(int(n_columns), n))
    if k >= n:
        return [[layers[c:c + 1] for c in range(n)]]
    sizes = [len(layer) for layer in layers]

    def cost(cuts: tuple[int, ...]) -> tuple[int, int, int]:
        bounds = (0, *cuts, n)
        col_of, idx_of, tallest = {}, {}, 0
        for c in range(k):
            members = [m for layer in layers[bounds[c]:bounds[c + 1]] for m in layer]
            tallest = max(tallest, len(members))
            for i, m in enumerate(members):
                col_of[m], idx_of[m] = c, i
        through = sum(1 for s, t in edges if col_of[s] == col_of[t] and abs(idx_of[t] - idx_of[s]) > 1)
        jumps = sum(1 for s, t in edges if col_of[t] - col_of[s] > 1)
        return tallest, through, jumps

    if comb(n - 1, k - 1) <= _MAX_PARTITIONS:
        ranked = sorted(itertools.combinations(range(1, n), k - 1), key=cost)[:n_best]
    else:  # greedy: fill each column up to an equal share of the constructs
        share, cuts, acc = sum(sizes) / k, [], 0
        for i, size in enumerate(sizes[:-1]):
            acc += size
            if acc >= share * (len(cuts) + 1) and len(cuts) < k - 1 and n - i - 1 >= k - 1 - len(cuts):
                cuts.append(i + 1)
        ranked = [tuple(cuts)]
    out = []
    for cuts in ranked:
        bounds = (0, *cuts, n)
        out.append([layers[bounds[c]:bounds[c + 1]] for c in range(len(bounds) - 1)])
    return out


def _column_orders(
    columns: list[list[tuple[str, ...]]], edges: Sequence[tuple[str, str]]
) -> list[list[list[tuple[str, ...]]]]:
    """``columns`` as given, and (when it differs) with each stacked layer reordered so that the
    constructs linked to the layer above come first and those linked to the layer below last:
    arrows within a column then join neighbours instead of running past a construct."""
    reordered = []
    for column in columns:
        new_column = []
        for k, layer in enumerate(column):
            above = set(column[k - 1]) if k > 0 else set()
            below = set(column[k + 1]) if k + 1 < len(column) else set()

            def rank(n: str, above: set[str] = above, below: set[str] = below) -> int:
                up = any((s in above and t == n) or (s == n and t in above) for s, t in edges)
                down = any((s == n and t in below) or (s in below and t == n) for s, t in edges)
                return 1 - up + down

            new_column.append(tuple(sorted(layer, key=lambda n: (rank(n), layer.index(n)))))
        reordered.append(new_column)
    return [columns] if reordered == columns else [columns, reordered]


def _bezier(p0: np.ndarray, p2: np.ndarray, rad: float, ts: np.ndarray) -> np.ndarray:
    """Points of matplotlib's ``arc3,rad=`` quadratic curve from p0 to p2 at parameters ts."""
    mid = (p0 + p2) / 2
    d = p2 - p0
    c = mid + rad * np.array([d[1], -d[0]])
    ts = ts[:, None]
    return (1 - ts) ** 2 * p0 + 2 * ts * (1 - ts) * c + ts**2 * p2


def _clipped_arc(p0: np.ndarray, p2: np.ndarray, rad: float, a: float, b: float) -> Any:
    """The ``arc3`` curve from node centre p0 to p2, cut where it leaves the source
    ellipse and enters the target ellipse (semi-axes a, b), as a matplotlib Path.

    The piece of a quadratic Bezier between t0 and t1 is again quadratic, with
    control points given by the blossom b(t0, t0), b(t0, t1), b(t1, t1).
    """
    from matplotlib.path import Path

    c = (p0 + p2) / 2 + rad * np.array([p2[1] - p0[1], -(p2[0] - p0[0])])
    ts = np.linspace(0.0, 1.0, 801)
    pts = _bezier(p0, p2, rad, ts)
    ga, gb = a + 0.03, b + 0.03  # a small gap between arrow and node outline
    in0 = ((pts[:, 0] - p0[0]) / ga) ** 2 + ((pts[:, 1] - p0[1]) / gb) ** 2 <= 1
    in2 = ((pts[:, 0] - p2[0]) / ga) ** 2 + ((pts[:, 1] - p2[1]) / gb) ** 2 <= 1
    t0 = ts[np.flatnonzero(in0)[-1]] if in0.any() else 0.0
    t1 = ts[np.flatnonzero(in2)[0]] if in2.any() else 1.0
    if t1 <= t0:  # overlapping nodes: keep the whole curve
        t0, t1 = 0.0, 1.0

    def blossom(u: float, v: float) -> np.ndarray:
        return (1 - u) * (1 - v) * p0 + (u * (1 - v) + v * (1 - u)) * c + u * v * p2

    verts = [blossom(t0, t0), blossom(t0, t1), blossom(t1, t1)]
    return Path(np.array(verts), [Path.MOVETO, Path.CURVE3, Path.CURVE3])


class PathDiagramDisplay(Display):
    """Path diagram of a structural model; see :func:`path_diagram`.

    Attributes
    ----------
    paths : pandas.DataFrame
        Columns ``source, target, estimate`` and, when known, ``p_value``,
        ``ci_lower``, ``ci_upper``.
    r_squared : pandas.Series or None
    layers : list of tuple of str
        Constructs per layer, left to right.
    columns : list of list of tuple of str
        Layers per column, left to right: one layer per column, or consecutive layers
        stacked top to bottom when one row of layers would be wider than ``max_width``.
    positions : dict
        Construct -> (x, y) node centre in data units.
    rads : dict
        (source, target) -> curvature of the arrow (0 = straight).
    node_patches_ : dict
        Construct -> Ellipse, after drawing.
    arrows_ : dict
        (source, target) -> FancyArrowPatch, after drawing.
    edge_labels_ : dict
        (source, target) -> Text with the coefficient, after drawing.
    node_labels_ : dict
        Construct -> Text with the construct name.
    r2_labels_ : dict
        Construct -> Text with the R², for endogenous constructs.
    """

    _tight_after_draw = False

    def __init__(
        self,
        paths: pd.DataFrame,
        r_squared: pd.Series | None,
        layers: list[tuple[str, ...]],
        *,
        show_ci: bool,
        labels: Mapping[str, str],
        loadings: Mapping[str, tuple[float, float]] | None = None,
        max_width: float | None = None,
    ) -> None:
        self.paths = paths
        self.max_width = max_width
        self.loadings = {str(k): (float(v[0]), float(v[1])) for k, v in (loadings or {}).items()}
        self.r_squared = r_squared
        self.layers = layers
        self.show_ci = show_ci
        self.labels = dict(labels)
        self._wrap(16)
        if max_width is not None and (len(layers) - 1) * self._dx + self._w + 0.5 > max_width:
            self._wrap(12)  # the diagram will be folded: narrower nodes leave room for more columns
        self.positions, self.rads = self._layout()

    # ------------------------------------------------------------------ layout
    def _wrap(self, width: int) -> None:
        """Wrap the node labels at ``width`` characters and size the nodes to them."""
        self._wrapped = {
            n: textwrap.fill(self.labels.get(n, n), width, break_long_words=False) for layer in self.layers for n in layer
        }
        self._w, self._h, self._dx, self._dy = self._geometry()

    def _geometry(self) -> tuple[float, float, float, float]:
        """Node width/height, layer distance and in-layer distance from the label sizes."""

        def ems(text: str) -> float:
            return sum(1.0 if has_cjk(ch) else _CHAR_EM for ch in text)

        lines = [line for s in self._wrapped.values() for line in s.split("\n")] or [""]
        n_lines = max(s.count("\n") + 1 for s in self._wrapped.values()) if self._wrapped else 1
        text_w = max(ems(line) for line in lines) * _NODE_PT * 1.08 / 72  # bold is ~8% wider
        w = float(np.clip(text_w / 0.75 + 0.2, 1.25, 2.2))
        has_r2 = self.r_squared is not None
        extra = (0.2 if has_r2 else 0.0) + (0.2 if self.loadings else 0.0)
        h = float(np.clip(0.42 + 0.2 * n_lines + extra, 0.8, 1.35))
        label_ems = ems("[-0.05, 0.15]") if self.show_ci else ems("-0.50***")
        dx = w + label_ems * _EDGE_PT / 72 + 0.6
        return w, h, dx, h + 0.5
    def _layout(self) -> tuple[dict[str, tuple[float, float]], dict[tuple[str, str], float]]:
        """Node centres and arrow curvatures."""
        layers = [list(layer) for layer in self.layers]
        edges = list(zip(self.paths["source"], self.paths["target"]))
        nbrs: dict[str, list[str]] = {n: [] for layer in layers for n in layer}
        for s, t in edges:
            nbrs[s].append(t)
            nbrs[t].append(s)
        layer_of = {n: k for k, layer in enumerate(layers) for n in layer}

        def ys(layer: list[str]) -> dict[str, float]:
            m = len(layer)
            return {n: ((m - 1) / 2 - i) * self._dy for i, n in enumerate(layer)}

        y = {n: v for layer in layers for n, v in ys(layer).items()}
        # barycentre sweeps (left->right, right->left) to reduce crossings
        for sweep in range(4):
            order = range(len(layers)) if sweep % 2 == 0 else range(len(layers) - 1, -1, -1)
            for k in order:
                layer = layers[k]
                if len(layer) < 2:
                    continue
                side = [
                    [m for m in nbrs[n] if (layer_of[m] < k if sweep % 2 == 0 else layer_of[m] > k)] or nbrs[n]
                    for n in layer
                ]
                bary = [np.mean([y[m] for m in s]) if s else y[n] for n, s in zip(layer, side)]
                idx = sorted(range(len(layer)), key=lambda i: (-bary[i], i))
                layers[k] = [layer[i] for i in idx]
                y.update(ys(layers[k]))
        self.layers = [tuple(layer) for layer in layers]
        self.columns = [[layer] for layer in self.layers]
        row = {n: (k * self._dx, y[n]) for k, layer in enumerate(layers) for n in layer}
        row_rads = self._route(row)[0]
        if self.max_width is None or self._width(row, row_rads) <= self.max_width + 1e-9:
            return row, row_rads
        # too wide for one row: stack consecutive layers into as many columns as fit, placed as
        # close as the coefficient labels allow; take the first grouping that fits max_width, whose
        # arrows miss every node and whose height keeps the natural font size; failing that, the
        # fitting grouping with the fewest arrows through nodes (then the lowest), never the wide row
        dx = self._dx
        room = self.max_width - 0.5 - self._w
        most = max(1, int(room // (dx - 0.25)) + 1)
        best: tuple[tuple[float, ...], Any] | None = None
        for n_columns in range(min(most, len(layers) - 1), 0, -1):
            for columns in _fold_candidates(self.layers, edges, n_columns, 3):
                for ordered in _column_orders(columns, edges):
                    self._dx = min(dx, room / (n_columns - 1)) if n_columns > 1 else dx
                    self._dy = self._h + 0.9  # wide gaps: arrows to later columns pass between stacked nodes
                    pos, rads, hits, (width, height) = self._fold_at(ordered, n_columns, dx - 0.45)
                    fits = width <= self.max_width + 1e-9
                    if fits and hits == 0 and height <= _MAX_HEIGHT:
                        self.columns = ordered
                        return pos, rads
                    key = (float(not fits), float(height > _MAX_HEIGHT), float(hits), width if not fits else height)
                    if best is None or key < best[0]:
                        best = (key, (ordered, pos, rads, self._dx, self._dy))
        assert best is not None
        self.columns, pos, rads, self._dx, self._dy = best[1]
        return pos, rads

    def _fold_at(
        self, columns: list[list[tuple[str, ...]]], n_columns: int, dx_min: float
    ) -> tuple[dict[str, tuple[float, float]], dict[tuple[str, str], float], int, tuple[float, float]]:
        """Positions, arrow curvatures, arrows through nodes and (width, height) of ``columns``;
        the columns move closer (down to ``dx_min``) when the curved arrows make it wider than
        ``max_width``."""

        def place() -> dict[str, tuple[float, float]]:
            pos: dict[str, tuple[float, float]] = {}
            for c, column in enumerate(columns):
                members = [n for layer in column for n in layer]
                pos.update({n: (c * self._dx, ((len(members) - 1) / 2 - i) * self._dy) for i, n in enumerate(members)})
            return pos

        pos = place()
        rads, hits = self._route(pos)
        x0, y0, x1, y1 = self._extent(pos, rads)
        assert self.max_width is not None
        for _ in range(3):  # the curvatures change with the distance: a few steps
            if x1 - x0 <= self.max_width or n_columns == 1 or self._dx <= dx_min:
                break
            self._dx = max(dx_min, self._dx - (x1 - x0 - self.max_width + 0.01) / (n_columns - 1))
            pos = place()
            rads, hits = self._route(pos)
            x0, y0, x1, y1 = self._extent(pos, rads)
        return pos, rads, hits, (x1 - x0, y1 - y0)

    def _route(self, positions: Mapping[str, tuple[float, float]]) -> tuple[dict[tuple[str, str], float], int]:
        """Pick a curvature per arrow so that it misses the other nodes and arrows; also
        return how many (arrow, node) pairs still meet."""
        pos = {n: np.array(p, dtype="float64") for n, p in positions.items()}
        names = list(pos)
        centers = np.array([pos[n] for n in names]) if names else np.zeros((0, 2))
        ts = np.linspace(0.0, 1.0, 41)
        inner = (ts > 0.15) & (ts < 0.85)
        edges = list(zip(self.paths["source"], self.paths["target"]))
        order = sorted(range(len(edges)), key=lambda i: abs(pos[edges[i][1]][0] - pos[edges[i][0]][0]) + 0.01 * abs(pos[edges[i][1]][1] - pos[edges[i][0]][1]))
        routed: list[np.ndarray] = []
        rads: dict[tuple[str, str], float] = {}
        n_hits = 0
        a, b = self._w / 2 + 0.12, self._h / 2 + 0.12
        for i in order:
            s, t = edges[i]
            others = np.array([j for j, n in enumerate(names) if n not in (s, t)], dtype=int)
            same_column = abs(pos[s][0] - pos[t][0]) < 1e-9
            best_rad, best_cost = 0.0, np.inf
            for rad in _RADS_COLUMN if same_column else _RADS:
                pts = _bezier(pos[s], pos[t], rad, ts)
                cost = 0.6 * abs(rad)
                if len(others):
                    dx = (pts[:, None, 0] - centers[None, others, 0]) / a
                    dy = (pts[:, None, 1] - centers[None, others, 1]) / b
                    hits = (dx**2 + dy**2 < 1).any(axis=0)
                    cost += 100.0 * hits.sum()
                for prev in routed:
                    d = np.sqrt(((pts[inner, None, :] - prev[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
                    cost += 0.5 * np.mean(d < 0.18)
                if cost < best_cost - 1e-12:
                    best_rad, best_cost = rad, cost
            rads[(s, t)] = best_rad
            n_hits += int(best_cost // 100.0)
            routed.append(_bezier(pos[s], pos[t], best_rad, ts)[inner])
        return rads, n_hits

    def _new_axes(self) -> Any:
        ax = super()._new_axes()
        ax.set_position((0.01, 0.01, 0.98, 0.98))  # the diagram has no axis decorations
        return ax

    def _figsize(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self._extent()
        # at least 5 in wide (a small model's diagram), unless max_width asks for less (a phone's column)
        least = 5.0 if self.max_width is None else min(5.0, self.max_width)
        return (min(max(x1 - x0, least), 20.0), min(max(y1 - y0, 3.0), _MAX_FIG_HEIGHT))

    def _width(self, positions: Mapping[str, tuple[float, float]], rads: Mapping[tuple[str, str], float]) -> float:
        x0, _, x1, _ = self._extent(positions, rads)
        return x1 - x0

    def _extent(
        self,
        positions: Mapping[str, tuple[float, float]] | None = None,
        rads: Mapping[tuple[str, str], float] | None = None,
    ) -> tuple[float, float, float, float]:
        positions = self.positions if positions is None else positions
        rads = self.rads if rads is None else rads
        pts = [np.array(p) for p in positions.values()]
        xy = np.array(pts) if pts else np.zeros((1, 2))
        x0, x1 = xy[:, 0].min() - self._w / 2, xy[:, 0].max() + self._w / 2
        y0, y1 = xy[:, 1].min() - self._h / 2, xy[:, 1].max() + self._h / 2
        ts = np.linspace(0, 1, 21)
        for (s, t), rad in rads.items():
            c = _bezier(np.array(positions[s]), np.array(positions[t]), rad, ts)
            y0, y1 = min(y0, c[:, 1].min() - 0.2), max(y1, c[:, 1].max() + 0.2)
            x0, x1 = min(x0, c[:, 0].min() - 0.4), max(x1, c[:, 0].max() + 0.4)  # room for a label on the curve
        m = 0.25
        return x0 - m, y0 - m, x1 + m, y1 + m

    # ------------------------------------------------------------------ drawing
    def _arrow_points(self, ax: Any) -> tuple[np.ndarray, np.ndarray]:
        """Points along every arrow outside the nodes (display pixels) and the arrow's row."""
        ts = np.linspace(0.0, 1.0, 400)
        a, b = self._w / 2, self._h / 2
        centers = np.array(list(self.positions.values())).reshape(-1, 2)
        pts, ids = [], []
        for i, (s, t) in zip(self.paths.index, zip(self.paths["source"], self.paths["target"])):
            c = _bezier(np.array(self.positions[s]), np.array(self.positions[t]), self.rads[(s, t)], ts)
            hidden = ((((c[:, None, 0] - centers[None, :, 0]) / a) ** 2 + ((c[:, None, 1] - centers[None, :, 1]) / b) ** 2) < 1).any(axis=1)
            pts.append(ax.transData.transform(c[~hidden]))
            ids.append(np.full(int((~hidden).sum()), i))
        if not pts:
            return np.zeros((0, 2)), np.zeros(0, dtype=int)
        return np.vstack(pts), np.concatenate(ids)

    def _draw(self, ax: Any) -> None:
        from matplotlib.patches import Ellipse, FancyArrowPatch

        x0, y0, x1, y1 = self._extent()
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal", adjustable="box")
        ax.set_axis_off()
        ax.apply_aspect()
        fig = ax.figure
        renderer = get_renderer(fig)
        px_per_unit = abs(ax.transData.transform((1, 0))[0] - ax.transData.transform((0, 0))[0])
        pt_per_unit = px_per_unit * 72.0 / fig.dpi

        r2 = self.r_squared
        endogenous = set(self.paths["target"])
        self.node_patches_, self.node_labels_, self.r2_labels_ = {}, {}, {}
        # node font: the largest size (<= 11 pt) at which every label fits its ellipse
        wrapped = self._wrapped
        _W, _H = self._w, self._h
        zoom = min(1.0, pt_per_unit / 72.0)  # < 1 when the axes are smaller than the natural size
        base = _NODE_PT * zoom
        probe = {n: ax.text(0, 0, s, fontsize=base, fontweight="bold", ha="center", va="center") for n, s in wrapped.items()}
        widths = {n: (t.get_window_extent(renderer).width, t.get_window_extent(renderer).height) for n, t in probe.items()}
        for t in probe.values():
            t.remove()
        avail_w, avail_h = 0.8 * _W * px_per_unit, 0.48 * _H * px_per_unit
        scale = min([1.0] + [min(avail_w / w, avail_h / h) for w, h in widths.values() if w > 0 and h > 0])
        node_fs = max(3.5, base * scale)
        small_fs = max(3.5, node_fs * 0.8)
        for n, (x, y) in self.positions.items():
            is_endo = n in endogenous
            patch = Ellipse((x, y), _W, _H, fc="#dce8f5" if is_endo else "#eef3f9", ec="#1f4e79", lw=max(0.5, 1.3 * zoom), zorder=3)
            ax.add_patch(patch)
            self.node_patches_[n] = patch
            has_r2 = r2 is not None and n in r2.index and is_endo
            lam = self.loadings.get(n)
            lines = ([_t(self.texts, "path.r2", value=float(r2[n]))] if has_r2 else []) + (
                [_t(self.texts, "path.loadings", lo=lam[0], hi=lam[1])] if lam else [])
            ty = y + (0.1 * _H * len(lines) if lines else 0.0)
            self.node_labels_[n] = ax.text(x, ty, wrapped[n], ha="center", va="center", fontsize=node_fs, fontweight="bold", color="#0d2b45", zorder=4)
            if lines:
                self.r2_labels_[n] = ax.text(x, y - (0.2 + 0.06 * len(lines)) * _H, "\n".join(lines), ha="center", va="center",
                                             fontsize=small_fs, color="#0d2b45", zorder=4, linespacing=1.1)

        has_p = "p_value" in self.paths.columns
        est = self.paths["estimate"].to_numpy(dtype="float64")
        max_abs = float(np.abs(est).max()) if len(est) and np.abs(est).max() > 0 else 1.0
        self.arrows_, self.edge_labels_ = {}, {}
        node_boxes = np.array([
            [*ax.transData.transform((x - 0.36 * _W, y - 0.36 * _H)), *ax.transData.transform((x + 0.36 * _W, y + 0.36 * _H))]
            for x, y in self.positions.values()
        ]).reshape(-1, 4)
        node_xy = ax.transData.transform(np.array(list(self.positions.values())).reshape(-1, 2))
        node_ax = np.array([(_W / 2) * px_per_unit + 2.0, (_H / 2) * px_per_unit + 2.0])  # ellipse semi-axes, px
        placed: list[np.ndarray] = []
        arrow_pts, arrow_ids = self._arrow_points(ax)
        edge_fs = max(3.5, _EDGE_PT * zoom)
        for row, e in zip(self.paths.itertuples(index=False), est):
            s, t = row.source, row.target
            rad = self.rads[(s, t)]
            p = float(row.p_value) if has_p else np.nan
            nonsig = has_p and np.isfinite(p) and p >= 0.05
            color = "#9a9a9a" if nonsig else ("#b2182b" if e < 0 else "#2b2b2b")
            arrow = FancyArrowPatch(
                path=_clipped_arc(np.array(self.positions[s]), np.array(self.positions[t]), rad, _W / 2, _H / 2),
                arrowstyle=f"-|>,head_length={5 * zoom:.2f},head_width={2.6 * zoom:.2f}", mutation_scale=1.0,
                lw=(0.8 + 1.8 * abs(e) / max_abs) * max(zoom, 0.4), color=color, ls="--" if nonsig else "-", zorder=2,
            )
            ax.add_patch(arrow)
            self.arrows_[(s, t)] = arrow
            text = f"{e:.2f}{stars(p)}"
            if self.show_ci:
                text += f"\n[{row.ci_lower:.2f}, {row.ci_upper:.2f}]"
            label = ax.text(0, 0, text, ha="center", va="center", fontsize=edge_fs, color=color if nonsig else "#1a1a1a",
                            linespacing=1.0, zorder=5,
                            bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.95})
            p0, p2 = np.array(self.positions[s]), np.array(self.positions[t])
            ts = np.array(_LABEL_TS)
            on_curve = ax.transData.transform(_bezier(p0, p2, rad, ts))
            label.set_position(tuple(_bezier(p0, p2, rad, ts[:1])[0]))
            box0 = text_extent_px(label, renderer, pad=2.0)
            obstacles = np.vstack([node_boxes, *placed]) if placed else node_boxes
            own = self.paths.index[(self.paths["source"] == s) & (self.paths["target"] == t)][0]
            crossing = arrow_pts[arrow_ids != own]
            crossing_ids = arrow_ids[arrow_ids != own]
            # on the curve first; beside it (above/below) only when every spot on it is taken
            h = box0[3] - box0[1]
            best, best_cost = on_curve[0], np.inf
            for shift in (0.0, 0.55 * h, -0.55 * h, 1.1 * h, -1.1 * h):
                for pt in on_curve + np.array([0.0, shift]):
                    delta = pt - on_curve[0]
                    box = box0 + np.array([delta[0], delta[1], delta[0], delta[1]])
                    cost = float(boxes_overlap(box, obstacles).sum()) + 0.01 * abs(shift)
                    # the ellipses themselves, not just the rectangles inside them
                    near_x = (np.clip(node_xy[:, 0], box[0], box[2]) - node_xy[:, 0]) / node_ax[0]
                    near_y = (np.clip(node_xy[:, 1], box[1], box[3]) - node_xy[:, 1]) / node_ax[1]
                    cost += float((near_x**2 + near_y**2 < 1.0).sum())
                    inside = ((crossing[:, 0] >= box[0]) & (crossing[:, 0] <= box[2])
                              & (crossing[:, 1] >= box[1]) & (crossing[:, 1] <= box[3]))
                    cost += 40.0 * len(np.unique(crossing_ids[inside]))  # other arrows through the label
                    if cost < best_cost:
                        best, best_cost = pt, cost
                if best_cost < 1.0:
                    break
            label.set_position(tuple(ax.transData.inverted().transform(best)))
            placed.append(text_extent_px(label, renderer, pad=2.0)[None, :])
            self.edge_labels_[(s, t)] = label


def _lookup_pairs(obj: Any, column: str, what: str) -> dict[tuple[str, str], Any]:
    """(source, target) -> value from a DataFrame (source, target, column) or a MultiIndex Series."""
    if isinstance(obj, pd.DataFrame):
        require_columns(obj, ["source", "target", column], what, "path_diagram")
        return {(str(s), str(t)): v for s, t, v in zip(obj["source"], obj["target"], obj[column])}
    if isinstance(obj, pd.Series) and isinstance(obj.index, pd.MultiIndex):
        return {(str(k[0]), str(k[1])): v for k, v in obj.items()}
    raise SurveyDataError(
        f"path_diagram needs the {what} as a DataFrame with columns 'source', 'target' and {column!r}, "
        f"or a Series indexed by (source, target); got {type(obj).__name__}."
    )


def path_diagram(
    paths: pd.DataFrame,
    r_squared: pd.Series | pd.DataFrame | Mapping[str, float] | None = None,
    *,
    layers: Sequence[Sequence[str]] | Any | None = None,
    ci: bool | pd.DataFrame | None = None,
    p_values: pd.Series | pd.DataFrame | None = None,
    ax: Any = None,
    labels: Mapping[str, str] | None = None,
    loadings: Mapping[str, tuple[float, float]] | None = None,
    texts: Mapping[str, str] | None = None,
    max_width: float | None = 9.0,
) -> PathDiagramDisplay:
    """Path diagram of a structural model: constructs left to right, arrows with coefficients.

    Constructs are ellipses placed in layers (longest path from an exogenous
    construct, or ``layers``); nodes of a layer are spread vertically and
    ordered to reduce crossings; arrows that would run through another node are
    curved around it, and coefficient labels are placed clear of other labels
    and arrows. When one column per layer would be wider than ``max_width``,
    consecutive layers are stacked top to bottom in fewer columns (a long chain
    such as the ECSI model with complaints fits 9 in); the first grouping whose
    arrows miss every node is drawn, else the single row. Each arrow carries its coefficient, with significance
    stars when p-values are known (non-significant paths are dashed grey,
    negative ones red) and the CI below when requested. Endogenous constructs
    show their R².

    Parameters
    ----------
    paths : pandas.DataFrame
        Columns ``source``, ``target``, ``estimate``; optional ``p_value``,
        ``ci_lower``, ``ci_upper`` (the tidy paths table of a PLS or SEM result).
    r_squared : pandas.Series, dict or DataFrame, optional
        R² by construct.
    layers : sequence of sequences of str, or ModelSpec, optional
        Constructs per layer, left to right (``ModelSpec.layers()``; a spec is
        accepted directly). Computed from ``paths`` when omitted.
    ci : bool or pandas.DataFrame, optional
        Show the CI under each coefficient: ``None`` shows it when ``paths`` has
        ``ci_lower``/``ci_upper``, ``True`` requires them, ``False`` hides it; a
        DataFrame with ``source, target, ci_lower, ci_upper`` supplies them.
    p_values : pandas.Series or DataFrame, optional
        p-values by path (a Series indexed by (source, target), or a DataFrame
        with ``source, target, p_value``); by default the ``p_value`` column.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure sized to the model when omitted.
    labels : dict, optional
        Construct -> display label (e.g. Chinese names).
    loadings : dict, optional
        Construct -> (smallest, largest) outer loading of its items, shown in the node.
    texts : dict, optional
        Message id -> text to draw (``path.r2``, ``path.loadings``); see
        ``csindex.plots._text.TEXTS``.
    max_width : float or None, default 9.0
        Widest diagram, in inches at the natural size (9 in = a 900 px report column).
        When one row of layers would be wider, consecutive layers are stacked top to
        bottom in as many columns as fit (:func:`fold_layers`); ``None`` keeps one
        column per layer.

    Returns
    -------
    PathDiagramDisplay

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> paths = pd.DataFrame({"source": ["IMAG", "IMAG", "SAT"], "target": ["SAT", "LOY", "LOY"],
    ...                       "estimate": [0.55, 0.21, 0.48], "p_value": [0.0001, 0.03, 0.002]})
    >>> d = path_diagram(paths, pd.Series({"SAT": 0.30, "LOY": 0.41}))
    >>> d.layers
    [('IMAG',), ('SAT',), ('LOY',)]
    >>> d.edge_labels_[("SAT", "LOY")].get_text()
    '0.48**'
    >>> plt.close(d.figure_)
    """
    where = "path_diagram"
    if max_width is not None:
        max_width = float(check_param("max_width", max_width, Interval(0, None, closed="neither"), where))
    if loadings is not None and not isinstance(loadings, Mapping):
        raise SurveyDataError(f"The 'loadings' parameter of {where} must be a dict construct -> (min, max) "
                              f"loading. Got {loadings!r:.60} instead.")
    what = "paths table"
    df = as_frame(paths, what, where)
    require_columns(df, ["source", "target", "estimate"], what, where)
    names = [f"{s} -> {t}" for s, t in zip(df["source"], df["target"])]
    tidy = pd.DataFrame({
        "source": df["source"].astype(str).to_numpy(),
        "target": df["target"].astype(str).to_numpy(),
        "estimate": numeric_column(df, "estimate", what, where, labels=names),
    })
    if tidy.duplicated(["source", "target"]).any():
        dup = tidy.loc[tidy.duplicated(["source", "target"])]
        raise SurveyDataError(
            f"The paths table passed to path_diagram lists the path {dup['source'].iloc[0]!r} -> "
            f"{dup['target'].iloc[0]!r} more than once. Keep one row per path."
        )
    self_loops = tidy["source"] == tidy["target"]
    if self_loops.any():
        raise SpecError(f"The paths table passed to path_diagram has a path from {tidy['source'][self_loops].iloc[0]!r} to itself.")
    pairs = list(zip(tidy["source"], tidy["target"]))
    if p_values is not None:
        lookup = _lookup_pairs(p_values, "p_value", "p-values")
        tidy["p_value"] = [float(lookup.get(pr, np.nan)) for pr in pairs]
    elif "p_value" in df.columns:
        tidy["p_value"] = pd.to_numeric(df["p_value"], errors="coerce").to_numpy(dtype="float64")
    if isinstance(ci, pd.DataFrame):
        lo = _lookup_pairs(ci, "ci_lower", "confidence intervals")
        hi = _lookup_pairs(ci, "ci_upper", "confidence intervals")
        missing = [f"{s} -> {t}" for s, t in pairs if (s, t) not in lo]
        if missing:
            raise SurveyDataError(f"The confidence intervals passed to path_diagram lack the path(s) {quote_list(missing)}.")
        tidy["ci_lower"] = [float(lo[p]) for p in pairs]
        tidy["ci_upper"] = [float(hi[p]) for p in pairs]
        show_ci = True
    else:
        has = "ci_lower" in df.columns and "ci_upper" in df.columns
        if ci is True and not has:
            raise SurveyDataError(
                "path_diagram was asked for ci=True but the paths table has no 'ci_lower' and 'ci_upper' "
                "columns. Bootstrap the model first, or pass ci=False."
            )
        show_ci = bool(has and ci is not False)
        if show_ci:
            tidy["ci_lower"] = numeric_column(df, "ci_lower", what, where, labels=names)
            tidy["ci_upper"] = numeric_column(df, "ci_upper", what, where, labels=names)

    r2: pd.Series | None = None
    if isinstance(r_squared, pd.DataFrame):  # a result's tidy table: construct, r_squared
        r_squared = pd.Series(r_squared["r_squared"].to_numpy(), index=r_squared["construct"].astype(str))
    if r_squared is not None:
        try:
            r2 = pd.Series(r_squared).astype("float64")
        except (TypeError, ValueError) as exc:
            raise SurveyDataError(
                f"The r_squared passed to {where} must hold numbers (construct -> R²); got {exc}. "
                "Pass the r_squared table or Series of a csindex result."
            ) from exc
        r2.index = r2.index.astype(str)

    nodes = list(dict.fromkeys([n for pr in pairs for n in pr]))
    if layers is not None:
        if hasattr(layers, "layers") and callable(layers.layers):
            layers = layers.layers()
        try:
            layer_list = [tuple(str(n) for n in layer) for layer in layers]  # type: ignore[union-attr]
        except TypeError:
            raise SpecError(f"The layers passed to {where} must be a list of construct lists (left to right) or a "
                            f"ModelSpec. Got {layers!r:.60} instead.") from None
        flat = [n for layer in layer_list for n in layer]
        dup = [n for n in dict.fromkeys(flat) if flat.count(n) > 1]
        if dup:
            raise SpecError(f"The layers passed to path_diagram list {quote_list(dup)} more than once.")
        absent = [n for n in nodes if n not in flat]
        if absent:
            raise SpecError(
                f"The layers passed to path_diagram omit the construct(s) {quote_list(absent)}, which appear "
                "in the paths. Add them to a layer, or omit layers= to compute the layout."
            )
        layer_of = {n: k for k, layer in enumerate(layer_list) for n in layer}
        backward = [f"{s} -> {t}" for s, t in pairs if layer_of[s] > layer_of[t]]
        if backward:
            raise SpecError(
                f"The layers passed to path_diagram put the target before the source of {quote_list(backward)}. "
                "Layers run left to right from causes to effects."
            )
    else:
        extra = [n for n in (r2.index if r2 is not None else []) if n not in nodes]
        layer_list = longest_path_layers(nodes + extra, pairs)
    if not layer_list or not any(layer_list):
        raise SurveyDataError("The paths table passed to path_diagram is empty; there is nothing to draw.")
    disp = PathDiagramDisplay(tidy, r2, layer_list, show_ci=show_ci, labels=labels or {}, loadings=loadings,
                              max_width=max_width)
    disp.texts = texts
    return disp.plot(ax=ax)
