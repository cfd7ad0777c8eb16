"""Package-level contracts: light import, public names, typing marker, no logging config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import csindex


def test_import_is_light():
    code = (
        "import sys, csindex, csindex.spec\n"
        "heavy = [m for m in ('matplotlib', 'semopy', 'statsmodels', 'csindex.report') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_py_typed_shipped():
    assert (Path(csindex.__file__).parent / "py.typed").exists()


def test_unknown_attribute_raises_attribute_error():
    try:
        csindex.no_such_thing  # noqa: B018
    except AttributeError as err:
        assert "no_such_thing" in str(err)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_library_does_not_configure_root_logging():
    import logging

    code = "import logging, csindex; print(len(logging.getLogger().handlers))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("csindex").handlers)


def _pyproject() -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10: tomli comes with mypy (test extra)
        import tomli as tomllib
    return tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"))


def test_package_data_patterns_all_match_files():
    """Every package-data glob names files that exist (no entry for a folder that is not there)."""
    src = Path(__file__).resolve().parents[1] / "src" / "csindex"
    patterns = _pyproject()["tool"]["setuptools"]["package-data"]["csindex"]
    assert patterns and all(list(src.glob(p)) for p in patterns), patterns


def test_metadata_has_no_placeholder_urls_and_an_spdx_license():
    project = _pyproject()["project"]
    assert "example.invalid" not in str(project.get("urls", {}))
    assert project["license"] == "MIT"
