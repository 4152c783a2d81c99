"""Readers' accounts: first contact, /start and /stop, blocking seen from Telegram's side."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from telegram import User

from bot.models import Reader, ReaderStatus
from bot.store.protocols import NewsStore

# Key in a reader's per-user memory (PTB's context.user_data) holding the names last stored.
_STORED_NAMES = "stored_names"


class Accounts:
    """The readers' accounts over the store; one instance for the bot's life (bot/app.py)."""

    def __init__(self, store: NewsStore) -> None:
        self.store = store

    async def welcome(self, user: User, memo: MutableMapping[Any, Any] | None = None) -> tuple[Reader, bool]:
        """/start: the reader is stored (or its names refreshed) and pushes are on. True when new."""
        readers = self.store.readers
        reader, created = await readers.get_or_create(user.id, user.first_name, user.username)
        if memo is not None:
            memo[_STORED_NAMES] = (user.first_name, user.username)
        if reader.status is not ReaderStatus.ACTIVE:
            await readers.set_status(user.id, ReaderStatus.ACTIVE)
            refreshed = await readers.get(user.id)
            assert refreshed is not None  # it exists: get_or_create just returned it
            reader = refreshed
        return reader, created

    async def known(self, user: User, memo: MutableMapping[Any, Any] | None = None) -> Reader:
        """Any contact: the reader is stored on first contact, its status left as it is.

        With ``memo`` (the reader's context.user_data) the write is skipped while the names already
        stored are the ones Telegram sends: one read per update instead of a write transaction.
        """
        names = (user.first_name, user.username)
        if memo is not None and memo.get(_STORED_NAMES) == names:
            reader = await self.store.readers.get(user.id)
            if reader is not None:
                return reader
        reader, _ = await self.store.readers.get_or_create(user.id, user.first_name, user.username)
        if memo is not None:
            memo[_STORED_NAMES] = names
        return reader

    async def blocked(self, user: User) -> None:
        """The reader blocked the bot: BLOCKED, which cancels the pushes waiting for them."""
        await self.store.readers.get_or_create(user.id, user.first_name, user.username)
        await self.store.readers.set_status(user.id, ReaderStatus.BLOCKED)

    async def unblocked(self, user: User) -> None:
        """The reader unblocked the bot: active again (new items only), unless they had /stop-ped."""
        reader, _ = await self.store.readers.get_or_create(user.id, user.first_name, user.username)
        if reader.status is ReaderStatus.BLOCKED:
            await self.store.readers.set_status(user.id, ReaderStatus.ACTIVE)
