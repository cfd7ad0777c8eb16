"""Every example notebook runs top to bottom on the bundled samples (nbclient)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def test_notebooks_exist_and_are_generated():
    names = {p.stem for p in NOTEBOOKS}
    assert {"01_quickstart", "02_ccsi_sem", "03_acsi_ecsi_pls", "04_ratio_dual_ipa", "05_drivers"} <= names
    proc = subprocess.run([sys.executable, str(EXAMPLES / "make_notebooks.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_notebooks_have_no_stored_outputs():
    nbformat = pytest.importorskip("nbformat")
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # the kernel must import this checkout's csindex (and write its files into tmp_path)
    src = str(ROOT / "src")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend shows the figures
    nb = nbformat.read(path, as_version=4)
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert 'matplotlib.use("Agg")' not in sources
    assert not re.search(r"^display\s*=", sources, flags=re.M)  # never overwrite Jupyter's display()
    assert "simplefilter(\"ignore\"" not in sources  # warnings are not silenced to look clean
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError naming the cell when one fails
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert errors == []
    plots = re.search(r"\.plot\(|csindex\.plots\.", sources) is not None
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    if plots:
        assert images, f"{path.name} plots but shows no figure"
    doubled = [c.source[:40] for c in nb.cells if c.cell_type == "code"
               and sum("image/png" in o.get("data", {}) for o in c.outputs) > 1]
    assert doubled == []  # each figure shows once
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    stray = [line for line in stderr.splitlines() if "Warning" in line
             and not re.search(r"(MissingData|Inference|Convergence|Collinearity|DiscriminantValidity)Warning", line)]
    assert stray == [], stray  # e.g. TqdmWarning: IProgress not found, FigureCanvasAgg is non-interactive
