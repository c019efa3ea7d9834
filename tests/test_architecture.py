"""The house rules: only ``bot/app`` wires adapters and storage in; the rest of ``bot/``
imports no I/O library, reads no file and no environment; ``bot/`` has no import cycle."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "aiohttp",
    "feedparser",
    "openai",
    "discord",
    "telegram",
    "sqlalchemy",
    "asyncpg",
    "aiosqlite",
    "alembic",
    "httpx",
    "requests",
    "trafilatura",
    "socket",
    "subprocess",
    "tempfile",
    "shutil",
    "sqlite3",
    "urllib.request",
    "http.client",
}
# Reading or writing files and the environment: the calls and attributes that do it.
FILE_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "getenv"}
FILE_ATTRIBUTES = {"environ"}
COMPOSITION_ROOT = ROOT / "bot" / "app"
# ``python -m bot`` only hands over to ``bot.app.cli``.
ENTRY_POINT = ROOT / "bot" / "__main__.py"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def file_and_environment_access(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in FILE_CALLS:
                found.add(f"{node.func.id}()")
        elif isinstance(node, ast.Attribute):
            if node.attr in FILE_CALLS:
                found.add(f"{node.attr}()")
            elif node.attr in FILE_ATTRIBUTES:
                found.add(node.attr)
    return found


def core_modules() -> Iterator[Path]:
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if COMPOSITION_ROOT in path.parents or path == ENTRY_POINT:
            continue
        yield path


def is_forbidden(module: str) -> bool:
    parts = module.split(".")
    return any(".".join(parts[: i + 1]) in FORBIDDEN for i in range(len(parts)))


def test_only_the_composition_root_imports_adapters_and_storage() -> None:
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if COMPOSITION_ROOT in path.parents:
            continue
        for module in imported_modules(path):
            if module.split(".")[0] in ("adapters", "storage"):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_the_core_imports_no_io_library() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in core_modules()
        for module in imported_modules(path)
        if is_forbidden(module)
    ]
    assert offenders == []


def test_the_core_reads_no_file_and_no_environment() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} uses {use}"
        for path in core_modules()
        for use in file_and_environment_access(path)
    ]
    assert offenders == []


def bot_import_graph() -> dict[str, set[str]]:
    modules: dict[str, Path] = {}
    for path in (ROOT / "bot").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = set()
        for module in imported_modules(path):
            # ``from bot.x import y`` names module bot.x.y when y is a module, else bot.x.
            if module in modules and module != name:
                edges.add(module)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path of module names, or [] when there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_bot_has_no_import_cycle() -> None:
    assert find_cycle(bot_import_graph()) == []


def test_the_rule_checkers_see_violations(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text(
        "import aiohttp\nfrom sqlalchemy import select\nimport os\n"
        "x = os.environ['A']\ny = open('f')\nz = p.read_text()\n",
        encoding="utf-8",
    )
    assert {"aiohttp", "sqlalchemy"} <= imported_modules(sample)
    assert is_forbidden("urllib.request")
    assert not is_forbidden("urllib.parse")
    assert file_and_environment_access(sample) == {"environ", "open()", "read_text()"}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_storage_and_adapters_do_not_import_each_other() -> None:
    offenders = []
    for package, other in (("storage", "adapters"), ("adapters", "storage")):
        for path in sorted((ROOT / package).rglob("*.py")):
            for module in imported_modules(path):
                if module.split(".")[0] == other:
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def allowed_packages(package: Path) -> set[str] | None:
    """The ``bot`` packages a package's docstring says it may import ("May import:
    ``bot.core``, ``bot.text``."); None when it may import every one."""
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    line = next(
        (ln for ln in (doc or "").splitlines() if ln.strip().startswith("May import:")), None
    )
    assert line is not None, f"{package.name}/__init__.py says nothing of what it may import"
    if "everything" in line or "every core package" in line:
        return None
    return set(re.findall(r"``(bot\.\w+)``", line))


def test_each_package_imports_only_what_its_docstring_allows() -> None:
    offenders = []
    for package in sorted(p for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists()):
        allowed = allowed_packages(package)
        if allowed is None:
            continue
        own = f"bot.{package.name}"
        for path in sorted(package.rglob("*.py")):
            for module in imported_modules(path):
                top = ".".join(module.split(".")[:2])
                if module.startswith("bot.") and top not in allowed | {own}:
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []
