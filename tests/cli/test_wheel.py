"""The built wheel, installed into a fresh virtual environment outside the repository and run from
another folder, as a new operator would: templates, seeds and migrations come from the package,
every imported module is a declared dependency (pip resolves them from the index)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import DATA, REPO

pytestmark = pytest.mark.slow

# What a source distribution of the project holds: enough to build the wheel outside the repository
# (so the build leaves nothing behind in the checkout).
SOURCES = ("pyproject.toml", "README.md", "bot", "handlers", "templates", "seeds")
FEED = DATA / "feeds" / "al-jazeera.xml"


def run(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    cmd = [str(a) for a in args]
    return subprocess.run(cmd, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=timeout)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the project's settings or anything that would import the checkout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "NEWSBOT_", "PYTHON", "VIRTUAL_ENV")) and k != "PIP_REQUIRE_VIRTUALENV"
    }
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_ROOT_USER_ACTION="ignore", **extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("newsbot-src")
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    dist = tmp_path_factory.mktemp("dist")
    done = run(sys.executable, "-m", "pip", "wheel", src, "--no-deps", "-q", "-w", dist, cwd=src, env=clean_env())
    assert done.returncode == 0, done.stderr
    (built,) = dist.glob("newsbot-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the pip its Python ships, the wheel installed into it."""
    home = tmp_path_factory.mktemp("venv")
    done = run(sys.executable, "-m", "venv", home, cwd=home, env=clean_env())
    assert done.returncode == 0, done.stderr
    done = run(home / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=home, env=clean_env())
    assert done.returncode == 0, done.stderr
    return home


def test_the_wheel_holds_every_module_template_seed_and_migration(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    expected = {p.relative_to(REPO).as_posix() for top in ("bot", "handlers") for p in (REPO / top).rglob("*.py")}
    expected |= {f"bot/templates/{p.name}" for p in (REPO / "templates").glob("*.j2")}
    expected |= {f"bot/seeds/{p.name}" for p in (REPO / "seeds").glob("*.json")}
    expected |= {p.relative_to(REPO).as_posix() for p in (REPO / "bot" / "store").rglob("migrations/*.sql")}
    assert expected - names == set()
    assert "bot/templates/start.html.j2" in names and "bot/seeds/00_topics.json" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "templates/", "seeds/"))]


def test_the_installed_bot_runs_from_any_folder(wheel: Path, venv: Path, tmp_path: Path) -> None:
    work = tmp_path / "operator"
    work.mkdir()
    env = clean_env()
    newsbot = venv / "bin" / "newsbot"

    version = wheel.name.split("-")[1]
    done = run(newsbot, "--version", cwd=work, env=env, timeout=60)
    assert (done.returncode, done.stdout) == (0, f"newsbot {version}\n"), done.stderr

    # the package is the installed one, not the checkout
    done = run(venv / "bin" / "python", "-c", "import bot, handlers; print(bot.__file__)", cwd=work, env=env)
    assert done.returncode == 0 and Path(done.stdout.strip()).is_relative_to(venv), done.stdout + done.stderr

    done = run(newsbot, "console", cwd=work, env=env, stdin="/start\n/latest\n", timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no missing template, no missing seeds
    assert "(لا رد)" not in done.stdout
    assert "أهلًا بك" in done.stdout and "📰 آخر الأخبار" in done.stdout
    latest = done.stdout.split("أنت › /latest", 1)[1]
    assert "🤖" in latest and "[1]" in latest  # a page of real headlines with buttons

    store = work / "data" / "newsbot.db"  # NEWSBOT_DB's default, relative to the working folder
    with sqlite3.connect(store) as con:
        seeded = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        topics = con.execute("SELECT count(*) FROM topics").fetchone()[0]
    con.close()
    assert seeded >= 70 and topics > 0  # the seeds shipped in the package

    # a feed into a new store named relative to the working folder: migrations from the package
    shutil.copy2(FEED, work / "feed.xml")
    done = run(newsbot, "ingest", "feed.xml", cwd=work, env={**env, "NEWSBOT_DB": "feeds.db"}, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "10 added" in done.stdout and "0 rejected" in done.stdout
    with sqlite3.connect(work / "feeds.db") as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 10
    con.close()
    assert sorted(p.name for p in work.iterdir() if "-" not in p.name) == ["data", "feed.xml", "feeds.db"]
