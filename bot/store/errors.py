"""The store's own errors: what callers above `bot/store` see, whatever engine is underneath.

Each engine translates its driver's exceptions into these at its boundary (the SQLite store in
`bot/store/sqlite/errors.py`), so services, handlers and the command line never import a driver to
handle a failure. `newsbot` turns any StoreError into one line on stderr and exit code 2.
"""

from __future__ import annotations


class StoreError(RuntimeError):
    """The store cannot do what was asked (unreadable, newer schema, not a database, a refused write…)."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or written: the file cannot be opened, the disk is full or
    read-only, an I/O error. Trying again later may work once the operator fixes the cause."""


class StoreCorrupt(StoreError):
    """What is there is not a usable store: not a database, or damaged."""


class StoreBusy(StoreError):
    """Another writer held the store longer than the busy timeout allows: try the operation again."""


class StoreRejected(StoreError):
    """A write the schema's rules refuse (a required field empty, a reference to nothing). Nothing
    of the operation was kept: its transaction was rolled back."""
