"""sqlite3's exceptions as the store's own errors, by SQLite's result code.

`Database` (fetch_all, fetch_one, transaction, write) passes every failure of a query through
`translate`, so nothing above `bot/store` catches a sqlite3 exception. Misuse of the driver by this
package (sqlite3.ProgrammingError, InterfaceError: wrong bindings, a closed connection) is a bug,
not a condition of the store, and is raised as it is so its traceback reaches the log.
"""

from __future__ import annotations

import sqlite3

from bot.store.errors import StoreBusy, StoreCorrupt, StoreError, StoreRejected, StoreUnavailable

# Primary result codes (https://sqlite.org/rescode.html); extended codes carry them in the low byte.
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN = 3, 5, 6, 8, 10, 11, 13, 14
_CONSTRAINT, _NOLFS, _NOTADB = 19, 22, 26

_BY_CODE: dict[int, type[StoreError]] = {
    _BUSY: StoreBusy,
    _LOCKED: StoreBusy,
    _CORRUPT: StoreCorrupt,
    _NOTADB: StoreCorrupt,
    _PERM: StoreUnavailable,
    _READONLY: StoreUnavailable,
    _IOERR: StoreUnavailable,
    _FULL: StoreUnavailable,
    _CANTOPEN: StoreUnavailable,
    _NOLFS: StoreUnavailable,
    _CONSTRAINT: StoreRejected,
}


def is_driver_misuse(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError)


def error_class(exc: sqlite3.Error) -> type[StoreError]:
    """The store's error class for a sqlite3 exception, by its result code."""
    code = getattr(exc, "sqlite_errorcode", None)
    kind = _BY_CODE.get(code & 0xFF) if isinstance(code, int) else None
    if kind is None:
        kind = StoreRejected if isinstance(exc, sqlite3.IntegrityError) else StoreError
    return kind


def translate(exc: sqlite3.Error, where: str | None = None) -> StoreError:
    """The store error for a sqlite3 exception, its message after `where` (the file) when given;
    the caller raises it `from exc`."""
    return error_class(exc)(f"{where}: {exc}" if where else str(exc))
