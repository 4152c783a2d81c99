"""Configuration from the environment and `.env` (docs/product.md «Settings»).

A wrong value stops the program with one line naming the variable and what it expects.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.resources import resource_dir

T = TypeVar("T")

DEFAULT_API_URL = "https://api.telegram.org/bot"
_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Variables whose value is never repeated in an error: the message names the variable only.
SECRET_VARIABLES = frozenset(
    {"TELEGRAM_BOT_TOKEN", "NEWSBOT_WEBHOOK_SECRET", "NEWSBOT_DB"}
)  # a URL may hold a password
# Bounds checked at start (the message gives the range).
SECONDS = (0.05, 86_400.0)  # intervals, windows and timeouts: from 50 ms to a day
RATE = (0.1, 1000.0)  # messages per second: Telegram's paid broadcasts reach 1000
PAID_BROADCAST_RATE = (1.0, 1000.0)  # paid broadcasts: 0 turns them off, else messages per second up to 1000
FLOOD_LIMIT = (1, 10_000)
FETCH_MAX_BYTES = (1024, 1024 * 1024 * 1024)  # 1 KiB to 1 GiB
FULLTEXT_CONCURRENCY = (1, 256)  # pages downloaded at once, all sites together
FULLTEXT_PER_HOST = (1, 64)  # pages downloaded at once from one site
FULLTEXT_ATTEMPTS = (1, 20)  # tries of a page before it is given up
FULLTEXT_PROCESSES = (1, 32)  # extraction processes (each about 42 MB resident with trafilatura)
PUSH_MAX_AGE = (60, 100 * 365 * 86_400)  # how old an item may be and still be pushed: a minute to a century
_AGE_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}
MAX_WORKERS = 4 * (os.cpu_count() or 1)


def usable_cores() -> int:
    """The CPU cores this process may run on (a container's or taskset's limit), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # a platform without sched_getaffinity
        return os.cpu_count() or 1


# Extraction processes by default: one per usable core (trafilatura's CPU bounds the filler: 200 pages
# at 150 ms each take 4.1 s of one core's extraction against 3.75 s that 8 reads at once allow), at most
# 4: past that a burst of pages is rarely big enough to pay for the processes' memory.
DEFAULT_FULLTEXT_PROCESSES = min(4, usable_cores())
_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$")


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the variable and what it expects."""


class _Refused(ValueError):
    """A parse helper's refusal with the reason worth telling (which entry, which bound)."""


@dataclass(frozen=True, slots=True)
class FeedSource:
    url: str
    topic_slug: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    token: str | None = None
    api_url: str = DEFAULT_API_URL
    db_path: Path = Path("data/newsbot.db")
    db_url: str | None = None  # NEWSBOT_DB=postgresql://…: the PostgreSQL store instead of db_path
    admins: frozenset[int] = frozenset()
    push_interval: float = 10.0
    push_max_age: int = 86_400  # seconds: an item published (else stored) longer ago is listed, never pushed
    rate: float = 30.0
    # Breaking news sent with allow_paid_broadcast at up to this many messages a second, a budget of its
    # own beside `rate` (Telegram charges Stars for them); 0: off, breaking news shares `rate`.
    paid_broadcast_rate: float = 0.0
    webhook_url: str | None = None
    webhook_secret: str | None = None
    listen: tuple[str, int] = ("127.0.0.1", 8443)
    metrics_listen: tuple[str, int] | None = None  # /healthz and /metrics; off unless set
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Africa/Cairo"))
    feeds: tuple[FeedSource, ...] = ()
    feed_interval: float = 300.0
    seeds_dir: Path = field(default_factory=lambda: resource_dir("seeds"))  # shipped in the package
    flood_limit: int = 20
    flood_window: float = 10.0
    site_url: str = "https://arabic.rt.com"
    follow_links: tuple[str, ...] = ()  # the site's own channels (NEWSBOT_FOLLOW_LINKS), listed by /follow
    log_level: str = "INFO"
    log_format: str = "text"
    fetch_timeout: float = 20.0
    fetch_max_bytes: int = 5 * 1024 * 1024
    fetch_allow_private: bool = False  # fetch from loopback/private addresses too (local use only)
    fulltext: bool = True  # read the page behind each item stored with a link and no body (bot.runtime.fulltext)
    fulltext_concurrency: int = 8
    fulltext_per_host: int = 2
    fulltext_retry: float = 300.0  # seconds before the first retry of a page; doubled at each next one
    fulltext_attempts: int = 5
    fulltext_processes: int = DEFAULT_FULLTEXT_PROCESSES  # trafilatura runs in this many niced processes
    workers: int = 1

    @property
    def store_location(self) -> str | Path:
        """Where the store is: the PostgreSQL URL when NEWSBOT_DB is one, else the SQLite file."""
        return self.db_url or self.db_path


def load_settings(env: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
    """Read settings from `env` (default: os.environ over the values in `env_file`)."""
    if env is None:
        merged: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            merged.update({k: v for k, v in _read_env_file(Path(env_file)).items() if v is not None})
        merged.update(os.environ)
        env = merged

    def get(name: str, parse: Callable[[str], T], default: T, expects: str) -> T:
        raw = env.get(name, "").strip()
        if not raw:
            return default
        try:
            return parse(raw)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            if name in SECRET_VARIABLES:  # never echo a secret, even a malformed one
                raise ConfigError(f"{name}: expected {expects}") from None
            reason = f" ({exc})" if isinstance(exc, _Refused) else ""
            raise ConfigError(f"{name}: expected {expects}, got {raw!r}{reason}") from exc

    defaults = Settings()
    return Settings(
        token=get("TELEGRAM_BOT_TOKEN", _token, None, "a bot token from @BotFather like 123456:ABC-DEF…"),
        api_url=get(
            "TELEGRAM_API_URL", _http_url, defaults.api_url, "an http(s) URL like https://api.telegram.org/bot"
        ),
        db_path=get("NEWSBOT_DB", _db_path, defaults.db_path, _DB_EXPECTS),
        db_url=get("NEWSBOT_DB", _db_url, None, _DB_EXPECTS),
        admins=get("NEWSBOT_ADMINS", _ids, frozenset(), "comma-separated Telegram user ids like 111,222"),
        push_interval=get("NEWSBOT_PUSH_INTERVAL", _seconds, defaults.push_interval, f"seconds {_range(SECONDS)}"),
        push_max_age=get(
            "NEWSBOT_PUSH_MAX_AGE",
            _age,
            defaults.push_max_age,
            "an age in seconds, or a whole number with s, m, h or d like 24h or 90m, from 1m to 36500d",
        ),
        rate=get("NEWSBOT_RATE", _rate, defaults.rate, f"messages per second {_range(RATE)}"),
        paid_broadcast_rate=get(
            "NEWSBOT_PAID_BROADCAST_RATE",
            _paid_rate,
            defaults.paid_broadcast_rate,
            f"0 (off) or paid messages per second {_range(PAID_BROADCAST_RATE)}",
        ),
        webhook_url=get("NEWSBOT_WEBHOOK_URL", _https_url, None, "an https:// URL for Telegram to call"),
        webhook_secret=get("NEWSBOT_WEBHOOK_SECRET", _secret, None, "1-256 characters of A-Z a-z 0-9 _ -"),
        listen=get(
            "NEWSBOT_LISTEN", _listen, defaults.listen, "HOST:PORT to listen on (an IP address or a name that resolves)"
        ),
        metrics_listen=get(
            "NEWSBOT_METRICS_LISTEN", _listen, None, "HOST:PORT for /healthz and /metrics, like 127.0.0.1:9100"
        ),
        timezone=get("NEWSBOT_TIMEZONE", ZoneInfo, defaults.timezone, "an IANA time zone like Africa/Cairo"),
        feeds=get(
            "NEWSBOT_FEEDS",
            _feeds,
            (),
            "space-separated feeds, each an http(s) URL or file:///absolute/path, optionally =topic-slug",
        ),
        feed_interval=get("NEWSBOT_FEED_INTERVAL", _seconds, defaults.feed_interval, f"seconds {_range(SECONDS)}"),
        seeds_dir=get("NEWSBOT_SEEDS", _folder, defaults.seeds_dir, "an existing folder of seed files"),
        flood_limit=get(
            "NEWSBOT_FLOOD_LIMIT",
            _flood_limit,
            defaults.flood_limit,
            f"a whole number of updates {_range(FLOOD_LIMIT)}",
        ),
        flood_window=get("NEWSBOT_FLOOD_WINDOW", _seconds, defaults.flood_window, f"seconds {_range(SECONDS)}"),
        site_url=get("NEWSBOT_SITE_URL", _http_url, defaults.site_url, "the site's http(s) URL"),
        follow_links=get(
            "NEWSBOT_FOLLOW_LINKS",
            _links,
            (),
            "space-separated http(s) URLs of the site's own channels, like https://t.me/yourchannel",
        ),
        fetch_timeout=get("NEWSBOT_FETCH_TIMEOUT", _seconds, defaults.fetch_timeout, f"seconds {_range(SECONDS)}"),
        fetch_max_bytes=get(
            "NEWSBOT_FETCH_MAX_BYTES", _fetch_max_bytes, defaults.fetch_max_bytes, f"bytes {_range(FETCH_MAX_BYTES)}"
        ),
        workers=get(
            "NEWSBOT_WORKERS",
            _workers,
            defaults.workers,
            f"a whole number of processes from 1 to {MAX_WORKERS} (4 per CPU core)",
        ),
        fetch_allow_private=get("NEWSBOT_FETCH_ALLOW_PRIVATE", _flag, False, "1 (fetch internal addresses too) or 0"),
        fulltext=get("NEWSBOT_FULLTEXT", _flag, defaults.fulltext, "1 (read each item's page for its full text) or 0"),
        fulltext_concurrency=get(
            "NEWSBOT_FULLTEXT_CONCURRENCY",
            _bounded_int(FULLTEXT_CONCURRENCY),
            defaults.fulltext_concurrency,
            f"a whole number of pages read at once {_range(FULLTEXT_CONCURRENCY)}",
        ),
        fulltext_per_host=get(
            "NEWSBOT_FULLTEXT_PER_HOST",
            _bounded_int(FULLTEXT_PER_HOST),
            defaults.fulltext_per_host,
            f"a whole number of pages read at once from one site {_range(FULLTEXT_PER_HOST)}",
        ),
        fulltext_retry=get("NEWSBOT_FULLTEXT_RETRY", _seconds, defaults.fulltext_retry, f"seconds {_range(SECONDS)}"),
        fulltext_attempts=get(
            "NEWSBOT_FULLTEXT_ATTEMPTS",
            _bounded_int(FULLTEXT_ATTEMPTS),
            defaults.fulltext_attempts,
            f"a whole number of tries {_range(FULLTEXT_ATTEMPTS)}",
        ),
        fulltext_processes=get(
            "NEWSBOT_FULLTEXT_PROCESSES",
            _bounded_int(FULLTEXT_PROCESSES),
            defaults.fulltext_processes,
            f"a whole number of extraction processes {_range(FULLTEXT_PROCESSES)}",
        ),
        log_level=get("NEWSBOT_LOG_LEVEL", _log_level, defaults.log_level, "DEBUG, INFO, WARNING or ERROR"),
        log_format=get("NEWSBOT_LOG_FORMAT", _log_format, defaults.log_format, "text or json"),
    )


_DB_EXPECTS = "a path to the SQLite file, or a PostgreSQL URL like postgresql://user:password@host:5432/newsbot"


def _db_path(raw: str) -> Path:
    """NEWSBOT_DB as a SQLite file; a URL leaves the default (db_url is used instead)."""
    if "://" in raw:
        _db_url(raw)
        return Settings().db_path
    return Path(raw)


def _db_url(raw: str) -> str | None:
    """NEWSBOT_DB as a PostgreSQL URL (None for a path); any other URL is refused."""
    if "://" not in raw:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in ("postgresql", "postgres") or not (parsed.hostname or "host=" in parsed.query):
        raise ValueError("not a postgresql:// URL with a host (or ?host=/socket/folder)")
    return raw


def _token(raw: str) -> str:
    if not _TOKEN.match(raw):
        raise ValueError(raw)
    return raw


def _http_url(raw: str) -> str:
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(raw)
    return raw


MAX_FOLLOW_LINKS = 12


def _links(raw: str) -> tuple[str, ...]:
    """NEWSBOT_FOLLOW_LINKS: the site's channels elsewhere, each an http(s) URL, at most 12, no repeats."""
    links: list[str] = []
    for entry in raw.split():
        try:
            _http_url(entry)
        except ValueError:
            raise _Refused(f"{entry!r} is not an http(s) URL") from None
        if entry not in links:
            links.append(entry)
    if len(links) > MAX_FOLLOW_LINKS:
        raise _Refused(f"{len(links)} links, at most {MAX_FOLLOW_LINKS}")
    return tuple(links)


def _https_url(raw: str) -> str:
    """Telegram calls only https webhooks; plain http is allowed for loopback (the local emulator)."""
    parsed = urlparse(raw)
    if parsed.scheme != "https" and parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(raw)
    return _http_url(raw)


def _secret(raw: str) -> str:
    if not _SECRET.match(raw):
        raise ValueError(raw)
    return raw


def _ids(raw: str) -> frozenset[int]:
    return frozenset(int(part) for part in raw.replace(" ", ",").split(",") if part)


def _read_env_file(path: Path) -> dict[str, str | None]:
    """The `.env` file's values; one ConfigError line when it cannot be read as UTF-8 text."""
    try:
        return dotenv_values(path, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (undecodable byte at offset {exc.start}): save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc}): fix it or remove it") from None


def _range(bounds: tuple[float, float]) -> str:
    def number(value: float) -> str:
        return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"

    return f"from {number(bounds[0])} to {number(bounds[1])}"


def _bounded(raw: str, kind: Callable[[str], float], bounds: tuple[float, float]) -> float:
    value = kind(raw)
    low, high = bounds
    if not low <= value <= high:  # NaN fails this too
        raise ValueError(raw)  # the message gives the range
    return value


def _seconds(raw: str) -> float:
    return _bounded(raw, float, SECONDS)


def _age(raw: str) -> int:
    """NEWSBOT_PUSH_MAX_AGE: «86400», «24h», «90m», «2d», «45s» (a whole number and an optional unit)."""
    found = re.fullmatch(r"(\d+)\s*([smhd]?)", raw.lower())
    if found is None:
        raise ValueError(raw)
    return int(_bounded(str(int(found[1]) * _AGE_UNITS[found[2]]), int, PUSH_MAX_AGE))


def _rate(raw: str) -> float:
    return _bounded(raw, float, RATE)


def _paid_rate(raw: str) -> float:
    return 0.0 if float(raw) == 0 else _bounded(raw, float, PAID_BROADCAST_RATE)


def _flood_limit(raw: str) -> int:
    return int(_bounded(raw, int, FLOOD_LIMIT))


def _fetch_max_bytes(raw: str) -> int:
    return int(_bounded(raw, int, FETCH_MAX_BYTES))


def _bounded_int(bounds: tuple[int, int]) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        return int(_bounded(raw, int, bounds))

    return parse


def _workers(raw: str) -> int:
    return int(_bounded(raw, int, (1, MAX_WORKERS)))


def _folder(raw: str) -> Path:
    path = Path(raw)
    if not path.is_dir():
        raise _Refused("no such folder" if not path.exists() else "not a folder")
    return path


def _listen(raw: str) -> tuple[str, int]:
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(raw)
    host = host.strip("[]")
    _listen_host(host)
    return host, int(port)


def _listen_host(host: str) -> None:
    """An IP address, or a host name that resolves here (checked at start, not when binding)."""
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        pass
    if re.fullmatch(r"[0-9.]+", host) or not _HOSTNAME.match(host):
        raise _Refused(f"{host!r} is not an IP address or a host name")
    try:
        socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _Refused(f"{host!r} does not resolve") from exc


def _feeds(raw: str) -> tuple[FeedSource, ...]:
    """Each feed is an http(s) URL, or a local file named explicitly as file:///absolute/path."""
    out = []
    for part in raw.split():
        url, _, topic = part.partition("=")
        if url.startswith("file:"):
            out.append(FeedSource(str(_feed_file(url)), topic or None))
            continue
        try:
            _http_url(url)
        except ValueError:
            raise _Refused(f"{url!r} is neither an http(s) URL nor a file:/// path") from None
        out.append(FeedSource(url, topic or None))
    return tuple(out)


def _flag(raw: str) -> bool:
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _feed_file(url: str) -> Path:
    parsed = urlparse(url)
    path = Path(unquote(parsed.path))
    if parsed.netloc not in ("", "localhost") or not url.startswith("file:///") or not path.is_absolute():
        raise _Refused(f"{url!r}: a local feed is written file:///absolute/path")
    if not path.is_file():
        raise _Refused(f"{url!r}: no such file")
    return path


def _log_format(raw: str) -> str:
    fmt = raw.lower()
    if fmt not in ("text", "json"):
        raise ValueError(raw)
    return fmt


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(raw)
    return level
