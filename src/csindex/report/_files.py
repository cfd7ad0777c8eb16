"""The report's output folder: checked before the analysis, written whole, moved into place.

* :func:`check_out` runs before any analysis: an empty ``out=``, an ``out=`` naming an
  existing file, a parent that is a file or not writable, or a symbolic link among the
  entries the report writes or removes is a :class:`~csindex.exceptions.ParameterError`
  naming the path.
* :class:`OutputFolder` writes every file into a fresh temporary folder next to the target
  (``.<name>.tmp-*`` in the same parent, so moves are renames on one file system; inside
  the target when only the target itself is writable, e.g. ``out="."``). Only when
  every file is complete does :meth:`OutputFolder.commit` move them into place: a new target
  is the temporary folder renamed; into an existing folder the files are moved one by one
  (the old ones first set aside, and put back if any move fails). A failure at any point
  leaves the complete previous output or the complete new one, never a mix.
* ``results.json`` keeps a manifest of the files the run wrote. A later run removes the
  files the previous manifest lists that it does not write itself (e.g. ``sem_*.csv`` after
  ``method="both"`` then ``"pls"``) and nothing else: a file csindex did not write is never
  deleted, and a symbolic link is never followed or replaced.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..exceptions import ParameterError

__all__ = ["FIXED_NAMES", "OutputFolder", "check_out", "previous_manifest"]

#: entries every report run writes
FIXED_NAMES = ("index.html", "results.json", "csindex-report.xlsx")
MANIFEST_KEY = "manifest"
_OWN_SUFFIXES = (".html", ".json", ".csv", ".xlsx")


def _is_own_name(name: Any) -> bool:
    """A plain file name of the kinds the report writes (never a path, never hidden)."""
    return (isinstance(name, str) and name == Path(name).name and not name.startswith(".")
            and "/" not in name and "\\" not in name and name.endswith(_OWN_SUFFIXES))


def previous_manifest(target: Path) -> list[str]:
    """File names listed by the ``results.json`` an earlier run left in ``target``.

    Anything unreadable (no file, not JSON, an older report without a manifest) gives an
    empty list, so nothing is removed. Names that are not plain report file names are
    ignored.
    """
    path = target / "results.json"
    if path.is_symlink() or not path.is_file():
        return []
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    names = payload.get(MANIFEST_KEY) if isinstance(payload, dict) else None
    if not isinstance(names, list):
        return []
    return list(dict.fromkeys(n for n in names if _is_own_name(n)))


def _refuse_links(target: Path, names: Iterable[str], stale: Iterable[str] = ()) -> None:
    """Refuse a symbolic link among ``names`` and ``stale``, and a folder among ``names``."""
    for name in stale:
        entry = target / name
        if entry.is_symlink():
            raise ParameterError(
                f"The output folder entry {str(entry)!r} is a symbolic link; csindex never follows, replaces or "
                "removes a link in out=. Remove the link or choose another out= folder.")
    for name in names:
        entry = target / name
        if entry.is_symlink():
            raise ParameterError(
                f"The output folder entry {str(entry)!r} is a symbolic link; csindex never writes through or "
                f"replaces a link in out=. Remove the link or choose another out= folder.")
        if entry.is_dir():
            raise ParameterError(
                f"The output folder entry {str(entry)!r} is a folder, but the report writes a file of that name. "
                "Move it away or choose another out= folder.")


def check_out(out: Any) -> Path:
    """Check ``out=`` before the analysis runs and return the target folder.

    Parameters
    ----------
    out : str or os.PathLike
        The output folder (created if missing). A symbolic link given as ``out=`` itself is
        followed (the user named it); links *inside* the folder are refused.

    Raises
    ------
    ParameterError
        ``out`` empty, not a path, an existing file, below a file, in a folder csindex
        cannot write to, or holding a symbolic link where the report writes.

    Examples
    --------
    >>> check_out("")
    Traceback (most recent call last):
    ...
    csindex.exceptions.ParameterError: out= is empty; name the output folder, e.g. out='csindex-report'.
    """
    if not isinstance(out, (str, os.PathLike)):
        raise ParameterError(f"out= must be a folder path (str or Path); got {type(out).__name__}.")
    text = os.fspath(out)
    if isinstance(text, bytes) or text.strip() == "":
        raise ParameterError("out= is empty; name the output folder, e.g. out='csindex-report'.")
    target = Path(text).expanduser()
    if target.is_symlink():
        if not target.exists():
            raise ParameterError(f"out={text!r} is a broken symbolic link; remove it or point it at a folder.")
        target = target.resolve()
    if target.exists() and not target.is_dir():
        raise ParameterError(f"out={text!r} is an existing file, not a folder. Choose a folder name "
                             "(it is created if missing).")
    target = target.absolute()
    ancestor = target.parent
    while not ancestor.exists():
        if ancestor.is_symlink():  # a dangling link on the way
            raise ParameterError(f"out={text!r} lies below {str(ancestor)!r}, a broken symbolic link.")
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ParameterError(f"out={text!r} lies below {str(ancestor)!r}, which is a file, not a folder.")
    writable = target if target.is_dir() else ancestor
    if not os.access(writable, os.W_OK | os.X_OK):
        raise ParameterError(f"csindex cannot write into {str(writable)!r} (permission denied); choose another out=.")
    if target.is_dir():
        _refuse_links(target, FIXED_NAMES, previous_manifest(target))
    return target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class OutputFolder:
    """A temporary folder next to ``target`` that becomes the report output on :meth:`commit`.

    Use as a context manager: whatever was not committed is removed on exit.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = pathlib.Path(tmp) / "out"
    ...     with OutputFolder(target) as folder:
    ...         _ = folder.path("results.json").write_text("{}")
    ...         folder.commit()
    ...     sorted(p.name for p in target.iterdir()), sorted(p.name for p in pathlib.Path(tmp).iterdir())
    (['results.json'], ['out'])
    """

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        self.previous = previous_manifest(self.target)
        self.names: list[str] = []
        self.tmp: Path | None = None
        self.staging = self.target.parent

    def __enter__(self) -> OutputFolder:
        parent = self.target.parent
        parent.mkdir(parents=True, exist_ok=True)
        # next to the target; inside it when only the target itself is writable (e.g. out=".")
        self.staging = parent if os.access(parent, os.W_OK | os.X_OK) or not self.target.is_dir() else self.target
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-", dir=self.staging))
        os.chmod(self.tmp, 0o777 & ~_umask())  # the folder may become the output: usual permissions
        return self

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def path(self, name: str) -> Path:
        """Where to write the output file ``name`` (inside the temporary folder)."""
        if self.tmp is None:  # pragma: no cover - programming error
            raise RuntimeError("OutputFolder.path() outside its with-block")
        if not _is_own_name(name):  # pragma: no cover - table names are internal
            raise ParameterError(f"{name!r} is not a plain report file name.")
        if name not in self.names:
            self.names.append(name)
        return self.tmp / name

    def stale(self) -> list[str]:
        """Files of the previous manifest this run does not write (removed on commit)."""
        return [n for n in self.previous if n not in self.names]  # only regular files are removed

    def commit(self) -> None:
        """Move the written files into the target; remove the previous run's stale files."""
        tmp = self.tmp
        if tmp is None:  # pragma: no cover - programming error
            raise RuntimeError("OutputFolder.commit() outside its with-block")
        target = self.target
        if not target.exists() and not target.is_symlink():
            try:
                os.rename(tmp, target)  # atomic: the whole folder appears at once
                self.tmp = None
                return
            except OSError:
                if not target.is_dir():
                    raise
                # created meanwhile: fall through to the file-by-file move
        if not target.is_dir():
            raise ParameterError(f"out={str(target)!r} is no longer a folder; nothing was written.")
        names = list(self.names)
        if "results.json" in names:  # the manifest goes in last
            names.remove("results.json")
            names.append("results.json")
        stale = self.stale()
        _refuse_links(target, names, stale)
        backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=self.staging))
        set_aside: list[str] = []
        moved_in: list[str] = []
        try:
            for name in [*names, *stale]:
                if (target / name).is_file():
                    os.replace(target / name, backup / name)
                    set_aside.append(name)
            for name in names:
                os.replace(tmp / name, target / name)
                moved_in.append(name)
        except BaseException:
            restored = all([_quiet_replace(target / n, tmp / n) for n in reversed(moved_in)]
                           + [_quiet_replace(backup / n, target / n) for n in reversed(set_aside)])
            if restored:  # else keep the set-aside files for the user to recover
                shutil.rmtree(backup, ignore_errors=True)
            raise
        shutil.rmtree(backup, ignore_errors=True)


def _quiet_replace(src: Path, dst: Path) -> bool:
    try:
        os.replace(src, dst)
    except OSError:  # pragma: no cover - best effort while rolling back
        return False
    return True
