"""The store's online backup (bot/store/sqlite/backup.py) on real SQLite files: the copy, and bad paths."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ingest.service import ingest_sources
from bot.store import BackupError, Store, backup_store
from tests.conftest import DATA

RT = DATA / "feeds" / "rt-arabic.xml"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "news.db")
    await ingest_sources(s, [str(RT)])
    yield s
    await s.close()


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def leftovers(folder: Path) -> list[str]:
    """Files in `folder` a backup may have left behind (a partial copy)."""
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name)


async def test_the_copy_is_the_store_and_passes_the_integrity_check(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "copies" / "backup.db"
    out.parent.mkdir()
    result = backup_store(store.path, out)
    assert result.path == out and result.size == out.stat().st_size > 0
    assert result.articles == await store.articles.count() == 10
    assert result.pages * rows(out, "PRAGMA page_size")[0][0] == result.size
    assert rows(out, "PRAGMA integrity_check") == [("ok",)]
    assert rows(out, "SELECT guid, headline FROM articles ORDER BY id") == rows(
        store.path, "SELECT guid, headline FROM articles ORDER BY id"
    )
    # one self-contained file: not in WAL mode, nothing beside it
    assert rows(out, "PRAGMA journal_mode") == [("delete",)]
    assert names(out.parent) == ["backup.db"]
    assert "backup.db" in result.summary() and "10 articles" in result.summary()
    # the copy is a store the bot can open
    copy = await Store.open(out)
    try:
        assert await copy.articles.count() == 10
    finally:
        await copy.close()


async def test_an_open_write_transaction_neither_blocks_the_copy_nor_gets_into_it(store: Store, tmp_path: Path) -> None:
    writer = sqlite3.connect(store.path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM articles")
        result = backup_store(store.path, tmp_path / "backup.db")  # the write lock is held meanwhile
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert result.articles == 10  # the store as committed when the copy began
    assert await store.articles.count() == 0


async def test_an_existing_file_is_kept_unless_force(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "backup.db"
    out.write_bytes(b"an older backup")
    with pytest.raises(BackupError, match=r"backup\.db: exists; pass --force"):
        backup_store(store.path, out)
    assert out.read_bytes() == b"an older backup"
    result = backup_store(store.path, out, force=True)
    assert result.articles == 10 and rows(out, "PRAGMA integrity_check") == [("ok",)]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("missing/backup.db", r"the folder .*missing does not exist"),
        ("news.txt/backup.db", r"the folder .*news\.txt is not a folder"),
        (".", r"is a folder"),
        ("news.db", r"is the store itself"),
    ],
)
async def test_a_path_that_cannot_take_the_copy_is_refused(
    store: Store, tmp_path: Path, where: str, reason: str
) -> None:
    (tmp_path / "news.txt").write_text("a regular file", encoding="utf-8")
    before = names(tmp_path)
    with pytest.raises(BackupError, match=reason):
        backup_store(store.path, tmp_path / where, force=True)
    assert names(tmp_path) == before
    assert await store.articles.count() == 10  # the store itself is untouched


async def test_a_read_only_folder_is_refused_and_left_empty(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            # root writes in any folder chmod allows it not to; sysfs refuses even root a new file
            sysfs = Path("/sys")
            if not await asyncio.to_thread(sysfs.is_dir):
                pytest.skip("this user (root) may write in a read-only folder, and there is no /sys")
            with pytest.raises(BackupError, match=r"cannot write in the folder /sys \(Permission denied\)"):
                backup_store(store.path, sysfs / "backup.db")
            assert not (sysfs / "backup.db").exists()
            return
        with pytest.raises(BackupError, match=r"cannot write in the folder .*read-only \(Permission denied\)"):
            backup_store(store.path, folder / "backup.db")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_no_store_or_not_a_store_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match=r"absent\.db: there is no store to back up \(check NEWSBOT_DB\)"):
        backup_store(tmp_path / "absent.db", tmp_path / "backup.db")
    assert not (tmp_path / "absent.db").exists()  # not created by looking
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match=r"junk\.db: cannot be copied \(file is not a database\)"):
        backup_store(junk, tmp_path / "backup.db")
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(BackupError, match=r"backup\.db: the copy is not a usable newsbot store"):
        backup_store(plain, tmp_path / "backup.db")
    assert names(tmp_path) == ["junk.db", "plain.db"]
