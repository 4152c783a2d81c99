"""The one redaction point: configured secrets, any token's shape, and URLs or fields carrying them."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pytest

from bot import redact
from bot.runtime import logs

TOKEN = "987654321:AAHsecret-part-of-the-token_xyz0123456"
SECRET = "webhook-secret-42"


@pytest.fixture(autouse=True)
def remembered() -> Iterator[None]:
    redact.remember(TOKEN, SECRET)
    yield
    redact.forget()


@pytest.mark.parametrize(
    "text",
    [
        f"The token `{TOKEN}` was rejected by the server.",
        f"Set Bot API URL: https://api.telegram.org/bot{TOKEN}",
        f"url='http://127.0.0.1:8081/file/bot{TOKEN}/photos/1.jpg'",
        f"POST https://example.org/hook?secret={SECRET}&x=1",
        f"Calling Bot API endpoint `setWebhook` with parameters `{{'url': 'u', 'secret_token': '{SECRET}'}}`",
        f"X-Telegram-Bot-Api-Secret-Token: {SECRET}",
    ],
)
def test_configured_secrets_never_survive(text: str) -> None:
    out = redact.redact(text)
    assert TOKEN not in out and SECRET not in out
    assert "AAHsecret" not in out
    assert "<token>" in out or "<secret>" in out


def test_unknown_tokens_are_caught_by_their_shape_and_place() -> None:
    redact.forget()  # before the configuration is read: nothing is known yet
    other = "1122334455:ZZ_another-token-never-configured-0987"
    assert redact.redact(f"token {other} here") == "token <token> here"
    # a token too short for the bare shape is still caught in a Bot API path
    assert redact.redact("http://h/bot12:short/getMe") == "http://h/bot<token>/getMe"
    assert redact.redact("GET /hook?token=abc123&page=2") == "GET /hook?token=<secret>&page=2"


def test_ordinary_text_is_left_alone() -> None:
    for text in (
        "long polling https://api.telegram.org/bot",
        "NEWSBOT_RATE: expected messages per second from 0.1 to 1,000, got 'fast'",
        "Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized): check the token",
        "at 12:30:45 the bottom line is /bottom",
        "أهلًا بك يا ليلى",
    ):
        assert redact.redact(text) == text


def test_a_secret_is_replaced_as_a_whole_word_only() -> None:
    redact.forget()
    redact.remember(None, "abc")
    assert redact.redact("abc abcd xabc abc.") == "<secret> abcd xabc <secret>."


def _logged(emit: logging.Logger) -> str:
    stream = io.StringIO()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    logs.configure("DEBUG")
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    try:
        emit.warning("Set Bot API URL: %s", f"https://api.telegram.org/bot{TOKEN}")
        emit.error("The token `%s` was rejected", TOKEN)
        try:
            try:
                raise ConnectionError(f"url='http://127.0.0.1/bot{TOKEN}/getMe'")
            except ConnectionError as cause:
                raise RuntimeError(f"failed with secret_token='{SECRET}'") from cause
        except RuntimeError:
            emit.exception("polling failed")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    return stream.getvalue()


def test_every_logger_passes_through_the_root_handler_filter() -> None:
    for name in ("telegram.ext.ExtBot", "httpx", "aiohttp.client", "asyncio", "newsbot.errors"):
        out = _logged(logging.getLogger(name))
        assert TOKEN not in out and SECRET not in out, out
        assert "Set Bot API URL: https://api.telegram.org/bot<token>" in out
        assert "The token `<token>` was rejected" in out
        # the exception keeps its type and text, redacted
        assert "RuntimeError: failed with secret_token='<secret>'" in out
        records = [line for line in out.splitlines() if re.match(r"\d{4}-\d\d-\d\d \d", line)]
        assert len(records) == 3, out  # the traceback prints under its record, which stays one


def test_a_traceback_formatter_gets_the_redacted_chain() -> None:
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(redact.RedactingFilter())
    logger = logging.getLogger("test.redact.traceback")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            try:
                raise ConnectionError(f"url='http://127.0.0.1/bot{TOKEN}/getMe'")
            except ConnectionError as cause:
                raise ValueError("wrapped") from cause
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    out = handler.stream.getvalue()
    assert TOKEN not in out
    assert "ConnectionError: url='http://127.0.0.1/bot<token>/getMe'" in out
    assert "ValueError: wrapped" in out and "direct cause" in out
    assert "test_redact.py" in out  # the traceback's frames are kept


def test_a_urls_password_is_taken_out_wherever_the_url_stands() -> None:
    for url, shown in (
        ("postgresql://news:hunter2@db.example:5432/news", "postgresql://news:<secret>@db.example:5432/news"),
        (
            "postgres://news:p@ss:w0rd@10.0.0.5/news?sslmode=require",
            "postgres://news:<secret>@10.0.0.5/news?sslmode=require",
        ),
        ("postgresql://:only-a-password@db/news", "postgresql://:<secret>@db/news"),
    ):
        assert redact.redact(f"cannot reach {url} (refused)") == f"cannot reach {shown} (refused)"
    for text in (  # no password: left as it is
        "postgresql://news@db.example:5432/news",
        "postgresql://news:<secret>@db.example/news",
        "http://127.0.0.1:8081/path?x=1",
    ):
        assert redact.redact(text) == text
