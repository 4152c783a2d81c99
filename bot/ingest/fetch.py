"""Reading a source: a local file or an http(s) URL (conditional GET, timeout, size cap)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.ingest.result import SourceError

MAX_BYTES = 5 * 1024 * 1024  # a feed or an article page is far smaller; anything bigger is refused
TIMEOUT_SECONDS = 20.0
USER_AGENT = "newsbot-ingest/0.1 (+https://github.com/; Arabic news bot)"


@dataclass(frozen=True, slots=True)
class Fetched:
    source: str
    data: bytes  # empty when not modified
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None


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
) -> Fetched:
    """GET with If-None-Match / If-Modified-Since; the cap is enforced while the body streams."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(deadline_seconds):
            async with client.stream(
                "GET", url, headers=headers, timeout=httpx.Timeout(deadline_seconds), follow_redirects=True
            ) as response:
                if response.status_code == 304:
                    return Fetched(url, b"", True, etag, last_modified, str(response.url))
                if response.status_code >= 400:
                    raise SourceError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
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
                    str(response.url),
                )
    except TimeoutError:
        raise SourceError(f"{url}: no complete answer within {deadline_seconds:g} s") from None
    except httpx.TimeoutException:
        raise SourceError(f"{url}: timed out after {deadline_seconds:g} s") from None
    except httpx.HTTPError as exc:
        raise SourceError(f"{url}: unreachable ({type(exc).__name__}: {exc})") from None
