"""Which engine a store location names: a `postgresql://` URL, or a SQLite file path; and how a URL
may be shown (its password never in a log or error line)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def is_postgres_url(location: str | Path) -> bool:
    """True when the store location is a PostgreSQL URL rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def safe_url(url: str) -> str:
    """The database URL as it may be shown: its password replaced (never in a log or error line)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "the PostgreSQL URL in NEWSBOT_DB"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:<secret>@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
