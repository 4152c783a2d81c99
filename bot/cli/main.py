"""The `newsbot` command: run, console, ingest, stats, backup, topics, feeds, broadcast, items."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from importlib import metadata

from bot import redact
from bot.config import ConfigError, Settings, load_settings
from bot.runtime import logs
from bot.store import StoreError, backup_store, open_store, safe_url

log = logging.getLogger("newsbot")


EXIT_CODES = """\
settings are read from the environment and .env in the working directory (see README).

exit codes:
  0    done: the bot stopped cleanly, the console ended, every item stored, the backup written
  1    ingest: some items were rejected (each listed with its reason); the rest is stored;
       topics/feeds: the change was refused (one line says why); nothing changed;
       broadcast/items urgent: not confirmed, nothing stored
  2    a setting, the store, a source or a backup path cannot be used (one line says which),
       a broadcast was refused (one line says why), or the command line itself is wrong
  130  interrupted (Ctrl-C)
"""


def version() -> str:
    """The installed distribution's version (importlib.metadata)."""
    try:
        return metadata.version("newsbot")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


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
    _command(sub, "stats", "counts of topics, articles, readers, subscriptions and deliveries")
    backup = _command(sub, "backup", "copy the store (NEWSBOT_DB) to PATH while the bot runs, then check the copy")
    backup.add_argument("path", metavar="PATH", help="the backup file to write; its folder must exist")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    from bot.cli.newsroom import add_commands  # the editors' topics and feeds (issue 11)

    add_commands(sub, _command)
    from bot.cli.broadcast import add_commands as add_breaking_news  # breaking news (issue 12)

    add_breaking_news(sub)
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
        if args.command == "backup":
            return _backup(settings, args.path, force=args.force)
        if args.command in ("broadcast", "items"):
            from bot.cli import broadcast as broadcast_cli

            return asyncio.run(broadcast_cli.run(settings, args))
        if args.command in ("topics", "feeds"):
            from bot.cli import newsroom as newsroom_cli

            return asyncio.run(newsroom_cli.run(settings, args))
        return asyncio.run(_stats(settings))
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


async def _stats(settings: Settings) -> int:
    store = await open_store(settings.store_location)
    try:
        stats = await store.stats()
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
    ]
    lines += [f"  {name}: {n}" for name, n in stats.subscriptions_by_topic if n]
    print("\n".join(lines))  # noqa: T201 - the command's output
    return 0
