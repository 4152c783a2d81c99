"""`newsbot channels add|list|remove` and `newsbot stats` (issue 15) in another process, asking the
emulator's Telegram: each refusal one line naming the channel and the reason, exit 1, nothing stored."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.devtools.emulator.server import BotApiEmulator
from bot.devtools.harness import TEST_TOKEN
from bot.models import TopicSpec
from bot.store import Store
from tests.delivery.support import REPO

OWNER = 5001


async def newsbot(db: Path, *args: str, api_url: str | None = None) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    env.update(NEWSBOT_DB=str(db), NEWSBOT_LOG_LEVEL="WARNING")
    if api_url is not None:
        env.update(TELEGRAM_BOT_TOKEN=TEST_TOKEN, TELEGRAM_API_URL=api_url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    return proc.returncode if proc.returncode is not None else -1, out.decode(), err.decode()


async def test_channels_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    store = await Store.open(db)
    await store.topics.upsert(TopicSpec("gaza", "غزة"))
    await store.close()
    async with BotApiEmulator() as emulator:
        channel = emulator.channel("قناة الموقع", owner=OWNER, username="site_news")
        for n in range(9):
            channel.add_member(9000 + n)
        quiet = emulator.channel("قناة أخرى", owner=OWNER, username="no_rights")
        quiet.add_bot(OWNER, can_post_messages=False)
        emulator.group("مجموعة", owner=OWNER, username="a_group").add_bot(OWNER)
        url = emulator.base_url

        refusals = {
            ("@site_news", "gaza"): "not an administrator",  # the bot is not in it yet
            ("@no_rights", "gaza"): "not an administrator allowed to post",
            ("@missing_one", "gaza"): "no such channel",
            ("@a_group", "gaza"): "is a supergroup, not a channel",
            ("12345", "gaza"): "private chat",
            ("news", "gaza"): "neither @username",
        }
        for (ref, slug), reason in refusals.items():
            code, out, err = await newsbot(db, "channels", "add", ref, slug, api_url=url)
            assert code == 1 and out == "" and reason in err and ref in err, (ref, err)
            assert len(err.strip().splitlines()) == 1
        channel.add_bot(OWNER)
        code, _, err = await newsbot(db, "channels", "add", "@site_news", "gaza", "no-such-topic", api_url=url)
        assert code == 1 and "no-such-topic" in err
        code, _, err = await newsbot(db, "channels", "add", "@site_news", "gaza")  # no token
        assert code == 2 and "TELEGRAM_BOT_TOKEN" in err
        store = await Store.open(db)
        assert await store.chats.all() == []  # nothing stored by any refusal
        await store.close()

        code, out, err = await newsbot(db, "channels", "add", "@site_news", "gaza", api_url=url)
        assert code == 0 and "linked" in out and "gaza" in out, err
        code, out, _ = await newsbot(db, "channels", "list")
        assert "@site_news" in out and "posting" in out and "\t11" in out  # owner, 9 members, the bot
        code, out, _ = await newsbot(db, "stats", api_url=url)
        assert code == 0 and "channels: 1 posting, 0 paused, 11 members" in out
        assert "readers: 0 " in out
        code, out, _ = await newsbot(db, "channels", "remove", "@site_news")
        assert code == 0 and "unlinked" in out
        code, _, err = await newsbot(db, "channels", "remove", "@site_news")
        assert code == 1 and "not a linked channel" in err
