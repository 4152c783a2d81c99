"""A real HTTP server on loopback serving the saved article pages behind feed items, and bad pages."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web

from bot.config import Settings
from bot.models import ParsedItem
from tests.conftest import DATA

PAGES = [
    (DATA / "articles" / name).read_bytes()
    for name in (
        "youm7.com_1691196862.html",
        "arabic.sputniknews.com_1550981615.html",
        "arabic.cnn.com_arabic_article.html",
    )
]
ENGLISH = (
    b"<html><head><title>News</title></head><body><article><h1>Cases rise</h1>"
    + b"".join(
        b"<p>The ministry announced %d new cases on day %d, bringing the total in the country to %d.</p>"
        % (n, n, 100 + n * 7)
        for n in range(1, 9)
    )
    + b"</article></body></html>"
)


def page_for(path: str) -> bytes:
    """The saved page a path is served with: the same one for the same path."""
    return PAGES[sum(path.encode()) % len(PAGES)]


@dataclass
class PageServer:
    base: str
    gate: asyncio.Event  # /gated/… pages answer once it is set
    hits: dict[str, int] = field(default_factory=dict)
    busy: dict[str, int] = field(default_factory=dict)  # requests under way per first path segment
    most_busy: int = 0  # the most requests under way at once for one segment

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"


async def serve_pages(latency: float = 0.0) -> AsyncIterator[PageServer]:
    """The server: /aj/… /site/… the saved pages (after `latency` s), /gated/… a page once `gate`
    is set, /bad/… each kind of bad input, /flaky a 503 with Retry-After, /down a 500."""
    gate = asyncio.Event()
    never = asyncio.Event()
    server = PageServer("", gate)

    async def page(request: web.Request) -> web.StreamResponse:
        path = request.path
        server.hits[path] = server.hits.get(path, 0) + 1
        segment = path.split("/")[1]
        server.busy[segment] = server.busy.get(segment, 0) + 1
        server.most_busy = max(server.most_busy, server.busy[segment])
        try:
            if latency:
                await asyncio.sleep(latency)
            if segment == "gated":
                await gate.wait()
            return web.Response(body=page_for(path), content_type="text/html", charset="utf-8")
        finally:
            server.busy[segment] -= 1

    async def bad(request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        server.hits[request.path] = server.hits.get(request.path, 0) + 1
        if kind == "pdf":
            return web.Response(body=b"%PDF-1.4\n" + b"0" * 2000, content_type="application/pdf")
        if kind == "image":
            return web.Response(body=b"\x89PNG\r\n\x1a\n" + b"0" * 2000, content_type="image/png")
        if kind == "huge":  # 50 MB, announced
            response = web.StreamResponse(headers={"Content-Type": "text/html"})
            response.content_length = 50 * 1024 * 1024
            await response.prepare(request)
            try:
                for _ in range(50):
                    await response.write(b"<p>" + b"x" * (1024 * 1024 - 3))
            except (ConnectionResetError, RuntimeError):
                pass
            return response
        if kind == "endless":  # 50 MB without a length, streamed
            response = web.StreamResponse(headers={"Content-Type": "text/html"})
            await response.prepare(request)
            try:
                for _ in range(50):
                    await response.write(b"<p>" + b"x" * (1024 * 1024 - 3))
            except (ConnectionResetError, RuntimeError):
                pass
            return response
        if kind == "never":
            await never.wait()
        if kind == "loop":
            raise web.HTTPFound("/bad/loop")
        if kind == "ftp":
            raise web.HTTPFound("ftp://example.org/article.html")
        if kind == "english":
            return web.Response(body=ENGLISH, content_type="text/html")
        if kind == "empty":
            return web.Response(body=b"", content_type="text/html")
        if kind == "script":
            return web.Response(body=_with_markup(), content_type="text/html", charset="utf-8")
        raise web.HTTPNotFound()

    async def flaky(request: web.Request) -> web.Response:
        server.hits[request.path] = server.hits.get(request.path, 0) + 1
        return web.Response(status=503, text="busy", headers={"Retry-After": "120"})

    async def down(request: web.Request) -> web.Response:
        server.hits[request.path] = server.hits.get(request.path, 0) + 1
        return web.Response(status=500, text="down")

    app = web.Application()
    app.router.add_get("/bad/{kind}", bad)
    app.router.add_get("/flaky", flaky)
    app.router.add_get("/down", down)
    app.router.add_get("/{segment}/{tail:.*}", page)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield server
    finally:
        never.set()
        gate.set()
        await runner.cleanup()


def _with_markup() -> bytes:
    """A saved page whose article text carries markup written as text and a script."""
    page = PAGES[0].decode("utf-8")
    body = page.index('<div id="articleBody">')
    marker = page.index("شهد الدكتور محمد عبد العاطي", body)
    markup = "&lt;b&gt;عاجل&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt; "
    return (page[:marker] + markup + page[marker:]).encode()


def item(url: str, n: int, lead: str = "مقدمة الخبر كما جاءت في الخلاصة") -> ParsedItem:
    return ParsedItem(
        guid=url,
        headline=f"خبر من الخلاصة رقم {n}",
        url=url,
        lead=lead,
        published_at=datetime(2026, 3, 24, 12, n % 60, tzinfo=UTC),
        origin="http://feeds.example/feed.xml",
    )


def fulltext_settings(settings: Settings, **changes: object) -> Settings:
    """Full text on, pages on loopback allowed, small limits for the bad pages."""
    base = {
        "fulltext": True,
        "fetch_allow_private": True,
        "fetch_timeout": 2.0,
        "fetch_max_bytes": 1024 * 1024,
        "fulltext_concurrency": 4,
        "fulltext_per_host": 2,
        "fulltext_retry": 60.0,
        "fulltext_attempts": 3,
    }
    base.update(changes)
    return dataclasses.replace(settings, **base)  # type: ignore[arg-type]
