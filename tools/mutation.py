"""Mutation testing of the core numeric modules with mutmut (issue 12 §6: tests that bite).

Each module is mutated on its own and checked with its own test files only (the table
:data:`MODULES`), in a scratch copy of the repository so the worktree never sees mutmut's
``mutants/`` folder. mutmut (https://github.com/boxed/mutmut, maintained) makes operator,
number, string, keyword and argument mutations; a mutant is *killed* when a test fails (a
timeout counts as killed), and *survives* when every test passes.

What is scored:

* Lines that only build an error or warning message (``raise ...``, ``warnings.warn(...)``,
  ``logger...``) are not mutated (``do_not_mutate_patterns``): the text of a message is not a
  number. The conditions that decide *whether* to raise are mutated.
* Presentation methods (``summary``, ``plot``, ``__getattr__``) are left out of the score
  (:data:`PRESENTATION`); mutmut itself never mutates decorated functions (``@property``,
  ``@segmentable``), which is why the public functions are thin wrappers over undecorated
  pipeline steps.
* Equivalent mutants (no input can tell them from the original) are listed with the reason in
  ``tools/mutation_equivalent.txt`` and left out of the denominator.

Usage::

    python tools/mutation.py                       # every module, 60 sampled mutants each
    python tools/mutation.py ratio --sample 0      # every mutant of scoring/ratio.py
    python tools/mutation.py dual algorithm --sample 120 --seed 1 --show-survivors

``--sample 0`` runs all mutants (slow on a shared 2-core machine: ratio.py has ~700 scored
mutants). The score printed is ``killed / (scored - equivalent)``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MUTMUT = [str(Path(sys.executable).with_name("mutmut"))]

#: module key -> (source file, its own test files)
MODULES: dict[str, tuple[str, list[str]]] = {
    "ratio": ("src/csindex/scoring/ratio.py", ["tests/scoring/test_ratio.py"]),
    "dual": ("src/csindex/scoring/dual.py", ["tests/scoring/test_dual.py"]),
    "algorithm": ("src/csindex/pls/_algorithm.py",
                  ["tests/pls/test_pls.py", "tests/pls/test_pls_consistent.py", "tests/pls/test_pls_algorithm.py"]),
    "nps": ("src/csindex/kpi/loyalty.py", ["tests/kpi/test_kpi.py"]),  # nps, rates, loyalty matrix
}
PRESENTATION = re.compile(r"ǁ(summary|plot|__repr__|_repr_html_)__mutmut_|\.x___getattr____mutmut_")
DO_NOT_MUTATE = [r"^\s*raise \w", r"warnings\.warn\(", r"^\s*logger\."]
EQUIVALENT_FILE = REPO / "tools" / "mutation_equivalent.txt"
KILLED = {1, 3, 36, 24, -24, 152, 255}  # test failure, pytest internal error, timeouts


def equivalent_mutants() -> dict[str, str]:
    """Mutant name -> reason, from ``tools/mutation_equivalent.txt`` (``name  # reason`` lines)."""
    out: dict[str, str] = {}
    if EQUIVALENT_FILE.is_file():
        for line in EQUIVALENT_FILE.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, reason = line.partition("#")
                out[name.strip()] = reason.strip()
    return out


def _scratch(source: str, tests: list[str]) -> Path:
    work = Path(tempfile.mkdtemp(prefix="csindex-mutation-"))
    shutil.copytree(REPO / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    tests = [t for t in tests if (REPO / t).is_file()]
    toml = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    toml += "\n[tool.mutmut]\n" + "\n".join([
        'source_paths = ["src/"]',
        f"only_mutate = {json.dumps([source])}",
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        # tests that check which frame a warning points at cannot pass under mutmut's trampoline
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x", "-o", "addopts=", '
        '"-k", "not point_at_the_caller"]',
        f"do_not_mutate_patterns = {json.dumps(DO_NOT_MUTATE)}",
        "use_git_change_detection = false",
    ]) + "\n"
    (work / "pyproject.toml").write_text(toml, encoding="utf-8")
    return work


def _meta(work: Path, source: str) -> dict[str, int | None]:
    path = work / "mutants" / (source + ".meta")
    return json.loads(path.read_text(encoding="utf-8"))["exit_code_by_key"]


def _mutmut(work: Path, names: list[str], jobs: int) -> None:
    env = {**os.environ, "PYTHONPATH": "src", "MPLBACKEND": "Agg"}
    proc = subprocess.run([*MUTMUT, "run", "--max-children", str(jobs), *names], cwd=work, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode not in (0, None):
        tail = proc.stdout[-3000:]
        raise SystemExit(f"mutmut failed in {work} (exit {proc.returncode}):\n{tail}")


def run_module(key: str, sample: int, seed: int, jobs: int, show: bool, keep: bool) -> dict[str, object]:
    source, tests = MODULES[key]
    work = _scratch(source, tests)
    try:
        # 1. generate every mutant and map tests to functions: run the mutants of one small
        #    function (a glob), which makes mutmut write the full list into the .meta file
        module = source.removeprefix("src/").removesuffix(".py").replace("/", ".")
        _mutmut(work, [f"{module}.x_*__mutmut_1"], jobs)
        every = sorted(_meta(work, source))
        scored = [m for m in every if not PRESENTATION.search(m)]
        # 2. sample and run
        chosen = scored if sample <= 0 or sample >= len(scored) else sorted(random.Random(seed).sample(scored, sample))
        _mutmut(work, chosen, jobs)
        codes = _meta(work, source)
        equivalent = equivalent_mutants()
        eq = [m for m in chosen if m in equivalent]
        judged = [m for m in chosen if m not in equivalent]
        killed = [m for m in judged if codes.get(m) in KILLED]
        survived = [m for m in judged if codes.get(m) not in KILLED]
        score = len(killed) / len(judged) if judged else float("nan")
        print(f"{source}: {len(every)} mutants, {len(scored)} scored, {len(chosen)} run, {len(eq)} equivalent, "
              f"{len(killed)} killed, {len(survived)} survived -> mutation score {100 * score:.1f}%")
        if show:
            for m in survived:
                diff = subprocess.run([*MUTMUT, "show", m], cwd=work, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True).stdout
                print(f"--- survived ({codes.get(m)}): {m}\n{diff.strip()}\n")
            for m in eq:
                print(f"--- equivalent: {m}: {equivalent[m]}")
        return {"module": source, "mutants": len(every), "scored": len(scored), "run": len(chosen),
                "equivalent": eq, "killed": len(killed), "survived": survived, "score": score}
    finally:
        if keep:
            print(f"(scratch copy kept in {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE",
                        help=f"modules to mutate ({', '.join(MODULES)}; default all)")
    parser.add_argument("--sample", type=int, default=60, help="mutants sampled per module (0 = all)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed")
    parser.add_argument("--jobs", type=int, default=2, help="parallel mutmut workers")
    parser.add_argument("--show-survivors", action="store_true", help="print the diff of every survivor")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module {unknown[0]!r}; choose from {', '.join(MODULES)}")
    results = [run_module(k, args.sample, args.seed, args.jobs, args.show_survivors, args.keep)
               for k in (args.modules or list(MODULES))]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
