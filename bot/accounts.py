"""Readers' accounts: first contact, /start and /stop, blocking seen from Telegram's side."""

from __future__ import annotations

from telegram import User

from bot.models import Reader, ReaderStatus
from bot.store import Store


async def welcome(store: Store, user: User) -> tuple[Reader, bool]:
    """/start: the reader is stored (or its names refreshed) and pushes are on. True when new."""
    reader, created = await store.readers.get_or_create(user.id, user.first_name, user.username)
    if reader.status is not ReaderStatus.ACTIVE:
        await store.readers.set_status(user.id, ReaderStatus.ACTIVE)
        refreshed = await store.readers.get(user.id)
        assert refreshed is not None  # it exists: get_or_create just returned it
        reader = refreshed
    return reader, created


async def known(store: Store, user: User) -> Reader:
    """Any contact: the reader is stored on first contact, its status left as it is."""
    reader, _ = await store.readers.get_or_create(user.id, user.first_name, user.username)
    return reader
