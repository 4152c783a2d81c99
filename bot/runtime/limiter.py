"""Sending within Telegram's limits: one budget for every message the bot sends.

Telegram allows about 30 messages a second overall and does not say how it counts them. A server
that counts a strict sliding one-second window refuses the 31st message in *any* second, and the
network moves each message's arrival a little; a token bucket forgives short bursts. The budget
keeps to the strictest reasonable model:

- **Even spacing, with a margin.** Slots are handed out `1 / (rate × (1 − margin))` apart, never in
  bursts, so no one-second window holds more than the cap even when each arrival is moved by up
  to `margin` seconds of jitter (2 % of 30/s: 20 ms).
- **No slot held ahead.** Waiting senders queue *in this process* by lane (replies to readers
  first, then breaking news, then routine pushes; oldest first within a lane); the head of the
  queue takes the group's next slot when it falls due, and yields to a more urgent sender that
  queued meanwhile: a reply never waits behind hundreds of pushes, and a broadcast queued behind
  500 routine pushes takes the very next slot. Readers asking without pause cannot starve pushes:
  after `FAIR_EVERY` replies in a row while pushes wait, the most urgent push goes.
- **A 429 pauses everything** for its `retry_after` and lowers the pace by `backoff` (at most down
  to `floor`); from the end of the pause the pace creeps back by `recovery` a second.
- **One budget per process group.** With `NEWSBOT_WORKERS`, the schedule (next slot, pause, pace)
  lives in a small shared file (:class:`PaceState.shared`) that every process maps and updates
  under a lock, so replies sent by worker processes and the pushes of process 0 share the cap.
  `time.monotonic` is the system-wide clock on Linux, the same in every process.

Per chat, slots are `chat_interval` apart (about one message a second to one reader). A group,
supergroup or channel (a negative chat id) takes at most 20 messages a minute (Telegram's group
limit, held for channels too: the strictest reading), so its slots are `group_interval` apart:
three seconds and the margin, whoever sends (a push, or a reply to /latest@bot in the group).
Time and sleeping are injected, so tests move a fake clock instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import fcntl
import heapq
import itertools
import mmap
import os
import struct
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from enum import IntEnum
from pathlib import Path

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

Sleep = Callable[[float], Awaitable[None]]

MARGIN = 0.02  # share of the cap left unused: room for 20 ms of jitter per second
BACKOFF = 0.9  # the pace after a 429, as a share of the pace before it
FLOOR = 0.5  # the pace never drops below this share of the margined rate
RECOVERY = 0.01  # share of the margined rate regained each second after a 429's pause
FAIR_EVERY = 3  # while pushes wait, at most this many replies in a row: pushes keep a quarter of the pace
# A late wake-up keeps its place in the schedule for this share of an interval, so the loop's own
# latency does not slow the pace; beyond it the schedule restarts from now (no catch-up burst).
_LATE = 0.1


def retry_after_seconds(exc: RetryAfter) -> float:
    """A 429's retry_after in seconds (PTB gives a number or a timedelta, depending on a setting)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Lane(IntEnum):
    """Who waits first for a slot (lower first)."""

    REPLY = 0  # an answer to a reader's command or button
    URGENT = 1  # breaking news: broadcasts, items marked urgent
    ROUTINE = 2  # queued pushes, digests, corrections


# next slot, paused until, current interval, end of the last 429's pause, factor set by it, pauses
_LAYOUT = struct.Struct("<dddddq")


class PaceState:
    """The schedule every sender in the process group shares: in this process's memory, or in a
    file mapped by every process of the group (:meth:`shared`), read and written under a lock."""

    def __init__(self, path: Path | None = None, *, owner: bool = False) -> None:
        self.path = path
        self._owner = owner
        self._fd: int | None = None
        if path is None:
            self._map = mmap.mmap(-1, _LAYOUT.size)
            self._write(0.0, 0.0, 1.0, -1e18, 1.0, 0)
        else:
            self._fd = os.open(path, os.O_RDWR)
            self._map = mmap.mmap(self._fd, _LAYOUT.size)

    @classmethod
    def shared(cls) -> PaceState:
        """A new shared schedule in a fresh private file (mode 0600, in the temporary folder); pass its
        `path` to the other processes (:meth:`attach`); the creator removes the file in :meth:`close`."""
        fd, name = tempfile.mkstemp(prefix="newsbot-pace-")
        try:
            os.write(fd, _LAYOUT.pack(0.0, 0.0, 1.0, -1e18, 1.0, 0))
        finally:
            os.close(fd)
        return cls(Path(name), owner=True)

    @classmethod
    def attach(cls, path: Path) -> PaceState:
        return cls(path)

    def close(self) -> None:
        with contextlib.suppress(ValueError, BufferError):
            self._map.close()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            if self._owner and self.path is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()

    @contextlib.contextmanager
    def locked(self) -> Iterator[list[float]]:
        """The fields as a list to read and change; written back when the block ends."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            fields = list(_LAYOUT.unpack_from(self._map, 0))
            yield fields
            self._write(*fields)
        finally:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _write(self, *fields: float) -> None:
        _LAYOUT.pack_into(self._map, 0, *fields[:5], int(fields[5]))


class RateLimiter:
    """Hands out send slots: `await acquire(chat_id, lane)` returns when a message may go.

    `pause(seconds)` (a 429's retry_after) holds every slot of the group until the pause ends, and
    lowers the pace for a while; slots reserved before it are given up and taken again after it.
    """

    def __init__(
        self,
        rate: float,
        *,
        chat_interval: float = 1.0,
        group_interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        state: PaceState | None = None,
        margin: float = MARGIN,
        backoff: float = BACKOFF,
        floor: float = FLOOR,
        recovery: float = RECOVERY,
        late: float = 0.0,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if not 0 <= margin < 1:
            raise ValueError("margin must be in [0, 1)")
        self.rate = rate
        self.pace = rate * (1.0 - margin)  # the steady messages per second aimed at
        self.interval = 1.0 / self.pace
        self.chat_interval = chat_interval
        self.group_interval = GROUP_INTERVAL * (1.0 + margin) if group_interval is None else group_interval
        self.backoff = backoff
        self.floor = floor
        self.recovery = recovery
        # A wake-up this many seconds late (at most) still takes its slot on schedule, so several go
        # at once to catch up: at a high pace (paid broadcasts, 1,000/s) one slot per wake-up would tie
        # the pace to the event loop's latency. Sends then land up to `late` behind their slots, so
        # any one second holds at most pace × (1 + late): keep `late` + network jitter within the margin.
        self.late = late
        self._clock = clock
        self._sleep = sleep
        self.state = state or PaceState()
        self._chat_next: dict[int, float] = {}
        self._queue: list[tuple[int, int, asyncio.Future[None]]] = []  # (lane, seq, future): waiting senders
        self._order = itertools.count()
        self._head_busy = False
        self._fair_turn = False  # the head is a push given its turn among replies: it does not yield
        self._pushes_waiting = 0  # queued senders in the push lanes
        self._replies_in_a_row = 0
        self.pauses = 0
        self.sent_by_lane: dict[Lane, int] = dict.fromkeys(Lane, 0)

    @property
    def paused_until(self) -> float:
        with self.state.locked() as f:
            return f[1]

    def factor(self) -> float:
        """The current share of the margined rate (1.0 unless a recent 429 lowered it)."""
        with self.state.locked() as f:
            return self._factor(f, self._clock())

    def _factor(self, f: list[float], now: float) -> float:
        return min(1.0, f[4] + max(0.0, now - f[3]) * self.recovery)

    def pause(self, seconds: float) -> None:
        """Hold all sending for `seconds` from now, and lower the pace (a 429's retry_after)."""
        now = self._clock()
        until = now + max(0.0, seconds)
        with self.state.locked() as f:
            if until <= f[1]:
                return  # within a pause already taken (a 429 to a request sent before it)
            f[1] = until
            f[0] = until
            f[5] += 1
            f[4] = max(self.floor, self._factor(f, now) * self.backoff)
            f[3] = until  # the pace creeps back from the end of the pause
        self.pauses += 1

    async def acquire(self, chat_id: int | None, lane: Lane = Lane.ROUTINE) -> None:
        if chat_id is not None:
            await self._chat_slot(chat_id)
        seq = next(self._order)
        while True:
            await self._enter(lane, seq)
            try:
                if await self._take_slot(lane):
                    self.sent_by_lane[lane] += 1
                    return
            finally:
                self._leave()
            # a more urgent sender arrived while this one waited: it goes first, this one after it

    async def _enter(self, lane: Lane, seq: int) -> None:
        """Wait to be the head of this process's queue (lane first, then the order of arrival)."""
        if not self._head_busy and not self._queue:
            self._head_busy = True
            self._fair_turn = self._owed_a_turn(lane)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._queue, (int(lane), seq, future))
        if lane is not Lane.REPLY:
            self._pushes_waiting += 1
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._leave()  # it was made the head just as it was cancelled: pass it on
            else:
                self._queue = [e for e in self._queue if e[2] is not future]
                heapq.heapify(self._queue)
                if lane is not Lane.REPLY:
                    self._pushes_waiting -= 1
            raise

    def _leave(self) -> None:
        """Pass the head on: to the most urgent waiter, except that after `FAIR_EVERY` replies in a
        row while pushes wait, the most urgent push has its turn (replies never starve pushes)."""
        while self._queue:
            if self._replies_in_a_row >= FAIR_EVERY and self._pushes_waiting and self._queue[0][0] == Lane.REPLY:
                entry = min(e for e in self._queue if e[0] != Lane.REPLY)
                self._queue.remove(entry)
                heapq.heapify(self._queue)
                self._fair_turn = True
            else:
                entry = heapq.heappop(self._queue)
                self._fair_turn = self._owed_a_turn(Lane(entry[0]))
            lane, _, future = entry
            if lane != Lane.REPLY:
                self._pushes_waiting -= 1
            if not future.done():
                future.set_result(None)  # the head passes to the next waiter
                return
        self._head_busy = False

    def _owed_a_turn(self, lane: Lane) -> bool:
        """A push that becomes the head after `FAIR_EVERY` replies in a row keeps its turn even if a
        reply arrives while it waits for the slot (replies that come one at a time, each within a
        slot's interval, would otherwise take every slot from it)."""
        return lane is not Lane.REPLY and self._replies_in_a_row >= FAIR_EVERY

    async def _take_slot(self, lane: Lane) -> bool:
        """As the head of this process's queue: wait for the group's next slot and take it when it
        is due (never ahead: a slot is not held while a more urgent sender may come); False when a
        sender of a more urgent lane queued up meanwhile (unless this is a push's fair turn)."""
        while True:
            if not self._fair_turn and self._queue and self._queue[0][0] < lane:
                return False
            now = self._clock()
            with self.state.locked() as f:
                interval = self.interval / self._factor(f, now)
                # On schedule (or a little late: the schedule holds), else from now: never a burst.
                slot = max(f[0] if f[0] >= now - max(_LATE * interval, self.late) else now, f[1])
                if slot <= now:
                    f[0] = slot + interval
                    f[2] = interval
                    self._replies_in_a_row = self._replies_in_a_row + 1 if lane is Lane.REPLY else 0
                    return True
            await self._sleep(slot - now)

    async def _chat_slot(self, chat_id: int) -> None:
        interval = self.chat_interval if chat_id >= 0 else max(self.chat_interval, self.group_interval)
        if interval <= 0:
            return
        now = self._clock()
        slot = max(now, self._chat_next.get(chat_id, 0.0))
        self._chat_next[chat_id] = slot + interval
        if len(self._chat_next) > 50_000:
            self._forget_idle_chats(now)
        if slot > now:
            await self._sleep(slot - now)

    def _forget_idle_chats(self, now: float) -> None:
        for chat_id in [c for c, t in self._chat_next.items() if t <= now]:
            del self._chat_next[chat_id]


# Telegram's group limit: 20 messages a minute to one group (held for channels too).
GROUP_INTERVAL = 60.0 / 20

# The Bot API methods that put a message in a chat: each draws a slot from the budget.
COUNTED_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendMediaGroup",
        "sendDocument",
        "sendVideo",
        "sendAnimation",
        "sendAudio",
        "sendVoice",
        "sendSticker",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "copyMessage",
        "forwardMessage",
    }
)

# Set by a sender that has already drawn its slot (the delivery worker): the bot's HTTP layer then
# does not draw another. Context-local, so it holds for one task's calls only.
PACED: contextvars.ContextVar[bool] = contextvars.ContextVar("newsbot_paced", default=False)
