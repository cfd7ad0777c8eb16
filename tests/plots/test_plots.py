"""Plots: every function renders to PNG (Agg) and draws what its data says."""

from __future__ import annotations

import base64
import io
import itertools
import logging
import subprocess
import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.patches import Ellipse, FancyArrowPatch, Rectangle  # noqa: E402

from csindex import plots  # noqa: E402
from csindex.exceptions import CsindexWarning, MissingDataWarning, SpecError, SurveyDataError  # noqa: E402
from csindex.plots import _base  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

ECSI_PATHS = pd.DataFrame(
    {
        "source": ["IMAG", "EXPE", "EXPE", "QUAL", "IMAG", "EXPE", "QUAL", "VAL", "IMAG", "SAT"],
        "target": ["EXPE", "QUAL", "VAL", "VAL", "SAT", "SAT", "SAT", "SAT", "LOY", "LOY"],
        "estimate": [0.505, 0.557, 0.051, 0.558, 0.200, 0.065, 0.223, 0.351, 0.196, 0.483],
        "p_value": [0.00001, 0.00002, 0.41, 0.00003, 0.002, 0.21, 0.012, 0.0004, 0.03, 0.00001],
    }
)
ECSI_R2 = pd.Series({"EXPE": 0.255, "QUAL": 0.311, "VAL": 0.335, "SAT": 0.672, "LOY": 0.451})

# a CCSI-like custom model with 12 constructs
CUSTOM_EDGES = [
    ("A1", "B1"), ("A2", "B1"), ("A2", "B2"), ("A3", "B2"), ("A3", "B3"), ("A1", "C1"),
    ("B1", "C1"), ("B2", "C1"), ("B2", "C2"), ("B3", "C2"), ("A4", "B3"), ("C1", "D1"),
    ("C2", "D1"), ("B1", "D1"), ("D1", "E1"), ("C2", "E1"), ("A1", "E1"), ("D1", "E2"), ("E1", "E2"),
]
CUSTOM_LABELS = {
    "A1": "Corporate image", "A2": "Customer expectations", "A3": "Perceived hardware quality",
    "A4": "Brand trust", "B1": "Perceived quality", "B2": "Service quality", "B3": "Perceived value",
    "C1": "Customer satisfaction", "C2": "Complaints", "D1": "Loyalty", "E1": "Word of mouth",
    "E2": "Repurchase",
}


@pytest.fixture(autouse=True)
def _no_show_no_leak(monkeypatch):
    """plt.show must never be called, and every test closes the figures it made."""

    def _fail(*args, **kwargs):  # pragma: no cover - only runs on a bug
        raise AssertionError("plt.show() was called")

    monkeypatch.setattr(plt, "show", _fail)
    before = set(plt.get_fignums())
    yield
    leaked = set(plt.get_fignums()) - before
    plt.close("all")
    assert not leaked, f"figures left open: {sorted(leaked)}"


def render(fig) -> bytes:
    """Render to PNG (which also draws every artist) and return the bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72)
    data = buf.getvalue()
    assert data.startswith(PNG_MAGIC)
    return data


def extents(texts, fig):
    """Extents of the texts themselves (an Annotation's own extent includes its leader line)."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    for t in texts:
        if hasattr(t, "update_positions"):  # an Annotation's text transform is set at draw time
            t.update_positions(renderer)
    return [Text.get_window_extent(t, renderer) for t in texts]


def assert_no_overlap(texts, fig, what):
    boxes = extents(texts, fig)
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        assert not a.overlaps(b), f"{what}: {texts[i].get_text()!r} overlaps {texts[j].get_text()!r}"


# --------------------------------------------------------------------------- import


def test_import_plots_does_not_import_matplotlib():
    code = "import sys, csindex, csindex.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- path diagram


def test_path_diagram_ecsi_nodes_arrows_and_labels():
    d = plots.path_diagram(ECSI_PATHS, ECSI_R2)
    render(d.figure_)
    ax = d.ax_
    ellipses = [p for p in ax.patches if isinstance(p, Ellipse)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(ellipses) == 6
    assert len(arrows) == 10
    texts = {t.get_text() for t in ax.texts}
    # coefficients with stars from the p-values (hand-written expectations)
    for expected in ("0.51***", "0.56***", "0.05", "0.20**", "0.07", "0.22*", "0.35***", "0.20*", "0.48***"):
        assert expected in texts
    assert {"R² = 0.26", "R² = 0.31", "R² = 0.34", "R² = 0.67", "R² = 0.45"} <= texts
    assert not any(t.startswith("R²") and "IMAG" in t for t in texts)
    assert len(d.r2_labels_) == 5 and "IMAG" not in d.r2_labels_
    assert d.layers == [("IMAG",), ("EXPE",), ("QUAL",), ("VAL",), ("SAT",), ("LOY",)]
    # non-significant paths are dashed
    assert d.arrows_[("EXPE", "VAL")].get_linestyle() == "--"
    assert d.arrows_[("IMAG", "EXPE")].get_linestyle() == "-"
    plt.close(d.figure_)


def _curve_points(arrow):
    """Points along the drawn arrow (data coordinates), sampling every Bezier segment."""
    ts = np.linspace(0, 1, 25)
    return np.vstack([seg(ts) for seg, _ in arrow.get_path().iter_bezier()])


def _arrows_miss_other_nodes(d):
    """No arrow passes through a node other than its own source and target."""
    ax = d.ax_
    for (s, t), arrow in d.arrows_.items():
        pts = ax.transData.transform(_curve_points(arrow))
        for n, node in d.node_patches_.items():
            if n in (s, t):
                continue
            inside = node.get_path().contains_points(pts, transform=node.get_transform())
            assert not inside.any(), f"arrow {s} -> {t} passes through node {n}"


def _labels_readable(d):
    fig = d.figure_
    edge = list(d.edge_labels_.values())
    nodes = list(d.node_labels_.values()) + list(d.r2_labels_.values())
    assert_no_overlap(edge + nodes, fig, "path diagram labels")
    # node names sit inside their ellipse
    renderer = fig.canvas.get_renderer()
    for n, text in d.node_labels_.items():
        tb = text.get_window_extent(renderer)
        eb = d.node_patches_[n].get_window_extent(renderer)
        assert eb.x0 <= tb.x0 and tb.x1 <= eb.x1 and eb.y0 <= tb.y0 and tb.y1 <= eb.y1, n


def test_path_diagram_ecsi_readable():
    d = plots.path_diagram(ECSI_PATHS, ECSI_R2)
    render(d.figure_)
    _labels_readable(d)
    _arrows_miss_other_nodes(d)
    plt.close(d.figure_)


def test_path_diagram_twelve_constructs_readable():
    rng = np.random.default_rng(3)
    paths = pd.DataFrame(CUSTOM_EDGES, columns=["source", "target"])
    paths["estimate"] = rng.uniform(-0.2, 0.7, len(paths)).round(3)
    paths["p_value"] = rng.uniform(0, 0.1, len(paths))
    r2 = pd.Series({n: 0.4 for n in set(paths["target"])})
    d = plots.path_diagram(paths, r2, labels=CUSTOM_LABELS)
    render(d.figure_)
    ax = d.ax_
    assert len([p for p in ax.patches if isinstance(p, Ellipse)]) == 12
    assert len([p for p in ax.patches if isinstance(p, FancyArrowPatch)]) == len(CUSTOM_EDGES)
    assert "Customer\nsatisfaction" in {t.get_text() for t in ax.texts}
    # left-to-right: every arrow goes from a lower layer to a higher one
    layer_of = {n: k for k, layer in enumerate(d.layers) for n in layer}
    assert all(layer_of[s] < layer_of[t] for s, t in CUSTOM_EDGES)
    assert d.layers[0] and set(d.layers[0]) == {"A1", "A2", "A3", "A4"}
    _labels_readable(d)
    _arrows_miss_other_nodes(d)
    plt.close(d.figure_)


@pytest.mark.parametrize("seed", [5, 29, 33])
def test_path_diagram_random_models_readable(seed):
    """Random recursive models of up to 12 constructs (seeds 29 and 33 once had colliding labels)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 13))
    nodes = [f"C{i}" for i in range(n)]
    edges = [(nodes[i], nodes[j]) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.3]
    paths = pd.DataFrame(edges, columns=["source", "target"])
    paths["estimate"] = rng.uniform(-0.5, 0.9, len(paths)).round(2)
    paths["ci_lower"], paths["ci_upper"] = paths["estimate"] - 0.1, paths["estimate"] + 0.1
    d = plots.path_diagram(paths, pd.Series({t: 0.5 for t in paths["target"]}))
    render(d.figure_)
    assert len([p for p in d.ax_.patches if isinstance(p, Ellipse)]) == len(set(paths["source"]) | set(paths["target"]))
    assert len([p for p in d.ax_.patches if isinstance(p, FancyArrowPatch)]) == len(edges)
    _labels_readable(d)
    _arrows_miss_other_nodes(d)
    plt.close(d.figure_)


def test_display_replots_on_another_ax():
    d = plots.path_diagram(ECSI_PATHS, ECSI_R2)
    first = d.figure_
    fig, ax = plt.subplots()
    assert d.plot(ax=ax) is d
    assert d.ax_ is ax and d.figure_ is fig
    assert len([p for p in ax.patches if isinstance(p, Ellipse)]) == 6
    plt.close(first)
    plt.close(fig)


def test_path_diagram_uses_given_ax_layers_ci_and_pvalue_series():
    fig, ax = plt.subplots(figsize=(8, 4))
    paths = ECSI_PATHS.drop(columns="p_value").assign(
        ci_lower=ECSI_PATHS["estimate"] - 0.1, ci_upper=ECSI_PATHS["estimate"] + 0.1
    )
    pv = ECSI_PATHS.set_index(["source", "target"])["p_value"]
    layers = [("IMAG",), ("EXPE",), ("QUAL", "VAL"), ("SAT",), ("LOY",)]
    d = plots.path_diagram(paths, ECSI_R2, layers=layers, p_values=pv, ax=ax)
    assert d.ax_ is ax and d.figure_ is fig
    render(fig)
    assert set(d.layers[2]) == {"QUAL", "VAL"}
    assert d.edge_labels_[("SAT", "LOY")].get_text() == "0.48***\n[0.38, 0.58]"
    assert len([p for p in ax.patches if isinstance(p, Ellipse)]) == 6
    # the caller's frame is untouched
    assert list(paths.columns) == ["source", "target", "estimate", "ci_lower", "ci_upper"]
    d2 = plots.path_diagram(paths, ci=False)
    assert d2.edge_labels_[("SAT", "LOY")].get_text() == "0.48"
    plt.close(fig)
    plt.close(d2.figure_)


def test_path_diagram_accepts_model_spec_layers():
    from csindex.spec import ModelSpec

    spec = ModelSpec.from_lavaan("A =~ a\nB =~ b\nC =~ c\nB ~ A\nC ~ A + B")
    paths = pd.DataFrame({"source": ["A", "A", "B"], "target": ["B", "C", "C"], "estimate": [0.3, 0.2, 0.5]})
    d = plots.path_diagram(paths, layers=spec)
    assert d.layers == [("A",), ("B",), ("C",)]
    plt.close(d.figure_)


def _template_diagram(name, *, drop=(), labels=None, **kw):
    """A template's path diagram with made-up estimates, report-like labels and loadings."""
    from csindex.models import TEMPLATE_PATHS

    edges = [e for e in TEMPLATE_PATHS[name] if not set(e) & set(drop)]
    paths = pd.DataFrame(edges, columns=["source", "target"])
    paths["estimate"] = np.linspace(-0.12, 0.71, len(paths)).round(3)
    paths["p_value"] = np.linspace(0.0001, 0.09, len(paths))
    r2 = pd.Series({t: 0.40 + 0.01 * i for i, t in enumerate(dict.fromkeys(paths["target"]))})
    loadings = {n: (0.71, 0.93) for n in set(paths["source"]) | set(paths["target"])}
    return paths, r2, plots.path_diagram(paths, r2, labels=labels, loadings=loadings, **kw)


REPORT_LABELS = {"IMAG": "Image", "EXPE": "Expectation", "QUAL": "Perceived quality", "VAL": "Value",
                 "SAT": "Satisfaction", "COMP": "Complaints", "LOY": "Loyalty"}


def _arrows_miss_edge_labels(d):
    """No arrow runs through the coefficient label of another arrow."""
    renderer = d.figure_.canvas.get_renderer()
    for key, label in d.edge_labels_.items():
        box = label.get_window_extent(renderer)
        for other, arrow in d.arrows_.items():
            if other == key:
                continue
            pts = d.ax_.transData.transform(_curve_points(arrow))
            inside = ((pts[:, 0] > box.x0 + 1) & (pts[:, 0] < box.x1 - 1)
                      & (pts[:, 1] > box.y0 + 1) & (pts[:, 1] < box.y1 - 1))
            assert not inside.any(), f"arrow {other} runs through the label {label.get_text()!r} of {key}"


@pytest.mark.parametrize("labels", [None, REPORT_LABELS], ids=["codes", "labels"])
@pytest.mark.parametrize(("name", "drop"), [("ecsi", ()), ("ecsi", ("COMP",)), ("ccsi", ()), ("acsi", ()), ("scsb", ())],
                         ids=["ecsi_complaints", "ecsi", "ccsi", "acsi", "scsb"])
def test_path_diagram_templates_fit_a_report_column(name, drop, labels):
    """The index-model diagrams fold into at most ~9 in (a 900 px report column; one row of
    layers was 14-20 in wide) and stay readable at the natural font sizes."""
    paths, r2, d = _template_diagram(name, drop=drop, labels=labels)
    fig = d.figure_
    render(fig)
    width, height = fig.get_size_inches()
    assert width <= 9.5 and height <= 8.0, (width, height)
    assert len(d.columns) < len(d.layers)  # folded
    assert _base.overlapping_texts(fig) == []
    _labels_readable(d)
    _arrows_miss_other_nodes(d)
    _arrows_miss_edge_labels(d)
    # every coefficient and every R² is still drawn, at the natural font size
    assert set(d.edge_labels_) == set(zip(paths["source"], paths["target"]))
    for row in paths.itertuples():
        text = d.edge_labels_[(row.source, row.target)].get_text()
        assert text == f"{row.estimate:.2f}{plots._path.stars(row.p_value)}"
    assert {n: t.get_text().splitlines()[0] for n, t in d.r2_labels_.items() if n in r2.index} == {
        n: f"R² = {v:.2f}" for n, v in r2.items()}
    # 9 pt at the natural size, less the 1% margin around the axes (a 20-in row was shrunk further)
    assert min(t.get_fontsize() for t in d.edge_labels_.values()) >= 0.98 * 9.0 - 1e-9
    assert min(t.get_fontsize() for t in d.r2_labels_.values()) >= 7.0
    plt.close(fig)


def test_path_diagram_max_width():
    """max_width=None keeps one column per layer (the old, wide diagram); a narrower limit folds
    into fewer columns; a bad value is a ParameterError."""
    from csindex.exceptions import ParameterError

    _, _, wide = _template_diagram("ecsi", labels=REPORT_LABELS, max_width=None)
    assert wide.columns == [[layer] for layer in wide.layers] and len(wide.layers) == 7
    assert wide.figure_.get_size_inches()[0] > 14
    _, _, narrow = _template_diagram("ecsi", max_width=6.0)
    assert narrow.figure_.get_size_inches()[0] <= 6.0 + 1e-9 and len(narrow.columns) <= 3
    # stacked layers keep their causal order top to bottom, columns left to right
    order = [n for column in narrow.columns for layer in column for n in layer]
    assert order == [n for layer in narrow.layers for n in layer]
    for bad in (0, -3, "wide"):
        with pytest.raises(ParameterError, match="max_width"):
            plots.path_diagram(ECSI_PATHS, max_width=bad)
    plt.close("all")


# generated models of 4-16 constructs in three shapes; widths before folding any model (one
# column per layer, or a 14-in cap that shrank the fonts): wide 6.7 in but 14 in tall at 76% font
# for 16, chain 9.6 in for 12-16, mixed 14.2 in (12) and 11.6 in (16)
def _wide_model(n):
    """n - 2 drivers -> SAT -> LOY: one layer of many constructs."""
    return [(f"Driver {i}", "SAT") for i in range(n - 2)] + [("SAT", "LOY")]


def _chain_model(n):
    """A causal chain with a shortcut every third step."""
    c = [f"C{i}" for i in range(n)]
    return [(c[i], c[i + 1]) for i in range(n - 1)] + [(c[i], c[i + 2]) for i in range(0, n - 2, 3)]


def _mixed_model(n):
    """Drivers -> two mediators -> satisfaction -> outcomes (the 12-construct one from the brief)."""
    drivers = ["Image", "Expectation", "Product quality", "Service quality", "Price fairness", "Brand trust",
               "Store layout", "Online service", "Delivery speed", "Staff friendliness"][:max(1, n - 6)]
    edges = []
    for i, x in enumerate(drivers):
        edges.append((x, "Perceived value" if i % 2 == 0 else "Trust"))
        if i % 3 == 0:
            edges.append((x, "Satisfaction"))
    edges += [("Perceived value", "Satisfaction"), ("Trust", "Satisfaction"), ("Satisfaction", "Complaints"),
              ("Satisfaction", "Loyalty"), ("Satisfaction", "Retention"), ("Complaints", "Loyalty"), ("Trust", "Loyalty")]
    return edges


def _paths_of(edges, seed=0):
    rng = np.random.default_rng(seed)
    paths = pd.DataFrame(edges, columns=["source", "target"])
    paths["estimate"] = rng.uniform(-0.3, 0.8, len(paths)).round(3)
    paths["p_value"] = rng.uniform(0, 0.08, len(paths))
    return paths


def _ellipse_meets_box(ellipse, box, pad=0.0):
    """Whether an axis-aligned ellipse patch (display pixels) meets a box (Bbox)."""
    (x0, y0), (x1, y1) = ellipse.get_window_extent().get_points()
    cx, cy, a, b = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 + pad, (y1 - y0) / 2 + pad
    nx = (np.clip(cx, box.x0, box.x1) - cx) / a
    ny = (np.clip(cy, box.y0, box.y1) - cy) / b
    return nx**2 + ny**2 < 1.0


def _fits_and_clear(d, max_width=9.0):
    """Figure within max_width; node boxes apart; coefficient labels off every node and every other
    label (window extents after a draw); fonts at the natural size."""
    fig = d.figure_
    fig.canvas.draw()
    width, _ = fig.get_size_inches()
    assert width <= max_width + 1e-6, width
    renderer = fig.canvas.get_renderer()
    nodes = {n: p.get_window_extent(renderer) for n, p in d.node_patches_.items()}
    for (m, a), (n, b) in itertools.combinations(nodes.items(), 2):
        assert not a.overlaps(b), f"nodes {m} and {n} overlap"
    labels = {k: t.get_window_extent(renderer) for k, t in d.edge_labels_.items()}
    for key, box in labels.items():
        for n, patch in d.node_patches_.items():
            assert not _ellipse_meets_box(patch, box), f"coefficient of {key} lies on node {n}"
    for (k1, a), (k2, b) in itertools.combinations(labels.items(), 2):
        assert not a.overlaps(b), f"coefficients of {k1} and {k2} overlap"
    assert min(t.get_fontsize() for t in d.edge_labels_.values()) >= 0.98 * 9.0 - 1e-9
    assert min(t.get_fontsize() for t in d.node_labels_.values()) >= 0.98 * 10.5 * 0.95


@pytest.mark.parametrize("n", [4, 8, 12, 16])
@pytest.mark.parametrize("shape", [_wide_model, _chain_model, _mixed_model], ids=["wide", "chain", "mixed"])
def test_path_diagram_any_model_fits_max_width(shape, n):
    """Custom models of 4-16 constructs fit 9 in at the natural font sizes: long chains fold into
    columns, a layer of many constructs stays one tall column (more rows, not a wider figure)."""
    paths = _paths_of(shape(n))
    d = plots.path_diagram(paths, pd.Series({t: 0.5 for t in paths["target"]}))
    assert len(d.node_patches_) == len(set(paths["source"]) | set(paths["target"]))
    assert set(d.edge_labels_) == set(zip(paths["source"], paths["target"]))
    _fits_and_clear(d)
    plt.close(d.figure_)


def test_path_diagram_brief_twelve_construct_model_folds():
    """Six drivers -> two mediators -> satisfaction -> complaints, loyalty, retention was a
    14.2-in row; it now folds into columns within 9 in."""
    paths = _paths_of(_mixed_model(12), seed=3)
    d = plots.path_diagram(paths, pd.Series({t: 0.5 for t in paths["target"]}))
    assert len(d.columns) < len(d.layers)
    _fits_and_clear(d)
    _labels_readable(d)
    plt.close(d.figure_)


@st.composite
def _random_dags(draw):
    n = draw(st.integers(3, 16))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=min(len(pairs), n + 4), unique=True))
    names = [f"K{i}" for i in range(n)]
    return [(names[i], names[j]) for i, j in chosen]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edges=_random_dags(), seed=st.integers(0, 9))
def test_path_diagram_random_dags_fit_and_stay_clear(edges, seed):
    paths = _paths_of(edges, seed)
    d = plots.path_diagram(paths, pd.Series({t: 0.5 for t in paths["target"]}))
    try:
        _fits_and_clear(d)
    finally:
        plt.close(d.figure_)


def test_path_diagram_bad_input():
    with pytest.raises(SurveyDataError, match="'estimate'"):
        plots.path_diagram(ECSI_PATHS.drop(columns="estimate"))
    cyc = pd.DataFrame({"source": ["A", "B"], "target": ["B", "A"], "estimate": [0.1, 0.2]})
    with pytest.raises(SpecError, match="cycle"):
        plots.path_diagram(cyc)
    with pytest.raises(SpecError, match="omit the construct"):
        plots.path_diagram(ECSI_PATHS, layers=[("IMAG",), ("EXPE",)])
    with pytest.raises(SpecError, match="target before the source"):
        plots.path_diagram(ECSI_PATHS, layers=[("EXPE",), ("IMAG",), ("QUAL", "VAL", "SAT", "LOY")])
    with pytest.raises(SurveyDataError, match="ci=True"):
        plots.path_diagram(ECSI_PATHS, ci=True)
    nan = ECSI_PATHS.assign(estimate=ECSI_PATHS["estimate"].where(ECSI_PATHS.index != 2))
    with pytest.raises(SurveyDataError, match="EXPE -> VAL"):
        plots.path_diagram(nan)
    assert plt.get_fignums() == []


# --------------------------------------------------------------------------- priority matrix


def test_priority_matrix_quadrants_counts_and_labels():
    t = pd.DataFrame(
        {
            "attribute": ["crew", "seat", "food", "price", "wifi", "safety"],
            "imp": [0.9, 0.8, 0.2, 0.3, 0.1, 0.7],
            "perf": [80, 60, 82, 55, 50, 75],
        }
    )
    d = plots.priority_matrix(t, x="imp", y="perf", label="attribute", crosshair=(0.5, 70))
    render(d.figure_)
    q = d.data.set_index("name")["quadrant"]
    # by hand: x >= 0.5 is high importance, y >= 70 high performance
    assert q.to_dict() == {
        "crew": "Keep up the good work", "seat": "Concentrate here", "food": "Possible overkill",
        "price": "Low priority", "wifi": "Low priority", "safety": "Keep up the good work",
    }
    assert d.counts_.to_dict() == {"Concentrate here": 1, "Keep up the good work": 2, "Low priority": 2, "Possible overkill": 1}
    texts = {t.get_text() for t in d.ax_.texts}
    assert {"Concentrate here", "Keep up the good work", "Low priority", "Possible overkill"} <= texts
    assert {"crew", "seat", "food", "price", "wifi", "safety"} <= texts
    # the drawn points fall in the quadrant their labels claim
    offsets = d.ax_.collections[0].get_offsets()
    assert len(offsets) == 6
    assert sum((offsets[:, 0] >= 0.5) & (offsets[:, 1] < 70)) == 1
    vlines = [ln for ln in d.ax_.lines if np.allclose(ln.get_xdata(), 0.5)]
    hlines = [ln for ln in d.ax_.lines if np.allclose(ln.get_ydata(), 70)]
    assert vlines and hlines
    plt.close(d.figure_)


def test_priority_matrix_crowded_labels_do_not_overlap():
    rng = np.random.default_rng(0)
    t = pd.DataFrame({"importance": rng.normal(0.3, 0.02, 18), "performance": rng.normal(75, 1.5, 18)},
                     index=[f"Attribute {i}" for i in range(18)])
    d = plots.priority_matrix(t, crosshair="median")
    render(d.figure_)
    assert len(d.label_texts_) == 18
    assert {a.get_text() for a in d.label_texts_} == set(t.index)
    assert_no_overlap(d.label_texts_ + list(d.quadrant_texts_.values()), d.figure_, "priority matrix")
    assert d.crosshair == pytest.approx((float(np.median(t["importance"])), float(np.median(t["performance"]))))
    plt.close(d.figure_)


def test_priority_matrix_tied_points_get_separate_labels_with_leaders():
    # 12 attributes on only 3 distinct positions (ties are common with rounded Likert means)
    t = pd.DataFrame({"importance": [0.2, 0.3, 0.4] * 4, "performance": [70.0, 80.0, 70.0] * 4},
                     index=[f"Attribute {'with a long name ' if i % 4 == 0 else ''}{i}" for i in range(12)])
    d = plots.priority_matrix(t)
    render(d.figure_)
    assert_no_overlap(d.label_texts_ + list(d.quadrant_texts_.values()), d.figure_, "tied labels")
    assert any(a.arrow_patch is not None for a in d.label_texts_)  # displaced labels point to their dot
    inside = d.ax_.get_window_extent(d.figure_.canvas.get_renderer())
    assert all(inside.x0 - 1 <= b.x0 and b.x1 <= inside.x1 + 1 for b in extents(d.label_texts_, d.figure_))
    plt.close(d.figure_)


def test_priority_matrix_uses_ax_and_rejects_bad_input():
    fig, ax = plt.subplots()
    t = pd.DataFrame({"name": ["a", "b"], "importance": [1.0, 2.0], "performance": [3.0, 1.0]})
    d = plots.priority_matrix(t, ax=ax, title="IPA")
    assert d.ax_ is ax and ax.get_title() == "IPA"
    assert d.crosshair == (1.5, 2.0)
    with pytest.raises(SurveyDataError, match="'importance'"):
        plots.priority_matrix(t.drop(columns="importance"))
    with pytest.raises(ValueError, match="crosshair"):
        plots.priority_matrix(t, crosshair="mode")
    with pytest.raises(SurveyDataError, match="'b'"):
        plots.priority_matrix(t.assign(performance=[3.0, np.nan]))
    plt.close(fig)


# --------------------------------------------------------------------------- index chart


def test_index_chart_bars_values_and_errorbars():
    t = pd.DataFrame({"construct": ["IMAG", "QUAL", "SAT"], "index": [71.0, 68.5, 74.25],
                      "ci_lower": [69.0, 66.0, 72.0], "ci_upper": [73.0, 70.0, 76.5]})
    d = plots.index_chart(t)
    render(d.figure_)
    bars = [p for p in d.ax_.patches if isinstance(p, Rectangle)]
    assert len(bars) == 3
    assert [b.get_height() for b in bars] == [71.0, 68.5, 74.25]
    eb = [c for c in d.ax_.containers if isinstance(c, ErrorbarContainer)]
    assert len(eb) == 1
    segs = eb[0].lines[2][0].get_segments()
    assert [tuple(np.round(s[:, 1], 6)) for s in segs] == [(69.0, 73.0), (66.0, 70.0), (72.0, 76.5)]
    assert [t.get_text() for t in d.ax_.get_xticklabels()] == ["IMAG", "QUAL", "SAT"]
    assert d.ax_.get_ylim()[0] == 0
    plt.close(d.figure_)


def test_index_chart_groups_without_ci_and_on_given_ax():
    fig, ax = plt.subplots()
    t = pd.DataFrame({"index": [70.0, 60.0, 72.0, 65.0], "segment": ["A", "A", "B", "B"]}, index=["SAT", "LOY", "SAT", "LOY"])
    d = plots.index_chart(t, group="segment", ax=ax)
    assert d.ax_ is ax
    render(fig)
    assert len([p for p in ax.patches if isinstance(p, Rectangle)]) == 4
    assert not [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B"]
    plt.close(fig)
    with pytest.raises(SurveyDataError, match="outside its confidence interval"):
        plots.index_chart(pd.DataFrame({"construct": ["SAT"], "index": [80.0], "ci_lower": [81.0], "ci_upper": [85.0]}))
    with pytest.raises(SurveyDataError, match="several rows"):
        plots.index_chart(t)


# --------------------------------------------------------------------------- C = b/a


def test_ratio_distribution_shares_and_histogram():
    r = np.array([0.0, 0.5, 0.9, 0.96, 1.0, 1.05, 1.06, 1.5, 2.0, 0.7])
    d = plots.ratio_distribution(r, tol=0.05)
    render(d.figure_)
    # by hand: unmet {0}, dissatisfied {0.5, 0.9, 0.7}, fairly {0.96, 1.0, 1.05}, very {1.06, 1.5, 2.0}
    assert d.shares.to_dict() == pytest.approx({"unmet": 0.1, "dissatisfied": 0.3, "fairly satisfied": 0.3, "very satisfied": 0.3})
    assert [b.get_width() for b in d.share_bars_] == pytest.approx([10.0, 30.0, 30.0, 30.0])
    assert sum(b.get_height() for b in d.hist_bars_) == len(r)
    assert len(d.figure_.axes) == 2 and d.share_ax_ is not d.hist_ax_
    assert {"10.0%", "30.0%"} <= {t.get_text() for t in d.share_ax_.texts}
    plt.close(d.figure_)


def test_ratio_distribution_inset_given_bands_and_missing():
    fig, ax = plt.subplots()
    bands = pd.DataFrame({"band": ["dissatisfied", "fairly satisfied", "very satisfied"], "share": [0.2, 0.5, 0.3]})
    with pytest.warns(MissingDataWarning, match="dropped 1 of 4"):
        d = plots.ratio_distribution(pd.Series([0.9, 1.0, np.nan, 1.2]), bands, ax=ax)
    assert d.hist_ax_ is ax and d.share_ax_ in ax.child_axes
    assert [b.get_width() for b in d.share_bars_] == pytest.approx([20.0, 50.0, 30.0])
    render(fig)
    plt.close(fig)
    with pytest.raises(SurveyDataError, match="negative"):
        plots.ratio_distribution([-1.0, 1.0])


# --------------------------------------------------------------------------- drivers


def test_driver_chart_bars_sorted_with_ci():
    w = pd.DataFrame({"driver": ["CREW", "SAFE", "ENT"], "share": [0.3, 0.6, 0.1],
                      "lo": [0.2, 0.5, 0.05], "hi": [0.4, 0.7, 0.2]})
    d = plots.driver_chart(w, ci_lower="lo", ci_upper="hi")
    render(d.figure_)
    bars = [p for p in d.ax_.patches if isinstance(p, Rectangle)]
    assert len(bars) == 3
    assert [t.get_text() for t in d.ax_.get_yticklabels()] == ["SAFE", "CREW", "ENT"]
    # shares summing to 1 are drawn as percentages, largest at the top (inverted y)
    assert sorted(b.get_width() for b in bars) == pytest.approx([10.0, 30.0, 60.0])
    assert d.ax_.yaxis_inverted()
    eb = [c for c in d.ax_.containers if isinstance(c, ErrorbarContainer)]
    assert len(eb) == 1 and eb[0].has_xerr
    assert {"60.0%", "30.0%", "10.0%"} <= {t.get_text() for t in d.ax_.texts}
    plt.close(d.figure_)


def test_driver_chart_series_and_groups():
    s = pd.Series({"a": 0.5, "b": -0.2, "c": 0.9}, name="beta")
    d = plots.driver_chart(s, value="beta")
    assert [p.get_width() for p in d.bars_] == pytest.approx([0.9, 0.5, -0.2])
    assert {"0.9", "0.5", "-0.2"} <= {t.get_text() for t in d.ax_.texts}
    plt.close(d.figure_)
    long = pd.DataFrame({"driver": ["a", "b"] * 2, "method": ["shapley"] * 2 + ["relative_weights"] * 2,
                         "share": [0.7, 0.3, 0.6, 0.4]})
    d = plots.driver_chart(long, group="method")
    assert len(d.bars_) == 4
    assert [t.get_text() for t in d.ax_.get_legend().get_texts()] == ["shapley", "relative_weights"]
    render(d.figure_)
    plt.close(d.figure_)
    with pytest.raises(SurveyDataError, match="both"):
        plots.driver_chart(s, value="beta", ci_lower="x")


# --------------------------------------------------------------------------- loyalty matrix


def test_loyalty_matrix_counts_and_shares():
    a = [9, 8, 7, 2, 3, 9, 1, 6]
    p = [9, 2, 8, 9, 1, 1, 2, 6]
    d = plots.loyalty_matrix_plot(a, p, attitude_threshold=6, patronage_threshold=6)
    render(d.figure_)
    # by hand (>= 6 is high): loyalty (9,9) (7,8) (6,6); latent (8,2) (9,1); spurious (2,9); none (3,1) (1,2)
    assert d.counts_.to_dict() == {"Loyalty": 3, "Latent loyalty": 2, "Spurious loyalty": 1, "No loyalty": 2}
    texts = {t.get_text() for t in d.ax_.texts}
    assert "Loyalty\n37.5% (n = 3)" in texts
    assert "No loyalty\n25.0% (n = 2)" in texts
    assert len(d.points_.get_offsets()) == 8
    plt.close(d.figure_)


def test_loyalty_matrix_ticks_stay_on_the_answer_scale():
    # the y range has room above and below for the quadrant names; no tick labels that room
    # (the sample's 1-10 "likelihood to fly again" axis read up to 12)
    rng = np.random.default_rng(4)
    a, p = rng.integers(1, 11, 300), rng.integers(1, 11, 300)
    d = plots.loyalty_matrix_plot(a, p, attitude_threshold=7, patronage_threshold=7)
    render(d.figure_)
    y0, y1 = d.ax_.get_ylim()
    ticks = d.ax_.get_yticks()
    assert y1 > 11.5 and ticks.max() <= 10.0 + 1e-9 and ticks.min() >= 0.0  # room kept, never labelled
    assert len(ticks) >= 4
    plt.close(d.figure_)


def test_loyalty_matrix_ax_ties_and_missing():
    fig, ax = plt.subplots()
    with pytest.warns(MissingDataWarning, match="dropped 1 of 5"):
        d = plots.loyalty_matrix_plot([5, 5, 5, 1, np.nan], [5, 5, 5, 1, 3], attitude_threshold=3, patronage_threshold=3, ax=ax)
    assert d.ax_ is ax
    sizes = d.points_.get_sizes()
    assert len(d.points_.get_offsets()) == 2 and sizes.max() > sizes.min()  # the tie (5, 5) x 3 is one bigger point
    plt.close(fig)
    with pytest.raises(SurveyDataError, match="3 attitude values but 2"):
        plots.loyalty_matrix_plot([1, 2, 3], [1, 2], attitude_threshold=2, patronage_threshold=2)


# --------------------------------------------------------------------------- trend


def test_trend_chart_lines_order_and_bands():
    t = pd.DataFrame({"year": [2025, 2023, 2024] * 2, "construct": ["SAT"] * 3 + ["LOY"] * 3,
                      "index": [75.0, 70.0, 72.0, 65.0, 61.0, 63.0]})
    t["lo"], t["hi"] = t["index"] - 2, t["index"] + 2
    d = plots.trend_chart(t, wave="year", ci_lower="lo", ci_upper="hi")
    render(d.figure_)
    assert d.waves == [2023, 2024, 2025]
    assert [ln.get_label() for ln in d.ax_.lines] == ["SAT", "LOY"]
    assert list(d.lines_["SAT"].get_ydata()) == [70.0, 72.0, 75.0]
    assert len([c for c in d.ax_.collections if isinstance(c, PolyCollection)]) == 2
    assert [t.get_text() for t in d.ax_.get_xticklabels()] == ["2023", "2024", "2025"]
    plt.close(d.figure_)


def test_trend_chart_categorical_waves_no_ci_on_ax():
    fig, ax = plt.subplots()
    waves = pd.Categorical(["late", "early"], categories=["early", "late"], ordered=True)
    t = pd.DataFrame({"wave": waves, "construct": ["SAT", "SAT"], "index": [80.0, 70.0]})
    d = plots.trend_chart(t, ax=ax)
    assert d.ax_ is ax and d.waves == ["early", "late"]
    assert list(d.lines_["SAT"].get_ydata()) == [70.0, 80.0]
    assert not d.bands_
    plt.close(fig)
    with pytest.raises(SurveyDataError, match="duplicated"):
        plots.trend_chart(pd.concat([t, t]))


# --------------------------------------------------------------------------- export


def test_fig_to_data_uri_and_svg():
    d = plots.index_chart(pd.DataFrame({"construct": ["SAT"], "index": [70.0]}))
    uri = plots.fig_to_data_uri(d.figure_)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).startswith(PNG_MAGIC)
    svg_uri = plots.fig_to_data_uri(d, fmt="svg")
    assert base64.b64decode(svg_uri.split(",", 1)[1]).lstrip().startswith(b"<?xml")
    svg = plots.fig_to_svg(d.figure_)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    with pytest.raises(ValueError, match="fmt"):
        plots.fig_to_data_uri(d.figure_, fmt="gif")
    num = d.figure_.number
    plots.fig_to_data_uri(d, close=True)
    assert num not in plt.get_fignums()


# --------------------------------------------------------------------------- CJK fonts


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _render_capturing(make):
    handler = _Capture()
    logger = logging.getLogger("matplotlib")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig = make()
            render(fig)
            buf = io.StringIO()
            fig.savefig(buf, format="svg")
    finally:
        logger.removeHandler(handler)
    return fig, [str(w.message) for w in caught] + handler.messages


def _missing_glyph(messages):
    return [m for m in messages if "missing from font" in m or ("Glyph" in m and "missing" in m)]


def test_chinese_labels_render_without_missing_glyphs():
    _base._reset_font_state()
    if _base.find_cjk_font() is None:
        pytest.skip("no CJK font installed; install the Debian package fonts-noto-cjk to run this test")
    rc_before = dict(matplotlib.rcParams)
    paths = pd.DataFrame({"source": ["形象", "质量"], "target": ["顾客满意度", "顾客满意度"], "estimate": [0.4, 0.5]})

    def make():
        d = plots.path_diagram(paths, pd.Series({"顾客满意度": 0.6}))
        return d.figure_

    fig, messages = _render_capturing(make)
    assert not _missing_glyph(messages), messages
    assert "顾客满意度" in {t.get_text() for t in fig.axes[0].texts}
    plt.close(fig)

    def make_ipa():
        t = pd.DataFrame({"name": ["座椅舒适度", "机组服务"], "importance": [0.3, 0.5], "performance": [70.0, 80.0]})
        return plots.priority_matrix(t, title="重要性-表现分析").figure_

    fig, messages = _render_capturing(make_ipa)
    assert not _missing_glyph(messages), messages
    plt.close(fig)
    # rcParams are restored (fonts were set per artist)
    assert dict(matplotlib.rcParams) == rc_before


def test_missing_glyph_detection_works():
    """Negative control: the same Chinese text in DejaVu Sans does report missing glyphs."""

    def make():
        fig, ax = plt.subplots()
        ax.text(0.5, 0.5, "顾客满意度", fontfamily="DejaVu Sans")
        return fig

    fig, messages = _render_capturing(make)
    assert _missing_glyph(messages)
    plt.close(fig)


def test_no_cjk_font_warns_once_naming_the_package(monkeypatch):
    _base._reset_font_state()
    monkeypatch.setitem(_base._STATE, "searched", True)
    monkeypatch.setitem(_base._STATE, "family", None)
    t = pd.DataFrame({"construct": ["顾客满意度"], "index": [70.0]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d1 = plots.index_chart(t)
        d2 = plots.index_chart(t)
    ours = [w for w in caught if issubclass(w.category, CsindexWarning)]
    assert len(ours) == 1
    assert "fonts-noto-cjk" in str(ours[0].message)
    plt.close(d1.figure_)
    plt.close(d2.figure_)
    _base._reset_font_state()


def test_latin_labels_need_no_cjk_font(monkeypatch):
    monkeypatch.setattr(_base, "find_cjk_font", lambda: pytest.fail("font search for Latin labels"))
    d = plots.index_chart(pd.DataFrame({"construct": ["SAT"], "index": [70.0]}))
    assert d.ax_.get_xticklabels()[0].get_fontfamily() == matplotlib.rcParams["font.family"]
    plt.close(d.figure_)


def test_cjk_font_found_even_with_a_stale_font_cache(monkeypatch):
    """Fonts installed after matplotlib built its cache are found by scanning the system folders."""
    from matplotlib import font_manager

    _base._reset_font_state()
    if _base.find_cjk_font() is None:
        pytest.skip("no CJK font installed; install the Debian package fonts-noto-cjk to run this test")
    stale = [f for f in font_manager.fontManager.ttflist if f.name not in _base._CJK_FAMILIES]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    assert not {f.name for f in font_manager.fontManager.ttflist} & set(_base._CJK_FAMILIES)
    _base._reset_font_state()
    assert _base.find_cjk_font() is not None
    _base._reset_font_state()


def test_inputs_are_not_mutated():
    tables = {
        "paths": ECSI_PATHS.copy(),
        "ipa": pd.DataFrame({"name": ["a", "b", "c"], "importance": [0.2, 0.5, 0.3], "performance": [70.0, 60.0, 80.0]}),
        "index": pd.DataFrame({"construct": ["SAT", "LOY"], "index": [70.0, 60.0], "ci_lower": [68.0, 57.0], "ci_upper": [72.0, 63.0]}),
        "drivers": pd.DataFrame({"driver": ["x", "y"], "share": [0.4, 0.6]}),
        "trend": pd.DataFrame({"wave": [2, 1], "construct": ["SAT", "SAT"], "index": [71.0, 70.0]}),
    }
    ratios = pd.Series([0.9, 1.0, 1.2])
    before = {k: v.copy(deep=True) for k, v in tables.items()}
    displays = [
        plots.path_diagram(tables["paths"], ECSI_R2),
        plots.priority_matrix(tables["ipa"]),
        plots.index_chart(tables["index"]),
        plots.driver_chart(tables["drivers"]),
        plots.trend_chart(tables["trend"]),
        plots.ratio_distribution(ratios),
    ]
    for k, v in tables.items():
        pd.testing.assert_frame_equal(v, before[k])
    pd.testing.assert_series_equal(ratios, pd.Series([0.9, 1.0, 1.2]))
    for d in displays:
        plt.close(d.figure_)


CHINESE_CASES = {
    "index_chart": lambda: plots.index_chart(pd.DataFrame({"construct": ["顾客满意度", "忠诚度"], "index": [70.0, 60.0], "wave": ["第一期", "第二期"]}), group="wave"),
    "driver_chart": lambda: plots.driver_chart(pd.Series({"安全": 0.6, "机组服务": 0.4}, name="share")),
    "trend_chart": lambda: plots.trend_chart(pd.DataFrame({"wave": ["一", "二"], "construct": ["顾客满意度"] * 2, "index": [70.0, 72.0]})),
    "ratio_distribution": lambda: plots.ratio_distribution([0.9, 1.0, 1.2], pd.Series({"不满意": 0.3, "比较满意": 0.4, "很满意": 0.3})),
    "loyalty_matrix_plot": lambda: plots.loyalty_matrix_plot(pd.Series([8, 2], name="相对态度"), pd.Series([9, 1], name="重复购买"), attitude_threshold=5, patronage_threshold=5),
}


@pytest.mark.parametrize("name", sorted(CHINESE_CASES))
def test_every_chart_renders_chinese(name):
    _base._reset_font_state()
    if _base.find_cjk_font() is None:
        pytest.skip("no CJK font installed; install the Debian package fonts-noto-cjk to run this test")
    fig, messages = _render_capturing(lambda: CHINESE_CASES[name]().figure_)
    assert not _missing_glyph(messages), messages
    plt.close(fig)


@pytest.mark.parametrize("name", ["ccsi", "acsi", "ecsi", "scsb"])
def test_path_diagram_for_a_phone_column_is_narrower_than_five_inches(name):
    # the report's phone drawing (max_width 4.5 in): the 5-inch least width of a diagram yields
    # to a smaller max_width, so a 366 px column shows each template's diagram at 9 px text
    # (ECSI's complaints construct bends the arrows out to 5.01 in: narrower than its full drawing)
    _, _, d = _template_diagram(name, labels=REPORT_LABELS, max_width=4.5)
    _, _, wide = _template_diagram(name, labels=REPORT_LABELS)
    narrow_in, wide_in = d.figure_.get_size_inches()[0], wide.figure_.get_size_inches()[0]
    assert narrow_in <= (5.02 if name == "ecsi" else 4.5 + 1e-9) and narrow_in < wide_in
    _fits_and_clear(d, max_width=5.02)
    assert wide_in >= 5.0  # without max_width: at least 5 in
    plt.close(d.figure_)
    plt.close(wide.figure_)
