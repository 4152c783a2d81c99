"""Reading a source: a local file or an http(s) URL (conditional GET, timeout, size cap), from the
public web only.

Every fetch (`newsbot ingest URL`, the admins' /ingest, feed polling) follows redirects itself and
checks each address before asking it: only http and https, and a host that resolves only to public
addresses — loopback, private, link-local, shared, multicast, reserved and unspecified addresses
(IPv4-mapped and 6to4/Teredo-embedded IPv4 included) are refused with the reason. A host could
answer the check with a public address and the connection with an internal one (DNS rebinding), so
the client's connections (:func:`fetch_client`) resolve through :class:`_PublicResolver`, which checks
and hands the connector only the addresses it checked, and its socket factory refuses an internal
address written in the URL itself. `NEWSBOT_FETCH_ALLOW_PRIVATE=1` lifts all of this for local use
(a feed served on the same machine, the tests' loopback servers).
"""

# aiohttp, not httpx: the full-text filler (bot/runtime/fulltext.py) downloads on the bot's own event
# loop, beside readers' answers, and httpx's CPU there broke issue 14's target (bench/bench_fulltext.py:
# /latest p99 while 200 pages fill ≤ 1.2 × idle). Measured with 400 pages of 29-115 KB from a loopback
# aiohttp server, 8 at once: httpx via fetch_url 3.6 ms CPU a page (2.4 ms with sniffio installed:
# httpcore's failing `import sniffio` searches sys.path on every request), aiohttp's ClientSession
# 0.29 ms. Through fetch_url on the same pages (84 KB on average), 400 at 8 at once: httpx 3.6-3.9 ms a
# page, 4.4-4.6 ms public-only; aiohttp 0.74-0.89 ms public-only (its checks and lookups included),
# 0.52 ms with allow_private (1.5 ms when it took proxies from the environment: aiohttp reads them, and
# ~/.netrc, on every request).
# The same reason moved python-telegram-bot to aiohttp (bot/runtime/telegram_http.py).

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp import AddrInfoType
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.ingest.result import SourceError

MAX_BYTES = 5 * 1024 * 1024  # a feed or an article page is far smaller; anything bigger is refused
TIMEOUT_SECONDS = 20.0
USER_AGENT = "newsbot-ingest/0.1 (+https://github.com/; Arabic news bot)"
MAX_REDIRECTS = 10
MAX_CONNECTIONS = 256  # open sockets per client; callers limit themselves below it (the filler: ≤ 256 pages at once)
DNS_CACHE_SECONDS = 10  # aiohttp keeps a host's checked addresses this long
CHUNK_BYTES = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchRefused(SourceError):
    """The address is not on the public web (or not http/https): refused before any request."""


class HTTPStatusError(SourceError):
    """The server answered with an error status; `retry_after` is its Retry-After in seconds, if any."""

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A Retry-After header's delay in seconds: a number of seconds or an HTTP date; None otherwise."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def internal_kind(ip: IPAddress) -> str | None:
    """What makes an address internal («loopback», «private», …), or None for a public one."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return internal_kind(embedded)
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("not public", not ip.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def _refuse_internal(host: str, address: str) -> None:
    """FetchRefused when `address`, which `host` resolves to, is internal."""
    ip = ipaddress.ip_address(address)
    kind = internal_kind(ip)
    if kind is not None:
        raise FetchRefused(f"refused: {host} resolves to {ip}, an internal address ({kind})")


async def _public_addresses(
    host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
) -> list[tuple[socket.AddressFamily, str]]:
    """(family, address) for every address `host` resolves to, all of them public; FetchRefused
    naming the first internal one otherwise, SourceError when it does not resolve."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise SourceError(f"{host} does not resolve ({exc})") from None
    found: list[tuple[socket.AddressFamily, str]] = []
    for kind, _, _, _, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]
        _refuse_internal(host, address)
        if all(address != seen for _, seen in found):
            found.append((kind, address))
    if not found:
        raise SourceError(f"{host} does not resolve")
    return found


async def resolve_public(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, every one of them public; FetchRefused naming the first
    internal one otherwise, SourceError when it does not resolve."""
    return [address for _, address in await _public_addresses(host, port)]


async def check_public_url(url: str) -> None:
    """Refuse a URL that is not http(s) or whose host is not on the public web."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise FetchRefused(f"refused: {url} is not a valid address") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(f"refused: {url} is not an http or https address")
    if not host:
        raise FetchRefused(f"refused: {url} has no host")
    await resolve_public(host, port or (443 if scheme == "https" else 80))


class _Guarded(OSError):
    """A refusal or a failed lookup inside aiohttp's connector, which expects OSError there; it
    arrives as a ClientConnectorError's `os_error`, and :func:`fetch_url` raises `error` again."""

    def __init__(self, error: SourceError) -> None:
        super().__init__(str(error))
        self.error = error


class _PublicResolver(AbstractResolver):
    """The connector's resolver: resolves and checks as :func:`resolve_public` does and gives the
    connector only the addresses it has just checked, whatever DNS says afterwards (aiohttp keeps
    them for DNS_CACHE_SECONDS, checked as they are)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            found = await _public_addresses(host, port, family)
        except SourceError as exc:
            raise _Guarded(exc) from None
        flags = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
        return [
            ResolveResult(hostname=host, host=address, port=port, family=kind, proto=0, flags=flags)
            for kind, address in found
        ]

    async def close(self) -> None:
        return None


def _public_socket(addr_info: AddrInfoType) -> socket.socket:
    """The connector's socket factory: the last look at the very address about to be connected to.
    aiohttp does not ask the resolver for an address written in the URL (http://127.0.0.1/), so this
    is where such an address is refused when :func:`check_public_url` was not asked first."""
    family, type_, proto, _, sockaddr = addr_info
    address = str(sockaddr[0]).split("%", 1)[0]
    try:
        _refuse_internal(address, address)
    except FetchRefused as exc:
        raise _Guarded(exc) from None
    return socket.socket(family=family, type=type_, proto=proto)


def fetch_client(*, allow_private: bool = False) -> aiohttp.ClientSession:
    """The HTTP client for reading sources: public addresses only unless `allow_private`. The caller
    closes it (`async with`, or `await client.close()`).

    Public-only, connections go through :class:`_PublicResolver` and :func:`_public_socket`, and no
    proxy is taken from the environment (a proxy would connect where it likes); a TCP connector
    cannot reach a unix socket. With `allow_private` no proxy is taken from the environment either:
    it is for a feed on the same machine or network, which an HTTP_PROXY meant for the web would
    not reach (and aiohttp would read the environment and ~/.netrc again on every request).
    """
    if allow_private:
        connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, ttl_dns_cache=DNS_CACHE_SECONDS)
        return aiohttp.ClientSession(connector=connector, trust_env=False)
    connector = aiohttp.TCPConnector(
        limit=MAX_CONNECTIONS,
        ttl_dns_cache=DNS_CACHE_SECONDS,
        resolver=_PublicResolver(),
        socket_factory=_public_socket,
    )
    return aiohttp.ClientSession(connector=connector, trust_env=False)


@dataclass(frozen=True, slots=True)
class Fetched:
    source: str
    data: bytes  # empty when not modified
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    content_type: str | None = None  # the media type the server declared, lower case, no parameters


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def read_path(source: str, *, max_bytes: int = MAX_BYTES) -> Fetched:
    path = Path(source)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise SourceError(f"{source}: not a file")
        if size > max_bytes:
            raise SourceError(f"{source}: file of {size} bytes is over the {max_bytes}-byte cap")
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{source}: no such file") from None
    except PermissionError:
        raise SourceError(f"{source}: permission denied") from None
    except IsADirectoryError:
        raise SourceError(f"{source}: is a directory") from None
    return Fetched(source, data)


async def fetch_url(
    client: aiohttp.ClientSession,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = MAX_BYTES,
    deadline_seconds: float = TIMEOUT_SECONDS,
    allow_private: bool = False,
) -> Fetched:
    """GET with If-None-Match / If-Modified-Since; the cap is enforced while the body streams.

    Redirects are followed here, at most MAX_REDIRECTS, each address checked before it is asked
    (:func:`check_public_url`) unless `allow_private`; a client from :func:`fetch_client` also
    checks the address it connects to.
    """
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=deadline_seconds, sock_read=deadline_seconds)
    current = url
    try:
        async with asyncio.timeout(deadline_seconds):
            for _hop in range(MAX_REDIRECTS + 1):
                if not allow_private:
                    await check_public_url(current)
                elif urlsplit(current).scheme.lower() not in ("http", "https"):
                    raise FetchRefused(f"refused: {current} is not an http or https address")
                async with client.get(current, headers=headers, timeout=timeout, allow_redirects=False) as response:
                    location = response.headers.get("Location")
                    if response.status in _REDIRECTS and location:
                        current = urljoin(current, location.strip())
                        continue
                    return await _read(response, url, current, etag, last_modified, max_bytes)
            raise SourceError(f"{url}: more than {MAX_REDIRECTS} redirects")
    except FetchRefused as exc:
        raise FetchRefused(f"{url}{_via(url, current)}: {exc}") from None
    except HTTPStatusError:
        raise
    except SourceError as exc:
        text = str(exc)
        raise SourceError(text if text.startswith(url) else f"{url}{_via(url, current)}: {text}") from None
    except aiohttp.ServerTimeoutError:  # a connect or read timeout; before TimeoutError, which it also is
        raise SourceError(f"{url}: timed out after {deadline_seconds:g} s") from None
    except TimeoutError:
        raise SourceError(f"{url}: no complete answer within {deadline_seconds:g} s") from None
    except aiohttp.InvalidURL:
        raise FetchRefused(f"{url}{_via(url, current)}: refused: {current} is not a valid address") from None
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, _Guarded):  # fetch_client's resolver or socket factory
            error = exc.os_error.error
            raise type(error)(f"{url}{_via(url, current)}: {error}") from None
        raise SourceError(f"{url}: unreachable ({type(exc).__name__}: {exc})") from None
    except aiohttp.ClientError as exc:  # the server dropped the connection, a broken body or encoding, …
        raise SourceError(f"{url}: unreachable ({type(exc).__name__}: {exc})") from None


def _via(url: str, current: str) -> str:
    return "" if current == url else f" (redirected to {current})"


async def _read(
    response: aiohttp.ClientResponse,
    url: str,
    final: str,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
) -> Fetched:
    if response.status == 304:
        return Fetched(url, b"", True, etag, last_modified, final)
    if response.status >= 400:
        raise HTTPStatusError(
            f"{url}: HTTP {response.status} {response.reason or _phrase(response.status)}",
            response.status,
            retry_after_seconds(response.headers.get("Retry-After")),
        )
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise SourceError(f"{url}: {declared} bytes is over the {max_bytes}-byte cap")
    chunks: list[bytes] = []
    received = 0
    async for chunk in response.content.iter_chunked(CHUNK_BYTES):  # decoded (gzip, deflate) bytes
        received += len(chunk)
        if received > max_bytes:
            raise SourceError(f"{url}: more than the {max_bytes}-byte cap")
        chunks.append(chunk)
    return Fetched(
        url,
        b"".join(chunks),
        False,
        response.headers.get("ETag"),
        response.headers.get("Last-Modified"),
        final,
        response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower() or None,
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
