"""The composition root: builds the python-telegram-bot Application from the configuration.

Every handler is registered here, in one ordered list. Handler modules hold no setup code.
"""

from __future__ import annotations

import gc
import logging
import socket
from pathlib import Path
from typing import Any

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

import handlers.admins.channels
import handlers.admins.commands
import handlers.admins.newsroom
import handlers.admins.withdraw
import handlers.readers.actions
import handlers.readers.articles
import handlers.readers.buttons
import handlers.readers.groups
import handlers.readers.headlines
import handlers.readers.help
import handlers.readers.inline
import handlers.readers.search
import handlers.readers.settings
import handlers.readers.start
import handlers.readers.topics
import handlers.readers.unknown
import handlers.readers.words
import handlers.system.errors
import handlers.system.flood
import handlers.system.held
import handlers.system.membership
from bot.config import Settings
from bot.delivery.service import DeliveryService, start_delivery
from bot.runtime.context import Clock, NewsBot, NewsContext, Services, utc_now
from bot.runtime.feedpoll import JOB_NAME as FEED_JOB
from bot.runtime.feedpoll import start_feed_polling
from bot.runtime.fulltext import start_fulltext
from bot.runtime.held import HeldUpdates
from bot.runtime.leader import Leadership
from bot.runtime.limiter import PaceState, RateLimiter
from bot.runtime.metrics import Metrics, MetricsServer
from bot.runtime.processing import TrackingUpdateProcessor
from bot.runtime.telegram_http import AiohttpRequest
from bot.runtime.workers import Sharding, ShardingBot, ShardingRequest, WorkerPool
from bot.services.accounts import Accounts
from bot.services.chats import Chats
from bot.services.editors import Editors
from bot.services.following import Following
from bot.services.reading import Reading
from bot.store import open_store
from bot.store.protocols import NewsStore
from bot.ui.callbacks import Action, pattern
from bot.ui.render import Renderer

log = logging.getLogger(__name__)

NewsApplication = Application[ShardingBot, NewsContext, dict[Any, Any], dict[Any, Any], NewsBot, Any]

# The bot's command menu (setMyCommands), in the order readers see it.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "البداية والقائمة الرئيسية"),
    ("latest", "آخر الأخبار"),
    ("topics", "المواضيع والاشتراك فيها"),
    ("mysubs", "اشتراكاتي"),
    ("search", "البحث في الأخبار"),
    ("live", "البث المباشر"),
    ("videos", "أحدث الفيديوهات"),
    ("settings", "الإعدادات"),
    ("follow", "متابعة كلمة أو اسم، وقنواتنا"),
    ("mute", "إخفاء أخبار كلمة لا تريدها"),
    ("help", "المساعدة"),
    ("stop", "إيقاف التنبيهات"),
)


def handler_list(news: NewsBot) -> list[tuple[int, BaseHandler[Any, NewsContext, Any]]]:
    """Every handler, in order: (group, handler). Lower groups run first; in a group the first match wins."""
    flood = handlers.system.flood.FloodGuard(news.settings.flood_limit, news.settings.flood_window)
    return [
        # Group -2 runs first: an update of a chat whose earlier updates are held (the store was
        # away) waits behind them, so a chat's updates are answered in order.
        (-2, TypeHandler(Update, handlers.system.held.wait_in_turn)),
        # Group -1: a flooding reader is answered once, then ignored.
        (-1, TypeHandler(Update, flood)),
        (0, CommandHandler("start", handlers.readers.start.start)),
        (0, CommandHandler("help", handlers.readers.help.help_command)),
        # Editors' commands (NEWSBOT_ADMINS); the broadcast confirmation before the readers' buttons.
        (0, CommandHandler("stats", handlers.admins.commands.stats)),
        (0, CommandHandler("broadcast", handlers.admins.commands.broadcast)),
        (0, CommandHandler("urgent", handlers.admins.commands.urgent)),
        (0, CommandHandler("ingest", handlers.admins.commands.ingest)),
        (
            0,
            CallbackQueryHandler(
                handlers.admins.commands.broadcast_answer, pattern=handlers.admins.commands.BROADCAST_DATA
            ),
        ),
        (0, CommandHandler("withdraw", handlers.admins.withdraw.withdraw)),
        (
            0,
            CallbackQueryHandler(
                handlers.admins.withdraw.withdraw_answer, pattern=handlers.admins.withdraw.WITHDRAW_DATA
            ),
        ),
        (0, CommandHandler("topic", handlers.admins.newsroom.topic)),
        (0, CommandHandler("feeds", handlers.admins.newsroom.feeds)),
        (0, CommandHandler("channels", handlers.admins.channels.channels)),
        # A reader blocking or unblocking the bot; the bot added to, changed in or removed from a
        # group or channel; a group upgraded to a supergroup.
        (0, ChatMemberHandler(handlers.system.membership.my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)),
        (0, MessageHandler(filters.StatusUpdate.MIGRATE, handlers.system.membership.migrated)),
        # A group's topics, chosen by its administrators (/topics@bot in the group).
        (0, CommandHandler("topics", handlers.readers.groups.topics, filters=filters.ChatType.GROUPS)),
        (0, CallbackQueryHandler(handlers.readers.groups.toggle, pattern=pattern(Action.GROUP_TOGGLE))),
        (0, CallbackQueryHandler(handlers.readers.groups.page, pattern=pattern(Action.GROUP_TOPICS))),
        # Reader commands, buttons and inline mode (docs/product.md «Readers»).
        (0, CommandHandler("latest", handlers.readers.headlines.latest)),
        (0, CommandHandler("videos", handlers.readers.headlines.videos)),
        (0, CommandHandler("live", handlers.readers.headlines.live)),
        (0, CommandHandler("follow", handlers.readers.words.follow_command)),
        (0, CommandHandler("mute", handlers.readers.words.mute_command)),
        (0, CommandHandler("topics", handlers.readers.topics.topics)),
        (0, CommandHandler("mysubs", handlers.readers.topics.mysubs)),
        (0, CommandHandler("search", handlers.readers.search.search_command)),
        (0, CommandHandler("article", handlers.readers.articles.article_command)),
        (0, CommandHandler("settings", handlers.readers.settings.settings_command)),
        (0, CommandHandler("stop", handlers.readers.settings.stop)),
        # Readers' inline buttons: one handler per action, by its pattern on the versioned data;
        # anything else (an older version, forged, unknown) gets the stale-button notice.
        (0, CallbackQueryHandler(handlers.readers.buttons.latest_page, pattern=pattern(Action.LATEST))),
        (0, CallbackQueryHandler(handlers.readers.buttons.videos_page, pattern=pattern(Action.VIDEOS))),
        (0, CallbackQueryHandler(handlers.readers.buttons.live_page, pattern=pattern(Action.LIVE))),
        (0, CallbackQueryHandler(handlers.readers.buttons.article, pattern=pattern(Action.ARTICLE))),
        (0, CallbackQueryHandler(handlers.readers.buttons.pushed_article, pattern=pattern(Action.PUSHED))),
        (0, CallbackQueryHandler(handlers.readers.buttons.article_page, pattern=pattern(Action.ARTICLE_PAGE))),
        (0, CallbackQueryHandler(handlers.readers.buttons.topics_page, pattern=pattern(Action.TOPICS))),
        (0, CallbackQueryHandler(handlers.readers.buttons.topic_toggle, pattern=pattern(Action.TOPIC_TOGGLE))),
        (0, CallbackQueryHandler(handlers.readers.buttons.topic_open, pattern=pattern(Action.TOPIC_OPEN))),
        (0, CallbackQueryHandler(handlers.readers.buttons.topic_page, pattern=pattern(Action.TOPIC_PAGE))),
        (0, CallbackQueryHandler(handlers.readers.buttons.topic_subscribe, pattern=pattern(Action.TOPIC_SUB))),
        (0, CallbackQueryHandler(handlers.readers.buttons.mysubs_remove, pattern=pattern(Action.MYSUBS_REMOVE))),
        (0, CallbackQueryHandler(handlers.readers.buttons.search_page, pattern=pattern(Action.SEARCH_PAGE))),
        (0, CallbackQueryHandler(handlers.readers.buttons.search_follow, pattern=pattern(Action.SEARCH_FOLLOW))),
        (0, CallbackQueryHandler(handlers.readers.buttons.word_remove, pattern=pattern(Action.WORD_REMOVE))),
        (0, CallbackQueryHandler(handlers.readers.buttons.setting, pattern=pattern(Action.SETTING))),
        (0, CallbackQueryHandler(handlers.readers.buttons.stop, pattern=pattern(Action.STOP))),
        (0, CallbackQueryHandler(handlers.readers.buttons.stale)),
        (0, InlineQueryHandler(handlers.readers.inline.inline_query)),
        # The main keyboard's labels, before plain text: a tapped label is a command, not a query.
        (
            0,
            MessageHandler(
                filters.ChatType.PRIVATE & filters.Text(list(handlers.readers.actions.MAIN_ACTIONS)),
                handlers.readers.actions.main_action,
            ),
        ),
        # Plain text: the words after «🔎 بحث», else the unknown-text answer.
        (
            0,
            MessageHandler(
                filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, handlers.readers.search.plain_text
            ),
        ),
        # Last: anything unknown gets a short Arabic answer and the way forward, in a private chat;
        # in a group the bot stays quiet (a command for another bot, ordinary conversation).
        (0, MessageHandler(filters.ChatType.PRIVATE & filters.COMMAND, handlers.readers.unknown.unknown_command)),
        (0, MessageHandler(filters.ChatType.PRIVATE & filters.TEXT, handlers.readers.unknown.unknown_text)),
    ]


def build_application(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    store: NewsStore | None = None,
    renderer: Renderer | None = None,
    metrics_socket: socket.socket | None = None,
    pace_file: Path | None = None,
) -> NewsApplication:
    """The Application for `settings`. Pass `store` to share an already-open store (tests, console),
    `metrics_socket` (bound to NEWSBOT_METRICS_LISTEN) to serve /healthz and /metrics on it,
    `pace_file` (a worker process) to draw from the process group's sending budget."""
    if not settings.token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    news = NewsBot(settings, renderer, clock)
    owns_store = store is None
    handlers_in_order = handler_list(news)
    if settings.metrics_listen is not None:  # counted in every process, served by the one given the socket
        news.metrics = Metrics(
            name for _, h in handlers_in_order if isinstance(h, CommandHandler) for name in h.commands
        )
    server: MetricsServer | None = None
    if store is not None:
        attach_store(news, store)

    async def post_init(app: NewsApplication) -> None:
        if owns_store:
            attach_store(news, await open_store(settings.store_location))
        await _seed_if_new(news)
        await _set_menu(app)
        # Push delivery (fan-out, sending worker, digests), feed polling and the full-text filler run
        # in the leader (bot/runtime/leader.py): at once on SQLite; on PostgreSQL while this instance holds the lock.
        await _begin_leading(app, news)
        await _start_workers(app, settings)
        if metrics_socket is not None and news.metrics is not None:
            nonlocal server
            server = _metrics_server(app, news, news.metrics, metrics_socket)
            await server.start()
        if owns_store:  # the bot's own process; not a test or the console, which bring their store
            settle_memory()

    async def post_stop(app: NewsApplication) -> None:
        # The last getUpdates is done: workers finish the updates handed to them, then exit.
        await _stop_workers(app)
        await _stop_holding(news)
        # While the HTTP client still works: sends at Telegram finish, the rest goes back to the queue.
        await _stop_delivery(news)
        await _end_leading(app, news)

    async def post_shutdown(app: NewsApplication) -> None:
        nonlocal server
        if server is not None:
            await server.stop()
            server = None
        await _stop_workers(app)  # no-op when post_stop ran
        await _stop_holding(news)  # no-op when post_stop ran
        await _stop_delivery(news)  # no-op when post_stop ran
        await _end_leading(app, news)  # no-op when post_stop ran
        # A start that failed (token refused, API unreachable) left the HTTP clients open:
        # Application.shutdown skips the bot when initialize did not finish. No-op otherwise.
        await app.bot.shutdown()
        pace.close()
        if owns_store and news.has_store:
            await news.store.close()
            news.store = None
            news.services = None

    context_types = ContextTypes(context=NewsContext, bot_data=NewsBot)
    on_answer = news.metrics.bot_api_answer if news.metrics is not None else None
    # One sending budget for every message of the process group (bot.runtime.limiter): replies in
    # the bot's HTTP client, pushes in the delivery worker. Shared through a file with worker processes.
    if pace_file is not None:
        pace = PaceState.attach(pace_file)
    elif settings.workers > 1 and not settings.webhook_url:
        pace = PaceState.shared()
    else:
        pace = PaceState()
    budget = RateLimiter(settings.rate, state=pace)
    sharding = Sharding()
    bot = ShardingBot(
        settings.token,
        base_url=settings.api_url,
        base_file_url=settings.api_url.replace("/bot", "/file/bot", 1),
        defaults=Defaults(parse_mode=ParseMode.HTML),
        # aiohttp, not PTB's default httpx client: a third of the bot's CPU went to httpcore's pool.
        request=AiohttpRequest(
            connection_pool_size=64, connect_timeout=10, read_timeout=15, on_answer=on_answer, budget=budget
        ),
        get_updates_request=ShardingRequest(sharding, connection_pool_size=2, read_timeout=40, on_answer=on_answer),
        sharding=sharding,
        budget=budget,
    )
    app: NewsApplication = (
        ApplicationBuilder()
        .bot(bot)
        .context_types(context_types)
        .concurrent_updates(TrackingUpdateProcessor(64, metrics=news.metrics))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.bot_data = news
    # Held updates are handled again as the update queue's are: through the update processor and its bound.
    news.held = HeldUpdates(lambda update: app.update_processor.process_update(update, app.process_update(update)))
    for group, handler in handlers_in_order:
        app.add_handler(handler, group=group)
    app.add_error_handler(handlers.system.errors.on_error)
    return app


async def start_in_loop(app: NewsApplication, **polling: Any) -> None:
    """Start `app` polling inside an event loop that is already running (the test harness, the
    console), in the order python-telegram-bot's own `run_polling` follows: initialize, the
    post_init set up above, polling, start. `run_polling` owns the loop, so it cannot serve here;
    this is the one place besides it where the bot's start-up steps run."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    if app.updater is not None:
        await app.updater.start_polling(**polling)
    await app.start()


async def stop_in_loop(app: NewsApplication) -> None:
    """Stop what `start_in_loop` started, in `run_polling`'s order: polling, the Application, the
    post_stop set up above, shutdown, post_shutdown. Safe after a start that failed half-way."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    if app.post_stop is not None:
        await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


def attach_store(news: NewsBot, store: NewsStore) -> None:
    """The store, and the services over it that handlers call, for the Application's life."""
    news.store = store
    reading = Reading(store, pages=lambda: news.fulltext)
    news.services = Services(
        reading=reading,
        accounts=Accounts(store),
        editors=Editors(
            store,
            news.settings,
            kick=news.kick_delivery,
            on_ingested=news.metrics.ingested if news.metrics is not None else None,
            clock=news.clock,
        ),
        chats=Chats(store, reading, news.settings.admins),
        following=Following(store),
    )


async def _begin_leading(app: NewsApplication, news: NewsBot) -> None:
    """The leader's duties while this instance leads. In long polling it waits to lead before
    polling starts, and stops when it loses the lead (bot/runtime/leader.py)."""

    polling = not news.settings.webhook_url

    async def start() -> None:
        news.delivery = await start_delivery(news, app.bot)
        await start_feed_polling(app, news)
        news.fulltext = await start_fulltext(news.store, news.settings, news.metrics)
        # The first lead comes before run_polling starts polling; a lead taken again resumes it.
        if polling and leadership.lost and app.updater is not None and not app.updater.running:
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("polling again")

    async def stop() -> None:
        if polling and app.updater is not None and app.updater.running:
            await app.updater.stop()  # another instance may lead now: it alone may poll
        if app.job_queue is not None:
            for job in app.job_queue.get_jobs_by_name(FEED_JOB):
                job.schedule_removal()
        await _stop_delivery(news)

    leadership = Leadership(news.store.leader_lock(), start, stop)
    news.leadership = leadership
    await leadership.begin(wait=polling)


async def _end_leading(app: NewsApplication, news: NewsBot) -> None:
    """Give the lead up (idempotent); `news.leadership` stays, for the runner to see a lost lead."""
    if news.leadership is not None:
        await news.leadership.end()


async def _stop_delivery(news: NewsBot) -> None:
    delivery, news.delivery = news.delivery, None
    if delivery is not None:
        await delivery.stop()
    fulltext, news.fulltext = news.fulltext, None
    if fulltext is not None:
        await fulltext.stop()


async def _stop_holding(news: NewsBot) -> None:
    if news.held is not None:
        await news.held.stop()


def settle_memory() -> None:
    """Once started: move everything loaded so far (modules, templates, locale data) out of the
    garbage collector's sight. A full collection otherwise walks it all, a pause of 60 ms that
    readers feel; what the bot allocates while it runs is still collected as before."""
    gc.collect()
    gc.freeze()


def _metrics_server(app: NewsApplication, news: NewsBot, metrics: Metrics, sock: socket.socket) -> MetricsServer:
    def delivery_in_flight() -> int:
        service = news.delivery
        return service.worker.in_flight if isinstance(service, DeliveryService) else 0

    return MetricsServer(
        sock, metrics, news, update_queue_depth=app.update_queue.qsize, delivery_in_flight=delivery_in_flight
    )


async def _start_workers(app: NewsApplication, settings: Settings) -> None:
    """With NEWSBOT_WORKERS > 1 in long polling, worker processes take their shares of the readers."""
    if settings.workers == 1:
        return
    if settings.webhook_url:
        log.warning("NEWSBOT_WORKERS=%d is for long polling: webhook mode runs in one process", settings.workers)
        return
    budget = app.bot.budget
    pool = WorkerPool(settings, settings.workers, app, budget.state.path if budget is not None else None)
    await pool.start()
    app.bot.use_pool(pool)


async def _stop_workers(app: NewsApplication) -> None:
    pool = app.bot.pool
    app.bot.use_pool(None)
    if pool is not None:
        await pool.stop()


async def _seed_if_new(news: NewsBot) -> None:
    """A new store gets the starting set from seeds/, so a new reader sees real headlines at once."""
    from bot.ingest.service import seed_if_new

    report = await seed_if_new(news.store, news.settings.seeds_dir)
    if report is not None:
        log.info(
            "seeded a new store from %s: %d added, %d rejected",
            news.settings.seeds_dir,
            report.added,
            len(report.rejected),
        )


async def _set_menu(app: NewsApplication) -> None:
    """The command menu and description: nice to have, so a failure is logged, never fatal."""
    try:
        await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
        await app.bot.set_my_short_description("آخر الأخبار العربية، المواضيع، والتنبيهات الفورية")
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)
