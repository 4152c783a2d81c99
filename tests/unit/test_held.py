"""A reader's update that meets the store away is held and handled again, by the same handler, once
the store answers (bot/runtime/held.py): the reader gets the real answer, once, not the error
message; the chat's later updates wait behind it; the log has no traceback; past the bound an
update gets the error message, and the log one line naming the bound."""

from __future__ import annotations

import logging

import pytest

import bot.services.accounts
from bot.devtools.harness import BotHarness
from bot.runtime.held import HeldUpdates
from bot.store import StoreUnavailable

ERROR_REPLY = "عذرًا، حدث خطأ"  # templates/error.html.j2
AWAY = "postgresql://news:<secret>@db.example/news: the server is away"


class StoreAway:
    """Accounts.welcome (the /start handler's one store call) failing as the store does while it is away."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.away = True
        self.calls = 0
        real = bot.services.accounts.Accounts.welcome
        outage = self

        async def welcome(self: bot.services.accounts.Accounts, *args: object, **kw: object) -> object:
            outage.calls += 1
            if outage.away:
                raise StoreUnavailable(AWAY)
            return await real(self, *args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(bot.services.accounts.Accounts, "welcome", welcome)


def _held(harness: BotHarness) -> HeldUpdates:
    held = harness.news.held
    assert held is not None
    return held


async def test_an_update_met_by_the_store_away_is_answered_once_when_it_is_back_and_the_next_waits(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = StoreAway(monkeypatch)
    caplog.set_level(logging.DEBUG)
    reader = harness.reader(71, "سلمى")
    assert (await reader.send("/start")).records == []  # held: no error message
    # /help needs no store, yet waits behind the chat's held /start, so the answers keep the order.
    assert (await reader.send("/help")).records == []
    assert _held(harness).held == 2
    store.away = False
    await _held(harness).settled()

    screen = reader.screen()
    assert len(screen) == 2, screen
    assert "سلمى" in screen[0] and "/latest" in screen[1], screen
    assert not any(ERROR_REPLY in text for text in screen)
    assert store.calls >= 2  # tried while away (at least once), then answered
    assert not [r for r in caplog.records if r.exc_info], "a traceback for an expected outage"
    errors = [r for r in caplog.records if r.name == "newsbot.errors"]
    assert errors and all(r.levelno == logging.DEBUG for r in errors)
    held_lines = [r.getMessage() for r in caplog.records if r.name == "bot.runtime.held"]
    assert held_lines == [
        "holding readers' updates while the store is away: they are answered when it is back",
        "the held readers' updates are answered (2 handled again)",
    ]


async def test_past_the_bound_an_update_gets_the_error_message_and_the_log_one_line(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = StoreAway(monkeypatch)
    _held(harness).limit = 1
    caplog.set_level(logging.INFO)
    first, second, third = harness.reader(72), harness.reader(73), harness.reader(74)
    assert (await first.send("/start")).records == []
    for reader in (second, third):
        reply = await reader.send("/start")
        assert ERROR_REPLY in reply.text, reply.text
    bound = [r for r in caplog.records if "(the bound)" in r.getMessage()]
    assert len(bound) == 1 and bound[0].levelno == logging.WARNING and bound[0].exc_info is None
    store.away = False
    await _held(harness).settled()
    assert len(first.screen()) == 1 and ERROR_REPLY not in first.screen()[0]


async def test_stopping_with_updates_held_says_how_many_in_one_line(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    StoreAway(monkeypatch)
    await harness.reader(75).send("/start")
    caplog.set_level(logging.INFO, logger="bot.runtime.held")
    await _held(harness).stop()
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "stopping with 1 readers' updates held (the store was away): they are not answered"
    ]
