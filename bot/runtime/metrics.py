"""Health and metrics for an operator: `NEWSBOT_METRICS_LISTEN=HOST:PORT` (off by default).

`newsbot run` then serves, on that address and nothing else:
- `GET /healthz`: 200 `ok` while the event loop answers and the store answers a trivial query
  within HEALTH_TIMEOUT; otherwise 503 with a one-line reason;
- `GET /metrics`: the figures below in Prometheus's text format, from the official
  prometheus-client.

Figures (counters end in `_total` on the page):
- `newsbot_updates_total{command,outcome}`, `newsbot_update_seconds{command}`: every update
  handled, by command (or kind: text, button, inline, …) and outcome (ok, error), and how long
  its handlers took (from the start of the first to the end of the last);
- `newsbot_bot_api_requests_total{method,status}`: calls to the Bot API (status 429 is Telegram's
  flood limit, `none` a call without an answer); `newsbot_push_sends_total{result}`: pushes;
- `newsbot_feed_polls_total`, `newsbot_feed_poll_errors_total`, `newsbot_items_ingested_total{outcome}`;
- `newsbot_store_errors_total{where}`;
- read at each scrape: `newsbot_deliveries{state}` (the queue's depth is state="queued"; sent
  deliveries are counted by `newsbot_push_sends_total{result="sent"}`, not recounted from the
  store), `newsbot_delivery_in_flight`, `newsbot_update_queue_depth`.

The server is aiohttp (already a dependency) on the bot's own event loop, not prometheus-client's
threaded server: the store is an aiosqlite connection that lives on that loop, so /healthz and the
deliveries gauges query it directly, and an answer from /healthz is itself the proof that the
loop answers (a stuck loop leaves the supervisor's request unanswered, which it counts as down).
The port is bound by the runner before the bot starts (`listen`), so a port that is taken stops
`newsbot run` with one line before anything else has opened; the server starts in post_init and
stops in post_shutdown.

With NEWSBOT_WORKERS > 1, every process counts into prometheus-client's multiprocess mode: the
runner makes a temporary PROMETHEUS_MULTIPROC_DIR that the workers inherit, each process writes
its figures into its own memory-mapped files as they happen, and process 0 adds all the files up
at each scrape (`shared_between_processes`). That is robust when a worker dies: what it counted up
to its last moment is already on disk and stays in the totals (a counter never goes back), and
the worker started in its place writes new files. Reporting figures to process 0 over the
worker's pipe would lose whatever a killed worker had not yet reported, and would need process 0
to keep each dead worker's totals itself. The figures read from the store at scrape time come
from process 0 only, so no gauge needs multiprocess bookkeeping.

The hot path is `handled()`, once per update: a lookup of the command's name, and labelled
children bound when the bot starts (no labels() call, no dict or string built per update).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, cast

from aiohttp import web
from telegram import Update

from bot.store import StoreError

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import Collector

    from bot.store.protocols import NewsStore

log = logging.getLogger(__name__)


class NewsBot(Protocol):
    """What /healthz and the gauges need of the bot's resources (bot.runtime.context.NewsBot): the store
    while it is open, and the figures. A protocol, so this module does not import the context."""

    @property
    def store(self) -> NewsStore: ...

    metrics: Metrics | None


MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
HEALTH_TIMEOUT = 2.0  # seconds the store has to answer /healthz's query

# Labels for updates that are not a known command (their own `command` label values).
UPDATE_KINDS = ("unknown_command", "text", "button", "inline", "membership", "other")
PUSH_RESULTS = ("sent", "retry_after", "retried", "failed", "blocked", "gone")
FULLTEXT_RESULTS = ("filled", "retry", "failed")
STORE_ERROR_PLACES = ("update", "job", "delivery", "health", "scrape")
_FAILED_REMEMBERED = 10_000


class Metrics:
    """The bot's counters and histograms, with their labelled children bound once.

    Pass the names of the commands the bot has handlers for: any other /word is counted as
    `unknown_command`, so what a reader types never makes a new series.
    """

    def __init__(self, commands: Iterable[str]) -> None:
        # prometheus-client decides where values live (in memory, or in files under
        # PROMETHEUS_MULTIPROC_DIR shared by the bot's processes) when it is first imported, so it
        # is imported here, once the runner has set that up, never at this module's import.
        from prometheus_client import CollectorRegistry, Counter, Histogram, values

        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        if self.multiprocess and values.ValueClass is values.MutexValue:
            raise RuntimeError(f"prometheus_client was imported before {MULTIPROC_ENV} was set")
        self.registry = CollectorRegistry()
        registry = self.registry
        updates = Counter(
            "newsbot_updates",
            "Updates handled, by command (or kind of update) and outcome",
            ["command", "outcome"],
            registry=registry,
        )
        latency = Histogram(
            "newsbot_update_seconds",
            "Seconds an update's handlers took, by command (or kind of update)",
            ["command"],
            registry=registry,
        )
        self._commands = {name.lower(): name.lower() for name in commands}
        labels = sorted(set(self._commands.values()) | set(UPDATE_KINDS))
        self._ok = {label: updates.labels(label, "ok") for label in labels}
        self._error = {label: updates.labels(label, "error") for label in labels}
        self._latency = {label: latency.labels(label) for label in labels}
        self._failed: set[int] = set()

        self._api = Counter(
            "newsbot_bot_api_requests",
            "Bot API requests by method and HTTP status (429: Telegram's flood limit; none: no answer)",
            ["method", "status"],
            registry=registry,
        )
        self._api_children: dict[tuple[str, int | None], Any] = {}
        push = Counter(
            "newsbot_push_sends", "Push messages (items, digests, broadcasts) by result", ["result"], registry=registry
        )
        self._push = {result: push.labels(result) for result in PUSH_RESULTS}
        self._feed_polls = Counter("newsbot_feed_polls", "Feeds polled (each feed once per poll)", registry=registry)
        self._feed_errors = Counter("newsbot_feed_poll_errors", "Feed polls that failed", registry=registry)
        ingested = Counter(
            "newsbot_items_ingested",
            "Items stored by feed polling and /ingest, by outcome",
            ["outcome"],
            registry=registry,
        )
        self._added = ingested.labels("added")
        self._updated = ingested.labels("updated")
        store_errors = Counter(
            "newsbot_store_errors", "Store operations that failed, by where", ["where"], registry=registry
        )
        self._store_errors = {where: store_errors.labels(where) for where in STORE_ERROR_PLACES}
        pages = Counter(
            "newsbot_fulltext_pages",
            "Item pages read for the full text, by result (filled, retry, failed: given up)",
            ["result"],
            registry=registry,
        )
        self._pages = {result: pages.labels(result) for result in FULLTEXT_RESULTS}

    # -- updates (the hot path) ----------------------------------------------------------------

    def command_of(self, update: Update) -> str:
        """The `command` label of an update: a known command's name, else the kind of update."""
        message = update.message
        if message is not None:
            text = message.text
            if text is None:
                return "other"
            if text[:1] == "/":
                word = text[1:].split(None, 1)[0] if len(text) > 1 else ""
                return self._commands.get(word.partition("@")[0].lower(), "unknown_command")
            return "text"
        if update.callback_query is not None:
            return "button"
        if update.inline_query is not None:
            return "inline"
        if update.my_chat_member is not None:
            return "membership"
        return "other"

    def handled(self, update: Update, seconds: float, completed: bool) -> None:
        """Count one handled update: `completed` False, or an error handled on its way, is an error."""
        command = self.command_of(update)
        failed = self._failed
        if failed and update.update_id in failed:
            failed.discard(update.update_id)
            completed = False
        (self._ok if completed else self._error)[command].inc()
        self._latency[command].observe(seconds)

    def failed(self, update: Update) -> None:
        """The error handler saw this update fail: it is counted as an error when it is done."""
        if len(self._failed) >= _FAILED_REMEMBERED:  # never happens unless updates are lost
            self._failed.clear()
        self._failed.add(update.update_id)

    # -- the rest ------------------------------------------------------------------------------

    def bot_api_answer(self, url: str, status: int | None) -> None:
        """One Bot API call to `url` (…/bot<token>/<method>) answered with `status` (None: no answer)."""
        key = (url[url.rfind("/") + 1 :], status)
        child = self._api_children.get(key)
        if child is None:
            method = key[0] if key[0].isalpha() and len(key[0]) <= 64 else "other"  # never a token or a path
            child = self._api.labels(method, "none" if status is None else str(status))
            self._api_children[key] = child
        child.inc()

    def push(self, result: str) -> None:
        """One push send's result: one of PUSH_RESULTS."""
        self._push[result].inc()

    def feeds_polled(self, polled: int, failed: int) -> None:
        self._feed_polls.inc(polled)
        if failed:
            self._feed_errors.inc(failed)

    def ingested(self, added: int, updated: int) -> None:
        if added:
            self._added.inc(added)
        if updated:
            self._updated.inc(updated)

    def fulltext_page(self, result: str) -> None:
        """One item page read for the full text: one of FULLTEXT_RESULTS."""
        self._pages[result].inc()

    def store_error(self, where: str, error: BaseException) -> None:
        """Count `error` when it came from the store."""
        if is_store_error(error):
            self._store_errors[where].inc()


def is_store_error(error: BaseException) -> bool:
    return isinstance(error, StoreError)  # sqlite3's errors are translated at the store's boundary


# -- /healthz ----------------------------------------------------------------------------------


async def check_health(news: NewsBot, timeout: float = HEALTH_TIMEOUT) -> str | None:
    """None when the store answers a trivial query within `timeout`; else the reason, in one line."""
    try:
        store = news.store
    except RuntimeError:
        return "the store is not open"
    try:
        async with asyncio.timeout(timeout):
            await store.ping()
    except TimeoutError:
        return f"the store did not answer within {timeout:g} s"
    except Exception as exc:  # whatever it is, the answer is 503 with its name, never a 500
        if news.metrics is not None:
            news.metrics.store_error("health", exc)
        reason = " ".join(str(exc).split())
        return f"the store is unreachable: {type(exc).__name__}" + (f": {reason}" if reason else "")
    return None


# -- the server --------------------------------------------------------------------------------


def listen(address: tuple[str, int]) -> socket.socket:
    """Bind and listen on NEWSBOT_METRICS_LISTEN's address now (OSError when it cannot)."""
    host, port = address
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


@contextlib.contextmanager
def shared_between_processes(enabled: bool) -> Iterator[None]:
    """With `enabled` (NEWSBOT_WORKERS > 1): a temporary PROMETHEUS_MULTIPROC_DIR for this process
    and the workers it starts (they inherit the environment), removed at the end."""
    if not enabled:
        yield
        return
    path = tempfile.mkdtemp(prefix="newsbot-metrics-")
    previous = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = path
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = previous
        shutil.rmtree(path, ignore_errors=True)


class _Scraped:
    """Gauges read when /metrics is asked for: a prometheus-client collector of the last reading."""

    def __init__(self) -> None:
        self.families: list[Metric] = []

    def collect(self) -> Iterable[Metric]:
        return list(self.families)


class MetricsServer:
    """/healthz and /metrics on the bound socket, served by aiohttp on the bot's event loop."""

    def __init__(
        self,
        sock: socket.socket,
        metrics: Metrics,
        news: NewsBot,
        *,
        update_queue_depth: Callable[[], int],
        delivery_in_flight: Callable[[], int],
    ) -> None:
        from prometheus_client import CollectorRegistry
        from prometheus_client.multiprocess import MultiProcessCollector

        self._sock = sock
        self._metrics = metrics
        self._news = news
        self._update_queue_depth = update_queue_depth
        self._delivery_in_flight = delivery_in_flight
        self._scraped = _Scraped()
        if metrics.multiprocess:  # every process's files, this one's included
            self._registry = CollectorRegistry()
            MultiProcessCollector(self._registry)
        else:
            self._registry = metrics.registry
        # A collector by its collect() method (older prometheus-client types Collector as an ABC).
        self._registry.register(cast("Collector", self._scraped))
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._page)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        await web.SockSite(runner, self._sock).start()
        self._runner = runner
        host, port = self._sock.getsockname()[:2]
        log.info("health and metrics on http://%s:%d/healthz and /metrics", host, port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        reason = await check_health(self._news)
        if reason is None:
            return web.Response(text="ok\n")
        return web.Response(status=503, text=reason + "\n")

    async def _page(self, request: web.Request) -> web.Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        self._scraped.families = await self._read_gauges()
        # Reading every process's files (multiprocess mode) is file work: off the event loop.
        body = await asyncio.to_thread(generate_latest, self._registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _read_gauges(self) -> list[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        families: list[Metric] = []
        try:
            counts = await self._news.store.deliveries.count_unsent_by_state()
        except Exception as exc:  # the page still shows every other figure
            self._metrics.store_error("scrape", exc)
            log.warning("/metrics: could not count deliveries: %s: %s", type(exc).__name__, exc)
        else:
            deliveries = GaugeMetricFamily(
                "newsbot_deliveries",
                "Deliveries in the store by state (queued: the queue's depth; sent ones are counted by "
                'newsbot_push_sends_total{result="sent"})',
                labels=["state"],
            )
            for state, n in counts.items():
                deliveries.add_metric([state], n)
            families.append(deliveries)
        families.append(
            GaugeMetricFamily(
                "newsbot_delivery_in_flight",
                "Deliveries taken by the sending worker and not yet confirmed",
                value=self._delivery_in_flight(),
            )
        )
        families.append(
            GaugeMetricFamily(
                "newsbot_update_queue_depth",
                "Updates received and waiting in the Application's queue (the polling or webhook process)",
                value=self._update_queue_depth(),
            )
        )
        return families
