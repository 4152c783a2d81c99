"""The typed context handlers receive: the bot's resources, opened in post_init, closed in post_shutdown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ExtBot

from bot.config import Settings
from bot.render import Renderer

if TYPE_CHECKING:
    from bot.store.protocols import NewsStore

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class NewsBot:
    """The bot's resources, held in `application.bot_data` and reached as `context.news`.

    The store and the services that need it exist between post_init and post_shutdown only; a
    handler reaching them outside that window is a programming error and says so.
    """

    def __init__(self, settings: Settings | None = None, renderer: Renderer | None = None, clock: Clock = utc_now):
        self.settings = settings or Settings()
        self.renderer = renderer or Renderer(tz=self.settings.timezone, clock=clock)
        self.clock = clock
        self._store: NewsStore | None = None
        # Long-lived services started in post_init (delivery worker, feed poller), by name.
        self.services: dict[str, Any] = {}

    @property
    def store(self) -> NewsStore:
        if self._store is None:
            raise RuntimeError("the store is not open: it opens in post_init and closes in post_shutdown")
        return self._store

    @store.setter
    def store(self, store: NewsStore | None) -> None:
        self._store = store

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admins


class NewsContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], NewsBot]):
    """CallbackContext with typed access to the bot's resources."""

    @property
    def news(self) -> NewsBot:
        return self.bot_data

    @property
    def store(self) -> NewsStore:
        return self.bot_data.store

    @property
    def renderer(self) -> Renderer:
        return self.bot_data.renderer
