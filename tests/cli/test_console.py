"""`newsbot console`: the real bot on the emulator in a terminal; piped input gives a transcript."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.console import render_entities

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
