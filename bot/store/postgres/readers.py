"""Readers on PostgreSQL: Telegram chats the bot serves, with their status and settings."""

from __future__ import annotations

from dataclasses import replace

from bot.models import PushMode, Reader, ReaderSettings, ReaderStatus
from bot.store import rows
from bot.store.postgres.db import PgDatabase, affected, now_ts
from bot.store.records import checked_zone


class PgReaderRepository:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def get_or_create(
        self, reader_id: int, first_name: str | None = None, username: str | None = None
    ) -> tuple[Reader, bool]:
        """The reader, created on first contact (and its names kept up to date). True when new.

        One statement: a new reader is inserted, a known one whose names changed is updated (xmax
        is 0 only for a row this statement inserted), a known one unchanged is read after."""
        now = now_ts()
        row = await self._db.fetchrow(
            """
            INSERT INTO readers (id, first_name, username, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
            ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, username = excluded.username,
                updated_at = excluded.updated_at
            WHERE readers.first_name IS DISTINCT FROM excluded.first_name
               OR readers.username IS DISTINCT FROM excluded.username
            RETURNING *, (xmax = 0) AS created
            """,
            reader_id,
            first_name,
            username,
            now,
        )
        if row is not None:
            return rows.reader(row), bool(row["created"])
        known = await self._db.fetchrow("SELECT * FROM readers WHERE id = $1", reader_id)
        assert known is not None  # the conflict above was with this row; readers are never deleted
        return rows.reader(known), False

    async def get(self, reader_id: int) -> Reader | None:
        row = await self._db.fetchrow("SELECT * FROM readers WHERE id = $1", reader_id)
        return rows.reader(row) if row else None

    async def set_status(self, reader_id: int, status: ReaderStatus) -> bool:
        """Change a reader's status; True when it changed. Leaving 'active' cancels pending pushes."""
        async with self._db.transaction() as conn:
            changed = (
                affected(
                    await conn.execute(
                        "UPDATE readers SET status = $1, updated_at = $2 WHERE id = $3 AND status <> $1",
                        status.value,
                        now_ts(),
                        reader_id,
                    )
                )
                == 1
            )
            if changed and status is not ReaderStatus.ACTIVE:
                await conn.execute(
                    "UPDATE deliveries SET state = 'cancelled', error = $1 "
                    "WHERE reader_id = $2 AND state IN ('queued', 'sending')",
                    f"reader {status.value}",
                    reader_id,
                )
        return changed

    async def update_settings(self, reader_id: int, settings: ReaderSettings) -> Reader | None:
        row = await self._db.fetchrow(
            """
            UPDATE readers SET push_mode = $1, digest_hours = $2, quiet_start = $3, quiet_end = $4,
                arabic_digits = $5, link_previews = $6, timezone = $7, updated_at = $8
            WHERE id = $9 RETURNING *
            """,
            settings.push_mode.value,
            ",".join(str(h) for h in sorted(set(settings.digest_hours))),
            settings.quiet_start,
            settings.quiet_end,
            bool(settings.arabic_digits),
            bool(settings.link_previews),
            checked_zone(settings.timezone),
            now_ts(),
            reader_id,
        )
        return rows.reader(row) if row else None

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
        for status, n in await self._db.fetch(
            "SELECT status, count(*) FROM readers WHERE id NOT IN (SELECT id FROM chats) GROUP BY status"
        ):
            counts[status] = int(n)
        return counts
