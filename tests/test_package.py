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
