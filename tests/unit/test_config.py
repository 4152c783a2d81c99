"""Settings bounds: every value is checked at start; the error names the variable and the allowed range."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import MAX_WORKERS, ConfigError, load_settings

TOKEN = "123456789:AAH-a-token-that-is-long-enough_0123"


def refused(name: str, value: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value})
    message = str(caught.value)
    assert message.startswith(f"{name}: expected "), message
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("name", "value", "range_text"),
    [
        ("NEWSBOT_RATE", "1e-300", "from 0.1 to 1,000"),
        ("NEWSBOT_RATE", "1001", "from 0.1 to 1,000"),
        ("NEWSBOT_RATE", "nan", "from 0.1 to 1,000"),
        ("NEWSBOT_PUSH_INTERVAL", "1e-9", "from 0.05 to 86,400"),
        ("NEWSBOT_FEED_INTERVAL", "1e300", "from 0.05 to 86,400"),
        ("NEWSBOT_FLOOD_WINDOW", "inf", "from 0.05 to 86,400"),
        ("NEWSBOT_FETCH_TIMEOUT", "0", "from 0.05 to 86,400"),
        ("NEWSBOT_FLOOD_LIMIT", "0", "from 1 to 10,000"),
        ("NEWSBOT_FETCH_MAX_BYTES", "10", "from 1,024 to 1,073,741,824"),
        ("NEWSBOT_WORKERS", "1000000", f"from 1 to {MAX_WORKERS}"),
        ("NEWSBOT_WORKERS", "0", f"from 1 to {MAX_WORKERS}"),
        ("NEWSBOT_FULLTEXT_CONCURRENCY", "0", "from 1 to 256"),
        ("NEWSBOT_FULLTEXT_CONCURRENCY", "257", "from 1 to 256"),
        ("NEWSBOT_FULLTEXT_PER_HOST", "0", "from 1 to 64"),
        ("NEWSBOT_FULLTEXT_PER_HOST", "2.5", "from 1 to 64"),
        ("NEWSBOT_FULLTEXT_RETRY", "0", "from 0.05 to 86,400"),
        ("NEWSBOT_FULLTEXT_ATTEMPTS", "21", "from 1 to 20"),
        ("NEWSBOT_FULLTEXT_PROCESSES", "0", "from 1 to 32"),
        ("NEWSBOT_FULLTEXT_PROCESSES", "33", "from 1 to 32"),
        ("NEWSBOT_FULLTEXT_PROCESSES", "many", "from 1 to 32"),
        ("NEWSBOT_PAID_BROADCAST_RATE", "1001", "from 1 to 1,000"),
        ("NEWSBOT_PAID_BROADCAST_RATE", "0.5", "from 1 to 1,000"),
        ("NEWSBOT_PAID_BROADCAST_RATE", "-1", "from 1 to 1,000"),
    ],
)
def test_out_of_range_numbers_are_refused_with_the_range(name: str, value: str, range_text: str) -> None:
    message = refused(name, value)
    assert range_text in message and repr(value) in message


def test_the_bounds_themselves_are_accepted() -> None:
    settings = load_settings(
        {
            "NEWSBOT_RATE": "0.1",
            "NEWSBOT_PUSH_INTERVAL": "0.05",
            "NEWSBOT_FEED_INTERVAL": "86400",
            "NEWSBOT_WORKERS": str(MAX_WORKERS),
            "NEWSBOT_FETCH_MAX_BYTES": "1024",
        }
    )
    assert settings.rate == 0.1 and settings.push_interval == 0.05 and settings.feed_interval == 86400
    assert settings.workers == MAX_WORKERS == 4 * (os.cpu_count() or 1)


def test_paid_broadcasts_are_off_by_default_and_reach_1000_a_second() -> None:
    assert load_settings({}).paid_broadcast_rate == 0
    assert load_settings({"NEWSBOT_PAID_BROADCAST_RATE": "0"}).paid_broadcast_rate == 0
    assert load_settings({"NEWSBOT_PAID_BROADCAST_RATE": "1000"}).paid_broadcast_rate == 1000
    assert "0 (off) or paid messages per second" in refused("NEWSBOT_PAID_BROADCAST_RATE", "many")


def test_full_text_is_on_by_default_and_its_limits_are_read() -> None:
    assert load_settings({}).fulltext
    settings = load_settings(
        {"NEWSBOT_FULLTEXT": "0", "NEWSBOT_FULLTEXT_CONCURRENCY": "256", "NEWSBOT_FULLTEXT_PER_HOST": "1"}
    )
    assert (settings.fulltext, settings.fulltext_concurrency, settings.fulltext_per_host) == (False, 256, 1)
    assert "NEWSBOT_FULLTEXT:" in refused("NEWSBOT_FULLTEXT", "maybe")


def test_extraction_processes_default_to_the_usable_cores_at_most_four() -> None:
    cores = len(os.sched_getaffinity(0))
    assert load_settings({}).fulltext_processes == min(4, cores)
    assert load_settings({"NEWSBOT_FULLTEXT_PROCESSES": "32"}).fulltext_processes == 32
    assert load_settings({"NEWSBOT_FULLTEXT_PROCESSES": "1"}).fulltext_processes == 1


@pytest.mark.parametrize("value", ["notaurl", "/etc/passwd", "ftp://example.org/feed", "file:///no/such/feed.xml"])
def test_a_feed_must_be_a_web_url_or_an_existing_file_url(value: str) -> None:
    message = refused("NEWSBOT_FEEDS", f"https://example.org/rss {value}=sport")
    assert value in message and "file:///" in message


def test_feeds_take_web_urls_and_explicit_local_files(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text("<rss/>", encoding="utf-8")
    settings = load_settings({"NEWSBOT_FEEDS": f"https://example.org/rss=sport file://{feed}"})
    assert [(f.url, f.topic_slug) for f in settings.feeds] == [("https://example.org/rss", "sport"), (str(feed), None)]


@pytest.mark.parametrize("value", ["999.1.1.1:80", "no-such-host.invalid:8443", "bad_host!:80", "127.0.0.1:0"])
def test_the_listen_host_must_be_an_address_or_resolve(value: str) -> None:
    refused("NEWSBOT_LISTEN", value)


@pytest.mark.parametrize(
    ("value", "host"), [("0.0.0.0:8443", "0.0.0.0"), ("[::1]:80", "::1"), ("localhost:80", "localhost")]
)
def test_listen_addresses_and_names_that_resolve(value: str, host: str) -> None:
    assert load_settings({"NEWSBOT_LISTEN": value}).listen[0] == host


def test_an_explicit_seeds_folder_must_exist(tmp_path: Path) -> None:
    message = refused("NEWSBOT_SEEDS", str(tmp_path / "nonexistent"))
    assert "no such folder" in message
    assert load_settings({"NEWSBOT_SEEDS": str(tmp_path)}).seeds_dir == tmp_path


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "987:tooshort-but-secret"),
        ("TELEGRAM_BOT_TOKEN", "hunter2 pasted wrongly, with spaces"),
        ("NEWSBOT_WEBHOOK_SECRET", "hunter2 xyzzy plugh!"),
    ],
)
def test_a_malformed_secret_is_never_echoed(name: str, value: str) -> None:
    message = refused(name, value)
    assert value not in message and "got" not in message
    for word in value.replace(",", " ").replace(":", " ").split():
        if len(word) > 3:
            assert word not in message


def test_an_env_file_that_is_not_utf8_gives_one_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"NEWSBOT_RATE=30\nNEWSBOT_SITE_URL=https://\xff\xfe.example\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=env_file)
    assert str(caught.value).startswith(f"{env_file}: not UTF-8 text")
    assert "UTF-8" in str(caught.value)


def test_newsbot_db_is_a_sqlite_path_or_a_postgresql_url() -> None:
    path = load_settings({"NEWSBOT_DB": "data/news.db"}, env_file=None)
    assert path.db_url is None and path.store_location == Path("data/news.db")
    url = "postgresql://bot:pw@db.example:5432/news"
    pg = load_settings({"NEWSBOT_DB": url}, env_file=None)
    assert pg.db_url == url and pg.store_location == url
    assert load_settings({"NEWSBOT_DB": "postgres://db.example/news"}, env_file=None).db_url is not None


@pytest.mark.parametrize("value", ["mysql://bot:hunter2@db.example/news", "postgresql:///no-host", "http://x/y"])
def test_another_database_url_is_refused_without_echoing_it(value: str) -> None:
    message = refused("NEWSBOT_DB", value)
    assert "hunter2" not in message and "postgresql://user:password@host:5432/newsbot" in message


@pytest.mark.parametrize("value", ["t.me/ourchannel", "https://t.me/a ftp://example.org/x", "javascript:alert(1)"])
def test_follow_links_must_be_web_urls(value: str) -> None:
    message = refused("NEWSBOT_FOLLOW_LINKS", value)
    assert "NEWSBOT_FOLLOW_LINKS" in message and "http(s)" in message


def test_follow_links_are_read_in_order_without_repeats() -> None:
    raw = "https://t.me/ourchannel  https://x.com/ourchannel https://t.me/ourchannel"
    assert load_settings({"NEWSBOT_FOLLOW_LINKS": raw}).follow_links == (
        "https://t.me/ourchannel",
        "https://x.com/ourchannel",
    )
    assert load_settings({}).follow_links == ()
    assert "at most 12" in refused("NEWSBOT_FOLLOW_LINKS", " ".join(f"https://e.org/{n}" for n in range(13)))
