"""`newsbot --version`, and help text for every command and argument, exit codes included."""

from __future__ import annotations

import argparse
import subprocess
import sys
from importlib import metadata

import pytest

from bot.cli.main import build_parser, main


def subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub


def test_version_is_the_installed_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"newsbot {metadata.version('newsbot')}\n"


def test_every_command_and_argument_has_help() -> None:
    parser = build_parser()
    sub = subcommands(parser)
    assert set(sub.choices) == {
        "run",
        "console",
        "ingest",
        "stats",
        "backup",
        "migrate-store",
        "topics",
        "feeds",
        "items",
        "channels",
        "broadcast",
    }
    assert all(choice.help for choice in sub._choices_actions)  # the list in `newsbot --help`
    nested = [
        (f"{name} {action}", p)
        for name in ("topics", "feeds", "items", "channels")
        for action, p in subcommands(sub.choices[name]).choices.items()
    ]
    for name, command in [("newsbot", parser), *sub.choices.items(), *nested]:
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help and action.help != argparse.SUPPRESS, f"{name} {action.dest} has no help"
        assert command.description, name


@pytest.mark.parametrize("args", [[], ["backup"], ["ingest"]])
def test_help_lists_the_exit_codes(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([*args, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out
    for code in ("0 ", "1 ", "2 ", "130 "):
        assert f"\n  {code}" in out
    assert ".env" in out


def test_backup_help_names_its_path_and_force(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["backup", "--help"])
    out = capsys.readouterr().out
    assert "usage: newsbot backup [-h] [--force] PATH" in out
    assert "replace PATH if it exists" in out


@pytest.mark.slow
def test_the_command_line_prints_the_version_and_a_wrong_command_exits_2() -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, f"newsbot {metadata.version('newsbot')}")
    wrong = subprocess.run([sys.executable, "-m", "bot", "backup"], capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "the following arguments are required: PATH" in wrong.stderr
