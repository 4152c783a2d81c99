"""The full-text filler against a real HTTP server on loopback serving the saved pages and bad ones,
on each engine of the store contract suite (the `store` fixture of tests/store/conftest.py)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.runtime import fulltext
from bot.runtime.fulltext import EXTRACTION_NICENESS, SITE_FAILURES_TO_PAUSE, FullText
from bot.store.protocols import NewsStore
from tests.fulltext.in_pool import scheduling
from tests.fulltext.support import PageServer, fulltext_settings, item, serve_pages


@pytest.fixture
async def pages() -> AsyncIterator[PageServer]:
    async for server in serve_pages():
        yield server


async def _stored(store: NewsStore, urls: list[str]) -> list[int]:
    outcomes = await store.articles.upsert_many([(item(url, n), []) for n, url in enumerate(urls)])
    return [o.article_id for o in outcomes]


async def _until(check: object, timeout: float = 60.0) -> None:
    """Wait until the coroutine function `check` answers True (a bound, not a guess: it fails loudly)."""
    deadline = time.monotonic() + timeout
    while not await check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("the filler did not get there")
        await asyncio.sleep(0.05)


async def test_items_with_a_link_and_no_body_are_filled_in_the_background(
    settings: Settings, store: NewsStore, pages: PageServer
) -> None:
    urls = [pages.url(f"site/story-{n}") for n in range(12)]
    ids = await _stored(store, urls)
    assert (await store.fulltext.count_by_state())["pending"] == 12
    service = FullText(store, fulltext_settings(settings, fulltext_concurrency=4, fulltext_per_host=2))
    await service.start()
    try:

        async def all_done() -> bool:
            return (await store.fulltext.count_by_state())["done"] == 12

        await _until(all_done)
    finally:
        await service.stop()
    assert pages.most_busy <= 2  # NEWSBOT_FULLTEXT_PER_HOST: never more at once from one site
    for article_id in ids:
        article = await store.articles.get(article_id)
        assert article is not None and article.fulltext == "done"
        assert len(article.body) >= 3
        assert article.lead == "مقدمة الخبر كما جاءت في الخلاصة"  # the feed's lead stays
        assert not any("ترحب شبكة CNN" in p for p in article.body)
        assert article.image_url is not None and article.outlet is not None
    # the page's text is in the search index
    found = await store.articles.search("الخزانات الجوفية")
    assert found and {a.id for a in found} <= set(ids)
    # a summary polled again keeps the page's text and is not queued again
    again = await store.articles.upsert_many([(item(urls[0], 0, lead="مقدمة معدلة"), [])])
    assert again[0].status == "updated"
    article = await store.articles.get(ids[0])
    assert article is not None and article.body and article.lead == "مقدمة معدلة" and article.fulltext == "done"


async def test_a_date_only_page_fills_a_dateless_item_with_a_day(
    settings: Settings, store: NewsStore, pages: PageServer
) -> None:
    # the CNN page: no date in its metadata, a day in its address
    url = pages.url("site/2013/middle_east/8/3/syria.clashes/index.html")
    path = "/site/2013/middle_east/8/3/syria.clashes/index.html"
    from tests.fulltext.support import PAGES, page_for

    if page_for(path) is not PAGES[2]:
        pytest.skip("the server maps this path to another page")
    undated = item(url, 1).__class__(guid=url, headline="خبر بلا تاريخ", url=url, lead="مقدمة", origin="x")
    (outcome,) = await store.articles.upsert_many([(undated, [])])
    service = FullText(store, fulltext_settings(settings))
    try:
        assert await service.read_now(outcome.article_id)
    finally:
        await service.stop()
    article = await store.articles.get(outcome.article_id)
    assert article is not None and article.date_only
    assert article.published_at is not None and article.published_at.date().isoformat() == "2013-08-03"


BAD = [
    ("bad/pdf", "failed", "not a web page (application/pdf)"),
    ("bad/image", "failed", "not a web page (image/png)"),
    ("bad/huge", "failed", "over the 1048576-byte cap"),
    ("bad/endless", "failed", "more than the 1048576-byte cap"),
    ("bad/never", "retrying", "no complete answer within 2 s"),
    ("bad/loop", "failed", "more than 10 redirects"),
    ("bad/ftp", "failed", "is not an http or https address"),
    ("bad/english", "failed", "the page is not in Arabic"),
    ("bad/empty", "failed", "the page is empty"),
    ("bad/missing", "failed", "HTTP 404"),
]


@pytest.mark.parametrize(("path", "state", "reason"), BAD, ids=[b[0] for b in BAD])
async def test_bad_pages_leave_the_lead_and_are_logged_once(
    settings: Settings,
    store: NewsStore,
    pages: PageServer,
    caplog: pytest.LogCaptureFixture,
    path: str,
    state: str,
    reason: str,
) -> None:
    (article_id,) = await _stored(store, [pages.url(path)])
    service = FullText(store, fulltext_settings(settings))
    caplog.set_level(logging.INFO, logger="bot.runtime.fulltext")
    try:
        assert not await service.read_now(article_id)
    finally:
        await service.stop()
    article = await store.articles.get(article_id)
    assert article is not None
    assert article.fulltext == state and article.body == () and article.page_failed
    assert article.lead == "مقدمة الخبر كما جاءت في الخلاصة"
    lines = [r for r in caplog.records if r.name == "bot.runtime.fulltext"]
    assert len(lines) == 1 and reason in lines[0].getMessage() and f"item {article_id}" in lines[0].getMessage()
    assert lines[0].exc_info is None


async def test_a_private_address_is_refused_unless_allowed(
    settings: Settings, store: NewsStore, pages: PageServer
) -> None:
    (article_id,) = await _stored(store, [pages.url("site/private")])
    service = FullText(store, fulltext_settings(settings, fetch_allow_private=False))
    try:
        assert not await service.read_now(article_id)
    finally:
        await service.stop()
    assert pages.hits == {}  # never asked
    article = await store.articles.get(article_id)
    assert article is not None and article.fulltext == "failed"
    counts = await store.fulltext.count_by_state()
    assert counts["failed"] == 1


async def test_a_failing_host_is_retried_with_backoff_then_given_up(
    settings: Settings, store: NewsStore, pages: PageServer
) -> None:
    (article_id,) = await _stored(store, [pages.url("down")])
    service = FullText(store, fulltext_settings(settings, fulltext_attempts=3, fulltext_retry=60.0))
    try:
        before = int(time.time())
        assert not await service.read_now(article_id)
        article = await store.articles.get(article_id)
        assert article is not None and article.fulltext == "retrying" and article.page_failed
        # not due before its retry: 60 s, then 120 s
        assert await store.fulltext.claim(10, lease=1, now=before + 59) == []
        (job,) = await store.fulltext.claim(10, lease=1, now=before + 62)
        assert job.attempts == 1
        assert not await service.read_now(article_id)
        (job,) = await store.fulltext.claim(10, lease=1, now=int(time.time()) + 121)
        assert job.attempts == 2
        assert not await service.read_now(article_id)  # the third and last attempt
    finally:
        await service.stop()
    article = await store.articles.get(article_id)
    assert article is not None and article.fulltext == "failed"
    assert pages.hits["/down"] == 3
    assert await store.fulltext.job(article_id) is None  # given up: never taken again
    assert (await store.fulltext.count_by_state())["failed"] == 1


async def test_retry_after_is_honoured(settings: Settings, store: NewsStore, pages: PageServer) -> None:
    (article_id,) = await _stored(store, [pages.url("flaky")])
    service = FullText(store, fulltext_settings(settings, fulltext_retry=1.0))
    try:
        now = int(time.time())
        assert not await service.read_now(article_id)
    finally:
        await service.stop()
    # Retry-After: 120 outweighs the 1 s backoff
    assert await store.fulltext.claim(10, lease=1, now=now + 110) == []
    assert [j.article_id for j in await store.fulltext.claim(10, lease=1, now=now + 125)] == [article_id]


async def test_markup_in_a_page_is_stored_as_text(settings: Settings, store: NewsStore, pages: PageServer) -> None:
    (article_id,) = await _stored(store, [pages.url("bad/script")])
    service = FullText(store, fulltext_settings(settings))
    try:
        assert await service.read_now(article_id)
    finally:
        await service.stop()
    article = await store.articles.get(article_id)
    assert article is not None
    assert any("<script>alert(1)</script>" in p for p in (article.lead, *article.body))


def _hold_extraction(fifo: str) -> None:
    """In the extraction process: busy until the test opens `fifo` for writing and closes it."""
    with open(fifo, "rb") as waiting:
        waiting.read()


async def test_a_page_frees_its_download_slot_before_it_is_extracted(
    settings: Settings, store: NewsStore, pages: PageServer, tmp_path: Path
) -> None:
    fifo = tmp_path / "hold"
    os.mkfifo(fifo)
    ids = await _stored(store, [pages.url(f"site/slot-{n}") for n in range(3)])
    service = FullText(store, fulltext_settings(settings, fulltext_concurrency=1, fulltext_per_host=1))
    # the one extraction process, kept busy: no page can be extracted (nor its item stored) until released
    service._executor = ProcessPoolExecutor(
        1, mp_context=multiprocessing.get_context("spawn"), initializer=fulltext._start_extraction
    )
    held = service._executor.submit(_hold_extraction, str(fifo))
    await service.start()
    try:

        async def two_downloaded() -> bool:
            return sum(pages.hits.get(f"/site/slot-{n}", 0) for n in range(3)) >= 2

        # one download at a time, yet a second page is asked while the first waits for extraction:
        # the limit counts downloads, not extraction (which would add its time to every slot's cycle)
        await _until(two_downloaded)
        assert (await store.fulltext.count_by_state())["done"] == 0
        await asyncio.to_thread(lambda: open(fifo, "wb").close())
        held.result(timeout=60)

        async def all_done() -> bool:
            return (await store.fulltext.count_by_state())["done"] == 3

        await _until(all_done)
    finally:
        if not held.done():  # failed before the release: end the held process, or stopping waits for it
            for pid in list(service._executor._processes):
                os.kill(pid, signal.SIGKILL)
        await service.stop()
    assert pages.most_busy <= 1
    assert all(pages.hits[f"/site/slot-{n}"] == 1 for n in range(3)) and len(ids) == 3


async def test_reading_an_item_twice_at_once_asks_the_page_once(
    settings: Settings, store: NewsStore, pages: PageServer
) -> None:
    (article_id,) = await _stored(store, [pages.url("gated/one")])
    service = FullText(store, fulltext_settings(settings))
    try:
        first = asyncio.create_task(service.read_now(article_id))
        second = asyncio.create_task(service.read_now(article_id))
        await asyncio.sleep(0)
        pages.gate.set()
        assert await first and await second is True
    finally:
        await service.stop()
    assert pages.hits["/gated/one"] == 1


async def test_pages_are_extracted_in_a_pool_of_processes_at_a_lower_cpu_priority_than_the_bot(
    settings: Settings, store: NewsStore
) -> None:
    from tests.fulltext.support import PAGES

    service = FullText(store, fulltext_settings(settings, fulltext_processes=2))
    try:
        # two pages submitted at once: the pool starts a second process, none being idle yet
        results = await asyncio.gather(*(service._extracted(page, "http://127.0.0.1/story") for page in PAGES[:2]))
        executor = service._executor
        assert isinstance(executor, ProcessPoolExecutor)
        pids = list(executor._processes)  # the pool's own record of its processes
        expected = min(os.nice(0) + EXTRACTION_NICENESS, 19)
        # A task runs in a process only after the process's initializer: what these read is the
        # priority pages are extracted at.
        loop = asyncio.get_running_loop()
        extracted_at = await asyncio.gather(*(loop.run_in_executor(executor, scheduling) for _ in range(4)))
        # Both pages may have been extracted by the first process while the second was still
        # starting (seen on a loaded machine): each process is waited for until its initializer
        # has run, which the pool does before it takes any task.
        niceness = [await _settled_niceness(pid, expected) for pid in pids]
    finally:
        await service.stop()
    assert all(result.items for result in results)
    assert len(pids) == 2 and os.getpid() not in pids
    assert all(n >= expected for n, _ in extracted_at)
    assert all(n >= expected for n in niceness)
    if hasattr(os, "SCHED_IDLE"):  # Linux: pages are extracted only on CPU time the bot leaves
        assert {policy for _, policy in extracted_at} == {os.SCHED_IDLE}
        assert os.sched_getscheduler(0) != os.SCHED_IDLE  # the bot's own process keeps its class


async def _settled_niceness(pid: int, expected: int) -> int:
    """The process's niceness once it reaches `expected`, or as it is after a minute."""
    niceness = os.getpriority(os.PRIO_PROCESS, pid)
    for _ in range(600):
        if niceness >= expected:
            break
        await asyncio.sleep(0.1)
        niceness = os.getpriority(os.PRIO_PROCESS, pid)
    return niceness


async def test_a_pool_whose_processes_die_is_replaced_once_and_every_page_still_extracted(
    settings: Settings, store: NewsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fulltext.support import PAGES

    pools: list[ProcessPoolExecutor] = []

    class CountedPool(ProcessPoolExecutor):  # the real pool, counted as it is made
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(fulltext, "ProcessPoolExecutor", CountedPool)
    service = FullText(store, fulltext_settings(settings, fulltext_processes=2))
    try:
        reads = [asyncio.create_task(service._extracted(page, "http://127.0.0.1/story")) for page in PAGES * 2]
        await asyncio.sleep(0)  # every read submitted: the pool's processes are starting
        broken = service._executor
        assert isinstance(broken, ProcessPoolExecutor) and broken._processes
        for pid in list(broken._processes):
            os.kill(pid, signal.SIGKILL)  # before any could finish its first page (it is still starting)
        # all six reads fail on the broken pool at once: the first to learn it replaces the pool,
        # the others go to the new one (none shuts the new pool down under the others' pages)
        results = await asyncio.gather(*reads)
        assert service._executor is not None and service._executor is not broken
    finally:
        await service.stop()
    assert all(result.items for result in results)
    assert len(pools) == 2  # the broken one and its one replacement (not one new pool per failed read)


async def test_a_site_that_does_not_answer_is_paused_while_other_sites_are_read(
    settings: Settings, store: NewsStore, pages: PageServer, caplog: pytest.LogCaptureFixture
) -> None:
    async def hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()  # a site that drops every connection unanswered

    down_site = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    dead = f"http://127.0.0.1:{down_site.sockets[0].getsockname()[1]}"
    good = await _stored(store, [pages.url(f"site/good-{n}") for n in range(5)])
    # stored after the good ones, so taken first (newest first): 40 pages of a site that is down
    outcomes = await store.articles.upsert_many([(item(f"{dead}/story/{n}", n), []) for n in range(40)])
    down = [o.article_id for o in outcomes]
    caplog.set_level(logging.INFO, logger="bot.runtime.fulltext")
    service = FullText(store, fulltext_settings(settings, fulltext_concurrency=4, fulltext_per_host=2))
    started = time.time()
    await service.start()
    try:

        async def good_done() -> bool:
            return (await store.fulltext.count_by_state())["done"] == 5

        await _until(good_done)
    finally:
        await service.stop()
        down_site.close()
        await down_site.wait_closed()
    tried = [a for a in [await store.articles.get(i) for i in down] if a is not None and a.page_failed]
    # SITE_FAILURES_TO_PAUSE reads failed in a row, plus the one begun beside the last (2 per site)
    assert SITE_FAILURES_TO_PAUSE <= len(tried) <= SITE_FAILURES_TO_PAUSE + 1, caplog.text
    # the others went back to the queue untried, due when the site's pause (NEWSBOT_FULLTEXT_RETRY) ends
    waiting = [await store.fulltext.job(i) for i in down]
    assert all(job is not None for job in waiting)
    assert sum(1 for job in waiting if job is not None and job.attempts == 0) == 40 - len(tried)
    assert await store.fulltext.claim(100, lease=1, now=int(started) + 59) == []
    assert len(await store.fulltext.claim(100, lease=1, now=int(time.time()) + 61)) == 40
    paused = [r.getMessage() for r in caplog.records if "its pages wait" in r.getMessage()]
    assert len(paused) == 1 and dead.removeprefix("http://") in paused[0] and "wait 60 s" in paused[0], caplog.text
    filled = [await store.articles.get(i) for i in good]
    assert all(a is not None and a.fulltext == "done" for a in filled)
