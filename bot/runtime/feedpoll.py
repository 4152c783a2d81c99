"""Feed polling: the feeds listed in the store on a schedule, through PTB's job queue.

NEWSBOT_FEEDS is a start-up list: its feeds are listed in the store when the bot starts. Editors
add and remove feeds while it runs (`newsbot feeds …`, `/feeds`); each tick reads the list again,
so a change is polled (or no longer) from the next tick, with no restart. A feed is polled every
`every` seconds when it has its own interval, else every NEWSBOT_FEED_INTERVAL. Each poll is a
conditional request with the feed's stored ETag/Last-Modified (bot.ingest.fetch), so an unchanged
feed costs one 304. New items are pushed by the next fan-out.
"""

from __future__ import annotations

import logging
import time

from telegram.ext import Application, Job

from bot.runtime.context import NewsBot, NewsContext

log = logging.getLogger(__name__)

JOB_NAME = "feed-poll"
TICK_MAX = 30.0  # seconds: how late an editor's new feed may be polled first at most


def _due(last_polled: dict[str, float], url: str, every: float, now: float) -> bool:
    last = last_polled.get(url)
    return last is None or now - last >= every * 0.99


async def poll_feeds(context: NewsContext) -> None:
    from bot.ingest.service import ingest_sources

    news = context.news
    settings = news.settings
    # When this job last polled each feed (monotonic seconds), for the feeds' own intervals.
    last_polled: dict[str, float] = context.job.data if context.job and isinstance(context.job.data, dict) else {}
    now = time.monotonic()
    feeds = await news.store.feeds.all()
    sources = [f.url for f in feeds if _due(last_polled, f.url, f.every or settings.feed_interval, now)]
    if not sources:
        return
    for url in sources:
        last_polled[url] = now
    metrics = news.metrics
    try:
        report = await ingest_sources(
            news.store,
            sources,
            max_bytes=settings.fetch_max_bytes,
            timeout=settings.fetch_timeout,
            allow_private=settings.fetch_allow_private,
        )
    except Exception:  # logged once, with its traceback, by the error handler the job queue calls
        if metrics is not None:
            metrics.feeds_polled(len(sources), failed=len(sources))
        raise
    if metrics is not None:
        metrics.feeds_polled(len(sources), failed=len(report.failed_sources))
        metrics.ingested(report.added, report.updated)
    log.info(
        "feeds polled: %d added, %d updated, %d not modified, %d failed",
        report.added,
        report.updated,
        len(report.not_modified),
        len(report.failed_sources),
    )
    for source, reason in report.failed_sources:
        log.warning("feed %s: %s", source, reason)
    if report.added:
        news.kick_delivery()
    if report.added or report.updated:
        news.kick_fulltext()


async def start_feed_polling(app: Application, news: NewsBot) -> Job[NewsContext] | None:
    """List NEWSBOT_FEEDS in the store with their topics, and poll the store's feeds from now on."""
    for feed in news.settings.feeds:
        await news.store.feeds.upsert(feed.url, feed.topic_slug)
    if app.job_queue is None:
        if news.settings.feeds:
            log.warning("NEWSBOT_FEEDS is set but the job queue is not installed: feeds are not polled")
        return None
    tick = min(news.settings.feed_interval, TICK_MAX)
    return app.job_queue.run_repeating(poll_feeds, interval=tick, first=0, name=JOB_NAME, data={})
