"""Flood control: a reader who sends too much is answered once, then ignored; others are not slowed."""

from __future__ import annotations

import dataclasses

from bot.config import Settings
from bot.devtools.harness import BotHarness
from handlers.system.flood import FloodGuard


def test_the_window_allows_the_limit_then_warns_once_then_recovers() -> None:
    guard = FloodGuard(limit=3, window=10.0)
    assert [guard.allow(1, t) for t in (0.0, 1.0, 2.0)] == [(True, False)] * 3
    assert guard.allow(1, 3.0) == (False, True)  # the first refused update is answered
    assert guard.allow(1, 4.0) == (False, False)  # later ones are ignored
    assert guard.allow(2, 4.0) == (True, False)  # another reader is not affected
    assert guard.allow(1, 10.5) == (True, False)  # the oldest update left the window
    guard.forget_idle(100.0)
    assert guard.allow(1, 100.0) == (True, False)


async def test_a_flooding_reader_is_told_once_and_others_are_served(settings: Settings) -> None:
    async with BotHarness(dataclasses.replace(settings, flood_limit=3, flood_window=3600)) as harness:
        flooder, other = harness.reader(701), harness.reader(702)
        for _ in range(3):
            assert "الأوامر" in (await flooder.send("/help")).text
        warned = await flooder.send("/help")
        assert "رسائلك كثيرة جدًا" in warned.text
        ignored = await flooder.send("/help")
        assert ignored.records == []
        assert "الأوامر" in (await other.send("/help")).text
        assert not harness.emulator.refusals
