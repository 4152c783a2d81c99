"""The Bot API methods, one module per concern; importing this package registers every one of them
in :data:`bot.devtools.emulator.registry.METHODS`."""

from bot.devtools.emulator.methods import chats, messages, profile, queries, updates
from bot.devtools.emulator.registry import METHODS, NAMES

__all__ = ["METHODS", "NAMES", "chats", "messages", "profile", "queries", "updates"]
