"""A store going away and coming back, told in the log once each instead of once per failed attempt.

While the database is away every part of the bot that uses it fails in turn, several times a
second: the leader's fan-out and delivery loops, the full-text filler, feed polling, readers'
updates. Each such failure is expected (a StoreUnavailable) and tells nothing new, so the engine's
connection layer reports it here and the callers log their attempt at DEBUG (`log_failure`). The
log then holds one WARNING line when the store goes away, a one-line reminder every
`remind` seconds while it stays away (with how many attempts failed), and one line when an
operation succeeds again. The lines name the store as its errors do: the URL without its password
(`bot.store.location.safe_url`), or the SQLite file's path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.store.errors import StoreBusy, StoreUnavailable

log = logging.getLogger(__name__)

REMIND_EVERY = 60.0  # seconds between the reminders that the store is still away


class StoreHealth:
    """Whether the last operations on one store failed because it is unavailable."""

    def __init__(
        self, where: str, *, remind: float = REMIND_EVERY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.where = where
        self.remind = remind
        self._clock = clock
        self.down = False  # read on every successful operation: a plain attribute, not a property
        self._since = 0.0
        self._said = 0.0
        self._failed = 0

    def unavailable(self, error: StoreUnavailable) -> None:
        """An operation failed because the store cannot be reached: said once, then every `remind` s."""
        now = self._clock()
        self._failed += 1
        if not self.down:
            self.down, self._since, self._said, self._failed = True, now, now, 1
            log.warning("the store went away: %s; answers and deliveries wait until it is back", error)
        elif now - self._said >= self.remind:
            self._said = now
            log.warning(
                "the store is still away after %.0f s (%d attempts failed): %s", now - self._since, self._failed, error
            )

    def available(self) -> None:
        """An operation succeeded: when the store was away, say that it is back."""
        if not self.down:
            return
        self.down = False
        log.warning(
            "the store is back: %s, after %.1f s away (%d attempts failed meanwhile)",
            self.where,
            self._clock() - self._since,
            self._failed,
        )


def log_failure(logger: logging.Logger, error: BaseException, message: str, *args: object) -> None:
    """Log one failed attempt of a loop that tries again: a store that is away at DEBUG in one line
    (its StoreHealth has said so, and will say when it is back); a busy store in one WARNING line;
    anything else, unexpected, as an ERROR with its traceback."""
    if isinstance(error, StoreUnavailable):
        logger.debug(message + ": %s", *args, error)
    elif isinstance(error, StoreBusy):
        logger.warning(message + ": %s", *args, error)
    else:
        logger.error(message, *args, exc_info=error)
