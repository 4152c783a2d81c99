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
import pickle
import struct
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from telegram import Message, Update
from telegram.ext import Application, ExtBot
from telegram.request import BaseRequest

from bot.config import Settings
from bot.runtime.limiter import RateLimiter
from bot.runtime.telegram_http import AiohttpRequest

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
JSONDict = dict[str, Any]

_HEADER = struct.Struct(">I")
READY = b"ready\n"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
RESPAWN_PAUSE = 5.0


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


# A pressed button's message as Telegram echoes it in the callback query: fields no handler reads,
# dropped before python-telegram-bot parses the update (`lighten`). Turning the message's text
# entities and every button of its keyboard into objects was about a quarter of the CPU a page
# turn took (py-spy of bench/bench_updates.py --only 'page turn': Message.de_json 24 % of samples).
_UNREAD_MESSAGE_FIELDS = ("entities", "caption_entities", "from", "link_preview_options")
# The keyboard the pressed message shows, kept as Telegram's JSON in the message's `api_kwargs`
# under this name (python-telegram-bot files a field it does not know there, unparsed): what
# `shown_keyboard` gives the handlers, who compare it with the keyboard they would show.
SHOWN_KEYBOARD = "newsbot_shown_keyboard"


def lighten(raw: JSONDict) -> bool:
    """Drop from a callback query's message what the handlers never read (its text entities, its
    sender: the bot itself, its link preview options) and keep its keyboard unparsed
    (SHOWN_KEYBOARD); True if the update changed. What they read stays: the chat, the message id,
    the text or caption, the thread, the date. Every other update is left as it is."""
    query = raw.get("callback_query")
    message = query.get("message") if isinstance(query, dict) else None
    if not isinstance(message, dict) or not message.get("date"):  # date 0: an inaccessible message
        return False
    changed = False
    for name in _UNREAD_MESSAGE_FIELDS:
        changed = message.pop(name, None) is not None or changed
    if "reply_markup" in message:
        message[SHOWN_KEYBOARD] = message.pop("reply_markup")
        changed = True
    return changed


def shown_keyboard(message: Message) -> JSONDict | None:
    """The inline keyboard under a pressed button's message, as JSON (`InlineKeyboardMarkup.to_dict`'s
    form); None when it has none. A message not lightened (webhook mode) has it parsed."""
    kept = message.api_kwargs.get(SHOWN_KEYBOARD)
    if isinstance(kept, dict):
        return kept
    return message.reply_markup.to_dict() if message.reply_markup else None


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
        self._pace_file = pace_file  # the group's shared sending schedule (bot.runtime.limiter)
        self.settings = settings
        self.count = count
        self._app = app
        self._workers: dict[int, _Worker] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def start(self) -> None:
        started = await asyncio.gather(*(self._spawn(shard) for shard in range(1, self.count)))
        log.info("%d of %d worker processes ready", sum(started), self.count - 1)

    async def _spawn(self, shard: int) -> bool:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.worker", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
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


class Sharding:
    """What the polling process's bot and its getUpdates client share: the worker pool (None with
    one process) and the offset that covers the updates handed on, so Telegram confirms them too."""

    __slots__ = ("next_offset", "pool")

    def __init__(self) -> None:
        self.pool: WorkerPool | None = None
        self.next_offset = 0

    def keep(self, body: bytes) -> bytes:
        """A getUpdates answer as Telegram sent it, less the updates handed to other shards' workers,
        and with the callback queries' messages lightened (`lighten`).

        Done on the raw answer, through python-telegram-bot's public request interface
        (`BaseRequest.do_request`), so the polling process never parses the updates it hands on;
        the kept ones are written back for PTB to parse as usual.
        """
        pool = self.pool
        if pool is None and b'"callback_query"' not in body:
            return body
        try:
            answer = json.loads(body)
        except ValueError:
            return body  # not JSON: PTB reports it as it would have
        result = answer.get("result") if isinstance(answer, dict) and answer.get("ok") else None
        if not isinstance(result, list) or not result:
            return body
        lightened = sum([lighten(raw) for raw in result if isinstance(raw, dict)])
        if pool is None:
            kept = result
        else:
            kept = [raw for raw in result if not pool.dispatch(raw)]
            self.next_offset = max(self.next_offset, int(result[-1]["update_id"]) + 1)
        if len(kept) == len(result) and not lightened:
            return body
        answer["result"] = kept
        return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()


class ShardingRequest(AiohttpRequest):
    """The polling process's getUpdates client: hands each other shard's updates to its worker."""

    __slots__ = ("_sharding",)

    def __init__(self, sharding: Sharding, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sharding = sharding

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, body = await super().do_request(url, method, *args, **kwargs)
        if status == 200 and url.endswith("/getUpdates"):
            body = self._sharding.keep(body)
        return status, body


class ShardingBot(ExtBot[None]):
    """The bot of the polling process: its getUpdates client (a ShardingRequest) hands every other
    shard's updates to its worker, and the offset it asks for next covers them.
    Without a pool (one process, webhook mode, tests, the console) it is PTB's ExtBot unchanged.
    """

    __slots__ = ("_budget", "_sharding")

    def __init__(
        self, *args: Any, sharding: Sharding | None = None, budget: RateLimiter | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # PTB's Bot is frozen after __init__; attributes with a leading underscore stay settable.
        self._sharding = sharding or Sharding()
        self._budget = budget

    @property
    def budget(self) -> RateLimiter | None:
        """The process group's sending budget its HTTP client draws from (bot.runtime.limiter)."""
        return self._budget

    @property
    def pool(self) -> WorkerPool | None:
        return self._sharding.pool

    def use_pool(self, pool: WorkerPool | None) -> None:
        self._sharding.pool = pool

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
            offset = max(offset, self._sharding.next_offset)
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
