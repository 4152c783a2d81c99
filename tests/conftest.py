"""Shared fixtures: a temporary store file, and the real bot running against the local emulator."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.devtools.harness import BotHarness
from tests.postgres import postgres, postgres_session  # noqa: F401 - fixtures for every test folder

REPO = Path(__file__).resolve().parent.parent
TEST_DATA = REPO / "tests" / "data"  # real Arabic news files, with their sources in tests/data/SOURCES.md
DATA = TEST_DATA / "arabic-news"
SEED_PAGE = TEST_DATA / "seed" / "000_2023eb9965469087.txt"
ADMIN_ID = 4242
PUSH_ANY_AGE = 100 * 365 * 86_400  # NEWSBOT_PUSH_MAX_AGE's highest value, 36500d


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a bot on a fresh store in tmp_path, seeded from the project's seeds/."""
    return dataclasses.replace(
        Settings(),
        db_path=tmp_path / "newsbot.db",
        admins=frozenset({ADMIN_ID}),
        push_interval=0.2,
        flood_limit=1000,
        # The seeds' items link to the outlets' real pages: no test reads the web (tests/fulltext
        # turn this on with pages served on loopback).
        fulltext=False,
        # The test data's items are real and months or years old: these tests push them as news.
        # (tests/delivery/test_stories.py keeps the default 24 h and checks old items are not pushed.)
        push_max_age=PUSH_ANY_AGE,
    )


@pytest.fixture
async def harness(settings: Settings) -> AsyncIterator[BotHarness]:
    async with BotHarness(settings) as h:
        yield h
