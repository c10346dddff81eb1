"""Build and upgrade the schema with Alembic (the only way tables are created), and refuse
to work on a schema older or newer than the code.

Only ``center migrate`` (and ``center serve``, which upgrades before serving) changes the
schema; every other command checks it first and stops with a message naming
``center migrate``, so that no administrative command upgrades a database as a side effect.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import Engine, inspect, text

from remotecare.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "HEAD_REVISION",
    "SchemaNotCurrent",
    "current_revision",
    "head_revision",
    "require_current_schema",
    "upgrade_to_head",
]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# The newest migration's revision, stated so that a center whose database is current
# starts without Alembic (importing it and reading every migration script cost about
# 0.15 s of each start, bench/startup.py); tests/unit/test_schema_head.py checks it
# against the scripts.
HEAD_REVISION: Final = "0026"


class SchemaNotCurrent(ConfigError):
    """The database's schema is not the one this code works on."""


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def upgrade_to_head(engine: Engine) -> None:
    if current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command

    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def head_revision() -> str:
    """The newest revision among the migration scripts (reads them all)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision; None for a database with no schema yet."""
    # Read as Alembic keeps it (one row in alembic_version), without loading Alembic.
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def require_current_schema(engine: Engine) -> None:
    """Raise ``SchemaNotCurrent`` unless the database is at this code's revision."""
    current, head = current_revision(engine), HEAD_REVISION
    if current == head:
        return
    if current is None:
        raise SchemaNotCurrent(
            "the database has no schema yet: run `remotecare center migrate --home DIR`"
        )
    from alembic.script import ScriptDirectory

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
