"""Logs: one record per event in text or JSON (NEWSBOT_LOG_FORMAT); an unexpected handler error is
logged once with its traceback, an expected one in one line."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator

import pytest
from telegram.error import InvalidToken, TimedOut

import bot.accounts
from bot import logs
from bot.config import ConfigError, Settings, load_settings
from bot.harness import BotHarness


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("newsbot.test", logging.ERROR, __file__, 1, message, args, exc_info)


def _raised() -> ValueError:
    try:
        raise ValueError("a store row without its topic")
    except ValueError as exc:
        return exc


@pytest.fixture
def process() -> Iterator[None]:
    yield
    logs.set_process(None)


def test_json_gives_one_object_a_line_with_the_traceback_as_a_field(process: None) -> None:
    logs.set_process(1)
    line = logs.formatter("json").format(_record("update %s failed ⏎\nسطر", 7, exc=_raised()))
    assert "\n" not in line
    record = json.loads(line)
    assert record["level"] == "ERROR" and record["logger"] == "newsbot.test" and record["process"] == 1
    assert record["message"] == "update 7 failed ⏎\nسطر"
    assert record["time"].endswith("+00:00") and "T" in record["time"]
    assert record["exc_info"].startswith("Traceback (most recent call last):")
    assert "test_logs.py" in record["exc_info"] and "in _raised" in record["exc_info"]
    assert "ValueError: a store row without its topic" in record["exc_info"]


def test_json_without_an_error_or_a_worker_index_has_just_the_four_fields(process: None) -> None:
    record = json.loads(logs.formatter("json").format(_record("feeds polled: %d added", 3)))
    assert set(record) == {"time", "level", "logger", "message"}
    assert record["message"] == "feeds polled: 3 added"


def test_text_keeps_the_message_on_one_line_and_the_traceback_under_it() -> None:
    text = logs.formatter("text").format(_record("reader wrote %r", "a\nforged line", exc=_raised()))
    first, *rest = text.splitlines()
    assert first.endswith("newsbot.test: reader wrote 'a\\nforged line'")
    assert rest[0] == "Traceback (most recent call last):"
    assert any("test_logs.py" in line and "_raised" in line for line in rest)
    plain = logs.formatter("text").format(_record("first\nsecond"))
    assert "\n" not in plain and plain.endswith("first ⏎ second")


def test_the_log_format_setting() -> None:
    assert Settings().log_format == "text"
    assert load_settings({"NEWSBOT_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ConfigError) as err:
        load_settings({"NEWSBOT_LOG_FORMAT": "xml"})
    assert str(err.value) == "NEWSBOT_LOG_FORMAT: expected text or json, got 'xml'"


async def test_an_unexpected_handler_error_is_logged_once_with_its_traceback(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("the welcome service broke")

    monkeypatch.setattr(bot.accounts.Accounts, "welcome", broken)
    with_metrics = dataclasses.replace(settings, metrics_listen=("127.0.0.1", 9))
    async with BotHarness(with_metrics) as harness:
        caplog.set_level(logging.INFO)
        reply = await harness.reader(61, "سعاد").send("/start")
        metrics = harness.news.metrics
        assert metrics is not None
        counted = metrics.registry.get_sample_value("newsbot_updates_total", {"command": "start", "outcome": "error"})
    assert reply.text  # the reader was told, in Arabic, from the error template
    failures = [r for r in caplog.records if r.exc_info or "broke" in r.getMessage()]
    assert len(failures) == 1, [r.getMessage() for r in failures]
    [record] = failures
    assert record.levelno == logging.ERROR and record.name == "newsbot.errors"
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
    text = logs.formatter("text").format(record)
    assert "Traceback (most recent call last):" in text and "test_logs.py" in text and "in broken" in text
    assert counted == 1


async def test_an_expected_error_is_one_line_without_a_traceback(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def unreachable(*args: object) -> None:
        raise TimedOut("Telegram did not answer")

    monkeypatch.setattr(bot.accounts.Accounts, "welcome", unreachable)
    caplog.set_level(logging.INFO, logger="newsbot.errors")
    await harness.reader(62).send("/start")
    [record] = [r for r in caplog.records if r.name == "newsbot.errors"]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "TimedOut" in record.getMessage()
    assert "\n" not in logs.formatter("text").format(record)


def test_telegram_errors_ptb_logs_before_raising_them_stay_one_line() -> None:
    """PTB logs a refused token with its traceback, then raises it to the runner, which says what to do."""
    one_line = logs.TelegramErrorsInOneLine()
    try:
        raise InvalidToken("Not Found")
    except InvalidToken as exc:
        info = (InvalidToken, exc, exc.__traceback__)
        refused = logging.LogRecord("telegram.ext", logging.ERROR, __file__, 1, "%s Invalid token.", ("Loop:",), info)
        ours = logging.LogRecord("newsbot.errors", logging.ERROR, __file__, 1, "update 3 failed", (), info)
    assert one_line.filter(refused) and one_line.filter(ours)
    assert refused.exc_info is None and refused.getMessage() == "Loop: Invalid token. (InvalidToken: Not Found)"
    assert ours.exc_info is not None  # the bot's own record keeps its traceback
