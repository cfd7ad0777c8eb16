"""Shared fixtures: the vendored reference data (``tests/reference/``) and the plotting backend.

The public data sets and the numbers of the reference software (R lavaan, plspm, seminr, cSEM;
semopy) live in ``tests/reference/``; ``tests/reference/SOURCES.md`` names each file's origin, tool,
version and sha256. Tests reach them through :func:`reference_path` (a plain function, importable as
``from conftest import reference_path``, and a fixture of the same name), or the ``load_reference``
and ``satisfaction_data`` fixtures. Nothing here reads anything outside the repository.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


def reference_path(name: str) -> Path:
    """Path of one vendored reference file, e.g. ``reference_path("satisfaction.csv")``.

    ``name`` is a file name in ``tests/reference/``; a JSON reference may be given by its stem
    (``"cbsem_satisfaction_lavaan"``). A missing file is an error, never a skip: the data is part
    of the repository.
    """
    path = REFERENCE_DIR / name
    if not path.suffix:
        path = path.with_suffix(".json")
    if not path.is_file():
        known = ", ".join(sorted(p.name for p in REFERENCE_DIR.iterdir() if p.suffix in {".json", ".csv"}))
        raise FileNotFoundError(
            f"no vendored reference file {path.name!r} in {REFERENCE_DIR}; known files: {known}. "
            "Add new reference files there and list them in tests/reference/SOURCES.md."
        )
    return path


def repo_script(relative: str) -> Any:
    """A script of the repository outside the package (``tools/pg_server.py``,
    ``benchmarks/bench_missing.py``) loaded as a module by its path."""
    path = REFERENCE_DIR.parents[1] / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(name="repo_script", scope="session")
def _repo_script_fixture():
    """The :func:`repo_script` function as a fixture."""
    return repo_script


@pytest.fixture(name="reference_path", scope="session")
def _reference_path_fixture():
    """The :func:`reference_path` function as a fixture."""
    return reference_path


@pytest.fixture(scope="session")
def load_reference():
    """Load one vendored reference JSON by its file stem."""

    def _load(stem: str) -> dict:
        return json.loads(reference_path(stem).read_text(encoding="utf-8"))

    return _load


@pytest.fixture(scope="session")
def satisfaction_data():
    """The ECSI ``satisfaction.csv`` data (250 bank customers)."""
    import pandas as pd

    return pd.read_csv(reference_path("satisfaction.csv"))


ECSI_SYNTAX = """
IMAG =~ imag1 + imag2 + imag3 + imag4 + imag5
EXPE =~ expe1 + expe2 + expe3 + expe4 + expe5
QUAL =~ qual1 + qual2 + qual3 + qual4 + qual5
VAL  =~ val1 + val2 + val3 + val4
SAT  =~ sat1 + sat2 + sat3 + sat4
LOY  =~ loy1 + loy2 + loy3 + loy4
EXPE ~ IMAG
QUAL ~ EXPE
VAL  ~ EXPE + QUAL
SAT  ~ IMAG + EXPE + QUAL + VAL
LOY  ~ IMAG + SAT
"""


@pytest.fixture(scope="session")
def ecsi_syntax() -> str:
    """The ECSI model on the satisfaction data, as in tests/reference/SOURCES.md."""
    return ECSI_SYNTAX
