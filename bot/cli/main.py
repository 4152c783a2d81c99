"""The `newsbot` command: run, console, ingest, stats, backup, migrate-store, topics, feeds, broadcast, items,
channels."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Sequence
from importlib import metadata

from bot import redact
from bot.config import ConfigError, Settings, load_settings
from bot.models import ReadingReport, StoreStats
from bot.runtime import logs
from bot.store import StoreError, backup_store, open_store, safe_url

log = logging.getLogger("newsbot")


EXIT_CODES = """\
settings are read from the environment and .env in the working directory (see README).

exit codes:
  0    done: the bot stopped cleanly, the console ended, every item stored, the backup written,
       every record copied
  1    ingest: some items were rejected (each listed with its reason); the rest is stored;
       topics/feeds/channels: the change was refused (one line says why); nothing changed;
       items withdraw: no item with that id; broadcast/items urgent: not confirmed, nothing stored
  2    a setting, the store, a source or a backup path cannot be used (one line says which;
       migrate-store: a target in use without --replace, nothing written), a broadcast was refused
       (one line says why), or the command line itself is wrong
  130  interrupted (Ctrl-C)
"""


def version() -> str:
    """The installed distribution's version (importlib.metadata)."""
    try:
        return metadata.version("newsbot")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


DEFAULT_DAYS, MIN_DAYS, MAX_DAYS = 7, 1, 366


def _days(raw: str) -> int:
    """`--days N`: a whole number of days in range, else argparse's one line and exit code 2."""
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"expects a whole number of days from {MIN_DAYS} to {MAX_DAYS}, got {raw!r}")
    return days


def _command(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str) -> argparse.ArgumentParser:
    return sub.add_parser(
        name, help=text, description=text[0].upper() + text[1:] + ".", epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """Every command and argument of `newsbot`, each with its help text."""
    parser = argparse.ArgumentParser(
        prog="newsbot", description="An Arabic news bot for Telegram.", epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--version", action="version", version=f"newsbot {version()}", help="print the version, exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    _command(sub, "run", "run the bot (long polling, or a webhook when NEWSBOT_WEBHOOK_URL is set)")
    console = _command(sub, "console", "chat with the real bot in the terminal, no token needed")
    console.add_argument("--user", type=int, default=1000, help="the Telegram user id you play (default: 1000)")
    console.add_argument("--db", help="SQLite file for the demo (default: NEWSBOT_DB)")
    ingest = _command(sub, "ingest", "store items from seed files, feeds or article pages")
    ingest.add_argument(
        "sources", nargs="+", metavar="PATH_OR_URL",
        help="a seed file (JSON or the seed page's text), an RSS/Atom feed or an article page; a file or http(s) URL",
    )  # fmt: skip
    stats = _command(
        sub, "stats",
        "counts of topics, articles, readers, channels and groups (with members), subscriptions and deliveries, "
        "and reading",
    )  # fmt: skip
    stats.add_argument(
        "--days", type=_days, default=DEFAULT_DAYS, metavar="N",
        help=f"the reading report's period: pushes sent and opened per item, subscriptions gained and lost per "
        f"topic, searches with no results, over the last N days ({MIN_DAYS}-{MAX_DAYS}, default {DEFAULT_DAYS})",
    )  # fmt: skip
    backup = _command(sub, "backup", "copy the store (NEWSBOT_DB) to PATH while the bot runs, then check the copy")
    backup.add_argument("path", metavar="PATH", help="the backup file to write; its folder must exist")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    migrate = _command(
        sub, "migrate-store", "copy every record of one store into another: SQLite to PostgreSQL or back"
    )
    migrate.add_argument("--from", dest="source", required=True, metavar="PATH_OR_URL",
                         help="the store to copy: a SQLite file or a postgresql:// URL (it is not changed, "
                         "but brought to this program's schema as newsbot run would)")  # fmt: skip
    migrate.add_argument(
        "--to", dest="target", required=True, metavar="PATH_OR_URL",
                         help="the store to fill: a SQLite file (made when missing) or a postgresql:// URL",
    )  # fmt: skip
    migrate.add_argument(
        "--replace", action="store_true",
        help="delete everything the target holds first (without it a target in use is refused)",
    )  # fmt: skip
    from bot.cli.newsroom import add_commands  # the editors' topics and feeds (issue 11)

    add_commands(sub, _command)
    from bot.cli import items  # corrections and withdrawals (issue 12)

    item_actions = items.add_commands(sub, _command)

    from bot.cli import channels  # the newsroom's channels (issue 15)

    channels.add_commands(sub, _command)

    from bot.cli.broadcast import add_commands as add_breaking_news  # breaking news (issue 12)

    add_breaking_news(sub, item_actions)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(redact.redact(f"newsbot: {exc}"), file=sys.stderr)  # noqa: T201 - the CLI's one line
        return 2
    redact.remember(settings.token, settings.webhook_secret)
    # The console is a chat on the terminal: only warnings go to the log unless asked for.
    quiet = args.command == "console" and "NEWSBOT_LOG_LEVEL" not in os.environ
    logs.configure("WARNING" if quiet else settings.log_level, settings.log_format)

    try:
        if args.command == "run":
            from bot.cli.run import run

            return run(settings)
        if args.command == "console":
            from bot.cli.console import run_console

            return asyncio.run(run_console(settings, user_id=args.user, db=args.db))
        if args.command == "ingest":
            return asyncio.run(_ingest(settings, args.sources))
        if args.command == "migrate-store":
            return asyncio.run(_migrate_store(args.source, args.target, replace=args.replace))
        if args.command == "backup":
            return _backup(settings, args.path, force=args.force)
        if args.command == "broadcast" or (args.command == "items" and args.action == "urgent"):
            from bot.cli import broadcast as broadcast_cli

            return asyncio.run(broadcast_cli.run(settings, args))
        if args.command == "items":
            from bot.cli import items as items_cli

            return asyncio.run(items_cli.run(settings, args))
        if args.command in ("topics", "feeds"):
            from bot.cli import newsroom as newsroom_cli

            return asyncio.run(newsroom_cli.run(settings, args))
        if args.command == "channels":
            from bot.cli import channels as channels_cli

            return asyncio.run(channels_cli.run(settings, args))
        return asyncio.run(_stats(settings, args.days))
    except StoreError as exc:
        print(redact.redact(f"newsbot: {exc}"), file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        return 130


async def _ingest(settings: Settings, sources: list[str]) -> int:
    from bot.ingest.command import run_ingest

    store = await open_store(settings.store_location)
    try:
        return await run_ingest(
            store,
            sources,
            max_bytes=settings.fetch_max_bytes,
            timeout=settings.fetch_timeout,
            allow_private=settings.fetch_allow_private,
        )
    finally:
        await store.close()


async def _migrate_store(source: str, target: str, *, replace: bool) -> int:
    from bot.store.migrate import migrate_store

    report = await migrate_store(source, target, replace=replace)
    print(report.summary())  # noqa: T201 - the command's output
    return 0


def _backup(settings: Settings, path: str, *, force: bool) -> int:
    """Synchronous: this process does nothing else meanwhile (the bot runs in its own)."""
    if settings.db_url:
        raise StoreError(
            "newsbot backup copies a SQLite store; NEWSBOT_DB is a PostgreSQL database: back it up with "
            "pg_dump (docs/deploy.md)"
        )
    result = backup_store(settings.db_path, path, force=force)
    print(result.summary())  # noqa: T201 - the command's output
    return 0


def _fulltext_line(counts: dict[str, int]) -> str:
    """Items whose page is read for the full text; the given-up ones show only their lead and link."""
    return (
        f"full text: done {counts.get('done', 0)}, pending {counts.get('pending', 0)}, "
        f"retrying {counts.get('retrying', 0)}, failed {counts.get('failed', 0)} (lead and link only)"
    )


def _chat_lines(stats: StoreStats) -> list[str]:
    """Channels and groups apart from readers, with their members where Telegram reported them."""
    channels = [c for c in stats.chats if c.kind == "channel"]
    groups = [c for c in stats.chats if c.kind != "channel"]
    lines = []
    for name, counts in (("channels", channels), ("groups", groups)):
        active, paused, members = (sum(c.active for c in counts), sum(c.paused for c in counts),
                                   sum(c.members for c in counts))  # fmt: skip
        lines.append(f"{name}: {active} posting, {paused} paused, {members} members")
    return lines


async def _stats(settings: Settings, days: int = DEFAULT_DAYS) -> int:
    from bot.cli.channels import refresh_members
    from bot.store.records import reading_report

    await refresh_members(settings)
    store = await open_store(settings.store_location)
    try:
        stats = await store.stats()
        report = await reading_report(store, days, int(time.time()))
    finally:
        await store.close()
    lines = [
        f"store: {safe_url(settings.db_url) if settings.db_url else settings.db_path}",
        f"topics: {stats.topics}",
        f"articles: {stats.articles}",
        f"readers: {stats.readers} (" + ", ".join(f"{k} {v}" for k, v in stats.readers_by_status.items()) + ")",
        f"subscriptions: {stats.subscriptions}",
        "deliveries: " + ", ".join(f"{k} {v}" for k, v in stats.deliveries_by_state.items()),
        _fulltext_line(stats.fulltext_by_state),
        *_chat_lines(stats),
    ]
    lines += [f"  {name}: {n}" for name, n in stats.subscriptions_by_topic if n]
    lines += _report_lines(report)
    print("\n".join(lines))  # noqa: T201 - the command's output
    return 0


def _report_lines(report: ReadingReport) -> list[str]:
    """What readers did over the report's days: counts only, no reader."""
    lines = [f"reading over the last {report.days} days:"]
    lines.append("  pushes per item (sent, opened from a push):" if report.items else "  no items pushed")
    lines += [f"    #{i.article_id} {i.headline[:70]}: sent {i.sent}, opened {i.opened}" for i in report.items]
    lines.append("  subscriptions per topic (gained, lost):" if report.topics else "  no subscriptions gained or lost")
    lines += [f"    {t.name}: +{t.gained} -{t.lost}" for t in report.topics]
    lines.append("  searches with no results:" if report.misses else "  no searches without results")
    lines += [f"    {query}: {n}" for query, n in report.misses]
    return lines
