"""The report on two processes (``n_jobs=2``, the CLI's default): same files, same page.

The descriptive sections run in a forked child while the parent fits the index model; the
child's sections, tables and key numbers are merged back in the order of the sequential run.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

import csindex
from csindex.exceptions import ParameterError
from csindex.report import _parallel

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the report forks only on Linux")


def _page(out: Path) -> str:
    """The page with each figure decoded and its clip-path ids numbered in order of appearance
    (matplotlib derives them from object addresses, which differ between any two runs), without
    the footer (it carries the date) and the output folder."""
    page = (out / "index.html").read_text(encoding="utf-8")
    page = re.sub(r"<footer>.*?</footer>", "", page, flags=re.S).replace(str(out), "OUT")

    def svg(match: re.Match) -> str:
        text = base64.b64decode(match.group(1)).decode("utf-8")
        ids: dict[str, str] = {}
        return re.sub(r"\bp[0-9a-f]{10}\b", lambda m: ids.setdefault(m.group(0), f"clip{len(ids)}"), text)

    return re.sub(r"data:image/svg\+xml;base64,([^\"]+)", svg, page)


def _payload(out: Path) -> dict:
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    payload["settings"].pop("out")
    payload["settings"].pop("created", None)
    return payload


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    base = tmp_path_factory.mktemp("parallel")
    kw = dict(bootstrap=60, seed=11, progress=False, excel=False)
    one = csindex.report(out=base / "one", n_jobs=1, **kw)
    two = csindex.report(out=base / "two", n_jobs=2, **kw)
    return one, two


@linux_only
def test_two_processes_ran(pair):
    one, two = pair
    assert one.processes == 1 and two.processes == 2


@linux_only
def test_two_processes_write_the_same_report(pair):
    # the same page; the same numbers up to the summation order of BLAS (the two processes hold
    # BLAS to one thread each, the sequential run lets it use two): 1e-10
    one, two = pair
    assert _page(one.out) == _page(two.out)
    assert _same(_payload(one.out), _payload(two.out))
    assert list(one.tables) == list(two.tables)  # same file order
    assert list(one.key_numbers) == list(two.key_numbers)
    assert one.n_figures == two.n_figures >= 6
    assert sorted(p.name for p in one.out.iterdir()) == sorted(p.name for p in two.out.iterdir())
    for name in one.tables:
        a, b = pd.read_csv(one.out / f"{name}.csv"), pd.read_csv(two.out / f"{name}.csv")
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-10, atol=1e-12, obj=name)


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-10, abs=1e-12, nan_ok=True)
    return a == b


@linux_only
def test_section_notes_merge_in_section_order(pair):
    one, two = pair
    assert one.key_numbers.get("notes") == two.key_numbers.get("notes")
    assert list(one.key_numbers.get("notes", {})) == list(two.key_numbers.get("notes", {}))


@linux_only
def test_a_child_that_dies_is_replaced_by_running_its_sections_here(tmp_path, monkeypatch, caplog):
    def dies(*args, **kwargs):
        import os

        os._exit(3)

    monkeypatch.setattr(_parallel, "_child", dies)
    res = csindex.report(out=tmp_path / "r", bootstrap=0, seed=11, progress=False, excel=False, n_jobs=2)
    assert res.processes == 1
    assert set(res.sections["status"]) == {"ok"}
    assert {"simple-scores", "dual-ipa", "drivers"} <= set(res.sections["id"])
    assert "overall_score" in res.key_numbers and "dual_index" in res.key_numbers
    assert "second process ended" in caplog.text


def test_a_shared_generator_runs_the_sections_in_order(tmp_path):
    import numpy as np

    res = csindex.report(out=tmp_path / "g", bootstrap=0, seed=np.random.default_rng(1), progress=False,
                         excel=False, n_jobs=2)
    assert res.processes == 1


@pytest.mark.parametrize("bad", [0, -2, 1.5, "two", True])
def test_bad_n_jobs_is_a_parameter_error(tmp_path, bad):
    with pytest.raises(ParameterError, match="n_jobs"):
        csindex.report(out=tmp_path / "x", n_jobs=bad)


@linux_only
def test_the_workbook_written_by_the_second_process_equals_the_sequential_one(tmp_path):
    import openpyxl

    kw = dict(bootstrap=0, seed=5, progress=False, excel=True)
    one = csindex.report(out=tmp_path / "one", n_jobs=1, **kw)
    two = csindex.report(out=tmp_path / "two", n_jobs=2, **kw)
    assert two.processes == 2
    a, b = openpyxl.load_workbook(one.excel), openpyxl.load_workbook(two.excel)
    assert a.sheetnames == b.sheetnames and len(a.sheetnames) == len(one.tables)
    for name in a.sheetnames:
        rows_a = list(a[name].iter_rows(values_only=True))
        rows_b = list(b[name].iter_rows(values_only=True))
        assert len(rows_a) == len(rows_b) > 1, name
        for ra, rb in zip(rows_a, rows_b):
            assert [x if not isinstance(x, float) else pytest.approx(x, rel=1e-10, abs=1e-12) for x in ra] == list(rb)


@linux_only
def test_a_workbook_that_fails_in_the_second_process_is_written_here(tmp_path, monkeypatch):
    import os

    parent = os.getpid()

    def fails_in_the_child(path, tables):
        assert os.getpid() != parent
        (tmp_path / "child-tried").touch()
        raise OSError("disk full in the child")

    monkeypatch.setattr(_parallel, "write_xlsx", fails_in_the_child)  # the child's writer only
    res = csindex.report(out=tmp_path / "w", bootstrap=0, seed=5, progress=False, excel=True, n_jobs=2)
    assert res.processes == 2 and (tmp_path / "child-tried").exists()
    assert res.excel is not None and res.excel.stat().st_size > 10_000


@linux_only
def test_the_second_process_exits_when_no_workbook_is_wanted(tmp_path):
    import multiprocessing

    res = csindex.report(out=tmp_path / "n", bootstrap=0, seed=5, progress=False, excel=False, n_jobs=2)
    assert res.processes == 2 and res.excel is None
    assert multiprocessing.active_children() == []  # joined, not left waiting for a job
