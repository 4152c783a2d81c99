"""`newsbot topics …` and `newsbot feeds …` in process: output, refusals (one line, exit 1, nothing
changed), --dry-run, --help, OPML both ways; on each engine (NEWSBOT_DB a SQLite file or a
PostgreSQL schema of the session's database, tests/postgres.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.cli.main import build_parser, main
from bot.ingest.service import ingest_sources
from bot.resources import resource_dir
from bot.store import is_postgres_url, open_store
from tests.postgres import PostgresDatabase

TOPICS = str(resource_dir("seeds") / "00_topics.json")
FEED = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>
<item><title>قمة في طهران</title><link>https://e.org/1</link><category>أخبار متفرقة</category></item>
<item><title>طهران ترد</title><link>https://e.org/2</link><category>أخبار متفرقة</category></item>
<item><title>خبر ثالث</title><link>https://e.org/3</link><category>Misc</category></item>
</channel></rss>"""


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """NEWSBOT_DB for the test: a SQLite file, or a fresh PostgreSQL schema; seeded with the topics
    and a feed's items."""
    if request.param == "sqlite":
        path = str(tmp_path / "news.db")
    else:
        database: PostgresDatabase = request.getfixturevalue("postgres")
        path = asyncio.run(database.fresh_schema())
    monkeypatch.setenv("NEWSBOT_DB", path)
    monkeypatch.setenv("NEWSBOT_LOG_LEVEL", "WARNING")
    feed = tmp_path / "feed.xml"
    feed.write_text(FEED, encoding="utf-8")

    async def seed() -> None:
        store = await open_store(path)
        try:
            await ingest_sources(store, [TOPICS, str(feed)])
        finally:
            await store.close()

    asyncio.run(seed())
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(db: str) -> list[tuple[object, ...]]:
    if is_postgres_url(db):

        async def rows() -> list[tuple[object, ...]]:
            conn = await asyncpg.connect(db)
            try:
                found = await conn.fetch("SELECT * FROM topics ORDER BY id")
                found += await conn.fetch("SELECT * FROM article_topics ORDER BY 1, 2")
            finally:
                await conn.close()
            return [tuple(r) for r in found]

        return asyncio.run(rows())
    with sqlite3.connect(db) as con:
        return (
            con.execute("SELECT * FROM topics ORDER BY id").fetchall()
            + con.execute("SELECT * FROM article_topics ORDER BY 1, 2").fetchall()
        )


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    for command, actions in (
        ("topics", ("list", "add", "edit", "archive", "restore", "merge", "unmatched")),
        ("feeds", ("add", "list", "remove", "import", "export")),
    ):
        for action in actions:
            with pytest.raises(SystemExit) as done:
                parser.parse_args([command, action, "--help"])
            assert done.value.code == 0
            assert "exit codes" in capsys.readouterr().out


def test_list_add_edit_with_dry_run(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "topics", "list")
    assert code == 0 and out.splitlines()[0].startswith("slug\tname\tkind\tstate\titems\tsubscribers")
    assert any(line.startswith("afcon-2025\tكأس أمم إفريقيا 2025\tstory (pin 1)\tactive") for line in out.splitlines())
    before = snapshot(db)
    code, out, _ = run(capsys, "topics", "add", "ملف إيران", "--slug", "iran-file", "--keyword", "طهران", "--dry-run")
    assert code == 0 and "would file 2 stored items" in out and "قمة في طهران" in out
    assert snapshot(db) == before  # a dry run changes nothing
    code, out, _ = run(capsys, "topics", "add", "ملف إيران", "--slug", "iran-file", "--keyword", "طهران")
    assert code == 0 and "filed 2 stored items" in out
    code, out, _ = run(capsys, "topics", "edit", "iran-file", "--add-alias", "أخبار متفرقة", "--pin", "2")
    assert code == 0 and "filed 0" in out
    code, out, _ = run(capsys, "topics", "unmatched")
    assert code == 0 and out.strip().splitlines() == ["1\tMisc"]
    code, out, _ = run(capsys, "topics", "edit", "iran-file", "--name", "إيران اليوم", "--remove-keyword", "طهران")
    assert code == 0
    code, out, _ = run(capsys, "topics", "list")
    line = next(x for x in out.splitlines() if x.startswith("iran-file"))
    assert "إيران اليوم\tstory (pin 2)\tactive\t2\t0\tأخبار متفرقة\t" in line


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("topics", "add", ""), "needs letters or digits"),
        (("topics", "add", "ا" * 300), "at most 120"),
        (("topics", "add", "كاس امم افريقيا 2025"), "already the topic 'afcon-2025'"),
        (("topics", "add", "جديد", "--slug", "Bad_Slug"), "must be 1-40 characters"),
        (("topics", "add", "جديد", "--slug", "sport"), "is taken"),
        (("topics", "add", "جديد", "--keyword", "ك"), "single letter"),
        (("topics", "add", "جديد", "--keyword", "في من"), "only of stop words"),
        (("topics", "add", "جديد", "--alias", "رياضة"), "already names the topic 'sport'"),
        (("topics", "edit", "no-such", "--name", "س"), "no topic has the slug 'no-such'"),
        (("topics", "edit", "sport", "--remove-alias", "غير موجود"), "has no alias"),
        (("topics", "edit", "sport", "--add-keyword", "كرة", "--add-keyword", "ب"), "single letter"),
        (("topics", "merge", "sport", "sport"), "cannot be merged into itself"),
        (("topics", "archive", "nope"), "no topic has the slug"),
        (("feeds", "add", "ftp://example.com/feed"), "is not an http(s) URL"),
        (("feeds", "add", "https://example.com/rss", "--topic", "nope"), "no topic has the slug"),
        (("feeds", "remove", "https://never.example/rss"), "no feed is listed"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_nothing_changes(
    db: str, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], says: str
) -> None:
    before = snapshot(db)
    code, out, err = run(capsys, *args)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and says in err and err.startswith(f"newsbot {args[0]} {args[1]}: ")
    assert snapshot(db) == before


def test_archive_restore_merge(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "topics", "archive", "trump-nato-greenland")[0] == 0
    out = run(capsys, "topics", "list")[1]
    assert "trump-nato-greenland\tترامب والناتو وامتحان غرينلاند\tstory (pin 5)\tarchived" in out
    assert run(capsys, "topics", "restore", "trump-nato-greenland")[0] == 0
    code, out, _ = run(capsys, "topics", "merge", "world", "middle-east")
    assert code == 0 and "merged world into middle-east" in out
    out = run(capsys, "topics", "list")[1]
    assert not any(line.startswith("world\t") for line in out.splitlines())
    assert "عربي ودولي" in next(x for x in out.splitlines() if x.startswith("middle-east"))  # its name is an alias
    code, _, err = run(capsys, "topics", "edit", "world", "--add-alias", "x y")
    assert code == 1 and "merged into 'middle-east'" in err
    code, _, err = run(capsys, "topics", "add", "جديد", "--slug", "world")
    assert code == 1 and "never reused" in err


def test_feeds_add_list_remove_and_opml_round_trip(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "feeds", "add", "https://example.com/rss", "--topic", "sport", "--every", "600")
    assert code == 0 and out.startswith("added https://example.com/rss, topic sport, every 600 s")
    assert run(capsys, "feeds", "add", "http://example.org/atom")[0] == 0
    out = run(capsys, "feeds", "list")[1]
    assert "https://example.com/rss\tsport\t600\tnever\t-\t0" in out
    code, exported, _ = run(capsys, "feeds", "export")
    assert code == 0 and 'xmlUrl="https://example.com/rss"' in exported and 'category="sport"' in exported
    assert run(capsys, "feeds", "remove", "https://example.com/rss")[1].startswith("removed")
    assert run(capsys, "feeds", "remove", "http://example.org/atom")[0] == 0
    opml = tmp_path / "feeds.opml"
    opml.write_text(exported.replace("</body>", '<outline text="bad" xmlUrl="gopher://x"/></body>'), encoding="utf-8")
    code, out, err = run(capsys, "feeds", "import", str(opml))
    assert code == 1 and out.strip() == "2 added, 0 updated, 1 refused" and "gopher://x" in err
    assert "https://example.com/rss\tsport\t600" in run(capsys, "feeds", "list")[1]
    not_opml = tmp_path / "x.opml"
    not_opml.write_text("<html/>", encoding="utf-8")
    code, _, err = run(capsys, "feeds", "import", str(not_opml))
    assert code == 1 and "not an OPML file" in err
    code, _, err = run(capsys, "feeds", "import", str(tmp_path / "missing.opml"))
    assert code == 1 and "missing.opml" in err
