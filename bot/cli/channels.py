"""`newsbot channels add|list|remove`: the newsroom's channels (issue 15) over bot/services/chats.py,
the same actions as /channels in the admin chat. Linking asks Telegram (getChat, getChatMember) that
the bot is an administrator allowed to post there, so it needs TELEGRAM_BOT_TOKEN. A refused change
is one line on stderr naming the channel and the reason, exit code 1, nothing stored."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from telegram import Bot
from telegram.error import TelegramError

from bot.config import Settings
from bot.models import NewsChat
from bot.services.chats import Chats
from bot.services.newsroom import Refused
from bot.services.reading import Reading
from bot.store import StoreError, open_store

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

REFUSED_EXIT = 1
EPILOG = """\
exit codes: 0 done; 1 refused (one line says why; nothing stored);
2 a setting, the store or Telegram cannot be used, or the command line is wrong.
"""


def add_commands(sub: SubParsers, command: Callable[[SubParsers, str, str], argparse.ArgumentParser]) -> None:
    channels = command(sub, "channels", "the newsroom's channels: link one to topics, list them, unlink one")
    csub = channels.add_subparsers(dest="action", required=True, metavar="ACTION", title="actions")

    def parser(name: str, text: str) -> argparse.ArgumentParser:
        return csub.add_parser(
            name, help=text, description=text[0].upper() + text[1:] + ".", epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )  # fmt: skip

    add = parser("add", "post new items of these topics to a channel where the bot is an administrator allowed to post")
    add.add_argument("channel", metavar="@name_or_id", help="the channel's @username or its id (-100…)")
    add.add_argument("slugs", nargs="+", metavar="TOPIC_SLUG", help="topics whose new items are posted there")
    parser("list", "the linked channels: id, @username, title, state, topics, members")
    remove = parser("remove", "stop posting to a channel (what was posted stays)")
    remove.add_argument("channel", metavar="@name_or_id", help="the channel's @username or its id")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "add" and not settings.token:
        _err("newsbot channels add: TELEGRAM_BOT_TOKEN is not set (Telegram is asked whether the bot may post there)")
        return 2
    store = await open_store(settings.store_location)
    try:
        chats = Chats(store, Reading(store), settings.admins)
        try:
            if args.action == "add":
                async with Bot(settings.token or "", base_url=settings.api_url) as bot:
                    chat = await chats.link_channel(bot, args.channel, args.slugs)
                _out(f"linked {_label(chat)} to {', '.join(chat.topics)}: new items are posted there")
                return 0
            if args.action == "remove":
                chat = await chats.unlink_channel(args.channel)
                _out(f"unlinked {_label(chat)}: nothing more is posted there")
                return 0
            lines = ["id\tusername\ttitle\tstate\ttopics\tmembers"]
            for chat in await chats.channels():
                state = "posting" if chat.paused is None else f"paused ({chat.paused})"
                members = "-" if chat.members is None else str(chat.members)
                lines.append(
                    f"{chat.id}\t{'@' + chat.username if chat.username else '-'}\t{chat.title or '-'}\t{state}\t"
                    f"{','.join(chat.topics) or '-'}\t{members}"
                )
            _out("\n".join(lines))
            return 0
        except Refused as exc:
            _err(f"newsbot channels {args.action}: {exc}")
            return REFUSED_EXIT
        except TelegramError as exc:
            _err(f"newsbot channels {args.action}: Telegram could not be asked ({exc.message})")
            return 2
    finally:
        await store.close()


async def refresh_members(settings: Settings) -> None:
    """`newsbot stats` with a token: ask Telegram for each chat's members first (best effort)."""
    if not settings.token:
        return
    store = await open_store(settings.store_location)
    try:
        async with Bot(settings.token, base_url=settings.api_url) as bot:
            await Chats(store, Reading(store)).refresh_members(bot)
    except (TelegramError, StoreError):
        pass  # the counts stored earlier are shown
    finally:
        await store.close()


def _label(chat: NewsChat) -> str:
    return f"{chat.title or chat.id} ({chat.label})"


def _out(text: str) -> None:
    sys.stdout.write(text.rstrip("\n") + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
