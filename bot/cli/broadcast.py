"""`newsbot broadcast …` and `newsbot items urgent ID`: breaking news from the editors' command line,
over the same service as the admin's /broadcast and /urgent (bot/services/editors.py).

A broadcast is checked first (the item, the topics, the time, whom it reaches), shown with the
readers it reaches and, with NEWSBOT_PAID_BROADCAST_RATE, its estimated cost in Stars; it is stored
only once the editor answers yes (or with --yes). The running bot's leader sends it: at once (within
a delivery round, NEWSBOT_PUSH_INTERVAL) or at its time. A refused broadcast is one Arabic line on
stderr naming the problem, exit code 2, nothing stored.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.runtime.context import utc_now
from bot.services.editors import BroadcastPlan, BroadcastRefused, BroadcastRequest, Editors
from bot.store import open_store
from bot.text.html_split import visible_text
from bot.ui.render import Renderer

REFUSED_EXIT = 2  # bad input: an unknown item or topic, a time past or not understood, an empty text
CANCELLED_EXIT = 1  # the editor did not confirm: nothing stored

EPILOG = """\
TIME is HH:MM (today) or YYYY-MM-DD HH:MM in NEWSBOT_TIMEZONE, or ISO 8601 with an offset.
exit codes: 0 stored (the running bot sends it); 1 not confirmed, nothing stored;
2 refused (one line says why: unknown item or topic, a time past, an empty text, nobody to reach),
a setting or the store cannot be used, or the command line is wrong.
"""

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def _parser(sub: SubParsers, name: str, text: str) -> argparse.ArgumentParser:
    return sub.add_parser(
        name, help=text, description=text[0].upper() + text[1:] + ".", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip


def add_commands(sub: SubParsers, items: SubParsers) -> None:
    """`broadcast`, and `urgent` among the `items` actions (bot/cli/items.py), each with help."""
    broadcast = _parser(
        sub, "broadcast", "send breaking news: a text or a stored item, to everyone or to topics' readers, now or later"
    )
    broadcast.add_argument(
        "text", nargs="?", default="", metavar="TEXT",
        help="the news in Arabic; with --item, an optional line shown above the item",
    )  # fmt: skip
    broadcast.add_argument("--item", type=int, metavar="ID", help="send this stored item (its picture and button)")
    broadcast.add_argument(
        "--topic", action="append", default=[], metavar="SLUG", help="only to the subscribers of this topic (repeat)"
    )
    broadcast.add_argument("--at", metavar="TIME", help="send at this time instead of now (see below)")
    broadcast.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    urgent = _parser(items, "urgent", "send a stored item to its subscribers as breaking news, before routine pushes")
    urgent.add_argument("id", type=int, metavar="ID", help="the item's id")
    urgent.add_argument("--yes", action="store_true", help="do not ask for confirmation")


async def run(settings: Settings, args: argparse.Namespace, ask: Callable[[str], str] = input) -> int:
    renderer = Renderer(tz=settings.timezone, clock=utc_now)
    store = await open_store(settings.store_location)
    command = "newsbot broadcast" if args.command == "broadcast" else "newsbot items urgent"
    try:
        editors = Editors(store, settings, kick=lambda: None)
        try:
            if args.command == "broadcast":
                request = BroadcastRequest(args.text, args.item, tuple(args.topic), args.at)
                plan = await editors.plan_broadcast(request)
            else:
                plan = await editors.plan_urgent(args.id)
            urgent = args.command != "broadcast"
            _out(_plain(renderer.render("broadcast_confirm.html.j2", plan=plan, urgent=urgent)))
            if not args.yes and not _confirmed(ask):
                _out(_plain(renderer.render("broadcast_result.html.j2", sent=False)))
                return CANCELLED_EXIT
            if urgent:
                marked = await editors.mark_urgent(args.id, None)
                _out(_plain(renderer.render("broadcast_result.html.j2", sent=True, urgent=True, broadcast_id=args.id)))
                _out(f"{marked.moved} queued deliveries moved to the breaking-news lane")
            else:
                broadcast_id, recorded = await editors.send_broadcast(plan, None)
                _out(_result(renderer, plan, broadcast_id, recorded))
            return 0
        except BroadcastRefused as exc:
            line = _plain(renderer.render("broadcast_refused.html.j2", code=exc.code, subject=exc.subject))
            print(f"{command}: {line}", file=sys.stderr)  # noqa: T201 - the command's one line
            return REFUSED_EXIT
    finally:
        await store.close()


def _result(renderer: Renderer, plan: BroadcastPlan, broadcast_id: int, recorded: int) -> str:
    return _plain(
        renderer.render(
            "broadcast_result.html.j2", sent=True, broadcast_id=broadcast_id, recorded=recorded, send_at=plan.send_at
        )
    )


def _confirmed(ask: Callable[[str], str]) -> bool:
    try:
        answer = ask("أرسل؟ Send? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes", "نعم", "ن"}


def _plain(html: str) -> str:
    return visible_text(html).strip()


def _out(text: str) -> None:
    print(text)  # noqa: T201 - the command's output
