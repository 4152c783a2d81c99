"""Configuration from the environment and `.env` (PRODUCT.md «Interfaces»).

A wrong value stops the program with one line naming the variable and what it expects.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.resources import resource_dir

T = TypeVar("T")

DEFAULT_API_URL = "https://api.telegram.org/bot"
_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the variable and what it expects."""


@dataclass(frozen=True, slots=True)
class FeedSource:
    url: str
    topic_slug: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    token: str | None = None
    api_url: str = DEFAULT_API_URL
    db_path: Path = Path("data/newsbot.db")
    admins: frozenset[int] = frozenset()
    push_interval: float = 10.0
    rate: float = 30.0
    webhook_url: str | None = None
    webhook_secret: str | None = None
    listen: tuple[str, int] = ("127.0.0.1", 8443)
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Africa/Cairo"))
    feeds: tuple[FeedSource, ...] = ()
    feed_interval: float = 300.0
    seeds_dir: Path = field(default_factory=lambda: resource_dir("seeds"))  # shipped in the package
    flood_limit: int = 20
    flood_window: float = 10.0
    site_url: str = "https://arabic.rt.com"
    log_level: str = "INFO"
    fetch_timeout: float = 20.0
    fetch_max_bytes: int = 5 * 1024 * 1024
    workers: int = 1


def load_settings(env: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
    """Read settings from `env` (default: os.environ over the values in `env_file`)."""
    if env is None:
        merged: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        merged.update(os.environ)
        env = merged

    def get(name: str, parse: Callable[[str], T], default: T, expects: str) -> T:
        raw = env.get(name, "").strip()
        if not raw:
            return default
        try:
            return parse(raw)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise ConfigError(f"{name}: expected {expects}, got {raw!r}") from exc

    defaults = Settings()
    return Settings(
        token=get("TELEGRAM_BOT_TOKEN", _token, None, "a bot token from @BotFather like 123456:ABC-DEF…"),
        api_url=get(
            "TELEGRAM_API_URL", _http_url, defaults.api_url, "an http(s) URL like https://api.telegram.org/bot"
        ),
        db_path=get("NEWSBOT_DB", Path, defaults.db_path, "a path to the SQLite file"),
        admins=get("NEWSBOT_ADMINS", _ids, frozenset(), "comma-separated Telegram user ids like 111,222"),
        push_interval=get("NEWSBOT_PUSH_INTERVAL", _positive, defaults.push_interval, "a positive number of seconds"),
        rate=get("NEWSBOT_RATE", _positive, defaults.rate, "a positive number of messages per second"),
        webhook_url=get("NEWSBOT_WEBHOOK_URL", _https_url, None, "an https:// URL for Telegram to call"),
        webhook_secret=get("NEWSBOT_WEBHOOK_SECRET", _secret, None, "1-256 characters of A-Z a-z 0-9 _ -"),
        listen=get("NEWSBOT_LISTEN", _listen, defaults.listen, "HOST:PORT to listen on, like 0.0.0.0:8443"),
        timezone=get("NEWSBOT_TIMEZONE", ZoneInfo, defaults.timezone, "an IANA time zone like Africa/Cairo"),
        feeds=get("NEWSBOT_FEEDS", _feeds, (), "space-separated feed URLs, each optionally URL=topic-slug"),
        feed_interval=get("NEWSBOT_FEED_INTERVAL", _positive, defaults.feed_interval, "a positive number of seconds"),
        seeds_dir=get("NEWSBOT_SEEDS", Path, defaults.seeds_dir, "a folder of seed files"),
        flood_limit=get("NEWSBOT_FLOOD_LIMIT", _positive_int, defaults.flood_limit, "a positive whole number"),
        flood_window=get("NEWSBOT_FLOOD_WINDOW", _positive, defaults.flood_window, "a positive number of seconds"),
        site_url=get("NEWSBOT_SITE_URL", _http_url, defaults.site_url, "the site's http(s) URL"),
        fetch_timeout=get("NEWSBOT_FETCH_TIMEOUT", _positive, defaults.fetch_timeout, "a positive number of seconds"),
        fetch_max_bytes=get(
            "NEWSBOT_FETCH_MAX_BYTES", _positive_int, defaults.fetch_max_bytes, "a positive number of bytes"
        ),
        workers=get("NEWSBOT_WORKERS", _positive_int, defaults.workers, "a positive whole number of processes"),
        log_level=get("NEWSBOT_LOG_LEVEL", _log_level, defaults.log_level, "DEBUG, INFO, WARNING or ERROR"),
    )


def _token(raw: str) -> str:
    if not _TOKEN.match(raw):
        raise ValueError(raw)
    return raw


def _http_url(raw: str) -> str:
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(raw)
    return raw


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


def _positive(raw: str) -> float:
    value = float(raw)
    if not value > 0 or value == float("inf"):
        raise ValueError(raw)
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(raw)
    return value


def _listen(raw: str) -> tuple[str, int]:
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(raw)
    return host.strip("[]"), int(port)


def _feeds(raw: str) -> tuple[FeedSource, ...]:
    out = []
    for part in raw.split():
        url, _, topic = part.partition("=")
        if "://" in url:
            _http_url(url)
        out.append(FeedSource(url, topic or None))
    return tuple(out)


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(raw)
    return level
