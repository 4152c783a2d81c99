"""`newsbot ingest` and `newsbot stats` as an editor runs them, bad input included."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.conftest import DATA, SEED_PAGE

pytestmark = pytest.mark.slow
FEEDS = DATA / "feeds"

BAD_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>اختبار</title>
<item><title>خبر سليم عن غزة</title><link>https://example.com/ok</link>
  <pubDate>Tue, 24 Mar 2026 23:31:31 +0000</pubDate></item>
<item><link>https://example.com/no-title</link><description>بلا عنوان</description></item>
<item><title>تاريخ غير مفهوم</title><link>https://example.com/bad-date</link><pubDate>yesterday-ish</pubDate></item>
<item><title>خبر من المستقبل</title><link>https://example.com/future</link>
  <pubDate>Wed, 01 Jan 2098 00:00:00 +0000</pubDate></item>
<item><title>&lt;script&gt;alert(1)&lt;/script&gt; عنوان فيه وسوم</title><link>https://example.com/markup</link></item>
</channel></rss>
"""


async def newsbot(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    base.update(NEWSBOT_DB=str(tmp_path / "news.db"), **env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=tmp_path, env=base,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def articles(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "news.db") as con:
        return con.execute("SELECT guid, headline FROM articles ORDER BY id").fetchall()


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """A real HTTP server on loopback: the real feeds, a stalling URL, an oversized answer."""
    stall = asyncio.Event()

    async def feed(request: web.Request) -> web.Response:
        body = (FEEDS / request.match_info["name"]).read_bytes()
        etag = '"v1-' + request.match_info["name"] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    async def slow(request: web.Request) -> web.Response:
        await stall.wait()
        return web.Response(text="late")

    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(50):
            await response.write(b"<rss>" + b" " * 10_000)
        return response

    app = web.Application()
    app.router.add_get("/feeds/{name}", feed)
    app.router.add_get("/slow", slow)
    app.router.add_get("/big", big)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    stall.set()
    await runner.cleanup()


async def test_real_sources_are_stored_once_and_a_second_run_is_unchanged(tmp_path: Path) -> None:
    # the seed page first: it creates the story topics that the feed items are then filed under
    sources = [str(SEED_PAGE), str(FEEDS / "rt-arabic.xml"), str(DATA / "articles" / "youm7.com_1691196862.html")]
    code, out, err = await newsbot(tmp_path, "ingest", *sources)
    assert code == 0, err
    assert "12 added" in out and "0 rejected" in out
    stored = articles(tmp_path)
    assert len(stored) == 12
    assert any("لافروف" in headline for _, headline in stored)
    code, out, _ = await newsbot(tmp_path, "ingest", *sources)
    assert code == 0 and "0 added" in out and "12 unchanged" in out
    assert len(articles(tmp_path)) == 12

    code, out, _ = await newsbot(tmp_path, "stats")
    assert code == 0
    assert "articles: 12" in out and "deliveries:" in out and "readers: 0" in out


async def test_bad_items_are_reported_and_the_rest_of_the_batch_is_stored(tmp_path: Path) -> None:
    feed = tmp_path / "bad.xml"
    feed.write_text(BAD_FEED, encoding="utf-8")
    code, _, err = await newsbot(tmp_path, "ingest", str(feed))
    assert code == 1, err  # items rejected, source read
    rejected = [line for line in err.splitlines() if line.startswith("rejected:")]
    assert any("no-title" in line and "title" in line for line in rejected)
    assert any("future" in line for line in rejected)
    assert any(line.startswith("warning:") and "bad-date" in line for line in err.splitlines())
    headlines = {h for _, h in articles(tmp_path)}
    assert "خبر سليم عن غزة" in headlines and "تاريخ غير مفهوم" in headlines
    # markup in a title is stored as text, to be escaped when shown
    assert "<script>alert(1)</script> عنوان فيه وسوم" in headlines
    assert "Traceback" not in err


async def test_unreadable_sources_are_named_with_their_reason_and_do_not_stop_the_rest(
    tmp_path: Path, server: str
) -> None:
    (tmp_path / "empty.xml").write_bytes(b"")
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "malformed.xml").write_text("<rss><channel><item><title>مقطوع", encoding="utf-8")
    (tmp_path / "nothing.html").write_text(
        "<html><head><title>x</title></head><body><nav><a href='/'>الرئيسية</a></nav></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "huge.xml").write_bytes(b"<rss>" + b" " * 200_000)
    sources = [
        str(tmp_path / "empty.xml"),
        str(tmp_path / "binary.bin"),
        str(tmp_path / "malformed.xml"),
        str(tmp_path / "nothing.html"),
        str(tmp_path / "missing.xml"),
        str(tmp_path / "huge.xml"),
        f"{server}/slow",
        f"{server}/big",
        "http://127.0.0.1:9/unreachable.xml",
        f"{server}/feeds/al-jazeera.xml",
    ]
    code, out, err = await newsbot(
        tmp_path,
        "ingest",
        *sources,
        NEWSBOT_FETCH_TIMEOUT="1",
        NEWSBOT_FETCH_MAX_BYTES="100000",
        NEWSBOT_FETCH_ALLOW_PRIVATE="1",
    )
    assert code == 2
    assert "Traceback" not in err
    problems = [line for line in err.splitlines() if line.startswith(("unreadable:", "rejected:"))]
    for name in ("empty.xml", "binary.bin", "malformed.xml", "nothing.html", "missing.xml", "huge.xml"):
        assert any(name in line for line in problems), (name, err)
    for url in ("/slow", "/big", "unreachable.xml"):
        assert any(url in line for line in problems), (url, err)
    # the good feed in the same run is stored in full
    assert "10 added" in out
    assert len(articles(tmp_path)) == 10


async def test_a_feed_url_is_fetched_conditionally(tmp_path: Path, server: str) -> None:
    url = f"{server}/feeds/sky-news-arabia.xml"
    code, out, _ = await newsbot(tmp_path, "ingest", url, NEWSBOT_FETCH_ALLOW_PRIVATE="1")
    assert code == 0 and "15 added" in out
    code, out, _ = await newsbot(tmp_path, "ingest", url, NEWSBOT_FETCH_ALLOW_PRIVATE="1")
    assert code == 0 and "not modified" in out


async def test_a_wrong_store_file_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "news.db").write_bytes(b"not a database at all" * 100)
    code, _, err = await newsbot(tmp_path, "stats")
    assert code == 2
    assert err.strip().startswith("newsbot: ") and "not a usable newsbot store" in err
    assert len(err.strip().splitlines()) == 1
