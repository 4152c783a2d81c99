"""`newsbot backup PATH [--force]` as an operator runs it: beside the running bot, and bad paths."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.devtools.harness import BotHarness, ChatClient
from tests.delivery.support import ingest_elsewhere, item, write_seed

pytestmark = pytest.mark.slow


async def newsbot_backup(store: Path, *args: str | Path, cwd: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    env["NEWSBOT_DB"] = str(store)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "backup", *map(str, args), cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def subscribe(reader: ChatClient, slug: str) -> None:
    await reader.send(f"/start t{slug}")
    reply = await reader.press("➕")
    assert reply.callback_answer is not None


def pushed(h: BotHarness, reader: ChatClient, n: int) -> int:
    """How many pushes of test item `n` reached the reader."""
    return sum(
        1
        for r in h.emulator.sent
        if r.chat_id == reader.chat_id and (r.text or "").startswith("🔔") and f"رقم {n}\n" in (r.text or "") + "\n"
    )


async def test_backup_while_the_bot_answers_and_delivers(harness: BotHarness, tmp_path: Path) -> None:
    store = harness.settings.db_path
    await ingest_elsewhere(store, write_seed(tmp_path / "topics.json", [item(0, "t-alpha")]))
    readers = [harness.reader(800 + i) for i in range(4)]
    for reader in readers:
        await subscribe(reader, "t-alpha")

    stop = asyncio.Event()
    answered = 0

    async def read() -> None:  # readers keep asking while the backup runs
        nonlocal answered
        while not stop.is_set():
            for reader in readers:
                reply = await reader.send("/latest")
                # (pushes sent to the chat meanwhile are in the reply too)
                assert any(t.startswith("📰 آخر الأخبار") for t in reply.texts), reply.text
                answered += 1

    reading = asyncio.create_task(read())
    new_items = range(1, 4)  # three: each its own push (a backlog past three is one message)
    copies = tmp_path / "copies"
    copies.mkdir()
    code, out, err = (
        await asyncio.gather(
            newsbot_backup(store, copies / "newsbot.db", cwd=tmp_path),
            ingest_elsewhere(store, write_seed(tmp_path / "new.json", [item(n, "t-alpha") for n in new_items])),
        )
    )[0]
    after_backup = answered
    # every new item reaches every subscriber, and readers are still answered
    async with asyncio.timeout(60):
        while answered < after_backup + len(readers) or not all(
            pushed(harness, r, n) for r in readers for n in new_items
        ):
            if reading.done():
                await reading  # an unanswered reader: its failure, not a timeout
            await asyncio.sleep(0.05)
    stop.set()
    await reading
    assert all(pushed(harness, r, n) == 1 for r in readers for n in new_items)

    assert (code, err) == (0, ""), err
    copy = copies / "newsbot.db"
    assert names(copies) == ["newsbot.db"]  # no partial file left beside it
    assert query(copy, "PRAGMA integrity_check") == [("ok",)]
    (articles,) = query(copy, "SELECT count(*) FROM articles")[0]
    assert out == f"backup: {copy} ({copy.stat().st_size:,} bytes, " + out.split(", ", 1)[1]
    assert f"{articles:,} articles), integrity check ok" in out and out.count("\n") == 1
    live = query(store, "SELECT count(*) FROM articles")[0][0]
    assert isinstance(articles, int) and isinstance(live, int)
    assert 70 < articles <= live  # the seeded store, with the new items if they were committed first
    assert query(copy, "SELECT count(*) FROM subscriptions")[0][0] == len(readers)


async def test_an_existing_file_is_replaced_only_with_force(harness: BotHarness, tmp_path: Path) -> None:
    store = harness.settings.db_path
    target = tmp_path / "backup.db"
    target.write_bytes(b"yesterday's backup")
    code, out, err = await newsbot_backup(store, target, cwd=tmp_path)
    assert (code, out) == (2, "")
    assert err == f"newsbot: {target}: exists; pass --force to replace it\n"
    assert target.read_bytes() == b"yesterday's backup"
    code, out, err = await newsbot_backup(store, "backup.db", "--force", cwd=tmp_path)  # relative to the cwd
    assert (code, err) == (0, "") and out.startswith("backup: backup.db (")
    assert query(target, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("missing/backup.db", "the folder {tmp}/missing does not exist"),
        ("notes.txt/backup.db", "the folder {tmp}/notes.txt is not a folder"),
        ("copies", "is a folder; give the path of the backup file to write"),
    ],
)
async def test_a_bad_path_is_one_line_and_exit_2_with_nothing_written(
    harness: BotHarness, tmp_path: Path, where: str, reason: str
) -> None:
    (tmp_path / "notes.txt").write_text("a regular file", encoding="utf-8")
    (tmp_path / "copies").mkdir()
    before = names(tmp_path)
    code, out, err = await newsbot_backup(harness.settings.db_path, tmp_path / where, "--force", cwd=tmp_path)
    assert (code, out) == (2, "")
    assert err == f"newsbot: {tmp_path / where}: {reason.format(tmp=tmp_path)}\n"
    assert names(tmp_path) == before and names(tmp_path / "copies") == []


async def test_no_store_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, out, err = await newsbot_backup(tmp_path / "none.db", tmp_path / "backup.db", cwd=tmp_path)
    assert (code, out) == (2, "")
    assert err == f"newsbot: {tmp_path / 'none.db'}: there is no store to back up (check NEWSBOT_DB)\n"
    assert names(tmp_path) == []
