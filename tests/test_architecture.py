"""The package's shape: layer contract (import-linter), size limits, and a light ``import csindex``.

* The layers are declared once, in ``[tool.importlinter]`` of ``pyproject.toml`` (top to bottom:
  cli, report, segments, comparisons, the engines scoring | kpi | pls | sem, _segmenting, models,
  spec, datasets, io, survey, codebook, plots, the base helpers, exceptions). import-linter (grimp)
  reads every import statement, function-level ones included, so an import moved into a function
  to dodge a cycle still counts.
* ``KNOWN_LAYER_VIOLATIONS`` lists the imports that break the contract today; nothing else may.
  An entry that no longer matches an import is an error too, so the list can only shrink.
* Files stay under 800 lines and functions under 150 lines (counted from ``def`` to the last
  line, docstring included); ``OVERSIZED_*`` list today's offenders with their current size as a
  ceiling, and a listed entry that got small enough must be removed.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import importlinter.api as importlinter_api

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
PACKAGE = SRC / "csindex"

# Imports that break the layer contract on the current code. They all go away with the
# refactor that splits segments.py into _segmenting.py (the `by=` plumbing the engines use),
# comparisons.py and pls/mga.py: the engines then import csindex._segmenting, one layer below
# them. The lead empties this list after merging that refactor; never add to it.
KNOWN_LAYER_VIOLATIONS: list[str] = [
    "csindex.scoring.simple -> csindex.segments",
    "csindex.scoring.dual -> csindex.segments",
    "csindex.scoring.ipa -> csindex.segments",
    "csindex.scoring.kano -> csindex.segments",
    "csindex.scoring.drivers -> csindex.segments",
    "csindex.scoring.ratio -> csindex.segments",
    "csindex.sem -> csindex.segments",
    "csindex.pls.segments -> csindex.segments",
]

MAX_FILE_LINES = 800
MAX_FUNCTION_LINES = 150

# Today's offenders (path relative to src/, and their current size as a ceiling). Being split by
# the refactor of issue 11 (kpi.py -> kpi/, sem.py + _cbsem.py -> sem/, segments.py -> three
# modules); the lead shrinks these lists as the splits land. Never add to them.
OVERSIZED_FILES: dict[str, int] = {
    "csindex/_cbsem.py": 811,
    "csindex/kpi.py": 1759,
    "csindex/plots/_charts.py": 878,
    "csindex/segments.py": 1848,
    "csindex/sem.py": 1349,
}
OVERSIZED_FUNCTIONS: dict[str, int] = {
    "csindex/io.py::load_survey": 218,
    "csindex/kpi.py::ticket_kpis": 179,
    "csindex/kpi.py::followup_compliance": 175,
    "csindex/pls/estimate.py::fit_pls": 158,
    "csindex/sem.py::fit_sem": 233,
    "csindex/sem.py::fit_sem_multigroup": 207,
}


# --------------------------------------------------------------------------- layer contract
def _lint(tmp_path: Path, src: Path, ignore_imports: list[str]) -> subprocess.CompletedProcess:
    """Run import-linter on the package under ``src`` with pyproject's contracts plus ``ignore_imports``."""
    config = importlinter_api.read_configuration(str(REPO / "pyproject.toml"))
    assert config["contracts_options"], "pyproject.toml declares no [tool.importlinter] contract"
    lines = ["[tool.importlinter]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in config["session_options"].items()]
    for contract in config["contracts_options"]:
        contract = dict(contract)
        if contract.get("type") == "layers":
            contract["ignore_imports"] = list(contract.get("ignore_imports", [])) + ignore_imports
        lines.append("[[tool.importlinter.contracts]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in contract.items()]
    cfg = tmp_path / "importlinter.toml"
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    code = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run([sys.executable, "-c", code, str(cfg), "--no-cache", "--no-logo"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_layer_contract_is_kept(tmp_path):
    run = _lint(tmp_path, SRC, KNOWN_LAYER_VIOLATIONS)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 kept, 0 broken" in run.stdout


def test_layer_contract_fails_when_a_lower_layer_imports_an_upper_one(tmp_path):
    """A base module importing the report must break the contract (the check is not vacuous)."""
    copy = tmp_path / "src"
    shutil.copytree(PACKAGE, copy / "csindex", ignore=shutil.ignore_patterns("__pycache__"))
    params = copy / "csindex" / "_params.py"
    params.write_text(params.read_text(encoding="utf-8") + "\nimport csindex.report  # noqa\n", encoding="utf-8")
    run = _lint(tmp_path, copy, KNOWN_LAYER_VIOLATIONS)
    assert run.returncode != 0
    assert "csindex._params is not allowed to import csindex.report" in run.stdout, run.stdout


# --------------------------------------------------------------------------- size limits
def _python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _functions(tree: ast.AST, prefix: str = ""):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node.end_lineno - node.lineno + 1
            yield from _functions(node, f"{prefix}{node.name}.<locals>.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def _check_sizes(measured: dict[str, int], allowed: dict[str, int], limit: int) -> list[str]:
    problems = []
    for key, size in sorted(measured.items()):
        if size > limit and key not in allowed:
            problems.append(f"{key}: {size} lines (limit {limit}); split it")
        elif key in allowed and size > allowed[key]:
            problems.append(f"{key}: grew to {size} lines (allowed at most {allowed[key]} until it is split)")
    for key in sorted(allowed):
        if measured.get(key, 0) <= limit:
            problems.append(f"{key}: is gone or within {limit} lines now; remove it from the allow-list")
    return problems


def test_no_source_file_over_800_lines():
    measured = {p.relative_to(SRC).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
                for p in _python_files()}
    assert _check_sizes(measured, OVERSIZED_FILES, MAX_FILE_LINES) == []


def test_no_function_over_150_lines():
    measured = {}
    for path in _python_files():
        rel = path.relative_to(SRC).as_posix()
        for name, size in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            measured[f"{rel}::{name}"] = max(size, measured.get(f"{rel}::{name}", 0))
    assert _check_sizes(measured, OVERSIZED_FUNCTIONS, MAX_FUNCTION_LINES) == []


def test_size_check_reports_offenders_growth_and_stale_entries():
    problems = _check_sizes({"a.py": 900, "b.py": 1000, "c.py": 10}, {"b.py": 950, "c.py": 820}, 800)
    assert problems == [
        "a.py: 900 lines (limit 800); split it",
        "b.py: grew to 1000 lines (allowed at most 950 until it is split)",
        "c.py: is gone or within 800 lines now; remove it from the allow-list",
    ]


# --------------------------------------------------------------------------- light import
HEAVY = ("matplotlib", "semopy", "statsmodels")


def test_import_csindex_spec_and_scoring_stays_light():
    """``import csindex``, the spec and the scoring/engine modules load none of matplotlib, semopy
    or statsmodels: those are imported inside the functions that need them."""
    script = textwrap.dedent(f"""
        import importlib, sys
        heavy = {HEAVY!r}
        def loaded():
            return sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy))
        import csindex
        csindex.spec
        import csindex.scoring
        assert "csindex.spec" in sys.modules
        culprits = {{}}
        steps = ["csindex", "csindex.spec", "csindex.scoring", "csindex.scoring.simple",
                 "csindex.scoring.ratio", "csindex.scoring.dual", "csindex.scoring.ipa",
                 "csindex.scoring.drivers", "csindex.scoring.kano", "csindex.survey", "csindex.io",
                 "csindex.models", "csindex.kpi", "csindex.pls", "csindex.sem", "csindex.segments",
                 "csindex.plots"]
        for name in steps:
            importlib.import_module(name)
            for mod in loaded():
                culprits.setdefault(mod, name)
        print(culprits)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "{}", f"heavy module loaded at import (module: first importer): {run.stdout}"
