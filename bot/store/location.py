"""Which engine a store location names: a `postgresql://` URL, or a SQLite file path."""

from __future__ import annotations

from pathlib import Path


def is_postgres_url(location: str | Path) -> bool:
    """True when the store location is a PostgreSQL URL rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))
