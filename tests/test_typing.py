"""Type checkers see the lazy public API: ``mypy --strict`` accepts a user's script.

``csindex/__init__.py`` loads its public names lazily (``__getattr__``) and shows them to type
checkers through explicit ``name as name`` re-exports under ``TYPE_CHECKING``. mypy reads the
package from this checkout's ``src`` (``MYPYPATH``) and, as for any installed library, reports
errors only in the user's script (``--follow-imports=silent``).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"

USER_SCRIPT = """
from __future__ import annotations

import csindex


def main(path: str) -> None:
    survey = csindex.load_survey(path)
    pls = csindex.fit_pls(survey, "ccsi")
    scores = csindex.simple_scores(survey)
    ratio = csindex.ratio_index(survey)
    sem = csindex.fit_sem(survey, "ccsi")
    loyalty = csindex.nps([10, 9, 7, 3])
    out = csindex.report(survey)
    spec: csindex.ModelSpec = pls.spec
    print(pls.summary(), scores, ratio, sem, loyalty.score, out, spec)
"""

# What mypy must still reject: the lazy __getattr__ must not make every attribute acceptable.
BAD_SCRIPT = """
import csindex

csindex.fit_psl()
csindex.nps([10, 9], no_such_option=1)
"""


def _mypy(tmp_path: Path, name: str, text: str) -> subprocess.CompletedProcess:
    script = tmp_path / name
    script.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    env = {**os.environ, "MYPYPATH": str(SRC)}
    cmd = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
           "--cache-dir", str(tmp_path.parent / "mypy_cache"), "--no-color-output", script.name]
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("typing")


def test_mypy_strict_accepts_a_user_script(workdir):
    run = _mypy(workdir, "user_script.py", USER_SCRIPT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues found" in run.stdout


def test_mypy_strict_still_rejects_unknown_names_and_options(workdir):
    run = _mypy(workdir, "bad_script.py", BAD_SCRIPT)
    assert run.returncode == 1, run.stdout + run.stderr
    assert 'bad_script.py:3: error: Module has no attribute "fit_psl"' in run.stdout
    assert 'bad_script.py:4: error: Unexpected keyword argument "no_such_option" for "nps"' in run.stdout


def test_every_lazy_name_is_re_exported_for_type_checkers():
    """Every name of ``csindex.__all__`` is visible statically: imported at module level or
    re-exported as ``name as name`` in the ``TYPE_CHECKING`` block of ``csindex/__init__.py``."""
    import csindex

    tree = ast.parse((SRC / "csindex" / "__init__.py").read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
    exported, implicit = set(), []
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        for alias in node.names:
            exported.add(alias.asname or alias.name)
            if alias.asname != alias.name:
                implicit.append(alias.name)
    eager = {alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
             and node.module not in {"__future__", "typing"} for alias in node.names}
    assert implicit == []
    assert exported | eager | {"__version__"} == set(csindex.__all__)
    assert not exported & eager
