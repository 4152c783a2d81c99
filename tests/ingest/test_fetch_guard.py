"""Fetching only the public web: internal addresses refused at every hop unless allowed."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.config import Settings, load_settings
from bot.devtools.harness import BotHarness
from bot.ingest import fetch
from bot.ingest.fetch import FetchRefused, fetch_client, fetch_url, internal_kind
from bot.ingest.service import ingest_sources
from bot.store import Store
from tests.cli.test_ingest_cli import articles, newsbot
from tests.conftest import ADMIN_ID

INTERNAL_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Internal</title>
<item><title>INTERNAL ADMIN PANEL token=secret</title><link>http://internal.test/panel</link></item>
</channel></rss>"""


@dataclasses.dataclass
class Internal:
    base: str
    hits: list[str]


@pytest.fixture
async def internal() -> AsyncIterator[Internal]:
    """A loopback server: /panel is the internal page, /hop redirects to it, /to-file to file://."""
    hits: list[str] = []

    async def panel(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=INTERNAL_FEED, content_type="application/rss+xml")

    async def hop(request: web.Request) -> web.Response:
        hits.append(request.path)
        raise web.HTTPFound(f"http://127.0.0.1:{request.url.port}/panel")

    async def to_file(request: web.Request) -> web.Response:
        hits.append(request.path)
        raise web.HTTPFound("file:///etc/passwd")

    app = web.Application()
    app.router.add_get("/panel", panel)
    app.router.add_get("/hop", hop)
    app.router.add_get("/to-file", to_file)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield Internal(f"http://127.0.0.1:{runner.addresses[0][1]}", hits)
    await runner.cleanup()


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not public"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_internal_addresses_are_named(address: str, kind: str | None) -> None:
    assert internal_kind(ipaddress.ip_address(address)) == kind


async def test_a_direct_loopback_url_is_refused_before_any_request(internal: Internal) -> None:
    async with fetch_client() as client:
        with pytest.raises(FetchRefused) as refused:
            await fetch_url(client, f"{internal.base}/panel")
    assert str(refused.value) == (
        f"{internal.base}/panel: refused: 127.0.0.1 resolves to 127.0.0.1, an internal address (loopback)"
    )
    assert internal.hits == []


async def test_a_name_resolving_to_loopback_is_refused(internal: Internal) -> None:
    url = internal.base.replace("127.0.0.1", "localhost") + "/panel"
    async with fetch_client() as client:
        with pytest.raises(FetchRefused, match=r"refused: localhost resolves to (127\.0\.0\.1|::1), an internal"):
            await fetch_url(client, url)
    assert internal.hits == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/feed.xml", "gopher://example.org/"])
async def test_only_http_and_https(url: str) -> None:
    async with fetch_client() as client:
        with pytest.raises(FetchRefused, match="not an http or https address"):
            await fetch_url(client, url)
        with pytest.raises(FetchRefused, match="not an http or https address"):
            await fetch_url(client, url, allow_private=True)


async def test_every_redirect_hop_is_checked(internal: Internal, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first address passes as a public site would; the one it redirects to is refused."""
    first = f"{internal.base}/hop"
    real_check = fetch.check_public_url

    async def check(url: str) -> None:
        if url != first:
            await real_check(url)

    monkeypatch.setattr(fetch, "check_public_url", check)
    async with aiohttp.ClientSession() as client:
        with pytest.raises(FetchRefused) as refused:
            await fetch_url(client, first)
    assert f"(redirected to {internal.base}/panel)" in str(refused.value)
    assert "127.0.0.1, an internal address (loopback)" in str(refused.value)
    assert internal.hits == ["/hop"]  # the internal page was never asked


async def test_a_redirect_to_another_scheme_is_refused(internal: Internal) -> None:
    async with aiohttp.ClientSession() as client:
        with pytest.raises(FetchRefused, match=r"file:///etc/passwd is not an http or https address"):
            await fetch_url(client, f"{internal.base}/to-file", allow_private=True)


@pytest.mark.parametrize(
    ("host", "refusal"),
    [
        ("127.0.0.1", r"refused: 127\.0\.0\.1 resolves to 127\.0\.0\.1"),  # the socket factory: no lookup for it
        ("localhost", r"refused: localhost resolves to (127\.0\.0\.1|::1), an internal"),  # the resolver
    ],
)
async def test_the_connection_itself_goes_only_to_a_checked_public_address(
    internal: Internal, monkeypatch: pytest.MonkeyPatch, host: str, refusal: str
) -> None:
    """DNS rebinding: a check that passed does not matter, the connection resolves and checks again."""

    async def passes(url: str) -> None:
        return None

    monkeypatch.setattr(fetch, "check_public_url", passes)
    url = internal.base.replace("127.0.0.1", host) + "/panel"
    async with fetch_client() as client:
        with pytest.raises(FetchRefused, match=refusal) as refused:
            await fetch_url(client, url)
        assert str(refused.value).startswith(f"{url}: refused: ")
        with pytest.raises(aiohttp.ClientConnectorError):  # the client alone, without fetch_url
            await client.get(url)
    assert internal.hits == []


async def test_the_resolver_gives_the_connector_only_what_it_checked() -> None:
    resolver = fetch._PublicResolver()
    (result,) = await resolver.resolve("8.8.8.8", 443, family=socket.AF_UNSPEC)
    assert (result["host"], result["port"], result["family"]) == ("8.8.8.8", 443, socket.AF_INET)
    with pytest.raises(OSError, match="refused: localhost resolves to") as refused:
        await resolver.resolve("localhost", 80, family=socket.AF_UNSPEC)
    assert isinstance(refused.value, fetch._Guarded) and isinstance(refused.value.error, FetchRefused)


async def test_the_public_client_takes_no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.1:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.1:3128")
    async with fetch_client() as client:
        assert client.trust_env is False
        assert isinstance(client.connector, aiohttp.TCPConnector) and client.connector.limit == fetch.MAX_CONNECTIONS


async def test_a_local_fetch_goes_straight_to_the_server_whatever_proxy_the_environment_names(
    internal: Internal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NEWSBOT_FETCH_ALLOW_PRIVATE is for a feed on this machine or network: an HTTP_PROXY meant for
    the web is not asked (here a loopback server that would answer 502 to anything)."""
    proxied: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        proxied.append(str(request.url))
        return web.Response(status=502)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        address = f"http://127.0.0.1:{runner.addresses[0][1]}"
        monkeypatch.setenv("HTTP_PROXY", address)
        monkeypatch.setenv("http_proxy", address)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with fetch_client(allow_private=True) as client:
            fetched = await fetch_url(client, f"{internal.base}/panel", allow_private=True)
    finally:
        await runner.cleanup()
    assert fetched.data == INTERNAL_FEED and internal.hits == ["/panel"]
    assert proxied == []


async def test_allowing_private_addresses_follows_the_redirect(internal: Internal, tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "news.db")
    try:
        refused = await ingest_sources(store, [f"{internal.base}/hop"])
        assert refused.added == 0 and "an internal address" in refused.failed_sources[0][1]
        allowed = await ingest_sources(store, [f"{internal.base}/hop"], allow_private=True)
        assert allowed.added == 1 and internal.hits == ["/hop", "/panel"]
    finally:
        await store.close()


def test_the_setting_is_off_by_default_and_named_when_wrong() -> None:
    assert load_settings({}, env_file=None).fetch_allow_private is False
    assert load_settings({"NEWSBOT_FETCH_ALLOW_PRIVATE": "1"}, env_file=None).fetch_allow_private is True
    with pytest.raises(ValueError, match="NEWSBOT_FETCH_ALLOW_PRIVATE"):
        load_settings({"NEWSBOT_FETCH_ALLOW_PRIVATE": "maybe"}, env_file=None)


async def test_admin_ingest_of_a_url_redirecting_to_loopback_is_refused_in_arabic(
    settings: Settings, internal: Internal
) -> None:
    async with BotHarness(settings) as harness:
        before = await harness.news.store.articles.count()
        reply = await harness.reader(ADMIN_ID, "المحرر").send(f"/ingest {internal.base}/hop")
        assert "رُفض" in reply.text and "عنوان داخلي" in reply.text and "127.0.0.1" in reply.text
        assert "refused" not in reply.text and "INTERNAL" not in reply.text
        assert internal.hits == [] and await harness.news.store.articles.count() == before
    allowed = dataclasses.replace(settings, fetch_allow_private=True)
    async with BotHarness(allowed) as harness:
        reply = await harness.reader(ADMIN_ID, "المحرر").send(f"/ingest {internal.base}/hop")
        assert "جديد: 1" in reply.text
        assert internal.hits == ["/hop", "/panel"]


@pytest.mark.slow
async def test_newsbot_ingest_of_a_url_redirecting_to_loopback_is_refused(tmp_path: Path, internal: Internal) -> None:
    url = f"{internal.base}/hop"
    code, _, err = await newsbot(tmp_path, "ingest", url)
    assert code == 2 and "Traceback" not in err
    assert f"unreadable: {url}: refused: 127.0.0.1 resolves to 127.0.0.1, an internal address (loopback)" in err
    assert internal.hits == [] and articles(tmp_path) == []
    code, _, err = await newsbot(tmp_path, "ingest", url, NEWSBOT_FETCH_ALLOW_PRIVATE="1")
    assert code == 0, err
    assert [headline for _, headline in articles(tmp_path)] == ["INTERNAL ADMIN PANEL token=secret"]
