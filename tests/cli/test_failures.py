"""Every failure of `newsbot` is one clear line and an exit code, with no traceback and no secret.

Each case runs the real command in a subprocess, as an operator would, and reads every line it
wrote: the bot token and the webhook secret must appear in none of them (issue 10).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.devtools.emulator.server import BotApiEmulator
from bot.ingest.service import ingest_sources
from bot.store import Store

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
# A token of BotFather's shape and a webhook secret, made up for these tests.
TOKEN = "5550001234:AAF-redaction-probe_Zq9xWv8uT7sR6pQ5oN4"
SECRET = "probe-webhook-secret-7Kq2"
SECRET_PARTS = ("AAF-redaction-probe", "Zq9xWv8uT7sR6pQ5oN4", "probe-webhook-secret", "7Kq2")


def bot_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    env.update({"NEWSBOT_DB": str(tmp_path / "bot.db"), "NEWSBOT_LOG_LEVEL": "INFO", **extra})
    return env


async def newsbot(tmp_path: Path, *args: str, stdin: str = "", **env: str) -> tuple[int, str]:
    """Run `newsbot ARGS` in tmp_path (no .env unless the test writes one): its exit code and all it wrote."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=tmp_path, env=bot_env(tmp_path, **env),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode() + err.decode()


def assert_clean(output: str) -> None:
    """No traceback, no left-open HTTP session, and no line carrying the token or the secret."""
    assert "Traceback" not in output, output
    assert "Unclosed client session" not in output and "Unclosed connector" not in output, output
    for line in output.splitlines():
        for part in SECRET_PARTS:
            assert part not in line, line


def one_line(output: str) -> str:
    assert_clean(output)
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    return lines[0]


def final_line(output: str) -> str:
    """The command's own last line (log lines from the run may come before it)."""
    assert_clean(output)
    return output.strip().splitlines()[-1]


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(rate_limits=False) as emu:
        yield emu


@pytest.fixture
async def redirecting_api() -> AsyncIterator[str]:
    """A Bot API address that answers every request with a 302 elsewhere, on loopback."""

    async def moved(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": f"/moved{request.path}?token=x"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", moved)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/bot"
    finally:
        await runner.cleanup()


# -- secrets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_a_refused_token_is_never_printed(tmp_path: Path, emulator: BotApiEmulator, level: str) -> None:
    emulator.valid_token = "999:another-token-that-is-the-valid-one"
    code, output = await newsbot(
        tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=emulator.base_url, NEWSBOT_LOG_LEVEL=level
    )
    assert code == 2
    assert "refused TELEGRAM_BOT_TOKEN" in final_line(output)
    if level == "DEBUG":
        assert "Set Bot API URL: " in output and "/bot<token>" in output  # logged, but redacted


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_a_redirecting_api_never_prints_the_token(tmp_path: Path, redirecting_api: str, level: str) -> None:
    code, output = await newsbot(
        tmp_path,
        "run",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=redirecting_api,
        NEWSBOT_WEBHOOK_SECRET=SECRET,
        NEWSBOT_LOG_LEVEL=level,
    )
    assert code == 2
    line = final_line(output)
    assert "cannot reach the Bot API" in line and "TELEGRAM_API_URL" in line
    assert "/bot<token>/getMe" in output  # the request's URL is still told, with the token taken out


async def test_a_webhook_run_at_debug_never_prints_the_token_or_the_secret(
    tmp_path: Path, emulator: BotApiEmulator
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    no_seeds = tmp_path / "no-seeds"  # an empty store starts at once, even with every SQL statement logged
    no_seeds.mkdir()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path,
        env=bot_env(
            tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=emulator.base_url, NEWSBOT_LOG_LEVEL="DEBUG",
            NEWSBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook", NEWSBOT_WEBHOOK_SECRET=SECRET,
            NEWSBOT_LISTEN=f"127.0.0.1:{port}", NEWSBOT_SEEDS=str(no_seeds),
        ),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        emulator.user(79, "سارة").send_text("/start")
        await emulator.wait_for_messages(79, 1, timeout=30)
        assert emulator.webhook_secret == SECRET  # the secret did reach Telegram, and only Telegram
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    output = out.decode() + err.decode()
    assert_clean(output)
    assert "setWebhook" in output and "<secret>" in output  # logged at DEBUG, with the secret taken out


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "5550001234:AAF-redaction-probe spaces"),
        ("TELEGRAM_BOT_TOKEN", "Zq9xWv8uT7sR6pQ5oN4"),
        ("NEWSBOT_WEBHOOK_SECRET", "probe-webhook-secret-7Kq2 !"),
    ],
)
async def test_a_malformed_secret_is_named_not_echoed(tmp_path: Path, name: str, value: str) -> None:
    code, output = await newsbot(tmp_path, "run", **{name: value})
    assert code == 2
    line = one_line(output)
    assert line.startswith(f"newsbot: {name}: expected ")


# -- the store ---------------------------------------------------------------------------------


async def damaged_store(tmp_path: Path, *, where: str) -> Path:
    """A real store (the seeds ingested), then pages overwritten with junk: `where` is "early"
    (a few pages after the header: found when a query reads them) or "late" (the last three
    quarters: found already when the store is opened and migrated)."""
    path = tmp_path / "damaged.db"
    store = await Store.open(path)
    try:
        report = await ingest_sources(store, sorted(str(p) for p in (REPO / "seeds").iterdir() if p.is_file()))
        assert report.added > 0
    finally:
        await store.close()
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        # /latest walks the index of each story's first item by time (migration 0013), created
        # after the first pages: its root is damaged too, so the first /latest finds the damage.
        walked = [
            r[0] for r in con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'articles_firsts_by_time'")
        ]
    data = bytearray(path.read_bytes())
    pages = len(data) // page_size
    damaged = [*range(2, 6), *(p - 1 for p in walked)] if where == "early" else range(pages // 4, pages)
    for page in damaged:
        data[page * page_size : (page + 1) * page_size] = b"\x5a" * page_size
    path.write_bytes(bytes(data))
    return path


def assert_damaged_line(output: str, path: Path) -> None:
    line = final_line(output)
    assert line.startswith(f"newsbot: {path}: the store is damaged"), line
    assert "newsbot backup" in line and "fresh" in line


@pytest.mark.parametrize("where", ["early", "late"])
@pytest.mark.parametrize("command", ["stats", "ingest", "console", "run"])
async def test_a_damaged_store_says_so_in_every_command(
    tmp_path: Path, emulator: BotApiEmulator, command: str, where: str
) -> None:
    path = await damaged_store(tmp_path, where=where)
    args = {"ingest": ["ingest", str(REPO / "seeds" / "00_topics.json")]}.get(command, [command])
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": emulator.base_url} if command == "run" else {}
    code, output = await newsbot(tmp_path, *args, stdin="/latest\n", NEWSBOT_DB=str(path), **env)
    assert code == 2, output
    assert_damaged_line(output, path)


async def test_a_folder_given_as_the_store(tmp_path: Path) -> None:
    folder = tmp_path / "store-folder"
    folder.mkdir()
    code, output = await newsbot(tmp_path, "stats", NEWSBOT_DB=str(folder))
    assert code == 2
    assert one_line(output) == (
        f"newsbot: {folder}: is a folder, not a store file: set NEWSBOT_DB to a file path like data/newsbot.db"
    )


async def test_a_store_whose_parent_is_a_file(tmp_path: Path, emulator: BotApiEmulator) -> None:
    (tmp_path / "plain-file").write_text("x", encoding="utf-8")
    path = tmp_path / "plain-file" / "sub" / "bot.db"
    for args, env in (
        (["stats"], {}),
        (["run"], {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": emulator.base_url}),
    ):
        code, output = await newsbot(tmp_path, *args, NEWSBOT_DB=str(path), **env)
        assert code == 2
        assert final_line(output) == (
            f"newsbot: {path}: {tmp_path / 'plain-file'} is a file, not a folder: set NEWSBOT_DB to a path in a folder"
        )


def unwritable_folder(tmp_path: Path) -> Path | None:
    """A folder this user cannot create files in: a chmod 555 one, or for root (whom permissions
    do not stop) /proc, which refuses new files to everyone."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    if sys.platform == "linux" and Path("/proc/self").is_dir():
        return Path("/proc")
    return None


async def test_a_store_in_a_folder_that_cannot_be_written(tmp_path: Path) -> None:
    folder = unwritable_folder(tmp_path)
    if folder is None:
        pytest.skip("running as root with no folder root cannot write to")
    path = folder / "bot.db"
    try:
        code, output = await newsbot(tmp_path, "stats", NEWSBOT_DB=str(path))
    finally:
        if folder.is_relative_to(tmp_path):
            folder.chmod(0o755)
    assert code == 2
    line = one_line(output)
    assert line.startswith(f"newsbot: {path}: the store cannot be created or written (")
    assert f"write access to {folder}" in line


# -- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expects"),
    [
        ("NEWSBOT_FEED_INTERVAL", "1e300", "seconds from 0.05 to 86,400"),
        ("NEWSBOT_PUSH_INTERVAL", "1e-9", "seconds from 0.05 to 86,400"),
        ("NEWSBOT_RATE", "1e-300", "messages per second from 0.1 to 1,000"),
        ("NEWSBOT_WORKERS", "1000000", "a whole number of processes from 1 to"),
        ("NEWSBOT_LISTEN", "999.1.1.1:80", "HOST:PORT"),
        ("NEWSBOT_LISTEN", "no-such-host.invalid:8443", "does not resolve"),
        ("NEWSBOT_FEEDS", "notaurl", "http(s) URL"),
        ("NEWSBOT_FEEDS", "/etc/passwd", "file:///"),
        ("NEWSBOT_SEEDS", "/nonexistent", "no such folder"),
    ],
)
async def test_a_value_out_of_bounds_is_one_line_naming_the_setting(
    tmp_path: Path, name: str, value: str, expects: str
) -> None:
    code, output = await newsbot(tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN, **{name: value})
    assert code == 2
    line = one_line(output)
    assert line.startswith(f"newsbot: {name}: expected ") and expects in line


async def test_a_webhook_address_that_cannot_be_listened_on(tmp_path: Path, emulator: BotApiEmulator) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for listen in (f"127.0.0.1:{port}", "192.0.2.1:8443"):  # in use; an address not this machine's
            code, output = await newsbot(
                tmp_path,
                "run",
                TELEGRAM_BOT_TOKEN=TOKEN,
                TELEGRAM_API_URL=emulator.base_url,
                NEWSBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
                NEWSBOT_WEBHOOK_SECRET=SECRET,
                NEWSBOT_LISTEN=listen,
            )
            assert code == 2
            line = final_line(output)
            assert line.startswith(f"newsbot: cannot listen on {listen} (") and "NEWSBOT_LISTEN" in line


async def test_an_env_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nNEWSBOT_SITE_URL=https://\xe9t\xe9.example\n".encode("latin-1")
    )
    code, output = await newsbot(tmp_path, "stats")
    assert code == 2
    line = one_line(output)
    assert line.startswith("newsbot: .env: not UTF-8 text") and "save it as UTF-8" in line
