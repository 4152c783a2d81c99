"""Whole articles behind summaries: the pages of items stored with a link and no body, read in the
background (NEWSBOT_FULLTEXT), and at once when a reader opens such an item.

Items wait in the store's full-text queue (migration 0009), which `upsert_many` fills in the
transaction that stores them. :class:`FullText` takes due items with a lease, reads each page through
the one public-web fetch (`bot.ingest.fetch`: size cap, timeout, internal addresses refused unless
NEWSBOT_FETCH_ALLOW_PRIVATE=1, at every redirect), extracts the article (`bot.ingest.parsers.article_html`,
in NEWSBOT_FULLTEXT_PROCESSES separate processes at a lower CPU priority, so a long page never holds
up readers' answers and a burst of pages uses every core) and stores its text, picture, author and
date with the search entry.

Limits: at most NEWSBOT_FULLTEXT_CONCURRENCY pages downloaded at once, NEWSBOT_FULLTEXT_PER_HOST of
them from one site (host and port); a site that answers 429 or 503 with Retry-After is not asked again
before then. A page frees its place as soon as it is downloaded, and its extraction and storing go on
beside the next downloads (at most as many pages again wait for the extraction processes).
A page that fails for a reason that may pass (timeout, connection, 5xx, 429) is tried again
after NEWSBOT_FULLTEXT_RETRY seconds, doubled each time, at most NEWSBOT_FULLTEXT_ATTEMPTS times; one
that cannot become an article (not a web page, too big, a redirect loop or to a refused address, no
article, another language, empty) is given up at once. A site that fails SITE_FAILURES_TO_PAUSE reads
in a row for a reason of its own is paused (NEWSBOT_FULLTEXT_RETRY, doubled while it keeps failing):
its waiting items go back to the queue untried until then, so pages of other sites go on. Either way
the item keeps its lead and link, readers see a short note that the full text is on the site, and the log gets one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import tzinfo
from typing import TYPE_CHECKING

import aiohttp

from bot.config import Settings
from bot.ingest.fetch import FetchRefused, HTTPStatusError, fetch_client, fetch_url
from bot.ingest.result import ParseResult, SourceError
from bot.models import FullTextJob, PageText, site_of
from bot.store.health import log_failure
from bot.store.protocols import NewsStore

if TYPE_CHECKING:
    from bot.runtime.metrics import Metrics

log = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
IDLE_POLL = 10.0  # seconds between looks at the queue when nothing is due (other processes store too)
BACKLOG_PER_SLOT = 4  # items taken from the store per concurrent read
# Pages downloaded and waiting for (or in) extraction, per download slot: a slot is freed when its page
# is downloaded, so a read's 20-28 ms of extraction and its store write do not lengthen every slot's
# cycle (at 150 ms a page, 25 rounds of 8: 4.4 s instead of 3.75 s); bounded, so that when extraction
# is slower than the downloads, at most this many pages more wait in memory and downloads wait for them.
EXTRACTING_PER_SLOT = 1
MAX_RETRY_DELAY = 86_400.0
# A site that fails this many reads in a row for a reason of its own (it does not resolve, refuses or
# drops the connection, does not answer in time, answers 5xx) is not asked again for
# NEWSBOT_FULLTEXT_RETRY seconds, doubled each time it fails again: a site that is down costs one
# attempt on a few items, not one on every item of a backlog, and not a write per item as fast as
# the failures come.
SITE_FAILURES_TO_PAUSE = 3
PARK_AFTER = IDLE_POLL  # a backlog item whose site is not asked for longer goes back to the store
# Items taken at once while every one taken is of a site not being asked: a paused site's backlog goes
# back to the store in calls of a few milliseconds each (readers' queries wait behind at most one),
# yet not so small that the calls' own overhead doubles the work (50,000 items: 32 a call cost 2.1 s
# CPU, 256 a call 1.3 s).
DRAIN_BATCH = 128
DRAIN_PAUSE = 0.02  # seconds between two such calls (one costs about 5 ms of CPU)


@functools.lru_cache(maxsize=4 * 4096)
def _site(url: str) -> str:
    """The site a page is asked of (host and port), remembered: the filler looks at every waiting
    item's site each time a read ends (8,500 parses of the same addresses for 200 pages)."""
    return site_of(url) or ""


class PageProblem(Exception):
    """A page that cannot give the item's text, and will not by asking again."""


EXTRACTION_NICENESS = 10  # the extraction processes yield the CPU to the bot's answers


def _start_extraction() -> None:
    """In an extraction process, when it starts: the lowest CPU priority, so that on a busy machine
    the bot's own process answering readers is scheduled first; then trafilatura, imported here and
    not in the bot's own process (it cost every start about a quarter of a second).

    On Linux the process is put in the SCHED_IDLE class: it runs only on CPU time nothing else wants,
    and a woken reader's answer takes its core at once. A niceness of 10 alone still left readers'
    /latest p99 at 1.5x idle while pages were extracted (bench/bench_fulltext.py: 57 ms against 37 ms);
    with SCHED_IDLE 45-48 ms, and the fill no slower (its time is spent where the bot leaves the CPU).
    The niceness stays for platforms without that class (and is what `ps` shows)."""
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: a platform without os.nice
        os.nice(EXTRACTION_NICENESS)
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: a platform without SCHED_IDLE
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    import bot.ingest.parsers.article_html  # noqa: F401 - imported once, before the first page


def _extract(data: bytes, url: str, tz: tzinfo) -> ParseResult:
    """In an extraction process: the article on the page."""
    from bot.ingest.parsers.article_html import parse_article_html

    return parse_article_html(data, origin=url, url=url, tz=tz)


def _same_start(a: str, b: str) -> bool:
    """True when one text begins with the other (a feed's lead cut short, or the page's first paragraph)."""
    a, b = " ".join(a.split()).rstrip(" .…"), " ".join(b.split()).rstrip(" .…")
    if not a or not b:
        return False
    return a.startswith(b[:80]) or b.startswith(a[:80])


def page_text(result: ParseResult, lead: str) -> PageText:
    """What the item stores from its page: the paragraphs without the lead it already shows."""
    item = result.items[0]
    paragraphs = [p for p in (item.lead, *item.body) if p]
    if paragraphs and _same_start(paragraphs[0], lead):
        paragraphs = paragraphs[1:]
    return PageText(
        body=tuple(paragraphs),
        image_url=item.image_url,
        author=item.author,
        outlet=item.outlet,
        published_at=item.published_at,
        date_only=item.date_only,
        modified_at=item.modified_at,
    )


class FullText:
    """Reads items' pages: the background filler (`start`/`stop`), and `read_now` for a reader."""

    def __init__(
        self,
        store: NewsStore,
        settings: Settings,
        *,
        metrics: Metrics | None = None,
        client: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.metrics = metrics
        self.clock = clock
        self._client = client or fetch_client(allow_private=settings.fetch_allow_private)
        self._owns_client = client is None
        self._executor: Executor | None = None
        self._reads: dict[int, asyncio.Task[bool]] = {}  # article id -> the read under way
        self._downloading: dict[int, str] = {}  # article id -> its site, while its page is downloaded
        self._per_host: dict[str, int] = {}  # downloads under way per site
        self._host_free_at: dict[str, float] = {}  # a site's Retry-After or pause: not asked before (clock)
        self._host_failures: dict[str, int] = {}  # reads failed in a row for the site's own reasons
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self.lease = int(settings.fetch_timeout * 2 + 60)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start filling in the background."""
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="fulltext")

    async def stop(self) -> None:
        """Stop: reads under way are abandoned (their items are taken again when the lease ends)."""
        runner, self._runner = self._runner, None
        tasks = [t for t in (runner, *self._reads.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._reads.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self._owns_client:
            await self._client.close()

    def kick(self) -> None:
        """New items were stored: look at the queue now."""
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return len(self._reads)

    # -- a reader opening an item ------------------------------------------------------------------

    async def read_now(self, article_id: int) -> bool:
        """Read this item's page now when it is still to be read (joining a read already under way);
        True when its text was stored. The result is kept for every reader."""
        task = self._reads.get(article_id)
        if task is None:
            job = await self.store.fulltext.job(article_id)
            if job is None:
                return False
            task = self._reads.get(article_id) or self._begin(job)  # begun meanwhile: joined
        return await asyncio.shield(task)

    # -- the background filler -------------------------------------------------------------------

    async def _run(self) -> None:
        backlog: deque[FullTextJob] = deque()
        limit = self.settings.fulltext_concurrency
        draining = False  # the last look found only pages of sites not being asked: take more at once
        while True:
            self._wake.clear()
            try:
                if len(backlog) < limit * BACKLOG_PER_SLOT // 2:
                    waiting = {job.article_id for job in backlog} | set(self._reads)
                    want = max(DRAIN_BATCH if draining else 0, limit * BACKLOG_PER_SLOT - len(backlog))
                    taken = await self.store.fulltext.claim(want, lease=self.lease)
                    backlog.extend(job for job in taken if job.article_id not in waiting)
                wait, parked = self._dispatch(backlog)
                draining = bool(parked) and not backlog
                for until, ids in parked.items():
                    await self.store.fulltext.postpone(ids, until)
                if parked:
                    # room in the backlog: look for pages of other sites soon; a paused site's backlog
                    # goes back in calls of DRAIN_BATCH items spaced DRAIN_PAUSE apart, so that putting
                    # back a large one takes a small share of the bot's CPU for a while, not all of it
                    wait = DRAIN_PAUSE
                elif wait is None and not backlog:
                    due = await self.store.fulltext.next_due()
                    wait = IDLE_POLL if due is None else min(IDLE_POLL, max(0.05, due - self.clock()))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log_failure(log, exc, "full text: the queue could not be read; trying again in %g s", IDLE_POLL)
                wait = IDLE_POLL
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    def _dispatch(self, backlog: deque[FullTextJob]) -> tuple[float | None, dict[int, list[int]]]:
        """Start what the limits allow. Returns the seconds until a waiting site may be asked again
        (None when only a finished read can free a slot, or nothing waits), and the items taken out
        of the backlog because their site is not asked for a while (UNIX time -> article ids), which
        go back to the store until then."""
        now = self.clock()
        limit, per_host = self.settings.fulltext_concurrency, self.settings.fulltext_per_host
        soonest: float | None = None
        parked: dict[int, list[int]] = {}
        kept: deque[FullTextJob] = deque()
        while backlog:
            job = backlog.popleft()
            if job.article_id in self._reads:
                continue
            host = _site(job.url)
            free_at = self._host_free_at.get(host, 0.0)
            if free_at > now + PARK_AFTER:
                parked.setdefault(int(free_at + 0.999), []).append(job.article_id)
                continue
            if (
                len(self._downloading) >= limit
                or len(self._reads) >= limit * (1 + EXTRACTING_PER_SLOT)
                or self._per_host.get(host, 0) >= per_host
                or free_at > now
            ):
                if free_at > now:
                    soonest = min(soonest or free_at - now, free_at - now)
                kept.append(job)
                continue
            self._begin(job)
        backlog.extend(kept)
        return soonest, parked

    def _begin(self, job: FullTextJob) -> asyncio.Task[bool]:
        host = _site(job.url)
        self._per_host[host] = self._per_host.get(host, 0) + 1
        self._downloading[job.article_id] = host
        task = asyncio.create_task(self._read(job), name=f"fulltext-{job.article_id}")
        self._reads[job.article_id] = task

        def done(_: asyncio.Task[bool]) -> None:
            self._reads.pop(job.article_id, None)
            self._downloaded(job.article_id)  # a read that ended before its page came (or was cancelled)
            self._wake.set()

        task.add_done_callback(done)
        return task

    def _downloaded(self, article_id: int) -> None:
        """The page of this read is in (or will not come): its download slot goes to the next page."""
        host = self._downloading.pop(article_id, None)
        if host is None:
            return
        left = self._per_host.get(host, 1) - 1
        if left:
            self._per_host[host] = left
        else:
            self._per_host.pop(host, None)
        self._wake.set()

    async def _read(self, job: FullTextJob) -> bool:
        """Read one page and store what it gave, or why not. Never raises (but when cancelled)."""
        settings = self.settings
        host = _site(job.url)
        try:
            try:
                try:
                    fetched = await fetch_url(
                        self._client,
                        job.url,
                        max_bytes=settings.fetch_max_bytes,
                        deadline_seconds=settings.fetch_timeout,
                        allow_private=settings.fetch_allow_private,
                    )
                finally:
                    self._downloaded(job.article_id)
                self._host_failures.pop(host, None)  # the site answered
                if fetched.content_type is not None and fetched.content_type not in HTML_TYPES:
                    raise PageProblem(f"not a web page ({fetched.content_type})")
                if not fetched.data.strip():
                    raise PageProblem("the page is empty")
                result = await self._extracted(fetched.data, fetched.final_url or job.url)
                if not result.items:
                    reason = result.rejections[0].reason if result.rejections else "no article on the page"
                    raise PageProblem(reason)
                filled = await self.store.fulltext.fill(job.article_id, page_text(result, job.lead))
            except PageProblem as exc:
                await self._give_up(job, str(exc))
                return False
            except FetchRefused as exc:
                await self._give_up(job, str(exc))
                return False
            except HTTPStatusError as exc:
                if exc.status in (408, 425, 429) or exc.status >= 500:
                    self._site_failed(host, str(exc))
                    await self._retry(job, str(exc), exc.retry_after)
                else:
                    self._host_failures.pop(host, None)  # the site answered: this page is not there
                    await self._give_up(job, str(exc))
                return False
            except SourceError as exc:
                text = str(exc)
                if "-byte cap" in text or "redirects" in text:
                    await self._give_up(job, text)
                else:  # no answer: the site does not resolve, refuses or drops the connection, is too slow
                    self._site_failed(host, text)
                    await self._retry(job, text, None)
                return False
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug (logged with its traceback) or the store (one line): tried again later
            log_failure(log, exc, "full text of item %d (%s) failed", job.article_id, job.url)
            try:
                await self._retry(job, f"unexpected error: {type(exc).__name__}", None, logged=True)
            except Exception as again:  # the store itself: the lease brings the item back
                log_failure(log, again, "full text of item %d: its failure could not be recorded", job.article_id)
            return False
        if self.metrics is not None:
            self.metrics.fulltext_page("filled")
        log.debug("full text of item %d stored from %s", job.article_id, job.url)
        return filled

    async def _extracted(self, data: bytes, url: str) -> ParseResult:
        """The extraction, in the pool of NEWSBOT_FULLTEXT_PROCESSES processes (trafilatura holds an
        interpreter for a while: 20-28 ms a page on the saved pages, the filler's bound on CPU). The
        processes start as pages come (the pool adds one only when none is idle). A pool whose process died is
        replaced once, by whichever of the reads it held learns it first; the others try the new one."""
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            executor = self._executor
            if executor is None:
                executor = self._executor = ProcessPoolExecutor(
                    self.settings.fulltext_processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_extraction,
                )
            try:
                return await loop.run_in_executor(executor, _extract, data, url, self.settings.timezone)
            except BrokenProcessPool:
                if self._executor is executor:  # not yet replaced by another read that it failed too
                    executor.shutdown(wait=False, cancel_futures=True)
                    self._executor = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _site_failed(self, host: str, reason: str) -> None:
        """A read failed for the site's own reason: after SITE_FAILURES_TO_PAUSE in a row its other
        pages wait (NEWSBOT_FULLTEXT_RETRY, doubled with each failure after that; one log line)."""
        now = self.clock()
        if self._host_free_at.get(host, 0.0) > now:
            return  # a read begun before the site was paused: the pause stands as it is
        failures = self._host_failures.get(host, 0) + 1
        self._host_failures[host] = failures
        if failures >= SITE_FAILURES_TO_PAUSE:
            pause = min(self.settings.fulltext_retry * 2 ** (failures - SITE_FAILURES_TO_PAUSE), MAX_RETRY_DELAY)
            self._host_free_at[host] = now + pause
            log.warning(
                "full text: site %s failed %d reads in a row (last: %s); its pages wait %d s",
                host,
                failures,
                reason,
                int(pause + 0.999),
            )

    async def _give_up(self, job: FullTextJob, reason: str) -> None:
        await self.store.fulltext.fail(job.article_id, reason, retry_at=None)
        if self.metrics is not None:
            self.metrics.fulltext_page("failed")
        log.warning("full text of item %d given up, it keeps its lead and link: %s", job.article_id, reason)

    async def _retry(self, job: FullTextJob, reason: str, retry_after: float | None, *, logged: bool = False) -> None:
        attempts = job.attempts + 1
        if attempts >= self.settings.fulltext_attempts:
            await self._give_up(job, f"{reason} (after {attempts} attempts)")
            return
        delay = min(self.settings.fulltext_retry * 2 ** (attempts - 1), MAX_RETRY_DELAY)
        now = self.clock()
        if retry_after is not None:
            delay = max(delay, retry_after)
            host = _site(job.url)
            self._host_free_at[host] = max(self._host_free_at.get(host, 0.0), now + retry_after)
        await self.store.fulltext.fail(job.article_id, reason, retry_at=int(now + delay + 0.999))
        if self.metrics is not None:
            self.metrics.fulltext_page("retry")
        if not logged:
            log.info("full text of item %d: %s; tried again in %d s", job.article_id, reason, int(delay + 0.999))


async def start_fulltext(news_store: NewsStore, settings: Settings, metrics: Metrics | None) -> FullText | None:
    """The filler, running, when NEWSBOT_FULLTEXT is on; None when it is off."""
    if not settings.fulltext:
        return None
    service = FullText(news_store, settings, metrics=metrics)
    await service.start()
    return service
