"""Feed polling: the configured feeds (NEWSBOT_FEEDS, each with its topic) on a schedule, through
PTB's job queue. Each poll is a conditional request with the feed's stored ETag/Last-Modified
(bot.ingest.fetch), so an unchanged feed costs one 304. New items are pushed by the next fan-out.
"""

from __future__ import annotations

import logging

from telegram.ext import Application, Job

from bot.runtime.context import NewsBot, NewsContext

log = logging.getLogger(__name__)

JOB_NAME = "feed-poll"


async def poll_feeds(context: NewsContext) -> None:
    from bot.ingest.service import ingest_sources

    news = context.news
    sources = [feed.url for feed in news.settings.feeds]
    settings = news.settings
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
    """Register the configured feeds with their topics and poll them every feed_interval seconds."""
    if not news.settings.feeds:
        return None
    if app.job_queue is None:
        log.warning("NEWSBOT_FEEDS is set but the job queue is not installed: feeds are not polled")
        return None
    for feed in news.settings.feeds:
        await news.store.feeds.upsert(feed.url, feed.topic_slug)
    return app.job_queue.run_repeating(poll_feeds, interval=news.settings.feed_interval, first=0, name=JOB_NAME)
