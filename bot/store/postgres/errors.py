"""asyncpg's exceptions as the store's own errors, by SQLSTATE class.

`PgDatabase` passes every failure of a query or a connection through `translate`, so nothing above
`bot/store` catches an asyncpg exception. A connection that breaks (the server restarted, the
network gone) is StoreUnavailable: the caller tries again later, and the pool connects anew.
Misuse of the driver by this package (asyncpg.InterfaceError other than a lost connection: a
closed pool, wrong bindings) is a bug and is raised as it is.
"""

from __future__ import annotations

import asyncpg

from bot.store.errors import StoreBusy, StoreCorrupt, StoreError, StoreRejected, StoreUnavailable

# SQLSTATE classes (https://www.postgresql.org/docs/current/errcodes-appendix.html) and single codes.
_BY_CLASS: dict[str, type[StoreError]] = {
    "08": StoreUnavailable,  # connection exception
    "23": StoreRejected,  # integrity constraint violation
    "22": StoreRejected,  # data exception (a value out of range, a bad encoding)
    "28": StoreUnavailable,  # invalid authorization
    "3D": StoreUnavailable,  # no such database
    "40": StoreBusy,  # serialization failure, deadlock: try again
    "53": StoreUnavailable,  # insufficient resources: disk full, too many connections
    "57": StoreUnavailable,  # operator intervention: shutdown, cannot connect now
    "58": StoreUnavailable,  # system error (I/O)
}
_BY_CODE: dict[str, type[StoreError]] = {
    "55P03": StoreBusy,  # lock not available
    "55000": StoreUnavailable,  # object not in prerequisite state: the database refuses connections now
    "25006": StoreUnavailable,  # read-only transaction (a standby)
    "XX001": StoreCorrupt,  # data corrupted
    "XX002": StoreCorrupt,  # index corrupted
}


def is_connection_lost(exc: BaseException) -> bool:
    """The connection went away under a query (its server stopped, the network broke)."""
    return (
        isinstance(exc, (OSError, asyncpg.PostgresConnectionError, ConnectionError))
        or (
            isinstance(exc, asyncpg.InterfaceError)
            and "connection" in str(exc).lower()
            and "closed" in str(exc).lower()
        )
        or (
            # The protocol of a connection the server ended while it sat idle in the pool, met by the next
            # query before the pool noticed ("cannot switch to state 15; another operation (2) is in progress").
            isinstance(exc, asyncpg.InternalClientError) and "cannot switch to state" in str(exc)
        )
    )


def is_driver_misuse(exc: BaseException) -> bool:
    return isinstance(exc, asyncpg.InterfaceError) and not is_connection_lost(exc)


def error_class(exc: BaseException) -> type[StoreError]:
    if is_connection_lost(exc) or isinstance(exc, TimeoutError):
        return StoreUnavailable
    code = getattr(exc, "sqlstate", None)
    if isinstance(code, str):
        return _BY_CODE.get(code) or _BY_CLASS.get(code[:2]) or StoreError
    return StoreError


def translate(exc: BaseException, where: str) -> StoreError:
    """The store error for a driver's exception, its message after `where` (the URL without its
    password); the caller raises it `from exc`."""
    reason = str(exc).strip() or type(exc).__name__
    return error_class(exc)(f"{where}: {reason}")


def open_error(exc: BaseException, where: str) -> StoreError:
    """One line for a database that cannot be opened: what is wrong and what to do about it."""
    reason = str(exc).strip() or type(exc).__name__
    code = getattr(exc, "sqlstate", None)
    if isinstance(code, str) and code.startswith("28"):
        return StoreUnavailable(
            f"{where}: the server refused the login ({reason}): check the user and password in NEWSBOT_DB"
        )
    if code == "3D000":
        return StoreUnavailable(f"{where}: {reason}: create it (createdb) or fix the database name in NEWSBOT_DB")
    if code == "3F000":
        return StoreUnavailable(f"{where}: {reason}: create the schema or fix search_path in NEWSBOT_DB")
    if isinstance(exc, (OSError, TimeoutError)) or is_connection_lost(exc):
        return StoreUnavailable(
            f"{where}: cannot reach the PostgreSQL server ({reason}): check NEWSBOT_DB's host and port "
            "and that the server runs"
        )
    if isinstance(exc, asyncpg.InterfaceError):  # e.g. a URL asyncpg cannot read
        return StoreUnavailable(f"{where}: not a usable PostgreSQL URL ({reason}): fix NEWSBOT_DB")
    return translate(exc, where)
