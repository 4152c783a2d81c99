"""Readers: Telegram chats the bot serves, with their status and settings."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from bot.models import PushMode, Reader, ReaderSettings, ReaderStatus
from bot.store import rows
from bot.store.records import checked_zone
from bot.store.sqlite.db import Database, now_ts


class ReaderRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_or_create(
        self, reader_id: int, first_name: str | None = None, username: str | None = None
    ) -> tuple[Reader, bool]:
        """The reader, created on first contact (and its names kept up to date). True when new."""
        now = now_ts()

        def upsert(conn: sqlite3.Connection) -> tuple[sqlite3.Row, bool]:
            cur = conn.execute(
                "INSERT OR IGNORE INTO readers (id, first_name, username, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (reader_id, first_name, username, now, now),
            )
            created = cur.rowcount == 1
            if not created:
                conn.execute(
                    "UPDATE readers SET first_name = ?, username = ?, updated_at = ? WHERE id = ? "
                    "AND (first_name IS NOT ? OR username IS NOT ?)",
                    (first_name, username, now, reader_id, first_name, username),
                )
            row = conn.execute("SELECT * FROM readers WHERE id = ?", (reader_id,)).fetchone()
            return row, created

        row, created = await self._db.transaction(upsert)
        return rows.reader(row), created

    async def get(self, reader_id: int) -> Reader | None:
        row = await self._db.fetch_one("SELECT * FROM readers WHERE id = ?", (reader_id,))
        return rows.reader(row) if row else None

    async def set_status(self, reader_id: int, status: ReaderStatus) -> bool:
        """Change a reader's status; True when it changed. Leaving 'active' cancels pending pushes."""
        async with self._db.write() as conn:
            cur = await conn.execute(
                "UPDATE readers SET status = ?, updated_at = ? WHERE id = ? AND status <> ?",
                (status.value, now_ts(), reader_id, status.value),
            )
            changed = cur.rowcount == 1
            if changed and status is not ReaderStatus.ACTIVE:
                await conn.execute(
                    "UPDATE deliveries SET state = 'cancelled', error = ? "
                    "WHERE reader_id = ? AND state IN ('queued', 'sending')",
                    (f"reader {status.value}", reader_id),
                )
        return changed

    async def update_settings(self, reader_id: int, settings: ReaderSettings) -> Reader | None:
        async with self._db.write() as conn:
            await conn.execute(
                """
                UPDATE readers SET push_mode = ?, digest_hours = ?, quiet_start = ?, quiet_end = ?,
                    arabic_digits = ?, link_previews = ?, timezone = ?, updated_at = ?
                WHERE id = ?
                """,
                (
                    settings.push_mode.value,
                    ",".join(str(h) for h in sorted(set(settings.digest_hours))),
                    settings.quiet_start,
                    settings.quiet_end,
                    int(settings.arabic_digits),
                    int(settings.link_previews),
                    checked_zone(settings.timezone),
                    now_ts(),
                    reader_id,
                ),
            )
        return await self.get(reader_id)

    async def change_settings(self, reader_id: int, **changes: object) -> Reader | None:
        """Change some settings fields by name (push_mode, digest_hours, quiet_start, …)."""
        reader = await self.get(reader_id)
        if reader is None:
            return None
        if "push_mode" in changes:
            changes["push_mode"] = PushMode(str(changes["push_mode"]))
        return await self.update_settings(reader_id, replace(reader.settings, **changes))  # type: ignore[arg-type]

    async def count_by_status(self) -> dict[str, int]:
        """People's private chats by status (groups and channels are counted by the chats)."""
        counts = {s.value: 0 for s in ReaderStatus}
        for status, n in await self._db.fetch_all(
            "SELECT status, count(*) FROM readers WHERE id NOT IN (SELECT id FROM chats) GROUP BY status"
        ):
            counts[status] = int(n)
        return counts
