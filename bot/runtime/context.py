"""The typed context handlers receive: the bot's resources and services, opened in post_init,
closed in post_shutdown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from telegram.ext import CallbackContext, ExtBot

from bot.config import Settings
from bot.services.accounts import Accounts
from bot.services.chats import Chats
from bot.services.editors import Editors
from bot.services.following import Following
from bot.services.reading import Reading
from bot.ui.render import Renderer

if TYPE_CHECKING:
    from bot.runtime.fulltext import FullText
    from bot.runtime.held import HeldUpdates
    from bot.runtime.leader import Leadership
    from bot.runtime.metrics import Metrics
    from bot.store.protocols import NewsStore

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class PushDelivery(Protocol):
    """Push delivery as the rest of the bot sees it (``bot.delivery.service.DeliveryService``)."""

    def kick(self) -> None:
        """Run a fan-out round now instead of at the next interval."""

    async def stop(self) -> None:
        """Stop taking work; sends already at Telegram finish, the rest goes back to the queue."""


@dataclass(frozen=True, slots=True)
class Services:
    """The services over the store that handlers call, built once by the composition root when
    the store is attached (bot/app.py)."""

    reading: Reading
    accounts: Accounts
    editors: Editors
    chats: Chats
    following: Following


class NewsBot:
    """The bot's resources, held in `application.bot_data` and reached as `context.news`.

    The store and the services over it exist between post_init and post_shutdown only; a
    handler reaching them outside that window is a programming error and says so.
    """

    def __init__(self, settings: Settings | None = None, renderer: Renderer | None = None, clock: Clock = utc_now):
        self.settings = settings or Settings()
        self.renderer = renderer or Renderer(tz=self.settings.timezone, clock=clock)
        self.clock = clock
        self._store: NewsStore | None = None
        self._services: Services | None = None
        # Push delivery, in the process that runs it (post_init to post_stop); None elsewhere.
        self.delivery: PushDelivery | None = None
        # Who leads among instances sharing the store (bot/runtime/leader.py), from post_init to post_stop.
        self.leadership: Leadership | None = None
        # The figures /metrics shows (NEWSBOT_METRICS_LISTEN); None when they are off.
        self.metrics: Metrics | None = None
        # Reading items' pages for their full text (NEWSBOT_FULLTEXT), post_init to post_stop; None when off.
        self.fulltext: FullText | None = None
        # Readers' updates whose handling met the store away, handled again when it is back (bot/runtime/held.py).
        self.held: HeldUpdates | None = None

    @property
    def store(self) -> NewsStore:
        if self._store is None:
            raise RuntimeError("the store is not open: it opens in post_init and closes in post_shutdown")
        return self._store

    @store.setter
    def store(self, store: NewsStore | None) -> None:
        self._store = store

    @property
    def has_store(self) -> bool:
        return self._store is not None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("the services are not built: they come with the store, in post_init")
        return self._services

    @services.setter
    def services(self, services: Services | None) -> None:
        self._services = services

    def kick_delivery(self) -> None:
        """A delivery round now, where delivery runs; a worker process leaves it to the next round."""
        if self.delivery is not None:
            self.delivery.kick()

    def kick_fulltext(self) -> None:
        """New items were stored: the page reader looks at its queue now (where it runs)."""
        if self.fulltext is not None:
            self.fulltext.kick()

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admins


class NewsContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], NewsBot]):
    """CallbackContext with typed access to the bot's resources and services."""

    @property
    def news(self) -> NewsBot:
        return self.bot_data

    @property
    def renderer(self) -> Renderer:
        return self.bot_data.renderer

    @property
    def reading(self) -> Reading:
        return self.bot_data.services.reading

    @property
    def accounts(self) -> Accounts:
        return self.bot_data.services.accounts

    @property
    def editors(self) -> Editors:
        return self.bot_data.services.editors

    @property
    def chats(self) -> Chats:
        return self.bot_data.services.chats

    @property
    def following(self) -> Following:
        return self.bot_data.services.following
