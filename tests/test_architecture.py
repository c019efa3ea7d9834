"""The core imports no I/O library; only the composition root wires adapters in."""

from __future__ import annotations

import ast
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
}
COMPOSITION_ROOTS = {"bootstrap.py", "__main__.py"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_core_modules_import_no_io_library_nor_adapters() -> None:
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if path.name in COMPOSITION_ROOTS:
            continue
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in FORBIDDEN or top in ("adapters", "storage"):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_main_reaches_adapters_only_through_bootstrap() -> None:
    modules = imported_modules(ROOT / "bot" / "__main__.py")
    direct = {m for m in modules if m.split(".")[0] in FORBIDDEN | {"adapters"}}
    assert direct == set()


def test_the_rule_checker_sees_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("import aiohttp\nfrom sqlalchemy import select\n", encoding="utf-8")
    assert {"aiohttp", "sqlalchemy"} <= imported_modules(sample)


def test_storage_and_adapters_do_not_import_each_other() -> None:
    offenders = []
    for package, other in (("storage", "adapters"), ("adapters", "storage")):
        for path in sorted((ROOT / package).rglob("*.py")):
            for module in imported_modules(path):
                if module.split(".")[0] == other:
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []
