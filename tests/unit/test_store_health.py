"""The store going away while the bot runs, in the log: one WARNING line when it goes away, a
one-line reminder every `remind` seconds while it stays away, one line when it is back; the loops
that try again log their attempts at DEBUG, without a traceback; the URL's password never shows."""

from __future__ import annotations

import logging

import pytest

from bot.runtime import logs
from bot.store import StoreBusy, StoreUnavailable
from bot.store.health import StoreHealth, log_failure
from bot.store.location import safe_url

URL = "postgresql://news:hunter2-pw@db.example:5432/news"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [logs.formatter("text").format(r) for r in caplog.records]


def test_away_reminded_and_back_are_one_line_each_whatever_the_attempts(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    health = StoreHealth(safe_url(URL), remind=60.0, clock=clock)
    error = StoreUnavailable(f"{safe_url(URL)}: connection refused")
    caplog.set_level(logging.DEBUG, logger="bot.store.health")
    health.available()  # nothing to say while it is there
    for _ in range(50):  # the loops' attempts in the first minute
        health.unavailable(error)
        clock.now += 1.0
    clock.now += 15.0
    health.unavailable(error)  # 65 s after it went away: a reminder
    health.unavailable(error)
    clock.now += 2.5
    health.available()
    health.available()

    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "the store went away: postgresql://news:<secret>@db.example:5432/news: connection refused; "
        "answers and deliveries wait until it is back",
        "the store is still away after 65 s (51 attempts failed): "
        "postgresql://news:<secret>@db.example:5432/news: connection refused",
        "the store is back: postgresql://news:<secret>@db.example:5432/news, after 67.5 s away "
        "(52 attempts failed meanwhile)",
    ]
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in caplog.records)
    assert not any("hunter2" in line or "\n" in line for line in _lines(caplog))


def test_the_next_outage_is_said_again(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    health = StoreHealth("data/newsbot.db", clock=clock)
    caplog.set_level(logging.WARNING, logger="bot.store.health")
    for _ in range(2):
        health.unavailable(StoreUnavailable("data/newsbot.db: disk I/O error"))
        health.available()
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "the store went away",
        "the store is back",
        "the store went away",
        "the store is back",
    ]


def _raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as exc:
        return exc


def test_a_failed_attempt_is_debug_when_away_one_warning_when_busy_and_a_traceback_otherwise(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("newsbot.test.loop")
    caplog.set_level(logging.DEBUG, logger="newsbot.test.loop")
    log_failure(log, _raised(StoreUnavailable("db: refused")), "taking deliveries failed")
    log_failure(log, _raised(StoreBusy("db: locked")), "round %d failed", 3)
    log_failure(log, _raised(ValueError("a bug")), "round %d failed", 4)
    away, busy, bug = caplog.records
    assert (away.levelno, away.getMessage(), away.exc_info) == (
        logging.DEBUG,
        "taking deliveries failed: db: refused",
        None,
    )
    assert (busy.levelno, busy.getMessage(), busy.exc_info) == (logging.WARNING, "round 3 failed: db: locked", None)
    assert bug.levelno == logging.ERROR and bug.getMessage() == "round 4 failed"
    assert "Traceback (most recent call last):" in logs.formatter("text").format(bug)


@pytest.mark.parametrize("debug", [False, True])
def test_asyncpgs_pool_retries_lose_their_traceback_and_go_to_debug(debug: bool) -> None:
    import bot.store.postgres.db  # noqa: F401 - installs the filter on asyncpg's pool logger

    pool_log = logging.getLogger("asyncpg.pool")
    pool_log.setLevel(logging.DEBUG if debug else logging.INFO)
    try:
        error = _raised(ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"))
        record = pool_log.makeRecord(
            pool_log.name,
            logging.WARNING,
            __file__,
            1,
            "Failed to restore the pool connection floor; retrying",
            (),
            (type(error), error, error.__traceback__),
        )
        kept = all(f.filter(record) for f in pool_log.filters)
        assert kept is debug
        assert record.levelno == logging.DEBUG and record.exc_info is None
        assert record.getMessage() == (
            "Failed to restore the pool connection floor; retrying "
            "(ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 5432))"
        )
        other = pool_log.makeRecord(pool_log.name, logging.WARNING, __file__, 1, "Pool.close() is slow", (), None)
        assert all(f.filter(other) for f in pool_log.filters) and other.levelno == logging.WARNING
    finally:
        pool_log.setLevel(logging.NOTSET)
