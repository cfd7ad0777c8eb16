"""Run the report's sections on two cores: the descriptive ones in a forked child process.

The report's sections fall into two groups that share nothing they compute: the descriptive
sections (data quality, simple scores, KPIs, C = b/a, dual evaluation, drivers) read only the
survey, the model sections (the index model, the 0-100 index, IPMA, what to improve first, the
trend, the appendices) read the survey and each other. A ``fork``-ed child runs the first group
while the parent runs the second; the child sends back its sections, tables and key numbers
(pickled through a pipe), and the parent merges them in the order the sequential run would
have produced. Each section seeds its own generator from the report's seed, so the numbers are
the same either way (a test compares the two runs).

``fork`` is used because the child must start with everything already imported (a fresh
interpreter would spend the second the split saves on imports again). Where ``fork`` is not
available (Windows, and macOS where it is unsafe) or the caller passes a random generator
shared by the sections, the sections run one after the other.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .._export import write_xlsx
from .._sufficient import one_blas_thread
from ._render import Section
from ._sections import Context

logger = logging.getLogger(__name__)

Step = tuple[str, str, Callable[..., None], int]
#: sections ordered below this run in the child (descriptive); the model sections from here on
FIRST_MODEL_ORDER = 8
#: sections ordered from here on summarise the others (the overview): they run after the merge
FIRST_SUMMARY_ORDER = 90


def parallel_available(seed: Any) -> bool:
    """Whether the sections can run in two processes here (``fork`` and a seed the sections
    can each re-derive: an int or None)."""
    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and (seed is None or isinstance(seed, int)))


class SecondProcess:
    """The forked child after its sections: it has imported the workbook writer while this
    process finished its own sections, and waits for one job, the Excel workbook. Always
    :meth:`close` it (it then exits); :meth:`write_workbook` hands it the job."""

    def __init__(self, child: Any, jobs: Any) -> None:
        self._child, self._jobs = child, jobs

    def write_workbook(self, path: Any, tables: Any) -> Callable[[], bool]:
        """Send the workbook job; returns a function that waits and says whether it was written
        (when not, the caller writes it itself: a failure here never loses output)."""
        try:
            self._jobs.send_bytes(pickle.dumps((path, tables), protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, ValueError):  # the child is gone
            return lambda: False
        finally:
            self._jobs.close()

        def wait() -> bool:
            self._child.join()
            return self._child.exitcode == 0

        return wait

    def close(self) -> None:
        """Tell the child there is nothing (more) to do and wait for it to exit."""
        if not self._jobs.closed:
            self._jobs.close()  # the child reads EOF: no workbook
        self._child.join()


def run_steps(steps: Sequence[Step], ctx: Context, sections: dict[str, Section], run: Callable[..., None],
              bar: Any, jobs: int) -> SecondProcess | None:
    """Run every builder of ``steps`` on ``ctx``: in order in this process when ``jobs`` is 1
    (or two processes are not possible), else the descriptive ones in a forked child.
    Returns the child, waiting to write the workbook, when it ran sections (else None)."""
    child_steps = [s for s in steps if s[3] < FIRST_MODEL_ORDER]
    own_steps = [s for s in steps if FIRST_MODEL_ORDER <= s[3] < FIRST_SUMMARY_ORDER]
    last_steps = [s for s in steps if s[3] >= FIRST_SUMMARY_ORDER]
    if jobs == 1 or not child_steps or not own_steps or not parallel_available(ctx.seed):
        _run_in_order(steps, ctx, sections, run, bar)
        return None
    _warm_up()
    before_tables, before_key, before_figures = set(ctx.tables), set(ctx.key), ctx.n_figures
    fork = multiprocessing.get_context("fork")
    reader, writer = fork.Pipe(duplex=False)  # child -> parent: its sections
    job_reader, job_writer = fork.Pipe(duplex=False)  # parent -> child: the workbook job
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python >= 3.12 warns about fork with BLAS threads
        child = fork.Process(target=_child, args=(child_steps, ctx, sections, run, writer, job_reader, job_writer),
                             daemon=True)
        child.start()
    writer.close()
    job_reader.close()
    second = SecondProcess(child, job_writer)
    with one_blas_thread():  # two processes on two cores: BLAS threads would only contend
        _run_in_order(own_steps, ctx, sections, run, bar)
    try:
        payload = pickle.loads(reader.recv_bytes())
    except (EOFError, OSError, pickle.UnpicklingError) as exc:  # the child died: do its part here
        logger.warning("the report's second process ended without its sections (%s); running them here", exc)
        second.close()
        _run_in_order(child_steps + last_steps, ctx, sections, run, bar)
        return None
    finally:
        reader.close()
    payload["n_figures"] -= before_figures
    _merge(ctx, sections, payload, before_tables, before_key, [s[0] for s in steps])
    bar.update(len(child_steps))
    _run_in_order(last_steps, ctx, sections, run, bar)
    return second


def _run_in_order(steps: Sequence[Step], ctx: Context, sections: dict[str, Section], run: Callable[..., None],
                  bar: Any) -> None:
    for sid, _key, builder, _order in steps:
        bar.set_postfix_str(sid)
        run(builder, ctx, sections[sid])
        bar.update(1)


def _child(steps: Sequence[Step], ctx: Context, sections: dict[str, Section], run: Callable[..., None],
           writer: Any, jobs: Any, parent_end: Any) -> None:  # pragma: no cover - runs in the forked process
    code = 1
    try:
        parent_end.close()  # the parent's end of the job pipe: EOF reaches us when the parent closes its copy
        with one_blas_thread():
            for _sid, _key, builder, _order in steps:
                run(builder, ctx, sections[_sid])
            payload = {"sections": {s[0]: sections[s[0]] for s in steps}, "tables": ctx.tables, "key": ctx.key,
                       "n_figures": ctx.n_figures}
            writer.send_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
            writer.close()
            _prepare_workbook_writer()  # while the parent finishes its sections
            try:
                path, tables = pickle.loads(jobs.recv_bytes())
            except EOFError:  # no workbook wanted
                code = 0
            else:
                write_xlsx(path, tables)
                code = 0
    except BaseException:  # noqa: BLE001 - the exit status tells the parent, which redoes the work
        logger.debug("the report's second process failed", exc_info=True)
    finally:
        os._exit(code)  # no atexit handlers or buffered output of the parent run twice


def _prepare_workbook_writer() -> None:  # pragma: no cover - runs in the forked process
    import importlib.util

    if importlib.util.find_spec("openpyxl") is not None:
        import openpyxl  # noqa: F401


def _merge(ctx: Context, sections: dict[str, Section], payload: dict[str, Any], before_tables: set[str],
           before_key: set[str], order: list[str]) -> None:
    """Fold the child's work into ``ctx`` as if its sections had run first, in this process."""
    sections.update(payload["sections"])
    own_tables = {k: v for k, v in ctx.tables.items() if k not in before_tables}
    ctx.tables.clear()
    ctx.tables.update(payload["tables"])
    ctx.tables.update(own_tables)
    own_key = dict(ctx.key)
    notes = {**payload["key"].get("notes", {}), **own_key.get("notes", {})}
    ctx.key.clear()
    ctx.key.update(payload["key"])
    ctx.key.update({k: v for k, v in own_key.items() if k not in before_key})
    if notes:
        ctx.key["notes"] = {sid: notes[sid] for sid in order if sid in notes}
    ctx.n_figures += payload["n_figures"]


def _warm_up() -> None:
    """Import pyplot and load the font list and the default font once, before the fork, so
    neither process pays for them on its first figure."""
    import matplotlib.pyplot  # noqa: F401
    from matplotlib import font_manager

    font_manager.get_font(font_manager.findfont(font_manager.FontProperties()))
