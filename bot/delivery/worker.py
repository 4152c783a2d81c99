"""The sending worker: takes recorded deliveries from the store and sends them within the limits.

Every delivery is recorded (by the fan-out, a broadcast) before this worker sees it; it is taken
('sending') in batches, sent, and marked 'sent' with Telegram's message id once Telegram confirms.
Marks are written in small batches; a crash between a confirmation and its mark leaves the
delivery 'sending', and `requeue_in_flight()` at the next start sends it again: those in-flight
sends are the only ones that can repeat.

Telegram's answers:
- 429: every send pauses for retry_after, then this one goes again (not counted as a try);
- 5xx, a dropped connection, a timeout: tried again after a growing pause, and after
  `max_attempts` tries the delivery is left 'failed' with the reason;
- 403 (blocked): the reader becomes BLOCKED and their pending deliveries are cancelled;
- 400 "chat not found": the reader is retired (GONE), likewise;
- any other 400: that delivery is 'failed' with Telegram's text (a bug to fix, not to retry).

Channels and groups (issue 15) are reader rows too, with their kind on each delivery: a channel gets
each item as its own post; a group gets one message listing the items when more than one is due
(Telegram's 20 messages a minute a group: the budget spaces its slots); their buttons are deep links
into the bot. A 403 there (the bot removed) or a refusal for want of rights pauses the chat
(its pending posts cancelled, nothing retried in a loop) and the admins are told; a group upgraded
to a supergroup (400 with migrate_to_chat_id) moves there with its subscriptions and the post goes
to the new id.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from telegram import Bot, LinkPreviewOptions, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.delivery.messages import DIGEST_MAX_ITEMS, DigestItem, Push, PushRenderer, main_topic
from bot.delivery.notices import tell_admins
from bot.delivery.schedule import digest_due, in_quiet_hours
from bot.models import Article, Broadcast, ChatKind, PendingDelivery, ReaderStatus, reader_zone
from bot.runtime.context import NewsBot
from bot.runtime.limiter import PACED, Lane, RateLimiter, retry_after_seconds
from bot.services.chats import Reason
from bot.store.health import log_failure

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
PAID_LATE = 0.01  # seconds a paid-broadcast slot may be taken late and still keep its place (catch-up)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    batch: int = 256  # deliveries taken from the store at a time
    concurrency: int = 64  # requests to Telegram in flight
    max_attempts: int = 5  # tries for 5xx / network errors before a delivery is failed
    backoff: float = 1.0  # pause before the second try; doubles each time
    max_backoff: float = 60.0
    flush_interval: float = 0.05  # seconds between writes of confirmed sends
    chat_interval: float = 1.0  # seconds between two messages to one chat
    digest_batch: int = 500
    merge_above: int = 3  # a reader's instant backlog past this many items goes as one message
    group_merge_above: int = 1  # a group's: more than one item due goes as one message (20 a minute)
    merge_max: int = 100  # items taken into one merged message at most (the rest: another one)


@dataclass(slots=True)
class DeliveryCounters:
    sent: int = 0
    retry_after: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    gone: int = 0
    digests: int = 0
    merged: int = 0  # messages that listed a reader's backlog of instant items
    photo_fallbacks: int = 0  # pictures Telegram could not fetch: those pushes went as text
    paid: int = 0  # breaking news sent with allow_paid_broadcast (NEWSBOT_PAID_BROADCAST_RATE)
    errors: list[str] = field(default_factory=list)


# Telegram's answers when it cannot use a photo given by URL (fetch failed, not an image, too large).
_PHOTO_REFUSALS = (
    "failed to get http url content",
    "wrong file identifier",
    "wrong type of the web page content",
    "image_process_failed",
    "photo_invalid_dimensions",
    "photo_save_file_invalid",
    "file is too big",
    "wrong remote file",
)


# Telegram's 400 answers when the bot is in a chat but may not post there.
_RIGHTS_REFUSALS = ("need administrator rights", "not enough rights", "chat_write_forbidden", "have no rights")


def _rights_refused(message: str) -> bool:
    lowered = message.lower()
    return any(reason in lowered for reason in _RIGHTS_REFUSALS)


def _photo_refused(message: str) -> bool:
    lowered = message.lower()
    return any(reason in lowered for reason in _PHOTO_REFUSALS)


class DeliveryWorker:
    def __init__(
        self,
        news: NewsBot,
        bot: Bot,
        *,
        policy: DeliveryPolicy | None = None,
        limiter: RateLimiter | None = None,
        paid_limiter: RateLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.news = news
        self.bot = bot
        self.policy = policy or DeliveryPolicy()
        # The process group's one sending budget (replies draw from it too), else one of its own.
        self.limiter = (
            limiter
            or getattr(bot, "budget", None)
            or RateLimiter(news.settings.rate, chat_interval=self.policy.chat_interval)
        )
        # Breaking news with Telegram's paid broadcasts: a budget of its own, beside the free one.
        paid_rate = news.settings.paid_broadcast_rate
        # (catching up to 10 ms late: with 10 ms of network jitter, within the 2 % margin of a second)
        self.paid: RateLimiter | None = paid_limiter or (
            RateLimiter(paid_rate, chat_interval=self.policy.chat_interval, late=PAID_LATE) if paid_rate > 0 else None
        )
        self.counters = DeliveryCounters()
        self.metrics = news.metrics  # /metrics figures (NEWSBOT_METRICS_LISTEN), None when off
        self.pushes = PushRenderer(news.renderer, bot.username)
        self._sleep = sleep
        self._wake = asyncio.Event()
        self._in_request = asyncio.Semaphore(self.policy.concurrency)
        self._tasks: dict[asyncio.Task[None], list[PendingDelivery]] = {}
        self._requesting: set[asyncio.Task[None]] = set()
        # (delivery id, message id, kind, picture) confirmed by Telegram, written in small batches
        self._confirmed: list[tuple[int, int | None, str, str | None]] = []
        self._articles: OrderedDict[int, Article | None] = OrderedDict()
        self._broadcasts: OrderedDict[int, Broadcast | None] = OrderedDict()
        self._runner: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._stopping = False
        self._urgent_taken = False

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        requeued = await self.news.store.deliveries.requeue_in_flight()
        if requeued:
            log.info("requeued %d deliveries that were in flight at the last stop", requeued)
        self._runner = asyncio.create_task(self._run(), name="delivery-worker")
        self._flusher = asyncio.create_task(self._flush_loop(), name="delivery-marks")

    def wake(self) -> None:
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    @property
    def requesting(self) -> int:
        """Sends at Telegram right now (a request made, its answer not yet in)."""
        return len(self._requesting)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking work; let requests already at Telegram finish; put the rest back in the queue."""
        if self._stopping:
            return
        self._stopping = True
        for task in (self._runner, self._flusher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        waiting = [t for t in self._tasks if t not in self._requesting]
        for task in waiting:
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
        leftover = [d.id for taken in self._tasks.values() for d in taken]
        for task in list(self._tasks):
            task.cancel()
        await self._flush()
        if leftover:
            await self.news.store.deliveries.release(leftover)

    # -- the loops -----------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                took = await self._take()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store is busy or failing: say so and try again next round
                log_failure(log, exc, "taking deliveries failed")
                self._store_error(exc)
                took = 0
            if took == 0 or (len(self._tasks) >= self.policy.batch // 2 and not self._urgent_taken):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.news.settings.push_interval)
                self._wake.clear()

    async def _take(self) -> int:
        """Take deliveries to send: breaking news at any time (it goes before whatever routine pushes
        already wait for a slot: the budget's lanes), routine ones while there is room. A reader
        whose backlog of instant items is past `merge_above` gets one message listing them."""
        room = self.policy.batch - len(self._tasks)
        now = int(self.news.clock().timestamp())
        store = self.news.store.deliveries
        urgent_only = room < self.policy.batch // 2
        if urgent_only:  # breaking news beside the routine sends in hand, up to a bound in memory
            room = min(self.policy.batch, self.policy.batch * 4 - len(self._tasks))
            if room <= 0:
                return 0
        claimed = await store.claim(room, now=now, urgent_only=urgent_only)
        self._urgent_taken = any(d.mode == "broadcast" for d in claimed)  # maybe more: take again at once
        routine: dict[int, list[PendingDelivery]] = {}
        for delivery in claimed:
            if delivery.mode == "instant":
                routine.setdefault(delivery.reader_id, []).append(delivery)
            else:
                self._spawn(self._deliver(delivery, Lane.URGENT), [delivery])
        waiting = await store.backlog_sizes(list(routine)) if routine else {}
        for reader_id, taken in routine.items():
            kind = taken[0].chat_kind
            if kind is ChatKind.CHANNEL:  # a channel gets each item as a post of its own
                for delivery in taken:
                    self._spawn(self._deliver(delivery, Lane.ROUTINE), [delivery])
                continue
            merge_above = self.policy.group_merge_above if kind.is_group else self.policy.merge_above
            if kind.is_group and len(taken) + waiting.get(reader_id, 0) > merge_above:
                # A group's items, every one listed: as many per message as a listing shows, the
                # next message in the group's next slot (20 a minute).
                room = -len(taken) % DIGEST_MAX_ITEMS  # fills the last message up
                if room:
                    taken += await store.claim_backlog(reader_id, room, now=now)
                for start in range(0, len(taken), DIGEST_MAX_ITEMS):
                    chunk = taken[start : start + DIGEST_MAX_ITEMS]
                    self._spawn(self._deliver_merged(chunk), chunk)
            elif len(taken) + waiting.get(reader_id, 0) > merge_above:
                taken += await store.claim_backlog(reader_id, self.policy.merge_max, now=now)
                self._spawn(self._deliver_merged(taken), taken)
            else:
                for delivery in taken:
                    self._spawn(self._deliver(delivery, Lane.ROUTINE), [delivery])
        return len(claimed)

    def _spawn(self, work: Coroutine[Any, Any, None], deliveries: list[PendingDelivery]) -> None:
        task = asyncio.create_task(work)
        self._tasks[task] = deliveries
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        self._requesting.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log_failure(log, error, "a delivery task failed")
            self._store_error(error)
        if len(self._tasks) < self.policy.batch // 2:
            self._wake.set()

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.policy.flush_interval)
            try:
                await self._flush()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log_failure(log, exc, "recording confirmed sends failed; will try again")
                self._store_error(exc)

    async def _flush(self) -> None:
        if not self._confirmed:
            return
        batch, self._confirmed = self._confirmed, []
        try:
            await self.news.store.deliveries.mark_sent(
                [(d, m) for d, m, _, _ in batch], [k for _, _, k, _ in batch], [p for _, _, _, p in batch]
            )
        except BaseException:
            self._confirmed[:0] = batch
            raise

    # -- one delivery --------------------------------------------------------------------------

    async def _deliver(self, delivery: PendingDelivery, lane: Lane = Lane.ROUTINE) -> None:
        push = await self._push_for(delivery)
        if push is None:
            return
        message = await self._send(
            delivery.reader_id,
            push,
            delivery_id=delivery.id,
            attempts=delivery.attempts,
            silent=self._quiet(delivery.quiet_start, delivery.quiet_end, delivery.timezone),
            lane=lane,
            kind=delivery.chat_kind,
        )
        if message is not None:
            photo = push.photo if message.photo else None
            self._confirmed.append((delivery.id, message.message_id, "photo" if photo else "text", photo))

    async def _deliver_merged(self, taken: list[PendingDelivery]) -> None:
        """A reader's backlog of instant items as one message listing them, newest first."""
        store = self.news.store
        first = taken[0]
        items: list[DigestItem] = []
        kept: list[PendingDelivery] = []
        for delivery in taken:
            article = await self._article(delivery.article_id) if delivery.article_id is not None else None
            if article is None or not article.topics or not article.headline.strip():
                await store.deliveries.mark_failed(delivery.id, "article missing, without a topic or a headline")
                continue
            topic = main_topic(article)
            items.append(DigestItem(article.id, article.headline, topic.name if topic else None))
            kept.append(delivery)
        if not kept:
            return
        if len(kept) == 1:
            return await self._deliver(kept[0])
        items.reverse()
        push = self.pushes.backlog(items, first.arabic_digits, group=first.chat_kind.is_group)
        message = await self._send(
            first.reader_id,
            push,
            delivery_id=None,
            attempts=max(d.attempts for d in kept),
            silent=self._quiet(first.quiet_start, first.quiet_end, first.timezone),
            kind=first.chat_kind,
        )
        if message is not None:
            self.counters.merged += 1
            self._confirmed.extend((d.id, message.message_id, "backlog", None) for d in kept)
            return
        reader = await store.readers.get(first.reader_id)
        if reader is None or reader.status is not ReaderStatus.ACTIVE:
            return  # blocked or gone: their deliveries were cancelled with the status
        if max(d.attempts for d in kept) >= self.policy.max_attempts:
            for delivery in kept:
                await store.deliveries.mark_failed(delivery.id, "merged push not sent", delivery.attempts)
        else:
            await store.deliveries.release([d.id for d in kept])  # tried again at the next take

    async def _push_for(self, delivery: PendingDelivery) -> Push | None:
        store = self.news.store
        if delivery.broadcast_id is not None:
            broadcast = await self._broadcast(delivery.broadcast_id)
            if broadcast is None:
                await store.deliveries.mark_failed(delivery.id, "broadcast not found")
                return None
            if broadcast.article_id is None:
                if not broadcast.text.strip():  # an item broadcast whose item was deleted before it went
                    await store.deliveries.mark_failed(delivery.id, "broadcast item deleted")
                    return None
                return self.pushes.broadcast(broadcast.text)
            # an item sent as breaking news: its push (picture, button) headed «عاجل» and the editor's line
            article = await self._article(broadcast.article_id)
            if article is None or not article.headline.strip():
                await store.deliveries.mark_failed(delivery.id, "broadcast item missing or without a headline")
                return None
            return self.pushes.article(article, delivery.arabic_digits, urgent=True, note=broadcast.text)
        assert delivery.article_id is not None  # the table's CHECK: an article or a broadcast
        article = await self._article(delivery.article_id)
        if article is None or not article.topics or not article.headline.strip():
            await store.deliveries.mark_failed(delivery.id, "article missing, without a topic or a headline")
            return None
        # mode 'broadcast' with an article: an item an editor marked urgent
        return self.pushes.article(
            article,
            delivery.arabic_digits,
            self._zone(delivery.timezone),
            link=delivery.chat_kind is not ChatKind.PRIVATE,
            urgent=delivery.mode == "broadcast",
        )

    async def _broadcast(self, broadcast_id: int) -> Broadcast | None:
        """A broadcast's row, read once for all its deliveries (it does not change once stored)."""
        if broadcast_id in self._broadcasts:
            return self._broadcasts[broadcast_id]
        found = await self.news.store.deliveries.broadcast(broadcast_id)
        self._broadcasts[broadcast_id] = found
        if len(self._broadcasts) > 64:
            self._broadcasts.popitem(last=False)
        return found

    async def _article(self, article_id: int) -> Article | None:
        if article_id in self._articles:
            self._articles.move_to_end(article_id)
            return self._articles[article_id]
        article = await self.news.store.articles.get(article_id)
        self._articles[article_id] = article
        if len(self._articles) > 256:
            self._articles.popitem(last=False)
        return article

    def forget(self, article_ids: list[int]) -> None:
        """These items changed (a correction): render them afresh for the pushes still to go."""
        for article_id in article_ids:
            self._articles.pop(article_id, None)
        self.pushes.forget(article_ids)

    def _zone(self, name: str | None) -> tzinfo:
        """A reader's clock: their zone, else the site's (NEWSBOT_TIMEZONE)."""
        return reader_zone(name, self.news.settings.timezone)

    def _quiet(self, start: int | None, end: int | None, zone: str | None) -> bool:
        """Quiet hours are the reader's local hours, in their own zone."""
        return in_quiet_hours(self.news.clock(), self._zone(zone), start, end)

    async def _send(
        self,
        chat_id: int,
        push: Push,
        *,
        delivery_id: int | None,
        attempts: int,
        silent: bool,
        lane: Lane = Lane.ROUTINE,
        kind: ChatKind = ChatKind.PRIVATE,
    ) -> Message | None:
        """Send one message through the limits; None when it was not sent (the outcome is recorded)."""
        paced = PACED.set(True)  # this send draws its own slots: the bot's HTTP layer draws none
        try:
            return await self._send_paced(
                chat_id, push, delivery_id=delivery_id, attempts=attempts, silent=silent, lane=lane, kind=kind
            )
        finally:
            PACED.reset(paced)

    async def _send_paced(
        self,
        chat_id: int,
        push: Push,
        *,
        delivery_id: int | None,
        attempts: int,
        silent: bool,
        lane: Lane,
        kind: ChatKind = ChatKind.PRIVATE,
    ) -> Message | None:
        store = self.news.store
        task = asyncio.current_task()
        # Breaking news goes with allow_paid_broadcast from its own budget when paid broadcasts are on.
        paid = lane is Lane.URGENT and self.paid is not None
        limiter = self.paid if paid and self.paid is not None else self.limiter
        extra: dict[str, Any] = {"allow_paid_broadcast": True} if paid else {}
        while True:
            await limiter.acquire(chat_id, lane)
            if kind is not ChatKind.PRIVATE and not await self._still_posting(chat_id):
                return None  # paused (or unlinked) while this post waited for its slot: it was cancelled
            try:
                async with self._in_request:
                    if task is not None:
                        self._requesting.add(task)
                    try:
                        if push.photo is not None:
                            message = await self.bot.send_photo(
                                chat_id,
                                push.photo,
                                caption=push.caption,
                                reply_markup=push.markup,
                                disable_notification=silent,
                                **extra,
                            )
                        else:
                            message = await self.bot.send_message(
                                chat_id,
                                push.text,
                                reply_markup=push.markup,
                                disable_notification=silent,
                                link_preview_options=LinkPreviewOptions(is_disabled=True),
                                **extra,
                            )
                    finally:
                        if task is not None:
                            self._requesting.discard(task)
            except RetryAfter as exc:
                self.counters.retry_after += 1
                self._count("retry_after")
                limiter.pause(retry_after_seconds(exc))
                continue
            except ChatMigrated as exc:  # a group became a supergroup: it moves there, the post with it
                moved = await self.news.services.chats.migrated(chat_id, exc.new_chat_id)
                if moved is None or kind is ChatKind.PRIVATE:
                    await self._fail(delivery_id, f"refused: {exc.message}", attempts)
                    return None
                log.info("group %d is now supergroup %d: its subscriptions moved", chat_id, exc.new_chat_id)
                chat_id = exc.new_chat_id
                continue
            except Forbidden as exc:
                if kind is not ChatKind.PRIVATE:
                    await self._pause(chat_id, "kicked" if "kicked" in exc.message.lower() else "left", exc.message)
                    return None
                self.counters.blocked += 1
                self._count("blocked")
                log.info("reader %d blocked the bot (%s): pushes to them stop", chat_id, exc.message)
                await store.readers.set_status(chat_id, ReaderStatus.BLOCKED)
                return None
            except BadRequest as exc:
                if push.photo is not None and _photo_refused(exc.message):
                    # Telegram could not fetch or read the picture: the push goes as text instead.
                    self.counters.photo_fallbacks += 1
                    log.warning(
                        "picture %s refused for delivery %s (%s): sent as text", push.photo, delivery_id, exc.message
                    )
                    push = dataclasses.replace(push, photo=None, caption=None)
                    continue
                if kind is not ChatKind.PRIVATE and _rights_refused(exc.message):
                    await self._pause(chat_id, "cannot_post" if kind is ChatKind.CHANNEL else "restricted", exc.message)
                    return None
                if "chat not found" in exc.message.lower():
                    self.counters.gone += 1
                    self._count("gone")
                    log.info("reader %d is gone (%s): retired", chat_id, exc.message)
                    await store.readers.set_status(chat_id, ReaderStatus.GONE)
                else:
                    await self._fail(delivery_id, f"refused: {exc.message}", attempts)
                return None
            except NetworkError as exc:  # 5xx, a dropped connection, a timeout
                if attempts >= self.policy.max_attempts:
                    await self._fail(delivery_id, f"gave up after {attempts} tries: {exc.message}", attempts)
                    return None
                self.counters.retried += 1
                self._count("retried")
                pause = min(self.policy.max_backoff, self.policy.backoff * 2 ** (attempts - 1))
                attempts += 1
                await self._sleep(pause)
                continue
            except TelegramError as exc:
                await self._fail(delivery_id, f"refused: {exc.message}", attempts)
                return None
            self.counters.sent += 1
            self.counters.paid += paid
            self._count("sent")
            return message

    async def _still_posting(self, chat_id: int) -> bool:
        """A channel's or group's posts wait seconds for their slot (20 a minute): one refused
        meanwhile paused the chat, and the others must not knock again."""
        chat = await self.news.store.readers.get(chat_id)
        return chat is not None and chat.status is ReaderStatus.ACTIVE

    async def _pause(self, chat_id: int, reason: Reason, refusal: str) -> None:
        """A channel or group the bot may no longer post to: paused (what waited there cancelled,
        nothing retried) and the admins told, once."""
        self.counters.blocked += 1
        self._count("blocked")
        log.info("chat %d refused a post (%s): its deliveries are paused", chat_id, refusal)
        notice = await self.news.services.chats.delivery_refused(chat_id, reason)
        if notice is not None:
            await tell_admins(self.bot, self.news.renderer, notice)

    def _count(self, result: str) -> None:
        if self.metrics is not None:
            self.metrics.push(result)

    def _store_error(self, error: BaseException) -> None:
        if self.metrics is not None:
            self.metrics.store_error("delivery", error)

    async def _fail(self, delivery_id: int | None, reason: str, attempts: int) -> None:
        self.counters.failed += 1
        self._count("failed")
        self.counters.errors.append(reason)
        del self.counters.errors[:-20]
        log.warning("delivery %s failed: %s", delivery_id, reason)
        if delivery_id is not None:
            await self.news.store.deliveries.mark_failed(delivery_id, reason, attempts)

    # -- digests -------------------------------------------------------------------------------

    async def digest_round(self) -> int:
        """Send each digest reader whose hour has come one message listing their queued items."""
        store = self.news.store
        now = self.news.clock()
        sent = 0
        for reader in await store.deliveries.digest_readers():
            since_ts = max(reader.last_digest_at or 0, reader.oldest_queued_at)
            since = datetime.fromtimestamp(since_ts, UTC)
            # The digest hours are the reader's own: 08:00 in Riyadh is 08:00 Riyadh time.
            if not digest_due(reader.digest_hours, since, now, self._zone(reader.timezone)):
                continue
            quiet = (reader.quiet_start, reader.quiet_end, reader.timezone)
            if await self._send_digest(reader.reader_id, reader.arabic_digits, *quiet):
                sent += 1
        return sent

    async def _send_digest(
        self,
        reader_id: int,
        arabic_digits: bool,
        quiet_start: int | None,
        quiet_end: int | None,
        zone: str | None = None,
    ) -> bool:
        store = self.news.store
        taken = await store.deliveries.claim_digest(reader_id, self.policy.digest_batch)
        items: list[DigestItem] = []
        for delivery in taken:
            article = await self._article(delivery.article_id) if delivery.article_id is not None else None
            if article is None or not article.topics:
                await store.deliveries.mark_failed(delivery.id, "article missing or without a topic")
                continue
            topic = main_topic(article)
            items.append(DigestItem(article.id, article.headline, topic.name if topic else None))
        if not items:
            return False
        items.reverse()  # newest first
        push = self.pushes.digest(items, len(items), arabic_digits)
        message = await self._send(
            reader_id, push, delivery_id=None, attempts=1, silent=self._quiet(quiet_start, quiet_end, zone)
        )
        ids = [d.id for d in taken if d.article_id in {i.article_id for i in items}]
        if message is None:  # tried again next round, unless the reader left (then they are cancelled)
            await store.deliveries.release(ids)
            return False
        self.counters.digests += 1
        await store.deliveries.mark_digest_sent(reader_id, ids, message.message_id, int(self.news.clock().timestamp()))
        return True
