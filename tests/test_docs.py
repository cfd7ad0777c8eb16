"""The documentation site builds in strict mode and carries the methods page.

Runs ``mkdocs build --strict`` in a subprocess (the same command as ``docs/build.sh``)
when MkDocs and mkdocstrings are installed (``pip install -e ".[docs]"``); skips with the
reason otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

def _missing_docs_packages() -> list[str]:
    missing = []
    for module in ("mkdocs", "mkdocstrings", "mkdocstrings_handlers"):
        if importlib.util.find_spec(module) is None:
            missing.append(module)
    return missing


pytestmark = pytest.mark.skipif(
    bool(_missing_docs_packages()) or not (ROOT / "mkdocs.yml").is_file(),
    reason=(
        "the docs build needs MkDocs and mkdocstrings[python] "
        f"(missing: {', '.join(_missing_docs_packages()) or 'mkdocs.yml'}); "
        'install them with pip install -e ".[docs]"'
    ),
)


def _build(root: Path, site_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(root / "src"), env.get("PYTHONPATH", "")) if p
    )
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    result = _build(ROOT, site_dir)
    assert result.returncode == 0, (
        f"mkdocs build --strict failed (exit {result.returncode}):\n{result.stderr[-4000:]}"
    )
    assert "WARNING" not in result.stderr, result.stderr[-4000:]
    return site_dir


def test_methods_page_has_the_key_formulas(site: Path) -> None:
    html = (site / "methods" / "index.html").read_text(encoding="utf-8")
    for needle in ("C = b/a", "Shapley", "HTMT", "RMSEA", "Fornell", "BCa", "[U]"):
        assert needle in html, f"methods page lacks {needle!r}"


def test_pages_and_api_reference_are_built(site: Path) -> None:
    for page in ("index.html", "getting-started/index.html", "models/index.html",
                 "references/index.html", "api/index.html"):
        assert (site / page).is_file(), f"{page} was not built"
    spec_html = (site / "api" / "spec" / "index.html").read_text(encoding="utf-8")
    # mkdocstrings rendered the numpydoc docstrings: the class and its methods are there
    assert "ModelSpec" in spec_html
    assert "from_lavaan" in spec_html
    # Sphinx roles are rewritten to inline code by docs/_ext/sphinx_roles.py
    assert ":class:" not in spec_html and ":meth:" not in spec_html
    assert "<code>ModelSpec</code>" in spec_html
    # the developer notes are excluded from the published site
    assert not (site / "dev").exists()


def test_models_page_lists_the_ccsi_paths(site: Path) -> None:
    html = (site / "models" / "index.html").read_text(encoding="utf-8")
    assert "GB/T 19038-2009" in html
    assert "BI → SAT" in html or "BI -&gt; SAT" in html or "BI->SAT" in html


def test_site_loads_nothing_from_the_network(site: Path) -> None:
    offenders = []
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for marker in ('src="http', "src='http", 'rel="stylesheet" href="http'):
            if marker in text:
                offenders.append(f"{page.relative_to(site)}: {marker}")
    assert not offenders, offenders


def test_strict_build_fails_on_a_broken_link(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "docs", root / "docs")
    shutil.copytree(ROOT / "src", root / "src",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    with open(root / "docs" / "index.md", "a", encoding="utf-8") as fh:
        fh.write("\nSee [a page that does not exist](no-such-page.md).\n")
    result = _build(root, tmp_path / "site")
    assert result.returncode != 0
    assert "no-such-page.md" in result.stderr


def test_sphinx_roles_become_inline_code() -> None:
    spec = importlib.util.spec_from_file_location(
        "sphinx_roles", ROOT / "docs" / "_ext" / "sphinx_roles.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = "See :class:`ModelSpec`, :meth:`~csindex.spec.ModelSpec.to_lavaan` and :py:func:`f`."
    assert module.rewrite_roles(text) == "See `ModelSpec`, `to_lavaan` and `f`."
    assert module.rewrite_roles("a: b `c`") == "a: b `c`"
