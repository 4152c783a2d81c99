"""`newsbot topics …` and `newsbot feeds …`: the editors' command line over bot/services/newsroom.py.

Each change is one transaction on the store the bot uses (NEWSBOT_DB): a running bot, its worker
processes and `newsbot ingest` pick it up within one delivery round, no restart. A refused change
is one line on stderr naming the problem, exit code 1, and nothing changed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.models import Topic, TopicSpec
from bot.services.newsroom import DAYS_LIMIT, Newsroom, Refused, TopicChange
from bot.store import open_store

REFUSED_EXIT = 1

TOPICS_EPILOG = """\
exit codes: 0 done; 1 the change was refused (one line says why; nothing changed);
2 a setting or the store cannot be used, or the command line is wrong.
"""

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def _parser(sub: SubParsers, name: str, text: str) -> argparse.ArgumentParser:
    return sub.add_parser(
        name, help=text, description=text[0].upper() + text[1:] + ".", epilog=TOPICS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip


def _days(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--days", type=int, default=7, metavar="N", help=f"{what} stored in the last N days (default 7, 0-{DAYS_LIMIT})"
    )


def add_commands(sub: SubParsers, command: Callable[[SubParsers, str, str], argparse.ArgumentParser]) -> None:
    """`topics` and `feeds` with their subcommands, each with help (bot/cli/main.py's parser)."""
    topics = command(sub, "topics", "the newsroom's stories and sections: list, add, edit, archive, merge")
    tsub = topics.add_subparsers(dest="action", required=True, metavar="ACTION", title="actions")
    _parser(tsub, "list", "every topic: slug, name, kind, state, items, subscribers, aliases, keywords")

    add = _parser(tsub, "add", "open a new story (or a section); stored items it matches are filed, never pushed")
    add.add_argument("name", metavar="NAME", help="the Arabic name readers see")
    add.add_argument("--slug", metavar="S", help="its stable id in links and buttons: a-z, 0-9, '-' (default t-<hash>)")
    add.add_argument("--section", action="store_true", help="a standing section instead of a story")
    add.add_argument(
        "--alias", action="append", default=[], metavar="A", help="another name or a feed's label (repeat)"
    )
    add.add_argument("--keyword", action="append", default=[], metavar="K", help="a keyword, whole words (repeat)")
    add.add_argument("--exclude", action="append", default=[], metavar="W", help="a word that keeps items out (repeat)")
    add.add_argument("--pin", type=int, metavar="N", help="pin it at position N among the pinned topics")
    _days(add, "file the matching items")
    add.add_argument("--dry-run", action="store_true", help="only say how many stored items it would file, with 3")

    edit = _parser(tsub, "edit", "rename a topic, change its aliases, keywords and exclusions, pin it")
    edit.add_argument("slug", metavar="SLUG", help="the topic's slug (see `newsbot topics list`)")
    edit.add_argument("--name", metavar="N", help="its new name (the slug stays, so links keep working)")
    for flag, what in (("alias", "an alias"), ("keyword", "a keyword"), ("exclude", "an exclusion word")):
        edit.add_argument(f"--add-{flag}", action="append", default=[], metavar="X", help=f"add {what} (repeat)")
        edit.add_argument(f"--remove-{flag}", action="append", default=[], metavar="X", help=f"remove {what} (repeat)")
    edit.add_argument("--pin", type=int, metavar="N", help="pin at position N (0: unpin)")
    _days(edit, "file the items now matching")
    edit.add_argument("--dry-run", action="store_true", help="only say how many stored items it would file, with 3")

    archive = _parser(tsub, "archive", "end a story: out of /topics, no new items, shown ended in /mysubs")
    archive.add_argument("slug", metavar="SLUG", help="the topic's slug")
    restore = _parser(tsub, "restore", "bring an archived topic back")
    restore.add_argument("slug", metavar="SLUG", help="the topic's slug")
    merge = _parser(tsub, "merge", "move a topic's items and subscriptions into another (a reader keeps one)")
    merge.add_argument("from_slug", metavar="FROM_SLUG", help="the topic that goes away (its slug leads to INTO)")
    merge.add_argument("into_slug", metavar="INTO_SLUG", help="the topic that stays")
    unmatched = _parser(tsub, "unmatched", "category labels of recent items that matched no topic, most frequent first")
    _days(unmatched, "labels of items")

    feeds = command(sub, "feeds", "the feeds the bot polls: add, list, remove, import and export OPML")
    fsub = feeds.add_subparsers(dest="action", required=True, metavar="ACTION", title="actions")
    fadd = _parser(fsub, "add", "poll a feed (or change its topic and interval)")
    fadd.add_argument("url", metavar="URL", help="the feed's http(s) URL")
    fadd.add_argument("--topic", metavar="SLUG", help="file all its items under this topic too")
    fadd.add_argument(
        "--every", type=int, metavar="SECONDS", help="poll it every SECONDS (default NEWSBOT_FEED_INTERVAL)"
    )
    _parser(fsub, "list", "every feed: topic, interval, last poll, last error, items added")
    fremove = _parser(fsub, "remove", "stop polling a feed (its items stay)")
    fremove.add_argument("url", metavar="URL", help="the feed's URL as listed")
    fimport = _parser(fsub, "import", "add every feed of an OPML file (category: a topic slug)")
    fimport.add_argument("file", metavar="FILE.opml", help="an OPML file from a feed reader")
    _parser(fsub, "export", "print the feeds as OPML (to stdout)")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    store = await open_store(settings.store_location)
    try:
        newsroom = Newsroom(store)
        try:
            if args.command == "topics":
                return await _topics(newsroom, args)
            return await _feeds(newsroom, args, settings)
        except Refused as exc:
            _err(f"newsbot {args.command} {args.action}: {exc}")
            return REFUSED_EXIT
    finally:
        await store.close()


async def _topics(newsroom: Newsroom, args: argparse.Namespace) -> int:
    action = args.action
    if action == "list":
        lines = ["slug\tname\tkind\tstate\titems\tsubscribers\taliases\tkeywords"]
        for line in await newsroom.topics():
            t = line.topic
            pin = f" (pin {t.pin})" if t.pin is not None else ""
            lines.append(
                f"{t.slug}\t{t.name}\t{t.kind}{pin}\t{t.state}\t{t.article_count}\t{line.subscribers}\t"
                f"{' | '.join(t.aliases)}\t{' | '.join(t.keywords)}"
                + (f"\texcluding: {' | '.join(t.excludes)}" if t.excludes else "")
            )
        _out("\n".join(lines))
        return 0
    if action == "add":
        change = await newsroom.add_topic(
            args.name, slug=args.slug, section=args.section, aliases=args.alias, keywords=args.keyword,
            excludes=args.exclude, pin=args.pin, days=args.days, dry_run=args.dry_run,
        )  # fmt: skip
        _out(_changed("added", change, args.days))
        return 0
    if action == "edit":
        change = await newsroom.edit_topic(
            args.slug, name=args.name, add_aliases=args.add_alias, remove_aliases=args.remove_alias,
            add_keywords=args.add_keyword, remove_keywords=args.remove_keyword, add_excludes=args.add_exclude,
            remove_excludes=args.remove_exclude, pin=args.pin, days=args.days, dry_run=args.dry_run,
        )  # fmt: skip
        _out(_changed("changed", change, args.days))
        return 0
    if action == "archive":
        _out(f"archived {_label(await newsroom.archive(args.slug))}: out of /topics, no new items")
        return 0
    if action == "restore":
        _out(f"restored {_label(await newsroom.restore(args.slug))}")
        return 0
    if action == "merge":
        into = await newsroom.merge(args.from_slug, args.into_slug)
        _out(f"merged {args.from_slug} into {_label(into)}: {into.article_count} items")
        return 0
    labels = await newsroom.unmatched(args.days)
    if not labels:
        _out(f"every category label of the last {args.days} days matches a topic")
        return 0
    _out("\n".join(f"{u.items}\t{u.label}" for u in labels))
    return 0


async def _feeds(newsroom: Newsroom, args: argparse.Namespace, settings: Settings) -> int:
    action = args.action
    if action == "add":
        feed, new = await newsroom.add_feed(args.url, args.topic, args.every)
        every = f"every {feed.every} s" if feed.every else f"every {settings.feed_interval:g} s (NEWSBOT_FEED_INTERVAL)"
        topic = f", topic {feed.topic_slug}" if feed.topic_slug else ""
        _out(f"{'added' if new else 'updated'} {feed.url}{topic}, {every}")
        return 0
    if action == "list":
        lines = ["url\ttopic\tevery\tlast poll\tlast error\titems added"]
        for f in await newsroom.feeds():
            polled = f.last_polled_at.isoformat(timespec="seconds") if f.last_polled_at else "never"
            lines.append(
                f"{f.url}\t{f.topic_slug or '-'}\t{f.every or f'{settings.feed_interval:g}'}\t{polled}\t"
                f"{f.last_error or '-'}\t{f.items_added}"
            )
        _out("\n".join(lines))
        return 0
    if action == "remove":
        await newsroom.remove_feed(args.url)
        _out(f"removed {args.url.strip()} (its items stay)")
        return 0
    if action == "import":
        try:
            data = await asyncio.to_thread(Path(args.file).read_bytes)
        except OSError as exc:
            raise Refused("bad_opml", args.file, f"{args.file}: {exc.strerror or exc}") from None
        result = await newsroom.import_opml(data)
        for url, reason in result.refused:
            _err(f"newsbot feeds import: {url}: {reason}")
        _out(f"{result.added} added, {result.updated} updated, {len(result.refused)} refused")
        return REFUSED_EXIT if result.refused else 0
    _out(await newsroom.export_opml())
    return 0


def _label(topic: Topic | TopicSpec) -> str:
    return f"{topic.slug} ({topic.name})"


def _changed(verb: str, change: TopicChange, days: int) -> str:
    if change.dry_run:
        head = f"dry run: {_label(change.topic)} would file {change.filed} stored items of the last {days} days"
    else:
        head = f"{verb} {_label(change.topic)}; filed {change.filed} stored items of the last {days} days (not pushed)"
    return "\n".join([head, *(f"  - {headline}" for headline in change.examples)])


def _out(text: str) -> None:
    sys.stdout.write(text.rstrip("\n") + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


__all__: Sequence[str] = ("add_commands", "run")
