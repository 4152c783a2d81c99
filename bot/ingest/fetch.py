"""Reading a source: a local file or an http(s) URL (conditional GET, timeout, size cap), from the
public web only.

Every fetch (`newsbot ingest URL`, the admins' /ingest, feed polling) follows redirects itself and
checks each address before asking it: only http and https, and a host that resolves only to public
addresses — loopback, private, link-local, shared, multicast, reserved and unspecified addresses
(IPv4-mapped and 6to4/Teredo-embedded IPv4 included) are refused with the reason. A host could
answer the check with a public address and the connection with an internal one (DNS rebinding), so
the client's connections go through :class:`PublicOnlyTransport`, which resolves, checks and then
connects to the very address it checked. `NEWSBOT_FETCH_ALLOW_PRIVATE=1` lifts all of this for
local use (a feed served on the same machine, the tests' loopback servers).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from bot.ingest.result import SourceError

MAX_BYTES = 5 * 1024 * 1024  # a feed or an article page is far smaller; anything bigger is refused
TIMEOUT_SECONDS = 20.0
USER_AGENT = "newsbot-ingest/0.1 (+https://github.com/; Arabic news bot)"
MAX_REDIRECTS = 10
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


async def resolve_public(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, every one of them public; FetchRefused naming the first
    internal one otherwise, SourceError when it does not resolve."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise SourceError(f"{host} does not resolve ({exc})") from None
    addresses: list[str] = []
    for *_, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]
        ip = ipaddress.ip_address(text)
        kind = internal_kind(ip)
        if kind is not None:
            raise FetchRefused(f"refused: {host} resolves to {ip}, an internal address ({kind})")
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise SourceError(f"{host} does not resolve")
    return addresses


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


class _PublicBackend(httpcore.AsyncNetworkBackend):
    """Connects only to the public addresses it has just checked, whatever DNS says afterwards."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve_public(host, port)
        except SourceError as exc:
            raise httpcore.ConnectError(str(exc)) from None
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("refused: unix sockets are not the public web")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PublicOnlyTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool on :class:`_PublicBackend`, no proxies from the
    environment (a proxy would connect where it likes)."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        # The pool is httpx's private attribute (0.28); httpcore's pool and backend are public API.
        # tests/ingest/test_fetch_guard.py connects through this transport, so a change shows there.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=_PublicBackend(httpcore.AnyIOBackend()),
        )


def fetch_client(*, allow_private: bool = False) -> httpx.AsyncClient:
    """The HTTP client for reading sources: public addresses only unless `allow_private`."""
    if allow_private:
        return httpx.AsyncClient()
    return httpx.AsyncClient(transport=PublicOnlyTransport())


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
    client: httpx.AsyncClient,
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
    current = url
    try:
        async with asyncio.timeout(deadline_seconds):
            for _hop in range(MAX_REDIRECTS + 1):
                if not allow_private:
                    await check_public_url(current)
                elif urlsplit(current).scheme.lower() not in ("http", "https"):
                    raise FetchRefused(f"refused: {current} is not an http or https address")
                async with client.stream(
                    "GET", current, headers=headers, timeout=httpx.Timeout(deadline_seconds), follow_redirects=False
                ) as response:
                    location = response.headers.get("Location")
                    if response.status_code in _REDIRECTS and location:
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
    except TimeoutError:
        raise SourceError(f"{url}: no complete answer within {deadline_seconds:g} s") from None
    except httpx.TimeoutException:
        raise SourceError(f"{url}: timed out after {deadline_seconds:g} s") from None
    except httpx.HTTPError as exc:
        if str(exc).startswith("refused:"):  # _PublicBackend, at the connection
            raise FetchRefused(f"{url}{_via(url, current)}: {exc}") from None
        raise SourceError(f"{url}: unreachable ({type(exc).__name__}: {exc})") from None


def _via(url: str, current: str) -> str:
    return "" if current == url else f" (redirected to {current})"


async def _read(
    response: httpx.Response, url: str, final: str, etag: str | None, last_modified: str | None, max_bytes: int
) -> Fetched:
    if response.status_code == 304:
        return Fetched(url, b"", True, etag, last_modified, final)
    if response.status_code >= 400:
        raise HTTPStatusError(
            f"{url}: HTTP {response.status_code} {response.reason_phrase}",
            response.status_code,
            retry_after_seconds(response.headers.get("Retry-After")),
        )
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise SourceError(f"{url}: {declared} bytes is over the {max_bytes}-byte cap")
    chunks: list[bytes] = []
    received = 0
    async for chunk in response.aiter_bytes():
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
