"""The repository carries everything its tests, benchmarks and docs refer to.

A fresh clone with nothing beside it must pass the README's test command, so: no file names the
reference folder that used to sit beside the repository, or the product sheets kept there (the
product description is docs/product.md); no code climbs above the repository root from its own
location; the benchmark fixtures and the seed builder read nothing outside the repository; and
the real data in tests/data is exactly what tests/data/SOURCES.md records.

This file holds the forbidden strings and climbs in its own examples, so it is the one file the
scans skip.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA, REPO, SEED_PAGE

TEST_DATA = REPO / "tests" / "data"
SOURCES = TEST_DATA / "SOURCES.md"
SCANNED = ("tests", "bench", "bot", "handlers", "scripts", "docs", "deploy")
FORBIDDEN = re.compile(r"\.\./shared|/work/shared|shared/data|PRODUCT\.md|STYLE\.md")
SKIPPED_DIRS = {"__pycache__", "out"}  # bytecode; bench/out holds a benchmark's local results


def _files(suffixes: tuple[str, ...] | None = None) -> list[Path]:
    found: list[Path] = []
    for top in SCANNED:
        for path in sorted((REPO / top).rglob("*")):
            if any(part in SKIPPED_DIRS for part in path.relative_to(REPO).parts[:-1]) or not path.is_file():
                continue
            if path == Path(__file__).resolve() or path.suffix == ".pyc":
                continue
            if suffixes is None or path.suffix in suffixes:
                found.append(path)
    return found


def test_no_file_refers_to_the_folder_beside_the_repository() -> None:
    offending = []
    for path in [*_files(), REPO / "README.md"]:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if match := FORBIDDEN.search(line):
                offending.append(f"{path.relative_to(REPO)}:{number}: {match.group()}")
    assert offending == []


def test_the_scan_catches_what_it_is_meant_to() -> None:
    for text in ("../shared/seed/x.txt", "/work/shared/PRODUCT.md", "REPO / 'shared/data'", "see STYLE.md"):
        assert FORBIDDEN.search(text), text
    assert not FORBIDDEN.search("docs/product.md «Settings»; a shared pause; tests/data/arabic-news")


class _Climbs(ast.NodeVisitor):
    """Paths built from ``__file__`` that climb above the repository root.

    Levels are counted above the file's own folder (``Path(__file__).parent`` is 0, ``.parents[2]``
    is 2); a module-level name assigned such a path carries its level, ``/ ".."`` climbs one more.
    The root is ``depth`` levels up, so any level above ``depth`` is outside the repository, even
    when the path then goes down again (``REPO.parent / "shared"``).
    """

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.names: dict[str, int] = {}
        self.outside: list[int] = []

    def level(self, node: ast.expr) -> int | None:
        match node:
            case ast.Name(id="__file__"):
                return -1
            case ast.Name(id=name) if name in self.names:
                return self.names[name]
            case ast.Call(func=ast.Name(id="Path") | ast.Attribute(attr="Path"), args=[arg]):
                return self.level(arg)
            case ast.Call(func=ast.Attribute(value=inner, attr="resolve" | "absolute")):
                return self.level(inner)
            case ast.Call(func=ast.Attribute(attr="dirname"), args=[arg]):
                return self._up(self.level(arg), 1, node)
            case ast.Attribute(value=inner, attr="parent"):
                return self._up(self.level(inner), 1, node)
            case ast.Subscript(value=ast.Attribute(value=inner, attr="parents"), slice=ast.Constant(value=int(k))):
                return self._up(self.level(inner), k + 1, node)
            case ast.BinOp(left=left, op=ast.Div(), right=ast.Constant(value=str(part))):
                level = self.level(left)
                for piece in part.split("/"):
                    if piece == "..":
                        level = self._up(level, 1, node)
                    elif level is not None and piece not in ("", "."):
                        level -= 1
                return level
        return None

    def _up(self, level: int | None, by: int, node: ast.expr) -> int | None:
        if level is None:
            return None
        if level + by > self.depth:
            self.outside.append(node.lineno)
        return level + by

    def visit_Assign(self, node: ast.Assign) -> None:
        level = self.level(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name) and level is not None:
                self.names[target.id] = level
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.level(node)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.level(node)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self.level(node)
        self.generic_visit(node)


def _climbs_outside(source: str, depth: int) -> list[int]:
    visitor = _Climbs(depth)
    visitor.visit(ast.parse(source))
    return sorted(set(visitor.outside))


def _dotdot_literals(source: str) -> list[int]:
    """Lines with a string literal that has a ``..`` path segment (a relative climb)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and ".." in re.split(r"[/\\]", node.value)
    ]


def test_no_python_file_climbs_above_the_repository() -> None:
    offending = []
    for path in _files((".py",)):
        source = path.read_text(encoding="utf-8")
        depth = len(path.relative_to(REPO).parts) - 1  # folders between the root and the file
        offending += [f"{path.relative_to(REPO)}:{n}: climbs above the root" for n in _climbs_outside(source, depth)]
        offending += [f"{path.relative_to(REPO)}:{n}: a '..' path" for n in _dotdot_literals(source)]
    assert offending == []


@pytest.mark.parametrize(
    ("source", "depth", "outside"),
    [
        ('REPO = Path(__file__).resolve().parent.parent\nSHARED = REPO.parent / "shared"\n', 1, [2]),
        ('X = Path(__file__).resolve().parents[2] / "shared"\n', 1, [1]),
        ('X = Path(__file__).resolve().parents[2] / "seeds"\n', 2, []),
        ('ROOT = Path(__file__).parent\nX = ROOT / ".." / ".." / "data"\n', 1, [2]),
        ("X = os.path.dirname(os.path.dirname(__file__))\n", 1, []),
        ("X = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))\n", 1, [1]),
        ('X = Path(__file__).parent / "a" / ".." / "b"\n', 0, []),
        ("X = stat.parent.parent.parent\n", 0, []),  # not a path built from __file__
    ],
)
def test_the_climb_check_catches_what_it_is_meant_to(source: str, depth: int, outside: list[int]) -> None:
    assert _climbs_outside(source, depth) == outside


def test_the_dotdot_check_catches_what_it_is_meant_to() -> None:
    assert _dotdot_literals('open("../shared/x")\nopen("..\\\\x")\nPath("..")\n') == [1, 2, 3]
    assert _dotdot_literals('t = "التفاصيل بعد قليل.."\nu = "a...b"\n') == []


def test_the_fixtures_point_inside_the_repository() -> None:
    for path in (DATA, SEED_PAGE):
        assert path.resolve().is_relative_to(REPO)
        assert path.exists()


_AUDIT = """
import json, sys
from pathlib import Path
repo = Path(sys.argv[1])
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], str):
        opened.append(args[0])
sys.addaudithook(hook)
import bench.fixtures as fixtures
from bot.ingest import build_seeds
assert len(fixtures.real_articles()) > 50
assert fixtures.multiplied_feeds(20, per_feed=10)
assert fixtures.article_variations(5)
known = build_seeds.read_topics(repo / "seeds" / "00_topics.json")
assert set(build_seeds.build(repo / "tests" / "data", known)) >= {"00_topics.json", "20_feeds.json"}
print(json.dumps(opened))
"""


def test_benchmark_fixtures_and_the_seed_builder_read_only_inside_the_repository() -> None:
    """Run them with an audit hook: every file they open is in the repository or Python's own."""
    done = subprocess.run(
        [sys.executable, "-c", _AUDIT, str(REPO)], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    allowed = [REPO, Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    opened = [Path(p).resolve() for p in json.loads(done.stdout.splitlines()[-1])]
    assert any(p.is_relative_to(TEST_DATA) for p in opened)  # the hook saw the data being read
    assert [p for p in opened if not any(p.is_relative_to(root) for root in allowed)] == []


def _recorded() -> dict[str, tuple[int, str]]:
    """tests/data/SOURCES.md's table rows: file → (size, sha256 prefix)."""
    rows: dict[str, tuple[int, str]] = {}
    for line in SOURCES.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or len(cells) < 3:
            continue
        size = next((int(c) for c in cells[1:] if c.isdigit()), None)
        digest = next((c for c in cells[1:] if re.fullmatch(r"[0-9a-f]{16}", c)), None)
        assert size is not None and digest is not None, f"SOURCES.md row without size or hash: {line[:80]}"
        rows[cells[0].strip("`")] = (size, digest)
    return rows


def test_every_recorded_file_is_there_with_its_size_and_hash() -> None:
    recorded = _recorded()
    assert len(recorded) >= 11
    for name, (size, digest) in recorded.items():
        data = (TEST_DATA / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()[:16]) == (size, digest), name


def test_every_data_file_is_recorded() -> None:
    present = {
        path.relative_to(TEST_DATA).as_posix()
        for path in TEST_DATA.rglob("*")
        if path.is_file() and path.name not in {"SOURCES.md", ".gitattributes"}
    }
    assert present == set(_recorded())
