"""The leader lock: one holder per store at a time, handed over on release or when the holder's
session dies (PostgreSQL's advisory lock); SQLite's sole instance always holds it. And the
leader's duties (bot/runtime/leader.py) started and stopped with it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg

from bot.runtime.leader import Leadership
from bot.store.leadership import SoleLeader
from bot.store.postgres import PostgresStore
from bot.store.postgres.leader import AdvisoryLeaderLock
from tests.postgres import PostgresDatabase


async def test_one_holder_at_a_time_handed_over_on_release_and_on_a_dead_session(
    postgres: PostgresDatabase,
) -> None:
    url = await postgres.fresh_schema()
    other_schema = await postgres.fresh_schema()
    first = AdvisoryLeaderLock(url, retry=0.05, ping=0.05)
    second = AdvisoryLeaderLock(url, retry=0.05, ping=0.05)
    elsewhere = AdvisoryLeaderLock(other_schema, retry=0.05, ping=0.05)
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        assert await elsewhere.try_acquire()  # another store (schema) has its own leader
        await first.release()
        assert await second.try_acquire()
        assert not await first.try_acquire()

        # The holder's session is ended by the server (its process died, its network broke):
        # the holder notices, and the lock is free for the other.
        await elsewhere.release()
        watching = asyncio.create_task(second.lost())
        admin = await asyncpg.connect(url)
        try:
            ended = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        finally:
            await admin.close()
        assert ended == 1
        await asyncio.wait_for(watching, 10)
        await asyncio.wait_for(first.acquire(), 10)
    finally:
        for lock in (first, second, elsewhere):
            await lock.release()


class _Lock:
    """A lock the test hands out and takes away."""

    def __init__(self, free: bool) -> None:
        self.free = asyncio.Event()
        if free:
            self.free.set()
        self.gone = asyncio.Event()
        self.released = 0

    async def try_acquire(self) -> bool:
        return self.free.is_set()

    async def acquire(self) -> None:
        await self.free.wait()

    async def lost(self) -> None:
        await self.gone.wait()

    async def release(self) -> None:
        self.released += 1


async def test_duties_start_with_the_lead_and_stop_when_it_is_lost() -> None:
    events: list[str] = []
    changed = asyncio.Event()

    async def start() -> None:
        events.append("start")
        changed.set()

    async def stop() -> None:
        events.append("stop")
        changed.set()

    async def until(done: Callable[[], bool]) -> None:
        async with asyncio.timeout(5):
            while not done():
                await changed.wait()
                changed.clear()

    # webhook mode: another leads, so this one answers and stands by, then leads when it can
    lock = _Lock(free=False)
    standby = Leadership(lock, start, stop)
    await standby.begin(wait=False)
    assert events == [] and not standby.leading
    lock.free.set()
    await until(lambda: standby.leading)
    assert events == ["start"]
    lock.gone.set()  # the connection holding it went away: the duties stop, and it stands by again
    lock.free.clear()
    await until(lambda: events == ["start", "stop"])
    assert not standby.leading
    await standby.end()
    assert lock.released == 1

    # long polling: the lead lost stops the duties (and polling, bot/app.py) and the instance waits
    # for the lock again like any standby; it leads again when the lock comes back
    events.clear()
    lock = _Lock(free=True)
    polling = Leadership(lock, start, stop)
    await polling.begin(wait=True)
    assert polling.leading and events == ["start"] and not polling.lost
    lock.free.clear()
    lock.gone.set()
    await until(lambda: events == ["start", "stop"])
    assert polling.lost and not polling.leading
    lock.gone.clear()
    lock.free.set()
    await until(lambda: polling.leading)
    assert events == ["start", "stop", "start"]
    await polling.end()


async def test_sqlite_has_one_instance_which_always_leads() -> None:
    lock = SoleLeader()
    assert await lock.try_acquire()
    await lock.acquire()
    await lock.release()
    await asyncio.wait_for(lock.lost(), 1)


async def test_a_store_hands_out_its_engines_lock(postgres: PostgresDatabase) -> None:
    store = await PostgresStore.open(await postgres.fresh_schema(), pool_size=2)
    try:
        assert isinstance(store.leader_lock(), AdvisoryLeaderLock)
    finally:
        await store.close()
