"""Groups, supergroups and channels the bot posts to (issue 15), each also a reader row with its id."""

from __future__ import annotations

import sqlite3

from bot.models import ChatCount, ChatKind, NewsChat
from bot.store import rows
from bot.store.sqlite.db import Database, now_ts

_COLUMNS = rows.CHAT_COLUMNS.format(agg="group_concat(t.slug)")
_SELECT = f"SELECT {_COLUMNS} FROM chats c JOIN readers r ON r.id = c.id"


class ChatRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(
        self, chat_id: int, kind: ChatKind, title: str | None, username: str | None, *, linked_by: int | None = None
    ) -> NewsChat:
        now = now_ts()

        def upsert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO readers (id, first_name, username, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, username = excluded.username, "
                "updated_at = excluded.updated_at",
                (chat_id, title, username, now, now),
            )
            conn.execute(
                "INSERT INTO chats (id, kind, title, username, linked_by, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, "
                "title = excluded.title, username = excluded.username, "
                "linked_by = coalesce(excluded.linked_by, chats.linked_by), updated_at = excluded.updated_at",
                (chat_id, kind.value, title, username, linked_by, now, now),
            )

        await self._db.transaction(upsert)
        found = await self.get(chat_id)
        assert found is not None  # just written
        return found

    async def get(self, chat_id: int) -> NewsChat | None:
        row = await self._db.fetch_one(f"{_SELECT} WHERE c.id = ?", (chat_id,))
        return rows.news_chat(row) if row else None

    async def by_username(self, username: str) -> NewsChat | None:
        row = await self._db.fetch_one(
            f"{_SELECT} WHERE lower(c.username) = lower(?) ORDER BY r.status = 'gone', c.id", (username.lstrip("@"),)
        )
        return rows.news_chat(row) if row else None

    async def all(self) -> list[NewsChat]:
        found = await self._db.fetch_all(f"{_SELECT} ORDER BY c.kind <> 'channel', c.id")
        return [rows.news_chat(r) for r in found]

    async def pause(self, chat_id: int, reason: str) -> bool:
        async with self._db.write() as conn:
            cur = await conn.execute(
                "UPDATE readers SET status = 'blocked', updated_at = ? WHERE id = ? AND status = 'active' "
                "AND id IN (SELECT id FROM chats)",
                (now_ts(), chat_id),
            )
            changed = cur.rowcount == 1
            await conn.execute("UPDATE chats SET paused = ?, updated_at = ? WHERE id = ?", (reason, now_ts(), chat_id))
            if changed:
                await conn.execute(
                    "UPDATE deliveries SET state = 'cancelled', error = ? "
                    "WHERE reader_id = ? AND state IN ('queued', 'sending')",
                    (f"paused: {reason}", chat_id),
                )
        return changed

    async def resume(self, chat_id: int) -> bool:
        async with self._db.write() as conn:
            cur = await conn.execute(
                "UPDATE readers SET status = 'active', updated_at = ? WHERE id = ? AND status = 'blocked' "
                "AND id IN (SELECT id FROM chats)",
                (now_ts(), chat_id),
            )
            await conn.execute("UPDATE chats SET paused = NULL, updated_at = ? WHERE id = ?", (now_ts(), chat_id))
            return cur.rowcount == 1

    async def unlink(self, chat_id: int) -> bool:
        async with self._db.write() as conn:
            cur = await conn.execute(
                "UPDATE readers SET status = 'stopped', updated_at = ? WHERE id = ? "
                "AND status IN ('active', 'blocked') AND id IN (SELECT id FROM chats)",
                (now_ts(), chat_id),
            )
            changed = cur.rowcount == 1
            await conn.execute("DELETE FROM subscriptions WHERE reader_id = ?", (chat_id,))
            await conn.execute(
                "UPDATE deliveries SET state = 'cancelled', error = 'unlinked' "
                "WHERE reader_id = ? AND state IN ('queued', 'sending')",
                (chat_id,),
            )
        return changed

    async def migrate(self, old_id: int, new_id: int) -> NewsChat | None:
        now = now_ts()

        def move(conn: sqlite3.Connection) -> bool:
            old = conn.execute(
                "SELECT c.*, r.status FROM chats c JOIN readers r ON r.id = c.id WHERE c.id = ?", (old_id,)
            ).fetchone()
            if old is None:
                return False
            if old["migrated_to"] == new_id:
                return True
            conn.execute(
                "INSERT INTO readers (id, first_name, username, status, arabic_digits, created_at, updated_at) "
                "SELECT ?, first_name, username, status, arabic_digits, ?, ? FROM readers WHERE id = ? "
                "ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
                (new_id, now, now, old_id),
            )
            conn.execute(
                "INSERT INTO chats (id, kind, title, username, linked_by, members, paused, created_at, updated_at) "
                "SELECT ?, 'supergroup', title, username, linked_by, members, paused, ?, ? FROM chats WHERE id = ? "
                "ON CONFLICT (id) DO UPDATE SET kind = 'supergroup', linked_by = excluded.linked_by, "
                "paused = excluded.paused, updated_at = excluded.updated_at",
                (new_id, now, now, old_id),
            )
            conn.execute("UPDATE OR IGNORE subscriptions SET reader_id = ? WHERE reader_id = ?", (new_id, old_id))
            conn.execute("DELETE FROM subscriptions WHERE reader_id = ?", (old_id,))
            conn.execute(
                "UPDATE OR IGNORE deliveries SET reader_id = ? WHERE reader_id = ? AND state IN ('queued', 'sending')",
                (new_id, old_id),
            )
            conn.execute(
                "UPDATE deliveries SET state = 'cancelled', error = 'migrated' "
                "WHERE reader_id = ? AND state IN ('queued', 'sending')",
                (old_id,),
            )
            conn.execute("UPDATE readers SET status = 'gone', updated_at = ? WHERE id = ?", (now, old_id))
            conn.execute("UPDATE chats SET migrated_to = ?, updated_at = ? WHERE id = ?", (new_id, now, old_id))
            return True

        if not await self._db.transaction(move):
            return None
        return await self.get(new_id)

    async def set_members(self, chat_id: int, members: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE chats SET members = ?, updated_at = ? WHERE id = ?", (members, now_ts(), chat_id)
            )

    async def counts(self) -> list[ChatCount]:
        found = await self._db.fetch_all(
            "SELECT c.kind, r.status, count(*), sum(c.members) FROM chats c JOIN readers r ON r.id = c.id "
            "GROUP BY c.kind, r.status"
        )
        return rows.chat_counts([tuple(r) for r in found])
