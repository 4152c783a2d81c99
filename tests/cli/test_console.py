"""`newsbot console`: the real bot on the emulator in a terminal; piped input gives a transcript."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.cli.console import STILL_WORKING, Console, render_entities
from bot.config import Settings
from bot.devtools.harness import BotHarness
from tests.conftest import ADMIN_ID, DATA

pytestmark = pytest.mark.slow


async def console(tmp_path: Path, script: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    env["NEWSBOT_DB"] = str(tmp_path / "demo.db")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "console", cwd=tmp_path, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(script.encode()), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_piped_commands_print_a_transcript_and_exit(tmp_path: Path) -> None:
    code, out, err = await console(tmp_path, "/start\n/help\nكلام\n")
    assert code == 0, err
    assert err == ""  # a demo on the terminal: no log noise, no traceback
    assert "أنت › /start" in out and "أهلًا بك يا زائر" in out
    assert "⌨️" in out and "📰 آخر الأخبار" in out  # the main keyboard is shown
    assert "أنت › /help" in out and "/latest" in out
    assert "\033[" not in out  # no colour codes when the output is not a terminal
    # the store was created and seeded on first use: real topics are there
    assert (tmp_path / "demo.db").exists()


async def test_buttons_are_numbered_and_a_number_presses_one(tmp_path: Path) -> None:
    code, out, err = await console(tmp_path, "/latest\n1\n")
    assert code == 0, err
    assert "[1]" in out
    after_press = out.split("أنت › 1", 1)[1]
    assert "🤖" in after_press  # pressing the first button got an answer from the bot


def test_entities_render_for_the_terminal() -> None:
    text = "عاجل: خبر 😀 مهم"
    entities = [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "text_link", "offset": 13, "length": 3, "url": "https://example.com"},
    ]
    plain = render_entities(text, entities, color=False)
    assert plain == "عاجل: خبر 😀 مهم ⟨https://example.com⟩"
    colored = render_entities(text, entities, color=True)
    assert colored.startswith("\033[1mعاجل\033[0m")


class _Transcript(io.StringIO):
    """The console's output; `still_working` is set once it says the bot is still at a command."""

    def __init__(self) -> None:
        super().__init__()
        self.still_working = asyncio.Event()

    def write(self, text: str) -> int:
        if STILL_WORKING in text:
            self.still_working.set()
        return super().write(text)


@pytest.fixture
async def held_feed() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A feed on loopback whose answer is held back until the event is set: a slow site."""
    release = asyncio.Event()

    async def feed(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(body=(DATA / "feeds" / "al-jazeera.xml").read_bytes(), content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/slow.xml", feed)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/slow.xml", release
    finally:
        release.set()
        await runner.cleanup()


async def test_a_slow_ingest_in_the_console_is_waited_for(
    settings: Settings, held_feed: tuple[str, asyncio.Event]
) -> None:
    """The console used to give up after 15 s (and crash) while /ingest may take the fetch timeout:
    now it waits as long as the command takes, saying meanwhile that the bot is still working."""
    url, release = held_feed
    out = _Transcript()
    settings = dataclasses.replace(settings, fetch_allow_private=True)  # the held feed is on loopback
    async with BotHarness(settings) as harness:
        console = Console(harness.reader(ADMIN_ID, "محرر"), out, color=False, still_working_every=0.05)
        handling = asyncio.create_task(console.handle(f"/ingest {url}"))
        await asyncio.wait_for(out.still_working.wait(), 30)  # the answer is still held back
        assert not handling.done()
        release.set()
        await asyncio.wait_for(handling, 60)
    transcript = out.getvalue()
    assert transcript.index(STILL_WORKING) < transcript.index("📥")
    assert "جديد:" in transcript and "تعذّرت القراءة" not in transcript
