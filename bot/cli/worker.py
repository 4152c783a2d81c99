"""`python -m bot.cli.worker`: one worker process of NEWSBOT_WORKERS (bot/runtime/workers.py).

The polling process starts it with the settings and its shard on standard input, then the raw
updates of the readers it owns, one frame each; it answers READY, then the id of each update it has
handled. It lives beside the command line because, like `newsbot run`, it builds the whole
Application from the composition root (bot/app.py), which the runtime layer may not import.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import pickle
import signal
import sys

from bot import redact
from bot.app import build_application, settle_memory
from bot.runtime import logs
from bot.runtime.workers import READY, enqueue, read_frame
from bot.store import open_store

log = logging.getLogger("bot.runtime.workers")


async def serve(reader: asyncio.StreamReader) -> int:
    """Run one shard: an Application on its own store connection, fed updates from `reader`."""
    first = await read_frame(reader)
    if first is None:
        return 2
    settings, shard, pace_file = pickle.loads(first)  # noqa: S301 - written by the polling process
    redact.remember(settings.token, settings.webhook_secret)
    logs.configure(settings.log_level, settings.log_format)
    logs.set_process(shard)
    store = await open_store(settings.store_location)
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
