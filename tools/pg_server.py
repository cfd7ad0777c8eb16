"""A throw-away PostgreSQL server for the database tests and benchmarks (never for users).

``temporary_postgres()`` runs Debian's ``initdb`` into a temporary folder and ``pg_ctl`` on a
Unix socket in it (no TCP listener), yields a SQLAlchemy URL
(``postgresql+psycopg://csindex@/postgres?host=<socket dir>&port=<port>``) and stops the server
and removes the folder at the end. initdb refuses to run as root, so as root (CI) the server
runs as ``nobody`` (``setpriv``). ``pg_bin()`` is None when the server binaries are absent:
the caller skips with that reason (``.ci/run`` installs the ``postgresql`` package).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def pg_bin() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl`` (on PATH or Debian's versioned folder), or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(cands[-1]).parent if cands else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def temporary_postgres(bin_dir: Path) -> Iterator[str]:
    """Start a server from ``bin_dir``; yield its SQLAlchemy URL; stop it and clean up."""
    base = Path(tempfile.mkdtemp(prefix="csindex-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as 'nobody'
        user = pwd.getpwnam("nobody")
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--"]
    data, sock, log = base / "data", base / "sock", base / "server.log"
    run = {"cwd": base, "capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run([*prefix, "mkdir", str(sock)], check=True, **run)
        subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "csindex", "--auth=trust",
                        "-E", "UTF8", "--no-locale"], check=True, **run)
        port = _free_port()
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
                        f"-k {sock} -p {port} -c listen_addresses=''", "start"], check=True, **run)
        try:
            yield f"postgresql+psycopg://csindex@/postgres?host={sock}&port={port}"
        finally:
            subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], check=False, **run)
    finally:
        shutil.rmtree(base, ignore_errors=True)
