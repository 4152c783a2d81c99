"""The `newsbot` command: run, console, ingest, stats."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import logs, redact
from bot.config import ConfigError, Settings, load_settings
from bot.store import Store, StoreError, store_error

log = logging.getLogger("newsbot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newsbot", description="An Arabic news bot for Telegram.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (long polling, or a webhook when NEWSBOT_WEBHOOK_URL is set)")
    console = sub.add_parser("console", help="chat with the real bot in the terminal, no token needed")
    console.add_argument("--user", type=int, default=1000, help="the Telegram user id you play")
    console.add_argument("--db", help="SQLite file for the demo (default: NEWSBOT_DB)")
    ingest = sub.add_parser("ingest", help="store items from seed files, feeds or article pages")
    ingest.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
    sub.add_parser("stats", help="counts of topics, articles, readers, subscriptions and deliveries")
    args = parser.parse_args(argv)

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
            from bot.runner import run

            return run(settings)
        if args.command == "console":
            from bot.console import run_console

            return asyncio.run(run_console(settings, user_id=args.user, db=args.db))
        if args.command == "ingest":
            return asyncio.run(_ingest(settings, args.sources))
        return asyncio.run(_stats(settings))
    except StoreError as exc:
        print(redact.redact(f"newsbot: {exc}"), file=sys.stderr)  # noqa: T201
        return 2
    except sqlite3.DatabaseError as exc:  # opened, then a damaged page met while reading or writing
        db_path = Path(args.db) if args.command == "console" and args.db else settings.db_path
        print(redact.redact(f"newsbot: {store_error(db_path, exc)}"), file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        return 130


async def _ingest(settings: Settings, sources: list[str]) -> int:
    from bot.ingest.command import run_ingest

    store = await Store.open(settings.db_path)
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


async def _stats(settings: Settings) -> int:
    store = await Store.open(settings.db_path)
    try:
        stats = await store.stats()
    finally:
        await store.close()
    lines = [
        f"store: {settings.db_path}",
        f"topics: {stats.topics}",
        f"articles: {stats.articles}",
        f"readers: {stats.readers} (" + ", ".join(f"{k} {v}" for k, v in stats.readers_by_status.items()) + ")",
        f"subscriptions: {stats.subscriptions}",
        "deliveries: " + ", ".join(f"{k} {v}" for k, v in stats.deliveries_by_state.items()),
    ]
    lines += [f"  {name}: {n}" for name, n in stats.subscriptions_by_topic if n]
    print("\n".join(lines))  # noqa: T201 - the command's output
    return 0
