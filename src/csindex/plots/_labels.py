"""Non-overlapping placement of point labels (greedy search on rings around each point)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import boxes_overlap, get_renderer, text_extent_px

_RINGS_PX = (5.0, 12.0, 22.0, 36.0, 54.0, 78.0, 110.0, 150.0, 200.0)
_N_DIRECTIONS = 16


def place_labels(
    ax: Any,
    labels: list[str],
    xy: np.ndarray,
    *,
    obstacles: list[Any] | None = None,
    marker_px: float = 4.0,
    fontsize: float = 8.5,
    pad_px: float = 1.5,
) -> list[Any]:
    """Annotate each point ``xy[i]`` (data coordinates) with ``labels[i]`` so that no two
    labels overlap each other, the point markers, or the ``obstacles`` (Text artists).

    Each label goes to the first free spot on rings of growing radius around its
    point (16 directions per ring, upper right first); labels placed far from their
    point get a thin leader line. When no free spot exists, the spot with the
    least overlap is used.

    Returns the annotation artists in the order of ``labels``.
    """
    fig = ax.figure
    renderer = get_renderer(fig)
    ax.apply_aspect()
    anchors = ax.transData.transform(np.asarray(xy, dtype="float64").reshape(-1, 2))
    axes_box = ax.get_window_extent(renderer=renderer)
    bounds = np.array([axes_box.x0, axes_box.y0, axes_box.x1, axes_box.y1])
    fixed = [text_extent_px(t, renderer, pad_px) for t in (obstacles or [])]
    markers = np.column_stack([anchors - marker_px, anchors + marker_px])
    placed: list[np.ndarray] = []
    px_to_pt = 72.0 / fig.dpi
    angles = np.deg2rad(45.0 + np.arange(_N_DIRECTIONS) * (360.0 / _N_DIRECTIONS))
    dirs = np.column_stack([np.cos(angles), np.sin(angles)])
    artists = []
    for i, text in enumerate(labels):
        probe = ax.text(float(xy[i][0]), float(xy[i][1]), text, ha="center", va="center", fontsize=fontsize)
        ext = text_extent_px(probe, renderer, pad_px)
        probe.remove()
        half = np.array([(ext[2] - ext[0]) / 2, (ext[3] - ext[1]) / 2])
        others = np.vstack([*placed, *fixed, markers]) if (placed or fixed) else markers
        best: tuple[Any, Any, float] = (anchors[i], None, 0.0)
        best_cost = np.inf
        for r in _RINGS_PX:
            centers = anchors[i] + dirs * (r + half)
            for c in centers:
                box = np.array([c[0] - half[0], c[1] - half[1], c[0] + half[0], c[1] + half[1]])
                outside = (
                    max(bounds[0] - box[0], 0) + max(box[2] - bounds[2], 0)
                    + max(bounds[1] - box[1], 0) + max(box[3] - bounds[3], 0)
                )
                cost = float(boxes_overlap(box, others).sum()) + 1e3 * outside
                if cost < best_cost:
                    best, best_cost = (c, box, r), cost
                if cost == 0:
                    break
            if best_cost == 0:
                break
        center, box, r = best
        offset = (center - anchors[i]) * px_to_pt
        leader = {"arrowstyle": "-", "color": "0.55", "lw": 0.6, "shrinkA": 0, "shrinkB": 3} if r >= _RINGS_PX[2] else None
        ann = ax.annotate(
            text, xy=tuple(xy[i]), xytext=(float(offset[0]), float(offset[1])), textcoords="offset points",
            ha="center", va="center", fontsize=fontsize, zorder=5, arrowprops=leader,
        )
        placed.append(box)
        artists.append(ann)
    return artists
