"""Groups, supergroups and channels on PostgreSQL (issue 15), each also a reader row with its id."""

from __future__ import annotations

from bot.models import ChatCount, ChatKind, NewsChat
from bot.store import rows
from bot.store.postgres.db import PgDatabase, affected, now_ts

_COLUMNS = rows.CHAT_COLUMNS.format(agg="string_agg(t.slug, ',')")
_SELECT = f"SELECT {_COLUMNS} FROM chats c JOIN readers r ON r.id = c.id"


class PgChatRepository:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def save(
        self, chat_id: int, kind: ChatKind, title: str | None, username: str | None, *, linked_by: int | None = None
    ) -> NewsChat:
        now = now_ts()
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO readers (id, first_name, username, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) "
                "ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, username = excluded.username, "
                "updated_at = excluded.updated_at",
                chat_id, title, username, now,
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO chats (id, kind, title, username, linked_by, created_at, updated_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, "
                "title = excluded.title, username = excluded.username, "
                "linked_by = coalesce(excluded.linked_by, chats.linked_by), updated_at = excluded.updated_at",
                chat_id, kind.value, title, username, linked_by, now,
            )  # fmt: skip
        found = await self.get(chat_id)
        assert found is not None  # just written
        return found

    async def get(self, chat_id: int) -> NewsChat | None:
        row = await self._db.fetchrow(f"{_SELECT} WHERE c.id = $1", chat_id)
        return rows.news_chat(row) if row else None

    async def by_username(self, username: str) -> NewsChat | None:
        row = await self._db.fetchrow(
            f"{_SELECT} WHERE lower(c.username) = lower($1) ORDER BY r.status = 'gone', c.id LIMIT 1",
            username.lstrip("@"),
        )
        return rows.news_chat(row) if row else None

    async def all(self) -> list[NewsChat]:
        found = await self._db.fetch(f"{_SELECT} ORDER BY c.kind <> 'channel', c.id")
        return [rows.news_chat(r) for r in found]

    async def pause(self, chat_id: int, reason: str) -> bool:
        now = now_ts()
        async with self._db.transaction() as conn:
            status = await conn.execute(
                "UPDATE readers SET status = 'blocked', updated_at = $2 WHERE id = $1 AND status = 'active' "
                "AND id IN (SELECT id FROM chats)",
                chat_id, now,
            )  # fmt: skip
            changed = affected(status) == 1
            await conn.execute("UPDATE chats SET paused = $2, updated_at = $3 WHERE id = $1", chat_id, reason, now)
            if changed:
                await conn.execute(
                    "UPDATE deliveries SET state = 'cancelled', error = $2 "
                    "WHERE reader_id = $1 AND state IN ('queued', 'sending')",
                    chat_id, f"paused: {reason}",
                )  # fmt: skip
        return changed

    async def resume(self, chat_id: int) -> bool:
        now = now_ts()
        async with self._db.transaction() as conn:
            status = await conn.execute(
                "UPDATE readers SET status = 'active', updated_at = $2 WHERE id = $1 AND status = 'blocked' "
                "AND id IN (SELECT id FROM chats)",
                chat_id, now,
            )  # fmt: skip
            await conn.execute("UPDATE chats SET paused = NULL, updated_at = $2 WHERE id = $1", chat_id, now)
        return affected(status) == 1

    async def unlink(self, chat_id: int) -> bool:
        async with self._db.transaction() as conn:
            status = await conn.execute(
                "UPDATE readers SET status = 'stopped', updated_at = $2 WHERE id = $1 "
                "AND status IN ('active', 'blocked') AND id IN (SELECT id FROM chats)",
                chat_id, now_ts(),
            )  # fmt: skip
            await conn.execute("DELETE FROM subscriptions WHERE reader_id = $1", chat_id)
            await conn.execute(
                "UPDATE deliveries SET state = 'cancelled', error = 'unlinked' "
                "WHERE reader_id = $1 AND state IN ('queued', 'sending')",
                chat_id,
            )
        return affected(status) == 1

    async def migrate(self, old_id: int, new_id: int) -> NewsChat | None:
        now = now_ts()
        async with self._db.transaction() as conn:
            old = await conn.fetchrow("SELECT migrated_to FROM chats WHERE id = $1 FOR UPDATE", old_id)
            if old is None:
                return None
            if old["migrated_to"] != new_id:
                await conn.execute(
                    "INSERT INTO readers (id, first_name, username, status, arabic_digits, created_at, updated_at) "
                    "SELECT $1, first_name, username, status, arabic_digits, $3, $3 FROM readers WHERE id = $2 "
                    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
                    new_id, old_id, now,
                )  # fmt: skip
                await conn.execute(
                    "INSERT INTO chats (id, kind, title, username, linked_by, members, paused, created_at, updated_at) "
                    "SELECT $1, 'supergroup', title, username, linked_by, members, paused, $3, $3 FROM chats "
                    "WHERE id = $2 ON CONFLICT (id) DO UPDATE SET kind = 'supergroup', "
                    "linked_by = excluded.linked_by, paused = excluded.paused, updated_at = excluded.updated_at",
                    new_id, old_id, now,
                )  # fmt: skip
                await conn.execute(
                    "INSERT INTO subscriptions (reader_id, topic_id, created_at, after_seq) "
                    "SELECT $1, topic_id, created_at, after_seq FROM subscriptions WHERE reader_id = $2 "
                    "ON CONFLICT DO NOTHING",
                    new_id, old_id,
                )  # fmt: skip
                await conn.execute("DELETE FROM subscriptions WHERE reader_id = $1", old_id)
                await conn.execute(
                    "UPDATE deliveries d SET reader_id = $1 WHERE d.reader_id = $2 "
                    "AND d.state IN ('queued', 'sending') AND NOT EXISTS "
                    "(SELECT 1 FROM deliveries x WHERE x.reader_id = $1 AND x.article_id = d.article_id)",
                    new_id, old_id,
                )  # fmt: skip
                await conn.execute(
                    "UPDATE deliveries SET state = 'cancelled', error = 'migrated' "
                    "WHERE reader_id = $1 AND state IN ('queued', 'sending')",
                    old_id,
                )
                await conn.execute("UPDATE readers SET status = 'gone', updated_at = $2 WHERE id = $1", old_id, now)
                await conn.execute(
                    "UPDATE chats SET migrated_to = $2, updated_at = $3 WHERE id = $1", old_id, new_id, now
                )
        return await self.get(new_id)

    async def set_members(self, chat_id: int, members: int) -> None:
        await self._db.execute(
            "UPDATE chats SET members = $2, updated_at = $3 WHERE id = $1", chat_id, members, now_ts()
        )

    async def counts(self) -> list[ChatCount]:
        found = await self._db.fetch(
            "SELECT c.kind, r.status, count(*), sum(c.members) FROM chats c JOIN readers r ON r.id = c.id "
            "GROUP BY c.kind, r.status"
        )
        return rows.chat_counts([tuple(r) for r in found])
