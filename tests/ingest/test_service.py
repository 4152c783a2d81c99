"""Ingestion into a temporary SQLite store: files, seeds, and URLs served by a real loopback server."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.ingest.command import run_ingest
from bot.ingest.fetch import fetch_url
from bot.ingest.result import SourceError
from bot.ingest.service import ingest_sources, seed_if_new
from bot.resources import resource_dir
from bot.store import Store
from tests.conftest import DATA as ARABIC_NEWS
from tests.conftest import SEED_PAGE

REPO = Path(__file__).resolve().parents[2]
RT = ARABIC_NEWS / "feeds" / "rt-arabic.xml"
SKY = ARABIC_NEWS / "feeds" / "sky-news-arabia.xml"
CNN = ARABIC_NEWS / "articles" / "arabic.cnn.com_arabic_article.html"
GZIPPED = b"<html><body>" + "<p>خبر عاجل</p>".encode() * 2000 + b"</body></html>"  # 44 KB, 193 bytes gzipped


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "news.db")
    yield s
    await s.close()


async def test_seed_if_new_loads_the_starting_set_once(store: Store) -> None:
    report = await seed_if_new(store, REPO / "seeds")
    assert report is not None and report.added >= 70
    assert report.rejected == [] and report.failed_sources == []
    counts = {t.slug: t.article_count for t in await store.topics.all()}
    assert counts["northeast-syria"] >= 3 and counts["trump-gaza-plan"] >= 2
    assert counts["middle-east"] >= 10 and counts["sport"] >= 3
    hits = await store.articles.search("لافروف", 5)
    assert hits
    article = await store.articles.get(hits[0].id)
    assert article is not None and article.author == "ياسين المصري" and article.source == "وكالات"
    assert len(article.related) == 7
    assert await seed_if_new(store, REPO / "seeds") is None  # not new any more


@pytest.mark.parametrize(("folder", "why"), [("absent", "does not exist"), ("empty", "has no seed files")])
async def test_a_new_store_without_seed_files_is_a_warning_naming_the_folder(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture, folder: str, why: str
) -> None:
    seeds = tmp_path / folder
    if folder == "empty":
        seeds.mkdir()
        (seeds / ".hidden").write_text("not a seed", encoding="utf-8")
    with caplog.at_level("WARNING"):
        assert await seed_if_new(store, seeds) is None
    (record,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert record.getMessage() == f"seeds folder {seeds} {why}: the new store starts without articles"
    assert await store.articles.count() == 0


async def test_same_guid_again_updates_one_row_and_identical_content_is_unchanged(store: Store, tmp_path: Path) -> None:
    first = await ingest_sources(store, [str(RT)])
    assert (first.added, first.updated, first.unchanged) == (10, 0, 0)
    again = await ingest_sources(store, [str(RT)])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 10)
    edited = tmp_path / "rt-edited.xml"
    original = RT.read_text(encoding="utf-8")
    old_title = "صواريخ منظومة باتريوت الأمريكية تصيب منازل مواطنين في الكويت"
    edited.write_text(original.replace(old_title, old_title + " (محدث)"), encoding="utf-8")
    third = await ingest_sources(store, [str(edited)])
    assert (third.added, third.updated, third.unchanged) == (0, 1, 9)
    assert await store.articles.count() == 10
    hits = await store.articles.search("محدث", 5)
    assert [h.headline for h in hits] == [old_title + " (محدث)"]


async def test_rejects_are_reported_and_the_rest_stored(store: Store, tmp_path: Path) -> None:
    feed = tmp_path / "mixed.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T - Article Feed</title>'
        "<item><link>https://e.org/no-title</link></item>"
        "<item><title>من المستقبل</title><link>https://e.org/future</link>"
        "<pubDate>Tue, 24 Mar 2099 23:31:31 +0000</pubDate></item>"
        "<item><title>&lt;script&gt;alert(1)&lt;/script&gt; في غزة</title><link>https://e.org/ok</link>"
        "<pubDate>Tue, 24 Mar 2026 23:31:31 +0000</pubDate></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    report = await ingest_sources(store, [str(feed)])
    assert report.added == 1
    assert sorted((p.item, p.reason.split(" (")[0]) for p in report.rejected) == [
        ("https://e.org/future", "date in the future"),
        ("https://e.org/no-title", "no title"),
    ]
    stored = await store.articles.by_guid("https://e.org/ok")
    assert stored is not None and stored.headline == "<script>alert(1)</script> في غزة"


async def test_topics_from_seed_page_then_feed_items_land_in_them(store: Store) -> None:
    await ingest_sources(store, [str(resource_dir("seeds") / "00_topics.json")])
    before = {t.slug for t in await store.topics.all()}
    await ingest_sources(store, [str(SEED_PAGE)])
    # the strip's names are the seeded topics' names: no second topic for any of them
    assert {t.slug for t in await store.topics.all()} == before
    report = await ingest_sources(store, [str(SKY)])
    assert report.added == 15
    gaza = await store.topics.by_slug("trump-gaza-plan")
    assert gaza is not None and gaza.article_count == 1  # «… للأطفال في غزة»


async def test_a_strip_name_the_store_does_not_know_becomes_a_new_story(store: Store, tmp_path: Path) -> None:
    await ingest_sources(store, [str(SEED_PAGE)])
    names = {t.name: t for t in await store.topics.all()}
    assert "ترامب والناتو وامتحان غرينلاند" in names
    assert names["ترامب والناتو وامتحان غرينلاند"].slug.startswith("t-")


async def test_run_ingest_exit_codes(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_ingest(store, [str(RT)]) == 0
    out, err = capsys.readouterr()
    assert "10 added" in out and err == ""
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<rss version="2.0"><channel><title>x</title><item><link>https://e.org/1</link></item></channel></rss>',
        encoding="utf-8",
    )
    assert await run_ingest(store, [str(bad)]) == 1
    assert "https://e.org/1 | no title" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x00\x01\x02PNG")
    assert await run_ingest(store, [str(empty), str(binary), str(tmp_path / "missing.xml"), str(RT)]) == 2
    err = capsys.readouterr().err
    assert f"{empty}: empty source" in err
    assert f"{binary}: binary content" in err
    assert f"{tmp_path / 'missing.xml'}: no such file" in err


# --- URLs: a real aiohttp server on 127.0.0.1 -------------------------------------------------


class _Server:
    def __init__(self) -> None:
        self.stall = asyncio.Event()  # never set: /slow never answers
        self.requests: list[dict[str, str]] = []

    async def feed(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"rt-v1"':
            return web.Response(status=304)
        return web.Response(
            body=RT.read_bytes(),
            content_type="application/rss+xml",
            headers={"ETag": '"rt-v1"', "Last-Modified": "Wed, 25 Mar 2026 01:44:35 GMT"},
        )

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(body=CNN.read_bytes(), content_type="text/html")

    async def slow(self, request: web.Request) -> web.Response:
        await self.stall.wait()
        return web.Response(text="late")

    async def gzipped(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.headers))
        return web.Response(body=gzip.compress(GZIPPED), content_type="text/html", headers={"Content-Encoding": "gzip"})

    async def big(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # chunked: no Content-Length to refuse early
        await response.prepare(request)
        for _ in range(64):
            await response.write(b"<!-- padding -->" * 64)
        await response.write_eof()
        return response


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, _Server]]:
    state = _Server()
    app = web.Application()
    app.router.add_get("/rt.xml", state.feed)
    app.router.add_get("/article.html", state.page)
    app.router.add_get("/slow", state.slow)
    app.router.add_get("/big", state.big)
    app.router.add_get("/gzip", state.gzipped)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", state
    state.stall.set()
    await runner.cleanup()


async def test_url_feed_then_304_with_stored_etag(store: Store, server: tuple[str, _Server]) -> None:
    base, state = server
    url = f"{base}/rt.xml"
    async with aiohttp.ClientSession() as http:
        first = await ingest_sources(store, [url], http=http, allow_private=True)
        assert first.added == 10 and first.failed_sources == []
        feed = await store.feeds.get(url)
        assert feed is not None and feed.etag == '"rt-v1"' and feed.last_error is None
        second = await ingest_sources(store, [url], http=http, allow_private=True)
    assert second.not_modified == [url] and second.added == 0 and second.unchanged == 0
    assert state.requests[-1]["If-None-Match"] == '"rt-v1"'
    assert state.requests[-1]["If-Modified-Since"] == "Wed, 25 Mar 2026 01:44:35 GMT"


async def test_url_article_page(store: Store, server: tuple[str, _Server]) -> None:
    base, _ = server
    async with aiohttp.ClientSession() as http:
        report = await ingest_sources(store, [f"{base}/article.html"], http=http, allow_private=True)
    assert report.added == 1
    article = await store.articles.by_guid("http://arabic.cnn.com/2013/middle_east/8/3/syria.clashes/index.html")
    assert article is not None and article.headline == "معارضون يسيطرون على مخازن للصواريخ بريف دمشق"


async def test_stalling_url_times_out_with_the_source_named(server: tuple[str, _Server]) -> None:
    base, _ = server
    async with aiohttp.ClientSession() as http:
        with pytest.raises(SourceError, match=rf"^{base}/slow: .*0.2 s"):
            await fetch_url(http, f"{base}/slow", deadline_seconds=0.2, allow_private=True)


async def test_body_over_the_cap_is_refused_while_streaming(server: tuple[str, _Server]) -> None:
    base, _ = server
    async with aiohttp.ClientSession() as http:
        with pytest.raises(SourceError, match="cap"):
            await fetch_url(http, f"{base}/big", max_bytes=10_000, allow_private=True)


async def test_a_gzipped_body_is_decoded_and_the_cap_counts_decoded_bytes(server: tuple[str, _Server]) -> None:
    base, state = server
    assert len(gzip.compress(GZIPPED)) < 10_000 < len(GZIPPED)
    async with aiohttp.ClientSession() as http:
        fetched = await fetch_url(http, f"{base}/gzip", allow_private=True)
        assert fetched.data == GZIPPED and fetched.content_type == "text/html"
        assert state.requests[-1]["Accept-Encoding"] == "gzip, deflate"
        with pytest.raises(SourceError, match=r"more than the 10000-byte cap"):
            await fetch_url(http, f"{base}/gzip", max_bytes=10_000, allow_private=True)


async def test_unreachable_url_and_404_are_recorded(store: Store, server: tuple[str, _Server]) -> None:
    base, _ = server
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    dead = f"http://127.0.0.1:{closed_port}/feed.xml"
    missing = f"{base}/nothing.xml"
    async with aiohttp.ClientSession() as http:
        report = await ingest_sources(store, [dead, missing], http=http, allow_private=True)
    reasons = dict(report.failed_sources)
    assert reasons[dead].startswith(f"{dead}: unreachable")
    assert reasons[missing] == f"{missing}: HTTP 404 Not Found"
    feed = await store.feeds.get(missing)
    assert feed is not None and feed.last_error == reasons[missing]
