"""The import graph of bot/ and handlers/: no module imports a dependency's private module, and
there is no import cycle (import-linter's contracts in pyproject.toml check the layers; this checks
every module, type-checking imports and lazy ones included)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers")
KNOWN_CYCLES: list[set[str]] = []  # none: a new cycle fails the test


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> list[str]:
    """Every module ``path`` imports, anywhere in it: ``from a import b`` is the module ``a.b``
    when there is one (a submodule of ours), else ``a``; names of other packages as written."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                names.append(submodule if submodule in modules or alias.name.startswith("_") else node.module)
    return names


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {imported for imported in _imports(path, modules) if imported in modules and imported != name}
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_a_dependencys_private_module() -> None:
    modules = _modules()
    offenders = [
        f"{name}: {imported}"
        for name, path in modules.items()
        for imported in _imports(path, modules)
        if imported.split(".")[0] not in PACKAGES and any(part.startswith("_") for part in imported.split(".")[1:])
    ]
    assert offenders == []


def test_no_new_import_cycle() -> None:
    assert [c for c in _cycles(_graph()) if c not in KNOWN_CYCLES] == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
