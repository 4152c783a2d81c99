"""Reader updates over several processes: `NEWSBOT_WORKERS` processes share one bot's load.

Long polling has a single consumer of getUpdates (Telegram answers a second one with 409
Conflict), so the `newsbot run` process polls, and hands each update, as the raw JSON Telegram
sent, to the process that owns its reader: shard = user id mod workers. Shard 0 is the polling
process itself, which also runs push delivery and feed polling; every other shard is a worker
process running the same python-telegram-bot Application (the same handlers, its own HTTP client
to the Bot API, its own connection to the SQLite store in WAL mode), fed through its standard
input. One reader's updates always reach one process, so the flood guard's counts and the chat's
data stay whole; only the polling process parses the updates it keeps.

A worker reports each update it has handled. One that dies is logged in one line; the updates it
was given and had not answered, and its readers until a new worker has started, are handled by
the polling process. Workers ignore SIGINT and SIGTERM and stop when their input closes: the
polling process closes it after its last getUpdates, so an update handed to a worker is handled
before the worker exits. Webhook mode runs in one process (NEWSBOT_WORKERS is for long polling).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import pickle
import signal
import struct
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import Application, ExtBot
from telegram.request import BaseRequest

from bot import logs, redact
from bot.config import Settings
from bot.delivery.limiter import COUNTED_METHODS, PACED, Lane, RateLimiter, retry_after_seconds

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
JSONDict = dict[str, Any]

_HEADER = struct.Struct(">I")
READY = b"ready\n"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
RESPAWN_PAUSE = 5.0
REPLY_RETRIES = 3  # a reply answered 429 is sent again after the pause, this many times


def shard_key(raw: JSONDict) -> int:
    """The id an update belongs to: its sender's (`from`, or `user` for reactions), else its chat's."""
    for key, value in raw.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        for field in ("from", "user", "chat"):
            who = value.get(field)
            if isinstance(who, dict) and isinstance(who.get("id"), int):
                return int(who["id"])
    return 0


def frame(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload)) + payload


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """The next length-prefixed frame, or None at the end of the input."""
    try:
        header = await reader.readexactly(_HEADER.size)
        return await reader.readexactly(_HEADER.unpack(header)[0])
    except asyncio.IncompleteReadError:
        return None


async def enqueue(app: AnyApplication, raw: JSONDict, where: str) -> bool:
    """Queue Telegram's raw update for `app`'s handlers; False (and a log line) if it cannot be read."""
    try:
        update = Update.de_json(raw, app.bot)
    except (ValueError, TypeError, KeyError) as exc:
        log.error("%s: update %s could not be read and was skipped (%s)", where, raw.get("update_id"), exc)
        return False
    await app.update_queue.put(update)
    return True


class _Worker:
    """One worker process and the updates handed to it that it has not yet reported handled."""

    __slots__ = ("acks", "pending", "process", "shard", "started")

    def __init__(self, shard: int, process: asyncio.subprocess.Process) -> None:
        self.shard = shard
        self.process = process
        self.started = time.monotonic()
        self.pending: dict[int, JSONDict] = {}
        self.acks: asyncio.Task[None] | None = None

    @property
    def writable(self) -> bool:
        stdin = self.process.stdin
        return self.process.returncode is None and stdin is not None and not stdin.is_closing()


class WorkerPool:
    """The worker processes for shards 1..count-1, started and stopped by the polling process.

    Each worker reports every update it has handled (its id, a line on its standard output). When
    a worker dies, the updates it was given and had not reported are handled by the polling
    process's own Application, `app`: an update may then be answered twice, never lost.
    """

    def __init__(self, settings: Settings, count: int, app: AnyApplication, pace_file: Path | None = None) -> None:
        self.settings = settings
        self.count = count
        self._app = app
        self._pace_file = pace_file  # the group's shared sending schedule (bot.delivery.limiter)
        self._workers: dict[int, _Worker] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def start(self) -> None:
        started = await asyncio.gather(*(self._spawn(shard) for shard in range(1, self.count)))
        log.info("%d of %d worker processes ready", sum(started), self.count - 1)

    async def _spawn(self, shard: int) -> bool:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.workers", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(frame(pickle.dumps((self.settings, shard, self._pace_file))))
        try:
            async with asyncio.timeout(START_TIMEOUT):
                ready = await process.stdout.readline()
        except TimeoutError:
            ready = b""
        except asyncio.CancelledError:  # the bot stops while this worker starts
            process.kill()
            await process.wait()
            raise
        if ready != READY:
            log.error("worker %d did not start (exit code %s): its readers are handled here", shard, process.returncode)
            if process.returncode is None:
                process.kill()
            await process.wait()
            self._respawn_later(shard, None)
            return False
        worker = _Worker(shard, process)
        worker.acks = self._track(self._read_acks(worker))
        self._workers[shard] = worker
        return True

    def _track(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coroutine, name=getattr(coroutine, "__qualname__", None))
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        """A task of the pool's ended: one that failed is logged here, once, with its traceback."""
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("worker pool: %s failed", task.get_name(), exc_info=error)

    def shard_of(self, raw: JSONDict) -> int:
        return shard_key(raw) % self.count

    def dispatch(self, raw: JSONDict) -> bool:
        """Hand the update to its worker; False when it is this process's to handle."""
        shard = self.shard_of(raw)
        if shard == 0:
            return False
        worker = self._workers.get(shard)
        if worker is None or not worker.writable:
            return False
        assert worker.process.stdin is not None
        worker.pending[int(raw["update_id"])] = raw
        # Not awaited: a worker that hangs holds up its own readers only, not the polling (its
        # input waits in memory; its readers' updates are answered when it resumes or dies).
        worker.process.stdin.write(frame(json.dumps(raw, ensure_ascii=False).encode()))
        return True

    async def _read_acks(self, worker: _Worker) -> None:
        stdout = worker.process.stdout
        assert stdout is not None
        while line := await stdout.readline():
            with contextlib.suppress(ValueError):
                worker.pending.pop(int(line), None)
        await worker.process.wait()
        if self._workers.get(worker.shard) is worker:
            del self._workers[worker.shard]
        if self._stopping:
            if worker.pending:
                log.error("worker %d ended with %d updates unanswered", worker.shard, len(worker.pending))
            return
        code = worker.process.returncode
        log.error(
            "worker %d stopped (exit code %s): %d updates it had not answered, and its readers, are handled here",
            worker.shard,
            code,
            len(worker.pending),
        )
        pending, worker.pending = list(worker.pending.values()), {}
        for raw in pending:
            await enqueue(self._app, raw, "polling process")
        self._respawn_later(worker.shard, worker)

    def _respawn_later(self, shard: int, worker: _Worker | None) -> None:
        if not self._stopping:
            self._track(self._respawn(shard, worker))

    async def _respawn(self, shard: int, worker: _Worker | None) -> None:
        # A worker that keeps dying at once is not restarted in a tight loop.
        age = time.monotonic() - worker.started if worker is not None else 0.0
        await asyncio.sleep(max(0.0, RESPAWN_PAUSE - age))
        if not self._stopping and await self._spawn(shard):
            log.info("worker %d started again", shard)

    async def stop(self) -> None:
        """Close every worker's input, then wait for it to finish what it was given."""
        self._stopping = True
        workers = list(self._workers.values())
        for task in list(self._tasks):
            if not any(task is worker.acks for worker in workers):
                task.cancel()
        for worker in workers:
            if worker.process.stdin is not None and not worker.process.stdin.is_closing():
                worker.process.stdin.close()
        for worker in workers:
            try:
                async with asyncio.timeout(STOP_TIMEOUT):
                    await worker.process.wait()
            except TimeoutError:
                log.error("worker %d did not stop within %.0f s: killed", worker.shard, STOP_TIMEOUT)
                worker.process.kill()
                await worker.process.wait()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._workers.clear()


class ShardingBot(ExtBot[None]):
    """The bot of every process: in the polling process, getUpdates hands every other shard's
    updates to its worker; in every process, each message sent draws a slot from the group's
    sending budget (`use_budget`, bot.delivery.limiter) in the replies' lane, unless its sender
    already drew one (the delivery worker), and a reply answered 429 pauses the budget and goes
    again after the pause.

    The offset it asks for next covers the updates handed on, so Telegram confirms them too.
    Without a pool (one process, webhook mode, tests, the console) getUpdates is PTB's unchanged.
    """

    __slots__ = ("_budget", "_next_offset", "_pool")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # PTB's Bot is frozen after __init__; attributes with a leading underscore stay settable.
        self._pool: WorkerPool | None = None
        self._budget: RateLimiter | None = None
        self._next_offset = 0

    @property
    def budget(self) -> RateLimiter | None:
        return self._budget

    def use_budget(self, budget: RateLimiter | None) -> None:
        self._budget = budget

    @property
    def pool(self) -> WorkerPool | None:
        return self._pool

    def use_pool(self, pool: WorkerPool | None) -> None:
        self._pool = pool

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: Any = None,
        allowed_updates: Any = None,
        *,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> tuple[Update, ...]:
        if self.pool is not None and offset is not None and offset >= 0:
            offset = max(offset, self._next_offset)
        return await super().get_updates(
            offset=offset,
            limit=limit,
            timeout=timeout,
            allowed_updates=allowed_updates,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )

    async def _do_post(
        self,
        endpoint: str,
        data: JSONDict,
        *,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> bool | JSONDict | list[JSONDict]:
        budget = self._budget
        tries = 0
        while True:
            if budget is not None and endpoint in COUNTED_METHODS and not PACED.get():
                await budget.acquire(None, Lane.REPLY)
            try:
                result = await super()._do_post(
                    endpoint,
                    data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except RetryAfter as exc:
                if budget is None or endpoint not in COUNTED_METHODS or PACED.get():
                    raise  # the delivery worker pauses the budget and sends it again itself
                budget.pause(retry_after_seconds(exc))
                tries += 1
                if tries > REPLY_RETRIES:
                    raise
                continue
            break
        pool = self.pool
        if endpoint != "getUpdates" or pool is None or not isinstance(result, list) or not result:
            return result
        kept: list[JSONDict] = []
        for raw in result:
            if not pool.dispatch(raw):
                kept.append(raw)
        self._next_offset = max(self._next_offset, int(result[-1]["update_id"]) + 1)
        return kept


# -- the worker process --------------------------------------------------------------------------


async def serve(reader: asyncio.StreamReader) -> int:
    """Run one shard: an Application on its own store connection, fed updates from `reader`."""
    from bot.app import build_application, settle_memory
    from bot.store import Store

    first = await read_frame(reader)
    if first is None:
        return 2
    settings, shard, pace_file = pickle.loads(first)  # noqa: S301 - written by the polling process that started us
    redact.remember(settings.token, settings.webhook_secret)
    logs.configure(settings.log_level, settings.log_format)
    logs.set_process(shard)
    store = await Store.open(settings.db_path)
    try:
        app = build_application(settings, store=store, pace_file=pace_file)
        app.update_processor.on_done(_acknowledge)  # type: ignore[attr-defined]
        async with app:
            await app.start()
            settle_memory()
            _tell(READY)
            log.info("worker %d of %d ready", shard, settings.workers)
            try:
                while (payload := await read_frame(reader)) is not None:
                    try:
                        raw = json.loads(payload)
                    except ValueError as exc:  # written by the polling process: never seen
                        log.error("worker %d: a frame that is not JSON was skipped (%s)", shard, exc)
                        continue
                    if not await enqueue(app, raw, f"worker {shard}"):
                        _acknowledge(int(raw["update_id"]))  # skipped is handled: nothing to redo
            finally:
                await app.stop()
    finally:
        await store.close()
    return 0


def _acknowledge(update_id: int) -> None:
    """Tell the polling process this update is handled (a small write to a pipe it keeps reading)."""
    _tell(b"%d\n" % update_id)


def _tell(line: bytes) -> None:
    # Unbuffered: nothing is left to flush at exit. A polling process that is gone closes our
    # input too, and that is what ends this worker.
    with contextlib.suppress(BrokenPipeError):
        os.write(sys.stdout.fileno(), line)


async def _stdin_reader() -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=2**26)
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    return reader


async def _main() -> int:
    return await serve(await _stdin_reader())


def main() -> int:
    # The polling process stops its workers by closing their input once its own updates are in;
    # a terminal's Ctrl-C or a service manager's SIGTERM reaches the whole group at once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logs.configure("INFO")
    try:
        return asyncio.run(_main())
    except Exception:  # one record with its traceback (the polling process logs the exit code)
        log.exception("worker failed")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
