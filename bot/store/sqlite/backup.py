"""A consistent copy of the store while the bot runs: SQLite's online backup API.

`newsbot backup PATH` runs :func:`backup_store` in its own process, beside the running bot. The
copy is taken in one step inside one read transaction, so it is the store as it was at one
moment; in WAL mode the bot goes on reading and writing meanwhile. It is written to a temporary
file in the destination folder and renamed into place only once it is complete and has passed
``PRAGMA integrity_check``: PATH never holds half a copy.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.store.sqlite.db import BUSY_TIMEOUT_MS, StoreError

__all__ = ["BackupError", "BackupResult", "backup_store"]


class BackupError(StoreError):
    """The backup cannot be made; the message names the path and the reason."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int  # bytes
    pages: int
    articles: int

    def summary(self) -> str:
        return (
            f"backup: {self.path} ({self.size:,} bytes, {self.pages:,} pages, {self.articles:,} articles),"
            " integrity check ok"
        )


def backup_store(source: str | Path, dest: str | Path, *, force: bool = False) -> BackupResult:
    """Copy the store file ``source`` to ``dest``, refusing to replace an existing ``dest`` unless
    ``force``. Blocking: call it from a thread inside an event loop."""
    source, dest = Path(source), Path(dest)
    if not source.is_file():
        raise BackupError(f"{source}: there is no store to back up (check NEWSBOT_DB)")
    if dest.is_dir():
        raise BackupError(f"{dest}: is a folder; give the path of the backup file to write")
    folder = dest.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise BackupError(f"{dest}: the folder {folder} {what}")
    if os.path.lexists(dest):
        if dest.resolve() == source.resolve():
            raise BackupError(f"{dest}: is the store itself; back it up to another file")
        if not force:
            raise BackupError(f"{dest}: exists; pass --force to replace it")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=folder)
    except OSError as exc:
        raise BackupError(f"{dest}: cannot write in the folder {folder} ({exc.strerror})") from exc
    os.close(fd)
    partial = Path(name)
    try:
        os.chmod(partial, source.stat().st_mode & 0o777)  # readable by whoever may read the store
        pages = _copy(source, partial)
        articles = _check(partial, dest)
        os.replace(partial, dest)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{dest}: cannot write the backup ({exc.strerror or exc})") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync_folder(folder)
    return BackupResult(dest, dest.stat().st_size, pages, articles)


def _copy(source: Path, partial: Path) -> int:
    """Copy every page of ``source`` into ``partial``, made one self-contained file (no WAL)."""
    try:
        # mode=rw: a missing store is an error here, never a new empty file.
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: cannot open the store ({exc})") from exc
    try:
        dst = sqlite3.connect(partial)
        try:
            # pages=-1: the whole store in one step, inside one read transaction: a consistent copy
            # even while the bot writes (a copy in several steps restarts at every write).
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode = DELETE")  # the copy is one file, no -wal beside it
            row = dst.execute("PRAGMA page_count").fetchone()
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: cannot be copied ({exc})") from exc
    finally:
        src.close()
    with partial.open("rb+") as f:
        os.fsync(f.fileno())
    return int(row[0])


def _check(partial: Path, dest: Path) -> int:
    """Open the copy, run PRAGMA integrity_check and count its articles."""
    try:
        con = sqlite3.connect(f"{partial.resolve().as_uri()}?mode=ro", uri=True)
        try:
            problems = [str(r[0]) for r in con.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(f"{dest}: the copy failed PRAGMA integrity_check: {'; '.join(problems[:3])}")
            row = con.execute("SELECT count(*) FROM articles").fetchone()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{dest}: the copy is not a usable newsbot store ({exc})") from exc
    return int(row[0])


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (the folder's entry), where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
