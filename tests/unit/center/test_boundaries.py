"""The center's borders hold: pure rules import no I/O, packages reach each other's data
only through services, and lower packages never import higher ones."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import remotecare.center

CENTER = Path(remotecare.center.__file__).resolve().parent
PREFIX = "remotecare.center."

# What a rules module may not import: databases, HTTP, templates, the file system.
IO_MODULES = {
    "aiohttp",
    "alembic",
    "asyncio",
    "httpx",
    "io",
    "jinja2",
    "os",
    "pathlib",
    "psycopg",
    "shutil",
    "socket",
    "sqlalchemy",
    "sqlite3",
    "subprocess",
    "tempfile",
}

# Each package, and the packages it may import (beside itself). The kernel and the
# contracts are at the bottom; the care services read what the fleet stored (the fleet
# hands readings on through a hook wired in bootstrap.py, never by importing care); web
# composes the packages' routes into apps; the program modules may import anything.
MAY_IMPORT: dict[str, set[str]] = {
    "kernel": set(),
    "contracts": {"kernel", "access", "attempts", "web"},
    "access": {"kernel", "contracts", "attempts", "web"},
    "attempts": {"kernel"},
    "identity": {"kernel", "contracts", "access", "attempts", "web"},
    "fleet": {"kernel", "contracts", "access", "identity", "web"},
    "care": {"kernel", "contracts", "access", "identity", "fleet", "notify", "web", "privacy"},
    "web": {"kernel", "contracts", "access", "attempts", "identity", "fleet"},
    "privacy": {"kernel", "contracts", "access", "web"},  # web: its console pages
    "notify": {"kernel", "contracts", "access"},  # below care: care tells notify, never back
}
PROGRAM_MODULES = {
    "",
    "nginx",
    "bootstrap",
    "server",
    "admin",
    "setup",
    "workers",
    "config",
    "tables",
    "cli",
    "backup",
}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(CENTER.rglob("*.py")):
        relative = path.relative_to(CENTER).with_suffix("")
        if relative.parts[:2] == ("kernel", "migrations"):
            continue  # Alembic's scripts: the migrations describe the whole schema
        name = ".".join(part for part in relative.parts if part != "__init__")
        yield name, path


def _imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _is_rules(name: str) -> bool:
    return "rules" in name.split(".")


def _package(name: str) -> str:
    return name.split(".")[0]


RULES = [(name, path) for name, path in _modules() if _is_rules(name)]


def test_there_are_rules_modules_to_check() -> None:
    names = {name for name, _ in RULES}
    assert {"identity.rules", "access.rules", "contracts.rules", "attempts.rules"} <= names
    assert "fleet.rules.connectivity" in names


@pytest.mark.parametrize(("name", "path"), RULES, ids=[name for name, _ in RULES])
def test_rules_import_no_input_or_output(name: str, path: Path) -> None:
    found = sorted(
        {imported for imported in _imports(path) if imported.split(".")[0] in IO_MODULES}
    )
    calls_open = any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open"
        for node in ast.walk(ast.parse(path.read_text()))
    )
    assert not found, f"{name} is a rules module but imports {found}"
    assert not calls_open, f"{name} is a rules module but opens files"
    center_imports = {i for i in _imports(path) if i.startswith(PREFIX)}
    impure = sorted(i for i in center_imports if not _is_rules(i.removeprefix(PREFIX)))
    assert not impure, f"{name} imports modules that are not rules: {impure}"


def test_no_package_reads_another_packages_tables() -> None:
    crossings = []
    for name, path in _modules():
        if _package(name) in PROGRAM_MODULES:
            continue
        for imported in _imports(path):
            parts = imported.removeprefix(PREFIX).split(".")
            if not imported.startswith(PREFIX) or len(parts) < 2 or parts[1] != "tables":
                continue
            if parts[0] != _package(name):
                crossings.append(f"{name} imports {imported}")
    assert crossings == []


def test_packages_import_only_the_packages_below_them() -> None:
    crossings = []
    for name, path in _modules():
        package = _package(name)
        if package in PROGRAM_MODULES:
            continue
        assert package in MAY_IMPORT, f"{package} is a new package: place it in MAY_IMPORT"
        for imported in _imports(path):
            if not imported.startswith(PREFIX):
                continue
            target = _package(imported.removeprefix(PREFIX))
            if target != package and target not in MAY_IMPORT[package]:
                crossings.append(f"{name} imports {imported}")
    assert crossings == []


def test_services_take_a_connection_and_never_open_a_transaction() -> None:
    """One transaction style: only the kernel's transactions, the group committer, the
    failure log (called from threads by the limiters) and the program modules open one."""
    allowed = {
        "kernel.transactions",
        "kernel.group_commit",
        "kernel.schema",
        "attempts.log",
    }
    opening = []
    for name, path in _modules():
        if _package(name) in PROGRAM_MODULES or name in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"begin", "connect"}
                and isinstance(node.value, ast.Attribute)
                and node.value.attr in {"engine", "_engine"}
            ):
                opening.append(f"{name}:{node.lineno}")
    assert opening == []


def test_only_privacy_reads_contact_persons() -> None:
    """Contact persons are read through the privacy service only (purpose, audit)."""
    readers = sorted(
        name
        for name, path in _modules()
        if _package(name) not in {"contracts", "privacy"}
        and any(i.startswith(f"{PREFIX}contracts.contact_records") for i in _imports(path))
    )
    contracts_readers = sorted(
        name
        for name, path in _modules()
        if _package(name) == "contracts"
        and name != "contracts.contact_records"
        and any(i.startswith(f"{PREFIX}contracts.contact_records") for i in _imports(path))
    )
    assert readers == []
    assert contracts_readers == []
