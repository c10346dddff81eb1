"""Build and upgrade the schema with Alembic (the only way tables are created), and refuse
to work on a schema older or newer than the code.

Only ``center migrate`` (and ``center serve``, which upgrades before serving) changes the
schema; every other command checks it first and stops with a message naming
``center migrate``, so that no administrative command upgrades a database as a side effect.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from remotecare.errors import ConfigError

__all__ = [
    "SchemaNotCurrent",
    "current_revision",
    "head_revision",
    "require_current_schema",
    "upgrade_to_head",
]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class SchemaNotCurrent(ConfigError):
    """The database's schema is not the one this code works on."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def upgrade_to_head(engine: Engine) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision; None for a database with no schema yet."""
    # Alembic says which dialect it found at INFO: noise on every administrative command.
    migration_log = logging.getLogger("alembic.runtime.migration")
    level = migration_log.level
    migration_log.setLevel(logging.WARNING)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        migration_log.setLevel(level)


def require_current_schema(engine: Engine) -> None:
    """Raise ``SchemaNotCurrent`` unless the database is at this code's revision."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaNotCurrent(
            "the database has no schema yet: run `remotecare center migrate --home DIR`"
        )
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current not in known:
        raise SchemaNotCurrent(
            f"the database's schema ({current}) is newer than this program knows "
            f"(up to {head}): upgrade remotecare"
        )
    raise SchemaNotCurrent(
        f"the database's schema is at revision {current}, this program needs {head}: "
        "run `remotecare center migrate --home DIR` first"
    )
