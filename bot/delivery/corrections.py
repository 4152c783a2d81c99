"""Corrections and withdrawals of messages already sent (issue 12).

Every push Telegram confirmed is recorded with its message id, kind and time (the store's
`MessageStore`, in the transaction that marks the delivery sent). Two things act on those records,
both through durable jobs in the store, so a crash (even kill -9) in the middle loses nothing: jobs
in flight go again at the next start, where a repeated edit is answered "not modified" and a
repeated deletion "not found", both of which end the job.

- A correction: an ingested update changes an item's headline, lead or picture after it was pushed
  (`ArticleStore.upsert_many` puts it in the corrections outbox); the delivery round turns it into
  one edit job per message sent within Telegram's window, and `MessageJobs` edits each message to
  the item as it now stands: editMessageText for a text push, editMessageCaption for a photo push
  (editMessageMedia when the picture changed), the listing rewritten for a merged backlog or digest.
- A withdrawal (`newsbot items withdraw ID`, the admin /withdraw): the item leaves every list, its
  queued deliveries are cancelled, and each message sent within the window is deleted (a listing of
  several items is rewritten without it; deleted when nothing is left).

Each call draws from the process group's one sending budget in the ROUTINE lane, like a routine push.
A reader who blocked the bot is skipped (a 403 marks them so); a message past the window is recorded
as skipped without asking Telegram, and one Telegram refuses ("message can't be edited", "message to
edit not found", …) is recorded with Telegram's words and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, InputMediaPhoto, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.delivery.messages import DigestItem, Push, PushRenderer, main_topic
from bot.models import EDIT_WINDOW, JobOutcome, JobState, MessageJob, ReaderStatus, SentMessage, Withdrawal
from bot.runtime.context import NewsBot
from bot.runtime.limiter import PACED, Lane, RateLimiter, retry_after_seconds
from bot.store.health import log_failure
from bot.store.records import LISTING_KINDS, TOO_OLD

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
NOT_MODIFIED = "not modified"
_PHOTO_REFUSALS = ("failed to get http url content", "wrong file identifier", "wrong type of the web page content")
_TOO_OLD_REFUSALS = ("can't be edited", "can't be deleted")


@dataclass(frozen=True, slots=True)
class JobPolicy:
    batch: int = 64  # jobs taken from the store at a time (and recorded together)
    concurrency: int = 32  # requests to Telegram in flight
    max_attempts: int = 5  # tries for 5xx / network errors before a job is failed
    backoff: float = 1.0
    max_backoff: float = 60.0
    window: int = EDIT_WINDOW  # seconds after sending within which Telegram lets the bot edit or delete
    margin: int = 120  # not tried this close to the window's end: the call could arrive after it


@dataclass(slots=True)
class JobTally:
    """What the jobs done came to, by message: edited, deleted, too old, skipped, failed."""

    edited: int = 0
    deleted: int = 0
    not_modified: int = 0
    too_old: int = 0
    blocked: int = 0
    skipped: int = 0  # refused by Telegram for another reason (not found, wrong kind, …)
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: JobTally) -> None:
        for name in ("edited", "deleted", "not_modified", "too_old", "blocked", "skipped", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors = (self.errors + other.errors)[-20:]


@dataclass(frozen=True, slots=True)
class WithdrawReport:
    """A withdrawal as the editor sees it: messages deleted, too old to delete, pending cancelled."""

    article_id: int
    headline: str
    deleted: int
    too_old: int
    cancelled: int
    other: int  # not deleted for another reason (already gone, reader left, Telegram failing)
    already: bool = False


class MessageJobs:
    """Does the queued edit and delete jobs: in a loop of its own under delivery (`start`), and at
    once for one item's messages (`run(article_id=…)`, a withdrawal)."""

    def __init__(
        self,
        news: NewsBot,
        bot: Bot,
        *,
        limiter: RateLimiter | None = None,
        pushes: PushRenderer | None = None,
        policy: JobPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.news = news
        self.bot = bot
        self.policy = policy or JobPolicy()
        self.limiter = limiter or getattr(bot, "budget", None) or RateLimiter(news.settings.rate)
        self.pushes = pushes or PushRenderer(news.renderer, bot.username)
        self.tally = JobTally()
        self._sleep = sleep
        self._in_request = asyncio.Semaphore(self.policy.concurrency)
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._taken: set[int] = set()

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        requeued = await self.news.store.messages.requeue_in_flight()
        if requeued:
            log.info("requeued %d message edits and deletions that were in flight at the last stop", requeued)
        self._runner = asyncio.create_task(self._run(), name="message-jobs")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        if self._taken:
            await self.news.store.messages.release(sorted(self._taken))
            self._taken.clear()

    async def _run(self) -> None:
        while True:
            try:
                await self.run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a busy or failing store: the next round tries again
                log_failure(log, exc, "editing or deleting sent messages failed")
                if self.news.metrics is not None:
                    self.news.metrics.store_error("delivery", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.news.settings.push_interval)
            self._wake.clear()

    # -- the jobs ------------------------------------------------------------------------------

    async def run(self, *, article_id: int | None = None) -> JobTally:
        """Do queued jobs (only those on one item's messages with `article_id`) until none is left."""
        done = JobTally()
        store = self.news.store.messages
        while True:
            jobs = await store.claim(self.policy.batch, article_id=article_id)
            if not jobs:
                return done
            self._taken.update(j.id for j in jobs)
            groups: dict[tuple[int, int], list[MessageJob]] = {}
            for job in jobs:
                groups.setdefault((job.message.chat_id, job.message.message_id), []).append(job)
            results = await asyncio.gather(*(self._message(group) for group in groups.values()))
            batch = JobTally()
            outcomes: list[JobOutcome] = []
            deleted: list[tuple[int, int]] = []
            pictures: list[tuple[int, int, str]] = []
            for group, (state, reason, effect) in zip(groups.values(), results, strict=True):
                outcomes.extend(JobOutcome(j.id, state, reason) for j in group)
                message = group[0].message
                if effect == "deleted":
                    deleted.append((message.chat_id, message.message_id))
                elif effect is not None and effect.startswith("picture:"):
                    pictures.append((message.chat_id, message.message_id, effect.removeprefix("picture:")))
                self._count(batch, state, reason, effect)
            await store.finish(outcomes, deleted, pictures)
            self._taken.difference_update(j.id for j in jobs)
            done.add(batch)
            self.tally.add(batch)

    def _count(self, tally: JobTally, state: JobState, reason: str | None, effect: str | None) -> None:
        if state == "done":
            if effect == "deleted":
                tally.deleted += 1
            elif reason == NOT_MODIFIED:
                tally.not_modified += 1
            else:
                tally.edited += 1
        elif state == "failed":
            tally.failed += 1
            tally.errors.append(reason or "")
        elif reason == TOO_OLD or (reason and any(r in reason for r in _TOO_OLD_REFUSALS)):
            tally.too_old += 1
        elif reason and reason.startswith("blocked"):
            tally.blocked += 1
        else:
            tally.skipped += 1

    async def _message(self, jobs: list[MessageJob]) -> tuple[JobState, str | None, str | None]:
        """One Telegram message's jobs as one call: (state, reason, effect: "deleted", "picture:URL" or None)."""
        first = jobs[0]
        message = first.message
        now = int(self.news.clock().timestamp())
        if now - message.sent_at >= self.policy.window - self.policy.margin:
            return "skipped", TOO_OLD, None
        delete = any(j.action == "delete" for j in jobs)
        attempts = max(j.attempts for j in jobs)
        try:
            if message.kind in LISTING_KINDS:
                items = await self._listing(message, first.arabic_digits)
                if items is None:
                    return await self._delete(message, attempts)
                if not first.reader_active:
                    return "skipped", "blocked: the reader blocked the bot or left", None
                return await self._edit_text(message, items, attempts)
            if delete:
                return await self._delete(message, attempts)
            if not first.reader_active:
                return "skipped", "blocked: the reader blocked the bot or left", None
            return await self._correct(message, first.arabic_digits, attempts)
        except Exception as exc:  # a bug or a failing store: recorded on the job, the rest go on
            log_failure(log, exc, "job on message %d in chat %d failed", message.message_id, message.chat_id)
            return "failed", f"unexpected: {exc!r}"[:300], None

    async def _listing(self, message: SentMessage, arabic_digits: bool) -> Push | None:
        """A backlog or digest message rewritten with the items it still lists; None when none is left."""
        items: list[DigestItem] = []
        for article_id in await self.news.store.messages.listing(message.chat_id, message.message_id):
            article = await self.news.store.articles.get(article_id)
            if article is None:
                continue
            topic = main_topic(article)
            items.append(DigestItem(article.id, article.headline, topic.name if topic else None))
        if not items:
            return None
        items.reverse()  # newest first, as sent
        if message.kind == "digest":
            return self.pushes.digest(items, len(items), arabic_digits)
        return self.pushes.backlog(items, arabic_digits)

    async def _correct(
        self, message: SentMessage, arabic_digits: bool, attempts: int
    ) -> tuple[JobState, str | None, str | None]:
        """A text or photo push edited to the item as it stands now."""
        if message.article_id is None:
            return "skipped", "not an item's push", None
        article = await self.news.store.articles.get(message.article_id)
        if article is None:
            return "skipped", "the item is gone or withdrawn", None
        self.pushes.forget([article.id])
        push = self.pushes.article(article, arabic_digits)
        if message.kind != "photo":
            return await self._edit_text(message, push, attempts)
        caption = push.caption if push.photo else self.pushes.caption(article, arabic_digits)
        if caption is None:
            return "skipped", "the corrected caption does not fit in 1,024 units", None
        chat, message_id = message.chat_id, message.message_id
        if push.photo is not None and push.photo != message.photo:
            picture = push.photo
            state, reason = await self._call(
                chat,
                attempts,
                lambda: self.bot.edit_message_media(
                    InputMediaPhoto(picture, caption=caption, parse_mode=ParseMode.HTML),
                    chat_id=chat,
                    message_id=message_id,
                    reply_markup=push.markup,
                ),
            )
            if state == "done":
                return state, reason, f"picture:{picture}"
            if not (reason and any(r in reason.lower() for r in _PHOTO_REFUSALS)):
                return state, reason, None
            log.warning("picture %s refused for message %d in chat %d: caption edited only", picture, message_id, chat)
        state, reason = await self._call(
            chat,
            attempts,
            lambda: self.bot.edit_message_caption(
                chat_id=chat, message_id=message_id, caption=caption, parse_mode=ParseMode.HTML,
                reply_markup=push.markup,
            ),
        )  # fmt: skip
        return state, reason, None

    async def _edit_text(
        self, message: SentMessage, push: Push, attempts: int
    ) -> tuple[JobState, str | None, str | None]:
        state, reason = await self._call(
            message.chat_id,
            attempts,
            lambda: self.bot.edit_message_text(
                push.text,
                chat_id=message.chat_id,
                message_id=message.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=push.markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
        )
        return state, reason, None

    async def _delete(self, message: SentMessage, attempts: int) -> tuple[JobState, str | None, str | None]:
        state, reason = await self._call(
            message.chat_id,
            attempts,
            lambda: self.bot.delete_message(message.chat_id, message.message_id),
            reader_gone_ok=True,
        )
        return state, reason, "deleted" if state == "done" else None

    async def _call(
        self, chat_id: int, attempts: int, call: Callable[[], Awaitable[Any]], *, reader_gone_ok: bool = False
    ) -> tuple[JobState, str | None]:
        """One Bot API call through the sending budget's ROUTINE lane, Telegram's answer as a job's end."""
        paced = PACED.set(True)  # this call draws its own slot: the bot's HTTP layer draws none
        try:
            while True:
                await self.limiter.acquire(chat_id, Lane.ROUTINE)
                try:
                    async with self._in_request:
                        await call()
                    return "done", None
                except RetryAfter as exc:
                    self.limiter.pause(retry_after_seconds(exc))
                    continue
                except Forbidden as exc:
                    if not reader_gone_ok:
                        log.info("reader %d blocked the bot (%s): pushes to them stop", chat_id, exc.message)
                        await self.news.store.readers.set_status(chat_id, ReaderStatus.BLOCKED)
                    return "skipped", f"blocked: {exc.message}"
                except BadRequest as exc:
                    if "not modified" in exc.message.lower():
                        return "done", NOT_MODIFIED
                    log.info("Telegram refused a change to a message in chat %d: %s", chat_id, exc.message)
                    return "skipped", f"refused: {exc.message}"
                except NetworkError as exc:  # 5xx, a dropped connection, a timeout
                    if attempts >= self.policy.max_attempts:
                        return "failed", f"gave up after {attempts} tries: {exc.message}"
                    await self._sleep(min(self.policy.max_backoff, self.policy.backoff * 2 ** (attempts - 1)))
                    attempts += 1
                except TelegramError as exc:
                    return "failed", f"refused: {exc.message}"
        finally:
            PACED.reset(paced)


async def withdraw_preview(news: NewsBot, article_id: int) -> tuple[str, int] | None:
    """What a withdrawal would touch: the item's headline and how many of its messages are live;
    None when there is no such item (or it is withdrawn already)."""
    article = await news.store.articles.get(article_id)
    if article is None:
        return None
    sent = await news.store.messages.sent_for_article(article_id)
    return article.headline, sum(1 for m in sent if not m.deleted)


async def withdraw_item(news: NewsBot, jobs: MessageJobs, article_id: int) -> WithdrawReport | None:
    """Withdraw an item: no longer listed or pushed, its pending deliveries cancelled, and its
    messages deleted now where Telegram still allows it. None when there is no such item."""
    now = int(news.clock().timestamp())
    plan: Withdrawal | None = await news.store.messages.withdraw(article_id, now=now, window=jobs.policy.window)
    if plan is None:
        return None
    log.info(
        "item %d withdrawn: %d pending deliveries cancelled, %d messages to delete, %d too old",
        article_id, plan.cancelled, plan.queued, plan.too_old,
    )  # fmt: skip
    done = await jobs.run(article_id=article_id)
    return WithdrawReport(
        article_id=article_id,
        headline=plan.headline,
        deleted=done.deleted + done.edited + done.not_modified,
        too_old=plan.too_old + done.too_old,
        cancelled=plan.cancelled,
        other=done.skipped + done.blocked + done.failed,
        already=plan.already,
    )
