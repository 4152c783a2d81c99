"""`newsbot items withdraw ID`: an editor withdraws an item from the command line (issue 12).

The item leaves every list, its pending pushes are cancelled and the messages already sent are
deleted where Telegram still allows it (48 hours), by this process with the bot's token, drawing
from a sending budget of its own at NEWSBOT_RATE. Without a token here the deletions stay queued in
the store for the running bot, which does them at its next round. One line reports the counts.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def add_commands(sub: SubParsers, command: Callable[[SubParsers, str, str], argparse.ArgumentParser]) -> SubParsers:
    """`items withdraw`; the `items` actions, for bot/cli/broadcast.py's `items urgent`."""
    items = command(sub, "items", "act on stored items: withdraw one, or send one as breaking news")
    actions = items.add_subparsers(dest="action", required=True, metavar="ACTION")
    text = (
        "delete the messages already sent for an item (within Telegram's 48 hours), cancel the pushes "
        "not yet sent, and stop listing it"
    )
    withdraw = actions.add_parser("withdraw", help=text, description=text[0].upper() + text[1:] + ".")
    withdraw.add_argument("id", metavar="ID", type=int, help="the item's id (as in /article ID)")
    return actions


async def run(settings: Settings, args: argparse.Namespace) -> int:
    from telegram import Bot
    from telegram.constants import ParseMode
    from telegram.ext import Defaults, ExtBot

    from bot.delivery.corrections import MessageJobs, withdraw_item
    from bot.models import EDIT_WINDOW
    from bot.runtime.context import NewsBot
    from bot.store import open_store

    news = NewsBot(settings)
    news.store = await open_store(settings.store_location)
    try:
        if not settings.token:
            now = int(news.clock().timestamp())
            plan = await news.store.messages.withdraw(args.id, now=now, window=EDIT_WINDOW)
            if plan is None:
                return _unknown(args.id)
            print(  # noqa: T201 - the command's output
                f"withdrew item {plan.article_id} «{plan.headline}»: {plan.queued} messages queued for deletion "
                f"by the running bot (no TELEGRAM_BOT_TOKEN here), {plan.too_old} too old to delete "
                f"(past Telegram's 48 hours), {plan.cancelled} pending pushes cancelled"
            )
            return 0
        bot: Bot = ExtBot(
            settings.token,
            base_url=settings.api_url,
            base_file_url=settings.api_url.replace("/bot", "/file/bot", 1),
            defaults=Defaults(parse_mode=ParseMode.HTML),
        )
        async with bot:
            report = await withdraw_item(news, MessageJobs(news, bot), args.id)
        if report is None:
            return _unknown(args.id)
        already = " (it was withdrawn before)" if report.already else ""
        print(  # noqa: T201 - the command's output
            f"withdrew item {report.article_id} «{report.headline}»{already}: {report.deleted} messages deleted, "
            f"{report.too_old} too old to delete (past Telegram's 48 hours), {report.cancelled} pending pushes "
            f"cancelled" + (f", {report.other} not deleted for another reason (see the log)" if report.other else "")
        )
        return 0
    finally:
        await news.store.close()


def _unknown(article_id: int) -> int:
    print(f"newsbot: items withdraw: no item with id {article_id}", file=sys.stderr)  # noqa: T201
    return 1
