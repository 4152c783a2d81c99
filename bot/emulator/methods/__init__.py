"""The Bot API methods, one module per concern; importing this package registers every one of them
in :data:`bot.emulator.registry.METHODS`."""

from bot.emulator.methods import messages, profile, queries, updates
from bot.emulator.registry import METHODS, NAMES

__all__ = ["METHODS", "NAMES", "messages", "profile", "queries", "updates"]
