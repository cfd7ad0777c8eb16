"""Shared fixtures: the ../shared reference folder (skipped when absent) and plotting backend."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CSINDEX_SHARED", REPO.parent / "shared"))


def _require_shared(sub: str) -> Path:
    path = SHARED / sub
    if not path.exists():
        pytest.skip(
            f"reference data not available: {path} is absent. These tests need the shared "
            "folder (datasets/ and reference/) beside the repository, or CSINDEX_SHARED set to it."
        )
    return path


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """``../shared/datasets`` or skip."""
    return _require_shared("datasets")


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """``../shared/reference`` or skip."""
    return _require_shared("reference")


@pytest.fixture(scope="session")
def load_reference(shared_reference: Path):
    """Load one reference JSON by its file stem."""

    def _load(stem: str) -> dict:
        return json.loads((shared_reference / f"{stem}.json").read_text())

    return _load


@pytest.fixture(scope="session")
def satisfaction_data(shared_datasets: Path):
    """The ECSI ``satisfaction.csv`` data (250 bank customers)."""
    import pandas as pd

    return pd.read_csv(shared_datasets / "satisfaction.csv")


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
    """The ECSI model on the satisfaction data, as in ../shared/reference/README.md."""
    return ECSI_SYNTAX
