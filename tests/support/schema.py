"""Databases already migrated to the head revision, copied from one template per test
process instead of running every migration for each test's center.

The template is itself built by the migrations (``upgrade_to_head`` on an empty database),
so a copy is exactly what a fresh center would build; the tests of the migrations keep
empty databases (``pytest.mark.empty_database``). SQLite: a file migrated once and copied;
PostgreSQL: ``CREATE DATABASE ... TEMPLATE`` (see ``tests/conftest.py``).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import Engine

from remotecare.center.kernel.schema import upgrade_to_head
from remotecare.center.kernel.storage import make_engine

__all__ = ["migrate_empty_database", "migrated_engine", "migrated_sqlite_file"]

_sqlite_template: Path | None = None


def migrate_empty_database(url: str) -> None:
    """Run every migration on the (empty) database at ``url``."""
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
    finally:
        engine.dispose()  # no connection may stay open on a PostgreSQL template


def migrated_sqlite_file(path: Path) -> Path:
    """Write at ``path`` a SQLite database at the head revision (owner-only, as the
    center's own) and return ``path``."""
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="remotecare-schema-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = folder / "head.db"
        migrate_empty_database(f"sqlite:///{template}")
        _sqlite_template = template
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template, path)
    path.chmod(0o600)
    return path


def migrated_engine(database_url: str, sqlite_path: Path) -> Engine:
    """An engine on a database at the head revision: ``database_url`` (a test's
    PostgreSQL database) or, when that is empty, a migrated SQLite file at ``sqlite_path``."""
    if not database_url:
        return make_engine(f"sqlite:///{migrated_sqlite_file(sqlite_path)}")
    engine = make_engine(database_url)
    upgrade_to_head(engine)  # nothing to do on a copy of the template
    return engine
