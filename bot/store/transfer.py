"""`newsbot migrate-store`: every record of one store copied into another, SQLite to PostgreSQL or
back (or between two of a kind), in one transaction on the target, with the counts checked.

Engine-neutral: each engine gives its tables through `Tables` (bot/store/sqlite/transfer.py,
bot/store/postgres/transfer.py); this module decides the order, what each table's columns become on
the other engine, and checks the result. What the engines keep differently:

- A subscription's mark: SQLite's `after_article` (the highest article id when it was made),
  PostgreSQL's `after_seq` (the content version its batch committed at, kept on each outbox row).
  Only the items still in the outbox (not fanned out yet) depend on it; the mark is translated so
  each subscription gets exactly the waiting items it would have got on the source.
- The search index (SQLite's FTS5 table, PostgreSQL's `search` column) and the topics' article
  counts are derived: the target builds them from the copied rows; the index is counted too.
- Ids stay as they are (deliveries, links and marks point at them); the target's id sequences are
  moved past the copied ids.

A table the source has and this module does not know (a newer feature) is copied by its columns when
the target has it; a table or column the target lacks stops the copy before anything is written.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.store.errors import StoreError

log = logging.getLogger(__name__)

BATCH = 5000  # rows a read and a write
# Tables in the order their references need; tables not named here follow, in name order.
ORDER = (
    "topics",
    "articles",
    "article_topics",
    "readers",
    "subscriptions",
    "broadcasts",
    "deliveries",
    "feeds",
    "fulltext",
    "outbox",
    "meta",
)
VERSIONS = ("content_version", "topic_version")  # one row each: the target keeps the higher number
# Counters one engine keeps in a table of its own (the other in meta): each target sets its own from
# the copied rows (`Tables.finish`), so they are not copied.
ENGINE_TABLES = ("word_version",)
# meta keys that are such a counter on one engine (SQLite keeps readers' words' change number in meta).
ENGINE_META = ("word_seq",)
# Tables whose rows carry a mark (what of the outbox a row still gets), translated between engines.
MARKED = ("subscriptions", "reader_words")
# A copy holds only the records a migration's own rows do not make: these say the target is in use.
IN_USE = ("topics", "articles", "readers", "subscriptions", "deliveries", "feeds", "broadcasts")
# Columns only one engine has: its own way of keeping what the other keeps another way.
ENGINE_ONLY = {
    ("articles", "search"),  # PostgreSQL's index, built by the target
    ("subscriptions", "after_article"),  # the mark, translated
    ("subscriptions", "after_seq"),
    ("reader_words", "after_article"),  # a followed word's mark, as a subscription's
    ("reader_words", "after_seq"),
    ("outbox", "seq"),
}
MARK = {"sqlite": "after_article", "postgresql": "after_seq"}


class TransferError(StoreError):
    """The copy cannot be made: one line naming the store, table or column and why."""


class Tables(Protocol):
    """One store's tables, raw, for a copy (each engine's transfer module)."""

    engine: str  # "sqlite" or "postgresql"
    where: str  # the store, for messages (a URL without its password)

    async def columns(self) -> dict[str, list[str]]:
        """Every table that holds records (not the engine's own: its index, sequences, schema), with its columns."""
        ...

    async def count(self, table: str, skip_keys: Sequence[str] = ()) -> int:
        """Rows of `table`; with `skip_keys`, those whose `key` is not one of them (meta)."""
        ...

    def read(self, table: str, columns: Sequence[str]) -> AsyncIterator[list[tuple[object, ...]]]:
        """The table's rows, `BATCH` at a time, in primary key order."""
        ...

    async def version(self, table: str) -> int: ...

    async def begin(self) -> None:
        """Open the one transaction the copy writes in."""

    async def clear(self, tables: Sequence[str]) -> None:
        """Delete every row of these tables (`--replace`)."""

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[tuple[object, ...]]) -> None: ...

    async def point_merged(self, pairs: Sequence[tuple[object, ...]]) -> None:
        """Set (merged_into, id) of topics, once every topic is there."""

    async def finish(self, versions: dict[str, int]) -> int:
        """After the rows: set the versions, recount the topics' articles, build the search index,
        move the id sequences past the copied ids. The number of articles in the index."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


@dataclass
class TransferReport:
    source: str
    target: str
    counts: dict[str, int] = field(default_factory=dict)  # table → rows copied (equal on both sides)
    indexed: int = 0

    def summary(self) -> str:
        tables = ", ".join(f"{name} {n}" for name, n in self.counts.items())
        return (
            f"copied {self.source} to {self.target}: {tables}; search index {self.indexed} articles; "
            "every table's count checked on both sides"
        )


def plan_tables(source: dict[str, list[str]], target: dict[str, list[str]]) -> list[str]:
    """The tables to copy, in order; TransferError when the target cannot hold one of them."""
    for table, columns in source.items():
        if table in VERSIONS or table in ENGINE_TABLES:
            continue
        if table not in target:
            raise TransferError(f"the target has no table {table!r}: migrate it with a newsbot that knows it")
        missing = [c for c in columns if c not in target[table] and (table, c) not in ENGINE_ONLY]
        if missing:
            raise TransferError(f"the target's table {table!r} has no column {', '.join(map(repr, missing))}")
    known = [t for t in ORDER if t in source]
    return known + sorted(t for t in source if t not in ORDER and t not in VERSIONS and t not in ENGINE_TABLES)


async def _pending_marks(source: Tables) -> tuple[dict[int, int], int]:
    """The outbox's waiting items as (article id → position), with the highest article id: in
    SQLite the position is the id itself, in PostgreSQL the content version of its batch."""
    outbox: dict[int, int] = {}
    cols = ["article_id", "seq"] if source.engine == "postgresql" else ["article_id"]
    async for rows in source.read("outbox", cols):
        for row in rows:
            article_id = int(row[0])  # type: ignore[call-overload]
            outbox[article_id] = int(row[1]) if len(row) > 1 else article_id  # type: ignore[call-overload]
    top = 0
    async for rows in source.read("articles", ["id"]):
        top = max([top, *(int(r[0]) for r in rows)])  # type: ignore[call-overload]
    return outbox, top


async def _count(store: Tables, table: str) -> int:
    """A table's rows as the copy compares them (meta without the engines' own counters)."""
    return await store.count(table, ENGINE_META if table == "meta" else ())


def translate_mark(mark: int, outbox: dict[int, int], top: int) -> int:
    """A subscription's mark on the target engine, so that it gets exactly the outbox items it
    would have got on the source (an item waits for it when its position is above the mark)."""
    # On the target the positions are article ids (an outbox row's seq is set to its article's id
    # on PostgreSQL), and ids grow with the batches that stored them.
    waiting = [a for a, pos in outbox.items() if pos > mark]
    return min(waiting) - 1 if waiting else top


async def copy_store(source: Tables, target: Tables, *, replace: bool) -> TransferReport:
    """Copy every record of `source` into `target` (empty, or emptied first when `replace`)."""
    report = TransferReport(source.where, target.where)
    source_columns = await source.columns()
    target_columns = await target.columns()
    tables = plan_tables(source_columns, target_columns)
    if not replace:
        used = {t: n for t in IN_USE if t in target_columns and (n := await target.count(t))}
        if used:
            what = ", ".join(f"{n} {t}" for t, n in used.items())
            raise TransferError(
                f"{target.where}: the target is not empty ({what}): give --replace to delete what it holds and copy, "
                "or name an empty store"
            )
    outbox, top = await _pending_marks(source)
    versions = {t: await source.version(t) for t in VERSIONS if t in source_columns}
    # PostgreSQL compares outbox positions with marks: the copied positions are article ids, so
    # every version from now on must be above them.
    if target.engine == "postgresql":
        versions["content_version"] = max(versions.get("content_version", 0), top)
    expected = {t: await _count(source, t) for t in tables}
    await target.begin()
    try:
        if replace:
            await target.clear([*reversed(tables)])
        for table in tables:
            columns = [c for c in source_columns[table] if (table, c) not in ENGINE_ONLY]
            out_columns = list(columns)
            if table in MARKED:
                out_columns.append(MARK[target.engine])
                columns = [*columns, MARK[source.engine]]
            elif table == "outbox" and target.engine == "postgresql":
                out_columns.append("seq")
            merged: list[tuple[object, ...]] = []  # topics merged into a later topic: pointed after
            async for rows in source.read(table, columns):
                if table in MARKED:
                    rows = [
                        (*r[:-1], translate_mark(int(r[-1]), outbox, top))  # type: ignore[call-overload]
                        for r in rows
                    ]
                elif table == "outbox" and target.engine == "postgresql":
                    rows = [(*r, int(r[0])) for r in rows]  # type: ignore[call-overload]
                elif table == "meta":
                    rows = [r for r in rows if r[columns.index("key")] not in ENGINE_META]
                elif table == "topics" and "merged_into" in columns:
                    at = columns.index("merged_into")
                    merged.extend((r[at], r[columns.index("id")]) for r in rows if r[at] is not None)
                    rows = [(*r[:at], None, *r[at + 1 :]) for r in rows]
                await target.write(table, out_columns, rows)
            if merged:
                await target.point_merged(merged)
        report.indexed = await target.finish(versions)
        for table in tables:
            copied = await _count(target, table)
            if copied != expected[table]:
                raise TransferError(
                    f"{target.where}: {table} has {copied} rows after the copy, the source {expected[table]}: "
                    "nothing was written"
                )
            report.counts[table] = copied
        articles = expected.get("articles", 0)
        if report.indexed != articles:
            raise TransferError(
                f"{target.where}: the search index holds {report.indexed} articles of {articles}: nothing was written"
            )
        await target.commit()
    except BaseException:
        await target.rollback()
        raise
    return report
