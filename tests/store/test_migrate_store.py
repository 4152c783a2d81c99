"""`newsbot migrate-store --from PATH_OR_URL --to PATH_OR_URL` (issue 13): a SQLite store with
every kind of record copied to PostgreSQL and back, by the real command in a subprocess.

The store holds real Arabic articles (the project's seeds) with their search index and full-text
queue, readers with settings and statuses, subscriptions made before and after waiting items,
deliveries in every state, a broadcast, feeds, a topic merged into a newer one, and items still in
the outbox. After each copy every table holds the same rows (each engine's own ways of keeping the
subscription mark and the index aside), searches find the same articles, and the next fan-out round
makes exactly the deliveries it would have made on the source."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import asyncpg
import pytest

from bot.models import PushMode, ReaderSettings, ReaderStatus, TopicKind, TopicSpec
from bot.store import Store, open_store
from bot.store.protocols import NewsStore
from bot.store.transfer import ENGINE_META, ENGINE_ONLY, ENGINE_TABLES
from tests.delivery.support import REPO, ingest_elsewhere, item, write_seed
from tests.postgres import PostgresDatabase

pytestmark = pytest.mark.slow

SEARCHES = ("غزه", "اسرائيل", "الاقتصاد", "عنوان تجريبي")


async def newsbot(*args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    env["NEWSBOT_LOG_LEVEL"] = "WARNING"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode() + err.decode()


async def full_store(path: Path, tmp_path: Path) -> None:
    """A SQLite store with a record of every kind and state."""
    await ingest_elsewhere(path, *sorted((REPO / "seeds").glob("*.json")))
    await ingest_elsewhere(path, write_seed(tmp_path / "a.json", [item(n, "t-alpha") for n in range(3)]))
    store = await Store.open(path)
    try:
        alpha, beta = await store.topics.by_slug("t-alpha"), await store.topics.by_slug("t-beta")
        assert alpha is not None and beta is not None
        for reader_id in range(1, 9):
            await store.readers.get_or_create(reader_id, f"قارئ {reader_id}", f"user{reader_id}")
        await store.readers.change_settings(2, push_mode=PushMode.DIGEST, digest_hours=(7, 19), arabic_digits=True)
        await store.readers.update_settings(3, ReaderSettings(quiet_start=23, quiet_end=6, link_previews=True))
        await store.readers.set_status(4, ReaderStatus.BLOCKED)
        await store.deliveries.fan_out()  # the first round: what is stored so far is history
        for reader_id in range(1, 7):
            await store.subscriptions.subscribe(reader_id, alpha.id)
        await store.subscriptions.subscribe(1, beta.id)
        await ingest_elsewhere(path, write_seed(tmp_path / "b.json", [item(n, "t-alpha") for n in (3, 4, 5)]))
        await store.deliveries.fan_out()
        taken = await store.deliveries.claim(4)
        await store.deliveries.mark_sent([(taken[0].id, 501)])
        await store.deliveries.mark_failed(taken[1].id, "Forbidden: bot was blocked by the user", 1)
        await store.deliveries.retry_later(taken[2].id, 2_000_000_000, "Too Many Requests")
        # taken[3] stays in flight ('sending')
        await store.deliveries.create_broadcast("<b>تنبيه</b> للقراء", created_by=1)
        await store.feeds.add("https://example.com/feed.xml", "t-alpha", every=600)
        await store.feeds.record_poll("https://example.com/feed.xml", etag='"e1"', last_modified=None, error=None)
        # Waiting in the outbox: items 6 and 7, which reader 7 (subscribed after them) must not get.
        await store.subscriptions.subscribe(8, alpha.id)
        await ingest_elsewhere(path, write_seed(tmp_path / "c.json", [item(n, "t-alpha", "t-beta") for n in (6, 7)]))
        await store.subscriptions.subscribe(7, alpha.id)
        gamma = await store.topics.add(TopicSpec("t-gamma", "موضوع جيم", TopicKind.STORY, keywords=("جيم",)))
        await store.topics.merge(beta.id, gamma.id)  # merged into a newer topic
        jobs = await store.fulltext.claim(2, lease=60)
        if jobs:
            await store.fulltext.fail(jobs[0].article_id, "HTTP 404", retry_at=None)
    finally:
        await store.close()


def dump_sqlite(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not r[0].startswith(("sqlite_", "articles_fts"))
        ]
        found = {}
        for table in tables:
            columns = sorted(
                r[1] for r in conn.execute(f"PRAGMA table_info({table})") if (table, r[1]) not in ENGINE_ONLY
            )
            found[table] = sorted(
                (
                    tuple(int(v) if isinstance(v, bool) else v for v in r)
                    for r in conn.execute(f"SELECT {', '.join(columns)} FROM {table}")
                ),
                key=repr,
            )
        return found
    finally:
        conn.close()


async def dump_postgres(url: str) -> dict[str, list[tuple[object, ...]]]:
    conn = await asyncpg.connect(url)
    try:
        columns: dict[str, list[str]] = {}
        for r in await conn.fetch(
            "SELECT table_name::text, column_name::text FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ):
            if r[0] != "newsbot_schema" and (r[0], r[1]) not in ENGINE_ONLY:
                columns.setdefault(r[0], []).append(r[1])
        found = {}
        for table, names in columns.items():
            rows = await conn.fetch(f"SELECT {', '.join(sorted(names))} FROM {table}")
            found[table] = sorted((tuple(int(v) if isinstance(v, bool) else v for v in r) for r in rows), key=repr)
        return found
    finally:
        await conn.close()


def records(dump: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    """The rows to compare: the version counters are the target's own (at least the source's), as
    are the counters one engine keeps in meta (readers' words' change number on SQLite)."""
    kept = {t: rows for t, rows in dump.items() if t not in ("content_version", "topic_version", *ENGINE_TABLES)}
    kept["meta"] = [r for r in kept.get("meta", []) if r[0] not in ENGINE_META]
    return kept


async def behaviour(location: str | Path) -> tuple[list[list[int]], list[tuple[int, int]], dict[str, int]]:
    """What readers would see: search hits, the deliveries the next round makes, the state counts."""
    store: NewsStore = await open_store(location)
    try:
        # The same articles found (each engine ranks by its own formula: the order may differ on ties).
        hits = [sorted(a.id for a in await store.articles.search(q, limit=20)) for q in SEARCHES]
        before = {(r, a) for r in range(1, 9) for a, *_ in await store.deliveries.for_reader(r)}
        await store.deliveries.fan_out()
        after = {(r, a) for r in range(1, 9) for a, *_ in await store.deliveries.for_reader(r)}
        made = sorted((r, a) for r, a in after - before if a is not None)
        return hits, made, await store.deliveries.count_by_state()
    finally:
        await store.close()


async def test_every_record_goes_to_postgresql_and_back(postgres: PostgresDatabase, tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    await full_store(source, tmp_path)
    original = dump_sqlite(source)
    assert original["outbox"] and original["broadcasts"] and original["feeds"] and original["fulltext"]
    assert {v for r in original["deliveries"] for v in r} >= {"queued", "sending", "sent", "failed"}
    url = await postgres.fresh_schema()

    code, output = await newsbot("migrate-store", "--from", str(source), "--to", url)
    assert code == 0, output
    assert "every table's count checked" in output and "articles" in output
    assert records(await dump_postgres(url)) == records(original)

    back = tmp_path / "back.db"
    code, output = await newsbot("migrate-store", "--from", url, "--to", str(back))
    assert code == 0, output
    assert records(dump_sqlite(back)) == records(original)

    # Same searches, same next round (the marks translated), on all three.
    expected = await behaviour(source)
    assert expected[1], "items 6 and 7 were waiting for the subscribers"
    assert (7, expected[1][0][1]) not in expected[1]  # reader 7 subscribed after them
    pg_copy = await postgres.fresh_schema()
    assert (await newsbot("migrate-store", "--from", str(back), "--to", pg_copy))[0] == 0
    assert await behaviour(url) == expected
    assert await behaviour(back) == expected
    assert await behaviour(pg_copy) == expected


async def test_a_target_in_use_is_refused_unless_replace(postgres: PostgresDatabase, tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    await ingest_elsewhere(source, write_seed(tmp_path / "a.json", [item(n, "t-alpha") for n in range(3)]))
    url = await postgres.fresh_schema()
    assert (await newsbot("migrate-store", "--from", str(source), "--to", url))[0] == 0
    await ingest_elsewhere(source, write_seed(tmp_path / "b.json", [item(3, "t-alpha")]))

    code, output = await newsbot("migrate-store", "--from", str(source), "--to", url)
    assert code == 2
    line = output.strip().splitlines()[-1]
    assert line.startswith("newsbot: postgresql://") and "the target is not empty (" in line and "--replace" in line
    assert len((await dump_postgres(url))["articles"]) == 3  # nothing written

    code, output = await newsbot("migrate-store", "--from", str(source), "--to", url, "--replace")
    assert code == 0, output
    assert records(await dump_postgres(url)) == records(dump_sqlite(source))


async def test_stores_that_cannot_be_used_are_one_line_and_exit_2(postgres: PostgresDatabase, tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    await ingest_elsewhere(source, write_seed(tmp_path / "a.json", [item(0, "t-alpha")]))
    cases = [
        (["--from", str(source), "--to", "postgresql://bot:pw@127.0.0.1:1/news"], "cannot reach the PostgreSQL server"),
        (["--from", str(tmp_path / "missing.db"), "--to", str(tmp_path / "x.db")], "no store file there to copy from"),
        (["--from", str(source), "--to", str(source)], "--from and --to name the same store"),
    ]
    newer = await postgres.fresh_schema()
    await (await open_store(newer)).close()
    conn = await asyncpg.connect(newer)
    try:
        await conn.execute("INSERT INTO newsbot_schema (version, name, applied_at) VALUES (99, '0099_future.sql', 0)")
    finally:
        await conn.close()
    cases.append((["--from", str(source), "--to", newer], "schema version 99 is newer than this program knows"))
    for args, reason in cases:
        code, output = await newsbot("migrate-store", *args)
        assert code == 2, (args, output)
        lines = output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("newsbot: ") and reason in lines[0], (args, output)
        assert ":pw@" not in output
    assert not (tmp_path / "x.db").exists()
