"""The vendored reference data is complete, unedited and the only source the tests read.

Every ``.json``/``.csv`` in ``tests/reference/`` must be listed in ``SOURCES.md`` with its sha256,
and the bytes must match it (the numbers come from R lavaan, plspm, seminr, cSEM and semopy and are
never edited by hand). No test or benchmark may read a folder outside the repository.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from conftest import REFERENCE_DIR, reference_path

REPO = REFERENCE_DIR.parents[1]
_ROW = re.compile(r"^\|\s*`(?P<name>[^`]+\.(?:json|csv))`\s*\|.*`(?P<sha>[0-9a-f]{64})`\s*\|\s*$", re.M)


def _listed() -> dict[str, str]:
    return {m["name"]: m["sha"] for m in _ROW.finditer((REFERENCE_DIR / "SOURCES.md").read_text(encoding="utf-8"))}


def _files() -> list[str]:
    return sorted(p.name for p in REFERENCE_DIR.iterdir() if p.suffix in {".json", ".csv"})


def test_every_file_is_listed_with_its_checksum():
    listed = _listed()
    assert sorted(listed) == _files()


@pytest.mark.parametrize("name", _files())
def test_checksum_matches_sources(name):
    digest = hashlib.sha256((REFERENCE_DIR / name).read_bytes()).hexdigest()
    assert digest == _listed()[name], f"{name} differs from the file recorded in SOURCES.md"


def test_reference_json_names_its_tool_and_data():
    for name in _files():
        if name.endswith(".json"):
            doc = json.loads(reference_path(name).read_text(encoding="utf-8"))
            assert doc["tool"]["name"] and doc["tool"]["version"], name
            assert doc["case"] == name[: -len(".json")]


def test_datasets_have_the_documented_shape():
    shapes = {"satisfaction.csv": (250, 28), "mobi.csv": (250, 24), "corp_rep_data.csv": (344, 50),
              "corp_rep_data2.csv": (347, 41), "plspm_mobile.csv": (250, 24),
              "satisfaction_missing.csv": (250, 28)}
    for name, shape in shapes.items():
        assert pd.read_csv(reference_path(name)).shape == shape, name


def test_reference_path_accepts_a_stem_and_rejects_unknown_names():
    assert reference_path("cbsem_satisfaction_lavaan") == REFERENCE_DIR / "cbsem_satisfaction_lavaan.json"
    with pytest.raises(FileNotFoundError, match="SOURCES.md"):
        reference_path("no_such_reference")


def test_no_test_or_benchmark_reads_outside_the_repository():
    # spelled in pieces so that this guard itself never matches a search for them
    needles = ("CSINDEX_" + "SHARED", "../" + "shared", '"' + 'shared"', "'" + "shared'")
    offenders = []
    for folder in ("tests", "benchmarks"):
        for path in (REPO / folder).rglob("*.py"):
            if path.resolve() == Path(__file__).resolve():
                continue
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(REPO)}: {n}" for n in needles if n in text]
    assert offenders == []
