"""`newsbot broadcast` and `newsbot items urgent` as an editor runs them, bad input included."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.models import ParsedItem, TopicSpec
from bot.store import open_store
from bot.store.protocols import NewsStore

pytestmark = pytest.mark.slow


async def newsbot(tmp_path: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    env.update(NEWSBOT_DB=str(tmp_path / "news.db"), NEWSBOT_LOG_LEVEL="WARNING")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=tmp_path, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def newsroom(tmp_path: Path) -> tuple[NewsStore, int]:
    """Three readers following «غزة», one following nothing; one stored item."""
    store = await open_store(tmp_path / "news.db")
    gaza = await store.topics.upsert(TopicSpec("gaza", "غزة"))
    await store.topics.upsert(TopicSpec("empty", "موضوع بلا مشتركين"))
    await store.deliveries.fan_out()
    for reader in (1, 2, 3, 4):
        await store.readers.get_or_create(reader, "قارئ")
    for reader in (1, 2, 3):
        await store.subscriptions.subscribe(reader, gaza.id)
    (stored,) = await store.articles.upsert_many(
        [(ParsedItem(guid="g1", headline="خبر عن غزة", lead="مقدمة"), [gaza.id])]
    )
    return store, stored.article_id


async def test_bad_broadcasts_exit_2_with_one_arabic_line_and_store_nothing(tmp_path: Path) -> None:
    store, _ = await newsroom(tmp_path)
    try:
        for args, expected in (
            (["broadcast", "  "], "نص الخبر العاجل فارغ"),
            (["broadcast", "نص", "--item", "999"], "لا يوجد خبر بالرقم «999»"),
            (["broadcast", "نص", "--topic", "gaza", "--topic", "nope"], "لا يوجد موضوع بالمعرّف «nope»"),
            (["broadcast", "نص", "--at", "2020-01-01 10:00"], "الوقت «2020-01-01 10:00» مضى"),
            (["broadcast", "نص", "--topic", "empty", "--yes"], "لن يصل هذا الخبر إلى أحد"),
            (["items", "urgent", "999", "--yes"], "لا يوجد خبر بالرقم «999»"),
        ):
            code, out, err = await newsbot(tmp_path, *args)
            assert code == 2, (args, out, err)
            assert out == "" and err.count("\n") == 1 and expected in err, (args, err)
            assert err.startswith(f"newsbot {'broadcast' if args[0] == 'broadcast' else 'items urgent'}: ✖️")
        assert (await store.deliveries.count_by_state())["queued"] == 0
    finally:
        await store.close()


async def test_a_broadcast_is_shown_then_stored_only_when_confirmed(tmp_path: Path) -> None:
    store, article_id = await newsroom(tmp_path)
    try:
        code, out, _ = await newsbot(tmp_path, "broadcast", "إغلاق المعبر", "--topic", "gaza", stdin="n\n")
        assert code == 1 and "يصله 3 قراء، من المشتركين في: غزة." in out and "أُلغي الخبر العاجل" in out
        assert (await store.deliveries.count_by_state())["queued"] == 0
        code, out, _ = await newsbot(tmp_path, "broadcast", "إغلاق المعبر", "--topic", "gaza", stdin="y\n")
        assert code == 0 and "سُجّل الخبر العاجل رقم 1" in out and "القراء الذين سيصلهم: 3 قراء" in out
        code, out, _ = await newsbot(tmp_path, "broadcast", "--item", str(article_id), "--at", "23:59", "--yes")
        if code == 2:  # past 23:59 in Cairo already: a date tomorrow
            code, out, _ = await newsbot(
                tmp_path, "broadcast", "--item", str(article_id), "--at", "2099-01-01 08:00", "--yes"
            )
        assert code == 0 and "جُدول الخبر العاجل رقم 2" in out and "خبر عن غزة" in out and "يصله 4 قراء" in out
        scheduled = await store.deliveries.broadcast(2)
        assert scheduled is not None and scheduled.state == "scheduled" and scheduled.article_id == article_id
        code, out, _ = await newsbot(tmp_path, "items", "urgent", str(article_id), "--yes")
        assert code == 0 and "عُلّم الخبر رقم" in out and "تعليم الخبر عاجلًا" in out
        claimed = await store.deliveries.claim(10, urgent_only=True)
        assert sorted(d.reader_id for d in claimed if d.broadcast_id == 1) == [1, 2, 3]
    finally:
        await store.close()
