"""Metrics and health: the update labels, the Bot API figures, the setting, and /healthz over
loopback HTTP with a store that is open, closed or never opened."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from telegram import CallbackQuery, Chat, InlineQuery, Message, Update, User

from bot.config import ConfigError, Settings, load_settings
from bot.runtime import metrics as metrics_module
from bot.runtime.context import NewsBot
from bot.runtime.metrics import Metrics, MetricsServer, check_health
from bot.store import Store

USER = User(5, "قارئ", is_bot=False)


def _message(text: str | None) -> Update:
    chat = Chat(5, Chat.PRIVATE)
    return Update(1, message=Message(1, datetime(2025, 1, 1, tzinfo=UTC), chat, from_user=USER, text=text))


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("/start", "start"),
        ("/START a123", "start"),
        ("/latest@some_news_bot", "latest"),
        ("/start\nmore", "start"),
        ("/nothing_like_it", "unknown_command"),
        ("/", "unknown_command"),
        ("أخبار غزة", "text"),
        (None, "other"),
    ],
)
def test_messages_are_labelled_by_their_command(text: str | None, label: str) -> None:
    assert Metrics(["start", "latest"]).command_of(_message(text)) == label


def test_other_updates_are_labelled_by_their_kind() -> None:
    metrics = Metrics(["start"])
    button = Update(2, callback_query=CallbackQuery("q", USER, "chat", data="x"))
    inline = Update(3, inline_query=InlineQuery("i", USER, "غزة", ""))
    assert metrics.command_of(button) == "button"
    assert metrics.command_of(inline) == "inline"
    assert metrics.command_of(Update(4)) == "other"


def test_an_update_the_error_handler_saw_counts_as_an_error() -> None:
    metrics = Metrics(["start"])
    update = _message("/start")
    metrics.handled(update, 0.01, completed=True)
    metrics.failed(update)
    metrics.handled(update, 0.02, completed=True)
    metrics.handled(_message("/start"), 0.03, completed=False)  # the handling itself raised

    def sample(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    assert sample("newsbot_updates_total", command="start", outcome="ok") == 1
    assert sample("newsbot_updates_total", command="start", outcome="error") == 2
    assert sample("newsbot_update_seconds_count", command="start") == 3
    assert sample("newsbot_update_seconds_bucket", command="start", le="0.025") == 2


def test_bot_api_calls_are_labelled_by_method_never_by_token_or_path() -> None:
    metrics = Metrics([])
    metrics.bot_api_answer("https://api.telegram.org/bot123456:SECRET-token/sendMessage", 429)
    metrics.bot_api_answer("https://api.telegram.org/bot123456:SECRET-token/sendMessage", 429)
    metrics.bot_api_answer("https://api.telegram.org/bot123456:SECRET-token/getUpdates", None)
    metrics.bot_api_answer("https://api.telegram.org/file/bot123456:SECRET-token/photos/file_1.jpg", 200)
    registry = metrics.registry
    assert registry.get_sample_value("newsbot_bot_api_requests_total", {"method": "sendMessage", "status": "429"}) == 2
    assert registry.get_sample_value("newsbot_bot_api_requests_total", {"method": "getUpdates", "status": "none"}) == 1
    assert registry.get_sample_value("newsbot_bot_api_requests_total", {"method": "other", "status": "200"}) == 1
    from prometheus_client import generate_latest

    assert b"SECRET" not in generate_latest(registry)


def test_the_metrics_listen_setting() -> None:
    assert Settings().metrics_listen is None
    assert load_settings({"NEWSBOT_METRICS_LISTEN": "0.0.0.0:9100"}).metrics_listen == ("0.0.0.0", 9100)
    assert load_settings({"NEWSBOT_METRICS_LISTEN": "[::1]:9100"}).metrics_listen == ("::1", 9100)
    for wrong in ("9100", "localhost:", "host:99999", "host:port"):
        with pytest.raises(ConfigError, match=r"^NEWSBOT_METRICS_LISTEN: expected HOST:PORT"):
            load_settings({"NEWSBOT_METRICS_LISTEN": wrong})


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "health.db")
    yield store
    await store.close()


async def test_health_is_ok_while_the_store_answers(store: Store) -> None:
    news = NewsBot(Settings())
    news.store = store
    assert await check_health(news) is None


async def test_health_names_a_closed_or_missing_store(tmp_path: Path) -> None:
    news = NewsBot(Settings())
    assert await check_health(news) == "the store is not open"
    news.store = await Store.open(tmp_path / "closed.db")
    await news.store.close()
    reason = await check_health(news)
    assert reason is not None and reason.startswith("the store is unreachable: ") and "\n" not in reason


async def test_healthz_over_http_gives_503_with_the_reason_when_the_store_is_closed(tmp_path: Path) -> None:
    news = NewsBot(Settings())
    news.store = await Store.open(tmp_path / "bot.db")
    metrics = Metrics(["start"])
    sock = metrics_module.listen(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = MetricsServer(sock, metrics, news, update_queue_depth=lambda: 0, delivery_in_flight=lambda: 0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            ok = await client.get("/healthz")
            await news.store.close()
            down = await client.get("/healthz")
            page = await client.get("/metrics")  # still served: only the store's figures are missing
    finally:
        await server.stop()
        sock.close()
    assert (ok.status_code, ok.text) == (200, "ok\n")
    assert down.status_code == 503
    assert down.text.startswith("the store is unreachable: ") and down.text.count("\n") == 1
    assert page.status_code == 200
    assert "newsbot_updates_total" in page.text and "newsbot_deliveries{" not in page.text


def test_a_taken_address_cannot_be_listened_on() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            metrics_module.listen(taken.getsockname())
