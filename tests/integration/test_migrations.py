"""The migrations build exactly the tables the code declares, and 0002 can be undone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect

import remotecare.center.kernel.migrations
from remotecare.center.fleet.partitions import is_report_partition
from remotecare.center.kernel.schema import upgrade_to_head
from remotecare.center.kernel.storage import make_engine, metadata

# Every migration from an empty database: other tests' databases are copies of one
# migrated this way (tests/support/schema.py).
pytestmark = pytest.mark.empty_database

_SCRIPTS = Path(remotecare.center.kernel.migrations.__file__).resolve().parent


@pytest.fixture
def engine(tmp_path: Path, database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url or f"sqlite:///{tmp_path / 'center.db'}")
    yield engine
    engine.dispose()


def _migrate(engine: Engine, direction: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def _declared(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave out the partitions of the raw reports (PostgreSQL): made at run time."""
    return not (type_ == "table" and name is not None and is_report_partition(name))


def _differences(conn: Connection) -> list[object]:
    context = MigrationContext.configure(conn, opts={"include_name": _declared})
    return list(compare_metadata(context, metadata))


def test_the_schema_matches_the_declared_tables(engine: Engine) -> None:
    upgrade_to_head(engine)
    with engine.connect() as conn:
        assert _differences(conn) == []


def test_the_identity_lifecycle_migration_goes_down_and_up_again(engine: Engine) -> None:
    upgrade_to_head(engine)
    _migrate(engine, "downgrade", "0001")
    tables = inspect(engine)
    assert "commands" not in tables.get_table_names()
    assert "held_reports" not in tables.get_table_names()
    assert "revoked_at" not in {c["name"] for c in tables.get_columns("endpoints")}
    assert "binding" not in {c["name"] for c in tables.get_columns("printers")}
    upgrade_to_head(engine)
    with engine.connect() as conn:
        assert _differences(conn) == []
